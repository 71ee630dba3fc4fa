import { describe, expect, it } from "vitest";
import { CodecError } from "./errors.js";
import { Reader } from "./reader.js";

describe("Reader", () => {
  it("reads big-endian integers", () => {
    const reader = new Reader(
      Uint8Array.from([0xab, 0x01, 0x02, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]),
    );
    expect(reader.uint8()).toBe(0xab);
    expect(reader.uint16()).toBe(0x0102);
    expect(reader.uint32()).toBe(0xdeadbeef);
    expect(reader.uint64()).toBe(0x0102030405060708n);
    expect(reader.remaining).toBe(0);
  });

  it("reads from a Uint8Array that is a view into a larger buffer", () => {
    const backing = Uint8Array.from([9, 9, 0x12, 0x34, 9]);
    const reader = new Reader(backing.subarray(2, 4));
    expect(reader.uint16()).toBe(0x1234);
    expect(() => reader.uint8()).toThrow("unexpected end of input");
  });

  it("fails on a short read without consuming anything", () => {
    const reader = new Reader(Uint8Array.from([1, 2, 3]));
    expect(() => reader.uint32()).toThrow(CodecError);
    expect(reader.offset).toBe(0);
    expect(() => reader.bytes(4)).toThrow("unexpected end of input");
    expect(() => reader.bytes(-1)).toThrow("cannot read -1 bytes");
  });

  it("copies with bytes() and aliases with view()", () => {
    const input = Uint8Array.from([1, 2, 3, 4]);
    const reader = new Reader(input);
    const copy = reader.bytes(2);
    const view = reader.view(2);
    input[0] = 0xaa;
    input[2] = 0xbb;
    expect([...copy]).toEqual([1, 2]);
    expect([...view]).toEqual([0xbb, 4]);
  });

  it("checks a length prefix against the maximum and against the input", () => {
    expect(() => new Reader(Uint8Array.from([0x05, 1, 2])).lengthPrefix()).toThrow("length past the end");
    expect(() => new Reader(Uint8Array.from([0x05, 1, 2, 3, 4, 5])).lengthPrefix(4)).toThrow(
      "length 5 exceeds maximum 4",
    );
    expect(new Reader(Uint8Array.from([0x02, 1, 2])).lengthPrefix()).toBe(2);
  });

  it("limits reads to the current vector and restores the limit after it", () => {
    const reader = new Reader(Uint8Array.from([0x02, 0x0a, 0x0b, 0x0c]));
    const enclosing = reader.beginVector();
    expect(reader.remaining).toBe(2);
    expect(reader.uint8()).toBe(0x0a);
    expect(() => reader.uint16()).toThrow("runs past the end of its vector");
    expect(() => reader.endVector(enclosing)).toThrow("1 byte unread in vector");
    expect(reader.uint8()).toBe(0x0b);
    reader.endVector(enclosing);
    expect(reader.remaining).toBe(1);
    expect(reader.remainingView()).toEqual(Uint8Array.of(0x0c));
  });

  it("charges vector items against maxItems", () => {
    const reader = new Reader(new Uint8Array(0), { maxItems: 2 });
    reader.countItem();
    reader.countItem();
    expect(() => reader.countItem()).toThrow("too many vector items in one input (maxItems)");
  });

  it("refuses input that is not a Uint8Array and a bad maxItems", () => {
    expect(() => new Reader([1, 2] as unknown as Uint8Array)).toThrow("expected a Uint8Array, found an array");
    expect(() => new Reader(new Uint8Array(0), { maxItems: -1 })).toThrow("maxItems must be a non-negative integer");
  });
});
