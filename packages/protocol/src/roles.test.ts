import { decode, encode } from "@mimi-ts/codec";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { RoleCapability } from "./constants.js";
import { capabilityType, type Role, role, roleData, singleSourceRoleChangeTargets } from "./roles.js";
import { codecErrorOf, hex, wire } from "./test-support/wire.js";

const text = (value: string) => new TextEncoder().encode(value);

/** room-policy-03 Appendix A.1's no_role. */
const noRole: Role = {
  roleIndex: 0,
  roleName: text("no_role"),
  roleDescription: new Uint8Array(),
  roleCapabilities: [],
  minimumParticipantsConstraint: 0,
  maximumParticipantsConstraint: undefined,
  minimumActiveParticipantsConstraint: 0,
  maximumActiveParticipantsConstraint: 0,
  authorizedRoleChanges: [],
};
// role_index, role_name<V>, role_description<V>, role_capabilities<V>, min, optional max (absent),
// min active, optional max active (present, 0), authorized_role_changes<V>: 29 bytes.
const noRoleBytes = wire`00000000 07 ${"no_role"} 00 00 00000000 00 00000000 01 00000000 00`;

describe("RoleCapability (room-policy-03 s.10.2)", () => {
  it("gives every capability its own uint16 value", () => {
    const values = Object.values(RoleCapability);
    expect(new Set(values).size).toBe(values.length);
    expect(values.every((value) => Number.isInteger(value) && value >= 0 && value < 0xf000)).toBe(true);
  });
});

describe("CapabilityType (room-policy-03 s.3)", () => {
  it("is a uint16 that decodes values outside the registry, private use included", () => {
    expect(bytesToHex(encode(capabilityType, RoleCapability.canSendMLSReinitProposal))).toBe("0601");
    expect(decode(capabilityType, hex("f000"))).toBe(0xf000);
    expect(decode(capabilityType, hex("ffff"))).toBe(0xffff);
    expect(decode(capabilityType, hex("0999"))).toBe(0x0999);
  });
});

describe("SingleSourceRoleChangeTargets (room-policy-03 s.3)", () => {
  it("is a uint32 role index, then uint32 target indexes<V>", () => {
    const changes = { fromRoleIndex: 2, targetRoleIndexes: [0, 1, 3] };
    const expected = wire`00000002 0c 00000000 00000001 00000003`;
    expect(bytesToHex(encode(singleSourceRoleChangeTargets, changes))).toBe(expected);
    expect(decode(singleSourceRoleChangeTargets, hex(expected))).toEqual(changes);
  });
});

describe("Role (room-policy-03 s.3)", () => {
  it("reads `optional uint32` as optional<uint32>: 00 when absent, 01 and the uint32 when present", () => {
    expect(bytesToHex(encode(role, noRole))).toBe(noRoleBytes);
    expect(decode(role, hex(noRoleBytes))).toEqual(noRole);
  });

  it("lays out capabilities as uint16s and role changes as SingleSourceRoleChangeTargets", () => {
    const member: Role = {
      roleIndex: 2,
      roleName: text("member"),
      roleDescription: new Uint8Array(),
      roleCapabilities: [RoleCapability.canSendMessage, RoleCapability.canReceiveMessage, 0xf001],
      minimumParticipantsConstraint: 0,
      maximumParticipantsConstraint: 50,
      minimumActiveParticipantsConstraint: 0,
      maximumActiveParticipantsConstraint: undefined,
      authorizedRoleChanges: [
        { fromRoleIndex: 0, targetRoleIndexes: [2] },
        { fromRoleIndex: 2, targetRoleIndexes: [0] },
      ],
    };
    const expected = wire`
      00000002 06 ${"member"} 00
      06 0100 0101 f001
      00000000 01 00000032 00000000 00
      12 00000000 04 00000002 00000002 04 00000000`;
    expect(bytesToHex(encode(role, member))).toBe(expected);
    expect(decode(role, hex(expected))).toEqual(member);
  });

  it("refuses a presence octet other than 0 or 1", () => {
    const bad = wire`00000000 07 ${"no_role"} 00 00 00000000 02 00000000 01 00000000 00`;
    const error = codecErrorOf(() => decode(role, hex(bad)));
    expect([error.struct, error.field, error.reason]).toEqual([
      "Role",
      "maximumParticipantsConstraint",
      "presence octet must be 0 or 1, found 2",
    ]);
  });

  it("refuses capabilities that are no whole number of uint16s", () => {
    const bad = wire`00000000 00 00 03 0100 01 00000000 00 00000000 00 00`;
    const error = codecErrorOf(() => decode(role, hex(bad)));
    expect([error.struct, error.field]).toEqual(["Role", "roleCapabilities[1]"]);
  });

  it("refuses a truncated role", () => {
    const error = codecErrorOf(() => decode(role, hex(noRoleBytes.slice(0, -4))));
    expect([error.struct, error.field, error.reason]).toEqual([
      "Role",
      "maximumActiveParticipantsConstraint",
      "unexpected end of input",
    ]);
  });
});

describe("RoleData (room-policy-03 s.3)", () => {
  it("is a vector of Role", () => {
    const expected = `1d${noRoleBytes}`;
    expect(bytesToHex(encode(roleData, { roles: [noRole] }))).toBe(expected);
    expect(decode(roleData, hex(expected))).toEqual({ roles: [noRole] });
  });

  it("locates an error in its n-th role", () => {
    // two roles of 29 bytes; the second's maximum_active_participants_constraint has presence octet 02
    const badSecond = `${noRoleBytes.slice(0, -12)}${wire`02 00000000 00`}`;
    const bad = `3a${noRoleBytes}${badSecond}`;
    const error = codecErrorOf(() => decode(roleData, hex(bad)));
    expect([error.struct, error.field]).toEqual(["Role", "maximumActiveParticipantsConstraint"]);
    expect(error.path).toBe("roles[1].maximumActiveParticipantsConstraint");
  });
});
