import { createHash, randomBytes } from "node:crypto";

/**
 * Bearer tokens of the client API: 32 random bytes, base64url. Only their
 * SHA-256 is stored; a token has 256 bits of entropy, so a plain hash (no
 * slow password hash) keeps a stolen database from yielding usable tokens.
 */
export function newDeviceToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashDeviceToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
