import { describe, expect, it } from "vitest";
import { decode, encode } from "./codec.js";
import { CodecError } from "./errors.js";
import { uint8, uint16 } from "./integers.js";
import { struct } from "./struct.js";
import { hex, thrownBy, toHex } from "./test-support/hex.js";
import { refine, transform } from "./transform.js";
import { vector } from "./vector.js";

const flag = transform(
  uint8,
  {
    decode: (octet) => {
      if (octet > 1) throw new CodecError(`expected 0 or 1, found ${octet}`);
      return octet === 1;
    },
    encode: (value: boolean) => (value ? 1 : 0),
  },
  "bool",
);

describe("transform", () => {
  it("converts between the wire and the value representation", () => {
    expect(toHex(encode(flag, true))).toBe("01");
    expect(decode(flag, hex("00"))).toBe(false);
    expect(flag.name).toBe("bool");
  });

  it("rejects what its conversion rejects, located like any other error", () => {
    const settings = struct("Settings", { muted: flag });
    expect(() => decode(settings, hex("02"))).toThrow("Settings.muted: expected 0 or 1, found 2");
  });

  it("turns a foreign exception from a conversion into a CodecError", () => {
    const nonEmpty = transform(vector(uint16), {
      decode: (list) => {
        if (list.length === 0) throw new RangeError("list is empty");
        return list;
      },
      encode: (list: number[]) => list,
    });
    const error = thrownBy(() => decode(struct("KeyMaterialRequest", { acceptableCiphersuites: nonEmpty }), hex("00")));
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).message).toBe("KeyMaterialRequest.acceptableCiphersuites: RangeError: list is empty");
    expect((error as CodecError).cause).toBeInstanceOf(RangeError);
  });
});

describe("refine", () => {
  const sorted = refine(
    vector(uint8),
    (items) => {
      if (items.some((item, i) => i > 0 && item < (items[i - 1] as number))) throw new CodecError("not sorted");
      return items;
    },
    "Sorted",
  );

  it("checks the rule when decoding and when encoding", () => {
    expect(decode(sorted, Uint8Array.of(2, 1, 2))).toEqual([1, 2]);
    expect(() => decode(sorted, Uint8Array.of(2, 2, 1))).toThrow("Sorted: not sorted");
    expect(() => encode(sorted, [3, 1])).toThrow(CodecError);
    expect(encode(sorted, [1, 3])).toEqual(Uint8Array.of(2, 1, 3));
  });
});
