/**
 * A commit as the Hub's view of the group applies it (RFC 9420 s.12.4.2):
 * the proposals through ts-mls's `applyProposalsPublic`, the code members
 * run, then the UpdatePath, the new tree hash and the next GroupContext.
 * The confirmation_tag is kept for the next epoch's transcript hash but
 * cannot be verified: that needs the epoch's confirmation key.
 */
import {
  defaultKeyPackageEqualityConfig,
  type FramedContentAuthDataCommit,
  type RatchetTree,
  type UpdatePath,
} from "ts-mls";
import {
  applyProposalsPublic,
  nextEpochContext,
  validateLeafNodeCredentialAndKeyUniqueness,
  validateLeafNodeUpdateOrCommit,
} from "ts-mls/clientState.js";
import type { FramedContentCommit } from "ts-mls/framedContent.js";
import { addLeafNode, filteredDirectPathAndCopathResolution } from "ts-mls/ratchetTree.js";
import { treeHashRoot } from "ts-mls/treeHash.js";
import { leafToNodeIndex, toLeafIndex } from "ts-mls/treemath.js";
import { applyUpdatePath } from "ts-mls/updatePath.js";
import { constantTimeEqual } from "ts-mls/util/constantTimeCompare.js";
import type { CommittedProposal, ProposalSender } from "./committedProposal.js";
import type { CommitApplied, PublicGroupOptions, PublicGroupState } from "./publicGroup.js";
import { PublicGroupError, refuseIfDefined, refuseOnThrow } from "./publicGroupErrors.js";

/**
 * Applies an authenticated commit (group, epoch, sender and signature already
 * checked) and returns the next epoch's state.
 */
export async function applyCommit(
  state: PublicGroupState,
  content: FramedContentCommit,
  auth: FramedContentAuthDataCommit,
  options: PublicGroupOptions,
): Promise<CommitApplied> {
  const { cipherSuite } = options;
  const committerLeafIndex = content.sender.senderType === "member" ? content.sender.leafIndex : undefined;
  const committer: ProposalSender =
    committerLeafIndex === undefined ? { kind: "newMemberCommit" } : { kind: "member", leafIndex: committerLeafIndex };
  const committed = resolveProposals(state, content.commit.proposals, committer);

  const applied = await refuseOnThrow("invalidCommit", "the commit's proposals are invalid", () =>
    applyProposalsPublic(
      {
        groupContext: state.groupContext,
        ratchetTree: state.ratchetTree,
        clientConfig: {
          authService: options.authService,
          lifetimeConfig: options.lifetimeConfig,
          keyPackageEqualityConfig: options.keyPackageEqualityConfig ?? defaultKeyPackageEqualityConfig,
          appDataUpdateHandlers: options.appDataUpdateHandlers,
        },
      },
      committed.map(({ proposal, sender, byReference }) => ({
        proposal,
        senderLeafIndex: sender.kind === "member" ? sender.leafIndex : undefined,
        byReference,
      })),
      committerLeafIndex === undefined ? undefined : toLeafIndex(committerLeafIndex),
      false,
      cipherSuite,
    ),
  );
  const { additionalResult } = applied;
  const newMemberLeafIndex =
    additionalResult.kind === "externalCommit" ? additionalResult.newMemberLeafIndex : undefined;
  const addedLeaves =
    additionalResult.kind === "memberCommit"
      ? additionalResult.addedLeafNodes.map(([leafIndex, keyPackage]) => ({ leafIndex, keyPackage }))
      : [];

  const { path } = content.commit;
  if (path === undefined && applied.needsUpdatePath) {
    throw new PublicGroupError(
      "invalidCommit",
      "the commit has no UpdatePath but its proposals require one (RFC 9420 s.12.4, s.17.4)",
    );
  }
  const tree =
    path === undefined
      ? applied.tree
      : await applyPath(
          state,
          applied.tree,
          path,
          // A member's commit: the committer's leaf; an external commit: the leaf the joiner takes.
          newMemberLeafIndex === undefined
            ? { leafIndex: committerLeafIndex, external: false }
            : { leafIndex: newMemberLeafIndex, external: true },
          addedLeaves.map(({ leafIndex }) => leafIndex),
          options,
        );

  const extensions =
    additionalResult.kind !== "reinit" && additionalResult.extensions.length > 0
      ? additionalResult.extensions
      : state.groupContext.extensions;
  const groupContext = await refuseOnThrow("invalidCommit", "computing the next GroupContext", async () =>
    nextEpochContext(
      { ...state.groupContext, extensions },
      "mls_public_message",
      content,
      auth.signature,
      await treeHashRoot(tree, cipherSuite.hash),
      state.confirmationTag,
      cipherSuite.hash,
    ),
  );
  return {
    kind: "commit",
    state: {
      groupContext,
      ratchetTree: tree,
      confirmationTag: auth.confirmationTag,
      groupInfo: undefined,
      pendingProposals: [],
    },
    committed,
    committer,
    addedLeaves,
    removedLeaves: applied.removedLeaves,
    ...(newMemberLeafIndex === undefined ? {} : { newMemberLeafIndex }),
  };
}

/**
 * RFC 9420 s.12.4.2: the commit's proposals in order, by value (proposed by
 * the committer) or by reference to a pending proposal of this epoch.
 */
function resolveProposals(
  state: PublicGroupState,
  proposals: FramedContentCommit["commit"]["proposals"],
  committer: ProposalSender,
): CommittedProposal[] {
  const unknown: Uint8Array[] = [];
  const committed = proposals.flatMap((entry): CommittedProposal[] => {
    if (entry.proposalOrRefType === "proposal") {
      return [{ proposal: entry.proposal, sender: committer, byReference: false }];
    }
    const pending = state.pendingProposals.find((p) => constantTimeEqual(p.ref, entry.reference));
    if (pending === undefined) {
      unknown.push(entry.reference);
      return [];
    }
    return [{ proposal: pending.proposal, sender: pending.sender, byReference: true, ref: pending.ref }];
  });
  if (unknown.length > 0) {
    throw new PublicGroupError("invalidCommit", "the commit refers to proposals that are not pending in this epoch", {
      proposalRefs: unknown,
    });
  }
  return committed;
}

/**
 * RFC 9420 s.12.4.2: checks the committer's new leaf (s.7.3), and applies the
 * UpdatePath with the members' `applyUpdatePath`, which verifies the parent
 * hashes (s.7.9.2). For an external commit the joiner's leaf is first added
 * where the members add it.
 */
async function applyPath(
  state: PublicGroupState,
  treeAfterProposals: RatchetTree,
  path: UpdatePath,
  committerLeaf: { leafIndex: number | undefined; external: boolean },
  addedLeaves: number[],
  options: PublicGroupOptions,
): Promise<RatchetTree> {
  const { leafIndex, external } = committerLeaf;
  // applyProposalsPublic refuses a commit without ExternalInit from a non-member.
  if (leafIndex === undefined) throw new PublicGroupError("invalidCommit", "the commit has no committer leaf");
  const invalidLeaf = "the UpdatePath's leaf node is invalid";
  refuseIfDefined(
    "invalidCommit",
    invalidLeaf,
    await refuseOnThrow("invalidCommit", invalidLeaf, () =>
      validateLeafNodeUpdateOrCommit(
        path.leafNode,
        leafIndex,
        state.groupContext,
        options.authService,
        options.cipherSuite.signature,
      ),
    ),
  );
  refuseIfDefined(
    "invalidCommit",
    invalidLeaf,
    await validateLeafNodeCredentialAndKeyUniqueness(treeAfterProposals, path.leafNode, leafIndex),
  );
  const tree = external ? addLeafNode(treeAfterProposals, path.leafNode)[0] : treeAfterProposals;
  checkEncryptedPathSecrets(tree, leafIndex, path, addedLeaves);
  return refuseOnThrow("invalidCommit", "the UpdatePath does not apply", () =>
    applyUpdatePath(tree, toLeafIndex(leafIndex), path, options.cipherSuite.hash, external),
  );
}

/**
 * RFC 9420 s.7.6 and s.12.4.2: one UpdatePathNode for each node of the
 * committer's filtered direct path, each with one ciphertext for every node
 * in the resolution of its copath child, less the leaves this commit adds
 * (they get the path secret in the Welcome). Otherwise some member could not
 * decrypt its path secret. What the ciphertexts hold cannot be checked.
 */
function checkEncryptedPathSecrets(tree: RatchetTree, leafIndex: number, path: UpdatePath, addedLeaves: number[]) {
  const added = new Set<number>(addedLeaves.map((leaf) => leafToNodeIndex(toLeafIndex(leaf))));
  const filteredDirectPath = filteredDirectPathAndCopathResolution(toLeafIndex(leafIndex), tree);
  if (filteredDirectPath.length !== path.nodes.length) {
    throw new PublicGroupError(
      "invalidCommit",
      `the UpdatePath has ${path.nodes.length} nodes, the committer's filtered direct path ${filteredDirectPath.length}`,
    );
  }
  filteredDirectPath.forEach(({ nodeIndex, resolution }, i) => {
    const expected = resolution.filter((node) => !added.has(node)).length;
    const found = path.nodes[i]?.encryptedPathSecret.length;
    if (found !== expected) {
      throw new PublicGroupError(
        "invalidCommit",
        `the UpdatePath encrypts the secret of node ${nodeIndex} ${found} times, for ${expected} recipients`,
      );
    }
  });
}
