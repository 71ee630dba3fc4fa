import { decode, encode } from "@mimi-ts/codec";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import {
  type ParticipantListData,
  type ParticipantListUpdate,
  participantListData,
  participantListUpdate,
  userRolePair,
} from "./participantList.js";
import { codecErrorOf, hex, wire } from "./test-support/wire.js";

const alice = "mimi://a.example/u/alice"; // 24 bytes
const bob = "mimi://b.example/u/bob"; // 22 bytes
const cathy = "mimi://c.example/u/cathy"; // 24 bytes
const dave = "mimi://d.example/u/dave"; // 23 bytes

describe("UserRolePair (protocol-06 s.7.5)", () => {
  it("is opaque user<V> holding the user URI's UTF-8, then a uint32 role_index", () => {
    const expected = wire`18 ${alice} 00000002`;
    expect(bytesToHex(encode(userRolePair, { user: alice, roleIndex: 2 }))).toBe(expected);
    expect(decode(userRolePair, hex(expected))).toEqual({ user: alice, roleIndex: 2 });
  });

  it("refuses a user that is not UTF-8 text, hence no URI", () => {
    const error = codecErrorOf(() => decode(userRolePair, hex("02c328 00000002")));
    expect([error.struct, error.field, error.reason]).toEqual(["UserRolePair", "user", "invalid UTF-8"]);
  });
});

describe("ParticipantListData (protocol-06 s.7.5)", () => {
  const list: ParticipantListData = {
    participants: [
      { user: alice, roleIndex: 4 },
      { user: bob, roleIndex: 2 },
      { user: cathy, roleIndex: 2 },
    ],
  };
  // participants<V>: 29 + 27 + 29 = 85 bytes, a two-byte varint length (0x40 | 0, 85).
  const expected = wire`4055 18 ${alice} 00000004 16 ${bob} 00000002 18 ${cathy} 00000002`;

  it("is a vector of UserRolePair", () => {
    expect(bytesToHex(encode(participantListData, list))).toBe(expected);
    expect(decode(participantListData, hex(expected))).toEqual(list);
  });

  it("locates an error inside an entry", () => {
    // 30 bytes: alice's entry (29), then a second entry with an empty user and no room for its role_index.
    const error = codecErrorOf(() => decode(participantListData, hex(wire`1e 18 ${alice} 00000004 00`)));
    expect(error.struct).toBe("UserRolePair");
    expect(error.field).toBe("roleIndex");
    expect(error.path).toBe("participants[1].roleIndex");
  });

  it("refuses a truncated list", () => {
    const error = codecErrorOf(() => decode(participantListData, hex(expected.slice(0, -2))));
    expect(error.struct).toBe("ParticipantListData");
    expect(error.field).toBe("participants");
    expect(error.reason).toBe("length past the end");
  });
});

describe("ParticipantListUpdate (protocol-06 s.7.5)", () => {
  const update: ParticipantListUpdate = {
    changedRoleParticipants: [{ userIndex: 1, roleIndex: 3 }],
    removedIndices: [2],
    addedParticipants: [{ user: dave, roleIndex: 2 }],
  };
  const expected = wire`08 00000001 00000003  04 00000002  1c 17 ${dave} 00000002`;

  it("is role changes (uint32 pairs), then uint32 removedIndices<V>, then added pairs", () => {
    expect(bytesToHex(encode(participantListUpdate, update))).toBe(expected);
    expect(decode(participantListUpdate, hex(expected))).toEqual(update);
  });

  it("encodes an empty update as three empty vectors", () => {
    const empty = { changedRoleParticipants: [], removedIndices: [], addedParticipants: [] };
    expect(bytesToHex(encode(participantListUpdate, empty))).toBe("000000");
  });

  it("refuses removedIndices whose length is no whole number of uint32s", () => {
    const error = codecErrorOf(() => decode(participantListUpdate, hex("00 03 000000 00")));
    expect(error.struct).toBe("ParticipantListUpdate");
    expect(error.field).toBe("removedIndices[0]");
  });

  it("refuses a role change that names no role", () => {
    const error = codecErrorOf(() => decode(participantListUpdate, hex("04 00000001 00 00")));
    expect(error.struct).toBe("UserindexRolePair");
    expect(error.path).toBe("changedRoleParticipants[0].roleIndex");
  });
});
