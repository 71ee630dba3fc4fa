import { decode, encode } from "@mimi-ts/codec";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { type AbuseReport, AbuseType, abuseReport, abuseType, abusiveMessage } from "./abuse.js";
import { mls } from "./test-support/mlsFixtures.js";
import { codecErrorOf, hex, wire } from "./test-support/wire.js";

const message = {
  messageContent: new TextEncoder().encode("hello"),
  frank: {
    serverFrank: new Uint8Array(32).fill(0x11),
    frankingSignatureCiphersuite: mls.cipherSuite,
    frankingIntegritySignature: new Uint8Array(64).fill(0x22),
  },
  acceptedTimestamp: 0x0000018bcfe56800n,
};
// message_content <V> of 5; Frank: server_frank[32], cipher suite 0001, signature <V> of 64; accepted_timestamp
const messageHex = `${wire`05 ${"hello"}`}${"11".repeat(32)}00014040${"22".repeat(64)}0000018bcfe56800`;

const report: AbuseReport = {
  reportingUser: "mimi://b.example/u/bob",
  allegedAbuserUri: "mimi://a.example/u/alice",
  reasonCode: AbuseType.unspecified,
  note: "spam",
  messages: [message],
  abuseExtensions: { componentData: [] },
};
// reportingUser <V> of 22, allegedAbuserUri <V> of 24
const users = wire`16 ${"mimi://b.example/u/bob"} 18 ${"mimi://a.example/u/alice"}`;
// reasonCode unspecified(0), note <V> of 4
const reportHead = `${users}00${wire`04 ${"spam"}`}`;

describe("AbusiveMessage (protocol-06 s.5.9)", () => {
  it("is the content, the Frank, then the uint64 accepted_timestamp", () => {
    expect(bytesToHex(encode(abusiveMessage, message))).toBe(messageHex);
    expect(decode(abusiveMessage, hex(messageHex))).toEqual(message);
  });
});

describe("AbuseReport (protocol-06 s.5.9)", () => {
  it("lays out the users, the reason, the note, messages<V> and abuse_extensions", () => {
    // messages<V> of 6 + 100 + 8 = 114 bytes: two-byte varint 4072
    const expected = `${reportHead}4072${messageHex}00`;
    expect(bytesToHex(encode(abuseReport, report))).toBe(expected);
    expect(decode(abuseReport, hex(expected))).toEqual(report);
  });

  it("carries the reason code as an open uint8", () => {
    expect(decode(abuseType, hex("c8"))).toBe(200);
    expect(bytesToHex(encode(abuseType, AbuseType.unspecified))).toBe("00");
    // reason 2a, note "spam", no messages, no extensions
    const decoded = decode(abuseReport, hex(`${users}2a${wire`04 ${"spam"}`}0000`));
    expect(decoded.reasonCode).toBe(0x2a);
    expect(codecErrorOf(() => encode(abuseType, 256)).struct).toBe("AbuseType");
  });

  it("holds the note as UTF-8 text, and refuses invalid UTF-8", () => {
    const note = { ...report, note: "¡spam!", messages: [] };
    // note <V> of 7: U+00A1 is c2a1
    expect(bytesToHex(encode(abuseReport, note))).toBe(`${users}0007c2a17370616d210000`);
    const error = codecErrorOf(() => decode(abuseReport, hex(`${users}00 01 80 00 00`)));
    expect([error.struct, error.field, error.reason]).toEqual(["AbuseReport", "note", "invalid UTF-8"]);
  });
});
