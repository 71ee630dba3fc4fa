/**
 * protocol-06 s.3 end to end with real processes: three providers of
 * apps/hub's build on 127.0.0.1 (real HTTPS to their clients, mutual TLS
 * between them) and every device a `mimi` command of this package's build
 * with its own home. First on `mimi-hub devnet` as a user starts it; then
 * again on one `mimi-hub serve` per provider, killed (SIGKILL) and started
 * again mid-run, after which nothing the providers accepted may be missing.
 *
 * Nothing here waits for a time: devices sync until they hold what they
 * must, and the bounds on polling only guard against hangs.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { temporaryDirectory } from "../src/test-support/homes.js";
import { ChildProcesses } from "./childProcesses.js";
import { MimiCommand } from "./mimiCommand.js";
import { DevnetProcess, freeBasePort, type Providers, ServedProviders } from "./providers.js";

const ROOM = "mimi://a.example/r/clubhouse";
const ALICE = "mimi://a.example/u/alice";
const BOB = "mimi://b.example/u/bob";
const CATHY = "mimi://c.example/u/cathy";
const DOMAINS = ["a.example", "b.example", "c.example"];

/** How many syncs a device gets to receive what it waits for before the wait counts as hung. */
const SYNC_ATTEMPTS = 120;
/** How many times a provider's log is read for a line before the wait counts as hung. */
const LOG_POLLS = 600;
const LOG_POLL_MS = 100;
/** Each run is a few minutes of child processes on a loaded machine; the limit guards against hangs. */
const RUN_GUARD_MS = 900_000;

interface SyncJson {
  readonly rejected: readonly unknown[];
}

interface RoomJson {
  readonly roomUri: string;
  readonly epoch: string;
  readonly active: boolean;
}

interface RoomInfoJson {
  readonly pendingProposals: number;
}

interface MessageJson {
  readonly messageId: string;
  readonly sender: string;
  readonly text: string | null;
  readonly inReplyTo: string | null;
  readonly reactions: readonly { readonly messageId: string; readonly reactor: string; readonly text: string }[];
  readonly edited: boolean;
  readonly deleted: boolean;
  readonly acceptedAt: string;
}

/** Points of the flow where the second run does something to the providers. */
type Checkpoint = "Bob replied" | "Alice reacted" | "Bob left";

const processes = new ChildProcesses();
let directory: Awaited<ReturnType<typeof temporaryDirectory>>;

beforeAll(async () => {
  directory = await temporaryDirectory();
});

afterAll(async () => {
  await processes.stopAll();
  await directory?.remove();
});

/** The devices of one run, each a home under `homes`, on `providers`. */
class Devices {
  readonly mimi: MimiCommand;

  constructor(
    private readonly providers: Providers,
    homes: string,
  ) {
    this.mimi = new MimiCommand(processes, homes);
  }

  /** `mimi register` of the device `name` (client id `clientId`) of `userUri` at its provider. */
  async register(name: string, userUri: string, clientId: string, authorizingDevice?: string): Promise<void> {
    const provider = this.providers.url(new URL(userUri).hostname);
    const authorizing =
      authorizingDevice === undefined ? [] : ["--authorizing-home", this.mimi.home(authorizingDevice)];
    const registered = await this.mimi.text(
      name,
      ...["register", "--provider", provider, "--user", userUri, "--ca", this.providers.caPath],
      ...["--client-id", clientId, ...authorizing],
    );
    expect(registered).toBe(`registered ${userUri.replace("/u/", "/d/")}/${clientId} at ${provider}\n`);
  }

  /** The room as `rooms` lists it on the device, if the device has it. */
  async room(name: string): Promise<RoomJson | undefined> {
    return (await this.mimi.json<RoomJson[]>(name, "rooms")).find((room) => room.roomUri === ROOM);
  }

  info(name: string): Promise<RoomInfoJson> {
    return this.mimi.json<RoomInfoJson>(name, "room", "info", ROOM);
  }

  conversation(name: string): Promise<MessageJson[]> {
    return this.mimi.json<MessageJson[]>(name, "messages", ROOM);
  }

  /** `mimi sync` until `holds` (no event may be rejected on the way). */
  async syncUntil(name: string, what: string, holds: () => Promise<boolean>): Promise<void> {
    for (let attempt = 0; attempt < SYNC_ATTEMPTS; attempt += 1) {
      const synced = await this.mimi.json<SyncJson>(name, "sync");
      expect(synced.rejected, `${name} rejected events`).toEqual([]);
      if (await holds()) return;
    }
    throw new Error(`${name} did not receive ${what} in ${SYNC_ATTEMPTS} syncs`);
  }

  /** Syncs each device until the room is at `epoch` on it. */
  async syncToEpoch(names: readonly string[], epoch: number): Promise<void> {
    await Promise.all(
      names.map((name) =>
        this.syncUntil(name, `epoch ${epoch}`, async () => (await this.room(name))?.epoch === String(epoch)),
      ),
    );
  }

  /** Syncs each device until its conversation has a message that `matches`. */
  async syncToMessage(
    names: readonly string[],
    what: string,
    matches: (message: MessageJson) => boolean,
  ): Promise<void> {
    await Promise.all(
      names.map((name) => this.syncUntil(name, what, async () => (await this.conversation(name)).some(matches))),
    );
  }

  /** A command that prints one message ID. */
  async messageId(name: string, ...argv: string[]): Promise<string> {
    const printed = await this.mimi.text(name, ...argv);
    expect(printed).toMatch(/^[0-9a-f]{64}\n$/);
    return printed.trim();
  }
}

const withoutAcceptedAt = (messages: readonly MessageJson[]) =>
  messages.map(({ acceptedAt: _acceptedAt, ...message }) => message);

/**
 * protocol-06 s.3 with the mimi command: Alice (a.example) hosts the
 * clubhouse, Bob (b.example, laptop and phone) and Cathy (c.example) join;
 * `disrupt` is called at each checkpoint.
 */
async function clubhouse(devices: Devices, disrupt: (checkpoint: Checkpoint) => Promise<void>): Promise<void> {
  const { mimi } = devices;
  await devices.register("alice", ALICE, "laptop");
  await devices.register("bob-laptop", BOB, "laptop");
  await devices.register("bob-phone", BOB, "phone", "bob-laptop");
  await devices.register("cathy-laptop", CATHY, "laptop");
  await Promise.all(
    ["alice", "bob-laptop", "bob-phone", "cathy-laptop"].map(async (name) =>
      expect(await mimi.text(name, "keypackages", "publish", "--count", "2")).toBe(
        "published 2 KeyPackages (2 waiting for a Welcome)\n",
      ),
    ),
  );

  // s.3.1: a.example becomes the room's Hub.
  expect(await mimi.text("alice", "room", "create", ROOM, "--name", "Clubhouse")).toBe(`created ${ROOM}\n`);
  // s.3.2: Bob's KeyPackages come from b.example; the Welcome reaches both of his devices.
  expect(await mimi.text("alice", "room", "add", ROOM, BOB)).toBe(`added to ${ROOM} (epoch 1)\n`);
  await devices.syncToEpoch(["bob-laptop", "bob-phone"], 1);
  // s.3.3: Bob adds Cathy through the Hub.
  expect(await mimi.text("bob-laptop", "room", "add", ROOM, CATHY)).toBe(`added to ${ROOM} (epoch 2)\n`);
  await devices.syncToEpoch(["alice", "bob-phone", "cathy-laptop"], 2);

  // s.3.4: Cathy's message, then a reply, a reaction, an edit and a delete.
  const hello = await devices.messageId("cathy-laptop", "send", ROOM, "Hello **everyone**");
  await devices.syncToMessage(
    ["alice", "bob-laptop", "bob-phone"],
    "Cathy's message",
    (message) => message.messageId === hello && message.text === "Hello **everyone**" && message.sender === CATHY,
  );
  const reply = await devices.messageId("bob-laptop", "send", ROOM, "Hi Cathy", "--reply-to", hello);
  await disrupt("Bob replied");
  const like = await devices.messageId("alice", "react", ROOM, hello, "👍");
  await devices.syncToMessage(["bob-laptop"], "Alice's reaction", (message) =>
    message.reactions.some((reaction) => reaction.messageId === like),
  );
  await disrupt("Alice reacted");
  await devices.syncToMessage(["cathy-laptop"], "Alice's reaction", (message) =>
    message.reactions.some((reaction) => reaction.messageId === like),
  );
  await devices.messageId("cathy-laptop", "edit", ROOM, hello, "Hello everyone!");
  const typo = await devices.messageId("bob-phone", "send", ROOM, "tpyo");
  await devices.messageId("bob-phone", "delete", ROOM, typo);

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
      messageId: reply,
      sender: BOB,
      text: "Hi Cathy",
      inReplyTo: hello,
      reactions: [],
      edited: false,
      deleted: false,
    },
    { messageId: typo, sender: BOB, text: null, inReplyTo: null, reactions: [], edited: false, deleted: true },
  ];
  const everyone = ["alice", "bob-laptop", "bob-phone", "cathy-laptop"];
  await Promise.all(
    everyone.map((name) =>
      devices.syncUntil(name, "the whole conversation", async () => {
        // The Hub accepted the delete last; whoever has it has the rest.
        const messages = await devices.conversation(name);
        return messages.length === expected.length && messages.at(-1)?.deleted === true;
      }),
    ),
  );
  const conversations = await Promise.all(everyone.map((name) => devices.conversation(name)));
  for (const conversation of conversations) {
    expect(withoutAcceptedAt(conversation)).toEqual(expected);
    // The same Hub order and accepted times on every device.
    expect(conversation).toEqual(conversations[0]);
  }

  // s.3.5: Bob leaves; the Hub keeps his proposals for the next commit, which Cathy makes.
  expect(await mimi.text("bob-laptop", "room", "leave", ROOM)).toBe(`leaving ${ROOM} (epoch 2)\n`);
  await disrupt("Bob left");
  await devices.syncUntil(
    "cathy-laptop",
    "Bob's leave proposals",
    async () => (await devices.info("cathy-laptop")).pendingProposals === 3,
  );
  expect(await mimi.text("cathy-laptop", "room", "commit", ROOM)).toBe(`committed ${ROOM} (epoch 3)\n`);
  await Promise.all(
    ["bob-laptop", "bob-phone"].map((name) =>
      devices.syncUntil(name, "its removal", async () => (await devices.room(name))?.active === false),
    ),
  );
  await devices.syncToEpoch(["alice"], 3);

  // s.3.6: Cathy's phone joins by external commit, with the GroupInfo the Hub gives it.
  await devices.register("cathy-phone", CATHY, "phone", "cathy-laptop");
  expect(await mimi.text("cathy-phone", "room", "join", ROOM)).toBe(`joined ${ROOM} (epoch 4)\n`);
  await devices.syncToEpoch(["alice", "cathy-laptop"], 4);
  const welcome = await devices.messageId("alice", "send", ROOM, "Welcome, Cathy's phone");
  await devices.syncToMessage(
    ["cathy-laptop", "cathy-phone"],
    "Alice's welcome",
    (message) => message.messageId === welcome,
  );
  for (const name of ["alice", "cathy-laptop", "cathy-phone"]) {
    expect((await devices.conversation(name)).at(-1)).toMatchObject({
      messageId: welcome,
      sender: ALICE,
      text: "Welcome, Cathy's phone",
    });
  }
  // The phone took the leftmost free leaf, one of Bob's: clients are listed in leaf order.
  expect(await mimi.json("alice", "room", "info", ROOM)).toMatchObject({
    epoch: "4",
    participants: [
      { userUri: ALICE, clients: ["mimi://a.example/d/alice/laptop"] },
      { userUri: CATHY, clients: ["mimi://c.example/d/cathy/phone", "mimi://c.example/d/cathy/laptop"] },
    ],
  });
}

/** The first run's checkpoints: nothing happens to the providers. */
const undisturbed = async (_checkpoint: Checkpoint): Promise<void> => {};

/** Polls the provider's log until a line `matches` (the line as JSON). */
async function untilLogged(
  providers: ServedProviders,
  domain: string,
  what: string,
  matches: (line: Record<string, unknown>) => boolean,
): Promise<void> {
  for (let poll = 0; poll < LOG_POLLS; poll += 1) {
    const log = await providers.log(domain);
    // Complete lines only: the provider may be writing the last one.
    const lines = log
      .slice(0, log.lastIndexOf("\n"))
      .split("\n")
      .filter((line) => line.startsWith("{"));
    if (lines.some((line) => matches(JSON.parse(line) as Record<string, unknown>))) return;
    await new Promise((resolve) => setTimeout(resolve, LOG_POLL_MS));
  }
  throw new Error(`${domain} did not log ${what}`);
}

describe("protocol-06 s.3 with real processes: the mimi command on three providers", () => {
  it(
    "runs on mimi-hub devnet, which stops every provider on SIGTERM",
    async () => {
      const dir = join(directory.path, "devnet");
      const basePort = await freeBasePort(DOMAINS.length);
      const devnet = await DevnetProcess.start(processes, dir, basePort, DOMAINS);
      expect(devnet.readyLines).toEqual(
        DOMAINS.map((domain, index) => `${domain} https://127.0.0.1:${basePort + index}`),
      );
      await clubhouse(new Devices(devnet, join(dir, "homes")), undisturbed);
      expect(await devnet.stop()).toEqual({ code: 0, signal: null });
    },
    RUN_GUARD_MS,
  );

  it(
    "loses nothing the providers accepted when all three are killed (SIGKILL) and started again mid-run",
    async () => {
      const dir = join(directory.path, "served");
      const providers = await ServedProviders.start(processes, dir, await freeBasePort(DOMAINS.length), DOMAINS);
      const killAll = async () => {
        for (const domain of DOMAINS) expect(await providers.kill(domain)).toEqual({ code: null, signal: "SIGKILL" });
      };
      const startAll = async () => {
        for (const domain of DOMAINS) await providers.startProvider(domain);
      };
      await clubhouse(new Devices(providers, join(dir, "homes")), async (checkpoint) => {
        if (checkpoint === "Bob replied") {
          // c.example goes down before Alice's reaction is accepted: its fan-out can only wait in a.example's queue.
          expect(await providers.kill("c.example")).toEqual({ code: null, signal: "SIGKILL" });
        } else if (checkpoint === "Alice reacted") {
          // The reaction is accepted (the Hub answered), b.example has it (Bob's laptop read it), and a.example
          // has tried c.example and failed. Now a.example and b.example die too, with Bob's reply and Alice's
          // reaction unread in Alice's and Bob's phone's inboxes.
          await untilLogged(
            providers,
            "a.example",
            "a failed delivery to c.example",
            (line) =>
              line.msg === "delivery failed; will retry" &&
              line.peer === "c.example" &&
              line.path === `/notify/${encodeURIComponent(ROOM)}`,
          );
          for (const domain of ["a.example", "b.example"]) {
            expect(await providers.kill(domain)).toEqual({ code: null, signal: "SIGKILL" });
          }
          await startAll();
        } else {
          // Bob's leave proposals are accepted: the Hub must still hold them after the restart.
          await killAll();
          await startAll();
        }
      });
    },
    RUN_GUARD_MS,
  );
});
