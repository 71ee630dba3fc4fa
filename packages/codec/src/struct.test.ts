import { describe, expect, it } from "vitest";
import { decode, encode } from "./codec.js";
import { CodecError } from "./errors.js";
import { uint8, uint16 } from "./integers.js";
import { opaque, varOpaque } from "./opaque.js";
import { struct } from "./struct.js";
import { hex, thrownBy, toHex } from "./test-support/hex.js";
import { frank } from "./test-support/mimi.js";
import { vector } from "./vector.js";

const serverFrank = new Uint8Array(32).fill(0xaa);
const frankBytes = `${"aa".repeat(32)} 0001 03010203`;

describe("struct", () => {
  it("writes its fields in declaration order (protocol-06 s.5.4 Frank)", () => {
    const value = {
      serverFrank,
      frankingSignatureCiphersuite: 1,
      frankingIntegritySignature: hex("010203"),
    };
    expect(toHex(encode(frank, value))).toBe(frankBytes.replaceAll(" ", ""));
    expect(decode(frank, hex(frankBytes))).toEqual(value);
  });

  it("ignores keys it does not declare when encoding, and returns only its own", () => {
    const point = struct("Point", { x: uint8, y: uint8 });
    const value = { x: 1, y: 2, label: "ignored" };
    expect(toHex(encode(point, value))).toBe("0102");
    expect(decode(point, hex("0102"))).toEqual({ x: 1, y: 2 });
  });

  it("names itself and the field in every error", () => {
    expect(() => decode(frank, hex(`${"aa".repeat(32)} 00`))).toThrow(
      "Frank.frankingSignatureCiphersuite: unexpected end of input",
    );
    expect(() => decode(frank, hex(`${frankBytes} 00`))).toThrow("Frank: 1 trailing byte");
    expect(() =>
      encode(frank, {
        serverFrank: serverFrank.subarray(1),
        frankingSignatureCiphersuite: 1,
        frankingIntegritySignature: hex(""),
      }),
    ).toThrow("Frank.serverFrank: expected 32 bytes, found 31");
    expect(() => encode(frank, null as never)).toThrow("Frank: expected an object, found null");
    expect(() => encode(frank, { serverFrank, frankingSignatureCiphersuite: 1 } as never)).toThrow(
      "Frank.frankingIntegritySignature: expected a Uint8Array, found undefined",
    );
  });

  it("reports the innermost struct with its field, and the whole path apart", () => {
    const entry = struct("Entry", { key: opaque(2), value: varOpaque() });
    const table = struct("Table", { version: uint16, entries: vector(entry) });
    const outer = struct("Envelope", { table });
    const error = thrownBy(() => decode(outer, hex("0001 08 aaaa 01ff bbbb 05ff")));
    expect(error).toBeInstanceOf(CodecError);
    expect(error).toMatchObject({
      struct: "Entry",
      field: "value",
      path: "table.entries[1].value",
      reason: "length past the end",
      message: "Entry.value: length past the end",
    });
  });

  it("refuses a field declared with something that is not a codec", () => {
    const notYetDefined = undefined as unknown as typeof uint8;
    expect(() => struct("Early", { a: uint8, b: notYetDefined })).toThrow("Early.b: is undefined, not a codec");
  });

  it("refuses field names JavaScript would reorder", () => {
    expect(() => struct("Bad", { b: uint8, 1: uint8 })).toThrow("Bad.1: field names must not be integer-like");
    expect(() => struct("Bad", { ["__proto__"]: uint8 })).toThrow("Bad.__proto__: field names must not be");
  });
});
