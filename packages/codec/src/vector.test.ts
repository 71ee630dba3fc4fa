import { describe, expect, it } from "vitest";
import { decode, encode } from "./codec.js";
import { uint8, uint16 } from "./integers.js";
import { varOpaque } from "./opaque.js";
import { struct } from "./struct.js";
import { hex, thrownBy, toHex } from "./test-support/hex.js";
import { vector } from "./vector.js";

describe("T x<V>", () => {
  it("prefixes the byte length of the items, not their count", () => {
    expect(toHex(encode(vector(uint16), [1, 2, 3]))).toBe("06000100020003");
    expect(decode(vector(uint16), hex("06000100020003"))).toEqual([1, 2, 3]);
    expect(toHex(encode(vector(uint16), []))).toBe("00");
  });

  it("nests", () => {
    const bytes = encode(vector(vector(uint8)), [[1], [], [2, 3]]);
    expect(toHex(bytes)).toBe("06 0101 00 020203".replaceAll(" ", ""));
    expect(decode(vector(vector(uint8)), bytes)).toEqual([[1], [], [2, 3]]);
  });

  it("moves the items when the length needs two bytes", () => {
    const values = Array.from({ length: 40 }, (_, i) => i * 1000);
    const bytes = encode(vector(uint16), values);
    expect(toHex(bytes.subarray(0, 2))).toBe("4050");
    expect(decode(vector(uint16), bytes)).toEqual(values);
  });

  it("rejects a length past the end", () => {
    expect(() => decode(vector(uint16), hex("0400010002"))).not.toThrow();
    expect(() => decode(vector(uint16), hex("06000100"))).toThrow("uint16<V>: length past the end");
  });

  it("rejects an item that crosses the end of the vector, naming its index", () => {
    expect(() => decode(vector(uint16), hex("03 0001 02 ff"))).toThrow("uint16<V>[1]: runs past the end of its vector");
    // Also when the vector ends where the input does.
    expect(() => decode(vector(uint16), hex("03 0001 02"))).toThrow("uint16<V>[1]: runs past the end of its vector");
  });

  it("rejects an oversized vector in both directions", () => {
    const small = vector(uint8, { maxLength: 2 });
    expect(() => decode(small, hex("03010203"))).toThrow("uint8<V>: length 3 exceeds maximum 2");
    expect(() => encode(small, [1, 2, 3])).toThrow("uint8<V>: length 3 exceeds maximum 2");
  });

  it("stops at maxItems over all vectors of one decode", () => {
    const nested = vector(vector(uint8));
    const bytes = encode(nested, [[1, 2], [3]]);
    expect(decode(nested, bytes, { maxItems: 5 })).toEqual([[1, 2], [3]]);
    expect(() => decode(nested, bytes, { maxItems: 4 })).toThrow(
      "uint8<V><V>[1][0]: too many vector items in one input (maxItems)",
    );
  });

  it("locates an item error inside a struct by index and field", () => {
    const entry = struct("Entry", { id: uint8, data: varOpaque() });
    const list = struct("List", { entries: vector(entry) });
    const error = thrownBy(() => decode(list, hex("07 01 01aa 02 05bbbb")));
    expect(error).toMatchObject({ struct: "Entry", field: "data", path: "entries[1].data" });
    expect((error as Error).message).toBe("Entry.data: length past the end");
  });

  it("refuses items that occupy no bytes, which a byte length cannot count", () => {
    const empty = struct("Empty", {});
    expect(() => encode(vector(empty), [{}])).toThrow("Empty<V>[0]: Empty wrote no bytes");
    expect(() => decode(vector(empty), hex("01 00"))).toThrow("Empty<V>[0]: Empty read no bytes");
  });

  it("refuses a non-array value", () => {
    expect(() => encode(vector(uint8), "ab" as unknown as number[])).toThrow('expected an array, found "ab"');
  });
});
