import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError } from "./errors.js";
import { Reader } from "./reader.js";
import { MAX_VARINT, varintLength } from "./varint.js";
import { Writer } from "./writer.js";

function readVarint(bytes: number[]): number {
  return new Reader(Uint8Array.from(bytes)).varint();
}

function writeVarint(value: number): number[] {
  const writer = new Writer();
  writer.varint(value);
  return [...writer.finish()];
}

describe("RFC 9420 s.2.1.2 variable-length integers", () => {
  it("decodes the RFC's examples", () => {
    expect(readVarint([0x25])).toBe(37);
    expect(readVarint([0x7b, 0xbd])).toBe(15293);
    expect(readVarint([0x9d, 0x7f, 0x3e, 0x7d])).toBe(494878333);
  });

  it("encodes the RFC's examples back to the same bytes", () => {
    expect(writeVarint(37)).toEqual([0x25]);
    expect(writeVarint(15293)).toEqual([0x7b, 0xbd]);
    expect(writeVarint(494878333)).toEqual([0x9d, 0x7f, 0x3e, 0x7d]);
  });

  it("uses 1, 2 and 4 bytes exactly up to each form's maximum", () => {
    expect(writeVarint(0)).toEqual([0x00]);
    expect(writeVarint(63)).toEqual([0x3f]);
    expect(writeVarint(64)).toEqual([0x40, 0x40]);
    expect(writeVarint(16383)).toEqual([0x7f, 0xff]);
    expect(writeVarint(16384)).toEqual([0x80, 0x00, 0x40, 0x00]);
    expect(writeVarint(MAX_VARINT)).toEqual([0xbf, 0xff, 0xff, 0xff]);
  });

  it("rejects encodings longer than the minimum", () => {
    // 37 in two bytes (RFC 9000's own example of a non-minimal form) and in four.
    expect(() => readVarint([0x40, 0x25])).toThrow("non-minimal length encoding (37 in 2 bytes)");
    expect(() => readVarint([0x80, 0x00, 0x00, 0x25])).toThrow("non-minimal length encoding (37 in 4 bytes)");
    expect(() => readVarint([0x80, 0x00, 0x3f, 0xff])).toThrow("non-minimal length encoding (16383 in 4 bytes)");
    expect(() => readVarint([0x40, 0x3f])).toThrow(CodecError);
  });

  it("rejects the prefix 11", () => {
    expect(() => readVarint([0xc0, 0, 0, 0, 0, 0, 0, 0x25])).toThrow("invalid length prefix 0b11");
  });

  it("rejects a truncated encoding", () => {
    expect(() => readVarint([])).toThrow("unexpected end of input");
    expect(() => readVarint([0x7b])).toThrow("unexpected end of input");
    expect(() => readVarint([0x9d, 0x7f, 0x3e])).toThrow("unexpected end of input");
  });

  it("refuses to encode values outside 0..2^30-1", () => {
    for (const value of [-1, MAX_VARINT + 1, 1.5, Number.NaN]) {
      expect(() => writeVarint(value)).toThrow(CodecError);
    }
  });

  it("round-trips every value in its minimal length", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_VARINT }), (value) => {
        const bytes = writeVarint(value);
        expect(bytes.length).toBe(varintLength(value));
        expect(readVarint(bytes)).toBe(value);
      }),
    );
  });
});
