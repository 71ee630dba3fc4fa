/**
 * The Hub's enforcement against the members themselves: random sequences of
 * valid room operations through the member API, each decided by the Hub and
 * fanned out to every client, after each of which the Hub's GroupContext and
 * tree hash must be every client's; and, before any step, a random invalid
 * input that the Hub must refuse without changing its state.
 */
import { decode, encode } from "@mimi-ts/codec";
import {
  groupInfoRatchetTreeTbe,
  type HandshakeBundle,
  Protocol,
  SubmitResponseCode,
  UpdateResponseCode,
} from "@mimi-ts/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { appDataUpdateProposal, forgedCommit } from "./forgedHandshakes.js";
import {
  type CommitAccepted,
  createHubRoom,
  decodeHubRoom,
  encodeHubRoom,
  groupInfoFor,
  type HubRoom,
  handleSubmitMessage,
  handleUpdate,
  roomCreationOf,
} from "./hubRoom.js";
import { metadataUpdate, PresetRoleIndex, strictlyAdministeredRoles } from "./roomBuilder.js";
import {
  addUsers,
  type ClientKeyPackage,
  type CommitResult,
  changeRoles,
  commitPending,
  createRoom,
  joinByExternalCommit,
  leave,
  type Room,
  receiveMessage,
  removeUsers,
  roomInfo,
  sendMessage,
  updateMetadata,
} from "./roomMember.js";
import {
  bundleOverTheWire,
  deliverFanout,
  expectCommitAccepted,
  expectHubAgrees,
  expectProposalsAccepted,
  expectRefused,
  fanoutOverTheWire,
  joinFromWelcomes,
  submitOverTheWire,
} from "./test-support/hubWorld.js";
import { alice, clientOf, clubhouse, expectOk, keyPackage, newHub } from "./test-support/members.js";

const domains = ["b.example", "c.example", "d.example"] as const;
const aliceClient = clientOf(alice, 1);

interface World {
  hubRoom: HubRoom;
  /** every client in the group, by client URI */
  clients: Map<string, Room>;
  nextUser: number;
  now: number;
  lastCommit: HandshakeBundle | undefined;
}

function roomOf(world: World, clientUri: string): Room {
  const room = world.clients.get(clientUri);
  if (room === undefined) throw new Error(`${clientUri} is not in the group`);
  return room;
}

function participants(world: World) {
  return roomInfo(roomOf(world, aliceClient)).participants.filter((participant) => participant.userUri !== alice);
}

function setRooms(world: World, clientUris: readonly string[], rooms: readonly Room[]): void {
  for (const [i, clientUri] of clientUris.entries()) world.clients.set(clientUri, rooms[i] as Room);
}

function tick(world: World): number {
  world.now += 1;
  return world.now;
}

/** The Hub decides a commit; the others process it, the new clients join, and all agree with the Hub. */
async function commitThroughHub(
  world: World,
  committer: string,
  result: CommitResult,
  joiners: readonly ClientKeyPackage[] = [],
): Promise<CommitAccepted> {
  const accepted = expectCommitAccepted(
    await handleUpdate(world.hubRoom, bundleOverTheWire(result.bundle), { now: tick(world) }),
  );
  world.hubRoom = accepted.hubRoom;
  world.lastCommit = result.bundle;
  const others = [...world.clients.keys()].filter((clientUri) => clientUri !== committer);
  const removed = new Set(accepted.membership.removedClients.map((member) => member.clientUri));
  const staying = others.filter((clientUri) => !removed.has(clientUri));
  const processed = await deliverFanout(
    staying.map((clientUri) => roomOf(world, clientUri)),
    accepted.fanout.message,
  );
  for (const clientUri of removed) world.clients.delete(clientUri);
  setRooms(world, staying, processed);
  world.clients.set(committer, result.room);
  for (const welcome of accepted.welcomes) {
    const own = joiners.filter((joiner) => clientUriOf(joiner).startsWith(`mimi://${welcome.domain}/`));
    const joined = await joinFromWelcomes(accepted.welcomes, welcome.domain, own);
    setRooms(world, own.map(clientUriOf), joined);
  }
  await expectHubAgrees(world.hubRoom, [...world.clients.values()]);
  return accepted;
}

function clientUriOf(keyPackage: ClientKeyPackage): string {
  const { credential } = keyPackage.publicPackage.leafNode;
  if (credential.credentialType !== "basic") throw new Error("not a basic credential");
  return new TextDecoder().decode(credential.identity);
}

type StepKind = "addUser" | "removeUser" | "promote" | "rename" | "leave" | "message" | "externalJoin";
type InvalidKind = "flipped" | "replayed" | "unauthorized" | "stranger";

interface Step {
  readonly kind: StepKind;
  readonly pick: number;
  readonly invalid: InvalidKind | undefined;
}

async function valid(world: World, step: Step): Promise<void> {
  const { pick } = step;
  const ordinary = participants(world).filter((participant) => participant.roleIndex === PresetRoleIndex.ordinaryUser);
  switch (step.kind) {
    case "addUser": {
      world.nextUser += 1;
      const user = `mimi://${domains[pick % domains.length]}/u/user${world.nextUser}`;
      const keyPackages = await Promise.all(Array.from({ length: 1 + (pick % 2) }, (_, i) => keyPackage(user, i + 1)));
      const added = expectOk(
        await addUsers(roomOf(world, aliceClient), [
          {
            userUri: user,
            roleIndex: PresetRoleIndex.ordinaryUser,
            keyPackages: keyPackages.map((kp) => kp.publicPackage),
          },
        ]),
      );
      await commitThroughHub(world, aliceClient, added, keyPackages);
      return;
    }
    case "removeUser": {
      const target = ordinary[pick % Math.max(1, ordinary.length)];
      if (target === undefined) return;
      const removed = expectOk(await removeUsers(roomOf(world, aliceClient), [target.userUri]));
      await commitThroughHub(world, aliceClient, removed);
      return;
    }
    case "promote": {
      const target = ordinary[pick % Math.max(1, ordinary.length)];
      if (target === undefined) return;
      const changed = expectOk(
        await changeRoles(roomOf(world, aliceClient), [
          { userUri: target.userUri, roleIndex: PresetRoleIndex.groupAdmin },
        ]),
      );
      await commitThroughHub(world, aliceClient, changed);
      return;
    }
    case "rename": {
      const renamed = expectOk(await updateMetadata(roomOf(world, aliceClient), { roomName: `Room ${pick}` }));
      await commitThroughHub(world, aliceClient, renamed);
      return;
    }
    case "leave": {
      const leaver = ordinary.find((participant) => participant.clients.length > 0 && pick % 2 === 0) ?? ordinary[0];
      const leaving = leaver?.clients[0];
      if (leaving === undefined) return;
      const left = expectOk(await leave(roomOf(world, leaving)));
      const proposed = expectProposalsAccepted(
        await handleUpdate(world.hubRoom, bundleOverTheWire(left.bundle), { now: tick(world) }),
      );
      world.hubRoom = proposed.hubRoom;
      const others = [...world.clients.keys()].filter((clientUri) => clientUri !== leaving);
      const seen = await deliverFanout(
        others.map((clientUri) => roomOf(world, clientUri)),
        proposed.fanout.message,
      );
      setRooms(world, others, seen);
      world.clients.set(leaving, left.room);
      await commitThroughHub(world, aliceClient, expectOk(await commitPending(roomOf(world, aliceClient))));
      return;
    }
    case "message": {
      const senders = [...world.clients.keys()];
      const sender = senders[pick % senders.length] as string;
      const body = new TextEncoder().encode(`message ${pick}`);
      const sent = expectOk(await sendMessage(roomOf(world, sender), body));
      world.clients.set(sender, sent.room);
      const userUri = roomInfo(sent.room).self?.userUri ?? "";
      const outcome = handleSubmitMessage(
        world.hubRoom,
        submitOverTheWire({ protocol: Protocol.mls10, appMessage: sent.message, sendingUri: userUri }),
        { now: tick(world) },
      );
      if (!outcome.accepted) return expect.fail(`the Hub refused a message: ${outcome.reason}`);
      const { message } = fanoutOverTheWire(outcome.fanout.message).content;
      for (const clientUri of senders.filter((candidate) => candidate !== sender)) {
        const got = expectOk(await receiveMessage(roomOf(world, clientUri), message));
        expect(got.content).toEqual(body);
        world.clients.set(clientUri, got.room);
      }
      return;
    }
    case "externalJoin": {
      const joiner = participants(world)[pick % Math.max(1, participants(world).length)];
      if (joiner === undefined) return;
      world.nextUser += 1;
      const kp = await keyPackage(joiner.userUri, 10 + world.nextUser);
      const info = decode(groupInfoRatchetTreeTbe, encode(groupInfoRatchetTreeTbe, groupInfoFor(world.hubRoom)));
      const joined = expectOk(
        await joinByExternalCommit({
          groupInfo: info.groupInfo,
          ratchetTreeOption: info.ratchetTreeOption,
          keyPackage: kp,
        }),
      );
      await commitThroughHub(world, clientUriOf(kp), joined);
      return;
    }
  }
}

function flipSignature(bundle: HandshakeBundle): HandshakeBundle {
  const message = bundle.proposalOrCommit;
  if (message.wireformat !== "mls_public_message") throw new Error("not a PublicMessage");
  const signature = message.publicMessage.auth.signature.map((byte, i) => (i === 3 ? byte ^ 0x80 : byte));
  return {
    ...bundle,
    proposalOrCommit: {
      ...message,
      publicMessage: { ...message.publicMessage, auth: { ...message.publicMessage.auth, signature } },
    },
  };
}

/** Tries an invalid input; the Hub refuses it with the expected code and its state is as before. */
async function invalid(world: World, kind: InvalidKind): Promise<void> {
  const before = encodeHubRoom(world.hubRoom);
  const now = tick(world);
  switch (kind) {
    case "flipped": {
      const renamed = expectOk(await updateMetadata(roomOf(world, aliceClient), { roomName: "Flipped" }));
      const refused = expectRefused(await handleUpdate(world.hubRoom, flipSignature(renamed.bundle), { now }));
      expect(refused.response.responseCode).toBe(UpdateResponseCode.notAllowed);
      break;
    }
    case "replayed": {
      if (world.lastCommit === undefined) return;
      const refused = expectRefused(await handleUpdate(world.hubRoom, world.lastCommit, { now }));
      expect(refused.response).toMatchObject({
        responseCode: UpdateResponseCode.wrongEpoch,
        currentEpoch: world.hubRoom.group.groupContext.epoch,
      });
      break;
    }
    case "unauthorized": {
      const ordinary = participants(world).find(
        (participant) => participant.roleIndex === PresetRoleIndex.ordinaryUser && participant.clients.length > 0,
      );
      const client = ordinary?.clients[0];
      if (client === undefined) return;
      const room = roomOf(world, client);
      const forged = await forgedCommit(room, [
        appDataUpdateProposal(metadataUpdate(roomInfo(room).state, { roomName: "Not yours" })),
      ]);
      const refused = expectRefused(await handleUpdate(world.hubRoom, forged, { now }));
      expect(refused.response.responseCode).toBe(UpdateResponseCode.notAllowed);
      expect(refused.refusals.map((refusal) => refusal.code)).toContain("capability-missing");
      break;
    }
    case "stranger": {
      const sent = expectOk(await sendMessage(roomOf(world, aliceClient), new TextEncoder().encode("who?")));
      world.clients.set(aliceClient, sent.room);
      const outcome = handleSubmitMessage(
        world.hubRoom,
        { protocol: Protocol.mls10, appMessage: sent.message, sendingUri: "mimi://e.example/u/stranger" },
        { now },
      );
      expect(outcome.accepted).toBe(false);
      expect(outcome.response.result.statusCode).toBe(SubmitResponseCode.notAllowed);
      break;
    }
  }
  expect(encodeHubRoom(world.hubRoom)).toEqual(before);
}

const stepArbitrary: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom<StepKind>("addUser", "removeUser", "promote", "rename", "leave", "message", "externalJoin"),
  pick: fc.nat(1000),
  invalid: fc.option(fc.constantFrom<InvalidKind>("flipped", "replayed", "unauthorized", "stranger"), {
    nil: undefined,
  }),
});

describe("the Hub against its members", () => {
  it("random valid sequences keep the Hub's view equal to every member's; invalid inputs change nothing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 2, maxLength: 7 }), async (steps) => {
        const hub = await newHub();
        const creator = await keyPackage(alice, 1);
        const room = await createRoom({
          roomUri: clubhouse,
          creator,
          hubExternalSender: hub.sender,
          roles: strictlyAdministeredRoles(),
          name: "Property",
        });
        const created = await createHubRoom(await roomCreationOf(room), { hub: hub.sender });
        if (!created.ok) return expect.fail(created.reason);
        const world: World = {
          hubRoom: created.hubRoom,
          clients: new Map([[aliceClient, room]]),
          nextUser: 0,
          now: 1_700_000_000_000,
          lastCommit: undefined,
        };
        // Someone to act on first.
        await valid(world, { kind: "addUser", pick: 0, invalid: undefined });
        for (const step of steps) {
          if (step.invalid !== undefined) await invalid(world, step.invalid);
          await valid(world, step);
        }
        // What the server stores reads back as the same room.
        const stored = encodeHubRoom(world.hubRoom);
        const decoded = await decodeHubRoom(stored, { hub: hub.sender });
        if (!decoded.ok) return expect.fail(decoded.reason);
        expect(encodeHubRoom(decoded.hubRoom)).toEqual(stored);
      }),
      { numRuns: 12 },
    );
  });
});
