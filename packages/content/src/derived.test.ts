import { describe, expect, it } from "vitest";
import { CborFloat } from "./cborValue.js";
import {
  decodeDerivedValues,
  encodeDerivedValues,
  extendedTimeFromMillis,
  type MessageDerivedValues,
  timestampToMillis,
} from "./derived.js";
import { ContentError } from "./errors.js";

const values: MessageDerivedValues = {
  messageId: new Uint8Array(32).fill(1),
  hubAcceptedTimestamp: 1644387225019,
  mlsGroupId: new Uint8Array([1, 2, 3]),
  senderLeafIndex: 4,
  senderClientUrl: "mimi://a.example/d/alice/1",
  senderUserUrl: "mimi://a.example/u/alice",
  roomUrl: "mimi://a.example/r/club",
};

describe("accepted timestamps (content-08 s.4.6)", () => {
  it("as milliseconds since the epoch", () => {
    expect(timestampToMillis(1644387225019)).toBe(1644387225019);
    expect(timestampToMillis(1644387225019n)).toBe(1644387225019);
  });

  it("as RFC 9581 extended time (tag 1001), round-tripping through CBOR", () => {
    for (const millis of [0, 1644387225019, 1644387225000, 999]) {
      const extended = extendedTimeFromMillis(millis);
      expect(timestampToMillis(extended)).toBe(millis);
      const decoded = decodeDerivedValues(encodeDerivedValues({ ...values, hubAcceptedTimestamp: extended }));
      expect(timestampToMillis(decoded.hubAcceptedTimestamp)).toBe(millis);
    }
  });

  it("reads finer fractions and float base times, and ignores elective keys", () => {
    const time = (entries: [number | string, number | CborFloat | string][]) =>
      timestampToMillis({ extendedTime: new Map(entries) });
    expect(
      time([
        [1, 1644387225],
        [-9, 19_999_999],
      ]),
    ).toBe(1644387225019);
    expect(
      time([
        [1, 1644387225],
        [-6, 19_999],
      ]),
    ).toBe(1644387225019);
    expect(time([[1, new CborFloat(1644387225.5)]])).toBe(1644387225500);
    expect(
      time([
        [1, 10],
        [-2, 5],
        ["tzh", "Europe/Paris"],
      ]),
    ).toBe(10_000);
  });

  it("refuses what it cannot interpret", () => {
    const refuses = (entries: [number | string, number | CborFloat][]) =>
      expect(() => timestampToMillis({ extendedTime: new Map(entries) })).toThrow(ContentError);
    refuses([[-3, 5]]);
    refuses([
      [1, 10],
      [-3, 1000],
    ]);
    refuses([
      [1, 10],
      [-3, 1],
      [-6, 1],
    ]);
    refuses([
      [1, 10],
      [4, 1],
    ]);
    refuses([[1, new CborFloat(Number.NaN)]]);
    refuses([
      [1, new CborFloat(1.5)],
      [-3, 1],
    ]);
  });
});

describe("MessageDerivedValues", () => {
  it("round-trips", () => {
    expect(decodeDerivedValues(encodeDerivedValues(values))).toEqual(values);
  });

  it("is decoded strictly", () => {
    const bytes = encodeDerivedValues(values);
    expect(() => decodeDerivedValues(Uint8Array.from([...bytes, 0]))).toThrow(/trailing/);
    const shortId = encodeDerivedValues(values);
    shortId[1] = 0x5f;
    expect(() => decodeDerivedValues(shortId)).toThrow(/^messageId/);
    expect(() => encodeDerivedValues({ ...values, senderLeafIndex: 2 ** 32 })).toThrow(/^senderLeafIndex/);
  });
});
