import { type Codec, CodecError, decode, encode } from "@mimi-ts/codec";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { expect } from "vitest";

/**
 * Hand-assembled wire bytes, as lowercase hex: the literal parts are hex
 * digits (spaces for reading), each interpolated string is its UTF-8 bytes.
 *
 *   wire`18 ${"mimi://a.example/u/alice"} 00000002`
 */
export function wire(hexParts: TemplateStringsArray, ...texts: string[]): string {
  const utf8 = new TextEncoder();
  return hexParts
    .map((part, i) => {
      const digits = part.replace(/\s+/g, "");
      if (!/^(?:[0-9a-f]{2})*$/.test(digits)) throw new Error(`not hex bytes: ${JSON.stringify(part)}`);
      const text = texts[i];
      return text === undefined ? digits : digits + bytesToHex(utf8.encode(text));
    })
    .join("");
}

/** `hex("02 c3 28")`: hex digits, spaces for reading, as bytes. */
export function hex(digits: string): Uint8Array {
  return hexToBytes(digits.replace(/\s+/g, ""));
}

/** The CodecError `action` throws; fails the test if it throws nothing or anything else. */
export function codecErrorOf(action: () => unknown): CodecError {
  try {
    action();
  } catch (error) {
    if (error instanceof CodecError) return error;
    throw new Error(`expected a CodecError, got ${String(error)}`);
  }
  throw new Error("expected a CodecError, none was thrown");
}

/** Asserts that `value` encodes to exactly `expected` (hex) and that `expected` decodes back to `value`. */
export function expectWire<T>(codec: Codec<T>, value: T, expected: string): void {
  expect(bytesToHex(encode(codec, value))).toBe(expected);
  expect(decode(codec, hex(expected))).toEqual(value);
}
