import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { ContentError } from "./errors.js";
import { SALT_LENGTH } from "./types.js";

/** A salt from the platform's cryptographically secure random generator. */
export function randomSalt(): Uint8Array {
  return randomBytes(SALT_LENGTH);
}

/**
 * The salt construction of content-08 s.9.2: the first 16 octets of
 * HMAC-SHA256(salt_base_secret, nonce), where salt_base_secret is exported
 * from the MLS key schedule and the nonce is generated locally (16 random
 * octets unless given). Mixing in an MLS secret keeps salts unpredictable
 * even when the local random generator is weak.
 */
export function saltFromBaseSecret(saltBaseSecret: Uint8Array, nonce: Uint8Array = randomBytes(16)): Uint8Array {
  if (saltBaseSecret.length < 16) throw new ContentError("saltBaseSecret", "must be at least 16 octets");
  if (nonce.length === 0) throw new ContentError("nonce", "must not be empty");
  return hmac(sha256, saltBaseSecret, nonce).subarray(0, SALT_LENGTH);
}
