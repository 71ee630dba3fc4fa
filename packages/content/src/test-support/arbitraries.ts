import fc from "fast-check";
import { CborFloat, type CborKey, CborSimple, CborTag, type CborValue } from "../cborValue.js";
import type { Expiration, ExtensionKey, MimiContent, NestedPart } from "../types.js";

/** Generators of valid MIMI content, for property tests. */

const bytes = (maxLength = 24) => fc.uint8Array({ maxLength });
const fixedBytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
/** Any well-formed Unicode text (lone surrogates are not text). */
const text = (maxLength = 12) => fc.string({ unit: "grapheme", maxLength });

const integer = fc.oneof(
  fc.maxSafeInteger(),
  fc.integer({ min: -30, max: 30 }),
  // Beyond 2^53: plain 64-bit integers and bignums, as bigint.
  fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).filter((value) => value > 2n ** 53n || value < -(2n ** 53n)),
);

const float = fc.oneof(
  fc.double().map((value) => new CborFloat(value)),
  fc.constantFrom(1.5, -0, 0.5, 65504, 2 ** -24, 1e300).map((value) => new CborFloat(value)),
  fc.float({ noDefaultInfinity: false }).map((value) => new CborFloat(value)),
);

const simple = fc
  .oneof(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 32, max: 255 }))
  .map((value) => new CborSimple(value));

const scalar: fc.Arbitrary<CborValue> = fc.oneof(
  integer,
  text(),
  bytes(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  float,
  simple,
);

const mapKey: fc.Arbitrary<CborKey> = fc.oneof(fc.maxSafeInteger(), text(), bytes(6));

/** A value whose containers sit at most at nesting level 4, counting from `level`. */
function valueAt(level: number): fc.Arbitrary<CborValue> {
  if (level > 4) return scalar;
  const inner = valueAt(level + 1);
  return fc.oneof(
    { weight: 4, arbitrary: scalar },
    { weight: 1, arbitrary: fc.array(inner, { maxLength: 3 }) },
    {
      weight: 1,
      arbitrary: fc
        .uniqueArray(fc.tuple(mapKey, inner), { maxLength: 3, selector: ([key]) => keyIdentity(key) })
        .map((entries) => new Map(entries)),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.oneof(fc.integer({ min: 4, max: 100_000 }), fc.constantFrom(0, 1, 1001)), inner)
        .map(([tag, value]) => new CborTag(tag, value)),
    },
  );
}

function keyIdentity(key: CborKey): string {
  if (key instanceof Uint8Array) return `b${Buffer.from(key).toString("hex")}`;
  return `${typeof key}${String(key)}`;
}

const extensionKey: fc.Arbitrary<ExtensionKey> = fc.oneof(
  fc.integer({ min: 3, max: 2 ** 31 }),
  fc.integer({ min: -(2 ** 31), max: -1 }),
  fc.maxSafeInteger().filter((key) => key !== 1 && key !== 2),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 10 }),
);

export const extensionsArbitrary = fc
  .record({
    sender: fc.option(fc.webUrl(), { nil: undefined }),
    room: fc.option(fc.webUrl(), { nil: undefined }),
    others: fc.uniqueArray(fc.tuple(extensionKey, valueAt(2)), {
      maxLength: 4,
      selector: ([key]) => `${typeof key}${key}`,
    }),
  })
  .map(({ sender, room, others }) => {
    const extensions = new Map<ExtensionKey, CborValue>(others);
    if (sender !== undefined) extensions.set(1, sender);
    if (room !== undefined) extensions.set(2, room);
    return extensions;
  });

const header = fc.record({ disposition: fc.integer({ min: 0, max: 255 }), language: text(8) });

const leafPart: fc.Arbitrary<NestedPart> = fc.oneof(
  header.map((head) => ({ ...head, cardinality: "nullpart" as const })),
  fc
    .record({ head: header, contentType: text(30), content: bytes(64) })
    .map(({ head, contentType, content }) => ({ ...head, cardinality: "single" as const, contentType, content })),
  fc
    .record({
      head: header,
      contentType: text(20),
      url: fc.webUrl(),
      expires: fc.integer({ min: 0, max: 0xffffffff }),
      size: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      encAlg: fc.integer({ min: 0, max: 0xffff }),
      key: bytes(32),
      nonce: bytes(12),
      aad: bytes(8),
      hashAlg: fc.integer({ min: 0, max: 255 }),
      contentHash: bytes(32),
      description: text(),
      filename: text(),
    })
    .map(({ head, ...rest }) => ({ ...head, cardinality: "external" as const, ...rest })),
);

/** A NestedPart at nesting level `depth` (the root is level 1, at most 4). */
function partAt(depth: number): fc.Arbitrary<NestedPart> {
  if (depth >= 4) return leafPart;
  return fc.oneof(
    { weight: 3, arbitrary: leafPart },
    {
      weight: 1,
      arbitrary: fc
        .record({
          head: header,
          partSemantics: fc.constantFrom("chooseOne" as const, "singleUnit" as const, "processAll" as const),
          parts: fc.array(partAt(depth + 1), { minLength: 2, maxLength: 3 }),
        })
        .map(({ head, partSemantics, parts }) => ({ ...head, cardinality: "multi" as const, partSemantics, parts })),
    },
  );
}

const expiration: fc.Arbitrary<Expiration> = fc.record({
  relative: fc.boolean(),
  time: fc.integer({ min: 0, max: 0xffffffff }),
});

export const mimiContentArbitrary: fc.Arbitrary<MimiContent> = fc.record({
  salt: fixedBytes(16),
  replaces: fc.option(fixedBytes(32), { nil: null }),
  topicId: bytes(12),
  expires: fc.option(expiration, { nil: null }),
  inReplyTo: fc.option(fixedBytes(32), { nil: null }),
  extensions: extensionsArbitrary,
  nestedPart: partAt(1),
});

/** Ways to damage an encoding: each takes the bytes and random choices, and returns new bytes. */
export const mutationArbitrary = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
);

export type Mutation = typeof mutationArbitrary extends fc.Arbitrary<infer T> ? T : never;

export function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = Array.from(input);
  for (const mutation of mutations) {
    if (bytes.length === 0) break;
    const at = mutation.at % bytes.length;
    switch (mutation.kind) {
      case "flip":
        bytes[at] = (bytes[at] as number) ^ (1 << mutation.bit);
        break;
      case "set":
        bytes[at] = mutation.value;
        break;
      case "insert":
        bytes.splice(at, 0, mutation.value);
        break;
      case "delete":
        bytes.splice(at, mutation.count);
        break;
      case "truncate":
        bytes = bytes.slice(0, at);
        break;
      case "duplicate":
        bytes.splice(at, 0, ...bytes.slice(at, at + mutation.count));
        break;
    }
  }
  return Uint8Array.from(bytes);
}
