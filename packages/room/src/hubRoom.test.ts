import { decode, encode } from "@mimi-ts/codec";
import {
  GroupInfoRepresentation,
  groupInfoRatchetTreeTbe,
  type HandshakeBundle,
  Protocol,
  RatchetTreePresence,
  RatchetTreeRepresentation,
  RoleCapability,
  type RoleData,
  SubmitResponseCode,
  UpdateResponseCode,
} from "@mimi-ts/protocol";
import {
  createApplicationMessage,
  createGroupInfoWithExternalPubAndRatchetTree,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  type MLSMessage,
  makeSelfRemoveProposal,
} from "ts-mls";
import { makeProposalRef } from "ts-mls/authenticatedContent.js";
import { encodeGroupInfo } from "ts-mls/groupInfo.js";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import { stripBlankNodes } from "ts-mls/ratchetTree.js";
import { beforeAll, describe, expect, it } from "vitest";
import { appDataUpdateProposal, forgedCommit, forgedExternalJoin, forgedProposals } from "./forgedHandshakes.js";
import {
  createHubRoom,
  decodeHubRoom,
  encodeHubRoom,
  followersOf,
  groupInfoFor,
  type HubRoom,
  type HubRoomOptions,
  handleSubmitMessage,
  handleUpdate,
  roomCreationOf,
} from "./hubRoom.js";
import {
  addUsersUpdate,
  changeRolesUpdate,
  cooperativelyAdministeredRoles,
  metadataUpdate,
  PresetRoleIndex,
  removeUsersUpdate,
  strictlyAdministeredRoles,
} from "./roomBuilder.js";
import {
  addUsers,
  commitPending,
  createRoom,
  joinByExternalCommit,
  leave,
  processHandshake,
  type Room,
  receiveMessage,
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
  hexes,
  joinFromWelcomes,
  policyCodes,
  submitOverTheWire,
} from "./test-support/hubWorld.js";
import {
  alice,
  bob,
  cathy,
  clientOf,
  clubhouse,
  expectOk,
  type Hub,
  keyPackage,
  newHub,
} from "./test-support/members.js";
import { updateProposal } from "./test-support/tsMlsGroup.js";

const utf8 = new TextEncoder();
const text = new TextDecoder();
const start = 1_700_000_000_000;
const erin = "mimi://e.example/u/erin";

async function suite() {
  return getCiphersuiteImpl(getCiphersuiteFromName("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"));
}

/** RFC 9420 s.5.2: the ProposalRef of each PublicMessage proposal, computed here from the messages. */
async function proposalRefs(messages: readonly MLSMessage[]): Promise<Uint8Array[]> {
  const cs = await suite();
  return Promise.all(
    messages.map((message) => {
      if (message.wireformat !== "mls_public_message") throw new Error("not a PublicMessage");
      const { content, auth } = message.publicMessage;
      return makeProposalRef({ wireformat: "mls_public_message", content, auth }, cs.hash);
    }),
  );
}

function messagesOf(bundle: HandshakeBundle): MLSMessage[] {
  return "moreProposals" in bundle ? [bundle.proposalOrCommit, ...bundle.moreProposals] : [bundle.proposalOrCommit];
}

function commitBundle(bundle: HandshakeBundle) {
  if ("moreProposals" in bundle) throw new Error("not a commit bundle");
  return bundle;
}

async function hubFor(room: Room, hub: Hub): Promise<{ hubRoom: HubRoom; options: HubRoomOptions }> {
  const options = { hub: hub.sender };
  const created = await createHubRoom(await roomCreationOf(room), options);
  if (!created.ok) throw new Error(created.reason);
  return { hubRoom: created.hubRoom, options };
}

async function messageRequest(room: Room, sendingUri: string, body = "hello") {
  const sent = expectOk(await sendMessage(room, utf8.encode(body)));
  return {
    room: sent.room,
    request: submitOverTheWire({ protocol: Protocol.mls10, appMessage: sent.message, sendingUri }),
  };
}

describe("the protocol-06 s.3 flow through the Hub", () => {
  it("creates, adds Bob and Cathy, carries a message, caches Bob's leave until Cathy commits it, and takes Cathy's new device", async () => {
    const hub = await newHub();
    const [a1, b1, b2, c1, c2, c3] = await Promise.all([
      keyPackage(alice, 1),
      keyPackage(bob, 1),
      keyPackage(bob, 2),
      keyPackage(cathy, 1),
      keyPackage(cathy, 2),
      keyPackage(cathy, 3),
    ]);
    const cs = await suite();

    // s.3.1: Alice creates the room on her own provider, the Hub.
    let aliceRoom = await createRoom({
      roomUri: clubhouse,
      creator: a1,
      hubExternalSender: hub.sender,
      name: "Clubhouse",
    });
    let { hubRoom } = await hubFor(aliceRoom, hub);
    expect(followersOf(hubRoom)).toEqual(["a.example"]);
    await expectHubAgrees(hubRoom, [aliceRoom]);

    // s.3.2: Alice adds Bob and his two clients.
    const addBob = expectOk(
      await addUsers(aliceRoom, [
        { userUri: bob, roleIndex: PresetRoleIndex.ordinaryUser, keyPackages: [b1.publicPackage, b2.publicPackage] },
      ]),
    );
    const bobAdded = expectCommitAccepted(
      await handleUpdate(hubRoom, bundleOverTheWire(addBob.bundle), { now: start }),
    );
    expect(bobAdded.response).toEqual({
      responseCode: UpdateResponseCode.success,
      errorDescription: "",
      acceptedTimestamp: BigInt(start),
    });
    expect(bobAdded.fanout.recipients).toEqual(["a.example"]);
    expect(bobAdded.fanout.message.timestamp).toBe(BigInt(start));
    expect(bobAdded.welcomes.map((welcome) => welcome.domain)).toEqual(["b.example"]);
    expect(hexes(bobAdded.welcomes[0]?.keyPackageRefs ?? [])).toEqual(
      hexes([await makeKeyPackageRef(b1.publicPackage, cs.hash), await makeKeyPackageRef(b2.publicPackage, cs.hash)]),
    );
    expect(bobAdded.membership).toMatchObject({
      addedUsers: [bob],
      removedUsers: [],
      removedClients: [],
      followers: ["a.example", "b.example"],
    });
    expect(bobAdded.membership.addedClients.map((member) => member.clientUri)).toEqual([
      clientOf(bob, 1),
      clientOf(bob, 2),
    ]);
    hubRoom = bobAdded.hubRoom;
    aliceRoom = addBob.room;
    let [bob1, bob2] = (await joinFromWelcomes(bobAdded.welcomes, "b.example", [b1, b2])) as [Room, Room];
    await expectHubAgrees(hubRoom, [aliceRoom, bob1, bob2]);

    // s.3.3: Bob adds Cathy; the commit goes to a.example and b.example, the Welcome to c.example.
    const addCathy = expectOk(
      await addUsers(bob1, [
        { userUri: cathy, roleIndex: PresetRoleIndex.ordinaryUser, keyPackages: [c1.publicPackage, c2.publicPackage] },
      ]),
    );
    const cathyAdded = expectCommitAccepted(
      await handleUpdate(hubRoom, bundleOverTheWire(addCathy.bundle), { now: start + 1 }),
    );
    expect(cathyAdded.fanout.recipients).toEqual(["a.example", "b.example"]);
    expect(cathyAdded.welcomes.map((welcome) => welcome.domain)).toEqual(["c.example"]);
    hubRoom = cathyAdded.hubRoom;
    bob1 = addCathy.room;
    [aliceRoom, bob2] = (await deliverFanout([aliceRoom, bob2], cathyAdded.fanout.message)) as [Room, Room];
    let [cathy1, cathy2] = (await joinFromWelcomes(cathyAdded.welcomes, "c.example", [c1, c2])) as [Room, Room];
    await expectHubAgrees(hubRoom, [aliceRoom, bob1, bob2, cathy1, cathy2]);

    // s.3.4: Cathy says hello; the Hub accepts it unseen and fans it out to every provider.
    const hello = await messageRequest(cathy1, cathy, "Hello, clubhouse");
    cathy1 = hello.room;
    const submitted = handleSubmitMessage(hubRoom, hello.request, { now: start + 2 });
    if (!submitted.accepted) throw new Error(submitted.reason);
    expect(submitted.response).toEqual({
      protocol: Protocol.mls10,
      result: { statusCode: SubmitResponseCode.accepted, acceptedTimestamp: BigInt(start + 2), frank: undefined },
    });
    expect(submitted.fanout.recipients).toEqual(["a.example", "b.example", "c.example"]);
    const fannedOut = fanoutOverTheWire(submitted.fanout.message).content;
    expect("frank" in fannedOut && fannedOut.frank).toBeUndefined();
    for (const room of [aliceRoom, bob1, bob2, cathy2]) {
      const got = expectOk(await receiveMessage(room, fannedOut.message));
      expect(text.decode(got.content)).toBe("Hello, clubhouse");
      expect(got.sender.userUri).toBe(cathy);
    }

    // s.3.5: Bob leaves: his proposals are accepted and cached ...
    const left = expectOk(await leave(bob1));
    const leaveAccepted = expectProposalsAccepted(
      await handleUpdate(hubRoom, bundleOverTheWire(left.bundle), { now: start + 3 }),
    );
    const leaveRefs = await proposalRefs(messagesOf(left.bundle));
    expect(leaveRefs).toHaveLength(3);
    expect(hexes(leaveAccepted.proposalRefs)).toEqual(hexes(leaveRefs));
    expect(leaveAccepted.fanout.recipients).toEqual(["a.example", "b.example", "c.example"]);
    hubRoom = leaveAccepted.hubRoom;
    expect(groupInfoFor(hubRoom).pendingProposals.map((entry) => entry.hubAcceptedTime)).toEqual(
      leaveRefs.map(() => BigInt(start + 3)),
    );
    bob1 = left.room;

    // ... so Bob, off the participant list with them (s.7.1), may no longer send (from a client that has not seen them) ...
    const bobTalks = await messageRequest(bob2, bob, "still here?");
    const bobRefused = handleSubmitMessage(hubRoom, bobTalks.request, { now: start + 4 });
    expect(bobRefused.response.result.statusCode).toBe(SubmitResponseCode.notAllowed);
    expect(policyCodes(bobRefused)).toEqual(["sender-removed-or-banned"]);
    [aliceRoom, bob2, cathy1, cathy2] = (await deliverFanout(
      [aliceRoom, bob2, cathy1, cathy2],
      leaveAccepted.fanout.message,
    )) as [Room, Room, Room, Room];

    // ... and a commit without them is refused, naming them.
    const omitting = expectRefused(
      await handleUpdate(hubRoom, bundleOverTheWire(await forgedCommit(cathy1, [], { includePending: false })), {
        now: start + 5,
      }),
    );
    expect(omitting.response.responseCode).toBe(UpdateResponseCode.invalidProposal);
    if (omitting.response.responseCode !== UpdateResponseCode.invalidProposal) return;
    expect(hexes(omitting.response.invalidProposals)).toEqual(hexes(leaveRefs));

    const cleanup = expectOk(await commitPending(cathy1));
    const committed = expectCommitAccepted(
      await handleUpdate(hubRoom, bundleOverTheWire(cleanup.bundle), { now: start + 6 }),
    );
    expect(committed.fanout.recipients).toEqual(["a.example", "b.example", "c.example"]);
    expect(committed.membership.removedUsers).toEqual([bob]);
    expect(committed.membership.removedClients.map((member) => member.clientUri)).toEqual([
      clientOf(bob, 1),
      clientOf(bob, 2),
    ]);
    expect(committed.membership.followers).toEqual(["a.example", "c.example"]);
    expect(committed.welcomes).toEqual([]);
    hubRoom = committed.hubRoom;
    cathy1 = cleanup.room;
    const { message: cleanupCommit } = fanoutOverTheWire(committed.fanout.message).content;
    for (const removedRoom of [bob1, bob2]) {
      expect(expectOk(await processHandshake(removedRoom, cleanupCommit)).removed).toBe(true);
    }
    [aliceRoom, cathy2] = (await deliverFanout([aliceRoom, cathy2], committed.fanout.message)) as [Room, Room];
    await expectHubAgrees(hubRoom, [aliceRoom, cathy1, cathy2]);
    expect(roomInfo(aliceRoom).participants.map((participant) => participant.userUri)).toEqual([alice, cathy]);

    // s.3.6: Cathy's new client joins by external commit from what the Hub gives (s.5.6).
    const joinerInfo = decode(groupInfoRatchetTreeTbe, encode(groupInfoRatchetTreeTbe, groupInfoFor(hubRoom)));
    expect(joinerInfo.pendingProposals).toEqual([]);
    const joined = expectOk(
      await joinByExternalCommit({
        groupInfo: joinerInfo.groupInfo,
        ratchetTreeOption: joinerInfo.ratchetTreeOption,
        keyPackage: c3,
      }),
    );
    const external = expectCommitAccepted(
      await handleUpdate(hubRoom, bundleOverTheWire(joined.bundle), { now: start + 7 }),
    );
    expect(external.membership.addedClients.map((member) => member.clientUri)).toEqual([clientOf(cathy, 3)]);
    expect(external.welcomes).toEqual([]);
    expect(external.lapsedProposals).toEqual([]);
    hubRoom = external.hubRoom;
    [aliceRoom, cathy1, cathy2] = (await deliverFanout([aliceRoom, cathy1, cathy2], external.fanout.message)) as [
      Room,
      Room,
      Room,
    ];
    await expectHubAgrees(hubRoom, [aliceRoom, cathy1, cathy2, joined.room]);
    expect(hubRoom.group.groupContext.epoch).toBe(4n);
  });
});

/** Alice's room with Bob's two clients, in the cooperative or the strict preset, and its Hub. */
interface SmallWorld {
  hub: Hub;
  options: HubRoomOptions;
  /** the Hub before Bob was added, and the accepted bundle adding him */
  initial: HubRoom;
  addBob: HandshakeBundle;
  hubRoom: HubRoom;
  alice1: Room;
  bob1: Room;
  bob2: Room;
}

async function smallWorld(roles?: RoleData): Promise<SmallWorld> {
  const hub = await newHub();
  const [a1, b1, b2] = await Promise.all([keyPackage(alice, 1), keyPackage(bob, 1), keyPackage(bob, 2)]);
  const created = await createRoom({
    roomUri: clubhouse,
    creator: a1,
    hubExternalSender: hub.sender,
    name: "Clubhouse",
    ...(roles === undefined ? {} : { roles }),
  });
  const { hubRoom: initial, options } = await hubFor(created, hub);
  const added = expectOk(
    await addUsers(created, [
      { userUri: bob, roleIndex: PresetRoleIndex.ordinaryUser, keyPackages: [b1.publicPackage, b2.publicPackage] },
    ]),
  );
  const accepted = expectCommitAccepted(await handleUpdate(initial, added.bundle, { now: start }));
  const [bob1, bob2] = (await joinFromWelcomes(accepted.welcomes, "b.example", [b1, b2])) as [Room, Room];
  return {
    hub,
    options,
    initial,
    addBob: added.bundle,
    hubRoom: accepted.hubRoom,
    alice1: added.room,
    bob1,
    bob2,
  };
}

function flipLastSignatureByte(bundle: HandshakeBundle): HandshakeBundle {
  const message = bundle.proposalOrCommit;
  if (message.wireformat !== "mls_public_message") throw new Error("not a PublicMessage");
  const signature = message.publicMessage.auth.signature.slice();
  signature[signature.length - 1] = (signature.at(-1) ?? 0) ^ 0x01;
  return {
    ...bundle,
    proposalOrCommit: {
      ...message,
      publicMessage: { ...message.publicMessage, auth: { ...message.publicMessage.auth, signature } },
    },
  };
}

describe("the Hub refuses, with the response protocol-06 s.5.3 and s.5.4 give", () => {
  let world: SmallWorld;
  beforeAll(async () => {
    world = await smallWorld();
  });

  it("a commit for an epoch already committed: wrongEpoch with the current epoch", async () => {
    const replay = expectRefused(await handleUpdate(world.hubRoom, world.addBob, { now: start + 1 }));
    expect(replay.response).toMatchObject({ responseCode: UpdateResponseCode.wrongEpoch, currentEpoch: 1n });
  });

  it("exactly one commit per epoch: of two commits for epoch 1, the second is wrongEpoch", async () => {
    const first = expectOk(await updateMetadata(world.alice1, { roomName: "First" }));
    const second = expectOk(await updateMetadata(world.bob1, { roomName: "Second" }));
    const accepted = expectCommitAccepted(await handleUpdate(world.hubRoom, first.bundle, { now: start + 1 }));
    const late = expectRefused(await handleUpdate(accepted.hubRoom, second.bundle, { now: start + 2 }));
    expect(late.response).toMatchObject({ responseCode: UpdateResponseCode.wrongEpoch, currentEpoch: 2n });
    // On the state before the first, the second would have been accepted.
    expectCommitAccepted(await handleUpdate(world.hubRoom, second.bundle, { now: start + 2 }));
  });

  it("a commit whose signature has a flipped byte: notAllowed, badSignature", async () => {
    const rename = expectOk(await updateMetadata(world.alice1, { roomName: "Tampered" }));
    const refused = expectRefused(
      await handleUpdate(world.hubRoom, flipLastSignatureByte(rename.bundle), { now: start + 1 }),
    );
    expect(refused.response.responseCode).toBe(UpdateResponseCode.notAllowed);
    expect(refused.reason).toMatch(/^badSignature: /);
  });

  it("a proposal whose signature has a flipped byte: notAllowed, badSignature", async () => {
    const left = expectOk(await leave(world.bob1));
    const refused = expectRefused(
      await handleUpdate(world.hubRoom, flipLastSignatureByte(left.bundle), { now: start + 1 }),
    );
    expect(refused.response.responseCode).toBe(UpdateResponseCode.notAllowed);
    expect(refused.reason).toMatch(/^badSignature: /);
  });

  it("a commit whose sender is forged (Bob's commit claiming Alice's leaf): notAllowed", async () => {
    const rename = commitBundle(expectOk(await updateMetadata(world.bob1, { roomName: "Bob's" })).bundle);
    const message = rename.proposalOrCommit;
    if (message.wireformat !== "mls_public_message") throw new Error("not a PublicMessage");
    const { content } = message.publicMessage;
    expect(content.sender).toEqual({ senderType: "member", leafIndex: 1 });
    const forged: HandshakeBundle = {
      ...rename,
      proposalOrCommit: {
        ...message,
        publicMessage: {
          ...message.publicMessage,
          content: { ...content, sender: { senderType: "member", leafIndex: 0 } },
        },
      },
    };
    const refused = expectRefused(await handleUpdate(world.hubRoom, forged, { now: start + 1 }));
    expect(refused.response.responseCode).toBe(UpdateResponseCode.notAllowed);
    expect(refused.reason).toMatch(/^badSignature: /);
  });

  it("a commit naming a proposal the Hub never accepted: invalidProposal with its ProposalRef", async () => {
    // Bob's leave reaches Alice, not the Hub; Alice commits it.
    const left = expectOk(await leave(world.bob1));
    const [aliceSeen] = await deliverFanout([world.alice1], {
      timestamp: 0n,
      content: { message: left.bundle.proposalOrCommit, moreProposals: messagesOf(left.bundle).slice(1) },
    });
    const commit = expectOk(await commitPending(aliceSeen as Room));
    const refused = expectRefused(await handleUpdate(world.hubRoom, commit.bundle, { now: start + 1 }));
    expect(refused.response.responseCode).toBe(UpdateResponseCode.invalidProposal);
    if (refused.response.responseCode !== UpdateResponseCode.invalidProposal) return;
    expect(hexes(refused.response.invalidProposals)).toEqual(hexes(await proposalRefs(messagesOf(left.bundle))));
  });

  it("a commit may leave out a pending Remove of a leaf it removes by value, not a pending participant list update", async () => {
    const left = expectProposalsAccepted(
      await handleUpdate(world.hubRoom, expectOk(await leave(world.bob1)).bundle, { now: start + 1 }),
    );
    // Bob's SelfRemove, the Remove of his second client, his removal from the participant list.
    const [, , listUpdateRef] = left.proposalRefs as [Uint8Array, Uint8Array, Uint8Array];
    const view = roomInfo(world.alice1);
    const byValue = [
      appDataUpdateProposal(removeUsersUpdate(view.state, [bob])),
      { proposalType: "remove" as const, remove: { removed: 1 } },
      { proposalType: "remove" as const, remove: { removed: 2 } },
    ];
    const refused = expectRefused(
      await handleUpdate(left.hubRoom, await forgedCommit(world.alice1, byValue, { includePending: false }), {
        now: start + 2,
      }),
    );
    expect(refused.response.responseCode).toBe(UpdateResponseCode.invalidProposal);
    if (refused.response.responseCode !== UpdateResponseCode.invalidProposal) return;
    expect(hexes(refused.response.invalidProposals)).toEqual(hexes([listUpdateRef]));

    // Without its own list update, the commit carries the pending one and removes Bob's leaves by value.
    const aliceSeen = (await deliverFanout([world.alice1], left.fanout.message))[0] as Room;
    const removesOnly = [
      { proposalType: "remove" as const, remove: { removed: 1 } },
      { proposalType: "remove" as const, remove: { removed: 2 } },
    ];
    const withListUpdateOnly = {
      ...aliceSeen,
      state: {
        ...aliceSeen.state,
        unappliedProposals: Object.fromEntries(
          Object.entries(aliceSeen.state.unappliedProposals).filter(
            ([key]) => key === Buffer.from(listUpdateRef).toString("base64"),
          ),
        ),
      },
    };
    const accepted = expectCommitAccepted(
      await handleUpdate(left.hubRoom, await forgedCommit(withListUpdateOnly, removesOnly), { now: start + 3 }),
    );
    expect(accepted.membership.removedUsers).toEqual([bob]);
    expect(accepted.hubRoom.group.pendingProposals).toEqual([]);
  });

  it("a committer leaves out its own pending Update (RFC 9420 s.12.2); another committer may not", async () => {
    const update = await updateProposal(world.bob1.state);
    const proposed = await forgedProposals(world.bob1, [update.proposal]);
    const pending = expectProposalsAccepted(await handleUpdate(world.hubRoom, proposed, { now: start + 1 }));
    const fromAlice = await forgedCommit(world.alice1, [], { includePending: false });
    const refused = expectRefused(await handleUpdate(pending.hubRoom, fromAlice, { now: start + 2 }));
    expect(refused.response).toMatchObject({
      responseCode: UpdateResponseCode.invalidProposal,
      invalidProposals: pending.proposalRefs,
    });
    const fromBob = await forgedCommit(world.bob1, [], { includePending: false });
    expectCommitAccepted(await handleUpdate(pending.hubRoom, fromBob, { now: start + 3 }));
  });

  it("a proposal removing a leaf an accepted proposal already removes: invalidProposal, as no commit could carry both", async () => {
    const left = expectProposalsAccepted(
      await handleUpdate(world.hubRoom, expectOk(await leave(world.bob1)).bundle, { now: start + 1 }),
    );
    const again = await forgedProposals(world.alice1, [{ proposalType: "remove", remove: { removed: 2 } }]);
    const refused = expectRefused(await handleUpdate(left.hubRoom, again, { now: start + 2 }));
    expect(refused.response.responseCode).toBe(UpdateResponseCode.invalidProposal);
    if (refused.response.responseCode !== UpdateResponseCode.invalidProposal) return;
    expect(hexes(refused.response.invalidProposals)).toEqual(hexes(await proposalRefs(messagesOf(again))));
  });

  it("a banned user's client, still in the group until the commit, may not propose, send or commit (protocol-06 s.5.3, s.7.1)", async () => {
    const room = roomInfo(world.alice1).state;
    const ban = await forgedProposals(world.alice1, [
      appDataUpdateProposal(changeRolesUpdate(room, [{ user: bob, roleIndex: PresetRoleIndex.banned }])),
      { proposalType: "remove", remove: { removed: 1 } },
      { proposalType: "remove", remove: { removed: 2 } },
    ]);
    const banned = expectProposalsAccepted(await handleUpdate(world.hubRoom, ban, { now: start + 1 }));
    expect(banned.hubRoom.roomWithPending.participantList?.participants).toContainEqual({
      user: bob,
      roleIndex: PresetRoleIndex.banned,
    });
    const rename = await forgedProposals(world.bob2, [
      appDataUpdateProposal(metadataUpdate(room, { roomName: "Bob's now" })),
    ]);
    const refused = expectRefused(await handleUpdate(banned.hubRoom, rename, { now: start + 2 }));
    expect(refused.response.responseCode).toBe(UpdateResponseCode.notAllowed);
    expect(policyCodes(refused)).toEqual(["sender-removed-or-banned"]);
    const talk = await messageRequest(world.bob2, bob);
    expect(policyCodes(handleSubmitMessage(banned.hubRoom, talk.request, { now: start + 3 }))).toEqual([
      "sender-removed-or-banned",
    ]);
    // A commit must carry its own client's pending Remove, which a committer cannot (RFC 9420 s.12.2).
    const bobCommit = await forgedCommit(world.bob2, [], { includePending: false });
    const commitRefused = expectRefused(await handleUpdate(banned.hubRoom, bobCommit, { now: start + 4 }));
    expect(commitRefused.response.responseCode).toBe(UpdateResponseCode.invalidProposal);
    // Its SelfRemove would remove a leaf already being removed: no commit could carry both.
    const selfRemove = await forgedProposals(world.bob2, [makeSelfRemoveProposal()]);
    const conflict = expectRefused(await handleUpdate(banned.hubRoom, selfRemove, { now: start + 5 }));
    expect(conflict.response.responseCode).toBe(UpdateResponseCode.invalidProposal);
  });

  it("a participant without canAddParticipant adding someone (strictly administered room): notAllowed with the refusal", async () => {
    const strict = await smallWorld(strictlyAdministeredRoles());
    const erin1 = await keyPackage(erin, 1);
    const addErin = await forgedCommit(strict.bob1, [
      appDataUpdateProposal(addUsersUpdate([{ user: erin, roleIndex: PresetRoleIndex.ordinaryUser }])),
      { proposalType: "add", add: { keyPackage: erin1.publicPackage } },
    ]);
    const refused = expectRefused(await handleUpdate(strict.hubRoom, addErin, { now: start + 1 }));
    expect(refused.response.responseCode).toBe(UpdateResponseCode.notAllowed);
    expect(refused.refusals).toContainEqual(
      expect.objectContaining({ code: "capability-missing", capability: "canAddParticipant" }),
    );
    expect(refused.reason).toContain("canAddParticipant");
    // The same as proposals.
    const proposed = await forgedProposals(strict.bob1, [
      appDataUpdateProposal(addUsersUpdate([{ user: erin, roleIndex: PresetRoleIndex.ordinaryUser }])),
      { proposalType: "add", add: { keyPackage: erin1.publicPackage } },
    ]);
    expect(policyCodes(await handleUpdate(strict.hubRoom, proposed, { now: start + 2 }))).toContain(
      "capability-missing",
    );
  });

  it("submitMessage from a participant whose role lacks canSendMessage: notAllowed with the refusal", async () => {
    const roles = cooperativelyAdministeredRoles();
    const muted: RoleData = {
      roles: roles.roles.map((role) =>
        role.roleIndex === PresetRoleIndex.ordinaryUser
          ? {
              ...role,
              roleCapabilities: role.roleCapabilities.filter(
                (capability) => capability !== RoleCapability.canSendMessage,
              ),
            }
          : role,
      ),
    };
    const quiet = await smallWorld(muted);
    // Bob's client skips its own check (sendMessage would refuse): ts-mls encrypts for it.
    const sent = await createApplicationMessage(quiet.bob1.state, utf8.encode("may I?"), await suite());
    const request = submitOverTheWire({
      protocol: Protocol.mls10,
      appMessage: { version: "mls10", wireformat: "mls_private_message", privateMessage: sent.privateMessage },
      sendingUri: bob,
    });
    const refused = handleSubmitMessage(quiet.hubRoom, request, { now: start + 1 });
    expect(refused.response.result.statusCode).toBe(SubmitResponseCode.notAllowed);
    expect(refused.accepted ? [] : refused.refusals).toContainEqual(
      expect.objectContaining({ code: "capability-missing", capability: "canSendMessage" }),
    );
    // Alice, a super admin, may.
    const fromAlice = await messageRequest(quiet.alice1, alice);
    expect(handleSubmitMessage(quiet.hubRoom, fromAlice.request, { now: start + 2 }).accepted).toBe(true);
  });

  it("submitMessage from a user with no client in the room, or a claim that is not a user URI: notAllowed", async () => {
    const { request } = await messageRequest(world.alice1, erin);
    const stranger = handleSubmitMessage(world.hubRoom, request, { now: start + 1 });
    expect(stranger).toMatchObject({
      accepted: false,
      response: { result: { statusCode: SubmitResponseCode.notAllowed } },
    });
    const clientClaim = handleSubmitMessage(world.hubRoom, { ...request, sendingUri: clientOf(alice, 1) }, { now: 1 });
    expect(clientClaim.response.result.statusCode).toBe(SubmitResponseCode.notAllowed);
  });

  it("submitMessage from an earlier epoch: epochTooOld with the current epoch; from a later one: notAllowed", async () => {
    const { request } = await messageRequest(world.alice1, alice);
    expect(handleSubmitMessage(world.hubRoom, request, { now: start + 1 }).accepted).toBe(true);
    const rename = expectOk(await updateMetadata(world.alice1, { roomName: "Epoch 2" }));
    const next = expectCommitAccepted(await handleUpdate(world.hubRoom, rename.bundle, { now: start + 2 }));
    expect(handleSubmitMessage(next.hubRoom, request, { now: start + 3 }).response).toEqual({
      protocol: Protocol.mls10,
      result: { statusCode: SubmitResponseCode.epochTooOld, currentEpoch: 2n },
    });
    const ahead = await messageRequest(rename.room, alice);
    expect(handleSubmitMessage(world.hubRoom, ahead.request, { now: start + 3 }).response.result.statusCode).toBe(
      SubmitResponseCode.notAllowed,
    );
  });

  it("an application message of another group: notAllowed", async () => {
    const { request } = await messageRequest(world.alice1, alice);
    if (request.appMessage.wireformat !== "mls_private_message") throw new Error("not a PrivateMessage");
    const foreign = {
      ...request,
      appMessage: {
        ...request.appMessage,
        privateMessage: { ...request.appMessage.privateMessage, groupId: utf8.encode("mimi://a.example/g/other") },
      },
    };
    const refused = handleSubmitMessage(world.hubRoom, foreign, { now: start });
    expect(refused).toMatchObject({ accepted: false, reason: "the message is for another group" });
  });
});

describe("what the Hub requires of a commit bundle", () => {
  let world: SmallWorld;
  beforeAll(async () => {
    world = await smallWorld();
  });

  async function renameBundle(name: string) {
    return commitBundle(expectOk(await updateMetadata(world.alice1, { roomName: name })).bundle);
  }

  it("a GroupInfo of the previous epoch: notAllowed", async () => {
    const bundle = await renameBundle("Stale GroupInfo");
    const refused = expectRefused(
      await handleUpdate(
        world.hubRoom,
        {
          ...bundle,
          groupInfoOption: { representation: GroupInfoRepresentation.full, groupInfo: world.hubRoom.group.groupInfo },
        },
        { now: start },
      ),
    );
    expect(refused.response.responseCode).toBe(UpdateResponseCode.notAllowed);
    expect(refused.reason).toMatch(/^invalidGroupInfo: wrongEpoch: /);
  });

  it("a GroupInfo with a ratchet_tree extension: notAllowed", async () => {
    const rename = expectOk(await updateMetadata(world.alice1, { roomName: "Tree inside" }));
    const cs = await suite();
    const withTree = await createGroupInfoWithExternalPubAndRatchetTree(rename.room.state, [], cs);
    const refused = expectRefused(
      await handleUpdate(
        world.hubRoom,
        {
          ...commitBundle(rename.bundle),
          groupInfoOption: { representation: GroupInfoRepresentation.full, groupInfo: withTree },
        },
        { now: start },
      ),
    );
    expect(refused.response.responseCode).toBe(UpdateResponseCode.notAllowed);
    expect(refused.reason).toContain("ratchet_tree");
  });

  it("a PartialGroupInfo: the Hub rebuilds the committer's GroupInfo and checks its signature", async () => {
    const bundle = await renameBundle("Partial");
    if (bundle.groupInfoOption.representation !== GroupInfoRepresentation.full) throw new Error("expected full");
    const full = bundle.groupInfoOption.groupInfo;
    const partial = {
      representation: GroupInfoRepresentation.partial,
      partialGroupInfo: {
        ratchetTreePresence: RatchetTreePresence.noRatchetTree,
        groupInfoExtensions: full.extensions,
        signature: full.signature,
      },
    } as const;
    const accepted = expectCommitAccepted(
      await handleUpdate(world.hubRoom, { ...bundle, groupInfoOption: partial }, { now: start }),
    );
    expect(Buffer.from(encodeGroupInfo(accepted.groupInfo)).toString("hex")).toBe(
      Buffer.from(encodeGroupInfo(full)).toString("hex"),
    );
    const badSignature = {
      ...partial.partialGroupInfo,
      signature: full.signature.map((byte, i) => (i === 0 ? byte ^ 1 : byte)),
    };
    expect(
      expectRefused(
        await handleUpdate(
          world.hubRoom,
          { ...bundle, groupInfoOption: { ...partial, partialGroupInfo: badSignature } },
          {
            now: start,
          },
        ),
      ).reason,
    ).toMatch(/^invalidGroupInfo: badSignature: /);
    const withTree = { ...partial.partialGroupInfo, ratchetTreePresence: RatchetTreePresence.present };
    expect(
      expectRefused(
        await handleUpdate(
          world.hubRoom,
          { ...bundle, groupInfoOption: { ...partial, partialGroupInfo: withTree } },
          {
            now: start,
          },
        ),
      ).response.responseCode,
    ).toBe(UpdateResponseCode.notAllowed);
  });

  it("a full RatchetTreeOption must be the tree after the commit; distributionService is the Hub's own", async () => {
    // An empty commit: the committer's UpdatePath changes the tree.
    const bundle = commitBundle(expectOk(await commitPending(world.alice1)).bundle);
    const oldTree = {
      representation: RatchetTreeRepresentation.full,
      ratchetTree: stripBlankNodes(world.hubRoom.group.ratchetTree),
    } as const;
    const refused = expectRefused(
      await handleUpdate(world.hubRoom, { ...bundle, ratchetTreeOption: oldTree }, { now: start }),
    );
    expect(refused.reason).toContain("RatchetTreeOption");
    expectCommitAccepted(
      await handleUpdate(
        world.hubRoom,
        { ...bundle, ratchetTreeOption: { representation: RatchetTreeRepresentation.distributionService } },
        { now: start },
      ),
    );
  });

  it("a commit adding clients needs a Welcome for exactly them", async () => {
    const c1 = await keyPackage(cathy, 1);
    const c2 = await keyPackage(cathy, 2);
    const added = commitBundle(
      expectOk(
        await addUsers(world.alice1, [
          {
            userUri: cathy,
            roleIndex: PresetRoleIndex.ordinaryUser,
            keyPackages: [c1.publicPackage, c2.publicPackage],
          },
        ]),
      ).bundle,
    );
    const welcome = added.welcome;
    if (welcome === undefined) throw new Error("no Welcome");
    for (const broken of [undefined, { ...welcome, secrets: welcome.secrets.slice(1) }]) {
      const refused = expectRefused(await handleUpdate(world.hubRoom, { ...added, welcome: broken }, { now: start }));
      expect(refused.response.responseCode).toBe(UpdateResponseCode.notAllowed);
      expect(refused.reason).toContain("Welcome");
    }
    const rename = await renameBundle("No one added");
    expect(expectRefused(await handleUpdate(world.hubRoom, { ...rename, welcome }, { now: start })).reason).toContain(
      "Welcome",
    );
  });

  it("an external commit carries the pending SelfRemoves; other pending proposals lapse and are reported", async () => {
    const room = roomInfo(world.alice1).state;
    const rename = await forgedProposals(world.alice1, [
      appDataUpdateProposal(metadataUpdate(room, { roomName: "Lapses" })),
    ]);
    const pendingRename = expectProposalsAccepted(await handleUpdate(world.hubRoom, rename, { now: start + 1 }));
    const selfRemove = await forgedProposals(world.bob2, [makeSelfRemoveProposal()]);
    const pending = expectProposalsAccepted(await handleUpdate(pendingRename.hubRoom, selfRemove, { now: start + 2 }));
    const info = groupInfoFor(pending.hubRoom);
    expect(info.pendingProposals.map((entry) => entry.hubAcceptedTime)).toEqual([BigInt(start + 1), BigInt(start + 2)]);

    const b3 = await keyPackage(bob, 3);
    // Without the pending SelfRemove: invalidProposal naming it.
    const bare = await forgedExternalJoin(info.groupInfo, info.ratchetTreeOption, b3);
    const refused = expectRefused(await handleUpdate(pending.hubRoom, bare, { now: start + 3 }));
    expect(refused.response.responseCode).toBe(UpdateResponseCode.invalidProposal);
    if (refused.response.responseCode !== UpdateResponseCode.invalidProposal) return;
    expect(hexes(refused.response.invalidProposals)).toEqual(hexes(pending.proposalRefs));

    const joined = expectOk(
      await joinByExternalCommit({
        groupInfo: info.groupInfo,
        ratchetTreeOption: info.ratchetTreeOption,
        selfRemoveProposals: [(info.pendingProposals[1] as { proposal: MLSMessage }).proposal],
        keyPackage: b3,
      }),
    );
    const accepted = expectCommitAccepted(await handleUpdate(pending.hubRoom, joined.bundle, { now: start + 4 }));
    expect(hexes(accepted.lapsedProposals.map((entry) => entry.ref))).toEqual(hexes(pendingRename.proposalRefs));
    expect(accepted.membership.removedClients.map((member) => member.clientUri)).toEqual([clientOf(bob, 2)]);
    expect(accepted.membership.addedClients.map((member) => member.clientUri)).toEqual([clientOf(bob, 3)]);
  });
});

describe("createHubRoom", () => {
  it("refuses a room of another Hub, a GroupInfo with the tree inside, and a tree not given in full", async () => {
    const hub = await newHub();
    const a1 = await keyPackage(alice, 1);
    const room = await createRoom({ roomUri: clubhouse, creator: a1, hubExternalSender: hub.sender });
    const creation = await roomCreationOf(room);
    const otherHub = {
      ...hub.sender,
      credential: { credentialType: "basic" as const, identity: utf8.encode("mimi://b.example") },
    };
    const foreign = await createHubRoom(creation, { hub: otherHub });
    expect(foreign).toMatchObject({ ok: false });
    const notListed = await createHubRoom(creation, {
      hub: { ...hub.sender, signaturePublicKey: (await newHub()).publicKey },
    });
    expect(notListed).toEqual({
      ok: false,
      reason: "the group's external_senders must list the Hub (protocol-06 s.7.4)",
    });
    const cs = await suite();
    const withTree = await createGroupInfoWithExternalPubAndRatchetTree(room.state, [], cs);
    expect(await createHubRoom({ ...creation, groupInfo: withTree }, { hub: hub.sender })).toMatchObject({ ok: false });
    const noExternalPub = { ...creation.groupInfo, extensions: [] };
    expect((await createHubRoom({ ...creation, groupInfo: noExternalPub }, { hub: hub.sender })).ok).toBe(false);
    expect(
      await createHubRoom(
        { ...creation, ratchetTreeOption: { representation: RatchetTreeRepresentation.distributionService } },
        { hub: hub.sender },
      ),
    ).toMatchObject({ ok: false });
    expect((await createHubRoom(creation, { hub: hub.sender })).ok).toBe(true);
  });
});

describe("encodeHubRoom and decodeHubRoom", () => {
  let world: SmallWorld;
  let pending: HubRoom;
  beforeAll(async () => {
    world = await smallWorld();
    const left = expectOk(await leave(world.bob1));
    pending = expectProposalsAccepted(await handleUpdate(world.hubRoom, left.bundle, { now: start + 9 })).hubRoom;
  });

  it("round-trips a room with pending proposals and their accepted times", async () => {
    const bytes = encodeHubRoom(pending);
    const decoded = await decodeHubRoom(bytes, world.options);
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(encodeHubRoom(decoded.hubRoom)).toEqual(bytes);
    expect(decoded.hubRoom.pendingAcceptedTimes).toEqual([BigInt(start + 9), BigInt(start + 9), BigInt(start + 9)]);
    expect(decoded.hubRoom.roomWithPending).toEqual(pending.roomWithPending);
    expect(roomInfo(world.alice1).participants.map((p) => p.userUri)).toContain(bob);
    expect(decoded.hubRoom.roomWithPending.participantList?.participants.map((p) => p.user)).toEqual([alice]);
    // The decoded room goes on: Bob's second client may not send, as before storage.
    const talk = await messageRequest(world.bob2, bob);
    expect(policyCodes(handleSubmitMessage(decoded.hubRoom, talk.request, { now: start + 10 }))).toEqual([
      "sender-removed-or-banned",
    ]);
  });

  it("refuses trailing bytes, another version, a time per pending proposal missing, and another Hub", async () => {
    const bytes = encodeHubRoom(pending);
    expect((await decodeHubRoom(new Uint8Array([...bytes, 0]), world.options)).ok).toBe(false);
    expect((await decodeHubRoom(new Uint8Array([2, ...bytes.slice(1)]), world.options)).ok).toBe(false);
    const fewerTimes = encodeHubRoom({ ...pending, pendingAcceptedTimes: pending.pendingAcceptedTimes.slice(1) });
    expect(await decodeHubRoom(fewerTimes, world.options)).toEqual({
      ok: false,
      reason: "one accepted time per pending proposal is required",
    });
    const otherHub = await newHub();
    expect((await decodeHubRoom(bytes, { hub: otherHub.sender })).ok).toBe(false);
    expect((await decodeHubRoom(bytes.slice(0, -1), world.options)).ok).toBe(false);
  });
});
