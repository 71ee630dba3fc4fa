import { type Codec, struct, uint16, type ValueOf, varOpaque, vector } from "@mimi-ts/codec";
import { role } from "./roles.js";
import { type StructEntry, structEntry } from "./structEntry.js";

/** RFC 9420 s.5.3: `uint16 CredentialType`; any value decodes (the registry grows, see constants.CredentialType). */
const credentialType: Codec<number> = uint16;

/**
 * room-policy-03 s.4: which claim of which credential type. `id` is an X.509
 * OID's binary form, a JWT claim name or a CWT map key, so it stays bytes.
 */
export const claimId = struct("ClaimId", { credentialType, id: varOpaque() });
export type ClaimId = ValueOf<typeof claimId>;

/** room-policy-03 s.4: a claim and the exact value it must have. */
export const claim = struct("Claim", { claimId, claimValue: varOpaque() });
export type Claim = ValueOf<typeof claim>;

/**
 * room-policy-03 s.4: when every claim of the claimset matches, the requester
 * may take targetRole. `Role target_role` is a full Role struct, as written
 * (not a role index).
 */
export const preAuthRoleEntry = struct("PreAuthRoleEntry", { claimset: vector(claim), targetRole: role });
export type PreAuthRoleEntry = ValueOf<typeof preAuthRoleEntry>;

/**
 * room-policy-03 s.4: the data of the preauth_list component
 * (ComponentId.preauthList) and, with the same layout, PreAuthUpdate. Entries
 * are consulted in order; the first match wins.
 */
export const preAuthData = struct("PreAuthData", { preauthorizedEntries: vector(preAuthRoleEntry) });
export type PreAuthData = ValueOf<typeof preAuthData>;

export const preauthStructs: readonly StructEntry[] = [
  structEntry("ClaimId", claimId, "room-policy-03 s.4"),
  structEntry("Claim", claim, "room-policy-03 s.4"),
  structEntry("PreAuthRoleEntry", preAuthRoleEntry, "room-policy-03 s.4"),
  structEntry("PreAuthData", preAuthData, "room-policy-03 s.4"),
];
