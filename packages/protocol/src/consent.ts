import { enumeration, optional, select, struct, uint8, type ValueOf, vector } from "@mimi-ts/codec";
import { appDataDictionary } from "./appData.js";
import { identifierUri } from "./identifiers.js";
import { keyPackage } from "./mls.js";
import { type StructEntry, structEntry } from "./structEntry.js";

/** protocol-06 s.5.7: request/cancel go to requestConsent, grant/revoke to updateConsent. */
export const ConsentOperation = { cancel: 0, request: 1, grant: 2, revoke: 3 } as const;
export const consentOperation = enumeration("ConsentOperation", uint8, ConsentOperation);

/** protocol-06 s.5.7: `optional<RoomId> roomId`, a RoomId being an IdentifierUri. */
const scopeFields = {
  requesterUri: identifierUri,
  targetUri: identifierUri,
  roomId: optional(identifierUri),
} as const;

/** protocol-06 s.5.7: who may fetch whose KeyPackages, optionally for one room only. */
export const consentScope = struct("ConsentScope", scopeFields);
export type ConsentScope = ValueOf<typeof consentScope>;

/**
 * protocol-06 s.5.7: the body of requestConsent and updateConsent. The
 * select on consentOperation sits after the scope and before
 * consent_extensions, so every variant declares the scope, then its own
 * fields (only grant has any: the target's KeyPackages, possibly none), then
 * the extensions: the wire order is exactly the draft's.
 */
export const consentEntry = select("ConsentEntry", "consentOperation", consentOperation, {
  [ConsentOperation.cancel]: { ...scopeFields, consentExtensions: appDataDictionary },
  [ConsentOperation.request]: { ...scopeFields, consentExtensions: appDataDictionary },
  [ConsentOperation.grant]: {
    ...scopeFields,
    clientKeyPackages: vector(keyPackage),
    consentExtensions: appDataDictionary,
  },
  [ConsentOperation.revoke]: { ...scopeFields, consentExtensions: appDataDictionary },
});
export type ConsentEntry = ValueOf<typeof consentEntry>;

export const consentStructs: readonly StructEntry[] = [
  structEntry("ConsentOperation", consentOperation, "protocol-06 s.5.7"),
  structEntry("ConsentEntry", consentEntry, "protocol-06 s.5.7"),
  structEntry("ConsentScope", consentScope, "protocol-06 s.5.7"),
];
