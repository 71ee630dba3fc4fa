import { describe, expect, it } from "vitest";
import { decode, encode } from "./codec.js";
import { uint8, uint16, uint32, uint64 } from "./integers.js";
import { toHex } from "./test-support/hex.js";

describe("uint8..uint64", () => {
  it("round-trip their extremes big-endian", () => {
    expect(toHex(encode(uint8, 255))).toBe("ff");
    expect(toHex(encode(uint16, 0xfffe))).toBe("fffe");
    expect(toHex(encode(uint32, 0x01020304))).toBe("01020304");
    expect(toHex(encode(uint64, (1n << 64n) - 1n))).toBe("ffffffffffffffff");
    expect(decode(uint32, encode(uint32, 0xffffffff))).toBe(0xffffffff);
    expect(decode(uint64, encode(uint64, 0n))).toBe(0n);
  });

  it("name the type in errors when decoded on their own", () => {
    expect(() => decode(uint16, Uint8Array.of(1))).toThrow("uint16: unexpected end of input");
    expect(() => decode(uint8, Uint8Array.of(1, 2))).toThrow("uint8: 1 trailing byte");
    expect(() => encode(uint8, -1)).toThrow("uint8: expected a uint8 (integer in 0..255), found -1");
  });
});
