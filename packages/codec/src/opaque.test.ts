import { describe, expect, it } from "vitest";
import { decode, encode } from "./codec.js";
import { opaque, utf8, varOpaque } from "./opaque.js";
import { hex, toHex } from "./test-support/hex.js";

describe("opaque[n]", () => {
  it("reads and writes exactly n bytes, with no prefix", () => {
    const four = opaque(4);
    expect(toHex(encode(four, hex("01020304")))).toBe("01020304");
    expect(decode(four, hex("01020304"))).toEqual(hex("01020304"));
  });

  it("refuses a value of another length and a short input", () => {
    expect(() => encode(opaque(4), hex("010203"))).toThrow("opaque[4]: expected 4 bytes, found 3");
    expect(() => encode(opaque(4), "abcd" as unknown as Uint8Array)).toThrow("expected a Uint8Array");
    expect(() => decode(opaque(4), hex("010203"))).toThrow("opaque[4]: unexpected end of input");
  });

  it("returns a copy that does not alias the input", () => {
    const input = hex("01020304");
    const value = decode(opaque(4), input);
    input[0] = 0xff;
    expect(value[0]).toBe(1);
  });

  it("refuses a length that is not a whole number", () => {
    expect(() => opaque(-1)).toThrow("opaque length must be an integer in 0..2^30-1");
  });
});

describe("opaque<V>", () => {
  it("prefixes the varint length", () => {
    expect(toHex(encode(varOpaque(), hex("")))).toBe("00");
    expect(toHex(encode(varOpaque(), hex("aabb")))).toBe("02aabb");
    const long = new Uint8Array(64).fill(7);
    expect(toHex(encode(varOpaque(), long).subarray(0, 3))).toBe("404007");
    expect(decode(varOpaque(), encode(varOpaque(), long))).toEqual(long);
  });

  it("returns a copy that does not alias the input", () => {
    const input = hex("02aabb");
    const value = decode(varOpaque(), input);
    input[1] = 0;
    expect(toHex(value)).toBe("aabb");
  });

  it("rejects a length past the end, a non-minimal length and an oversized value", () => {
    expect(() => decode(varOpaque(), hex("03aabb"))).toThrow("opaque<V>: length past the end");
    expect(() => decode(varOpaque(), hex("4002aabb"))).toThrow("opaque<V>: non-minimal length encoding (2 in 2 bytes)");
    expect(() => decode(varOpaque({ maxLength: 1 }), hex("02aabb"))).toThrow("length 2 exceeds maximum 1");
    expect(() => encode(varOpaque({ maxLength: 1 }), hex("aabb"))).toThrow("length 2 exceeds maximum 1");
    expect(() => varOpaque({ maxLength: 2 ** 30 })).toThrow("maxLength must be an integer in 0..2^30-1");
  });
});

describe("utf8<V>", () => {
  it("holds UTF-8 text in an opaque<V>", () => {
    expect(toHex(encode(utf8(), "mimi://a.example/u/alice"))).toBe(
      `18${toHex(new TextEncoder().encode("mimi://a.example/u/alice"))}`,
    );
    expect(decode(utf8(), hex("04 f09f9982"))).toBe("🙂");
  });

  it("keeps a leading byte order mark, so the bytes round-trip", () => {
    const withBom = hex("04 efbbbf41");
    expect(decode(utf8(), withBom)).toBe("\ufeffA");
    expect(encode(utf8(), decode(utf8(), withBom))).toEqual(withBom);
  });

  it("rejects invalid UTF-8 and strings with no UTF-8 form", () => {
    expect(() => decode(utf8(), hex("02 c328"))).toThrow("utf8<V>: invalid UTF-8");
    expect(() => decode(utf8(), hex("03 eda080"))).toThrow("invalid UTF-8"); // an encoded surrogate
    expect(() => encode(utf8(), "a\ud800")).toThrow("lone surrogate");
    expect(() => encode(utf8(), 5 as unknown as string)).toThrow("expected a string, found 5");
    expect(() => encode(utf8({ maxLength: 3 }), "🙂")).toThrow("length 4 exceeds maximum 3");
  });
});
