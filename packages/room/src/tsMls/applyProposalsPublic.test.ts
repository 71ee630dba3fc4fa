/**
 * RFC 9420 s.12.4.2 without the group's secrets: `applyProposalsPublic`
 * (clientState.js), the part of applying a commit's proposals that a
 * non-member can run, which ts-mls's own `applyProposals` now calls, and the
 * two ts-mls 1.6.4 faults it brought to light: a member removed by a commit
 * whose Add reuses its leaf, and the check of unmerged leaves when a tree is
 * received.
 */
import {
  type ClientState,
  createCommit,
  createProposal,
  defaultAuthenticationService,
  defaultLifetimeConfig,
  emptyPskIndex,
  encodeExternalSenders,
  type GroupContext,
  joinGroup,
  makeAppDataUpdateProposal,
  makeSelfRemoveProposal,
  type Proposal,
  proposeExternal,
  type RatchetTree,
  ValidationError,
} from "ts-mls";
import { applyProposals, applyProposalsPublic, validateRatchetTree } from "ts-mls/clientState.js";
import { encodeRatchetTree } from "ts-mls/ratchetTree.js";
import { toLeafIndex } from "ts-mls/treemath.js";
import { base64ToBytes } from "ts-mls/util/byteArray.js";
import { describe, expect, it } from "vitest";
import {
  basicCredential,
  config,
  groupContextBytes,
  hex,
  newMember,
  publishedGroupInfo,
  receive,
  rejectsWith,
  startGroup,
  suite,
  updateProposal,
  welcomeOf,
  withLeafKey,
} from "../test-support/tsMlsGroup.js";

const LOG = 0x0022;
const clientConfig = config({
  appDataUpdateHandlers: new Map([
    [LOG, (current, updates) => new Uint8Array([...(current ?? []), ...updates.flatMap((u) => [...u])])],
  ]),
});

async function group(names: string[], hubKey?: Uint8Array): Promise<ClientState[]> {
  const extensions =
    hubKey === undefined
      ? []
      : [
          {
            extensionType: "external_senders" as const,
            extensionData: encodeExternalSenders([{ signaturePublicKey: hubKey, credential: basicCredential("hub") }]),
          },
        ];
  return startGroup(await Promise.all(names.map((n) => newMember(n))), { extensions, clientConfig });
}

const remove = (removed: number): Proposal => ({ proposalType: "remove", remove: { removed } });

describe("applyProposalsPublic", () => {
  it("gives what applyProposals gives a member: tree, extensions, added and removed leaves, path requirement", async () => {
    const hub = await suite.signature.keygen();
    // dave, at leaf 3, is removed by value below.
    let [a, b, c] = (await group(["alice", "bob", "carol", "dave"], hub.publicKey)) as [
      ClientState,
      ClientState,
      ClientState,
    ];
    const update = await updateProposal(b);
    const fromBob = await createProposal(b, true, update.proposal, suite);
    b = withLeafKey(fromBob.newState, update.hpkePrivateKey);
    const fromCarol = await createProposal(c, true, makeSelfRemoveProposal(), suite);
    const fromHub = await proposeExternal(
      await publishedGroupInfo(a),
      makeAppDataUpdateProposal({ componentId: LOG, op: "update", update: new Uint8Array([1]) }),
      hub.publicKey,
      hub.signKey,
      suite,
    );
    for (const message of [fromBob.message, fromCarol.message, fromHub]) a = await receive(a, message);
    const erin = await newMember("erin");
    const byValue: Proposal[] = [{ proposalType: "add", add: { keyPackage: erin.publicPackage } }, remove(3)];
    const proposals = [
      ...Object.keys(a.unappliedProposals).map((ref) => ({
        proposalOrRefType: "reference" as const,
        reference: base64ToBytes(ref),
      })),
      ...byValue.map((proposal) => ({ proposalOrRefType: "proposal" as const, proposal })),
    ];
    const member = await applyProposals(a, proposals, toLeafIndex(0), emptyPskIndex, false, suite);
    const committed = [
      ...Object.values(a.unappliedProposals).map((p) => ({ ...p, byReference: true })),
      ...byValue.map((proposal) => ({ proposal, senderLeafIndex: 0, byReference: false })),
    ];
    const observer = await applyProposalsPublic(
      { groupContext: a.groupContext, ratchetTree: a.ratchetTree, clientConfig },
      committed,
      toLeafIndex(0),
      false,
      suite,
    );
    expect(hex(encodeRatchetTree(observer.tree))).toBe(hex(encodeRatchetTree(member.tree)));
    expect(observer.needsUpdatePath).toBe(member.needsUpdatePath);
    expect(observer.additionalResult).toEqual(member.additionalResult);
    // mls-extensions s.6.3: SelfRemoves, then Removes; erin takes the leftmost free leaf, carol's.
    expect(observer.removedLeaves).toEqual([2, 3]);
    if (observer.additionalResult.kind !== "memberCommit") throw new Error("expected a member commit");
    expect(observer.additionalResult.addedLeafNodes.map(([leaf]) => leaf)).toEqual([2]);
  });

  it("for an external commit, leaves the init secret to members: the kem_output and the joiner's leaf", async () => {
    const [a] = (await group(["alice", "bob", "carol"])) as [ClientState];
    const kemOutput = new Uint8Array(32).fill(9);
    const result = await applyProposalsPublic(
      a,
      [
        { proposal: remove(1), senderLeafIndex: undefined, byReference: false },
        {
          proposal: { proposalType: "external_init", externalInit: { kemOutput } },
          senderLeafIndex: undefined,
          byReference: false,
        },
      ],
      undefined,
      false,
      suite,
    );
    expect(result.additionalResult).toEqual({
      kind: "externalCommit",
      kemOutput,
      newMemberLeafIndex: 1,
      extensions: [],
    });
    expect(result.removedLeaves).toEqual([1]);
    expect(result.needsUpdatePath).toBe(true);
  });

  it("refuses ExternalInit in a member's commit, and an external commit without it (RFC 9420 s.12.1.5, s.12.4.3.2)", async () => {
    const [a] = (await group(["alice", "bob"])) as [ClientState];
    const externalInit: Proposal = { proposalType: "external_init", externalInit: { kemOutput: new Uint8Array(32) } };
    await rejectsWith(
      applyProposalsPublic(
        a,
        [{ proposal: externalInit, senderLeafIndex: 0, byReference: false }],
        toLeafIndex(0),
        false,
        suite,
      ),
      ValidationError,
      /member cannot contain an external_init/,
    );
    await rejectsWith(
      applyProposalsPublic(
        a,
        [{ proposal: remove(1), senderLeafIndex: undefined, byReference: false }],
        undefined,
        false,
        suite,
      ),
      ValidationError,
      /must contain an external_init/,
    );
  });
});

describe("a member removed by a commit whose Add takes its leaf", () => {
  for (const how of ["Remove", "SelfRemove"] as const) {
    it(`learns it was removed (${how}); ts-mls 1.6.4 failed to decrypt the UpdatePath`, async () => {
      let [a, b, c] = (await group(["alice", "bob", "carol"])) as [ClientState, ClientState, ClientState];
      const extra: Proposal[] = [];
      if (how === "Remove") extra.push(remove(2));
      else {
        const sent = await createProposal(c, true, makeSelfRemoveProposal(), suite);
        c = sent.newState;
        a = await receive(a, sent.message);
        b = await receive(b, sent.message);
      }
      const dave = await newMember("dave");
      extra.push({ proposalType: "add", add: { keyPackage: dave.publicPackage } });
      const created = await createCommit(
        { state: a, cipherSuite: suite },
        { extraProposals: extra, ratchetTreeExtension: true },
      );
      c = await receive(c, created.commit);
      b = await receive(b, created.commit);
      const d = await joinGroup(
        welcomeOf(created.welcome),
        dave.publicPackage,
        dave.privatePackage,
        emptyPskIndex,
        suite,
        undefined,
        undefined,
        clientConfig,
      );
      expect(c.groupActiveState.kind).toBe("removedFromGroup");
      expect(d.privatePath.leafIndex).toBe(2);
      expect(hex(groupContextBytes(b))).toBe(hex(groupContextBytes(created.newState)));
      expect(hex(groupContextBytes(d))).toBe(hex(groupContextBytes(created.newState)));
    });
  }
});

describe("validateRatchetTree: unmerged leaves (RFC 9420 s.12.4.3.1)", () => {
  /**
   * Five members; alice removes bob with an UpdatePath (nodes 3 and 7 get
   * keys), then adds two members without one: the first takes leaf 1 (node 3
   * and 7 list it as unmerged), the second leaf 5 (node 7 lists it too).
   */
  async function treeWithUnmergedLeaves() {
    const [a] = (await group(["alice", "bob", "carol", "dave", "erin"])) as [ClientState];
    const removed = await createCommit({ state: a, cipherSuite: suite }, { extraProposals: [remove(1)] });
    const [frank, grace] = await Promise.all([newMember("frank"), newMember("grace")]);
    const added = await createCommit(
      { state: removed.newState, cipherSuite: suite },
      {
        ratchetTreeExtension: true,
        extraProposals: [frank, grace].map((m) => ({
          proposalType: "add" as const,
          add: { keyPackage: m.publicPackage },
        })),
      },
    );
    return { state: added.newState, welcome: welcomeOf(added.welcome), frank };
  }

  function unmerged(tree: RatchetTree, nodeIndex: number): number[] | undefined {
    const node = tree[nodeIndex];
    return node?.nodeType === "parent" ? node.parent.unmergedLeaves : undefined;
  }

  const validate = (tree: RatchetTree, groupContext: GroupContext) =>
    validateRatchetTree(
      tree,
      groupContext,
      defaultLifetimeConfig,
      defaultAuthenticationService,
      groupContext.treeHash,
      suite,
    );

  it("accepts a leaf listed by every non-blank node between it and the node, whatever else they list", async () => {
    const { state, welcome, frank } = await treeWithUnmergedLeaves();
    expect([unmerged(state.ratchetTree, 3), unmerged(state.ratchetTree, 7)]).toEqual([[1], [1, 5]]);
    expect(await validate(state.ratchetTree, state.groupContext)).toBeUndefined();
    // ts-mls 1.6.4 wanted [1] and [1, 5] to be equal, and so refused the Welcome.
    const joined = await joinGroup(
      welcome,
      frank.publicPackage,
      frank.privatePackage,
      emptyPskIndex,
      suite,
      undefined,
      undefined,
      clientConfig,
    );
    expect(joined.privatePath.leafIndex).toBe(1);
  });

  it("refuses a tree where a non-blank node between the leaf and the node does not list it", async () => {
    const { state } = await treeWithUnmergedLeaves();
    const tree = state.ratchetTree.slice();
    const node3 = tree[3];
    if (node3?.nodeType !== "parent") throw new Error("node 3 is blank");
    tree[3] = { nodeType: "parent", parent: { ...node3.parent, unmergedLeaves: [] } };
    const error = await validate(tree, state.groupContext);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error?.message).toMatch(/must list leaf node in its unmerged_leaves/);
  });
});
