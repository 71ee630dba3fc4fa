/**
 * mls-extensions s.6.3: the SelfRemove proposal (type 10), an empty struct a
 * member sends as a PublicMessage; a commit includes it by reference only,
 * removes the proposal's sender after Updates and before Removes, and needs
 * an UpdatePath; an external commit may include it; it is never an external
 * proposal. ts-mls 1.6.4 skipped it as an unknown custom proposal.
 */
import { ProposalType } from "@mimi-ts/protocol";
import {
  type ClientState,
  CodecError,
  CryptoVerificationError,
  createApplicationMessage,
  createCommit,
  createGroupInfoWithExternalPub,
  createProposal,
  decodeMlsMessage,
  emptyPskIndex,
  encodeExternalSenders,
  encodeMlsMessage,
  joinGroupExternal,
  type MLSMessage,
  makeSelfRemoveProposal,
  type Proposal,
  proposeExternal,
  selfRemovedLeaves,
  UsageError,
  ValidationError,
} from "ts-mls";
import { applyProposals } from "ts-mls/clientState.js";
import { protectProposal } from "ts-mls/messageProtection.js";
import { protectExternalProposalPublic } from "ts-mls/messageProtectionPublic.js";
import { encodeProposal } from "ts-mls/proposal.js";
import { toLeafIndex } from "ts-mls/treemath.js";
import { base64ToBytes, bytesToBase64 } from "ts-mls/util/byteArray.js";
import { describe, expect, it } from "vitest";
import {
  basicCredential,
  groupContextBytes,
  hex,
  newMember,
  publicMessage,
  publishedGroupInfo,
  receive,
  receiveApplication,
  rejectsWith,
  startGroup,
  suite,
  updateProposal,
  withLeafKey,
} from "../test-support/tsMlsGroup.js";

const utf8 = new TextEncoder();

async function group(names: string[]): Promise<ClientState[]> {
  return startGroup(await Promise.all(names.map((n) => newMember(n))));
}

/** A member's SelfRemove proposal, and the member's state after sending it. */
async function selfRemove(state: ClientState): Promise<{ message: MLSMessage; state: ClientState }> {
  const sent = await createProposal(state, true, makeSelfRemoveProposal(), suite);
  return { message: sent.message, state: sent.newState };
}

function leafOf(state: ClientState, leafIndex: number) {
  return state.ratchetTree[leafIndex * 2];
}

describe("SelfRemove on the wire", () => {
  it("is proposal type 10 with an empty body", () => {
    const proposal = makeSelfRemoveProposal();
    expect(proposal.proposalType).toBe(ProposalType.selfRemove);
    expect(hex(encodeProposal(proposal))).toBe("000a");
    expect(() => encodeProposal({ proposalType: 10, proposalData: new Uint8Array([0]) })).toThrow(CodecError);
  });

  it("goes as a PublicMessage that re-encodes byte for byte", async () => {
    const [, b] = (await group(["alice", "bob"])) as [ClientState, ClientState];
    const { message } = await selfRemove(b);
    const bytes = encodeMlsMessage(message);
    const decoded = decodeMlsMessage(bytes, 0);
    if (decoded === undefined || decoded[0].wireformat !== "mls_public_message") throw new Error("not a PublicMessage");
    const content = decoded[0].publicMessage.content;
    expect(content.contentType === "proposal" && content.proposal).toEqual(makeSelfRemoveProposal());
    expect(hex(encodeMlsMessage(decoded[0]))).toBe(hex(bytes));
  });

  it("cannot be sent or received as a PrivateMessage", async () => {
    const [a, b] = (await group(["alice", "bob"])) as [ClientState, ClientState];
    await rejectsWith(createProposal(b, false, makeSelfRemoveProposal(), suite), UsageError, /PublicMessage/);
    const forged = await protectProposal(
      b.signaturePrivateKey,
      b.keySchedule.senderDataSecret,
      makeSelfRemoveProposal(),
      new Uint8Array(),
      b.groupContext,
      b.secretTree,
      b.privatePath.leafIndex,
      b.clientConfig.paddingConfig,
      suite,
    );
    const received = receive(a, {
      version: "mls10",
      wireformat: "mls_private_message",
      privateMessage: forged.privateMessage,
    });
    await rejectsWith(received, ValidationError, /PublicMessage/);
  });

  it("is never an external proposal", async () => {
    const hub = await suite.signature.keygen();
    const [alice] = await Promise.all([newMember("alice")]);
    if (!alice) throw new Error("alice");
    const [a] = (await startGroup([alice], {
      extensions: [
        {
          extensionType: "external_senders",
          extensionData: encodeExternalSenders([
            { signaturePublicKey: hub.publicKey, credential: basicCredential("hub") },
          ]),
        },
      ],
    })) as [ClientState];
    const groupInfo = await createGroupInfoWithExternalPub(a, [], suite);
    const proposed = proposeExternal(groupInfo, makeSelfRemoveProposal(), hub.publicKey, hub.signKey, suite);
    await rejectsWith(proposed, UsageError, /external proposal/);
    const forged = await protectExternalProposalPublic(
      hub.signKey,
      a.groupContext,
      new Uint8Array(),
      makeSelfRemoveProposal(),
      { senderType: "external", senderIndex: 0 },
      suite,
    );
    await rejectsWith(receive(a, publicMessage(forged.publicMessage)), ValidationError, /must come from a member/);
  });
});

describe("a commit with SelfRemove proposals", () => {
  it("removes the proposal's sender, needs an UpdatePath, and the sender learns it was removed", async () => {
    let [a, b, c] = (await group(["alice", "bob", "carol"])) as [ClientState, ClientState, ClientState];
    const bobLeaf = b.privatePath.leafIndex;
    const sent = await selfRemove(b);
    b = sent.state;
    a = await receive(a, sent.message);
    c = await receive(c, sent.message);

    // Alice commits her pending proposals, Bob's SelfRemove among them, by reference.
    const commit = await createCommit({ state: a, cipherSuite: suite }, { wireAsPublicMessage: true });
    if (commit.commit.wireformat !== "mls_public_message") throw new Error("not a PublicMessage");
    const content = commit.commit.publicMessage.content;
    if (content.contentType !== "commit") throw new Error("not a commit");
    expect(content.commit.proposals.map((p) => p.proposalOrRefType)).toEqual(["reference"]);
    expect(content.commit.path).toBeDefined();
    // An observer resolves the reference to the pending proposal and its sender, and removes that leaf.
    const observed = selfRemovedLeaves(
      content.commit.proposals.map((p) => {
        if (p.proposalOrRefType === "proposal")
          return { ...p, senderLeafIndex: a.privatePath.leafIndex, byReference: false };
        const pending = a.unappliedProposals[bytesToBase64(p.reference)];
        if (pending === undefined) throw new Error("unknown reference");
        return { ...pending, byReference: true };
      }),
      a.privatePath.leafIndex,
    );
    expect(observed).toEqual([bobLeaf]);
    a = commit.newState;
    b = await receive(b, commit.commit);
    c = await receive(c, commit.commit);

    expect(leafOf(a, bobLeaf)).toBeUndefined();
    expect(hex(groupContextBytes(c))).toBe(hex(groupContextBytes(a)));
    expect(b.groupActiveState.kind).toBe("removedFromGroup");
    await rejectsWith(createApplicationMessage(b, utf8.encode("still here?"), suite), UsageError, /removed/);
    const sentByAlice = await createApplicationMessage(a, utf8.encode("bye bob"), suite);
    const received = await receiveApplication(c, {
      version: "mls10",
      wireformat: "mls_private_message",
      privateMessage: sentByAlice.privateMessage,
    });
    expect(received.text).toBe("bye bob");
  });

  it("applies with Updates, Removes and AppDataUpdates in the same commit", async () => {
    let [a, b, c, d] = (await group(["alice", "bob", "carol", "dave"])) as [
      ClientState,
      ClientState,
      ClientState,
      ClientState,
    ];
    const update = await updateProposal(c);
    const updateSent = await createProposal(c, true, update.proposal, suite);
    c = withLeafKey(updateSent.newState, update.hpkePrivateKey);
    const removeSent = await selfRemove(b);
    b = removeSent.state;
    for (const message of [updateSent.message, removeSent.message]) {
      a = await receive(a, message);
      b = await receive(b, message);
      c = await receive(c, message);
      d = await receive(d, message);
    }
    const commit = await createCommit(
      { state: a, cipherSuite: suite },
      { extraProposals: [{ proposalType: "remove", remove: { removed: d.privatePath.leafIndex } }] },
    );
    a = commit.newState;
    b = await receive(b, commit.commit);
    c = await receive(c, commit.commit);
    d = await receive(d, commit.commit);
    expect([b.groupActiveState.kind, d.groupActiveState.kind]).toEqual(["removedFromGroup", "removedFromGroup"]);
    expect(hex(groupContextBytes(c))).toBe(hex(groupContextBytes(a)));
    const carolLeaf = leafOf(a, c.privatePath.leafIndex);
    expect(carolLeaf?.nodeType === "leaf" && carolLeaf.leaf.leafNodeSource).toBe("update");
  });

  it("is invalid with the SelfRemove by value, or with a Remove of the same leaf", async () => {
    let [a, b, c] = (await group(["alice", "bob", "carol"])) as [ClientState, ClientState, ClientState];
    const byValue = createCommit({ state: a, cipherSuite: suite }, { extraProposals: [makeSelfRemoveProposal()] });
    await rejectsWith(byValue, ValidationError, /only be committed by reference/);

    const sent = await selfRemove(b);
    a = await receive(a, sent.message);
    const removeBob = await createProposal(c, true, { proposalType: "remove", remove: { removed: 1 } }, suite);
    c = removeBob.newState;
    a = await receive(a, removeBob.message);
    await rejectsWith(
      createCommit({ state: a, cipherSuite: suite }),
      ValidationError,
      /Remove proposal for a leaf that a SelfRemove/,
    );
  });

  it("cannot include the committer's own SelfRemove", async () => {
    const [, b] = (await group(["alice", "bob"])) as [ClientState, ClientState];
    const sent = await selfRemove(b);
    await rejectsWith(
      createCommit({ state: sent.state, cipherSuite: suite }),
      ValidationError,
      /committer's own SelfRemove/,
    );
  });

  it("requires an UpdatePath (RFC 9420 s.12.4, mls-extensions s.7.2)", async () => {
    let [a, b] = (await group(["alice", "bob", "carol"])) as [ClientState, ClientState];
    const sent = await selfRemove(b);
    a = await receive(a, sent.message);
    const [reference] = Object.keys(a.unappliedProposals);
    if (reference === undefined) throw new Error("no pending proposal");
    const result = await applyProposals(
      a,
      [{ proposalOrRefType: "reference", reference: base64ToBytes(reference) }],
      toLeafIndex(a.privatePath.leafIndex),
      emptyPskIndex,
      true,
      suite,
    );
    expect(result.needsUpdatePath).toBe(true);
    expect(result.tree[2]).toBeUndefined();
  });
});

describe("an external commit with SelfRemove proposals", () => {
  it("includes them by reference; the joiner takes the freed leaf and everyone agrees", async () => {
    let [a, b, c] = (await group(["alice", "bob", "carol"])) as [ClientState, ClientState, ClientState];
    const sent = await selfRemove(b);
    b = sent.state;
    a = await receive(a, sent.message);
    c = await receive(c, sent.message);

    const dave = await newMember("dave");
    const joined = await joinGroupExternal(
      await publishedGroupInfo(a),
      dave.publicPackage,
      dave.privatePackage,
      false,
      suite,
      undefined,
      undefined,
      undefined,
      { selfRemoveProposals: [sent.message] },
    );
    const content = joined.publicMessage.content;
    if (content.contentType !== "commit") throw new Error("not a commit");
    expect(content.commit.proposals.map((p) => p.proposalOrRefType)).toEqual(["reference", "proposal"]);
    // Bob's leaf (1) was freed before Dave's leaf was placed.
    expect(joined.newState.privatePath.leafIndex).toBe(1);

    const commit = publicMessage(joined.publicMessage);
    a = await receive(a, commit);
    b = await receive(b, commit);
    c = await receive(c, commit);
    expect(b.groupActiveState.kind).toBe("removedFromGroup");
    expect(hex(groupContextBytes(a))).toBe(hex(groupContextBytes(joined.newState)));
    expect(hex(groupContextBytes(c))).toBe(hex(groupContextBytes(joined.newState)));
    const daveLeaf = leafOf(a, 1);
    expect(daveLeaf?.nodeType === "leaf" && daveLeaf.leaf.credential).toEqual(basicCredential("dave"));
  });

  it("the joiner validates each SelfRemove: signature, group and epoch", async () => {
    let [a, b] = (await group(["alice", "bob"])) as [ClientState, ClientState];
    const sent = await selfRemove(b);
    a = await receive(a, sent.message);
    const dave = await newMember("dave");
    const groupInfo = await publishedGroupInfo(a);
    const join = (message: MLSMessage) =>
      joinGroupExternal(
        groupInfo,
        dave.publicPackage,
        dave.privatePackage,
        false,
        suite,
        undefined,
        undefined,
        undefined,
        {
          selfRemoveProposals: [message],
        },
      );
    if (sent.message.wireformat !== "mls_public_message") throw new Error("not a PublicMessage");
    const signature = sent.message.publicMessage.auth.signature.slice();
    signature[0] = (signature[0] ?? 0) ^ 1;
    const tampered = publicMessage({
      ...sent.message.publicMessage,
      auth: { ...sent.message.publicMessage.auth, signature },
    });
    await rejectsWith(join(tampered), CryptoVerificationError, /signature of the SelfRemove/);
    const staleEpoch = publicMessage({
      ...sent.message.publicMessage,
      content: { ...sent.message.publicMessage.content, epoch: 0n },
    });
    await rejectsWith(join(staleEpoch), ValidationError, /group and epoch/);
  });

  it("may include no other proposal by reference (RFC 9420 s.12.4.3.2)", async () => {
    let [a, b] = (await group(["alice", "bob"])) as [ClientState, ClientState];
    const removeAlice = await createProposal(b, true, { proposalType: "remove", remove: { removed: 0 } }, suite);
    a = await receive(a, removeAlice.message);
    const [reference] = Object.keys(a.unappliedProposals);
    if (reference === undefined) throw new Error("no pending proposal");
    const externalInit: Proposal = { proposalType: "external_init", externalInit: { kemOutput: new Uint8Array(32) } };
    const applied = applyProposals(
      a,
      [
        { proposalOrRefType: "reference", reference: base64ToBytes(reference) },
        { proposalOrRefType: "proposal", proposal: externalInit },
      ],
      undefined,
      emptyPskIndex,
      false,
      suite,
    );
    await rejectsWith(applied, ValidationError, /only SelfRemove proposals by reference/);
  });
});

describe("selfRemovedLeaves: what an observer applies (mls-extensions s.6.3)", () => {
  const selfRemoveFrom = (senderLeafIndex: number | undefined, byReference = true) => ({
    proposal: makeSelfRemoveProposal(),
    senderLeafIndex,
    byReference,
  });
  const removeOf = (removed: number) => ({
    proposal: { proposalType: "remove", remove: { removed } } satisfies Proposal,
    senderLeafIndex: 0,
    byReference: false,
  });

  it("lists the senders' leaves in commit order", () => {
    expect(selfRemovedLeaves([selfRemoveFrom(3), removeOf(2), selfRemoveFrom(1)], 0)).toEqual([3, 1]);
    expect(selfRemovedLeaves([selfRemoveFrom(3)], undefined)).toEqual([3]);
    expect(selfRemovedLeaves([removeOf(2)], 0)).toEqual([]);
  });

  it("refuses by value, non-members, the committer's own, repeats, and a Remove or Update of the same leaf", () => {
    // selfRemovedLeaves reads only a proposal's type (and a Remove's leaf), so the Update needs no leaf node here.
    const update = { proposal: { proposalType: "update" } as Proposal, senderLeafIndex: 3, byReference: true };
    const invalid = [
      [[selfRemoveFrom(3, false)], 0],
      [[selfRemoveFrom(undefined)], 0],
      [[selfRemoveFrom(0)], 0],
      [[selfRemoveFrom(3), selfRemoveFrom(3)], 0],
      [[selfRemoveFrom(3), removeOf(3)], 0],
      [[removeOf(3), selfRemoveFrom(3)], undefined],
      [[update, selfRemoveFrom(3)], 0],
    ] as const;
    for (const [proposals, committer] of invalid) {
      expect(() => selfRemovedLeaves(proposals, committer)).toThrow(ValidationError);
    }
  });
});
