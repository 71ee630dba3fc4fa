import { readFileSync } from "node:fs";
import { type Codec, decode, encode } from "@mimi-ts/codec";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { encodeMlsMessage, type MLSMessage } from "ts-mls";
import { expect } from "vitest";
import { toJson } from "../json.js";
import { mls } from "./mlsFixtures.js";

/**
 * The MLS fixtures as the hex ts-mls wrote (vectors/mls-fixtures.json), and
 * MLS messages of the kinds the fixtures lack, for tests that assemble MIMI
 * structs by hand around real MLS bytes.
 */
const raw = JSON.parse(readFileSync(new URL("../../vectors/mls-fixtures.json", import.meta.url), "utf8")) as Record<
  string,
  string
>;

/** A fixture's hex, as ts-mls encoded it. */
export function fixtureHex(name: string): string {
  const hex = raw[name];
  if (hex === undefined) throw new Error(`no MLS fixture ${name}`);
  return hex;
}

/** Hex with spaces for reading, as bytes. */
export function bytes(hex: string): Uint8Array {
  return hexToBytes(hex.replace(/\s/g, ""));
}

/** Both directions: `value` encodes to `hex` (spaces ignored), and `hex` decodes to `value`. */
export function expectPinned<T>(codec: Codec<T>, value: T, hex: string): void {
  expect(bytesToHex(encode(codec, value))).toBe(hex.replace(/\s/g, ""));
  expect(toJson(decode(codec, bytes(hex)))).toEqual(toJson(value));
}

/** The RFC 9420 s.2.1.2 variable-length prefix of a `<V>` of `length` bytes, in hex. */
export function lengthPrefix(length: number): string {
  if (length < 0x40) return length.toString(16).padStart(2, "0");
  if (length < 0x4000) return (0x4000 | length).toString(16).padStart(4, "0");
  return (0x80000000 | length).toString(16).padStart(8, "0");
}

/** `opaque<V>` or `T<V>` around the given hex. */
export function vectorOf(...items: string[]): string {
  const body = items.join("");
  return lengthPrefix(body.length / 2) + body;
}

/** RFC 9420 s.6: MLSMessage = version mls10 (0001), wire_format, then the object. */
export const groupInfoMessageHex = `0001 0004 ${fixtureHex("groupInfo")}`.replace(/\s/g, "");
export const keyPackageMessageHex = `0001 0005 ${fixtureHex("keyPackageBob")}`.replace(/\s/g, "");

function publicMessageOf(message: MLSMessage) {
  if (message.wireformat !== "mls_public_message") throw new Error("the fixture is not a PublicMessage");
  return message.publicMessage;
}
function privateMessageOf(message: MLSMessage) {
  if (message.wireformat !== "mls_private_message") throw new Error("the fixture is not a PrivateMessage");
  return message.privateMessage;
}

/** Bob's proposal message reframed as a PublicMessage with application content (RFC 9420 allows none in MIMI). */
const proposal = publicMessageOf(mls.proposalMessage);
export const publicApplicationMessageHex = bytesToHex(
  encodeMlsMessage({
    version: "mls10",
    wireformat: "mls_public_message",
    publicMessage: {
      ...proposal,
      content: { ...proposal.content, contentType: "application", applicationData: new TextEncoder().encode("hi") },
    },
  }),
);

/** Alice's application PrivateMessage relabelled as carrying a commit (content_type is in the clear). */
export const privateCommitMessageHex = bytesToHex(
  encodeMlsMessage({
    version: "mls10",
    wireformat: "mls_private_message",
    privateMessage: { ...privateMessageOf(mls.applicationMessage), contentType: "commit" },
  }),
);
