import { type Codec, CodecError, decode, encode } from "@mimi-ts/codec";
import { keyPackage as keyPackageCodec, mlsMessage } from "@mimi-ts/protocol";
import { credentialIdentity } from "@mimi-ts/room";
import {
  type CiphersuiteName,
  defaultExtensionTypes,
  defaultProposalTypes,
  type KeyPackage,
  type RequiredCapabilities,
} from "ts-mls";
import { makeKeyPackageRef, verifyKeyPackage } from "ts-mls/keyPackage.js";
import { verifyLeafNodeSignatureKeyPackage } from "ts-mls/leafNode.js";
import { ciphersuiteImplementation } from "./ciphersuites.js";

/** The bodies POST /client/v1/keypackages accepts, by Content-Type. */
export const KeyPackageBodyType = {
  /** RFC 9420 s.17.10: MLSMessages (wire format mls_key_package), back to back */
  mlsMessage: "message/mls",
  /** bare KeyPackage structs (RFC 9420 s.10), back to back */
  keyPackage: "application/octet-stream",
} as const;
export type KeyPackageBodyForm = keyof typeof KeyPackageBodyType;

/** One or more values of `codec` back to back, with no length prefix; an error's path starts with the index. */
function concatenated<T>(codec: Codec<T>, name: string): Codec<T[]> {
  return {
    name,
    write(writer, values) {
      for (const value of values) codec.write(writer, value);
    },
    read(reader) {
      if (reader.remaining === 0) throw new CodecError(`the body holds no ${codec.name}`);
      const values: T[] = [];
      while (reader.remaining > 0) {
        try {
          values.push(codec.read(reader));
        } catch (error) {
          if (!(error instanceof CodecError)) throw error;
          const inner = error.path === "" ? "" : `.${error.path}`;
          throw new CodecError(error.reason, {
            struct: error.struct === "" ? codec.name : error.struct,
            field: error.field,
            path: `[${values.length}]${inner}`,
            cause: error.cause,
          });
        }
      }
      return values;
    },
  };
}

const keyPackageMessages = concatenated(mlsMessage, "KeyPackageUpload");
const bareKeyPackages = concatenated(keyPackageCodec, "KeyPackageUpload");

/** The KeyPackages of an upload body. Throws CodecError for anything but one or more of the given form. */
export function decodeKeyPackageUpload(body: Uint8Array, form: KeyPackageBodyForm): KeyPackage[] {
  if (form === "keyPackage") return decode(bareKeyPackages, body);
  return decode(keyPackageMessages, body).map((message, index) => {
    if (message.wireformat !== "mls_key_package") {
      throw new CodecError(`expected wire format mls_key_package, found ${message.wireformat}`, {
        struct: "MLSMessage",
        path: `[${index}]`,
      });
    }
    return message.keyPackage;
  });
}

/** A KeyPackage refused at upload; the message says why. */
export class KeyPackageError extends Error {
  override readonly name = "KeyPackageError";
}

/** A KeyPackage checked and ready to store. */
export interface AcceptedKeyPackage {
  readonly keyPackage: KeyPackage;
  /** its RFC 9420 encoding */
  readonly encoded: Uint8Array;
  /** RFC 9420 s.5.2 KeyPackageRef */
  readonly ref: Uint8Array;
  readonly cipherSuite: CiphersuiteName;
  /** leaf_node.lifetime in seconds since the epoch, capped at 2^53 - 1 */
  readonly notBefore: number;
  readonly notAfter: number;
}

/** A KeyPackage lifetime bound (RFC 9420 s.7.2, uint64 seconds) as a number, capped at 2^53 - 1 (far enough). */
export function lifetimeSeconds(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/** A signature check; a key the scheme cannot even import counts as not verifying. */
async function verifies(check: () => Promise<boolean>): Promise<boolean> {
  try {
    return await check();
  } catch {
    return false;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

/**
 * Checks an uploaded KeyPackage (RFC 9420 s.10.1 as far as it applies
 * outside a group): MLS 1.0, a cipher suite this provider can verify, a
 * KeyPackage leaf node whose credential is the uploading device's client URI
 * (a MIMI basic credential, @mimi-ts/room's identity rule), a lifetime that
 * has not ended at `nowMs`, an init key other than the leaf's encryption
 * key, and valid leaf node and KeyPackage signatures. Throws KeyPackageError.
 */
export async function validateKeyPackage(
  keyPackage: KeyPackage,
  clientUri: string,
  nowMs: number,
): Promise<AcceptedKeyPackage> {
  if (keyPackage.version !== "mls10") throw new KeyPackageError(`version ${keyPackage.version} is not mls10`);
  const suite = await ciphersuiteImplementation(keyPackage.cipherSuite);
  if (suite === undefined) {
    throw new KeyPackageError(`cipher suite ${keyPackage.cipherSuite} is not supported by this provider`);
  }
  const leaf = keyPackage.leafNode;
  if (leaf.leafNodeSource !== "key_package") {
    throw new KeyPackageError(`the leaf node's source is ${leaf.leafNodeSource}, not key_package`);
  }
  const identity = credentialIdentity(leaf.credential);
  if (!identity.ok) throw new KeyPackageError(`credential: ${identity.error.reason}`);
  if (identity.identity.clientUri !== clientUri) {
    throw new KeyPackageError(`the credential names ${identity.identity.clientUri}, not this device (${clientUri})`);
  }
  const notBefore = lifetimeSeconds(leaf.lifetime.notBefore);
  const notAfter = lifetimeSeconds(leaf.lifetime.notAfter);
  if (notAfter < notBefore) throw new KeyPackageError("the lifetime ends before it begins");
  if (notAfter * 1000 < nowMs) throw new KeyPackageError("expired: the lifetime's not_after has passed");
  if (sameBytes(keyPackage.initKey, leaf.hpkePublicKey)) {
    throw new KeyPackageError("init_key equals the leaf node's encryption_key (RFC 9420 s.10.1)");
  }
  if (!(await verifies(() => verifyLeafNodeSignatureKeyPackage(leaf, suite.signature)))) {
    throw new KeyPackageError("the leaf node signature does not verify");
  }
  if (!(await verifies(() => verifyKeyPackage(keyPackage, suite.signature)))) {
    throw new KeyPackageError("the KeyPackage signature does not verify");
  }
  return {
    keyPackage,
    encoded: encode(keyPackageCodec, keyPackage),
    ref: await makeKeyPackageRef(keyPackage, suite.hash),
    cipherSuite: keyPackage.cipherSuite,
    notBefore,
    notAfter,
  };
}

// RFC 9420 s.7.2: default extensions and proposals are supported by every client without being listed.
const DEFAULT_EXTENSIONS: ReadonlySet<number> = new Set(Object.values(defaultExtensionTypes));
const DEFAULT_PROPOSALS: ReadonlySet<number> = new Set(Object.values(defaultProposalTypes));

/**
 * Whether a KeyPackage can serve a KeyMaterialRequest (protocol-06 s.5.2):
 * its cipher suite is acceptable and its leaf node's capabilities cover the
 * required extension types, proposal types and credential types (RFC 9420 s.11.1).
 */
export function isCompatible(
  keyPackage: KeyPackage,
  acceptableCiphersuites: readonly string[],
  required: RequiredCapabilities,
): boolean {
  if (!acceptableCiphersuites.includes(keyPackage.cipherSuite)) return false;
  const capabilities = keyPackage.leafNode.capabilities;
  return (
    required.extensionTypes.every((type) => DEFAULT_EXTENSIONS.has(type) || capabilities.extensions.includes(type)) &&
    required.proposalTypes.every((type) => DEFAULT_PROPOSALS.has(type) || capabilities.proposals.includes(type)) &&
    required.credentialTypes.every((type) => capabilities.credentials.includes(type))
  );
}
