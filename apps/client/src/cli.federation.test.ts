/**
 * The `mimi` command line end to end on three real providers (apps/hub):
 * every command of the issue, over HTTPS to the device's provider and over
 * mutual TLS between the providers.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliIo, runCli } from "./cli.js";
import { StateStore } from "./state.js";
import { temporaryDirectory } from "./test-support/homes.js";
import { eventually, RealNetwork } from "./test-support/realNetwork.js";

const ROOM = "mimi://a.example/r/clubhouse";
const ALICE = "mimi://a.example/u/alice";
const BOB = "mimi://b.example/u/bob";
const CATHY = "mimi://c.example/u/cathy";

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let network: RealNetwork;

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `mimi --home <dir>/<home> ...argv`, in process, with the default HTTPS transport. */
async function mimi(home: string, ...argv: string[]): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = {
    writeStdout: (text) => stdout.push(text),
    writeStderr: (text) => stderr.push(text),
    defaultHome: join(directory.path, "default-home"),
    clientOptions: { settleMs: 20 },
  };
  const status = await runCli(["--home", join(directory.path, home), ...argv], io);
  return { status, stdout: stdout.join(""), stderr: stderr.join("") };
}

function json(run: Run): unknown {
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout);
}

function text(run: Run): string {
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return run.stdout;
}

/**
 * `mimi sync --json` until the device has applied everything its provider
 * holds for it, once every provider has delivered its fan-out; returns the
 * rooms joined and left.
 */
async function sync(home: string, ...options: string[]): Promise<{ joined: string[]; removedFrom: string[] }> {
  await network.settle();
  const joined: string[] = [];
  const removedFrom: string[] = [];
  const device = await new StateStore(join(directory.path, home)).readDevice();
  await eventually(`${home}'s inbox`, async () => {
    const result = json(await mimi(home, "sync", ...options, "--json")) as {
      cursor: number;
      joined: string[];
      removedFrom: string[];
      rejected: unknown[];
    };
    expect(result.rejected).toEqual([]);
    joined.push(...result.joined);
    removedFrom.push(...result.removedFrom);
    return !(await network.hasEventsAfter(device.clientUri, result.cursor));
  });
  return { joined, removedFrom };
}

async function register(home: string, userUri: string, ...extra: string[]): Promise<void> {
  const domain = new URL(userUri).hostname;
  const registered = await mimi(
    home,
    "register",
    "--provider",
    network.url(domain),
    "--ca",
    network.caPath,
    "--user",
    userUri,
    "--client-id",
    home,
    ...extra,
  );
  expect(text(registered)).toBe(`registered ${userUri.replace("/u/", "/d/")}/${home} at ${network.url(domain)}\n`);
}

beforeAll(async () => {
  directory = await temporaryDirectory();
  network = await RealNetwork.start(directory.path, ["a.example", "b.example", "c.example"]);
});

afterAll(async () => {
  await network?.close();
  await directory?.remove();
});

describe("mimi across a.example, b.example and c.example", () => {
  it("runs the clubhouse from the command line", async () => {
    await register("alice", ALICE);
    await register("bob", BOB);
    await register("cathy", CATHY);
    for (const home of ["alice", "bob", "cathy"]) {
      expect(text(await mimi(home, "keypackages", "publish", "--count", "2"))).toBe(
        "published 2 KeyPackages (2 waiting for a Welcome)\n",
      );
    }

    expect(json(await mimi("alice", "room", "create", ROOM, "--name", "Clubhouse", "--json"))).toEqual({
      roomUri: ROOM,
    });
    expect(text(await mimi("alice", "room", "add", ROOM, BOB, CATHY))).toBe(`added to ${ROOM} (epoch 1)\n`);
    expect(await sync("bob")).toEqual({ joined: [ROOM], removedFrom: [] });
    expect(await sync("cathy")).toEqual({ joined: [ROOM], removedFrom: [] });

    const hello = text(await mimi("cathy", "send", ROOM, "Hello **everyone**")).trim();
    expect(hello).toMatch(/^[0-9a-f]{64}$/);
    await network.settle();
    // --wait keeps listening for that long (here 1 s) before returning.
    expect(text(await mimi("alice", "sync", "--wait", "1"))).toBe("cursor 1: 1 events, 1 messages, 0 handshakes\n");
    await sync("bob");
    const reply = json(await mimi("bob", "send", ROOM, "Hi Cathy", "--reply-to", hello, "--json")) as {
      messageId: string;
    };
    const like = text(await mimi("alice", "react", ROOM, hello, "👍")).trim();
    await sync("cathy");
    expect(text(await mimi("cathy", "edit", ROOM, hello, "Hello everyone!"))).toMatch(/^[0-9a-f]{64}\n$/);
    const typo = text(await mimi("bob", "send", ROOM, "tpyo")).trim();
    expect(text(await mimi("bob", "delete", ROOM, typo))).toMatch(/^[0-9a-f]{64}\n$/);
    for (const home of ["alice", "bob", "cathy"]) await sync(home);

    const expected = [
      {
        messageId: hello,
        sender: CATHY,
        text: "Hello everyone!",
        inReplyTo: null,
        reactions: [{ messageId: like, reactor: ALICE, text: "👍" }],
        edited: true,
        deleted: false,
      },
      {
        messageId: reply.messageId,
        sender: BOB,
        text: "Hi Cathy",
        inReplyTo: hello,
        reactions: [],
        edited: false,
        deleted: false,
      },
      { messageId: typo, sender: BOB, text: null, inReplyTo: null, reactions: [], edited: false, deleted: true },
    ];
    const conversations = [];
    for (const home of ["alice", "bob", "cathy"]) {
      const messages = json(await mimi(home, "messages", ROOM, "--json")) as Record<string, unknown>[];
      expect(messages.map(({ acceptedAt: _acceptedAt, ...rest }) => rest)).toEqual(expected);
      conversations.push(messages);
    }
    expect(conversations[1]).toEqual(conversations[0]);
    expect(conversations[2]).toEqual(conversations[0]);

    expect(json(await mimi("cathy", "room", "info", ROOM, "--json"))).toMatchObject({
      roomUri: ROOM,
      epoch: "1",
      active: true,
      metadata: { roomName: "Clubhouse" },
      participants: [
        { userUri: ALICE, roleName: "super_admin", clients: ["mimi://a.example/d/alice/alice"] },
        { userUri: BOB, roleName: "ordinary_user", clients: ["mimi://b.example/d/bob/bob"] },
        { userUri: CATHY, roleName: "ordinary_user", clients: ["mimi://c.example/d/cathy/cathy"] },
      ],
    });

    // s.3.5: Bob leaves; Cathy commits his proposals.
    expect(text(await mimi("bob", "room", "leave", ROOM))).toBe(`leaving ${ROOM} (epoch 1)\n`);
    await sync("cathy");
    expect(text(await mimi("cathy", "room", "commit", ROOM))).toBe(`committed ${ROOM} (epoch 2)\n`);
    expect(await sync("bob")).toEqual({ joined: [], removedFrom: [ROOM] });
    await sync("alice");

    // s.3.6: Cathy's phone joins by external commit.
    await register("phone", CATHY, "--authorizing-home", join(directory.path, "cathy"));
    expect(text(await mimi("phone", "room", "join", ROOM))).toBe(`joined ${ROOM} (epoch 3)\n`);
    await sync("alice");
    await sync("cathy");
    const fromPhone = text(await mimi("phone", "send", ROOM, "from the phone")).trim();
    await sync("alice");
    const last = (json(await mimi("alice", "messages", ROOM, "--json")) as { messageId: string }[]).at(-1);
    expect(last?.messageId).toBe(fromPhone);

    // Alice removes Cathy: both of her devices learn it.
    expect(text(await mimi("alice", "room", "remove", ROOM, CATHY))).toBe(`removed from ${ROOM} (epoch 4)\n`);
    expect(await sync("cathy")).toEqual({ joined: [], removedFrom: [ROOM] });
    expect(await sync("phone")).toEqual({ joined: [], removedFrom: [ROOM] });
    expect(text(await mimi("alice", "room", "info", ROOM))).toContain(
      `participants:\n  ${ALICE} super_admin (4): mimi://a.example/d/alice/alice\nmembers:`,
    );
    expect(await mimi("cathy", "send", ROOM, "still there?")).toEqual({
      status: 1,
      stdout: "",
      stderr: `error: this device is no longer a member of ${ROOM}\n`,
    });
  });
});
