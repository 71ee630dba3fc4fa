import { type Codec, struct, uint8, uint64, utf8, type ValueOf, varOpaque, vector } from "@mimi-ts/codec";
import { appDataDictionary } from "./appData.js";
import { frank } from "./franking.js";
import { identifierUri } from "./identifiers.js";
import { type StructEntry, structEntry } from "./structEntry.js";

/** protocol-06 s.5.9: an allegedly abusive message with what the hub needs to check its frank. */
export const abusiveMessage = struct("AbusiveMessage", {
  /** the message content (for example a MIMI content message) */
  messageContent: varOpaque(),
  frank,
  acceptedTimestamp: uint64,
});
export type AbusiveMessage = ValueOf<typeof abusiveMessage>;

/**
 * protocol-06 s.5.9: `enum { reserved(0), (255) } AbuseType`, a taxonomy
 * still to be chosen (*TODO* in the draft). Carried as an open uint8 so
 * that reason codes a later registry defines still decode.
 */
export const AbuseType = {
  /** the draft's reserved(0): no reason given */
  unspecified: 0,
} as const;
export const abuseType: Codec<number> = { ...uint8, name: "AbuseType" };

/** protocol-06 s.5.9: POST /reportAbuse/{roomId}, sent to the hub. `opaque note<V>` is UTF-8 text, possibly empty. */
export const abuseReport = struct("AbuseReport", {
  reportingUser: identifierUri,
  allegedAbuserUri: identifierUri,
  reasonCode: abuseType,
  note: utf8(),
  messages: vector(abusiveMessage),
  abuseExtensions: appDataDictionary,
});
export type AbuseReport = ValueOf<typeof abuseReport>;

export const abuseStructs: readonly StructEntry[] = [
  structEntry("AbusiveMessage", abusiveMessage, "protocol-06 s.5.9"),
  structEntry("AbuseType", abuseType, "protocol-06 s.5.9"),
  structEntry("AbuseReport", abuseReport, "protocol-06 s.5.9"),
];
