import { gcm } from "@noble/ciphers/aes.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { bytesEqual } from "./cborValue.js";
import { ContentError } from "./errors.js";
import type { ExternalPart } from "./types.js";

/** IANA AEAD algorithm numbers (RFC 5116 registry); content-08 s.4.5 makes AES-128-GCM mandatory. */
export const AeadAlgorithm = {
  none: 0,
  aes128Gcm: 1,
  aes256Gcm: 2,
  chacha20Poly1305: 29,
} as const;

/** IANA Named Information hash algorithm identifiers. */
export const HashAlgorithm = {
  none: 0,
  sha256: 1,
  sha384: 7,
  sha512: 8,
} as const;

interface AeadSuite {
  keyLength: number;
  nonceLength: number;
  cipher: (
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
  ) => {
    encrypt(plaintext: Uint8Array): Uint8Array;
    decrypt(ciphertext: Uint8Array): Uint8Array;
  };
}

const AEADS = new Map<number, AeadSuite>([
  [AeadAlgorithm.aes128Gcm, { keyLength: 16, nonceLength: 12, cipher: gcm }],
  [AeadAlgorithm.aes256Gcm, { keyLength: 32, nonceLength: 12, cipher: gcm }],
  [AeadAlgorithm.chacha20Poly1305, { keyLength: 32, nonceLength: 12, cipher: chacha20poly1305 }],
]);

const HASHES = new Map<number, (data: Uint8Array) => Uint8Array>([
  [HashAlgorithm.sha256, sha256],
  [HashAlgorithm.sha384, sha384],
  [HashAlgorithm.sha512, sha512],
]);

/** The ExternalPart fields that describe encrypted content (content-08 s.4.5). */
export type ExternalContentFields = Pick<
  ExternalPart,
  "encAlg" | "key" | "nonce" | "aad" | "hashAlg" | "contentHash" | "size"
>;

export interface EncryptedExternalContent {
  /** The bytes to upload to the part's URL. */
  readonly ciphertext: Uint8Array;
  /** What the ExternalPart must carry for receivers to fetch, check and decrypt them. */
  readonly fields: ExternalContentFields;
}

/**
 * Encrypts a file for upload as an external part: a fresh key and nonce per
 * file, then the hash and size of what is uploaded (the ciphertext: the
 * content at the URL, s.4.5), so receivers can check the download before
 * decrypting it.
 */
export function encryptExternalContent(
  plaintext: Uint8Array,
  options: { encAlg?: number; hashAlg?: number; aad?: Uint8Array } = {},
): EncryptedExternalContent {
  const encAlg = options.encAlg ?? AeadAlgorithm.aes128Gcm;
  const hashAlg = options.hashAlg ?? HashAlgorithm.sha256;
  const aead = aeadSuite("encAlg", encAlg);
  const hash = hashFunction("hashAlg", hashAlg);
  const aad = options.aad ?? new Uint8Array(0);
  const key = randomBytes(aead.keyLength);
  const nonce = randomBytes(aead.nonceLength);
  const ciphertext = aead.cipher(key, nonce, aad).encrypt(plaintext);
  return {
    ciphertext,
    fields: {
      encAlg,
      key,
      nonce,
      aad,
      hashAlg,
      contentHash: hash(ciphertext),
      size: BigInt(ciphertext.length),
    },
  };
}

/**
 * Checks downloaded bytes against the part (size when given, content hash
 * when given) and decrypts them. A wrong size, hash or authentication tag is
 * a ContentError, never garbage output. With encAlg 0 (public content or a
 * service URL) the checked bytes are returned as they are.
 */
export function decryptExternalContent(part: ExternalContentFields, downloaded: Uint8Array): Uint8Array {
  if (part.size !== 0n && BigInt(downloaded.length) !== part.size) {
    throw new ContentError("external.size", `expected ${part.size} octets, downloaded ${downloaded.length}`);
  }
  if (part.hashAlg !== HashAlgorithm.none) {
    const hash = hashFunction("external.hashAlg", part.hashAlg);
    if (!bytesEqual(hash(downloaded), part.contentHash)) {
      throw new ContentError("external.contentHash", "downloaded content does not match the content hash");
    }
  } else if (part.contentHash.length > 0) {
    throw new ContentError("external.contentHash", "content hash given without a hash algorithm");
  }
  if (part.encAlg === AeadAlgorithm.none) {
    if (part.key.length > 0 || part.nonce.length > 0) {
      throw new ContentError("external.encAlg", "key or nonce given without an AEAD algorithm");
    }
    return downloaded;
  }
  const aead = aeadSuite("external.encAlg", part.encAlg);
  if (part.key.length !== aead.keyLength) {
    throw new ContentError("external.key", `must be ${aead.keyLength} octets, found ${part.key.length}`);
  }
  if (part.nonce.length !== aead.nonceLength) {
    throw new ContentError("external.nonce", `must be ${aead.nonceLength} octets, found ${part.nonce.length}`);
  }
  try {
    return aead.cipher(part.key, part.nonce, part.aad).decrypt(downloaded);
  } catch {
    throw new ContentError("external.ciphertext", "authentication failed (wrong key, nonce, aad or corrupted content)");
  }
}

function aeadSuite(path: string, encAlg: number): AeadSuite {
  const suite = AEADS.get(encAlg);
  if (suite === undefined) throw new ContentError(path, `unsupported AEAD algorithm ${encAlg}`);
  return suite;
}

function hashFunction(path: string, hashAlg: number): (data: Uint8Array) => Uint8Array {
  const hash = HASHES.get(hashAlg);
  if (hash === undefined) throw new ContentError(path, `unsupported hash algorithm ${hashAlg}`);
  return hash;
}
