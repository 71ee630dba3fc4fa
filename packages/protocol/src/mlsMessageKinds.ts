import { type Codec, CodecError, refine } from "@mimi-ts/codec";
import type { MLSMessage } from "ts-mls";
import { mlsMessage } from "./mls.js";

/**
 * The kinds of MLSMessage a field allows: protocol-06 puts MLSMessages in
 * many places, each meant for one kind (a PublicMessage proposal, a
 * PrivateMessage application message). These codecs refuse the others in
 * both directions, with a reason saying what was found.
 */

/** What an MLSMessage is, for error reasons: "a PublicMessage with application content", "a Welcome". */
export function describeMlsMessage(message: MLSMessage): string {
  switch (message.wireformat) {
    case "mls_public_message":
      return `a PublicMessage with ${message.publicMessage.content.contentType} content`;
    case "mls_private_message":
      return `a PrivateMessage with ${message.privateMessage.contentType} content`;
    case "mls_welcome":
      return "a Welcome";
    case "mls_group_info":
      return "a GroupInfo";
    case "mls_key_package":
      return "a KeyPackage";
  }
}

function requirePublicProposal(message: MLSMessage): MLSMessage {
  if (message.wireformat === "mls_public_message" && message.publicMessage.content.contentType === "proposal") {
    return message;
  }
  throw new CodecError(`expected a PublicMessage proposal, found ${describeMlsMessage(message)}`);
}

/**
 * protocol-06 s.5.3 (and s.5.5): an item of moreProposals, an MLSMessage that
 * must be a PublicMessage carrying a proposal. The draft also allows a
 * SemiPrivateMessage, which ts-mls does not support.
 */
export const publicProposalMessage: Codec<MLSMessage> = refine(mlsMessage, requirePublicProposal, "MLSMessage");

function requirePrivateApplication(message: MLSMessage): MLSMessage {
  if (message.wireformat === "mls_private_message" && message.privateMessage.contentType === "application") {
    return message;
  }
  throw new CodecError(`expected a PrivateMessage with application content, found ${describeMlsMessage(message)}`);
}

/**
 * protocol-06 s.5.4 (and s.5.5): an MLSMessage that must be a PrivateMessage
 * whose (cleartext) content_type is application.
 */
export const privateApplicationMessage: Codec<MLSMessage> = refine(mlsMessage, requirePrivateApplication, "MLSMessage");
