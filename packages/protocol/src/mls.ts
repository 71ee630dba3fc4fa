import { type Codec, external, type ForeignDecoder, type ForeignEncoder, varOpaque } from "@mimi-ts/codec";
import type {
  Capabilities,
  Credential,
  Extension,
  ExternalSender,
  GroupInfo,
  HPKECiphertext,
  KeyPackage,
  MLSMessage,
  Node,
  RequiredCapabilities,
  Welcome,
} from "ts-mls";
import { decodeMlsMessage, encodeMlsMessage } from "ts-mls";
import { decodeCapabilities, encodeCapabilities } from "ts-mls/capabilities.js";
import { decodeCredential, encodeCredential } from "ts-mls/credential.js";
import { type CiphersuiteName, decodeCiphersuite, encodeCiphersuite } from "ts-mls/crypto/ciphersuite.js";
import { decodeExtension, encodeExtension } from "ts-mls/extension.js";
import { decodeExternalSender, encodeExternalSender } from "ts-mls/externalSender.js";
import { decodeGroupInfo, encodeGroupInfo } from "ts-mls/groupInfo.js";
import { decodeHpkeCiphertext, encodeHpkeCiphertext } from "ts-mls/hpkeCiphertext.js";
import { decodeKeyPackage, encodeKeyPackage } from "ts-mls/keyPackage.js";
import { decodeNode, encodeNode } from "ts-mls/ratchetTree.js";
import { decodeRequiredCapabilities, encodeRequiredCapabilities } from "ts-mls/requiredCapabilities.js";
import { decodeWelcome, encodeWelcome } from "ts-mls/welcome.js";

/**
 * The MLS objects inside MIMI structs, encoded and decoded by ts-mls so the
 * bytes are exactly RFC 9420's.
 *
 * ts-mls's decoders accept some non-minimal encodings (lengths written longer
 * than needed) and re-encode them in minimal form. A decoded object is
 * therefore re-encoded and compared with the bytes it came from: anything
 * but the one canonical encoding is refused, so every MIMI struct that
 * decodes re-encodes to the same bytes.
 */
function canonical<T>(name: string, encode: ForeignEncoder<T>, decode: ForeignDecoder<T>): Codec<T> {
  const strictDecode: ForeignDecoder<T> = (bytes, offset) => {
    const result = decode(bytes, offset);
    if (result === undefined) return undefined;
    const [value, length] = result;
    const again = encode(value);
    if (again.length !== length || !again.every((byte, i) => byte === bytes[offset + i])) {
      throw new Error("not the canonical RFC 9420 encoding");
    }
    return result;
  };
  return external(name, encode, strictDecode);
}

/** RFC 9420 s.6: an MLSMessage (PublicMessage, PrivateMessage, Welcome, GroupInfo or KeyPackage). */
export const mlsMessage: Codec<MLSMessage> = canonical("MLSMessage", encodeMlsMessage, decodeMlsMessage);
/** RFC 9420 s.10. */
export const keyPackage: Codec<KeyPackage> = canonical("KeyPackage", encodeKeyPackage, decodeKeyPackage);
/** RFC 9420 s.12.4.3 (the struct, not wrapped in an MLSMessage). */
export const groupInfo: Codec<GroupInfo> = canonical("GroupInfo", encodeGroupInfo, decodeGroupInfo);
/** RFC 9420 s.12.4.3.1 (the struct, not wrapped in an MLSMessage). */
export const welcome: Codec<Welcome> = canonical("Welcome", encodeWelcome, decodeWelcome);
/** RFC 9420 s.5.3. */
export const credential: Codec<Credential> = canonical("Credential", encodeCredential, decodeCredential);
/** RFC 9420 s.7.2. */
export const capabilities: Codec<Capabilities> = canonical("Capabilities", encodeCapabilities, decodeCapabilities);
/** RFC 9420 s.11.1. */
export const requiredCapabilities: Codec<RequiredCapabilities> = canonical(
  "RequiredCapabilities",
  encodeRequiredCapabilities,
  decodeRequiredCapabilities,
);
/** RFC 9420 s.12.1.8.1: `struct { SignaturePublicKey signature_key; Credential credential; }`. */
export const externalSender: Codec<ExternalSender> = canonical(
  "ExternalSender",
  encodeExternalSender,
  decodeExternalSender,
);
/** RFC 9420 s.5.1.3. */
export const hpkeCiphertext: Codec<HPKECiphertext> = canonical(
  "HPKECiphertext",
  encodeHpkeCiphertext,
  decodeHpkeCiphertext,
);
/**
 * RFC 9420 s.5.1: a uint16 cipher suite, as ts-mls names it; a suite ts-mls
 * does not know (a GREASE value, a newer suite) is its number as text, "2570".
 */
export type CipherSuite = CiphersuiteName | (string & Record<never, never>);
export const cipherSuite: Codec<CipherSuite> = canonical<CipherSuite>(
  "CipherSuite",
  encodeCiphersuite as ForeignEncoder<CipherSuite>,
  decodeCiphersuite,
);
/** RFC 9420 s.7.8: a node of the ratchet tree. */
export const node: Codec<Node> = canonical("Node", encodeNode, decodeNode);
/** RFC 9420 s.13: `struct { ExtensionType extension_type; opaque extension_data<V>; }`. */
export const extension: Codec<Extension> = canonical("Extension", encodeExtension, decodeExtension);
/** RFC 9420 s.5.1.1: `opaque SignaturePublicKey<V>`. */
export const signaturePublicKey: Codec<Uint8Array> = varOpaque();
/** RFC 9420 s.5.1.1: `opaque HPKEPublicKey<V>`. */
export const hpkePublicKey: Codec<Uint8Array> = varOpaque();
/** RFC 9420 s.5.2: `opaque HashReference<V>`, as ProposalRef and KeyPackageRef. */
export const hashReference: Codec<Uint8Array> = varOpaque();
