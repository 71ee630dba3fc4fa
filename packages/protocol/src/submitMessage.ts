import { enumeration, optional, select, uint8, uint64, type ValueOf } from "@mimi-ts/codec";
import { Protocol } from "./constants.js";
import { frank } from "./franking.js";
import { identifierUri } from "./identifiers.js";
import { protocol } from "./keyMaterial.js";
import { privateApplicationMessage } from "./mlsMessageKinds.js";
import { type StructEntry, structEntry } from "./structEntry.js";

/** protocol-06 s.5.4: POST /submitMessage/{roomId}; the draft's `IdentifierURI` is IdentifierUri. */
export const submitMessageRequest = select("SubmitMessageRequest", "protocol", protocol, {
  [Protocol.mls10]: { appMessage: privateApplicationMessage, sendingUri: identifierUri },
});
export type SubmitMessageRequest = ValueOf<typeof submitMessageRequest>;

/** protocol-06 s.5.4. */
export const SubmitResponseCode = { accepted: 0, notAllowed: 1, epochTooOld: 2 } as const;

export const submitResponseCode = enumeration("SubmitResponseCode", uint8, SubmitResponseCode);

/**
 * protocol-06 s.5.4: the mls10 case's `select (statusCode)`. The draft's
 * `case success:` is the enum's accepted(0); notAllowed has no fields;
 * `optional Frank frank` is `optional<Frank>`.
 */
const submitMessageResult = select("SubmitMessageResponse", "statusCode", submitResponseCode, {
  [SubmitResponseCode.accepted]: { acceptedTimestamp: uint64, frank: optional(frank) },
  [SubmitResponseCode.notAllowed]: {},
  [SubmitResponseCode.epochTooOld]: { currentEpoch: uint64 },
});

/**
 * protocol-06 s.5.4: the answer to a SubmitMessageRequest. The status select
 * follows the protocol, so it nests one level: `{ protocol, result: { statusCode, ... } }`.
 */
export const submitMessageResponse = select("SubmitMessageResponse", "protocol", protocol, {
  [Protocol.mls10]: { result: submitMessageResult },
});
export type SubmitMessageResponse = ValueOf<typeof submitMessageResponse>;

export const submitMessageStructs: readonly StructEntry[] = [
  structEntry("SubmitMessageRequest", submitMessageRequest, "protocol-06 s.5.4"),
  structEntry("SubmitResponseCode", submitResponseCode, "protocol-06 s.5.4"),
  structEntry("SubmitMessageResponse", submitMessageResponse, "protocol-06 s.5.4"),
];
