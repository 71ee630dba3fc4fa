import { bytesToHex } from "@noble/hashes/utils.js";
import { Decoder } from "cbor-x";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode, encode } from "./codec.js";
import { ContentError } from "./errors.js";
import { mimiContentArbitrary, mutate, mutationArbitrary } from "./test-support/arbitraries.js";
import { contentVectors } from "./test-support/vectors.js";

const corpus = contentVectors()
  .filter((vector) => !vector.name.startsWith("implied"))
  .map((vector) => vector.cbor);

/** Decoding either fails with a ContentError or accepts bytes that are exactly the deterministic encoding. */
function decodesStrictlyOrRefuses(bytes: Uint8Array): void {
  let message: ReturnType<typeof decode>;
  try {
    message = decode(bytes);
  } catch (error) {
    if (!(error instanceof ContentError)) throw error;
    return;
  }
  expect(bytesToHex(encode(message))).toBe(bytesToHex(bytes));
}

describe("round trips", () => {
  it("10,000 generated valid messages decode to themselves and re-encode to the same bytes", () => {
    fc.assert(
      fc.property(mimiContentArbitrary, (message) => {
        const bytes = encode(message);
        const decoded = decode(bytes);
        expect(decoded).toEqual(message);
        expect(bytesToHex(encode(decoded))).toBe(bytesToHex(bytes));
      }),
      { numRuns: 10_000 },
    );
  });

  it("cbor-x, an independent decoder, reads our encodings as the same structure", () => {
    // cbor-x gives tags its own meanings (tag 6 is "packed reference" to it), so
    // this comparison keeps extension values to text and integers.
    const oracle = new Decoder({ mapsAsObjects: false, useRecords: false });
    const simpleExtensions = fc.uniqueArray(fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.string()), {
      selector: ([key]) => key,
      maxLength: 5,
    });
    fc.assert(
      fc.property(mimiContentArbitrary, simpleExtensions, (generated, entries) => {
        const message = { ...generated, extensions: new Map(entries.filter(([key]) => key !== 1 && key !== 2)) };
        const plain = oracle.decode(encode(message)) as unknown[];
        expect(plain).toHaveLength(7);
        expect(plain[0]).toEqual(message.salt);
        expect(plain[1]).toEqual(message.replaces);
        expect(plain[2]).toEqual(message.topicId);
        expect(plain[3]).toEqual(message.expires === null ? null : [message.expires.relative, message.expires.time]);
        expect(plain[4]).toEqual(message.inReplyTo);
        expect(new Map(plain[5] as Map<number, string>)).toEqual(message.extensions);
        const part = plain[6] as unknown[];
        expect(part.slice(0, 2)).toEqual([message.nestedPart.disposition, message.nestedPart.language]);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe("encodings handed out", () => {
  it("stay as they were while thousands more are encoded (results share arenas)", () => {
    const messages = fc.sample(mimiContentArbitrary, 3_000);
    const encodings = messages.map((message) => encode(message));
    const snapshots = encodings.map((bytes) => bytesToHex(bytes));
    for (const message of fc.sample(mimiContentArbitrary, 3_000)) encode(message);
    encodings.forEach((bytes, i) => {
      expect(bytesToHex(bytes)).toBe(snapshots[i]);
      expect(decode(bytes)).toEqual(messages[i]);
    });
  });
});

describe("hostile input", () => {
  it("10,000 mutations of valid messages raise only ContentError, and whatever is accepted is canonical", () => {
    const seeds = fc.oneof(
      fc.constantFrom(...corpus),
      mimiContentArbitrary.map((message) => encode(message)),
    );
    fc.assert(
      fc.property(seeds, fc.array(mutationArbitrary, { minLength: 1, maxLength: 4 }), (seed, mutations) => {
        decodesStrictlyOrRefuses(mutate(seed, mutations));
      }),
      { numRuns: 10_000 },
    );
  });

  it("2,000 random byte strings raise only ContentError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        decodesStrictlyOrRefuses(bytes);
      }),
      { numRuns: 2_000 },
    );
  });

  it("2,000 random documents that start like MIMI content raise only ContentError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        decodesStrictlyOrRefuses(Uint8Array.from([0x87, 0x50, ...tail]));
      }),
      { numRuns: 2_000 },
    );
  });
});
