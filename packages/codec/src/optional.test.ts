import { describe, expect, it } from "vitest";
import { decode, encode } from "./codec.js";
import { uint16 } from "./integers.js";
import { optional } from "./optional.js";
import { hex, toHex } from "./test-support/hex.js";

describe("optional<T>", () => {
  it("writes a presence octet, then the value when present (RFC 9420 s.2.1.1)", () => {
    expect(toHex(encode(optional(uint16), undefined))).toBe("00");
    expect(toHex(encode(optional(uint16), 0x0102))).toBe("010102");
    expect(decode(optional(uint16), hex("00"))).toBeUndefined();
    expect(decode(optional(uint16), hex("010102"))).toBe(0x0102);
  });

  it("rejects any presence octet other than 0 or 1", () => {
    expect(() => decode(optional(uint16), hex("020102"))).toThrow(
      "optional<uint16>: presence octet must be 0 or 1, found 2",
    );
    expect(() => decode(optional(uint16), hex("ff"))).toThrow("found 255");
  });

  it("rejects a present value that is missing and an absent one with bytes after it", () => {
    expect(() => decode(optional(uint16), hex("01"))).toThrow("unexpected end of input");
    expect(() => decode(optional(uint16), hex("000102"))).toThrow("2 trailing bytes");
  });
});
