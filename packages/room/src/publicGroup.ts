/**
 * The Hub's view of a room's MLS group (what OpenMLS calls a PublicGroup): a
 * non-member that holds none of the group's secrets and tracks its public
 * state, the GroupContext and the ratchet tree, from PublicMessage proposals
 * and commits, running the members' own code (ts-mls's `applyProposalsPublic`,
 * `applyUpdatePath`, `nextEpochContext`) so that after every commit it has
 * the GroupContext and the tree every member has.
 *
 * It cannot check what needs the epoch's secrets: the membership_tag of a
 * member's PublicMessage (RFC 9420 s.6.2), the confirmation_tag of a commit
 * (s.8.1), PSK secrets (s.8.4), and the path secrets an UpdatePath encrypts.
 */
import type {
  AppDataUpdateHandlers,
  AuthenticationService,
  CiphersuiteImpl,
  Credential,
  FramedContent,
  FramedContentAuthData,
  GroupContext,
  GroupInfo,
  KeyPackage,
  KeyPackageEqualityConfig,
  LifetimeConfig,
  MLSMessage,
  Proposal,
  RatchetTree,
} from "ts-mls";
import { validateRatchetTree } from "ts-mls/clientState.js";
import { verifyFramedContentSignature } from "ts-mls/framedContent.js";
import { encodeGroupContext } from "ts-mls/groupContext.js";
import { verifyGroupInfoSignature } from "ts-mls/groupInfo.js";
import { findSignaturePublicKey, senderFromExtension } from "ts-mls/publicMessage.js";
import { encodeRatchetTree } from "ts-mls/ratchetTree.js";
import { constantTimeEqual } from "ts-mls/util/constantTimeCompare.js";
import { type CommittedProposal, type ProposalSender, proposalSenderOf } from "./committedProposal.js";
import { applyCommit } from "./publicGroupCommit.js";
import { PublicGroupError, refuseIfDefined, refuseOnThrow } from "./publicGroupErrors.js";
import { receiveProposal } from "./publicGroupProposal.js";

export interface PublicGroupOptions {
  readonly cipherSuite: CiphersuiteImpl;
  /** Validates every credential: of the tree's leaves, of new and updated leaves, of external senders. */
  readonly authService: AuthenticationService;
  /** mls-extensions s.4.7: the component logic the members run, by component id. */
  readonly appDataUpdateHandlers: AppDataUpdateHandlers;
  /** Whether leaf lifetimes are checked on receipt (RFC 9420 s.7.3), as members configure it. */
  readonly lifetimeConfig: LifetimeConfig;
  /** Which Add is "a client already in the group" (RFC 9420 s.12.2); ts-mls's default (same signature key) unless given. */
  readonly keyPackageEqualityConfig?: KeyPackageEqualityConfig;
}

/** A proposal of the current epoch, waiting for a commit. */
export interface PendingProposal {
  /** RFC 9420 s.5.2: its ProposalRef, by which a commit includes it. */
  readonly ref: Uint8Array;
  readonly proposal: Proposal;
  readonly sender: ProposalSender;
  /** The PublicMessage as received. */
  readonly message: MLSMessage;
}

/** The public state of one epoch of the group. Plain data; `encodePublicGroup` stores it. */
export interface PublicGroupState {
  readonly groupContext: GroupContext;
  readonly ratchetTree: RatchetTree;
  /**
   * The confirmation_tag of the commit (or, initially, of the GroupInfo) that
   * began this epoch: the next commit's interim transcript hash covers it
   * (RFC 9420 s.8.2).
   */
  readonly confirmationTag: Uint8Array;
  /** The GroupInfo of this epoch signed by a member, once one was accepted. */
  readonly groupInfo: GroupInfo | undefined;
  readonly pendingProposals: readonly PendingProposal[];
}

export interface ProposalAccepted {
  readonly kind: "proposal";
  readonly state: PublicGroupState;
  readonly ref: Uint8Array;
  readonly proposal: Proposal;
  readonly sender: ProposalSender;
}

export interface AddedLeaf {
  readonly leafIndex: number;
  readonly keyPackage: KeyPackage;
}

export interface CommitApplied {
  readonly kind: "commit";
  /** The next epoch's state; it has no GroupInfo until `acceptGroupInfo`. */
  readonly state: PublicGroupState;
  /** The commit's proposals, in commit order. */
  readonly committed: readonly CommittedProposal[];
  readonly committer: ProposalSender;
  /** The leaves of added members, in the order of the Add proposals. */
  readonly addedLeaves: readonly AddedLeaf[];
  /** The leaves removed, in the order they were removed: SelfRemoves, then Removes (mls-extensions s.6.3). */
  readonly removedLeaves: readonly number[];
  /** The leaf of the member that joined by this external commit. */
  readonly newMemberLeafIndex?: number;
}

export type PublicGroupResult = ProposalAccepted | CommitApplied;

export interface Member {
  readonly leafIndex: number;
  readonly credential: Credential;
  readonly signaturePublicKey: Uint8Array;
}

/** What a joiner needs (RFC 9420 s.12.4.3.1, s.12.4.3.2): the latest signed GroupInfo and the tree. */
export interface JoinerInformation {
  readonly groupInfo: GroupInfo;
  readonly ratchetTree: RatchetTree;
}

/**
 * Starts the view from a GroupInfo and the group's ratchet tree, checking
 * them as a joiner does (RFC 9420 s.12.4.3.1): the tree (leaf signatures and
 * credentials, parent hashes, the tree hash of the GroupContext), the
 * GroupInfo's signature by its signer's leaf key, and any ratchet_tree
 * extension in the GroupInfo against the tree.
 */
export function publicGroupFromGroupInfo(
  groupInfo: GroupInfo,
  ratchetTree: RatchetTree,
  options: PublicGroupOptions,
): Promise<PublicGroupState> {
  return refuseOnThrow("invalidGroupInfo", "the GroupInfo or the tree is malformed", () =>
    startFromGroupInfo(groupInfo, ratchetTree, options),
  );
}

async function startFromGroupInfo(
  groupInfo: GroupInfo,
  ratchetTree: RatchetTree,
  options: PublicGroupOptions,
): Promise<PublicGroupState> {
  const { groupContext } = groupInfo;
  if (groupContext.cipherSuite !== options.cipherSuite.name) {
    throw new PublicGroupError(
      "invalidGroupInfo",
      `the group uses ${groupContext.cipherSuite}, the view was given ${options.cipherSuite.name}`,
    );
  }
  refuseIfDefined(
    "invalidGroupInfo",
    "the ratchet tree is not valid for the GroupContext (RFC 9420 s.12.4.3.1)",
    await validateRatchetTree(
      ratchetTree,
      groupContext,
      options.lifetimeConfig,
      options.authService,
      groupContext.treeHash,
      options.cipherSuite,
    ),
  );
  await verifyGroupInfo(groupInfo, ratchetTree, options);
  checkRatchetTreeExtension(groupInfo, ratchetTree);
  return {
    groupContext,
    ratchetTree,
    confirmationTag: groupInfo.confirmationTag,
    groupInfo,
    pendingProposals: [],
  };
}

/**
 * Processes a PublicMessage carrying a proposal or a commit of the current
 * epoch, from a member, an external sender (RFC 9420 s.12.1.8.1) or a new
 * member (a new-member Add proposal, an external commit). The membership_tag
 * of a member's message is not checked: that needs the membership key.
 * Throws a PublicGroupError.
 */
export function processPublicMessage(
  state: PublicGroupState,
  message: MLSMessage,
  options: PublicGroupOptions,
): Promise<PublicGroupResult> {
  // Anything ts-mls throws beyond the checks below (a malformed structure) still refuses the message.
  const refusal =
    message.wireformat === "mls_public_message" && message.publicMessage.content.contentType === "commit"
      ? "invalidCommit"
      : "invalidProposal";
  return refuseOnThrow(refusal, "the message is malformed", () => processHandshake(state, message, options));
}

async function processHandshake(
  state: PublicGroupState,
  message: MLSMessage,
  options: PublicGroupOptions,
): Promise<PublicGroupResult> {
  if (message.wireformat !== "mls_public_message") {
    throw new PublicGroupError("notPublicMessage", `the message is a ${message.wireformat}, not a PublicMessage`);
  }
  const { content, auth } = message.publicMessage;
  checkGroupAndEpoch(state, content.groupId, content.epoch);
  if (content.contentType === "application") {
    throw new PublicGroupError(
      "notPublicMessage",
      "application data is sent only as a PrivateMessage (RFC 9420 s.6.2)",
    );
  }
  await verifyContentSignature(state, content, auth, options);
  if (content.contentType === "proposal") return receiveProposal(state, message, content, auth, options);
  if (auth.contentType !== "commit") throw new PublicGroupError("invalidCommit", "the commit has no confirmation_tag");
  return applyCommit(state, content, auth, options);
}

/**
 * Accepts the committer's signed GroupInfo for the current epoch (RFC 9420
 * s.12.4.3): signed by its signer's leaf key, with this view's GroupContext
 * byte for byte, the confirmation_tag of the commit that began the epoch,
 * and, if it carries one, this view's ratchet tree.
 */
export function acceptGroupInfo(
  state: PublicGroupState,
  groupInfo: GroupInfo,
  options: PublicGroupOptions,
): Promise<PublicGroupState> {
  return refuseOnThrow("invalidGroupInfo", "the GroupInfo is malformed", () =>
    checkGroupInfoOfEpoch(state, groupInfo, options),
  );
}

async function checkGroupInfoOfEpoch(
  state: PublicGroupState,
  groupInfo: GroupInfo,
  options: PublicGroupOptions,
): Promise<PublicGroupState> {
  checkGroupAndEpoch(state, groupInfo.groupContext.groupId, groupInfo.groupContext.epoch);
  await verifyGroupInfo(groupInfo, state.ratchetTree, options);
  if (!constantTimeEqual(encodeGroupContext(state.groupContext), encodeGroupContext(groupInfo.groupContext))) {
    throw new PublicGroupError(
      "invalidGroupInfo",
      "the GroupInfo's GroupContext differs from the group's (the committer and the Hub disagree on the epoch)",
    );
  }
  if (!constantTimeEqual(groupInfo.confirmationTag, state.confirmationTag)) {
    throw new PublicGroupError(
      "invalidGroupInfo",
      "the GroupInfo's confirmation_tag is not the one of the commit that began the epoch",
    );
  }
  checkRatchetTreeExtension(groupInfo, state.ratchetTree);
  return { ...state, groupInfo };
}

/** The latest signed GroupInfo of the current epoch and the ratchet tree, or undefined before one was accepted. */
export function groupInfoForJoiners(state: PublicGroupState): JoinerInformation | undefined {
  return state.groupInfo === undefined ? undefined : { groupInfo: state.groupInfo, ratchetTree: state.ratchetTree };
}

/** The group's members, by leaf index. */
export function members(state: PublicGroupState): Member[] {
  return state.ratchetTree.flatMap((node, nodeIndex) =>
    node?.nodeType === "leaf"
      ? [
          {
            leafIndex: nodeIndex / 2,
            credential: node.leaf.credential,
            signaturePublicKey: node.leaf.signaturePublicKey,
          },
        ]
      : [],
  );
}

/** The proposals of the current epoch not yet committed, in the order they arrived. */
export function pendingProposals(state: PublicGroupState): readonly PendingProposal[] {
  return state.pendingProposals;
}

function checkGroupAndEpoch(state: PublicGroupState, groupId: Uint8Array, epoch: bigint): void {
  if (!constantTimeEqual(groupId, state.groupContext.groupId)) {
    throw new PublicGroupError("wrongGroup", "the group id is not this group's");
  }
  if (epoch !== state.groupContext.epoch) {
    throw new PublicGroupError("wrongEpoch", `epoch ${epoch}, the group is at epoch ${state.groupContext.epoch}`, {
      currentEpoch: state.groupContext.epoch,
    });
  }
}

function leafAt(tree: RatchetTree, leafIndex: number) {
  const node = Number.isInteger(leafIndex) && leafIndex >= 0 ? tree[leafIndex * 2] : undefined;
  return node?.nodeType === "leaf" ? node.leaf : undefined;
}

/**
 * RFC 9420 s.6.1 and s.6.2: the sender exists and may send this content, and
 * the signature over FramedContentTBS verifies with its key: a member's leaf
 * key, an external sender's key (s.12.1.8.1), the KeyPackage's key for a
 * new-member Add, the UpdatePath leaf's key for an external commit.
 */
async function verifyContentSignature(
  state: PublicGroupState,
  content: FramedContent,
  auth: FramedContentAuthData,
  options: PublicGroupOptions,
): Promise<void> {
  const { sender } = content;
  const invalid = content.contentType === "commit" ? "invalidCommit" : "invalidProposal";
  switch (sender.senderType) {
    case "member":
      if (leafAt(state.ratchetTree, sender.leafIndex) === undefined) {
        throw new PublicGroupError("unknownSender", `leaf ${sender.leafIndex} is not a member`);
      }
      break;
    case "external": {
      const listed = await refuseOnThrow("unknownSender", "reading the external_senders extension", () =>
        senderFromExtension(state.groupContext.extensions, sender.senderIndex),
      );
      if (listed === undefined) {
        throw new PublicGroupError(
          "unknownSender",
          `external sender ${sender.senderIndex} is not in the group's external_senders (RFC 9420 s.12.1.8.1)`,
        );
      }
      if (content.contentType === "commit") {
        throw new PublicGroupError(invalid, "an external sender cannot commit (RFC 9420 s.12.4)");
      }
      break;
    }
    case "new_member_proposal":
      if (content.contentType !== "proposal" || content.proposal.proposalType !== "add") {
        throw new PublicGroupError(invalid, "a new_member_proposal sender sends only its own Add (RFC 9420 s.12.1.8)");
      }
      break;
    case "new_member_commit":
      if (content.contentType !== "commit" || content.commit.path === undefined) {
        throw new PublicGroupError(
          invalid,
          "a new_member_commit sender sends only an external commit, which has a path (RFC 9420 s.12.4.3.2)",
        );
      }
      break;
  }
  const key = await refuseOnThrow("unknownSender", "finding the sender's signature key", () =>
    findSignaturePublicKey(state.ratchetTree, state.groupContext, content),
  );
  const valid = await refuseOnThrow("badSignature", "verifying the signature", () =>
    verifyFramedContentSignature(
      key,
      "mls_public_message",
      content,
      auth,
      state.groupContext,
      options.cipherSuite.signature,
    ),
  );
  if (!valid) {
    throw new PublicGroupError("badSignature", `the signature does not verify with the key of ${senderName(content)}`);
  }
}

function senderName(content: FramedContent): string {
  const sender = proposalSenderOf(content.sender);
  switch (sender.kind) {
    case "member":
      return `leaf ${sender.leafIndex}`;
    case "external":
      return `external sender ${sender.senderIndex}`;
    case "newMemberProposal":
      return "the proposed KeyPackage";
    case "newMemberCommit":
      return "the external commit's new leaf";
  }
}

/** RFC 9420 s.12.4.3: a GroupInfo is signed by the member at its signer leaf. */
async function verifyGroupInfo(groupInfo: GroupInfo, tree: RatchetTree, options: PublicGroupOptions): Promise<void> {
  const signer = leafAt(tree, groupInfo.signer);
  if (signer === undefined) {
    throw new PublicGroupError("unknownSender", `the GroupInfo's signer, leaf ${groupInfo.signer}, is not a member`);
  }
  const valid = await refuseOnThrow("badSignature", "verifying the GroupInfo's signature", () =>
    verifyGroupInfoSignature(groupInfo, signer.signaturePublicKey, options.cipherSuite.signature),
  );
  if (!valid) {
    throw new PublicGroupError(
      "badSignature",
      `the GroupInfo's signature does not verify with leaf ${groupInfo.signer}'s key`,
    );
  }
}

/**
 * A ratchet_tree extension in a GroupInfo (RFC 9420 s.12.4.3.3) must hold
 * exactly the group's tree: joiners take it rather than the tree given beside
 * the GroupInfo.
 */
function checkRatchetTreeExtension(groupInfo: GroupInfo, tree: RatchetTree): void {
  const carried = groupInfo.extensions.find((extension) => extension.extensionType === "ratchet_tree");
  if (carried !== undefined && !constantTimeEqual(carried.extensionData, encodeRatchetTree(tree))) {
    throw new PublicGroupError("invalidGroupInfo", "the GroupInfo's ratchet_tree extension is not the group's tree");
  }
}
