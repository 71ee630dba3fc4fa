import { sha256 } from "@noble/hashes/sha2.js";
import { hexToBytes } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ContentError } from "./errors.js";
import {
  AeadAlgorithm,
  decryptExternalContent,
  type ExternalContentFields,
  encryptExternalContent,
  HashAlgorithm,
} from "./external.js";

/** The reason of the ContentError `action` throws. */
function refusal(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof ContentError) return error.message;
    throw error;
  }
  throw new Error("not refused");
}

describe("external content (content-08 s.4.5)", () => {
  it("decrypts the GCM specification's test case 2 (AES-128, zero key and IV)", () => {
    // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 2.
    const ciphertext = hexToBytes("0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf");
    const fields: ExternalContentFields = {
      encAlg: AeadAlgorithm.aes128Gcm,
      key: new Uint8Array(16),
      nonce: new Uint8Array(12),
      aad: new Uint8Array(0),
      hashAlg: HashAlgorithm.sha256,
      contentHash: sha256(ciphertext),
      size: BigInt(ciphertext.length),
    };
    expect(decryptExternalContent(fields, ciphertext)).toEqual(new Uint8Array(16));
  });

  it("round-trips any file with every supported AEAD and hash", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        fc.constantFrom(AeadAlgorithm.aes128Gcm, AeadAlgorithm.aes256Gcm, AeadAlgorithm.chacha20Poly1305),
        fc.constantFrom(HashAlgorithm.sha256, HashAlgorithm.sha384, HashAlgorithm.sha512),
        fc.uint8Array({ maxLength: 16 }),
        (file, encAlg, hashAlg, aad) => {
          const { ciphertext, fields } = encryptExternalContent(file, { encAlg, hashAlg, aad });
          expect(fields.size).toBe(BigInt(ciphertext.length));
          expect(decryptExternalContent(fields, ciphertext)).toEqual(file);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("uses a fresh key and nonce per file", () => {
    const file = new Uint8Array(10);
    const a = encryptExternalContent(file).fields;
    const b = encryptExternalContent(file).fields;
    expect(a.key).not.toEqual(b.key);
    expect(a.nonce).not.toEqual(b.nonce);
  });

  const file = new TextEncoder().encode("two hours of key signing video");
  const { ciphertext, fields } = encryptExternalContent(file);

  it("refuses a download whose hash differs", () => {
    const tampered = ciphertext.slice();
    tampered[3] = (tampered[3] as number) ^ 1;
    expect(refusal(() => decryptExternalContent(fields, tampered))).toMatch(/^external\.contentHash:/);
  });

  it("refuses a forged ciphertext even when its hash was forged too (the tag catches it)", () => {
    const tampered = ciphertext.slice();
    tampered[3] = (tampered[3] as number) ^ 1;
    const forged = { ...fields, contentHash: sha256(tampered) };
    expect(refusal(() => decryptExternalContent(forged, tampered))).toMatch(
      /^external\.ciphertext: authentication failed/,
    );
  });

  it("refuses a wrong key, a wrong size, and unsupported algorithms", () => {
    expect(refusal(() => decryptExternalContent({ ...fields, key: new Uint8Array(16) }, ciphertext))).toMatch(
      /authentication failed/,
    );
    expect(refusal(() => decryptExternalContent({ ...fields, size: fields.size + 1n }, ciphertext))).toMatch(
      /^external\.size:/,
    );
    expect(refusal(() => decryptExternalContent({ ...fields, encAlg: 99 }, ciphertext))).toMatch(/unsupported AEAD/);
    expect(refusal(() => decryptExternalContent({ ...fields, hashAlg: 99 }, ciphertext))).toMatch(/unsupported hash/);
    expect(refusal(() => decryptExternalContent({ ...fields, key: new Uint8Array(15) }, ciphertext))).toMatch(
      /^external\.key: must be 16 octets/,
    );
    expect(refusal(() => encryptExternalContent(file, { encAlg: 3 }))).toMatch(/^encAlg:/);
  });

  it("passes public content (encAlg 0) through after checking its hash", () => {
    const plain = new TextEncoder().encode("public");
    const publicFields: ExternalContentFields = {
      encAlg: 0,
      key: new Uint8Array(0),
      nonce: new Uint8Array(0),
      aad: new Uint8Array(0),
      hashAlg: HashAlgorithm.sha256,
      contentHash: sha256(plain),
      size: 0n,
    };
    expect(decryptExternalContent(publicFields, plain)).toEqual(plain);
    expect(refusal(() => decryptExternalContent(publicFields, new Uint8Array(1)))).toMatch(/contentHash/);
    const unhashed = { ...publicFields, hashAlg: 0, contentHash: new Uint8Array(0) };
    expect(decryptExternalContent(unhashed, plain)).toEqual(plain);
  });
});
