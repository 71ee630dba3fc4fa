import { CodecError, decode, encode } from "@mimi-ts/codec";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { cipherSuite, credential, keyPackage, mlsMessage, signaturePublicKey } from "./mls.js";
import { mls } from "./test-support/mlsFixtures.js";

function codecError(action: () => unknown): CodecError {
  try {
    action();
  } catch (error) {
    if (error instanceof CodecError) return error;
    throw error;
  }
  throw new Error("no CodecError");
}

describe("MLS objects through ts-mls", () => {
  it("round-trip the fixtures byte for byte", () => {
    for (const message of [mls.commitMessage, mls.proposalMessage, mls.applicationMessage, mls.welcomeMessage]) {
      const bytes = encode(mlsMessage, message);
      expect(bytesToHex(encode(mlsMessage, decode(mlsMessage, bytes)))).toBe(bytesToHex(bytes));
    }
  });

  it("refuse a non-minimal length that ts-mls itself would accept", () => {
    // A basic credential: credential_type 0x0001, identity<V> with a 1-byte length 0x03 "abc".
    const minimal = hexToBytes("000103616263");
    expect(decode(credential, minimal)).toEqual({ credentialType: "basic", identity: new TextEncoder().encode("abc") });
    // The same identity with its length written in 2 bytes (0x4003): valid varint syntax, not RFC 9420's minimal form.
    const padded = hexToBytes("00014003616263");
    expect(codecError(() => decode(credential, padded)).reason).toMatch(/canonical/);
  });

  it("turn ts-mls failures into CodecError (unknown wire format, truncation, garbage)", () => {
    expect(codecError(() => decode(mlsMessage, hexToBytes("00010009"))).reason).toMatch(/invalid MLSMessage/);
    const keyPackageBytes = encode(keyPackage, mls.keyPackages[0] as (typeof mls.keyPackages)[number]);
    expect(() => decode(keyPackage, keyPackageBytes.subarray(0, 40))).toThrow(CodecError);
    expect(() => decode(mlsMessage, new Uint8Array([0xff, 0xff, 0xff]))).toThrow(CodecError);
  });

  it("carry cipher suites as ts-mls names them, unknown ones by number", () => {
    expect(decode(cipherSuite, hexToBytes("0001"))).toBe("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519");
    expect(decode(cipherSuite, hexToBytes("0a0a"))).toBe("2570");
    expect(bytesToHex(encode(cipherSuite, "2570"))).toBe("0a0a");
  });

  it("write SignaturePublicKey as opaque<V>", () => {
    expect(bytesToHex(encode(signaturePublicKey, new Uint8Array([1, 2])))).toBe("020102");
  });
});
