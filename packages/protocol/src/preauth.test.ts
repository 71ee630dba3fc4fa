import { decode, encode } from "@mimi-ts/codec";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { CredentialType } from "./constants.js";
import { claim, claimId, type PreAuthData, type PreAuthRoleEntry, preAuthData, preAuthRoleEntry } from "./preauth.js";
import type { Role } from "./roles.js";
import { codecErrorOf, hex, wire } from "./test-support/wire.js";

/** X.509 organizationalUnitName, OID 2.5.4.11, in its DER content bytes. */
const organizationalUnit = hex("55 04 0b");

const hrRole: Role = {
  roleIndex: 5,
  roleName: new TextEncoder().encode("hr"),
  roleDescription: new Uint8Array(),
  roleCapabilities: [],
  minimumParticipantsConstraint: 0,
  maximumParticipantsConstraint: undefined,
  minimumActiveParticipantsConstraint: 0,
  maximumActiveParticipantsConstraint: undefined,
  authorizedRoleChanges: [],
};
const hrRoleBytes = wire`00000005 02 ${"hr"} 00 00 00000000 00 00000000 00 00`; // 20 bytes

describe("ClaimId (room-policy-03 s.4)", () => {
  it("is a uint16 credential type, then opaque id<V>", () => {
    const value = { credentialType: CredentialType.x509, id: organizationalUnit };
    expect(bytesToHex(encode(claimId, value))).toBe(wire`0002 03 55040b`);
    expect(decode(claimId, hex("0002 03 55040b"))).toEqual(value);
  });

  it("decodes credential types it does not know", () => {
    expect(decode(claimId, hex("f0a1 00"))).toEqual({ credentialType: 0xf0a1, id: new Uint8Array() });
  });
});

describe("Claim (room-policy-03 s.4)", () => {
  it("is a ClaimId, then opaque claim_value<V>", () => {
    const value = {
      claimId: { credentialType: CredentialType.x509, id: organizationalUnit },
      claimValue: new TextEncoder().encode("HR"),
    };
    expect(bytesToHex(encode(claim, value))).toBe(wire`0002 03 55040b 02 4852`);
  });

  it("refuses a claim value cut short", () => {
    const error = codecErrorOf(() => decode(claim, hex("0002 03 55040b 02 48")));
    expect([error.struct, error.field, error.reason]).toEqual(["Claim", "claimValue", "length past the end"]);
  });
});

describe("PreAuthRoleEntry and PreAuthData (room-policy-03 s.4)", () => {
  const entry: PreAuthRoleEntry = {
    claimset: [
      {
        claimId: { credentialType: CredentialType.x509, id: organizationalUnit },
        claimValue: new TextEncoder().encode("HR"),
      },
    ],
    targetRole: hrRole,
  };
  const data: PreAuthData = { preauthorizedEntries: [entry] };
  const entryBytes = `${wire`09 0002 03 55040b 02 4852`}${hrRoleBytes}`; // 10 + 20 bytes

  it("keeps target_role a full Role struct, as written", () => {
    expect(bytesToHex(encode(preAuthRoleEntry, entry))).toBe(entryBytes);
    expect(decode(preAuthRoleEntry, hex(entryBytes))).toEqual(entry);
  });

  it("is a vector of PreAuthRoleEntry", () => {
    const expected = `1e${entryBytes}`;
    expect(bytesToHex(encode(preAuthData, data))).toBe(expected);
    expect(decode(preAuthData, hex(expected))).toEqual(data);
  });

  it("locates an error inside the target role", () => {
    const bad = `1e${entryBytes.slice(0, -4)}0200`; // role's max active participants: presence octet 02
    const error = codecErrorOf(() => decode(preAuthData, hex(bad)));
    expect([error.struct, error.field]).toEqual(["Role", "maximumActiveParticipantsConstraint"]);
    expect(error.path).toBe("preauthorizedEntries[0].targetRole.maximumActiveParticipantsConstraint");
  });

  it("refuses an entry without its target role", () => {
    const error = codecErrorOf(() => decode(preAuthData, hex(wire`0a 09 0002 03 55040b 02 4852`)));
    expect([error.struct, error.field]).toEqual(["Role", "roleIndex"]);
    expect(error.path).toBe("preauthorizedEntries[0].targetRole.roleIndex");
  });
});
