import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError } from "./errors.js";
import { Writer } from "./writer.js";

/** What Writer.utf8 must produce: the varint byte length, then TextEncoder's bytes. */
function expectedUtf8(text: string): number[] {
  const bytes = new TextEncoder().encode(text);
  const writer = new Writer();
  writer.varint(bytes.length);
  return [...writer.finish(), ...bytes];
}

function writtenUtf8(text: string, before: number[] = []): number[] {
  const writer = new Writer(16);
  for (const byte of before) writer.uint8(byte);
  writer.utf8(text);
  return [...writer.finish()].slice(before.length);
}

describe("Writer", () => {
  it("writes big-endian integers", () => {
    const writer = new Writer();
    writer.uint8(0xab);
    writer.uint16(0x0102);
    writer.uint32(0xdeadbeef);
    writer.uint64(0x0102030405060708n);
    expect([...writer.finish()]).toEqual([
      0xab, 0x01, 0x02, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    ]);
  });

  it("refuses integers out of range, fractional or of the wrong type", () => {
    const writer = new Writer();
    expect(() => writer.uint8(256)).toThrow("expected a uint8 (integer in 0..255), found 256");
    expect(() => writer.uint16(-1)).toThrow(CodecError);
    expect(() => writer.uint32(2 ** 32)).toThrow(CodecError);
    expect(() => writer.uint8(1.5)).toThrow(CodecError);
    expect(() => writer.uint8("1" as unknown as number)).toThrow('found "1"');
    expect(() => writer.uint64(1n << 64n)).toThrow(CodecError);
    expect(() => writer.uint64(-1n)).toThrow(CodecError);
    expect(() => writer.uint64(1 as unknown as bigint)).toThrow("expected a uint64");
    expect(() => writer.bytes([1, 2] as unknown as Uint8Array)).toThrow("expected a Uint8Array, found an array");
    expect(writer.length).toBe(0);
  });

  it("grows past its initial capacity without losing bytes", () => {
    const writer = new Writer(16);
    const chunk = Uint8Array.from({ length: 100 }, (_, i) => i);
    for (let i = 0; i < 50; i++) writer.bytes(chunk);
    const out = writer.finish();
    expect(out.length).toBe(5000);
    expect(out.subarray(4900)).toEqual(chunk);
  });

  it("writes a vector's length in front of its items, moving them when the header grows", () => {
    for (const [length, header] of [
      [63, [0x3f]],
      [64, [0x40, 0x40]],
      [16384, [0x80, 0x00, 0x40, 0x00]],
    ] as const) {
      const writer = new Writer();
      writer.uint8(0xee);
      const start = writer.beginVector();
      const content = Uint8Array.from({ length }, (_, i) => i % 251);
      writer.bytes(content);
      writer.endVector(start);
      writer.uint8(0xff);
      const out = writer.finish();
      expect([...out.subarray(0, 1 + header.length)]).toEqual([0xee, ...header]);
      expect(out.subarray(1 + header.length, out.length - 1)).toEqual(content);
      expect(out[out.length - 1]).toBe(0xff);
    }
  });

  it("nests vectors, each header sized for its own content", () => {
    const writer = new Writer();
    const outer = writer.beginVector();
    const inner = writer.beginVector();
    writer.bytes(new Uint8Array(70));
    writer.endVector(inner);
    writer.uint8(1);
    writer.endVector(outer);
    const out = writer.finish();
    // outer length = 2 (inner header) + 70 + 1 = 73 -> 0x4049; inner length 70 -> 0x4046
    expect([...out.subarray(0, 4)]).toEqual([0x40, 0x49, 0x40, 0x46]);
    expect(out.length).toBe(2 + 73);
  });

  it("refuses a vector longer than its maximum", () => {
    const writer = new Writer();
    const start = writer.beginVector();
    writer.bytes(new Uint8Array(5));
    expect(() => writer.endVector(start, 4)).toThrow("length 5 exceeds maximum 4");
  });

  it("writes UTF-8 text with the minimal length header whatever room it reserved", () => {
    // ASCII 21 (room for 63 bytes, 1-byte header), 22 (room 66: header shrinks from 2 to 1),
    // 6000 (room 18000: header shrinks from 4 to 2); 64 two-byte letters; astral characters.
    for (const text of ["a".repeat(21), "a".repeat(22), "a".repeat(6000), "é".repeat(64), "🙂".repeat(20), ""]) {
      expect(writtenUtf8(text, [0xaa])).toEqual(expectedUtf8(text));
    }
  });

  it("writes any well-formed string as TextEncoder would, after any prefix", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 120 }).filter((text) => text.isWellFormed()),
        fc.array(fc.nat(0xff), { maxLength: 20 }),
        (text, before) => {
          expect(writtenUtf8(text, before)).toEqual(expectedUtf8(text));
        },
      ),
    );
  });

  it("refuses text with no UTF-8 form and text over its maximum", () => {
    const writer = new Writer();
    expect(() => writer.utf8("\udc00x")).toThrow("lone surrogate");
    expect(() => writer.utf8(7 as unknown as string)).toThrow("expected a string, found 7");
    expect(() => writer.utf8("ab", 1)).toThrow("length 2 exceeds maximum 1");
  });

  it("returns an independent copy from finish", () => {
    const writer = new Writer();
    writer.uint8(1);
    const first = writer.finish();
    writer.uint8(2);
    expect([...first]).toEqual([1]);
    expect([...writer.finish()]).toEqual([1, 2]);
  });
});
