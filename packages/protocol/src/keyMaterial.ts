import {
  type Codec,
  CodecError,
  enumeration,
  optional,
  refine,
  select,
  struct,
  uint8,
  type ValueOf,
  varOpaque,
  vector,
} from "@mimi-ts/codec";
import { Protocol } from "./constants.js";
import { identifierUri } from "./identifiers.js";
import { capabilities, cipherSuite, credential, keyPackage, requiredCapabilities, signaturePublicKey } from "./mls.js";
import { type StructEntry, structEntry } from "./structEntry.js";

/** protocol-06 s.5: the protocols a MIMI message can carry; reserved(0) is not one. */
export const protocol = enumeration("Protocol", uint8, { mls10: Protocol.mls10 });

const requestHeader = {
  requestingUser: identifierUri,
  targetUser: identifierUri,
  roomId: identifierUri,
} as const;

const mls10RequestFields = {
  acceptableCiphersuites: vector(cipherSuite),
  requiredCapabilities,
  requesterSignatureKey: signaturePublicKey,
  requesterCredential: credential,
} as const;

/** protocol-06 s.5.2: what the requester signs, KeyMaterialRequest without its signature. */
export const keyMaterialRequestTbs = select("KeyMaterialRequestTBS", "protocol", protocol, {
  [Protocol.mls10]: { ...requestHeader, ...mls10RequestFields },
});
export type KeyMaterialRequestTbs = ValueOf<typeof keyMaterialRequestTbs>;

/** protocol-06 s.5.2: POST /keyMaterial/{targetUser}. */
export const keyMaterialRequest = select("KeyMaterialRequest", "protocol", protocol, {
  [Protocol.mls10]: {
    ...requestHeader,
    ...mls10RequestFields,
    /** SignWithLabel(requesterSignatureKey, "KeyMaterialRequestTBS", KeyMaterialRequestTBS) */
    keyMaterialRequestSignature: varOpaque(),
  },
});
export type KeyMaterialRequest = ValueOf<typeof keyMaterialRequest>;

/** The TBS a KeyMaterialRequest's signature covers. */
export function keyMaterialRequestToBeSigned(request: KeyMaterialRequest): KeyMaterialRequestTbs {
  const { keyMaterialRequestSignature: _signature, ...tbs } = request;
  return tbs;
}

/** protocol-06 s.5.2 (the draft separates its values with `;` and `,` alike). */
export const KeyMaterialUserCode = {
  success: 0,
  partialSuccess: 1,
  incompatibleProtocol: 2,
  noCompatibleMaterial: 3,
  userUnknown: 4,
  noConsent: 5,
  noConsentForThisRoom: 6,
  userDeleted: 7,
} as const;

/** protocol-06 s.5.2. */
export const KeyMaterialClientCode = {
  success: 0,
  keyMaterialExhausted: 1,
  nothingCompatible: 2,
} as const;

/**
 * protocol-06 s.5.2. Its `select (protocol)` names the protocol of the
 * enclosing KeyMaterialResponse, which this struct does not carry: only
 * mls10 exists, so the mls10 layout is the layout.
 */
export const clientKeyMaterial = select(
  "ClientKeyMaterial",
  "clientStatus",
  enumeration("KeyMaterialClientCode", uint8, KeyMaterialClientCode),
  {
    [KeyMaterialClientCode.success]: { clientUri: identifierUri, keyPackage },
    [KeyMaterialClientCode.keyMaterialExhausted]: { clientUri: identifierUri },
    [KeyMaterialClientCode.nothingCompatible]: { clientUri: identifierUri, clientCapabilities: optional(capabilities) },
  },
);
export type ClientKeyMaterial = ValueOf<typeof clientKeyMaterial>;

/** User codes after which the clients list may be populated (protocol-06 s.5.2: MUST NOT otherwise). */
const CODES_WITH_CLIENTS: ReadonlySet<number> = new Set([
  KeyMaterialUserCode.success,
  KeyMaterialUserCode.partialSuccess,
  KeyMaterialUserCode.noCompatibleMaterial,
]);

const keyMaterialResponseLayout = struct("KeyMaterialResponse", {
  protocol,
  userStatus: enumeration("KeyMaterialUserCode", uint8, KeyMaterialUserCode),
  userUri: identifierUri,
  clients: vector(clientKeyMaterial),
});

function checkClients(response: ValueOf<typeof keyMaterialResponseLayout>): ValueOf<typeof keyMaterialResponseLayout> {
  if (response.clients.length > 0 && !CODES_WITH_CLIENTS.has(response.userStatus)) {
    throw new CodecError("clients must be empty unless userStatus is success, partialSuccess or noCompatibleMaterial", {
      struct: "KeyMaterialResponse",
      field: "clients",
    });
  }
  return response;
}

/** protocol-06 s.5.2: the answer to a KeyMaterialRequest. */
export const keyMaterialResponse: Codec<ValueOf<typeof keyMaterialResponseLayout>> = refine(
  keyMaterialResponseLayout,
  checkClients,
  "KeyMaterialResponse",
);
export type KeyMaterialResponse = ValueOf<typeof keyMaterialResponse>;

export const keyMaterialStructs: readonly StructEntry[] = [
  structEntry("Protocol", protocol, "protocol-06 s.5"),
  structEntry("IdentifierUri", identifierUri, "protocol-06 s.5.2"),
  structEntry("KeyMaterialRequest", keyMaterialRequest, "protocol-06 s.5.2"),
  structEntry("KeyMaterialRequestTBS", keyMaterialRequestTbs, "protocol-06 s.5.2"),
  structEntry("ClientKeyMaterial", clientKeyMaterial, "protocol-06 s.5.2"),
  structEntry("KeyMaterialResponse", keyMaterialResponse, "protocol-06 s.5.2"),
];
