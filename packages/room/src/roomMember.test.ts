import { decode, encode } from "@mimi-ts/codec";
import {
  type AppDataUpdate,
  AppDataUpdateOperation,
  appDataDictionary,
  ComponentId,
  componentsList,
  ExtensionType,
  GroupInfoRepresentation,
  type HandshakeBundle,
  ProposalType,
  RatchetTreeRepresentation,
  type RoleData,
  safeAad,
  type UserRolePair,
} from "@mimi-ts/protocol";
import {
  acceptAll,
  createApplicationMessage,
  createCommit,
  decodeExternalSenders,
  decodeRequiredCapabilities,
  emptyPskIndex,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  type MLSMessage,
  type MlsPublicMessage,
  makeAppDataUpdateProposal,
  type Proposal,
  processMessage,
  proposeExternal,
} from "ts-mls";
import { describe, expect, it } from "vitest";
import { authorize } from "./policy.js";
import {
  addUsersUpdate,
  changeRolesUpdate,
  cooperativelyAdministeredRoles,
  metadataUpdate,
  PresetRoleIndex,
  removeUsersUpdate,
  strictlyAdministeredRoles,
} from "./roomBuilder.js";
import type { RoomChange } from "./roomChange.js";
import { groupViewOf } from "./roomChanges.js";
import {
  addClients,
  addUsers,
  changeRoles,
  commitPending,
  createRoom,
  decodeRoom,
  encodeRoom,
  frankingTag,
  joinByExternalCommit,
  joinRoom,
  leave,
  processHandshake,
  type Room,
  RoomCipherSuite,
  receiveMessage,
  removeUsers,
  roomInfo,
  sendMessage,
  updateMetadata,
} from "./roomMember.js";
import { roomComponents } from "./roomState.js";
import {
  alice,
  bob,
  cathy,
  clientOf,
  clubhouse,
  deliver,
  expectAgreement,
  expectOk,
  hubUri,
  invalidReason,
  keyPackage,
  messageOverTheWire,
  newHub,
  overTheWire,
  refusalCodes,
} from "./test-support/members.js";

const utf8 = new TextEncoder();
const text = new TextDecoder();

function commitParts(bundle: HandshakeBundle) {
  if (!("groupInfoOption" in bundle)) throw new Error("not a commit bundle");
  return bundle;
}

/** The new clients of a commit join from its Welcome and tree, as protocol-06 s.3.2's Intro gives them. */
async function joinAll(
  bundle: HandshakeBundle,
  keyPackages: Awaited<ReturnType<typeof keyPackage>>[],
): Promise<Room[]> {
  const { welcome, ratchetTreeOption } = commitParts(overTheWire(bundle));
  if (welcome === undefined) throw new Error("the commit has no Welcome");
  const rooms: Room[] = [];
  for (const kp of keyPackages)
    rooms.push(expectOk(await joinRoom({ welcome, ratchetTreeOption, keyPackage: kp })).room);
  return rooms;
}

/** The policy engine's room after a change is the room the MIMI handlers computed in the GroupContext. */
function expectPolicyAgrees(before: Room, result: { readonly room: Room; readonly change: RoomChange }): void {
  const read = groupViewOf(before.state.groupContext, before.state.ratchetTree);
  if (!read.ok) throw new Error(read.reason);
  const authorized = authorize(read.view, result.change);
  if (!authorized.ok) throw new Error("refused");
  expect(roomComponents(authorized.next.room)).toEqual(roomComponents(roomInfo(result.room).state));
  expect(authorized.next.members.map((member) => member.clientUri).sort()).toEqual(
    roomInfo(result.room)
      .members.map((member) => member.clientUri)
      .sort(),
  );
}

function participants(room: Room) {
  return roomInfo(room).participants.map(({ userUri, roleIndex, clients }) => [userUri, roleIndex, clients]);
}

describe("protocol-06 s.3: the example flow, in process", () => {
  it("creates the clubhouse, adds Bob and Cathy, exchanges messages, re-roles, renames, Bob leaves, Cathy adds a device", async () => {
    const hub = await newHub();
    const [a1, b1, b2, c1, c2, c3] = await Promise.all([
      keyPackage(alice, 1),
      keyPackage(bob, 1),
      keyPackage(bob, 2),
      keyPackage(cathy, 1),
      keyPackage(cathy, 2),
      keyPackage(cathy, 3),
    ]);

    // s.3.1: Alice creates the room.
    let alice1 = await createRoom({
      roomUri: clubhouse,
      creator: a1,
      hubExternalSender: hub.sender,
      name: "Clubhouse",
    });
    const context = alice1.state.groupContext;
    expect(text.decode(context.groupId)).toBe("mimi://a.example/g/clubhouse");
    const byType = new Map(context.extensions.map((entry) => [entry.extensionType, entry.extensionData]));
    const dictionary = decode(appDataDictionary, byType.get(ExtensionType.appDataDictionary) ?? new Uint8Array());
    const components = new Map(dictionary.componentData.map((entry) => [entry.componentId, entry.data]));
    // app_components, safe_aad, participant_list, room_metadata, roles_list, base_room_policy
    expect([...components.keys()]).toEqual([0x0001, 0x0002, 0x0022, 0x0023, 0x0025, 0x0027]);
    expect(decode(componentsList, components.get(ComponentId.safeAad) ?? new Uint8Array())).toEqual({
      componentIds: [0x0020],
    });
    expect(decode(componentsList, components.get(ComponentId.appComponents) ?? new Uint8Array())).toEqual({
      componentIds: [0x0002, 0x0020, 0x0022, 0x0023, 0x0025, 0x0027],
    });
    const required = decodeRequiredCapabilities(byType.get("required_capabilities") ?? new Uint8Array(), 0)?.[0];
    expect(required?.extensionTypes).toEqual([ExtensionType.appDataDictionary]);
    expect(required?.proposalTypes).toEqual([ProposalType.appDataUpdate, ProposalType.selfRemove]);
    const senders = decodeExternalSenders(byType.get("external_senders") ?? new Uint8Array());
    expect(
      senders?.map((sender) =>
        text.decode(sender.credential.credentialType === "basic" ? sender.credential.identity : new Uint8Array()),
      ),
    ).toEqual([hubUri]);
    expect(participants(alice1)).toEqual([[alice, PresetRoleIndex.superAdmin, [clientOf(alice, 1)]]]);
    expect(roomInfo(alice1).metadata?.roomName).toBe("Clubhouse");

    // s.3.2: Alice adds Bob and his two clients in one commit.
    const addBob = expectOk(
      await addUsers(alice1, [
        { userUri: bob, roleIndex: PresetRoleIndex.ordinaryUser, keyPackages: [b1.publicPackage, b2.publicPackage] },
      ]),
    );
    expect(addBob.change.operations.map((operation) => operation.type)).toEqual([
      "participantListUpdate",
      "addClient",
      "addClient",
    ]);
    const bundle = commitParts(addBob.bundle);
    expect(bundle.proposalOrCommit.wireformat).toBe("mls_public_message");
    expect(bundle.groupInfoOption.representation).toBe(GroupInfoRepresentation.full);
    expect(bundle.ratchetTreeOption.representation).toBe(RatchetTreeRepresentation.full);
    expectPolicyAgrees(alice1, addBob);
    alice1 = addBob.room;
    let [bob1, bob2] = (await joinAll(addBob.bundle, [b1, b2])) as [Room, Room];
    expectAgreement([alice1, bob1, bob2]);
    expect(participants(bob2)).toEqual([
      [alice, 4, [clientOf(alice, 1)]],
      [bob, 2, [clientOf(bob, 1), clientOf(bob, 2)]],
    ]);

    // s.3.3: Bob adds Cathy; the existing members process the commit.
    const addCathy = expectOk(
      await addUsers(bob1, [{ userUri: cathy, roleIndex: 2, keyPackages: [c1.publicPackage, c2.publicPackage] }]),
    );
    expectPolicyAgrees(bob1, addCathy);
    bob1 = addCathy.room;
    [alice1, bob2] = (await deliver([alice1, bob2], addCathy.bundle)) as [Room, Room];
    let [cathy1, cathy2] = (await joinAll(addCathy.bundle, [c1, c2])) as [Room, Room];
    expectAgreement([alice1, bob1, bob2, cathy1, cathy2]);

    // s.3.4: Cathy says hello; everyone decrypts it and knows it is hers.
    const hello = expectOk(await sendMessage(cathy1, utf8.encode("hello, clubhouse")));
    cathy1 = hello.room;
    const readers = [alice1, bob1, bob2, cathy2];
    const received = [];
    for (const reader of readers)
      received.push(expectOk(await receiveMessage(reader, messageOverTheWire(hello.message))));
    expect(received.map((entry) => [text.decode(entry.content), entry.sender.clientUri, entry.sender.userUri])).toEqual(
      readers.map(() => ["hello, clubhouse", clientOf(cathy, 1), cathy]),
    );
    [alice1, bob1, bob2, cathy2] = received.map((entry) => entry.room) as [Room, Room, Room, Room];

    // Alice makes Cathy a group admin.
    const promote = expectOk(await changeRoles(alice1, [{ userUri: cathy, roleIndex: PresetRoleIndex.groupAdmin }]));
    expectPolicyAgrees(alice1, promote);
    alice1 = promote.room;
    [bob1, bob2, cathy1, cathy2] = (await deliver([bob1, bob2, cathy1, cathy2], promote.bundle)) as [
      Room,
      Room,
      Room,
      Room,
    ];
    expectAgreement([alice1, bob1, bob2, cathy1, cathy2]);
    expect(roomInfo(cathy2).participants.find((entry) => entry.userUri === cathy)?.roleName).toBe("group_admin");

    // Bob renames the room (an ordinary user may, in a cooperatively administered room).
    const rename = expectOk(await updateMetadata(bob1, { roomName: "Chess club", roomSubject: "openings" }));
    expectPolicyAgrees(bob1, rename);
    bob1 = rename.room;
    [alice1, bob2, cathy1, cathy2] = (await deliver([alice1, bob2, cathy1, cathy2], rename.bundle)) as [
      Room,
      Room,
      Room,
      Room,
    ];
    expectAgreement([alice1, bob1, bob2, cathy1, cathy2]);
    expect(roomInfo(alice1).metadata).toMatchObject({
      roomUri: clubhouse,
      roomName: "Chess club",
      roomSubject: "openings",
    });

    // s.3.5: Bob leaves. His second client sends its SelfRemove; his first its own and removes Bob from the list.
    const leaveB2 = expectOk(await leave(bob2, { removeUser: false, removeOtherClients: false }));
    bob2 = leaveB2.room;
    [alice1, bob1, cathy1, cathy2] = (await deliver([alice1, bob1, cathy1, cathy2], leaveB2.bundle)) as [
      Room,
      Room,
      Room,
      Room,
    ];
    const leaveB1 = expectOk(await leave(bob1));
    // bob2's removal is already pending: a SelfRemove and the participant list update, no Remove.
    const leaveBundle = leaveB1.bundle;
    expect("moreProposals" in leaveBundle && leaveBundle.moreProposals.length).toBe(1);
    bob1 = leaveB1.room;
    [alice1, bob2, cathy1, cathy2] = (await deliver([alice1, bob2, cathy1, cathy2], leaveB1.bundle)) as [
      Room,
      Room,
      Room,
      Room,
    ];
    expect(roomInfo(cathy1).pendingProposals).toBe(3);

    const cleanup = expectOk(await commitPending(cathy1));
    expect(
      cleanup.change.operations.map((operation) => [
        operation.type,
        operation.type === "externalJoin" ? undefined : operation.proposer?.userUri,
      ]),
    ).toEqual([
      ["selfRemove", bob],
      ["selfRemove", bob],
      ["participantListUpdate", bob],
    ]);
    expectPolicyAgrees(cathy1, cleanup);
    cathy1 = cleanup.room;
    [alice1, bob1, bob2, cathy2] = (await deliver([alice1, bob1, bob2, cathy2], cleanup.bundle)) as [
      Room,
      Room,
      Room,
      Room,
    ];
    expect([roomInfo(bob1).active, roomInfo(bob2).active]).toEqual([false, false]);
    expectAgreement([alice1, cathy1, cathy2]);
    expect(participants(alice1)).toEqual([
      [alice, 4, [clientOf(alice, 1)]],
      [cathy, 3, [clientOf(cathy, 1), clientOf(cathy, 2)]],
    ]);

    // s.3.6: Cathy retires her second client and adds a third by external commit, taking the pending SelfRemove.
    const retire = expectOk(await leave(cathy2, { removeUser: false, removeOtherClients: false }));
    cathy2 = retire.room;
    [alice1, cathy1] = (await deliver([alice1, cathy1], retire.bundle)) as [Room, Room];
    const { groupInfoOption, ratchetTreeOption } = commitParts(overTheWire(cleanup.bundle));
    if (groupInfoOption.representation !== GroupInfoRepresentation.full) throw new Error("not a full GroupInfo");
    const joined = expectOk(
      await joinByExternalCommit({
        groupInfo: groupInfoOption.groupInfo,
        ratchetTreeOption,
        selfRemoveProposals: [overTheWire(retire.bundle).proposalOrCommit],
        keyPackage: c3,
      }),
    );
    expect(joined.change.sender).toMatchObject({ kind: "newMember", clientUri: clientOf(cathy, 3) });
    expect(joined.change.operations.map((operation) => operation.type)).toEqual(["selfRemove", "externalJoin"]);
    let cathy3 = joined.room;
    [alice1, cathy1, cathy2] = (await deliver([alice1, cathy1, cathy2], joined.bundle)) as [Room, Room, Room];
    expect(roomInfo(cathy2).active).toBe(false);
    expectAgreement([alice1, cathy1, cathy3]);
    // The joiner takes the leftmost free leaf (RFC 9420 s.7.7), Bob's first client's.
    expect(roomInfo(cathy3).members.map((member) => [member.leafIndex, member.clientUri])).toEqual([
      [0, clientOf(alice, 1)],
      [1, clientOf(cathy, 3)],
      [3, clientOf(cathy, 1)],
    ]);
    expect(participants(cathy3)).toEqual([
      [alice, 4, [clientOf(alice, 1)]],
      [cathy, 3, [clientOf(cathy, 3), clientOf(cathy, 1)]],
    ]);
    const fromNewDevice = expectOk(await sendMessage(cathy3, utf8.encode("on my new phone")));
    cathy3 = fromNewDevice.room;
    const readByAlice = expectOk(await receiveMessage(alice1, fromNewDevice.message));
    expect([text.decode(readByAlice.content), readByAlice.sender.clientUri]).toEqual([
      "on my new phone",
      clientOf(cathy, 3),
    ]);
  });
});

/** A room of Alice (super admin) and Bob (ordinary user, two clients), with the given roles. */
async function aliceAndBob(
  roles: RoleData = cooperativelyAdministeredRoles(),
  participants: readonly UserRolePair[] = [],
) {
  const hub = await newHub();
  const [a1, b1, b2] = await Promise.all([keyPackage(alice, 1), keyPackage(bob, 1), keyPackage(bob, 2)]);
  const created = await createRoom({
    roomUri: clubhouse,
    creator: a1,
    hubExternalSender: hub.sender,
    roles,
    participants,
  });
  const added = expectOk(
    await addUsers(created, [{ userUri: bob, roleIndex: 2, keyPackages: [b1.publicPackage, b2.publicPackage] }]),
  );
  const [bob1, bob2] = (await joinAll(added.bundle, [b1, b2])) as [Room, Room];
  return { hub, alice1: added.room, bob1, bob2, lastCommit: added.bundle };
}

const suite = await getCiphersuiteImpl(getCiphersuiteFromName(RoomCipherSuite.x25519));

function tsMlsProposal(update: AppDataUpdate): Proposal {
  const { componentId, change } = update;
  return makeAppDataUpdateProposal(
    change.op === AppDataUpdateOperation.update
      ? { componentId, op: "update", update: change.update }
      : { componentId, op: "remove" },
  );
}

/** A commit made with ts-mls alone, as a client without the policy engine would. */
async function rawCommit(room: Room, proposals: Proposal[]): Promise<{ room: Room; commit: MLSMessage }> {
  const created = await createCommit(
    { state: room.state, cipherSuite: suite },
    { wireAsPublicMessage: true, extraProposals: proposals },
  );
  return { room: { state: created.newState, pendingProposals: [] }, commit: created.commit };
}

/** ts-mls processing without the policy engine. */
async function rawProcess(room: Room, message: MLSMessage): Promise<Room> {
  const processed = await processMessage(
    messageOverTheWire(message) as MlsPublicMessage,
    room.state,
    emptyPskIndex,
    acceptAll,
    suite,
  );
  return { state: processed.newState, pendingProposals: [] };
}

describe("member-side policy (room-policy-03 s.8, protocol-06 s.5.3)", () => {
  it("a plain participant may not add users in a strictly administered room, before sending or on receipt", async () => {
    const { alice1, bob1 } = await aliceAndBob(strictlyAdministeredRoles());
    const c1 = await keyPackage(cathy, 1);
    const attempt = await addUsers(bob1, [{ userUri: cathy, roleIndex: 2, keyPackages: [c1.publicPackage] }]);
    expect(refusalCodes(attempt)).toEqual(["capability-missing"]);
    expect(!attempt.ok && attempt.error.kind === "refused" && attempt.error.refusals[0]?.capability).toBe(
      "canAddParticipant",
    );

    // Bob's client sends it anyway, bypassing the policy engine: Alice refuses the commit and stays in her epoch.
    const forced = await rawCommit(bob1, [
      tsMlsProposal(addUsersUpdate([{ user: cathy, roleIndex: 2 }])),
      { proposalType: "add", add: { keyPackage: c1.publicPackage } },
    ]);
    const received = await processHandshake(alice1, messageOverTheWire(forced.commit));
    expect(refusalCodes(received)).toEqual(["capability-missing"]);
    expect(roomInfo(alice1).epoch).toBe(1n);
  });

  it("a participant adds its own client, not another participant's; an admin removes a user with all its clients", async () => {
    const { alice1, bob1, bob2 } = await aliceAndBob();
    const [b3, a2] = await Promise.all([keyPackage(bob, 3), keyPackage(alice, 2)]);
    // An ordinary user may not give Alice a client: it could not add Alice with her role (room-policy-03 s.8.1.1).
    expect(refusalCodes(await addClients(bob1, [a2.publicPackage]))).toEqual(["role-change-not-authorized"]);
    const third = expectOk(await addClients(bob1, [b3.publicPackage]));
    expect(third.change.operations).toEqual([{ type: "addClient", clientUri: clientOf(bob, 3), userUri: bob }]);
    const [bob3] = (await joinAll(third.bundle, [b3])) as [Room];
    const [alice2, bob2After] = (await deliver([alice1, bob2], third.bundle)) as [Room, Room];
    expectAgreement([third.room, bob2After, bob3, alice2]);

    expect(invalidReason(await removeUsers(alice2, [cathy]))).toMatch(
      /not in the participant list: mimi:\/\/c.example\/u\/cathy/,
    );
    const removal = expectOk(await removeUsers(alice2, [bob]));
    expect(removal.change.operations.map((operation) => operation.type)).toEqual([
      "participantListUpdate",
      "removeClient",
      "removeClient",
      "removeClient",
    ]);
    expectPolicyAgrees(alice2, removal);
    const bobs = await deliver([third.room, bob2After, bob3], removal.bundle);
    expect(bobs.map((room) => roomInfo(room).active)).toEqual([false, false, false]);
    expect(participants(removal.room)).toEqual([[alice, 4, [clientOf(alice, 1)]]]);
  });

  it("banning a participant removes its clients in the same commit", async () => {
    const { alice1, bob1, bob2 } = await aliceAndBob();
    const ban = expectOk(await changeRoles(alice1, [{ userUri: bob, roleIndex: PresetRoleIndex.banned }]));
    expect(ban.change.operations.map((operation) => operation.type)).toEqual([
      "participantListUpdate",
      "removeClient",
      "removeClient",
    ]);
    const [after1, after2] = await deliver([bob1, bob2], ban.bundle);
    expect([after1?.state.groupActiveState.kind, after2?.state.groupActiveState.kind]).toEqual([
      "removedFromGroup",
      "removedFromGroup",
    ]);
    expect(participants(ban.room)).toEqual([
      [alice, 4, [clientOf(alice, 1)]],
      [bob, 1, []],
    ]);
  });

  it("a banned user's client may send only Remove and SelfRemove of its own clients", async () => {
    const { alice1, bob1, bob2 } = await aliceAndBob();
    // A client without the policy engine bans Bob but leaves his clients in the group.
    const ban = await rawCommit(alice1, [
      tsMlsProposal(changeRolesUpdate(roomInfo(alice1).state, [{ user: bob, roleIndex: 1 }])),
    ]);
    // room-policy-03 Appendix A: the banned role allows no active participant either.
    expect(refusalCodes(await processHandshake(bob1, messageOverTheWire(ban.commit))).sort()).toEqual([
      "max-active-participants",
      "removed-user-keeps-clients",
    ]);
    // In the group that accepted it, Bob's clients are refused everything but their own removal.
    let banned1 = await rawProcess(bob1, ban.commit);
    let banned2 = await rawProcess(bob2, ban.commit);
    let aliceRoom = ban.room;
    expect(refusalCodes(await sendMessage(banned1, utf8.encode("still here")))).toEqual(["sender-removed-or-banned"]);
    expect(refusalCodes(await updateMetadata(banned1, { roomName: "Bob's club" }))).toEqual([
      "sender-removed-or-banned",
    ]);
    expect(refusalCodes(await leave(banned1))).toEqual(["sender-removed-or-banned"]);
    expect(refusalCodes(await commitPending(banned1))).toEqual(["sender-removed-or-banned"]);
    // Alice's client refuses a message from a banned client too.
    const forced = await createApplicationMessage(
      banned1.state,
      utf8.encode("psst"),
      suite,
      encode(safeAad, { aadItems: [] }),
    );
    const refusedMessage = await receiveMessage(aliceRoom, {
      version: "mls10",
      wireformat: "mls_private_message",
      privateMessage: forced.privateMessage,
    });
    expect(refusalCodes(refusedMessage)).toEqual(["sender-removed-or-banned"]);

    const goodbye = expectOk(await leave(banned1, { removeUser: false }));
    expect(goodbye.change.operations.map((operation) => operation.type)).toEqual(["selfRemove", "removeClient"]);
    banned1 = goodbye.room;
    [aliceRoom, banned2] = (await deliver([aliceRoom, banned2], goodbye.bundle)) as [Room, Room];
    const cleanup = expectOk(await commitPending(aliceRoom));
    [banned1, banned2] = (await deliver([banned1, banned2], cleanup.bundle)) as [Room, Room];
    expect([roomInfo(banned1).active, roomInfo(banned2).active]).toEqual([false, false]);
    expect(roomInfo(cleanup.room).members.map((member) => member.clientUri)).toEqual([clientOf(alice, 1)]);
  });

  it("refuses handshakes that are not PublicMessages of the current epoch", async () => {
    const { alice1, bob1 } = await aliceAndBob();
    const privateCommit = await createCommit(
      { state: alice1.state, cipherSuite: suite },
      { wireAsPublicMessage: false },
    );
    expect(invalidReason(await processHandshake(bob1, privateCommit.commit))).toMatch(/PublicMessage/);
    const rename = expectOk(await updateMetadata(alice1, { roomName: "Renamed" }));
    const bob1After = (await deliver([bob1], rename.bundle))[0] as Room;
    // The same commit again is of the previous epoch.
    expect(invalidReason(await processHandshake(bob1After, overTheWire(rename.bundle).proposalOrCommit))).toMatch(
      /epoch 1/,
    );
  });

  it("a commit ts-mls refuses is invalid, whatever the policy says", async () => {
    const { alice1, bob1 } = await aliceAndBob(strictlyAdministeredRoles());
    const c1 = await keyPackage(cathy, 1);
    const forced = await rawCommit(bob1, [
      tsMlsProposal(addUsersUpdate([{ user: cathy, roleIndex: 2 }])),
      { proposalType: "add", add: { keyPackage: c1.publicPackage } },
    ]);
    const commit = messageOverTheWire(forced.commit);
    if (commit.wireformat !== "mls_public_message") throw new Error("not a PublicMessage");
    const signature = commit.publicMessage.auth.signature.slice();
    signature[0] = (signature[0] ?? 0) ^ 1;
    const tampered: MLSMessage = {
      ...commit,
      publicMessage: { ...commit.publicMessage, auth: { ...commit.publicMessage.auth, signature } },
    };
    // The policy refuses the commit as sent (a plain participant adding), but its signature is checked first.
    expect(refusalCodes(await processHandshake(alice1, commit))).toEqual(["capability-missing"]);
    expect(invalidReason(await processHandshake(alice1, tampered))).toMatch(/^CryptoVerificationError: /);
  });
});

describe("the Hub as external sender (protocol-06 s.7.4)", () => {
  it("proposes removing a user as policy enforcer; a member commits the proposals by reference", async () => {
    const { hub, alice1, bob1, bob2, lastCommit } = await aliceAndBob(cooperativelyAdministeredRoles(), [
      { user: hubUri, roleIndex: PresetRoleIndex.policyEnforcer },
    ]);
    const { groupInfoOption } = commitParts(overTheWire(lastCommit));
    if (groupInfoOption.representation !== GroupInfoRepresentation.full) throw new Error("not a full GroupInfo");
    const propose = (proposal: Proposal) =>
      proposeExternal(groupInfoOption.groupInfo, proposal, hub.publicKey, hub.signKey, suite);
    const listRemoval = await propose(tsMlsProposal(removeUsersUpdate(roomInfo(alice1).state, [bob])));
    const removes = await Promise.all(
      roomInfo(alice1)
        .members.filter((member) => member.userUri === bob)
        .map((member) => propose({ proposalType: "remove", remove: { removed: member.leafIndex } })),
    );
    const received = expectOk(
      await processHandshake(alice1, messageOverTheWire(listRemoval), removes.map(messageOverTheWire)),
    );
    expect(received.change).toMatchObject({ kind: "proposals", sender: { kind: "external", userUri: hubUri } });
    const cleanup = expectOk(await commitPending(received.room));
    expect(
      cleanup.change.operations.map((operation) => [
        operation.type,
        operation.type === "externalJoin" ? undefined : operation.proposer?.kind,
      ]),
    ).toEqual([
      ["participantListUpdate", "external"],
      ["removeClient", "external"],
      ["removeClient", "external"],
    ]);
    expect(participants(cleanup.room).map(([user]) => user)).toEqual([alice, hubUri]);
    // Bob's clients accept the Hub's proposals, then the commit removing them.
    let bobs = [bob1, bob2];
    const hubProposals: HandshakeBundle = { proposalOrCommit: listRemoval, moreProposals: removes };
    bobs = await deliver(bobs, hubProposals);
    bobs = await deliver(bobs, cleanup.bundle);
    expect(bobs.map((room) => roomInfo(room).active)).toEqual([false, false]);
  });

  it("refuses the Hub's proposals when its role lacks the capability", async () => {
    const { hub, alice1, lastCommit } = await aliceAndBob();
    const { groupInfoOption } = commitParts(overTheWire(lastCommit));
    if (groupInfoOption.representation !== GroupInfoRepresentation.full) throw new Error("not a full GroupInfo");
    const rename = await proposeExternal(
      groupInfoOption.groupInfo,
      tsMlsProposal(metadataUpdate(roomInfo(alice1).state, { roomName: "Hub's room" })),
      hub.publicKey,
      hub.signKey,
      suite,
    );
    // Not in the participant list and no preauthorization: role 0, which holds no capability here.
    const received = await processHandshake(alice1, messageOverTheWire(rename));
    expect(refusalCodes(received)).toEqual(["capability-missing"]);
  });
});

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

function privateMessageOf(message: MLSMessage) {
  if (message.wireformat !== "mls_private_message") throw new Error("not a PrivateMessage");
  return message.privateMessage;
}

describe("SafeAAD and franking (protocol-06 s.5.4.1, mls-extensions s.4.9)", () => {
  it("frankingTag is HMAC-SHA256(salt, application_data) (RFC 4231 test case 2)", () => {
    expect(hex(frankingTag(utf8.encode("Jefe"), utf8.encode("what do ya want for nothing?")))).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });

  it("carries the franking tag in the frank_aad item of the SafeAAD, and the receiver reads it back", async () => {
    const { alice1, bob1 } = await aliceAndBob();
    const content = utf8.encode("a message worth reporting");
    const salt = new Uint8Array(16).fill(0x5a);
    const tag = frankingTag(salt, content);
    const sent = expectOk(await sendMessage(bob1, content, { frankingTag: tag }));
    // SafeAAD { aad_items<V> }: one 35-byte item, component_id 0x0020, aad_item_data<V> a 32-byte FrankAAD.
    expect(hex(privateMessageOf(sent.message).authenticatedData)).toBe(`23002020${hex(tag)}`);
    const received = expectOk(await receiveMessage(alice1, messageOverTheWire(sent.message)));
    expect(received.safeAad).toEqual({ aadItems: [{ componentId: ComponentId.frankAad, aadItemData: tag }] });
    expect(received.frankingTag).toEqual(tag);
    // The receiver can check the tag against the content's salt.
    expect(hex(frankingTag(salt, received.content))).toBe(hex(tag));
  });

  it("frames authenticated_data as an empty SafeAAD when there is no franking tag", async () => {
    const { alice1, bob1 } = await aliceAndBob();
    const sent = expectOk(await sendMessage(bob1, utf8.encode("unfranked")));
    expect(hex(privateMessageOf(sent.message).authenticatedData)).toBe("00");
    const received = expectOk(await receiveMessage(alice1, sent.message));
    expect([received.safeAad, received.frankingTag]).toEqual([{ aadItems: [] }, undefined]);
  });

  it("refuses authenticated_data that is not exactly a SafeAAD with a FrankAAD", async () => {
    const { alice1, bob1 } = await aliceAndBob();
    const withAad = async (aad: Uint8Array) => {
      const created = await createApplicationMessage(bob1.state, utf8.encode("x"), suite, aad);
      return receiveMessage(alice1, {
        version: "mls10",
        wireformat: "mls_private_message",
        privateMessage: created.privateMessage,
      });
    };
    expect(invalidReason(await withAad(Uint8Array.of(0x01, 0x02)))).toMatch(/SafeAAD/);
    expect(invalidReason(await withAad(Uint8Array.of(0x00, 0x00)))).toMatch(/trailing/);
    const shortTag = encode(safeAad, {
      aadItems: [{ componentId: ComponentId.frankAad, aadItemData: new Uint8Array(31) }],
    });
    expect(invalidReason(await withAad(shortTag))).toMatch(/FrankAAD/);
    // Two empty items, 0x0021 before 0x0020: items must be in increasing component_id order.
    const unsorted = Uint8Array.of(0x06, 0x00, 0x21, 0x00, 0x00, 0x20, 0x00);
    expect(invalidReason(await withAad(unsorted))).toMatch(/sorted by component_id/);
  });

  it("refuses to send a franking tag that is not 32 bytes", async () => {
    const { bob1 } = await aliceAndBob();
    expect(invalidReason(await sendMessage(bob1, utf8.encode("x"), { frankingTag: new Uint8Array(16) }))).toMatch(/32/);
  });
});

describe("encodeRoom / decodeRoom", () => {
  it("round-trips a room with a pending proposal, and the decoded room goes on working", async () => {
    const { alice1, bob1, bob2 } = await aliceAndBob();
    const leaving = expectOk(await leave(bob2, { removeUser: false, removeOtherClients: false }));
    const [alicePending, bobPending] = (await deliver([alice1, bob1], leaving.bundle)) as [Room, Room];
    const bytes = encodeRoom(alicePending);
    const decoded = expectOk(decodeRoom(bytes)).room;
    expect(hex(encodeRoom(decoded))).toBe(hex(bytes));
    expect(roomInfo(decoded)).toEqual(roomInfo(alicePending));
    expect(decoded.pendingProposals).toEqual([
      { ref: expect.any(Uint8Array), sender: { kind: "member", leafIndex: 2 } },
    ]);

    const cleanup = expectOk(await commitPending(decoded));
    const [bobAfter] = (await deliver([bobPending], cleanup.bundle)) as [Room];
    expectAgreement([cleanup.room, bobAfter]);
    const sent = expectOk(await sendMessage(cleanup.room, utf8.encode("still works")));
    expect(text.decode(expectOk(await receiveMessage(bobAfter, sent.message)).content)).toBe("still works");
  });

  it("reads only exactly one canonical record whose pending senders match the group state", async () => {
    const { alice1, bob2 } = await aliceAndBob();
    const leaving = expectOk(await leave(bob2, { removeUser: false, removeOtherClients: false }));
    const [pending] = (await deliver([alice1], leaving.bundle)) as [Room];
    const bytes = encodeRoom(pending);
    expect(invalidReason(decodeRoom(Uint8Array.of(...bytes, 0)))).toMatch(/trailing/);
    expect(invalidReason(decodeRoom(bytes.subarray(0, bytes.length - 1)))).toMatch(/RoomRecord/);
    expect(invalidReason(decodeRoom(Uint8Array.of(2, ...bytes.subarray(1))))).toMatch(/version 2/);
    const withoutSenders = encodeRoom({ ...pending, pendingProposals: [] });
    expect(invalidReason(decodeRoom(withoutSenders))).toMatch(/pending proposals/);
  });
});

describe("cipher suites", () => {
  it("runs a room on MLS_128_DHKEMP256_AES128GCM_SHA256_P256", async () => {
    const p256 = RoomCipherSuite.p256;
    const hub = await newHub(p256);
    const [a1, b1] = await Promise.all([keyPackage(alice, 1, p256), keyPackage(bob, 1, p256)]);
    const created = await createRoom({
      roomUri: clubhouse,
      creator: a1,
      hubExternalSender: hub.sender,
      cipherSuite: p256,
    });
    expect(created.state.groupContext.cipherSuite).toBe(p256);
    const added = expectOk(await addUsers(created, [{ userUri: bob, roleIndex: 2, keyPackages: [b1.publicPackage] }]));
    const [bob1] = (await joinAll(added.bundle, [b1])) as [Room];
    expectAgreement([added.room, bob1]);
    const sent = expectOk(
      await sendMessage(bob1, utf8.encode("P-256 hello"), { frankingTag: new Uint8Array(32).fill(1) }),
    );
    const received = expectOk(await receiveMessage(added.room, messageOverTheWire(sent.message)));
    expect([text.decode(received.content), received.sender.userUri]).toEqual(["P-256 hello", bob]);
  });

  it("refuses a creator KeyPackage of another suite, and a URI that is not a room's", async () => {
    const hub = await newHub(RoomCipherSuite.p256);
    const a1 = await keyPackage(alice, 1);
    await expect(
      createRoom({ roomUri: clubhouse, creator: a1, hubExternalSender: hub.sender, cipherSuite: RoomCipherSuite.p256 }),
    ).rejects.toThrow(/MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519, not MLS_128_DHKEMP256_AES128GCM_SHA256_P256/);
    await expect(
      createRoom({ roomUri: "mimi://a.example/u/alice", creator: a1, hubExternalSender: hub.sender }),
    ).rejects.toThrow(RangeError);
  });
});
