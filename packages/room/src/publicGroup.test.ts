/**
 * The Hub's view of the group: what it accepts, what it refuses and with
 * which code, and what it cannot check. Groups are driven with ts-mls's
 * member API (test-support/publicGroupWorld.ts); refused messages are
 * members' messages with one thing changed and, where the change is under
 * the signature, signed again with the sender's key, so that the view's
 * check under test is the one that refuses them.
 */
import fc from "fast-check";
import {
  type ClientState,
  type Commit,
  createCommit,
  createGroupInfoWithExternalPubAndRatchetTree,
  createProposal,
  decodeMlsMessage,
  defaultLifetimeConfig,
  encodeMlsMessage,
  type FramedContent,
  type GroupInfo,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  type MLSMessage,
  makeAppDataUpdateProposal,
  makePskIndex,
  makeSelfRemoveProposal,
  type Proposal,
  type PublicMessage,
  processMessage,
} from "ts-mls";
import { createMembershipTag, makeProposalRef } from "ts-mls/authenticatedContent.js";
import { signFramedContentTBS, toTbs } from "ts-mls/framedContent.js";
import { encodeGroupContext } from "ts-mls/groupContext.js";
import { signGroupInfo } from "ts-mls/groupInfo.js";
import { protectExternalProposalPublic } from "ts-mls/messageProtectionPublic.js";
import { encodeRatchetTree } from "ts-mls/ratchetTree.js";
import { base64ToBytes, bytesToBase64 } from "ts-mls/util/byteArray.js";
import { describe, expect, it } from "vitest";
import {
  acceptGroupInfo,
  groupInfoForJoiners,
  members,
  type PublicGroupOptions,
  pendingProposals,
  processPublicMessage,
  publicGroupFromGroupInfo,
} from "./publicGroup.js";
import { PublicGroupError, type PublicGroupErrorCode } from "./publicGroupErrors.js";
import {
  addOf,
  commit,
  expectAgreement,
  hubProposes,
  LOG,
  leafOf,
  member,
  memberProposes,
  newClients,
  startWorld,
  viewOptions,
  type World,
} from "./test-support/publicGroupWorld.js";
import {
  basicCredential,
  capabilities,
  hex,
  publicMessage,
  publishedGroupInfo,
  receive,
  suite,
  updateProposal,
  wire,
} from "./test-support/tsMlsGroup.js";

const utf8 = new TextEncoder();

async function refused(promise: Promise<unknown>, code: PublicGroupErrorCode): Promise<PublicGroupError> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  if (!(error instanceof PublicGroupError))
    throw new Error(`expected a PublicGroupError ${code}, got ${String(error)}`);
  expect(error.code, error.reason).toBe(code);
  return error;
}

/** Three members c0, c1, c2 and the view, at epoch 1. */
const trio: World = await startWorld(3);

function stateOf(world: World, name: string): ClientState {
  return member(world, name).state;
}

function publicPart(message: MLSMessage): PublicMessage {
  if (message.wireformat !== "mls_public_message") throw new Error("not a PublicMessage");
  return message.publicMessage;
}

/** A PublicMessage with `content`, signed by `signKey` over the FramedContentTBS of `state`'s epoch. */
async function signedMessage(
  content: FramedContent,
  signKey: Uint8Array,
  state: ClientState,
  confirmationTag = new Uint8Array(32),
): Promise<MLSMessage> {
  const signature = await signFramedContentTBS(
    signKey,
    toTbs(content, "mls_public_message", state.groupContext),
    suite.signature,
  );
  const auth =
    content.contentType === "commit"
      ? { contentType: "commit" as const, signature, confirmationTag }
      : { contentType: content.contentType, signature };
  return publicMessage(
    content.sender.senderType === "member"
      ? { content, auth, senderType: "member", membershipTag: new Uint8Array(32) }
      : { content, auth, senderType: content.sender.senderType },
  );
}

/** A member's commit (as ts-mls makes it) with its Commit changed, signed again by the committer. */
async function alteredCommit(state: ClientState, change: (commit: Commit) => Commit): Promise<MLSMessage> {
  const created = await createCommit({ state, cipherSuite: suite }, { wireAsPublicMessage: true });
  const { content } = publicPart(created.commit);
  if (content.contentType !== "commit") throw new Error("not a commit");
  return signedMessage({ ...content, commit: change(content.commit) }, state.signaturePrivateKey, state);
}

function refOfPending(before: ClientState, after: ClientState): Uint8Array {
  const known = new Set(Object.keys(before.unappliedProposals));
  const added = Object.keys(after.unappliedProposals).filter((ref) => !known.has(ref));
  if (added.length !== 1 || added[0] === undefined) throw new Error("expected one new pending proposal");
  return base64ToBytes(added[0]);
}

describe("starting from a GroupInfo and the ratchet tree (RFC 9420 s.12.4.3.1)", () => {
  it("holds the group as its members do", async () => {
    const c0 = stateOf(trio, "c0");
    const groupInfo = await publishedGroupInfo(c0);
    const view = await publicGroupFromGroupInfo(groupInfo, c0.ratchetTree, viewOptions);
    expect(hex(encodeGroupContext(view.groupContext))).toBe(hex(encodeGroupContext(c0.groupContext)));
    expect(groupInfoForJoiners(view)?.groupInfo).toBe(groupInfo);
    expect(members(view)).toEqual(
      trio.members
        .map((m) => {
          const own = m.state.ratchetTree[leafOf(m) * 2];
          if (own?.nodeType !== "leaf") throw new Error("no own leaf");
          return {
            leafIndex: leafOf(m),
            credential: basicCredential(m.name),
            signaturePublicKey: own.leaf.signaturePublicKey,
          };
        })
        .sort((a, b) => a.leafIndex - b.leafIndex),
    );
  });

  it("refuses a GroupInfo whose signature does not verify, or whose signer is not a member", async () => {
    const c0 = stateOf(trio, "c0");
    const groupInfo = await publishedGroupInfo(c0);
    const signature = groupInfo.signature.slice();
    signature[3] = (signature[3] ?? 0) ^ 0x40;
    await refused(publicGroupFromGroupInfo({ ...groupInfo, signature }, c0.ratchetTree, viewOptions), "badSignature");
    const byNobody = await signGroupInfo({ ...groupInfo, signer: 7 }, c0.signaturePrivateKey, suite.signature);
    await refused(publicGroupFromGroupInfo(byNobody, c0.ratchetTree, viewOptions), "unknownSender");
  });

  it("refuses a tree that is not the GroupContext's, and a ratchet_tree extension that is not the tree", async () => {
    const c0 = stateOf(trio, "c0");
    const next = await createCommit({ state: c0, cipherSuite: suite }, { wireAsPublicMessage: true });
    const groupInfo = await publishedGroupInfo(c0);
    await refused(publicGroupFromGroupInfo(groupInfo, next.newState.ratchetTree, viewOptions), "invalidGroupInfo");
    const otherTree = await signGroupInfo(
      {
        ...groupInfo,
        extensions: [{ extensionType: "ratchet_tree", extensionData: encodeRatchetTree(next.newState.ratchetTree) }],
      },
      c0.signaturePrivateKey,
      suite.signature,
    );
    await refused(publicGroupFromGroupInfo(otherTree, c0.ratchetTree, viewOptions), "invalidGroupInfo");
  });

  it("refuses a group of another cipher suite", async () => {
    const p256 = await getCiphersuiteImpl(getCiphersuiteFromName("MLS_128_DHKEMP256_AES128GCM_SHA256_P256"));
    const c0 = stateOf(trio, "c0");
    await refused(
      publicGroupFromGroupInfo(await publishedGroupInfo(c0), c0.ratchetTree, { ...viewOptions, cipherSuite: p256 }),
      "invalidGroupInfo",
    );
  });
});

describe("proposals (RFC 9420 s.12.1)", () => {
  it("keeps a proposal under its ProposalRef, with its sender and the message as received", async () => {
    const c1 = stateOf(trio, "c1");
    const sent = await createProposal(c1, true, makeSelfRemoveProposal(), suite);
    const message = wire(sent.message);
    const result = await processPublicMessage(trio.view, message, viewOptions);
    if (result.kind !== "proposal") throw new Error("expected a proposal");
    const expected = {
      ref: refOfPending(c1, sent.newState),
      proposal: makeSelfRemoveProposal(),
      sender: { kind: "member", leafIndex: 1 },
      message,
    };
    expect(pendingProposals(result.state)).toEqual([expected]);
    expect(result).toMatchObject({ ref: expected.ref, proposal: expected.proposal, sender: expected.sender });
  });

  it("refuses a proposal of another epoch, giving the current epoch", async () => {
    const stale = await createProposal(stateOf(trio, "c1"), true, makeSelfRemoveProposal(), suite);
    const { world } = await commit(trio, "c0");
    const error = await refused(processPublicMessage(world.view, wire(stale.message), viewOptions), "wrongEpoch");
    expect(error.currentEpoch).toBe(stateOf(world, "c0").groupContext.epoch);
  });

  it("refuses a message of another group", async () => {
    const sent = await createProposal(stateOf(trio, "c1"), true, makeSelfRemoveProposal(), suite);
    const pm = publicPart(sent.message);
    const other = publicMessage({ ...pm, content: { ...pm.content, groupId: utf8.encode("another group") } });
    await refused(processPublicMessage(trio.view, other, viewOptions), "wrongGroup");
  });

  it("refuses a signature that does not verify, and a sender who claims another member's leaf", async () => {
    const sent = await createProposal(stateOf(trio, "c1"), true, makeSelfRemoveProposal(), suite);
    const pm = publicPart(wire(sent.message));
    const signature = pm.auth.signature.slice();
    signature[10] = (signature[10] ?? 0) ^ 1;
    await refused(
      processPublicMessage(trio.view, publicMessage({ ...pm, auth: { ...pm.auth, signature } }), viewOptions),
      "badSignature",
    );
    const asC2 = publicMessage({ ...pm, content: { ...pm.content, sender: { senderType: "member", leafIndex: 2 } } });
    await refused(processPublicMessage(trio.view, asC2, viewOptions), "badSignature");
  });

  it("refuses a sender that is not a member or not a listed external sender (RFC 9420 s.12.1.8.1)", async () => {
    const sent = await createProposal(stateOf(trio, "c1"), true, makeSelfRemoveProposal(), suite);
    const pm = publicPart(sent.message);
    const leaf9 = publicMessage({ ...pm, content: { ...pm.content, sender: { senderType: "member", leafIndex: 9 } } });
    await refused(processPublicMessage(trio.view, leaf9, viewOptions), "unknownSender");
    const remove: Proposal = { proposalType: "remove", remove: { removed: 1 } };
    for (const senderIndex of [1, 2 ** 31]) {
      const external = await protectExternalProposalPublic(
        trio.hub.signKey,
        stateOf(trio, "c0").groupContext,
        new Uint8Array(),
        remove,
        { senderType: "external", senderIndex },
        suite,
      );
      await refused(
        processPublicMessage(trio.view, publicMessage(external.publicMessage), viewOptions),
        "unknownSender",
      );
    }
  });

  it("refuses what is not a PublicMessage proposal or commit", async () => {
    const c1 = stateOf(trio, "c1");
    const privately = await createProposal(c1, false, { proposalType: "remove", remove: { removed: 2 } }, suite);
    await refused(processPublicMessage(trio.view, wire(privately.message), viewOptions), "notPublicMessage");
    const groupInfo: MLSMessage = {
      version: "mls10",
      wireformat: "mls_group_info",
      groupInfo: await publishedGroupInfo(c1),
    };
    await refused(processPublicMessage(trio.view, groupInfo, viewOptions), "notPublicMessage");
    const application = await signedMessage(
      {
        groupId: c1.groupContext.groupId,
        epoch: c1.groupContext.epoch,
        sender: { senderType: "member", leafIndex: 1 },
        authenticatedData: new Uint8Array(),
        contentType: "application",
        applicationData: utf8.encode("hello"),
      },
      c1.signaturePrivateKey,
      c1,
    );
    await refused(processPublicMessage(trio.view, application, viewOptions), "notPublicMessage");
  });

  it("refuses a proposal that is already pending", async () => {
    const sent = await createProposal(stateOf(trio, "c1"), true, makeSelfRemoveProposal(), suite);
    const once = await processPublicMessage(trio.view, wire(sent.message), viewOptions);
    const error = await refused(processPublicMessage(once.state, wire(sent.message), viewOptions), "invalidProposal");
    expect(error.proposalRefs).toEqual([refOfPending(stateOf(trio, "c1"), sent.newState)]);
  });

  describe("refuses invalid proposals, naming them by ProposalRef", () => {
    async function expectRefusedFrom(name: string, proposal: Proposal, options: PublicGroupOptions = viewOptions) {
      const sender = stateOf(trio, name);
      const sent = await createProposal(sender, true, proposal, suite);
      const error = await refused(processPublicMessage(trio.view, wire(sent.message), options), "invalidProposal");
      expect(error.proposalRefs).toEqual([refOfPending(sender, sent.newState)]);
      return error;
    }

    it("an Add whose KeyPackage's signature does not verify", async () => {
      const { clients } = await newClients(trio, 1);
      const [mallory] = clients;
      if (mallory === undefined) throw new Error("no client");
      const signature = mallory.publicPackage.signature.slice();
      signature[0] = (signature[0] ?? 0) ^ 1;
      await expectRefusedFrom("c0", addOf({ ...mallory, publicPackage: { ...mallory.publicPackage, signature } }));
    });

    it("an Add of a credential the authentication service refuses", async () => {
      const { clients } = await newClients(trio, 1);
      const [c3] = clients;
      if (c3 === undefined) throw new Error("no client");
      const refusing: PublicGroupOptions = {
        ...viewOptions,
        authService: {
          async validateCredential(credential) {
            return (
              credential.credentialType !== "basic" || !new TextDecoder().decode(credential.identity).endsWith("c3")
            );
          },
        },
      };
      await expectRefusedFrom("c0", addOf(c3), refusing);
    });

    it("an Add whose KeyPackage has expired, when lifetimes are checked on receipt (RFC 9420 s.7.3)", async () => {
      const expired = await generateKeyPackage(
        basicCredential("old"),
        capabilities(),
        { notBefore: 0n, notAfter: 1n },
        [],
        suite,
      );
      const add: Proposal = { proposalType: "add", add: { keyPackage: expired.publicPackage } };
      const checking = {
        ...viewOptions,
        lifetimeConfig: { ...defaultLifetimeConfig, validateLifetimeOnReceive: true },
      };
      const error = await expectRefusedFrom("c0", add, checking);
      expect(error.reason).toMatch(/Lifetime/);
    });

    it("an Update whose leaf node is signed for another leaf", async () => {
      const forC1 = await updateProposal(stateOf(trio, "c1"));
      await expectRefusedFrom("c2", forC1.proposal);
    });

    it("a Remove of a leaf that is not a member", async () => {
      await expectRefusedFrom("c0", { proposalType: "remove", remove: { removed: 5 } });
    });

    it("an ExternalInit, which only an external commit carries (RFC 9420 s.12.1.5)", async () => {
      await expectRefusedFrom("c0", { proposalType: "external_init", externalInit: { kemOutput: new Uint8Array(32) } });
    });

    it("an AppDataUpdate for a component without a handler (mls-extensions s.4.7)", async () => {
      await expectRefusedFrom(
        "c0",
        makeAppDataUpdateProposal({ componentId: 0x7777, op: "update", update: utf8.encode("x") }),
      );
    });

    it("an Update or a SelfRemove from an external sender, and a new member's proposal other than its Add", async () => {
      const c0 = stateOf(trio, "c0");
      const fromHub = async (proposal: Proposal) =>
        publicMessage(
          (
            await protectExternalProposalPublic(
              trio.hub.signKey,
              c0.groupContext,
              new Uint8Array(),
              proposal,
              { senderType: "external", senderIndex: 0 },
              suite,
            )
          ).publicMessage,
        );
      const update = await updateProposal(stateOf(trio, "c1"));
      for (const proposal of [update.proposal, makeSelfRemoveProposal()]) {
        const message = await fromHub(proposal);
        const error = await refused(processPublicMessage(trio.view, message, viewOptions), "invalidProposal");
        const { content, auth } = publicPart(message);
        expect(error.proposalRefs).toEqual([
          await makeProposalRef({ wireformat: "mls_public_message", content, auth }, suite.hash),
        ]);
      }
      const notAnAdd = await protectExternalProposalPublic(
        trio.hub.signKey,
        c0.groupContext,
        new Uint8Array(),
        { proposalType: "remove", remove: { removed: 1 } },
        { senderType: "new_member_proposal" },
        suite,
      );
      await refused(
        processPublicMessage(trio.view, publicMessage(notAnAdd.publicMessage), viewOptions),
        "invalidProposal",
      );
    });
  });

  it("accepts a PreSharedKey proposal as it is: the PSK's secret is the members' (RFC 9420 s.8.4)", async () => {
    const pskId = utf8.encode("shared-psk");
    const psk = new Uint8Array(32).fill(7);
    const psks = { [bytesToBase64(pskId)]: psk };
    let world = await memberProposes(trio, "c1", {
      proposalType: "psk",
      psk: { preSharedKeyId: { psktype: "external", pskId, pskNonce: new Uint8Array(32).fill(1) } },
    });
    const c0 = stateOf(world, "c0");
    const created = await createCommit(
      { state: c0, cipherSuite: suite, pskIndex: makePskIndex(c0, psks) },
      { wireAsPublicMessage: true },
    );
    const received = wire(created.commit);
    if (received.wireformat !== "mls_public_message") throw new Error("not a PublicMessage");
    const result = await processPublicMessage(world.view, received, viewOptions);
    const others = await Promise.all(
      ["c1", "c2"].map(async (name) => {
        const state = stateOf(world, name);
        const processed = await processMessage(received, state, makePskIndex(state, psks), () => "accept", suite);
        if (processed.kind !== "newState") throw new Error("expected a new state");
        return { name, state: processed.newState };
      }),
    );
    world = {
      ...world,
      view: result.state,
      members: [{ name: "c0", state: created.newState }, ...others],
      proposers: new Map(),
    };
    await expectAgreement(world);
  });
});

describe("commits (RFC 9420 s.12.4.2)", () => {
  it("refuses a reference to a proposal the view has not seen, naming it", async () => {
    const c0 = stateOf(trio, "c0");
    const sent = await createProposal(stateOf(trio, "c1"), true, makeSelfRemoveProposal(), suite);
    const withProposal = await receive(c0, sent.message);
    const created = await createCommit({ state: withProposal, cipherSuite: suite }, { wireAsPublicMessage: true });
    const error = await refused(processPublicMessage(trio.view, wire(created.commit), viewOptions), "invalidCommit");
    expect(error.proposalRefs).toEqual([refOfPending(c0, withProposal)]);
  });

  it("refuses a commit from a member the previous commit removed", async () => {
    const c2 = stateOf(trio, "c2");
    const { world } = await commit(trio, "c0", [
      { proposalType: "remove", remove: { removed: leafOf(member(trio, "c2")) } },
    ]);
    const current = stateOf(world, "c0");
    const fromRemoved = await signedMessage(
      {
        groupId: current.groupContext.groupId,
        epoch: current.groupContext.epoch,
        sender: { senderType: "member", leafIndex: 2 },
        authenticatedData: new Uint8Array(),
        contentType: "commit",
        commit: { proposals: [], path: undefined },
      },
      c2.signaturePrivateKey,
      current,
    );
    await refused(processPublicMessage(world.view, fromRemoved, viewOptions), "unknownSender");
  });

  it("refuses a commit of another epoch, giving the current epoch", async () => {
    const rival = await createCommit({ state: stateOf(trio, "c1"), cipherSuite: suite }, { wireAsPublicMessage: true });
    const { world } = await commit(trio, "c0");
    const error = await refused(processPublicMessage(world.view, wire(rival.commit), viewOptions), "wrongEpoch");
    expect(error.currentEpoch).toBe(stateOf(world, "c0").groupContext.epoch);
  });

  it("refuses a commit whose signature does not verify", async () => {
    const created = await createCommit(
      { state: stateOf(trio, "c0"), cipherSuite: suite },
      { wireAsPublicMessage: true },
    );
    const pm = publicPart(wire(created.commit));
    const signature = pm.auth.signature.slice();
    signature[20] = (signature[20] ?? 0) ^ 2;
    const tampered = publicMessage({ ...pm, auth: { ...pm.auth, signature } });
    await refused(processPublicMessage(trio.view, tampered, viewOptions), "badSignature");
  });

  it("refuses a commit without the UpdatePath it requires (RFC 9420 s.12.4, s.17.4)", async () => {
    const pathless = await alteredCommit(stateOf(trio, "c0"), ({ proposals }) => ({ proposals, path: undefined }));
    const error = await refused(processPublicMessage(trio.view, pathless, viewOptions), "invalidCommit");
    expect(error.reason).toMatch(/UpdatePath/);
  });

  it("refuses an UpdatePath whose parent hashes do not match (RFC 9420 s.7.9.2)", async () => {
    const altered = await alteredCommit(stateOf(trio, "c0"), (c) => {
      if (c.path === undefined) throw new Error("no path");
      const [first, ...rest] = c.path.nodes;
      if (first === undefined) throw new Error("no path node");
      const hpkePublicKey = first.hpkePublicKey.slice();
      hpkePublicKey[0] = (hpkePublicKey[0] ?? 0) ^ 1;
      return { ...c, path: { ...c.path, nodes: [{ ...first, hpkePublicKey }, ...rest] } };
    });
    const error = await refused(processPublicMessage(trio.view, altered, viewOptions), "invalidCommit");
    expect(error.reason).toMatch(/Parent hash/);
  });

  it("refuses an UpdatePath that leaves a member without its path secret (RFC 9420 s.7.6)", async () => {
    const c0 = stateOf(trio, "c0");
    const altered = await alteredCommit(c0, (c) => {
      if (c.path === undefined) throw new Error("no path");
      return {
        ...c,
        path: {
          ...c.path,
          nodes: c.path.nodes.map((node) => ({ ...node, encryptedPathSecret: node.encryptedPathSecret.slice(0, -1) })),
        },
      };
    });
    const error = await refused(processPublicMessage(trio.view, altered, viewOptions), "invalidCommit");
    expect(error.reason).toMatch(/recipients/);
    // The member whose ciphertext is missing could not have processed it (its view is the view's reason).
    await expect(receive(stateOf(trio, "c2"), altered)).rejects.toThrow();
  });

  it("refuses a commit from an external sender, and an ExternalInit in a member's commit", async () => {
    const c0 = stateOf(trio, "c0");
    const base = {
      groupId: c0.groupContext.groupId,
      epoch: c0.groupContext.epoch,
      authenticatedData: new Uint8Array(),
      contentType: "commit" as const,
    };
    const byHub = await signedMessage(
      { ...base, sender: { senderType: "external", senderIndex: 0 }, commit: { proposals: [], path: undefined } },
      trio.hub.signKey,
      c0,
    );
    await refused(processPublicMessage(trio.view, byHub, viewOptions), "invalidCommit");
    const externalInit: Proposal = { proposalType: "external_init", externalInit: { kemOutput: new Uint8Array(32) } };
    const withInit = await signedMessage(
      {
        ...base,
        sender: { senderType: "member", leafIndex: 0 },
        commit: { proposals: [{ proposalOrRefType: "proposal", proposal: externalInit }], path: undefined },
      },
      c0.signaturePrivateKey,
      c0,
    );
    const error = await refused(processPublicMessage(trio.view, withInit, viewOptions), "invalidCommit");
    expect(error.reason).toMatch(/external_init/);
  });

  it("reports the committed proposals, the added and the removed leaves", async () => {
    let world = await hubProposes(trio, { proposalType: "remove", remove: { removed: 1 } });
    world = await memberProposes(
      world,
      "c2",
      makeAppDataUpdateProposal({ componentId: LOG, op: "update", update: utf8.encode("a") }),
    );
    const created = await newClients(world, 1);
    const [c3] = created.clients;
    if (c3 === undefined) throw new Error("no client");
    const { result, world: after } = await commit(created.world, "c0", [addOf(c3)], [c3]);
    expect(result.committed.map((c) => [c.proposal.proposalType, c.sender, c.byReference])).toEqual([
      ["remove", { kind: "external", senderIndex: 0 }, true],
      [8, { kind: "member", leafIndex: 2 }, true],
      ["add", { kind: "member", leafIndex: 0 }, false],
    ]);
    expect(result.removedLeaves).toEqual([1]);
    // c3 takes the leaf c1 left (RFC 9420 s.12.1.1: the leftmost blank leaf).
    expect(result.addedLeaves.map((a) => a.leafIndex)).toEqual([leafOf(member(after, "c3"))]);
    expect(leafOf(member(after, "c3"))).toBe(1);
    expect(groupInfoForJoiners(result.state)).toBeUndefined();
    expect(pendingProposals(result.state)).toEqual([]);
  });
});

describe("what the view cannot check", () => {
  it("a member's membership_tag (RFC 9420 s.6.2): the view accepts a wrong one, members refuse it", async () => {
    const sent = await createProposal(stateOf(trio, "c1"), true, makeSelfRemoveProposal(), suite);
    const pm = publicPart(wire(sent.message));
    if (pm.senderType !== "member") throw new Error("not from a member");
    const forged = publicMessage({ ...pm, membershipTag: new Uint8Array(pm.membershipTag.length) });
    const result = await processPublicMessage(trio.view, forged, viewOptions);
    expect(result.kind).toBe("proposal");
    await expect(receive(stateOf(trio, "c0"), forged)).rejects.toThrow(/membership/);
  });

  it("a commit's confirmation_tag (RFC 9420 s.8.1): the view accepts a wrong one, members refuse it", async () => {
    const created = await createCommit(
      { state: stateOf(trio, "c0"), cipherSuite: suite },
      { wireAsPublicMessage: true },
    );
    const pm = publicPart(wire(created.commit));
    if (pm.auth.contentType !== "commit") throw new Error("not a commit");
    if (pm.senderType !== "member") throw new Error("not from a member");
    const auth = { ...pm.auth, confirmationTag: new Uint8Array(32) };
    // A member could also give it a valid membership_tag: members then refuse it for its confirmation_tag.
    const c1 = stateOf(trio, "c1");
    const membershipTag = await createMembershipTag(
      c1.keySchedule.membershipKey,
      { contentTbs: toTbs(pm.content, "mls_public_message", c1.groupContext), auth },
      suite.hash,
    );
    const forged = publicMessage({ ...pm, auth, membershipTag });
    const result = await processPublicMessage(trio.view, forged, viewOptions);
    expect(result.kind).toBe("commit");
    await expect(receive(c1, forged)).rejects.toThrow(/confirmation tag/);
  });
});

describe("the GroupInfo of the new epoch (RFC 9420 s.12.4.3)", () => {
  async function afterCommit() {
    const c0 = stateOf(trio, "c0");
    const created = await createCommit({ state: c0, cipherSuite: suite }, { wireAsPublicMessage: true });
    const result = await processPublicMessage(trio.view, wire(created.commit), viewOptions);
    return { committed: created.newState, view: result.state };
  }

  it("is accepted from the committer and given to joiners", async () => {
    const { committed, view } = await afterCommit();
    const groupInfo = await publishedGroupInfo(committed);
    const accepted = await acceptGroupInfo(view, groupInfo, viewOptions);
    const joining = groupInfoForJoiners(accepted);
    expect(joining?.groupInfo).toBe(groupInfo);
    expect(hex(encodeRatchetTree(joining?.ratchetTree ?? []))).toBe(hex(encodeRatchetTree(committed.ratchetTree)));
  });

  it("refuses a GroupInfo of the previous epoch, giving the current epoch", async () => {
    const { committed, view } = await afterCommit();
    const error = await refused(
      acceptGroupInfo(view, await publishedGroupInfo(stateOf(trio, "c1")), viewOptions),
      "wrongEpoch",
    );
    expect(error.currentEpoch).toBe(committed.groupContext.epoch);
  });

  it("refuses a GroupInfo with another GroupContext of the same epoch (a rival commit's)", async () => {
    const { view } = await afterCommit();
    const rival = await createCommit({ state: stateOf(trio, "c1"), cipherSuite: suite }, { wireAsPublicMessage: true });
    const error = await refused(
      acceptGroupInfo(view, await publishedGroupInfo(rival.newState), viewOptions),
      "invalidGroupInfo",
    );
    expect(error.reason).toMatch(/GroupContext/);
  });

  it("refuses a bad signature, another confirmation_tag, and a ratchet_tree extension that is not the tree", async () => {
    const { committed, view } = await afterCommit();
    const groupInfo = await publishedGroupInfo(committed);
    const signature = groupInfo.signature.slice();
    signature[5] = (signature[5] ?? 0) ^ 8;
    await refused(acceptGroupInfo(view, { ...groupInfo, signature }, viewOptions), "badSignature");
    const resign = (changes: Partial<GroupInfo>) =>
      signGroupInfo({ ...groupInfo, ...changes }, committed.signaturePrivateKey, suite.signature);
    await refused(
      acceptGroupInfo(view, await resign({ confirmationTag: new Uint8Array(32) }), viewOptions),
      "invalidGroupInfo",
    );
    const staleTree = groupInfo.extensions.map((e) =>
      e.extensionType === "ratchet_tree"
        ? { ...e, extensionData: encodeRatchetTree(stateOf(trio, "c0").ratchetTree) }
        : e,
    );
    await refused(acceptGroupInfo(view, await resign({ extensions: staleTree }), viewOptions), "invalidGroupInfo");
  });

  it("refuses a GroupInfo of another group", async () => {
    const { committed, view } = await afterCommit();
    const other = await createGroupInfoWithExternalPubAndRatchetTree(
      { ...committed, groupContext: { ...committed.groupContext, groupId: utf8.encode("another group") } },
      [],
      suite,
    );
    await refused(acceptGroupInfo(view, other, viewOptions), "wrongGroup");
  });
});

describe("malformed input", () => {
  it("a message with any byte changed is refused with a PublicGroupError or accepted, never another exception (property)", async () => {
    const c0 = stateOf(trio, "c0");
    const [commitBytes, proposalBytes] = [
      encodeMlsMessage((await createCommit({ state: c0, cipherSuite: suite }, { wireAsPublicMessage: true })).commit),
      encodeMlsMessage(
        (
          await createProposal(
            c0,
            true,
            makeAppDataUpdateProposal({ componentId: LOG, op: "update", update: utf8.encode("x") }),
            suite,
          )
        ).message,
      ),
    ];
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), async (isCommit, position, flip) => {
        const bytes = (isCommit ? commitBytes : proposalBytes).slice();
        const i = position % bytes.length;
        bytes[i] = (bytes[i] ?? 0) ^ flip;
        let message: MLSMessage | undefined;
        try {
          message = decodeMlsMessage(bytes, 0)?.[0];
        } catch {
          // ts-mls's decoder throws on some malformed input; the Hub decodes before the view.
        }
        if (message === undefined) return;
        try {
          await processPublicMessage(trio.view, message, viewOptions);
        } catch (error) {
          expect(error).toBeInstanceOf(PublicGroupError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
