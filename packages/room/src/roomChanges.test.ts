import { encode } from "@mimi-ts/codec";
import { ComponentId, ExtensionType, participantListUpdate } from "@mimi-ts/protocol";
import {
  type Credential,
  type ExternalSender,
  type GroupContext,
  makeAppDataUpdateProposal,
  makeSelfRemoveProposal,
  type Proposal,
} from "ts-mls";
import { describe, expect, it } from "vitest";
import type { CommittedProposal, ProposalSender } from "./committedProposal.js";
import { authorize } from "./policy.js";
import { cooperativelyAdministeredRoles, newRoomState, PresetRoleIndex } from "./roomBuilder.js";
import { type GroupView, groupViewOf, proposalChangeOf, type RoomChangeResult, roomChangeOf } from "./roomChanges.js";
import { type ClientKeyPackage, createRoom } from "./roomMember.js";
import { keyPackage, newHub } from "./test-support/members.js";
import { alice, bob, cathy, client, externalSender, member, newMember } from "./test-support/roomFixtures.js";

const utf8 = new TextEncoder();
const hubUri = "mimi://a.example";
const roomUri = "mimi://a.example/r/club";

function basic(identity: string): Credential {
  return { credentialType: "basic", identity: utf8.encode(identity) };
}

const hubSender: ExternalSender = { signaturePublicKey: new Uint8Array(32).fill(1), credential: basic(hubUri) };

/** Alice (super admin, one client at leaf 0) and Bob (ordinary user, clients at leaves 1 and 3); the Hub as external sender 0. */
const view: GroupView = {
  room: newRoomState({
    roomUri,
    creator: { user: alice, roleIndex: PresetRoleIndex.superAdmin },
    roles: cooperativelyAdministeredRoles(),
    participants: [{ user: bob, roleIndex: PresetRoleIndex.ordinaryUser }],
  }),
  members: [
    { leafIndex: 0, clientUri: client(alice, 1), userUri: alice },
    { leafIndex: 1, clientUri: client(bob, 1), userUri: bob },
    { leafIndex: 3, clientUri: client(bob, 2), userUri: bob },
  ],
  externalSenders: [hubSender, { signaturePublicKey: new Uint8Array(32), credential: basic("hub.example") }],
};

const fromLeaf = (leafIndex: number): ProposalSender => ({ kind: "member", leafIndex });
const fromHub: ProposalSender = { kind: "external", senderIndex: 0 };

const listUpdate = {
  changedRoleParticipants: [],
  removedIndices: [1],
  addedParticipants: [],
};

function appDataUpdate(componentId: number, update: Uint8Array): Proposal {
  return makeAppDataUpdateProposal({ componentId, op: "update", update });
}

const removeBobFromList = appDataUpdate(ComponentId.participantList, encode(participantListUpdate, listUpdate));

function add(keyPackage: ClientKeyPackage): Proposal {
  return { proposalType: "add", add: { keyPackage: keyPackage.publicPackage } };
}

/** An Update proposal carrying a KeyPackage's leaf data (the mapping reads only its credential). */
function updateWith(keyPackage: ClientKeyPackage): Proposal {
  const { hpkePublicKey, signaturePublicKey, credential, capabilities, extensions, signature } =
    keyPackage.publicPackage.leafNode;
  return {
    proposalType: "update",
    update: {
      leafNode: {
        leafNodeSource: "update",
        hpkePublicKey,
        signaturePublicKey,
        credential,
        capabilities,
        extensions,
        signature,
      },
    },
  };
}

function withCredential(keyPackage: ClientKeyPackage, credential: Credential): ClientKeyPackage {
  const { publicPackage } = keyPackage;
  return { ...keyPackage, publicPackage: { ...publicPackage, leafNode: { ...publicPackage.leafNode, credential } } };
}

const byValue = (proposal: Proposal, sender: ProposalSender = fromLeaf(0)): CommittedProposal => ({
  proposal,
  sender,
  byReference: false,
});
const byReference = (proposal: Proposal, sender: ProposalSender): CommittedProposal => ({
  proposal,
  sender,
  byReference: true,
});

function changeOf(result: RoomChangeResult) {
  if (!result.ok) expect.fail(result.refusals.map((refusal) => refusal.reason).join("; "));
  return result.change;
}

function refusalsOf(result: RoomChangeResult) {
  if (result.ok) return expect.fail("expected refusals");
  for (const refusal of result.refusals) expect(refusal.code).toBe("malformed-change");
  return result.refusals.map(({ operation, section }) => [operation, section]);
}

const [cathy1, bob2] = await Promise.all([keyPackage(cathy, 1), keyPackage(bob, 2)]);

describe("groupViewOf", () => {
  it("reads a room's components, its clients by leaf and its external senders", async () => {
    const hub = await newHub();
    const room = await createRoom({ roomUri, creator: await keyPackage(alice, 1), hubExternalSender: hub.sender });
    const read = groupViewOf(room.state.groupContext, room.state.ratchetTree);
    if (!read.ok) return expect.fail(read.reason);
    expect(read.view.members).toEqual([{ leafIndex: 0, clientUri: client(alice, 1), userUri: alice }]);
    expect(read.view.externalSenders).toEqual([hub.sender]);
    expect(read.view.room.participantList?.participants).toEqual([{ user: alice, roleIndex: 4 }]);
    expect(read.view.room.roomMetadata?.roomUri).toBe(roomUri);
  });

  it("refuses a group that is not a MIMI room: bad components, repeated extensions, non-MIMI leaves", async () => {
    const hub = await newHub();
    const room = await createRoom({ roomUri, creator: await keyPackage(alice, 1), hubExternalSender: hub.sender });
    const { groupContext, ratchetTree } = room.state;
    const withExtensions = (extensions: GroupContext["extensions"]): GroupContext => ({ ...groupContext, extensions });
    const reasonOf = (context: GroupContext, tree = ratchetTree) => {
      const read = groupViewOf(context, tree);
      return read.ok ? expect.fail("expected a refusal") : read.reason;
    };
    const dictionary = { extensionType: ExtensionType.appDataDictionary, extensionData: Uint8Array.of(0x01) };
    expect(reasonOf(withExtensions([dictionary]))).toMatch(/^app_data_dictionary: /);
    expect(reasonOf(withExtensions([...groupContext.extensions, dictionary]))).toMatch(/twice/);
    const senders = { extensionType: "external_senders" as const, extensionData: Uint8Array.of(0x02) };
    expect(reasonOf(withExtensions([senders]))).toMatch(/external_senders/);
    const leaf = ratchetTree[0];
    if (leaf?.nodeType !== "leaf") throw new Error("no leaf 0");
    const hubLeaf = { nodeType: "leaf" as const, leaf: { ...leaf.leaf, credential: basic(hubUri) } };
    expect(reasonOf(groupContext, [hubLeaf])).toMatch(/^leaf 0: .*not a MIMI client URI/);
    // Without app components or external senders the room is empty.
    const bare = groupViewOf(withExtensions([]), ratchetTree);
    expect(bare.ok && [bare.view.room, bare.view.externalSenders]).toEqual([{ otherComponents: [] }, []]);
  });
});

describe("roomChangeOf: a commit's RoomChange", () => {
  it("maps proposals by value to operations of the committer", () => {
    const addCathy = appDataUpdate(
      ComponentId.participantList,
      encode(participantListUpdate, {
        changedRoleParticipants: [],
        removedIndices: [],
        addedParticipants: [{ user: cathy, roleIndex: 2 }],
      }),
    );
    const change = changeOf(roomChangeOf(view, [byValue(addCathy), byValue(add(cathy1))], fromLeaf(0)));
    expect(change).toEqual({
      kind: "commit",
      sender: member(client(alice, 1)),
      operations: [
        {
          type: "participantListUpdate",
          update: {
            changedRoleParticipants: [],
            removedIndices: [],
            addedParticipants: [{ user: cathy, roleIndex: 2 }],
          },
        },
        { type: "addClient", clientUri: client(cathy, 1), userUri: cathy },
      ],
    });
    expect(authorize(view, change).ok).toBe(true);
  });

  it("gives each proposal committed by reference its own proposer: members and external senders", () => {
    const change = changeOf(
      roomChangeOf(
        view,
        [
          byReference({ proposalType: "remove", remove: { removed: 3 } }, fromLeaf(1)),
          byReference(makeSelfRemoveProposal(), fromLeaf(1)),
          byReference(updateWith(bob2), fromLeaf(3)),
          byReference(removeBobFromList, fromHub),
          byValue({ proposalType: "group_context_extensions", groupContextExtensions: { extensions: [] } }),
          byValue({
            proposalType: "reinit",
            reinit: {
              groupId: utf8.encode("g"),
              version: "mls10",
              cipherSuite: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
              extensions: [],
            },
          }),
        ],
        fromLeaf(0),
      ),
    );
    expect(change.operations).toEqual([
      { type: "removeClient", clientUri: client(bob, 2), userUri: bob, proposer: member(client(bob, 1)) },
      { type: "selfRemove", proposer: member(client(bob, 1)) },
      { type: "updateClient", proposer: member(client(bob, 2)) },
      { type: "participantListUpdate", update: listUpdate, proposer: externalSender(hubUri) },
      { type: "groupContextExtensions" },
      { type: "reinit" },
    ]);
  });

  it("maps an external commit: the joiner from its UpdatePath leaf, ExternalInit as its join", () => {
    const change = changeOf(
      roomChangeOf(
        view,
        [
          byReference(makeSelfRemoveProposal(), fromLeaf(3)),
          byValue(
            { proposalType: "external_init", externalInit: { kemOutput: new Uint8Array(32) } },
            { kind: "newMemberCommit" },
          ),
        ],
        { kind: "newMemberCommit" },
        { pathCredential: basic(client(bob, 3)) },
      ),
    );
    expect(change).toEqual({
      kind: "commit",
      sender: newMember(client(bob, 3)),
      operations: [{ type: "selfRemove", proposer: member(client(bob, 2)) }, { type: "externalJoin" }],
    });
    // Bob (ordinary user) may replace his second client with a third (canAddOwnClient, canRemoveOwnClient).
    expect(authorize(view, change).ok).toBe(true);
  });

  it("maps a joiner's own Add, committed by a member, to an Add it proposed", () => {
    const change = changeOf(roomChangeOf(view, [byReference(add(cathy1), { kind: "newMemberProposal" })], fromLeaf(0)));
    expect(change.operations).toEqual([
      { type: "addClient", clientUri: client(cathy, 1), userUri: cathy, proposer: newMember(client(cathy, 1)) },
    ]);
  });

  it("reports every proposal it cannot map, by index, and never throws", () => {
    const result = roomChangeOf(
      view,
      [
        byValue({ proposalType: "remove", remove: { removed: 2 } }),
        byValue(add(withCredential(cathy1, basic(cathy)))),
        byValue(appDataUpdate(ComponentId.participantList, Uint8Array.of(0x01))),
        byValue({ proposalType: 0x0b0b, proposalData: new Uint8Array() }),
        byValue({ proposalType: 8, proposalData: Uint8Array.of(0x00) }),
        byValue({
          proposalType: "psk",
          psk: { preSharedKeyId: { psktype: "external", pskId: new Uint8Array(1), pskNonce: new Uint8Array(32) } },
        }),
        byReference(removeBobFromList, { kind: "external", senderIndex: 2 }),
        byReference(removeBobFromList, { kind: "external", senderIndex: 1 }),
        byReference(updateWith(cathy1), fromLeaf(1)),
        byReference(makeSelfRemoveProposal(), fromLeaf(5)),
      ],
      fromLeaf(0),
    );
    expect(refusalsOf(result)).toEqual([
      [0, "RFC 9420 s.12.1.3"],
      [1, "RFC 9420 s.5.3"],
      [2, "mls-extensions s.4.7"],
      [3, "RFC 9420 s.12.1"],
      [4, "mls-extensions s.4.7"],
      [5, "room-policy-03 s.8.7"],
      [6, "RFC 9420 s.12.1.8.1"],
      [7, "RFC 9420 s.12.1.8.1"],
      [8, "RFC 9420 s.5.3.1"],
      [9, "RFC 9420 s.6"],
    ]);
    const reasons = result.ok ? [] : result.refusals.map((refusal) => refusal.reason);
    expect(reasons[2]).toMatch(/^participantList \(0x0022\): /);
    expect(reasons[7]).toMatch(/not a canonical MIMI URI/);
  });

  it("refuses committers that cannot commit, or whose UpdatePath changes their identity", () => {
    expect(refusalsOf(roomChangeOf(view, [], fromHub))).toEqual([[undefined, "RFC 9420 s.12.4"]]);
    expect(refusalsOf(roomChangeOf(view, [], { kind: "newMemberCommit" }))).toEqual([
      [undefined, "RFC 9420 s.12.4.3.2"],
    ]);
    expect(refusalsOf(roomChangeOf(view, [], fromLeaf(0), { pathCredential: basic(client(bob, 1)) }))).toEqual([
      [undefined, "RFC 9420 s.5.3.1"],
    ]);
    expect(refusalsOf(roomChangeOf(view, [], fromLeaf(2)))).toEqual([[undefined, "RFC 9420 s.6"]]);
    expect(changeOf(roomChangeOf(view, [], fromLeaf(0), { pathCredential: basic(client(alice, 1)) }))).toEqual({
      kind: "commit",
      sender: member(client(alice, 1)),
      operations: [],
    });
  });
});

describe("proposalChangeOf: proposals outside a commit", () => {
  it("takes the first proposal's sender as the change's, and names other senders as proposers", () => {
    const change = changeOf(
      proposalChangeOf(view, [
        { proposal: makeSelfRemoveProposal(), sender: fromLeaf(1) },
        { proposal: removeBobFromList, sender: fromLeaf(1) },
        { proposal: { proposalType: "remove", remove: { removed: 3 } }, sender: fromHub },
      ]),
    );
    expect(change).toEqual({
      kind: "proposals",
      sender: member(client(bob, 1)),
      operations: [
        { type: "selfRemove" },
        { type: "participantListUpdate", update: listUpdate },
        { type: "removeClient", clientUri: client(bob, 2), userUri: bob, proposer: externalSender(hubUri) },
      ],
    });
  });

  it("puts the pending proposals first, each with its proposer", () => {
    const change = changeOf(
      proposalChangeOf(
        view,
        [{ proposal: removeBobFromList, sender: fromLeaf(1) }],
        [{ proposal: makeSelfRemoveProposal(), sender: fromLeaf(3) }],
      ),
    );
    expect(change.operations).toEqual([
      { type: "selfRemove", proposer: member(client(bob, 2)) },
      { type: "participantListUpdate", update: listUpdate },
    ]);
  });

  it("takes a new member's Add as its join (RFC 9420 s.12.1.8)", () => {
    const change = changeOf(proposalChangeOf(view, [{ proposal: add(cathy1), sender: { kind: "newMemberProposal" } }]));
    expect(change).toEqual({
      kind: "proposals",
      sender: newMember(client(cathy, 1)),
      operations: [{ type: "externalJoin" }],
    });
  });

  it("refuses no proposals, a new member proposing anything but its Add, and unknown senders", () => {
    expect(refusalsOf(proposalChangeOf(view, []))).toEqual([[undefined, "protocol-06 s.5.3"]]);
    expect(
      refusalsOf(
        proposalChangeOf(view, [{ proposal: makeSelfRemoveProposal(), sender: { kind: "newMemberProposal" } }]),
      ),
    ).toEqual([[0, "RFC 9420 s.12.1.8"]]);
    expect(
      refusalsOf(
        proposalChangeOf(
          view,
          [{ proposal: removeBobFromList, sender: fromLeaf(1) }],
          [{ proposal: makeSelfRemoveProposal(), sender: fromLeaf(9) }],
        ),
      ),
    ).toEqual([[0, "RFC 9420 s.6"]]);
  });
});
