import { decode, encode } from "@mimi-ts/codec";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import {
  identityLinkTbe,
  type PseudonymousCredential,
  pseudonymousCredential,
  pseudonymousCredentialTbs,
  pseudonymousCredentialToBeSigned,
} from "./pseudonymousCredential.js";
import { mls } from "./test-support/mlsFixtures.js";
import { fixtureHex } from "./test-support/mlsWire.js";
import { codecErrorOf, hex, wire } from "./test-support/wire.js";

const credential: PseudonymousCredential = {
  clientPseudonym: "mimi://a.example/d/0b7e4d2a",
  userPseudonym: "mimi://a.example/u/9c2f6a11",
  signaturePublicKey: mls.signaturePublicKey,
  identityLinkCiphertext: new Uint8Array([0x0a, 0x0b, 0x0c]),
};
// client_pseudonym and user_pseudonym: IdentifierUri <V> of 27 each
const pseudonyms = wire`1b ${"mimi://a.example/d/0b7e4d2a"} 1b ${"mimi://a.example/u/9c2f6a11"}`;

describe("PseudonymousCredential and its TBS (protocol-06 s.6.1)", () => {
  it("reads `opaque signature_public_key;` as SignaturePublicKey, an opaque<V>", () => {
    // signature_public_key <V> of 32, identity_link_ciphertext <V> of 3
    const expected = `${pseudonyms}20${fixtureHex("signaturePublicKey")}030a0b0c`;
    expect(bytesToHex(encode(pseudonymousCredential, credential))).toBe(expected);
    expect(decode(pseudonymousCredential, hex(expected))).toEqual(credential);
  });

  it("refuses a key written without its length", () => {
    const error = codecErrorOf(() => decode(pseudonymousCredential, hex(`${pseudonyms}${"c0".repeat(32)}030a0b0c`)));
    expect([error.struct, error.field]).toEqual(["PseudonymousCredential", "signaturePublicKey"]);
  });

  it("signs the credential without its ciphertext", () => {
    const tbs = pseudonymousCredentialToBeSigned(credential);
    expect(tbs).toEqual({
      clientPseudonym: credential.clientPseudonym,
      userPseudonym: credential.userPseudonym,
      signaturePublicKey: credential.signaturePublicKey,
    });
    expect(bytesToHex(encode(pseudonymousCredentialTbs, tbs))).toBe(
      `${pseudonyms}20${fixtureHex("signaturePublicKey")}`,
    );
  });
});

describe("IdentityLinkTBE (protocol-06 s.6.1)", () => {
  it("is the signature <V> then the client's real Credential", () => {
    const value = { pseudonymousCredentialSignature: new Uint8Array(64).fill(0x6f), clientCredential: mls.credential };
    const expected = `4040${"6f".repeat(64)}${fixtureHex("credential")}`;
    expect(bytesToHex(encode(identityLinkTbe, value))).toBe(expected);
    expect(decode(identityLinkTbe, hex(expected))).toEqual(value);
  });
});
