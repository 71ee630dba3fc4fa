import { CodecError, decode, encode } from "@mimi-ts/codec";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { frank, frankAad, frankingIntegrityTbs, serverFrankingContext } from "./franking.js";
import { node } from "./mls.js";
import {
  partialGroupInfo,
  RatchetTreePresence,
  RatchetTreeRepresentation,
  ratchetTreeOption,
} from "./ratchetTreeOptions.js";
import { mls } from "./test-support/mlsFixtures.js";

describe("franking structs (protocol-06 s.5.4.1)", () => {
  it("FrankAAD is exactly 32 bytes, no length prefix", () => {
    const tag = new Uint8Array(32).fill(7);
    expect(bytesToHex(encode(frankAad, { frankingTag: tag }))).toBe(bytesToHex(tag));
    expect(() => encode(frankAad, { frankingTag: new Uint8Array(31) })).toThrow(/expected 32 bytes/);
    expect(() => decode(frankAad, new Uint8Array(33))).toThrow(/trailing/);
  });

  it("ServerFrankingContext: two URIs and a 64-bit timestamp; FrankingIntegrityTBS wraps it", () => {
    const context = { senderUri: "a", roomUri: "b", acceptedTimestamp: 0x0102030405060708n };
    expect(bytesToHex(encode(serverFrankingContext, context))).toBe("0161" + "0162" + "0102030405060708");
    const tbs = { serverFrank: new Uint8Array(32), frankingSignatureCiphersuite: mls.cipherSuite, context };
    expect(bytesToHex(encode(frankingIntegrityTbs, tbs))).toBe(`${"00".repeat(32)}0001016101620102030405060708`);
  });

  it("Frank: 32-byte server frank, cipher suite, signature<V>", () => {
    const value = {
      serverFrank: new Uint8Array(32).fill(1),
      frankingSignatureCiphersuite: mls.cipherSuite,
      frankingIntegritySignature: hexToBytes("beef"),
    };
    expect(bytesToHex(encode(frank, value))).toBe(`${"01".repeat(32)}000102beef`);
  });
});

/** RFC 9420 s.2.1.2: 1, 2 or 4 bytes with the length of the length in the top two bits. */
function varint(value: number): string {
  if (value < 0x40) return value.toString(16).padStart(2, "0");
  if (value < 0x4000) return (0x4000 | value).toString(16).padStart(4, "0");
  return (0x80000000 + value).toString(16).padStart(8, "0");
}

describe("RatchetTreeOption (ratchet-tree-options-03 s.3)", () => {
  it("carries the tree as RFC 9420's optional<Node> ratchet_tree<V>, blanks included", () => {
    const leaf = bytesToHex(encode(node, mls.node));
    const bytes = encode(ratchetTreeOption, {
      representation: RatchetTreeRepresentation.full,
      ratchetTree: [mls.node, undefined],
    });
    // representation full, then the vector: its length, a present node (01 + node), a blank (00).
    const body = `01${leaf}00`;
    expect(bytesToHex(bytes)).toBe(`01${varint(body.length / 2)}${body}`);
  });

  it("has no fields for distributionService and refuses reserved(0)", () => {
    expect(
      bytesToHex(encode(ratchetTreeOption, { representation: RatchetTreeRepresentation.distributionService })),
    ).toBe("04");
    expect(() => decode(ratchetTreeOption, hexToBytes("00"))).toThrow(CodecError);
  });
});

describe("PartialGroupInfo (ratchet-tree-options-03 s.4)", () => {
  it("is presence, extensions<V>, signature<V>", () => {
    const value = {
      ratchetTreePresence: RatchetTreePresence.added,
      groupInfoExtensions: [],
      signature: hexToBytes("01"),
    };
    expect(bytesToHex(encode(partialGroupInfo, value))).toBe("03" + "00" + "0101");
    expect(() => decode(partialGroupInfo, hexToBytes("04000101"))).toThrow(/RatchetTreePresence value 4/);
  });
});
