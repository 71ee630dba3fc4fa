import { decode, encode } from "@mimi-ts/codec";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { type RoomMetaData, richDescription, roomMetaData, roomMetaUpdate, uri, utf8String } from "./roomMetadata.js";
import { codecErrorOf, hex, wire } from "./test-support/wire.js";

describe("Uri (protocol-06 s.7.6)", () => {
  it("is opaque uri<V>, held as its text", () => {
    const clubhouse = "mimi://a.example/r/clubhouse"; // 28 bytes
    expect(bytesToHex(encode(uri, clubhouse))).toBe(wire`1c ${clubhouse}`);
    expect(decode(uri, hex(wire`1c ${clubhouse}`))).toBe(clubhouse);
  });

  it("refuses bytes that are not UTF-8 (no URI is)", () => {
    const error = codecErrorOf(() => decode(uri, hex("01 ff")));
    expect([error.struct, error.reason]).toEqual(["Uri", "invalid UTF-8"]);
  });
});

describe("UTF8String (protocol-06 s.7.6: valid UTF8 without nulls)", () => {
  it("is opaque string<V> holding UTF-8", () => {
    // "Café": C a f, then U+00E9 as c3 a9
    expect(bytesToHex(encode(utf8String, "Café"))).toBe(wire`05 436166 c3a9`);
    expect(decode(utf8String, hex("05 436166 c3a9"))).toBe("Café");
    expect(bytesToHex(encode(utf8String, ""))).toBe("00");
  });

  it("refuses U+0000 in both directions", () => {
    const decoding = codecErrorOf(() => decode(utf8String, hex("03 61 00 62")));
    expect(decoding.struct).toBe("UTF8String");
    expect(decoding.reason).toMatch(/U\+0000/);
    const encoding = codecErrorOf(() => encode(utf8String, "a\u0000b"));
    expect(encoding.struct).toBe("UTF8String");
    expect(encoding.reason).toMatch(/U\+0000/);
  });

  it("refuses invalid UTF-8 when decoding and lone surrogates when encoding", () => {
    for (const bad of ["02 c328", "01 80", "03 eda080" /* an encoded surrogate */, "02 c0af" /* overlong "/" */]) {
      expect(codecErrorOf(() => decode(utf8String, hex(bad))).reason).toBe("invalid UTF-8");
    }
    expect(codecErrorOf(() => encode(utf8String, "\ud800")).struct).toBe("UTF8String");
  });
});

describe("RichDescription (protocol-06 s.7.6)", () => {
  it("is three opaque<V> fields, kept as bytes", () => {
    const description = {
      mediaType: new TextEncoder().encode("text/markdown"),
      languageTag: new TextEncoder().encode("fr"),
      descriptionContent: Uint8Array.of(0xff, 0x00),
    };
    const expected = wire`0d ${"text/markdown"} 02 6672 02 ff00`;
    expect(bytesToHex(encode(richDescription, description))).toBe(expected);
    expect(decode(richDescription, hex(expected))).toEqual(description);
  });
});

describe("RoomMetaData and RoomMetaUpdate (protocol-06 s.7.6)", () => {
  const metadata: RoomMetaData = {
    roomUri: "mimi://a.example/r/clubhouse",
    roomName: "Clubhouse",
    roomDescriptions: [
      {
        mediaType: new Uint8Array(),
        languageTag: new TextEncoder().encode("en"),
        descriptionContent: new TextEncoder().encode("Our club"),
      },
    ],
    roomAvatar: "https://a.example/c.png",
    roomSubject: "Café",
    roomMood: "",
  };
  const expected = wire`
    1c ${"mimi://a.example/r/clubhouse"}
    09 ${"Clubhouse"}
    0d 00 02 656e 08 ${"Our club"}
    17 ${"https://a.example/c.png"}
    05 436166c3a9
    00`;

  it("lays out Uri, UTF8String, RichDescription<V>, Uri, UTF8String, UTF8String", () => {
    expect(bytesToHex(encode(roomMetaData, metadata))).toBe(expected);
    expect(decode(roomMetaData, hex(expected))).toEqual(metadata);
  });

  it("gives RoomMetaUpdate the same bytes", () => {
    expect(bytesToHex(encode(roomMetaUpdate, metadata))).toBe(expected);
    expect(decode(roomMetaUpdate, hex(expected))).toEqual(metadata);
  });

  it("names the field holding a NUL, under each struct's own name", () => {
    const withNul = wire`1c ${"mimi://a.example/r/clubhouse"} 02 4100 00 00 00 00`;
    const error = codecErrorOf(() => decode(roomMetaData, hex(withNul)));
    expect([error.struct, error.field]).toEqual(["RoomMetaData", "roomName"]);
    const updateError = codecErrorOf(() => encode(roomMetaUpdate, { ...metadata, roomMood: "\u0000" }));
    expect([updateError.struct, updateError.field]).toEqual(["RoomMetaUpdate", "roomMood"]);
  });

  it("refuses a truncated value, naming the field cut short", () => {
    const error = codecErrorOf(() => decode(roomMetaData, hex(expected.slice(0, -4))));
    expect([error.struct, error.field, error.reason]).toEqual(["RoomMetaData", "roomSubject", "length past the end"]);
  });
});
