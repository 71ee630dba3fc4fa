import { decode, encode } from "@mimi-ts/codec";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { identifierUri, parseMimiUri } from "./identifiers.js";

describe("IdentifierUri (protocol-06 s.5.2)", () => {
  it("is struct { opaque uri<V>; }: a varint length then UTF-8", () => {
    const uri = "mimi://a.example/u/alice";
    expect(bytesToHex(encode(identifierUri, uri))).toBe(`18${bytesToHex(new TextEncoder().encode(uri))}`);
    expect(decode(identifierUri, encode(identifierUri, uri))).toBe(uri);
  });
});

describe("parseMimiUri", () => {
  it.each([
    ["mimi://a.example", "provider", "a.example", ""],
    ["mimi://A.Example/u/alice", "user", "a.example", "alice"],
    [
      "mimi://example.com/d/3b52249d-68f9-45ce-8bf5-c799f3cad7ec/0003",
      "device",
      "example.com",
      "3b52249d-68f9-45ce-8bf5-c799f3cad7ec/0003",
    ],
    ["mimi://hub.example/r/Rl33FWLCYWOwxHrYnpWDQg", "room", "hub.example", "Rl33FWLCYWOwxHrYnpWDQg"],
  ])("reads %s", (text, kind, domain, id) => {
    expect(parseMimiUri(text)).toMatchObject({ kind, domain, id });
  });

  it.each([
    "https://a.example/u/alice",
    "mimi://a.example/x/alice",
    "mimi://a.example/u/",
    "mimi://a.example/u/al/ice",
    "mimi://a.example:443/u/alice",
    "mimi://bob@a.example/u/alice",
    "mimi://a.example/u/alice?x=1",
    "mimi://a.example/d/bob/../1",
    "mimi://-a.example/u/alice",
  ])("refuses %s", (text) => {
    expect(parseMimiUri(text)).toBeUndefined();
  });
});
