import {
  CodecError,
  enumeration,
  optional,
  select,
  struct,
  uint8,
  uint64,
  utf8,
  type ValueOf,
  vector,
} from "@mimi-ts/codec";
import type { MLSMessage } from "ts-mls";
import { groupInfo, hashReference, mlsMessage, welcome } from "./mls.js";
import { describeMlsMessage, publicProposalMessage } from "./mlsMessageKinds.js";
import { partialGroupInfo, ratchetTreeOption } from "./ratchetTreeOptions.js";
import { type StructEntry, structEntry } from "./structEntry.js";

/** protocol-06 s.5.3; reserved(0) is not a representation. */
export const GroupInfoRepresentation = { full: 1, partial: 2 } as const;

export const groupInfoRepresentation = enumeration("GroupInfoRepresentation", uint8, GroupInfoRepresentation);

/** protocol-06 s.5.3: the whole GroupInfo (the RFC 9420 struct), or what the hub needs to rebuild it. */
export const groupInfoOption = select("GroupInfoOption", "representation", groupInfoRepresentation, {
  [GroupInfoRepresentation.full]: { groupInfo },
  [GroupInfoRepresentation.partial]: { partialGroupInfo },
});
export type GroupInfoOption = ValueOf<typeof groupInfoOption>;

/**
 * Reading of `select (proposalOrCommit.content.content_type)`: a
 * PublicMessage's content type chooses the case; application content, a
 * PrivateMessage, a Welcome, a GroupInfo or a KeyPackage is refused. The
 * draft's SemiPrivateMessage alternative is not supported (ts-mls has none).
 */
function handshakeCase(message: MLSMessage): "commit" | "proposal" {
  if (message.wireformat === "mls_public_message") {
    const contentType = message.publicMessage.content.contentType;
    if (contentType === "commit" || contentType === "proposal") return contentType;
  }
  throw new CodecError(`expected a PublicMessage proposal or commit, found ${describeMlsMessage(message)}`);
}

/**
 * protocol-06 s.5.3: a handshake message and what travels with it. The
 * commit case's `optional<Welcome>` is the RFC 9420 Welcome struct, not an
 * MLSMessage; each of moreProposals must be a PublicMessage proposal.
 */
export const handshakeBundle = select(
  "HandshakeBundle",
  "proposalOrCommit",
  mlsMessage,
  {
    commit: { welcome: optional(welcome), groupInfoOption, ratchetTreeOption },
    proposal: { moreProposals: vector(publicProposalMessage) },
  },
  handshakeCase,
);
export type HandshakeBundle = ValueOf<typeof handshakeBundle>;

/**
 * protocol-06 s.5.3: POST /update/{roomId}. Its `select (room.protocol)`
 * names the room's protocol, which is not on the wire; only mls10 exists, so
 * the request is exactly a HandshakeBundle on the wire.
 */
export const updateRequest = struct("UpdateRequest", { bundle: handshakeBundle });
export type UpdateRequest = ValueOf<typeof updateRequest>;

/** protocol-06 s.5.3. */
export const UpdateResponseCode = { success: 0, wrongEpoch: 1, notAllowed: 2, invalidProposal: 3 } as const;

export const updateResponseCode = enumeration("UpdateResponseCode", uint8, UpdateResponseCode);

/** The draft's `string errorDescription`, read as `opaque errorDescription<V>` holding UTF-8; it sits between the tag and the select. */
const errorDescription = utf8();

/**
 * protocol-06 s.5.3: the answer to an UpdateRequest. notAllowed carries no
 * fields beyond the description; invalidProposals are ProposalRefs
 * (RFC 9420 HashReference, `opaque<V>`).
 */
export const updateRoomResponse = select("UpdateRoomResponse", "responseCode", updateResponseCode, {
  [UpdateResponseCode.success]: { errorDescription, acceptedTimestamp: uint64 },
  [UpdateResponseCode.wrongEpoch]: { errorDescription, currentEpoch: uint64 },
  [UpdateResponseCode.notAllowed]: { errorDescription },
  [UpdateResponseCode.invalidProposal]: { errorDescription, invalidProposals: vector(hashReference) },
});
export type UpdateRoomResponse = ValueOf<typeof updateRoomResponse>;

export const updateStructs: readonly StructEntry[] = [
  structEntry("HandshakeBundle", handshakeBundle, "protocol-06 s.5.3"),
  structEntry("GroupInfoRepresentation", groupInfoRepresentation, "protocol-06 s.5.3"),
  structEntry("GroupInfoOption", groupInfoOption, "protocol-06 s.5.3"),
  structEntry("UpdateRequest", updateRequest, "protocol-06 s.5.3"),
  structEntry("UpdateResponseCode", updateResponseCode, "protocol-06 s.5.3"),
  structEntry("UpdateRoomResponse", updateRoomResponse, "protocol-06 s.5.3"),
];
