import type { Proposal, Sender } from "ts-mls";

/**
 * Who sent a proposal (RFC 9420 s.6: Sender): a member by leaf index, an
 * external sender by its index in the external_senders extension, or a new
 * member (a joiner's own Add, or the proposals of an external commit).
 */
export type ProposalSender =
  | { readonly kind: "member"; readonly leafIndex: number }
  | { readonly kind: "external"; readonly senderIndex: number }
  | { readonly kind: "newMemberProposal" }
  | { readonly kind: "newMemberCommit" };

/**
 * A proposal as a commit applies it: the proposal, who proposed it (for a
 * proposal carried by value, the committer), whether the commit named it by
 * reference, and its ProposalRef when it has one. The Hub's view of the group
 * produces these for every commit it accepts, and the policy engine reads
 * them (through `roomChangeOf`) to authorize the commit.
 */
export interface CommittedProposal {
  readonly proposal: Proposal;
  readonly sender: ProposalSender;
  readonly byReference: boolean;
  readonly ref?: Uint8Array;
}

/** The ProposalSender of a ts-mls Sender. */
export function proposalSenderOf(sender: Sender): ProposalSender {
  switch (sender.senderType) {
    case "member":
      return { kind: "member", leafIndex: sender.leafIndex };
    case "external":
      return { kind: "external", senderIndex: sender.senderIndex };
    case "new_member_proposal":
      return { kind: "newMemberProposal" };
    case "new_member_commit":
      return { kind: "newMemberCommit" };
  }
}

/** The ts-mls Sender of a ProposalSender. */
export function tsMlsSender(sender: ProposalSender): Sender {
  switch (sender.kind) {
    case "member":
      return { senderType: "member", leafIndex: sender.leafIndex };
    case "external":
      return { senderType: "external", senderIndex: sender.senderIndex };
    case "newMemberProposal":
      return { senderType: "new_member_proposal" };
    case "newMemberCommit":
      return { senderType: "new_member_commit" };
  }
}
