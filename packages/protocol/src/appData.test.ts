import { CodecError, decode, encode } from "@mimi-ts/codec";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { AppDataUpdateOperation, appDataDictionary, appDataUpdate, safeAad } from "./appData.js";
import { ComponentId } from "./constants.js";

describe("AppDataDictionary (mls-extensions s.4.6)", () => {
  // component_data<V> of 2 entries: (0x0002, data<V> = 00) and (0x0022, data<V> = 00).
  const sorted = "08" + "0002" + "0100" + "0022" + "0100";

  it("is a vector of (uint16 component_id, opaque data<V>)", () => {
    const value = {
      componentData: [
        { componentId: ComponentId.safeAad, data: hexToBytes("00") },
        { componentId: ComponentId.participantList, data: hexToBytes("00") },
      ],
    };
    expect(bytesToHex(encode(appDataDictionary, value))).toBe(sorted);
    expect(decode(appDataDictionary, hexToBytes(sorted))).toEqual(value);
  });

  it("refuses entries out of order or repeated, both ways", () => {
    const unsorted = "08" + "0022" + "0100" + "0002" + "0100";
    const repeated = "08" + "0022" + "0100" + "0022" + "0100";
    for (const hex of [unsorted, repeated]) {
      expect(() => decode(appDataDictionary, hexToBytes(hex))).toThrow(/sorted by component_id/);
    }
    const value = {
      componentData: [
        { componentId: 0x22, data: new Uint8Array() },
        { componentId: 0x02, data: new Uint8Array() },
      ],
    };
    expect(() => encode(appDataDictionary, value)).toThrow(CodecError);
  });
});

describe("AppDataUpdate (mls-extensions s.4.7)", () => {
  it("writes component_id, op, then update<V> only for update", () => {
    const update = { componentId: 0x0023, change: { op: AppDataUpdateOperation.update, update: hexToBytes("aabb") } };
    expect(bytesToHex(encode(appDataUpdate, update))).toBe("0023" + "01" + "02aabb");
    const remove = { componentId: 0x0023, change: { op: AppDataUpdateOperation.remove } };
    expect(bytesToHex(encode(appDataUpdate, remove))).toBe("0023" + "02");
  });

  it("refuses invalid(0) and unknown operations", () => {
    expect(() => decode(appDataUpdate, hexToBytes("002300"))).toThrow(/AppDataUpdateOperation value 0/);
    expect(() => decode(appDataUpdate, hexToBytes("002303"))).toThrow(CodecError);
  });
});

describe("SafeAAD (mls-extensions s.4.9)", () => {
  it("may be empty, and keeps items in increasing component_id order", () => {
    expect(decode(safeAad, hexToBytes("00"))).toEqual({ aadItems: [] });
    expect(() => decode(safeAad, hexToBytes("06" + "0021" + "00" + "0020" + "00"))).toThrow(/sorted/);
  });
});
