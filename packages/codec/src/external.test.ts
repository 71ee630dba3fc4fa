import { describe, expect, it } from "vitest";
import { decode, encode } from "./codec.js";
import { CodecError } from "./errors.js";
import { external, type ForeignDecoder } from "./external.js";
import { uint8 } from "./integers.js";
import { struct } from "./struct.js";
import { hex, thrownBy, toHex } from "./test-support/hex.js";
import { decodeFakeKeyPackage, encodeFakeKeyPackage, keyPackage } from "./test-support/mimi.js";
import { vector } from "./vector.js";

const holder = struct("Holder", { keyPackage, after: uint8 });

/** A KeyPackage decoder that answers `result` whatever the input. */
const answering = (result: unknown) =>
  external("KeyPackage", encodeFakeKeyPackage, (() => result) as unknown as ForeignDecoder<never>);

describe("external", () => {
  it("adapts a ts-mls-shaped encoder/decoder pair", () => {
    const value = { keyPackage: { body: hex("abcd") }, after: 7 };
    expect(toHex(encode(holder, value))).toBe("0002abcd07");
    expect(decode(holder, hex("0002abcd07"))).toEqual(value);
  });

  it("hands the decoder a view, not a copy, so its values may alias the input", () => {
    const input = hex("0002abcd07");
    const decoded = decode(holder, input);
    expect(decoded.keyPackage.body.buffer).toBe(input.buffer);
  });

  it("turns `undefined` into a CodecError", () => {
    expect(() => decode(holder, hex("0002ffcd07"))).toThrow("Holder.keyPackage: invalid KeyPackage");
  });

  it("turns a thrown exception into a CodecError that keeps it as the cause", () => {
    const error = thrownBy(() => decode(holder, hex("0005abcd07")));
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).message).toBe(
      "Holder.keyPackage: invalid KeyPackage (RangeError: Data length exceeds buffer)",
    );
    expect((error as CodecError).cause).toBeInstanceOf(RangeError);
    // The stand-in reads with a DataView and no bounds check, as ts-mls does: a bare RangeError.
    expect(() => decode(holder, hex("00"))).toThrow("Holder.keyPackage: invalid KeyPackage (RangeError:");
    const throwsString = external<number>(
      "Thing",
      () => new Uint8Array(1),
      () => {
        throw "bad input";
      },
    );
    expect(() => decode(throwsString, hex("00"))).toThrow("Thing: invalid Thing (bad input)");
  });

  it("shows the decoder only the bytes of the enclosing vector", () => {
    // The first KeyPackage claims 3 body bytes; the vector holds only 2 after its header.
    expect(() => decode(vector(keyPackage), hex("04 0003 abcd 07"))).toThrow(
      "KeyPackage<V>[0]: invalid KeyPackage (RangeError: Data length exceeds buffer)",
    );
    expect(decode(vector(keyPackage), hex("04 0002 abcd"))).toEqual([{ body: hex("abcd") }]);
  });

  it("rejects an inconsistent result", () => {
    expect(() => decode(answering([{}, 6]), hex("0002abcd07"))).toThrow(
      "KeyPackage decoder reported consuming 6 of 5 available bytes",
    );
    expect(() => decode(answering([{}, -1]), hex("00"))).toThrow("reported consuming -1 of 1 available bytes");
    expect(() => decode(answering([{}, 1.5]), hex("0000"))).toThrow("reported consuming 1.5 of 2");
    expect(() => decode(answering([{}, "2"]), hex("0000"))).toThrow('reported consuming "2" of 2');
    expect(() => decode(answering({ value: 1 }), hex("00"))).toThrow(
      "KeyPackage decoder returned an object, not [value, length]",
    );
    expect(() => decode(answering([{}, 0]), hex("0002abcd"))).toThrow("KeyPackage: 4 trailing bytes");
  });

  it("turns encoder failures into CodecErrors", () => {
    expect(() => encode(holder, { keyPackage: { body: "ab" as unknown as Uint8Array }, after: 1 })).toThrow(
      "Holder.keyPackage: cannot encode KeyPackage (TypeError: body is not a Uint8Array)",
    );
    const returnsArray = external("Thing", () => [1, 2] as unknown as Uint8Array, decodeFakeKeyPackage);
    expect(() => encode(returnsArray, { body: hex("") })).toThrow("Thing: Thing encoder returned an array, not bytes");
  });
});
