import { readFileSync } from "node:fs";
import { CodecError, decode, encode } from "@mimi-ts/codec";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toJson } from "./json.js";
import { structs } from "./registry.js";
import { arbitrariesByStruct, examplesByStruct } from "./test-support/catalog.js";

interface VectorFile {
  struct: string;
  section: string;
  vectors: { description: string; value: unknown; hex: string }[];
}

const readVectors = (name: string): VectorFile =>
  JSON.parse(readFileSync(new URL(`../vectors/${name}.json`, import.meta.url), "utf8")) as VectorFile;

/** Random and mutated inputs in total, over all structs (issue #3: 100,000). */
const HOSTILE_INPUTS = 100_000;
const perStruct = Math.ceil(HOSTILE_INPUTS / structs.length);

/** Decoding either throws CodecError or accepts exactly the canonical encoding of what it returns. */
function decodesStrictlyOrRefuses(codec: (typeof structs)[number]["codec"], bytes: Uint8Array): void {
  let value: unknown;
  try {
    value = decode(codec, bytes);
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    return;
  }
  expect(bytesToHex(encode(codec, value))).toBe(bytesToHex(bytes));
}

const mutation = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("flip", "set", "insert", "delete", "truncate"),
  value: fc.integer({ min: 0, max: 255 }),
});

function mutate(input: Uint8Array, steps: { at: number; kind: string; value: number }[]): Uint8Array {
  let bytes = Array.from(input);
  for (const step of steps) {
    if (bytes.length === 0) return Uint8Array.from(bytes);
    const at = step.at % bytes.length;
    if (step.kind === "flip") bytes[at] = (bytes[at] as number) ^ (1 << (step.value % 8));
    else if (step.kind === "set") bytes[at] = step.value;
    else if (step.kind === "insert") bytes.splice(at, 0, step.value);
    else if (step.kind === "delete") bytes.splice(at, 1 + (step.value % 4));
    else bytes = bytes.slice(0, at);
  }
  return Uint8Array.from(bytes);
}

describe("the registry", () => {
  it("names every struct once", () => {
    const names = structs.map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("has examples and generators for every struct, and nothing else", () => {
    const names = structs.map((entry) => entry.name).sort();
    expect([...examplesByStruct.keys()].sort()).toEqual(names);
    expect([...arbitrariesByStruct.keys()].sort()).toEqual(names);
  });
});

describe.each(structs)("$name ($section)", ({ name, codec }) => {
  const examples = examplesByStruct.get(name) ?? [];
  const arbitrary = arbitrariesByStruct.get(name) ?? fc.constant(undefined);

  it("matches its published vectors both ways", () => {
    const file = readVectors(name);
    expect(file.struct).toBe(name);
    expect(file.vectors.map((vector) => vector.description)).toEqual(examples.map((example) => example.description));
    file.vectors.forEach((vector, i) => {
      expect(bytesToHex(encode(codec, examples[i]?.value))).toBe(vector.hex);
      const decoded = decode(codec, hexToBytes(vector.hex));
      expect(toJson(decoded)).toEqual(vector.value);
      expect(bytesToHex(encode(codec, decoded))).toBe(vector.hex);
    });
  });

  it("round-trips generated values byte for byte", () => {
    fc.assert(
      fc.property(arbitrary, (value) => {
        const bytes = encode(codec, value);
        const decoded = decode(codec, bytes);
        expect(toJson(decoded)).toEqual(toJson(value));
        expect(bytesToHex(encode(codec, decoded))).toBe(bytesToHex(bytes));
      }),
      { numRuns: 200 },
    );
  });

  it(`refuses ${perStruct} random and mutated inputs with CodecError only`, () => {
    const seeds = fc.oneof(
      arbitrary.map((value) => encode(codec, value)),
      fc.uint8Array({ maxLength: 64 }),
    );
    fc.assert(
      fc.property(seeds, fc.array(mutation, { minLength: 1, maxLength: 3 }), (seed, steps) => {
        decodesStrictlyOrRefuses(codec, mutate(seed, steps));
      }),
      { numRuns: perStruct },
    );
  });
});
