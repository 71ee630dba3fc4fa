/**
 * mimi-sim: one room run in-process, its members on the member API
 * (roomMember.ts) and its Hub on the Hub's enforcement (hubRoom.ts), every
 * bundle, fan-out and message through its wire encoding. The plan, for N
 * users (user i at b.example, c.example or d.example in turn, two clients
 * each) in a strictly administered room (room-policy-03 Appendix A.2) that
 * Alice (mimi://a.example/u/alice, one client, super admin) creates:
 *
 * 1. create: the room, and the Hub's room from Alice's GroupInfo and tree;
 * 2. add: Alice adds the N users in batches of ceil(N / 4), one commit each;
 * 3. roles: one commit promoting ceil(N / 10) users to group_admin and
 *    banning one more (which removes its clients);
 * 4. metadata: the first admin renames the room;
 * 5. remove: the first admin removes floor(N / 3) of the ordinary users;
 * 6. rejoin: the first admin puts one removed user back on the participant
 *    list, and that user's new client joins by external commit from
 *    groupInfoFor;
 * 7. messages: max(3, ceil(N / 10)) messages from clients of the room, each
 *    decrypted by every other client.
 *
 * Each phase also tries one thing the policy forbids, which the Hub must
 * refuse with notAllowed: an ordinary user adding someone, promoting itself,
 * renaming the room, a message claiming a removed user, the banned user's new
 * client joining, a message claiming the banned user. After every accepted
 * commit the Hub's GroupContext and tree hash are compared with every
 * client's. So N needs at least 3 users, and the room has
 * ceil(N / ceil(N / 4)) + 5 epochs.
 *
 * The seed decides the order users are added in, who is promoted, banned,
 * removed and put back, who tries the violations, who sends the messages and
 * what they say; key generation is random, and so are the bytes of every
 * message, but not what the Hub decides. The Hub's clock starts at a fixed
 * time and advances 1 ms per request.
 */
import { decode, encode } from "@mimi-ts/codec";
import {
  type FanoutMessage,
  fanoutMessage,
  groupInfoRatchetTreeTbe,
  type HandshakeBundle,
  handshakeBundle,
  Protocol,
  type SubmitMessageRequest,
  SubmitResponseCode,
  submitMessageRequest,
  UpdateResponseCode,
} from "@mimi-ts/protocol";
import { type ExternalSender, getCiphersuiteFromName, getCiphersuiteImpl, type MLSMessage } from "ts-mls";
import { encodeGroupContext } from "ts-mls/groupContext.js";
import { treeHashRoot } from "ts-mls/treeHash.js";
import { constantTimeEqual } from "ts-mls/util/constantTimeCompare.js";
import { appDataUpdateProposal, forgedCommit, forgedExternalJoin } from "./forgedHandshakes.js";
import {
  type CommitAccepted,
  createHubRoom,
  groupInfoFor,
  type HubRoom,
  handleSubmitMessage,
  handleUpdate,
  roomCreationOf,
  type SubmitOutcome,
  type UpdateOutcome,
} from "./hubRoom.js";
import { buildClientUri, parseClientUri } from "./identity.js";
import {
  addUsersUpdate,
  changeRolesUpdate,
  metadataUpdate,
  PresetRoleIndex,
  strictlyAdministeredRoles,
} from "./roomBuilder.js";
import {
  addUsers,
  type ClientKeyPackage,
  type CommitResult,
  changeRoles,
  createRoom,
  joinByExternalCommit,
  joinRoom,
  newClientKeyPackage,
  type Outcome,
  processHandshake,
  type Room,
  RoomCipherSuite,
  receiveMessage,
  removeUsers,
  roomInfo,
  sendMessage,
  updateMetadata,
} from "./roomMember.js";

export const simulationPhases = ["create", "add", "roles", "metadata", "remove", "rejoin", "messages"] as const;
export type SimulationPhase = (typeof simulationPhases)[number];

export interface SimulationOptions {
  /** N, the users added besides Alice; at least 3 */
  readonly members: number;
  /** decides the choices of the plan (see above); a uint32 */
  readonly seed: number;
}

export interface SimulationReport {
  readonly members: number;
  readonly seed: number;
  /** commits the Hub accepted: the room's epoch at the end */
  readonly epochs: number;
  /** epochs after which the Hub's GroupContext bytes and tree hash equalled every client's */
  readonly hubMatchedMembers: number;
  /** policy violations tried */
  readonly violationsAttempted: number;
  /** of them, those the Hub refused with notAllowed */
  readonly rejectedAsExpected: number;
  /** application messages the Hub accepted and every other client decrypted */
  readonly messages: number;
  /** wall-clock milliseconds per phase */
  readonly ms: Readonly<Record<SimulationPhase, number>>;
}

/** The fewest users the plan works with: one to promote, one to ban, one ordinary user to remove. */
export const MINIMUM_MEMBERS = 3;

const HUB_DOMAIN = "a.example";
const ROOM_URI = `mimi://${HUB_DOMAIN}/r/simulation`;
const ALICE = `mimi://${HUB_DOMAIN}/u/alice`;
const USER_DOMAINS = ["b.example", "c.example", "d.example"] as const;
const CLOCK_START = 1_767_225_600_000;

/** mulberry32: a small deterministic generator of uint32s from the seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}

function pick<T>(items: readonly T[], next: () => number): T {
  const item = items[next() % items.length];
  if (item === undefined) throw new RangeError("nothing to pick from");
  return item;
}

function userUri(index: number): string {
  return `mimi://${USER_DOMAINS[index % USER_DOMAINS.length]}/u/user${index}`;
}

function describeError(outcome: Outcome<unknown>): string {
  if (outcome.ok) return "ok";
  const { error } = outcome;
  return error.kind === "refused" ? error.refusals.map((refusal) => refusal.reason).join("; ") : error.reason;
}

function accepted<T>(what: string, outcome: Outcome<T>): T {
  if (!outcome.ok) throw new Error(`${what}: ${describeError(outcome)}`);
  return outcome;
}

function overTheWire(bundle: HandshakeBundle): HandshakeBundle {
  return decode(handshakeBundle, encode(handshakeBundle, bundle));
}

function fanoutOverTheWire(message: FanoutMessage): FanoutMessage {
  return decode(fanoutMessage, encode(fanoutMessage, message));
}

function requestOverTheWire(request: SubmitMessageRequest): SubmitMessageRequest {
  return decode(submitMessageRequest, encode(submitMessageRequest, request));
}

/** The simulation's state: the Hub's room, every active client's room, and the counts. */
interface World {
  hubRoom: HubRoom;
  readonly clients: Map<string, Room>;
  clock: number;
  epochs: number;
  hubMatchedMembers: number;
  violationsAttempted: number;
  rejectedAsExpected: number;
  messages: number;
}

function now(world: World): number {
  world.clock += 1;
  return world.clock;
}

function roomOf(world: World, clientUri: string): Room {
  const room = world.clients.get(clientUri);
  if (room === undefined) throw new Error(`${clientUri} is not in the room`);
  return room;
}

/** The Hub's GroupContext and tree hash are every client's. */
async function hubMatches(world: World): Promise<boolean> {
  const { groupContext, ratchetTree } = world.hubRoom.group;
  const hash = world.hubRoom.options.cipherSuite.hash;
  const context = encodeGroupContext(groupContext);
  const treeHash = await treeHashRoot(ratchetTree, hash);
  for (const room of world.clients.values()) {
    if (!constantTimeEqual(encodeGroupContext(room.state.groupContext), context)) return false;
    if (!constantTimeEqual(await treeHashRoot(room.state.ratchetTree, hash), treeHash)) return false;
  }
  return true;
}

/**
 * The Hub decides a member's commit; on success the committer keeps its
 * room, every other client processes the fanned-out commit (removed ones
 * leave), the new clients join from their provider's Welcome, and the Hub
 * is compared with everyone.
 */
async function commit(
  world: World,
  committer: string,
  result: CommitResult,
  joiners: ReadonlyMap<string, ClientKeyPackage> = new Map(),
): Promise<CommitAccepted> {
  const outcome = await handleUpdate(world.hubRoom, overTheWire(result.bundle), { now: now(world) });
  if (!outcome.accepted) throw new Error(`the Hub refused ${committer}'s commit: ${outcome.reason}`);
  if (outcome.kind !== "commit") throw new Error("the Hub took a commit for proposals");
  world.hubRoom = outcome.hubRoom;
  world.epochs += 1;
  const { message } = fanoutOverTheWire(outcome.fanout.message).content;
  for (const [clientUri, room] of world.clients) {
    if (clientUri === committer) continue;
    const processed = accepted(`${clientUri} processing the commit`, await processHandshake(room, message));
    if (processed.removed) world.clients.delete(clientUri);
    else world.clients.set(clientUri, processed.room);
  }
  world.clients.set(committer, result.room);
  for (const delivery of outcome.welcomes) {
    const { content } = fanoutOverTheWire(delivery.message);
    if (content.message.wireformat !== "mls_welcome" || !("ratchetTreeOption" in content)) {
      throw new Error("the Hub fanned out something else as a Welcome");
    }
    for (const added of outcome.membership.addedClients) {
      const keyPackage = joiners.get(added.clientUri);
      const identity = parseClientUri(added.clientUri);
      if (keyPackage === undefined || !identity.ok || identity.identity.domain !== delivery.domain) continue;
      const joined = await joinRoom({
        welcome: content.message.welcome,
        ratchetTreeOption: content.ratchetTreeOption,
        keyPackage,
      });
      world.clients.set(added.clientUri, accepted(`${added.clientUri} joining`, joined).room);
    }
  }
  if (await hubMatches(world)) world.hubMatchedMembers += 1;
  return outcome;
}

/** Tries a violation; counts it, and counts it refused when the Hub answered notAllowed. */
async function violation(world: World, attempt: () => Promise<UpdateOutcome | SubmitOutcome>): Promise<void> {
  world.violationsAttempted += 1;
  const outcome = await attempt();
  if (outcome.accepted) return;
  const code = "responseCode" in outcome.response ? outcome.response.responseCode : outcome.response.result.statusCode;
  const notAllowed = "responseCode" in outcome.response ? UpdateResponseCode.notAllowed : SubmitResponseCode.notAllowed;
  if (code === notAllowed) world.rejectedAsExpected += 1;
}

async function submit(world: World, clientUri: string, sendingUri: string, text: string): Promise<SubmitOutcome> {
  const sent = accepted(
    `${clientUri} sending`,
    await sendMessage(roomOf(world, clientUri), new TextEncoder().encode(text)),
  );
  world.clients.set(clientUri, sent.room);
  return handleSubmitMessage(
    world.hubRoom,
    requestOverTheWire({ protocol: Protocol.mls10, appMessage: sent.message, sendingUri }),
    { now: now(world) },
  );
}

/** Every other client decrypts the fanned-out message and reads `text`. */
async function deliverMessage(world: World, sender: string, message: MLSMessage, text: string): Promise<void> {
  const expected = new TextEncoder().encode(text);
  for (const [clientUri, room] of world.clients) {
    if (clientUri === sender) continue;
    const got = accepted(`${clientUri} receiving`, await receiveMessage(room, message));
    if (!constantTimeEqual(got.content, expected)) throw new Error(`${clientUri} read another message`);
    world.clients.set(clientUri, got.room);
  }
}

/** The first client of one of the `ordinary` users that is in the room. */
function ordinaryClient(world: World, ordinary: readonly string[], next: () => number): string {
  const candidates = ordinary.filter((user) => world.clients.has(buildClientUri(user, "1")));
  return buildClientUri(pick(candidates, next), "1");
}

async function timed<T>(ms: Record<SimulationPhase, number>, phase: SimulationPhase, run: () => Promise<T>) {
  const started = performance.now();
  const result = await run();
  ms[phase] = Math.round((performance.now() - started) * 10) / 10;
  return result;
}

/** Runs the plan above; throws when a valid step is refused (by a member or the Hub). */
export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const { members: count, seed } = options;
  if (!Number.isSafeInteger(count) || count < MINIMUM_MEMBERS) {
    throw new RangeError(`members must be an integer of at least ${MINIMUM_MEMBERS}, got ${count}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be a uint32, got ${seed}`);
  }
  const next = random(seed);
  const ms = Object.fromEntries(simulationPhases.map((phase) => [phase, 0])) as Record<SimulationPhase, number>;
  const aliceClient = buildClientUri(ALICE, "1");

  const world = await timed(ms, "create", async () => {
    const cs = await getCiphersuiteImpl(getCiphersuiteFromName(RoomCipherSuite.x25519));
    const hubKeys = await cs.signature.keygen();
    const hub: ExternalSender = {
      signaturePublicKey: hubKeys.publicKey,
      credential: { credentialType: "basic", identity: new TextEncoder().encode(`mimi://${HUB_DOMAIN}`) },
    };
    const alice = await createRoom({
      roomUri: ROOM_URI,
      creator: await newClientKeyPackage(aliceClient),
      hubExternalSender: hub,
      roles: strictlyAdministeredRoles(),
      name: "Simulation",
    });
    const created = await createHubRoom(await roomCreationOf(alice), { hub });
    if (!created.ok) throw new Error(`the Hub refused the room: ${created.reason}`);
    const state: World = {
      hubRoom: created.hubRoom,
      clients: new Map([[aliceClient, alice]]),
      clock: CLOCK_START,
      epochs: 0,
      hubMatchedMembers: 0,
      violationsAttempted: 0,
      rejectedAsExpected: 0,
      messages: 0,
    };
    return state;
  });

  const users = shuffled(
    Array.from({ length: count }, (_, i) => userUri(i + 1)),
    next,
  );
  await timed(ms, "add", async () => {
    const batch = Math.ceil(count / 4);
    for (let from = 0; from < users.length; from += batch) {
      const newUsers = users.slice(from, from + batch);
      const keyPackages = new Map<string, ClientKeyPackage>();
      for (const user of newUsers) {
        for (const client of ["1", "2"]) {
          const clientUri = buildClientUri(user, client);
          keyPackages.set(clientUri, await newClientKeyPackage(clientUri));
        }
      }
      const participants = newUsers.map((user) => ({
        userUri: user,
        roleIndex: PresetRoleIndex.ordinaryUser,
        keyPackages: ["1", "2"].flatMap((client) => keyPackages.get(buildClientUri(user, client))?.publicPackage ?? []),
      }));
      const added = accepted("adding users", await addUsers(roomOf(world, aliceClient), participants));
      await commit(world, aliceClient, added, keyPackages);
    }
    const violator = ordinaryClient(world, users, next);
    const stranger = buildClientUri("mimi://e.example/u/stranger", "1");
    const strangerPackage = await newClientKeyPackage(stranger);
    await violation(world, async () => {
      const room = roomOf(world, violator);
      const bundle = await forgedCommit(room, [
        appDataUpdateProposal(addUsersUpdate([{ user: "mimi://e.example/u/stranger", roleIndex: 2 }])),
        { proposalType: "add", add: { keyPackage: strangerPackage.publicPackage } },
      ]);
      return handleUpdate(world.hubRoom, overTheWire(bundle), { now: now(world) });
    });
  });

  const promoted = users.slice(0, Math.ceil(count / 10));
  const banned = users[promoted.length] as string;
  let ordinary = users.slice(promoted.length + 1);
  const admin = buildClientUri(promoted[0] as string, "1");
  await timed(ms, "roles", async () => {
    const changes = [
      ...promoted.map((user) => ({ userUri: user, roleIndex: PresetRoleIndex.groupAdmin })),
      { userUri: banned, roleIndex: PresetRoleIndex.banned },
    ];
    await commit(
      world,
      aliceClient,
      accepted("changing roles", await changeRoles(roomOf(world, aliceClient), changes)),
    );
    const violator = ordinaryClient(world, ordinary, next);
    await violation(world, async () => {
      const room = roomOf(world, violator);
      const self = roomInfo(room).self?.userUri ?? "";
      const update = changeRolesUpdate(roomInfo(room).state, [{ user: self, roleIndex: PresetRoleIndex.groupAdmin }]);
      const bundle = await forgedCommit(room, [appDataUpdateProposal(update)]);
      return handleUpdate(world.hubRoom, overTheWire(bundle), { now: now(world) });
    });
  });

  await timed(ms, "metadata", async () => {
    const name = `Room ${next() % 1000}`;
    const renamed = accepted("renaming", await updateMetadata(roomOf(world, admin), { roomName: name }));
    await commit(world, admin, renamed);
    const violator = ordinaryClient(world, ordinary, next);
    await violation(world, async () => {
      const room = roomOf(world, violator);
      const update = metadataUpdate(roomInfo(room).state, { roomName: "Taken over" });
      const bundle = await forgedCommit(room, [appDataUpdateProposal(update)]);
      return handleUpdate(world.hubRoom, overTheWire(bundle), { now: now(world) });
    });
  });

  const removed = shuffled(ordinary, next).slice(0, Math.floor(count / 3));
  ordinary = ordinary.filter((user) => !removed.includes(user));
  await timed(ms, "remove", async () => {
    await commit(world, admin, accepted("removing users", await removeUsers(roomOf(world, admin), removed)));
    const claimant = pick([...world.clients.keys()], next);
    await violation(world, () => submit(world, claimant, pick(removed, next), "not me"));
  });

  await timed(ms, "rejoin", async () => {
    const returning = pick(removed, next);
    const readded = accepted(
      "putting a user back",
      await addUsers(roomOf(world, admin), [
        { userUri: returning, roleIndex: PresetRoleIndex.ordinaryUser, keyPackages: [] },
      ]),
    );
    await commit(world, admin, readded);
    const newClient = buildClientUri(returning, "3");
    const tbe = decode(groupInfoRatchetTreeTbe, encode(groupInfoRatchetTreeTbe, groupInfoFor(world.hubRoom)));
    const joined = accepted(
      "joining by external commit",
      await joinByExternalCommit({
        groupInfo: tbe.groupInfo,
        ratchetTreeOption: tbe.ratchetTreeOption,
        keyPackage: await newClientKeyPackage(newClient),
      }),
    );
    await commit(world, newClient, joined);
    ordinary = [...ordinary, returning];
    const bannedClient = await newClientKeyPackage(buildClientUri(banned, "3"));
    await violation(world, async () => {
      const info = groupInfoFor(world.hubRoom);
      const bundle = await forgedExternalJoin(info.groupInfo, info.ratchetTreeOption, bannedClient);
      return handleUpdate(world.hubRoom, overTheWire(bundle), { now: now(world) });
    });
  });

  await timed(ms, "messages", async () => {
    const total = Math.max(3, Math.ceil(count / 10));
    for (let i = 0; i < total; i++) {
      const sender = pick([...world.clients.keys()], next);
      const text = `message ${i}: ${next().toString(36)}`;
      const room = roomOf(world, sender);
      const outcome = await submit(world, sender, roomInfo(room).self?.userUri ?? "", text);
      if (!outcome.accepted) throw new Error(`the Hub refused ${sender}'s message: ${outcome.reason}`);
      const { content } = fanoutOverTheWire(outcome.fanout.message);
      await deliverMessage(world, sender, content.message, text);
      world.messages += 1;
    }
    const claimant = pick([...world.clients.keys()], next);
    await violation(world, () => submit(world, claimant, banned, "banned, yet here"));
  });

  return {
    members: count,
    seed,
    epochs: world.epochs,
    hubMatchedMembers: world.hubMatchedMembers,
    violationsAttempted: world.violationsAttempted,
    rejectedAsExpected: world.rejectedAsExpected,
    messages: world.messages,
    ms,
  };
}
