import { writeFile } from "node:fs/promises";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createCertificateAuthority, issueProviderCertificate } from "@mimi-ts/hub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliIo, runCli } from "./cli.js";
import type { ClientOptions } from "./client.js";
import { FakeNetwork } from "./test-support/fakeNetwork.js";
import { temporaryDirectory } from "./test-support/homes.js";

const ROOM = "mimi://a.example/r/clubhouse";
const ALICE = "mimi://a.example/u/alice";
const BOB = "mimi://b.example/u/bob";

const COMMAND_NAMES = [
  "register",
  "keypackages publish",
  "sync",
  "rooms",
  "messages",
  "room info",
  "room create",
  "room add",
  "room remove",
  "room leave",
  "room commit",
  "room join",
  "send",
  "react",
  "edit",
  "delete",
];

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let network: FakeNetwork;

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `mimi --home <dir>/<home> ...argv` in process. */
async function mimi(home: string, argv: readonly string[], clientOptions?: ClientOptions): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = {
    writeStdout: (text) => stdout.push(text),
    writeStderr: (text) => stderr.push(text),
    defaultHome: join(directory.path, "default-home"),
    ...(clientOptions === undefined ? {} : { clientOptions }),
  };
  const status = await runCli(["--home", join(directory.path, home), ...argv], io);
  return { status, stdout: stdout.join(""), stderr: stderr.join("") };
}

/** The JSON a command printed with --json, failing the test with its error otherwise. */
function json(run: Run): unknown {
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout);
}

/**
 * A provider whose client API has no room routes (apps/hub before them):
 * HTTPS with a certificate of its own CA, answering every request 404 as
 * apps/hub answers unknown routes.
 */
async function providerWithoutRoomRoutes(): Promise<{ url: string; caPath: string; close: () => Promise<void> }> {
  const ca = await createCertificateAuthority("old provider CA");
  const issued = await issueProviderCertificate(ca, "a.example");
  const caPath = join(directory.path, "old-provider-ca.pem");
  await writeFile(caPath, ca.certificate.toString("pem"));
  const server = createServer({ key: issued.privateKeyPem, cert: issued.certificatePem }, (request, response) => {
    response.writeHead(404, { "content-type": "text/plain; charset=UTF-8" });
    response.end(`nothing here: ${request.method} ${request.url}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPath,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

beforeAll(async () => {
  directory = await temporaryDirectory();
  network = await FakeNetwork.create(["a.example"]);
});

afterAll(async () => {
  await directory?.remove();
});

describe("mimi --help", () => {
  it("lists every command, and each command explains itself", async () => {
    const overview = await mimi("none", ["--help"]);
    expect(overview.status).toBe(0);
    for (const name of COMMAND_NAMES) expect(overview.stdout).toContain(`\n  ${name}`);
    for (const name of COMMAND_NAMES) {
      const help = await mimi("none", [...name.split(" "), "--help"]);
      expect(help.status, name).toBe(0);
      expect(help.stdout, name).toMatch(new RegExp(`^usage: mimi \\[--home DIR\\] ${name}.*\\[--json\\]\\n\\n\\S`));
      expect(help.stderr).toBe("");
    }
  });
});

describe("mimi command lines that cannot run", () => {
  it("exit 2 with one error line", async () => {
    const cases: [string[], string][] = [
      [[], "error: a command is needed; see mimi --help"],
      [["fly"], "error: unknown command fly; see mimi --help"],
      [
        ["room"],
        "error: room needs a subcommand: room info, room create, room add, room remove, room leave, room commit, room join; see mimi --help",
      ],
      [["sync", "--count", "3"], "error: --count is not an option of sync; see mimi sync --help"],
      [["messages"], "error: messages takes ROOM_URI; see mimi messages --help"],
      [["sync", "--wait", "soon"], 'error: --wait must be a number of seconds, not "soon"; see mimi sync --help'],
      [
        ["keypackages", "publish", "--count", "0"],
        'error: --count must be an integer from 1 to 100, not "0"; see mimi keypackages publish --help',
      ],
      [["register", "--provider", "https://a.example"], "error: --user is required; see mimi register --help"],
    ];
    for (const [argv, line] of cases) {
      expect(await mimi("none", argv), argv.join(" ")).toEqual({ status: 2, stdout: "", stderr: `${line}\n` });
    }
    const unknownOption = await mimi("none", ["sync", "--bogus"]);
    expect(unknownOption.status).toBe(2);
    expect(unknownOption.stderr).toMatch(/^error: Unknown option '--bogus'[^\n]*\n$/);
  });
});

describe("mimi on a device", () => {
  it("exits 1 with one error line when there is no device, or the provider has no room endpoints", async () => {
    const home = join(directory.path, "nobody");
    expect(await mimi("nobody", ["messages", ROOM])).toEqual({
      status: 1,
      stdout: "",
      stderr: `error: no device in ${home}: register one first (mimi register)\n`,
    });
    const old = await providerWithoutRoomRoutes();
    try {
      // The device registers through the fake provider a.example; its room requests go to the old provider.
      const { rooms: _rooms, ...fakeOptions } = network.clientOptions();
      const withoutRooms: ClientOptions = { ...fakeOptions, provider: () => network.provider("a.example") };
      const registered = await mimi(
        "carol",
        ["register", "--provider", old.url, "--ca", old.caPath, "--user", "mimi://a.example/u/carol"],
        withoutRooms,
      );
      expect(registered.status).toBe(0);
      const roomCommands = [
        ["room", "create"],
        ["room", "join", ROOM],
      ];
      for (const argv of roomCommands) {
        expect(await mimi("carol", argv, withoutRooms), argv.join(" ")).toEqual({
          status: 1,
          stdout: "",
          stderr: "error: this provider does not offer the room endpoints\n",
        });
      }
    } finally {
      await old.close();
    }
  });

  it("runs a room from the command line: create, add, sync, send, reply, react, edit, info, leave", async () => {
    const options = network.clientOptions();
    const alice = (...argv: string[]) => mimi("alice", argv, options);
    const bob = (...argv: string[]) => mimi("bob", argv, options);
    for (const [run, user] of [
      [alice, ALICE],
      [bob, BOB],
    ] as const) {
      const domain = new URL(user.replace("mimi://", "https://")).hostname;
      const registered = await run("register", "--provider", `https://${domain}`, "--user", user, "--client-id", "cli");
      expect(registered.status).toBe(0);
      expect((await run("keypackages", "publish", "--count", "2")).stdout).toBe(
        "published 2 KeyPackages (2 waiting for a Welcome)\n",
      );
    }
    expect(json(await alice("room", "create", ROOM, "--name", "Clubhouse", "--json"))).toEqual({ roomUri: ROOM });
    expect((await alice("room", "add", ROOM, BOB)).stdout).toBe(`added to ${ROOM} (epoch 1)\n`);
    expect(json(await bob("sync", "--json"))).toEqual({
      cursor: 1,
      events: 1,
      joined: [ROOM],
      removedFrom: [],
      handshakes: 0,
      messages: 0,
      rejected: [],
    });
    const hello = (await alice("send", ROOM, "Hello Bob")).stdout.trim();
    expect(hello).toMatch(/^[0-9a-f]{64}$/);
    expect((await bob("sync")).stdout).toBe("cursor 2: 1 events, 1 messages, 0 handshakes\n");
    const reply = json(await bob("send", ROOM, "Hi Alice", "--reply-to", hello, "--json")) as { messageId: string };
    const like = (await bob("react", ROOM, hello, "👍")).stdout.trim();
    await alice("sync");
    expect((await alice("edit", ROOM, hello, "Hello, Bob!")).status).toBe(0);
    await bob("sync");

    const messages = json(await bob("messages", ROOM, "--json")) as Record<string, unknown>[];
    expect(messages.map(({ acceptedAt: _acceptedAt, ...rest }) => rest)).toEqual([
      {
        messageId: hello,
        sender: ALICE,
        text: "Hello, Bob!",
        inReplyTo: null,
        reactions: [{ messageId: like, reactor: BOB, text: "👍" }],
        edited: true,
        deleted: false,
      },
      {
        messageId: reply.messageId,
        sender: BOB,
        text: "Hi Alice",
        inReplyTo: hello,
        reactions: [],
        edited: false,
        deleted: false,
      },
    ]);
    const lines = (await bob("messages", ROOM)).stdout.split("\n");
    expect(lines[0]).toMatch(new RegExp(`^\\S+Z ${hello} ${ALICE}: Hello, Bob! \\(edited\\) \\[👍 ${BOB}\\]$`));
    expect(lines[1]).toMatch(new RegExp(`^\\S+Z ${reply.messageId} ${BOB} ↩ ${hello}: Hi Alice$`));

    const info = json(await bob("room", "info", ROOM, "--json")) as Record<string, unknown>;
    expect(info).toMatchObject({
      roomUri: ROOM,
      epoch: "1",
      active: true,
      self: { leafIndex: 1, clientUri: "mimi://b.example/d/bob/cli", userUri: BOB },
      metadata: { roomUri: ROOM, roomName: "Clubhouse" },
      participants: [
        { userUri: ALICE, roleIndex: 4, roleName: "super_admin", clients: ["mimi://a.example/d/alice/cli"] },
        { userUri: BOB, roleIndex: 2, roleName: "ordinary_user", clients: ["mimi://b.example/d/bob/cli"] },
      ],
      pendingProposals: 0,
    });
    expect((await bob("room", "info", ROOM)).stdout).toBe(
      [
        `room ${ROOM} "Clubhouse", epoch 1`,
        "participants:",
        `  ${ALICE} super_admin (4): mimi://a.example/d/alice/cli`,
        `  ${BOB} ordinary_user (2): mimi://b.example/d/bob/cli`,
        "members:",
        "  leaf 0 mimi://a.example/d/alice/cli",
        "  leaf 1 mimi://b.example/d/bob/cli",
        "pending proposals: 0",
        "",
      ].join("\n"),
    );
    expect((await bob("rooms")).stdout).toBe(`${ROOM} epoch 1, 2 messages: Clubhouse\n`);

    expect((await bob("room", "leave", ROOM)).stdout).toBe(`leaving ${ROOM} (epoch 1)\n`);
    await alice("sync");
    expect((await alice("room", "commit", ROOM)).stdout).toBe(`committed ${ROOM} (epoch 2)\n`);
    expect((await bob("sync")).stdout).toBe(`removed from ${ROOM}\ncursor 4: 1 events, 0 messages, 1 handshakes\n`);
    expect(await bob("delete", ROOM, reply.messageId)).toEqual({
      status: 1,
      stdout: "",
      stderr: `error: this device is no longer a member of ${ROOM}\n`,
    });
  });
});
