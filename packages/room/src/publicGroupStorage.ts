/**
 * The Hub's view of a group as bytes, for storage. The layout, in the TLS
 * presentation language of RFC 9420 s.2.1, with RFC 9420's own encodings of
 * the MLS objects:
 *
 *   struct {
 *     uint8 format;                          // 1
 *     GroupContext group_context;
 *     optional<Node> ratchet_tree<V>;         // as in the ratchet_tree extension (s.12.4.3.3)
 *     opaque confirmation_tag<V>;
 *     optional<GroupInfo> group_info;
 *     struct { opaque proposal_ref<V>; MLSMessage message; } pending_proposals<V>;
 *   } PublicGroupStorage;
 *
 * A pending proposal's content and sender are read from its message.
 * Decoding is strict: the bytes must be exactly one canonical encoding, each
 * pending message a PublicMessage proposal of the stored group and epoch, no
 * ProposalRef twice, and a stored GroupInfo must have the stored GroupContext.
 */
import {
  CodecError,
  decode,
  encode,
  external,
  optional,
  struct,
  uint8,
  type ValueOf,
  varOpaque,
  vector,
} from "@mimi-ts/codec";
import { groupInfo, mlsMessage } from "@mimi-ts/protocol";
import { decodeGroupContext, encodeGroupContext } from "ts-mls/groupContext.js";
import { decodeRatchetTree, encodeRatchetTree } from "ts-mls/ratchetTree.js";
import { constantTimeEqual } from "ts-mls/util/constantTimeCompare.js";
import { proposalSenderOf } from "./committedProposal.js";
import type { PendingProposal, PublicGroupState } from "./publicGroup.js";
import { PublicGroupError } from "./publicGroupErrors.js";

const FORMAT = 1;

const storedPublicGroup = struct("PublicGroupStorage", {
  format: uint8,
  groupContext: external("GroupContext", encodeGroupContext, decodeGroupContext),
  ratchetTree: external("RatchetTree", encodeRatchetTree, decodeRatchetTree),
  confirmationTag: varOpaque(),
  groupInfo: optional(groupInfo),
  pendingProposals: vector(struct("PendingProposalStorage", { ref: varOpaque(), message: mlsMessage })),
});

export function encodePublicGroup(state: PublicGroupState): Uint8Array {
  return encode(storedPublicGroup, {
    format: FORMAT,
    groupContext: state.groupContext,
    ratchetTree: state.ratchetTree,
    confirmationTag: state.confirmationTag,
    groupInfo: state.groupInfo,
    pendingProposals: state.pendingProposals.map(({ ref, message }) => ({ ref, message })),
  });
}

/** Reads bytes written by `encodePublicGroup`; anything else throws a PublicGroupError `invalidEncoding`. */
export function decodePublicGroup(bytes: Uint8Array): PublicGroupState {
  // ts-mls's decoders keep views of their input: decode a copy the caller cannot change.
  const input = bytes.slice();
  let stored: ValueOf<typeof storedPublicGroup>;
  try {
    stored = decode(storedPublicGroup, input);
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    throw new PublicGroupError("invalidEncoding", error.message, { cause: error });
  }
  if (stored.format !== FORMAT) throw invalid(`unknown format ${stored.format}`);
  const { groupContext } = stored;
  const pendingProposals = stored.pendingProposals.map(({ ref, message }, i): PendingProposal => {
    const content = message.wireformat === "mls_public_message" ? message.publicMessage.content : undefined;
    if (content?.contentType !== "proposal") throw invalid(`pending proposal ${i} is not a PublicMessage proposal`);
    if (!constantTimeEqual(content.groupId, groupContext.groupId) || content.epoch !== groupContext.epoch) {
      throw invalid(`pending proposal ${i} is not of the stored group and epoch`);
    }
    return { ref, proposal: content.proposal, sender: proposalSenderOf(content.sender), message };
  });
  if (new Set(pendingProposals.map(({ ref }) => Buffer.from(ref).toString("hex"))).size !== pendingProposals.length) {
    throw invalid("a ProposalRef is stored twice");
  }
  if (
    stored.groupInfo !== undefined &&
    !constantTimeEqual(encodeGroupContext(stored.groupInfo.groupContext), encodeGroupContext(groupContext))
  ) {
    throw invalid("the stored GroupInfo is not of the stored epoch");
  }
  const state: PublicGroupState = {
    groupContext,
    ratchetTree: stored.ratchetTree,
    confirmationTag: stored.confirmationTag,
    groupInfo: stored.groupInfo,
    pendingProposals,
  };
  // ts-mls's decoders accept some non-minimal encodings; only the canonical one is a stored view.
  if (!constantTimeEqual(encodePublicGroup(state), input)) throw invalid("not the canonical encoding");
  return state;
}

function invalid(reason: string): PublicGroupError {
  return new PublicGroupError("invalidEncoding", reason);
}
