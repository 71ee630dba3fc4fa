/**
 * Test fixtures: protocol-06 structs (s.5.2 KeyMaterialRequest/Response,
 * s.5.4 Frank and SubmitMessageResponse, s.5.5 FanoutMessage) declared with
 * this package, and stand-ins for ts-mls's KeyPackage and MLSMessage codecs
 * with ts-mls's shapes and habits (views into the input, RangeError on
 * overruns, `undefined` on bad input).
 */
import {
  enumeration,
  external,
  opaque,
  optional,
  select,
  struct,
  uint8,
  uint16,
  uint64,
  utf8,
  type ValueOf,
  varOpaque,
  vector,
} from "../index.js";

/** A stand-in for ts-mls's KeyPackage: uint16 length, then the body; a body starting 0xff is "invalid". */
export interface FakeKeyPackage {
  readonly body: Uint8Array;
}

export function encodeFakeKeyPackage(value: FakeKeyPackage): Uint8Array {
  if (!(value.body instanceof Uint8Array)) throw new TypeError("body is not a Uint8Array");
  const bytes = new Uint8Array(2 + value.body.length);
  new DataView(bytes.buffer).setUint16(0, value.body.length);
  bytes.set(value.body, 2);
  return bytes;
}

export function decodeFakeKeyPackage(bytes: Uint8Array, offset: number): [FakeKeyPackage, number] | undefined {
  // Like ts-mls: no bounds check before the DataView read, so a short input throws RangeError.
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(offset);
  if (offset + 2 + length > bytes.length) throw new RangeError("Data length exceeds buffer");
  const body = bytes.subarray(offset + 2, offset + 2 + length);
  if (body[0] === 0xff) return undefined;
  return [{ body }, 2 + length];
}

export const keyPackage = external("KeyPackage", encodeFakeKeyPackage, decodeFakeKeyPackage);

/** A stand-in for ts-mls's MLSMessage: a uint16 wire format, then a uint8-length body. */
export const WireFormat = { publicMessage: 1, privateMessage: 2, welcome: 3 } as const;
export type FakeWireFormat = (typeof WireFormat)[keyof typeof WireFormat];
export interface FakeMlsMessage {
  readonly wireFormat: FakeWireFormat;
  readonly body: Uint8Array;
}

export const mlsMessage = external<FakeMlsMessage>(
  "MLSMessage",
  (message) => Uint8Array.of(0, message.wireFormat, message.body.length, ...message.body),
  (bytes, offset) => {
    const wireFormat = bytes[offset + 1];
    const length = bytes[offset + 2];
    if (bytes[offset] !== 0 || length === undefined || offset + 3 + length > bytes.length) return undefined;
    if (wireFormat !== 1 && wireFormat !== 2 && wireFormat !== 3) return undefined;
    return [{ wireFormat, body: bytes.subarray(offset + 3, offset + 3 + length) }, 3 + length];
  },
);

// protocol-06 s.5
export const Protocol = { reserved: 0, mls10: 1 } as const;
export const protocol = enumeration("Protocol", uint8, Protocol);

/** `struct { opaque uri<V>; } IdentifierUri`, held as its UTF-8 string. */
export const identifierUri = utf8();

// protocol-06 s.5.2
export const keyMaterialRequest = select("KeyMaterialRequest", "protocol", protocol, {
  [Protocol.mls10]: {
    requestingUser: identifierUri,
    targetUser: identifierUri,
    roomId: identifierUri,
    acceptableCiphersuites: vector(uint16),
    requesterSignatureKey: varOpaque(),
    keyMaterialRequestSignature: varOpaque(),
  },
});

export const KeyMaterialUserCode = { success: 0, partialSuccess: 1, incompatibleProtocol: 2, userUnknown: 4 } as const;
export const KeyMaterialClientCode = { success: 0, keyMaterialExhausted: 1, nothingCompatible: 2 } as const;

export const capabilities = struct("Capabilities", {
  versions: vector(uint16),
  cipherSuites: vector(uint16),
});

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

export const keyMaterialResponse = select("KeyMaterialResponse", "protocol", protocol, {
  [Protocol.mls10]: {
    userStatus: enumeration("KeyMaterialUserCode", uint8, KeyMaterialUserCode),
    userUri: identifierUri,
    clients: vector(clientKeyMaterial),
  },
});
export type KeyMaterialResponse = ValueOf<typeof keyMaterialResponse>;

// protocol-06 s.5.4
export const frank = struct("Frank", {
  serverFrank: opaque(32),
  frankingSignatureCiphersuite: uint16,
  frankingIntegritySignature: varOpaque(),
});

export const SubmitResponseCode = { accepted: 0, notAllowed: 1, epochTooOld: 2 } as const;
export const submitMessageResponse = select("SubmitMessageResponse", "protocol", protocol, {
  [Protocol.mls10]: {
    result: select("SubmitResult", "statusCode", enumeration("SubmitResponseCode", uint8, SubmitResponseCode), {
      [SubmitResponseCode.accepted]: { acceptedTimestamp: uint64, frank: optional(frank) },
      [SubmitResponseCode.notAllowed]: {},
      [SubmitResponseCode.epochTooOld]: { currentEpoch: uint64 },
    }),
  },
});

// protocol-06 s.5.5 (mls10 only, so its `select (protocol)` has one case and no tag on the wire)
export const fanoutMessage = struct("FanoutMessage", {
  timestamp: uint64,
  content: select(
    "FanoutContent",
    "message",
    mlsMessage,
    {
      application: { frank: optional(frank) },
      welcome: { ratchetTreeOption: uint8 },
      handshake: { moreProposals: vector(mlsMessage) },
    },
    (message) =>
      message.wireFormat === WireFormat.privateMessage
        ? "application"
        : message.wireFormat === WireFormat.welcome
          ? "welcome"
          : "handshake",
  ),
});
