import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exactHalfBits, halfToNumber } from "./halfFloat.js";

describe("binary16", () => {
  it("decodes the RFC 8949 appendix A examples", () => {
    // RFC 8949 Appendix A: half-precision encodings and their values.
    const examples: [number, number][] = [
      [0x0000, 0],
      [0x8000, -0],
      [0x3c00, 1],
      [0x3e00, 1.5],
      [0x7bff, 65504],
      [0x0001, 2 ** -24],
      [0x0400, 0.00006103515625],
      [0xc400, -4],
      [0x7c00, Number.POSITIVE_INFINITY],
      [0xfc00, Number.NEGATIVE_INFINITY],
    ];
    for (const [bits, value] of examples) {
      expect(halfToNumber(bits)).toBe(value);
      expect(exactHalfBits(value)).toBe(bits);
    }
    expect(halfToNumber(0x7e00)).toBeNaN();
    expect(exactHalfBits(Number.NaN)).toBe(0x7e00);
  });

  it("says undefined exactly when half precision would lose the value", () => {
    expect(exactHalfBits(100000)).toBeUndefined();
    expect(exactHalfBits(1.1)).toBeUndefined();
    expect(exactHalfBits(2 ** -25)).toBeUndefined();
    expect(exactHalfBits(65520)).toBeUndefined();
  });

  it("round-trips every one of the 65536 patterns that is not NaN", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = halfToNumber(bits);
      if (Number.isNaN(value)) continue;
      expect(exactHalfBits(value)).toBe(bits);
    }
  });

  it("agrees with round-tripping through the bit pattern for any double", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (value) => {
        const bits = exactHalfBits(value);
        if (bits !== undefined) expect(Object.is(halfToNumber(bits), value)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});
