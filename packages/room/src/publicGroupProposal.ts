/**
 * A proposal as the Hub's view of the group receives it (RFC 9420 s.12.1):
 * checked as far as a non-member can, then kept, under its ProposalRef,
 * among the epoch's pending proposals until a commit includes it.
 */
import {
  appDataUpdateOf,
  type FramedContentAuthData,
  type FramedContentData,
  type FramedContentProposalData,
  type MLSMessage,
  type Proposal,
  selfRemoveProposalType,
} from "ts-mls";
import { makeProposalRef } from "ts-mls/authenticatedContent.js";
import {
  validateKeyPackage,
  validateLeafNodeCredentialAndKeyUniqueness,
  validateLeafNodeUpdateOrCommit,
} from "ts-mls/clientState.js";
import { extensionsSupportedByCapabilities } from "ts-mls/extension.js";
import { constantTimeEqual } from "ts-mls/util/constantTimeCompare.js";
import { type ProposalSender, proposalSenderOf } from "./committedProposal.js";
import type { ProposalAccepted, PublicGroupOptions, PublicGroupState } from "./publicGroup.js";
import { PublicGroupError, refuseOnThrow } from "./publicGroupErrors.js";

/**
 * Keeps an authenticated proposal (group, epoch, sender and signature already
 * checked) among the pending proposals, after validating it.
 */
export async function receiveProposal(
  state: PublicGroupState,
  message: MLSMessage,
  content: FramedContentData & FramedContentProposalData,
  auth: FramedContentAuthData,
  options: PublicGroupOptions,
): Promise<ProposalAccepted> {
  const ref = await refuseOnThrow("invalidProposal", "computing the ProposalRef", () =>
    makeProposalRef({ wireformat: "mls_public_message", content, auth }, options.cipherSuite.hash),
  );
  if (state.pendingProposals.some((pending) => constantTimeEqual(pending.ref, ref))) {
    throw new PublicGroupError("invalidProposal", "the proposal is already pending", { proposalRefs: [ref] });
  }
  const sender = proposalSenderOf(content.sender);
  const problem = await refuseOnThrow(
    "invalidProposal",
    "validating the proposal",
    () => proposalProblem(state, content.proposal, sender, options),
    { proposalRefs: [ref] },
  );
  if (problem !== undefined) throw new PublicGroupError("invalidProposal", problem, { proposalRefs: [ref] });
  return {
    kind: "proposal",
    state: {
      ...state,
      pendingProposals: [...state.pendingProposals, { ref, proposal: content.proposal, sender, message }],
    },
    ref,
    proposal: content.proposal,
    sender,
  };
}

/**
 * What a non-member can check of a proposal on receipt (RFC 9420 s.12.1):
 * why it is invalid, or undefined. GroupContextExtensions, ReInit and
 * PreSharedKey proposals depend on the rest of the commit and are checked
 * when committed (the PSK itself never: its secret is the members'); custom
 * proposals of other types are kept as members keep them.
 */
async function proposalProblem(
  state: PublicGroupState,
  proposal: Proposal,
  sender: ProposalSender,
  options: PublicGroupOptions,
): Promise<string | undefined> {
  const { groupContext, ratchetTree } = state;
  const { authService, cipherSuite } = options;
  switch (proposal.proposalType) {
    case "add": {
      // s.12.1.1: a valid KeyPackage (s.10.1) for this group, whose leaf supports the group's extensions.
      const { keyPackage } = proposal.add;
      const invalid = await validateKeyPackage(
        keyPackage,
        groupContext,
        ratchetTree,
        false,
        options.lifetimeConfig,
        authService,
        cipherSuite.signature,
      );
      if (invalid !== undefined) return `the Add's KeyPackage is invalid: ${invalid.message}`;
      return extensionsSupportedByCapabilities(groupContext.extensions, keyPackage.leafNode.capabilities)
        ? undefined
        : "the Add's leaf does not support the group's extensions";
    }
    case "update": {
      // s.12.1.2: only a member updates its own leaf, with a valid leaf node (s.7.3).
      if (sender.kind !== "member") return "only a member sends an Update";
      const { leafNode } = proposal.update;
      const invalid =
        (await validateLeafNodeUpdateOrCommit(
          leafNode,
          sender.leafIndex,
          groupContext,
          authService,
          cipherSuite.signature,
        )) ?? (await validateLeafNodeCredentialAndKeyUniqueness(ratchetTree, leafNode, sender.leafIndex));
      return invalid === undefined ? undefined : `the Update's leaf node is invalid: ${invalid.message}`;
    }
    case "remove": {
      // s.12.1.3: the removed leaf is a member.
      const { removed } = proposal.remove;
      return ratchetTree[removed * 2]?.nodeType === "leaf" ? undefined : `the Remove's leaf ${removed} is not a member`;
    }
    case "external_init":
      // s.12.1.5: only ever committed by value, in an external commit.
      return "an ExternalInit proposal is only part of an external commit";
    case "psk":
    case "reinit":
    case "group_context_extensions":
      return undefined;
  }
  if (proposal.proposalType === selfRemoveProposalType && sender.kind !== "member") {
    // mls-extensions s.6.3: a member removes itself; never an external sender.
    return "only a member sends a SelfRemove";
  }
  // mls-extensions s.4.7: a commit with an update for a component without logic is invalid.
  const update = appDataUpdateOf(proposal);
  if (update !== undefined && !options.appDataUpdateHandlers.has(update.componentId)) {
    return `no handler for AppDataUpdate component ${update.componentId}`;
  }
  return undefined;
}
