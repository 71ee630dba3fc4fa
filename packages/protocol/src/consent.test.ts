import { decode, encode } from "@mimi-ts/codec";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { type ConsentEntry, ConsentOperation, consentEntry, consentScope } from "./consent.js";
import { mls } from "./test-support/mlsFixtures.js";
import { fixtureHex } from "./test-support/mlsWire.js";
import { codecErrorOf, hex, wire } from "./test-support/wire.js";

const alice = "mimi://a.example/u/alice";
const bob = "mimi://b.example/u/bob";
const room = "mimi://a.example/r/clubhouse";
// requesterUri <V> of 24, targetUri <V> of 22
const uris = wire`18 ${alice} 16 ${bob}`;
// optional<RoomId>: present (01), IdentifierUri <V> of 28
const inRoom = wire`01 1c ${room}`;
const noExtensions = { componentData: [] };

describe("ConsentEntry (protocol-06 s.5.7)", () => {
  it("writes a request as operation, the scope, then consent_extensions", () => {
    const value: ConsentEntry = {
      consentOperation: ConsentOperation.request,
      requesterUri: alice,
      targetUri: bob,
      roomId: room,
      consentExtensions: noExtensions,
    };
    // AppDataDictionary with no component_data: an empty <V>
    const expected = `01${uris}${inRoom}00`;
    expect(bytesToHex(encode(consentEntry, value))).toBe(expected);
    expect(decode(consentEntry, hex(expected))).toEqual(value);
  });

  it("puts a grant's KeyPackages between the scope and consent_extensions", () => {
    const value: ConsentEntry = {
      consentOperation: ConsentOperation.grant,
      requesterUri: alice,
      targetUri: bob,
      roomId: room,
      clientKeyPackages: [...mls.keyPackages], // alice's, then bob's
      consentExtensions: { componentData: [{ componentId: 0x8000, data: new Uint8Array([0xab]) }] },
    };
    // clientKeyPackages<V> of 348 + 342 = 690 bytes (0x2b2, two-byte varint 42b2);
    // consent_extensions: component_data<V> of 4: id 8000, data <V> of 1
    const expected = `02${uris}${inRoom}42b2${fixtureHex("keyPackageAlice")}${fixtureHex("keyPackageBob")}04800001ab`;
    expect(bytesToHex(encode(consentEntry, value))).toBe(expected);
    expect(decode(consentEntry, hex(expected))).toEqual(value);
  });

  it("writes an empty KeyPackage list for a grant but none for cancel or revoke", () => {
    const scope = { requesterUri: bob, targetUri: alice, roomId: undefined, consentExtensions: noExtensions };
    const grant: ConsentEntry = { consentOperation: ConsentOperation.grant, ...scope, clientKeyPackages: [] };
    const bobThenAlice = wire`16 ${bob} 18 ${alice}`;
    // roomId absent (00), clientKeyPackages<V> empty (00), consent_extensions empty (00)
    expect(bytesToHex(encode(consentEntry, grant))).toBe(`02${bobThenAlice}000000`);
    for (const consentOperation of [ConsentOperation.cancel, ConsentOperation.revoke]) {
      expect(bytesToHex(encode(consentEntry, { consentOperation, ...scope }))).toBe(
        `0${consentOperation}${bobThenAlice}0000`,
      );
    }
    const error = codecErrorOf(() => decode(consentEntry, hex(`03${bobThenAlice}000000`)));
    expect(error.reason).toBe("1 trailing byte");
  });

  it("refuses an unknown operation and a bad presence octet for roomId", () => {
    const operation = codecErrorOf(() => decode(consentEntry, hex(`04${uris}0000`)));
    expect([operation.struct, operation.field, operation.reason]).toEqual([
      "ConsentEntry",
      "consentOperation",
      "unknown ConsentOperation value 4",
    ]);
    const presence = codecErrorOf(() => decode(consentEntry, hex(`01${uris}0200`)));
    expect([presence.struct, presence.field]).toEqual(["ConsentEntry", "roomId"]);
  });
});

describe("ConsentScope (protocol-06 s.5.7)", () => {
  it("is the requester, the target and an optional room", () => {
    expect(bytesToHex(encode(consentScope, { requesterUri: alice, targetUri: bob, roomId: room }))).toBe(
      `${uris}${inRoom}`,
    );
    expect(decode(consentScope, hex(`${uris}00`))).toEqual({ requesterUri: alice, targetUri: bob, roomId: undefined });
  });
});
