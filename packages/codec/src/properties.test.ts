import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Codec, decode, encode, type ValueOf } from "./codec.js";
import { enumeration } from "./enumeration.js";
import { CodecError } from "./errors.js";
import { uint8, uint16, uint32, uint64 } from "./integers.js";
import { opaque, utf8, varOpaque } from "./opaque.js";
import { optional } from "./optional.js";
import { select } from "./select.js";
import { struct } from "./struct.js";
import {
  fanoutMessage,
  KeyMaterialClientCode,
  KeyMaterialUserCode,
  keyMaterialResponse,
  keyPackage,
  Protocol,
  SubmitResponseCode,
  submitMessageResponse,
  WireFormat,
} from "./test-support/mimi.js";
import { transform } from "./transform.js";
import { vector } from "./vector.js";

// Every combinator at least once.
const Color = { red: 0, green: 1, blue: 0x1234 } as const;
const Kind = { empty: 1, number: 2, packages: 3 } as const;
const flag = transform(uint8, {
  decode: (octet) => {
    if (octet > 1) throw new CodecError(`expected 0 or 1, found ${octet}`);
    return octet === 1;
  },
  encode: (value: boolean) => (value ? 1 : 0),
});
const inner = struct("Inner", { x: uint16, tags: vector(utf8()) });
const everything = struct("Everything", {
  small: uint8,
  medium: uint16,
  large: uint32,
  huge: uint64,
  id: opaque(4),
  blob: varOpaque(),
  label: utf8(),
  color: enumeration("Color", uint16, Color),
  flag,
  maybe: optional(inner),
  matrix: vector(vector(uint8)),
  choice: select("Choice", "kind", enumeration("Kind", uint8, Kind), {
    [Kind.empty]: {},
    [Kind.number]: { value: uint32 },
    [Kind.packages]: { packages: vector(keyPackage), note: optional(varOpaque({ maxLength: 8 })) },
  }),
  bounded: vector(uint8, { maxLength: 16 }),
});

// Mostly short byte strings, sometimes long enough for 2-byte lengths.
const someBytes = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 60, maxLength: 300 }) },
);
const fakeKeyPackage = fc
  .uint8Array({ maxLength: 40 })
  .filter((body) => body[0] !== 0xff)
  .map((body) => ({ body }));
const uri = fc.string({ unit: "grapheme", maxLength: 30 });

const everythingValue: fc.Arbitrary<ValueOf<typeof everything>> = fc.record({
  small: fc.nat(0xff),
  medium: fc.nat(0xffff),
  large: fc.nat(0xffffffff),
  huge: fc.bigInt(0n, (1n << 64n) - 1n),
  id: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  blob: someBytes,
  label: fc.string({ unit: "grapheme", maxLength: 80 }),
  color: fc.constantFrom(Color.red, Color.green, Color.blue),
  flag: fc.boolean(),
  maybe: fc.option(fc.record({ x: fc.nat(0xffff), tags: fc.array(uri, { maxLength: 4 }) }), { nil: undefined }),
  matrix: fc.array(fc.array(fc.nat(0xff), { maxLength: 70 }), { maxLength: 4 }),
  choice: fc.oneof(
    fc.record({ kind: fc.constant(Kind.empty) }),
    fc.record({ kind: fc.constant(Kind.number), value: fc.nat(0xffffffff) }),
    fc.record({
      kind: fc.constant(Kind.packages),
      packages: fc.array(fakeKeyPackage, { maxLength: 3 }),
      note: fc.option(fc.uint8Array({ maxLength: 8 }), { nil: undefined }),
    }),
  ),
  bounded: fc.array(fc.nat(0xff), { maxLength: 16 }),
});

const keyMaterialResponseValue: fc.Arbitrary<ValueOf<typeof keyMaterialResponse>> = fc.record({
  protocol: fc.constant(Protocol.mls10),
  userStatus: fc.constantFrom(...Object.values(KeyMaterialUserCode)),
  userUri: uri,
  clients: fc.array(
    fc.oneof(
      fc.record({
        clientStatus: fc.constant(KeyMaterialClientCode.success),
        clientUri: uri,
        keyPackage: fakeKeyPackage,
      }),
      fc.record({ clientStatus: fc.constant(KeyMaterialClientCode.keyMaterialExhausted), clientUri: uri }),
      fc.record({
        clientStatus: fc.constant(KeyMaterialClientCode.nothingCompatible),
        clientUri: uri,
        clientCapabilities: fc.option(
          fc.record({ versions: fc.array(fc.nat(0xffff)), cipherSuites: fc.array(fc.nat(0xffff)) }),
          { nil: undefined },
        ),
      }),
    ),
    { maxLength: 5 },
  ),
});

const frankValue = fc.record({
  serverFrank: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  frankingSignatureCiphersuite: fc.nat(0xffff),
  frankingIntegritySignature: someBytes,
});

const submitMessageResponseValue: fc.Arbitrary<ValueOf<typeof submitMessageResponse>> = fc.record({
  protocol: fc.constant(Protocol.mls10),
  result: fc.oneof(
    fc.record({
      statusCode: fc.constant(SubmitResponseCode.accepted),
      acceptedTimestamp: fc.bigInt(0n, (1n << 64n) - 1n),
      frank: fc.option(frankValue, { nil: undefined }),
    }),
    fc.record({ statusCode: fc.constant(SubmitResponseCode.notAllowed) }),
    fc.record({ statusCode: fc.constant(SubmitResponseCode.epochTooOld), currentEpoch: fc.bigInt(0n, 2n ** 64n - 1n) }),
  ),
});

const mlsMessage = (wireFormats: readonly (typeof WireFormat)[keyof typeof WireFormat][]) =>
  fc.record({ wireFormat: fc.constantFrom(...wireFormats), body: fc.uint8Array({ maxLength: 20 }) });
const fanoutMessageValue: fc.Arbitrary<ValueOf<typeof fanoutMessage>> = fc.record({
  timestamp: fc.bigInt(0n, 2n ** 64n - 1n),
  content: fc.oneof(
    fc.record({
      message: mlsMessage([WireFormat.privateMessage]),
      frank: fc.option(frankValue, { nil: undefined }),
    }),
    fc.record({ message: mlsMessage([WireFormat.welcome]), ratchetTreeOption: fc.nat(0xff) }),
    fc.record({
      message: mlsMessage([WireFormat.publicMessage]),
      moreProposals: fc.array(mlsMessage(Object.values(WireFormat)), { maxLength: 3 }),
    }),
  ),
});

/**
 * Decoding `bytes` either throws a located CodecError and nothing else, or
 * succeeds; decoding is strict, so an accepted input is the one encoding of
 * its value and re-encodes to the same bytes.
 */
function expectStrictDecode<T>(codec: Codec<T>, bytes: Uint8Array): void {
  let value: T;
  try {
    value = decode(codec, bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    const { struct, field, reason, message } = error as CodecError;
    expect(struct).not.toBe("");
    expect(message.endsWith(`: ${reason}`)).toBe(true);
    expect(message.startsWith(`${struct}${field.startsWith("[") || field === "" ? "" : "."}${field}`)).toBe(true);
    return;
  }
  expect(encode(codec, value)).toEqual(bytes);
}

type Mutation =
  | { kind: "set"; at: number; byte: number }
  | { kind: "bump"; at: number; by: 1 | -1 }
  | { kind: "insert"; at: number; byte: number }
  | { kind: "delete"; at: number }
  | { kind: "truncate"; at: number };

// Bytes where the format has boundaries: presence octets, enum values, varint prefixes and limits.
const interestingByte = fc.oneof(fc.nat(0xff), fc.constantFrom(0, 1, 2, 3, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xff));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: interestingByte }),
  fc.record({ kind: fc.constant("bump" as const), at: fc.nat(), by: fc.constantFrom(1 as const, -1 as const) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: interestingByte }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = [...bytes];
  for (const change of mutations) {
    const at = out.length === 0 ? 0 : change.at % out.length;
    if (change.kind === "set") out[at] = change.byte;
    else if (change.kind === "bump") out[at] = ((out[at] ?? 0) + change.by) & 0xff;
    else if (change.kind === "insert") out.splice(at, 0, change.byte);
    else if (change.kind === "delete") out.splice(at, 1);
    else out = out.slice(0, at);
  }
  return Uint8Array.from(out);
}

function checkProperties<T>(codec: Codec<T>, values: fc.Arbitrary<T>): void {
  describe(codec.name, () => {
    it("round-trips generated values byte-exactly", () => {
      fc.assert(
        fc.property(values, (value) => {
          const bytes = encode(codec, value);
          const decoded = decode(codec, bytes);
          expect(decoded).toEqual(value);
          expect(encode(codec, decoded)).toEqual(bytes);
        }),
        { numRuns: 300 },
      );
    });

    it("raises only CodecError on random bytes", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => expectStrictDecode(codec, bytes)),
        { numRuns: 500 },
      );
    });

    it("raises only CodecError on mutated encodings", () => {
      fc.assert(
        fc.property(values, fc.array(mutation, { minLength: 1, maxLength: 4 }), (value, mutations) =>
          expectStrictDecode(codec, mutate(encode(codec, value), mutations)),
        ),
        { numRuns: 500 },
      );
    });
  });
}

checkProperties(everything, everythingValue);
checkProperties(keyMaterialResponse, keyMaterialResponseValue);
checkProperties(submitMessageResponse, submitMessageResponseValue);
checkProperties(fanoutMessage, fanoutMessageValue);
