import { describe, expect, it } from "vitest";
import { decode, encode } from "./codec.js";
import { CodecError } from "./errors.js";
import { uint8, uint16 } from "./integers.js";
import { Reader } from "./reader.js";
import { struct } from "./struct.js";
import { hex, thrownBy } from "./test-support/hex.js";
import { frank } from "./test-support/mimi.js";
import { vector } from "./vector.js";
import type { Writer } from "./writer.js";

const pair = struct("Pair", { first: uint8, second: uint16 });

describe("encode and decode", () => {
  it("decode takes exactly one value filling the input", () => {
    expect(decode(pair, hex("010002"))).toEqual({ first: 1, second: 2 });
    expect(() => decode(pair, hex("01000203"))).toThrow("Pair: 1 trailing byte");
    expect(() => decode(pair, hex("0100020304"))).toThrow("Pair: 2 trailing bytes");
    expect(() => decode(pair, hex("0100"))).toThrow("Pair.second: unexpected end of input");
    expect(() => decode(pair, hex(""))).toThrow("Pair.first: unexpected end of input");
  });

  it("decode reads a Node Buffer like any Uint8Array", () => {
    expect(decode(pair, Buffer.from("010002", "hex"))).toEqual({ first: 1, second: 2 });
  });

  it("decode refuses what is not bytes", () => {
    const error = thrownBy(() => decode(pair, "010002" as unknown as Uint8Array));
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).message).toBe('Pair: expected a Uint8Array, found "010002"');
  });

  it("decode passes maxItems to the reader", () => {
    expect(() => decode(vector(uint8), hex("03010203"), { maxItems: 2 })).toThrow("uint8<V>[2]: too many vector items");
  });

  it("a hand-written codec composes with the declared ones through Reader and Writer", () => {
    // A TLS `uint8 flags; if (flags & 1) uint16 extra;`-style layout that no combinator states.
    const flagged = {
      name: "Flagged",
      write(writer: Writer, value: { extra?: number }) {
        writer.uint8(value.extra === undefined ? 0 : 1);
        if (value.extra !== undefined) writer.uint16(value.extra);
      },
      read(reader: Reader): { extra?: number } {
        const flags = reader.uint8();
        if (flags > 1) throw new CodecError(`unknown flags ${flags}`);
        return flags === 1 ? { extra: reader.uint16() } : {};
      },
    };
    const holder = struct("Holder", { flagged, list: vector(flagged) });
    const value = { flagged: { extra: 5 }, list: [{}, { extra: 6 }] };
    expect(decode(holder, encode(holder, value))).toEqual(value);
    expect(() => decode(holder, hex("02"))).toThrow("Holder.flagged: unknown flags 2");
  });

  it("a sequence of values can be read with one Reader (protocol-06 s.5.5 concatenated FanoutMessages)", () => {
    const value = {
      serverFrank: new Uint8Array(32),
      frankingSignatureCiphersuite: 1,
      frankingIntegritySignature: hex(""),
    };
    const one = encode(frank, value);
    const reader = new Reader(Uint8Array.from([...one, ...one]));
    const frames = [];
    while (reader.remaining > 0) frames.push(frank.read(reader));
    expect(frames).toEqual([value, value]);
  });
});
