import { type Codec, optional, struct, uint16, uint32, type ValueOf, varOpaque, vector } from "@mimi-ts/codec";
import { type StructEntry, structEntry } from "./structEntry.js";

/**
 * room-policy-03 s.3: `uint16 CapabilityType`, a value of the registry. Not
 * an enumeration: the registry grows and 0xF000-0xFFFF is private use, so any
 * uint16 decodes.
 */
export const capabilityType: Codec<number> = uint16;
export type CapabilityType = ValueOf<typeof capabilityType>;

/** room-policy-03 s.3: the roles a participant of role fromRoleIndex may be moved to. */
export const singleSourceRoleChangeTargets = struct("SingleSourceRoleChangeTargets", {
  fromRoleIndex: uint32,
  targetRoleIndexes: vector(uint32),
});
export type SingleSourceRoleChangeTargets = ValueOf<typeof singleSourceRoleChangeTargets>;

/**
 * room-policy-03 s.3. `optional uint32 x` reads `optional<uint32> x`
 * (RFC 9420 s.2.1.1): absent means no maximum. roleName and roleDescription
 * are `opaque` and the draft states no encoding, so they stay bytes.
 */
export const role = struct("Role", {
  roleIndex: uint32,
  roleName: varOpaque(),
  roleDescription: varOpaque(),
  roleCapabilities: vector(capabilityType),
  minimumParticipantsConstraint: uint32,
  maximumParticipantsConstraint: optional(uint32),
  minimumActiveParticipantsConstraint: uint32,
  maximumActiveParticipantsConstraint: optional(uint32),
  authorizedRoleChanges: vector(singleSourceRoleChangeTargets),
});
export type Role = ValueOf<typeof role>;

/**
 * room-policy-03 s.3: the data of the roles_list component
 * (ComponentId.rolesList) and, with the same layout, RoleUpdate, the update
 * field of its AppDataUpdate.
 */
export const roleData = struct("RoleData", { roles: vector(role) });
export type RoleData = ValueOf<typeof roleData>;

export const rolesStructs: readonly StructEntry[] = [
  structEntry("CapabilityType", capabilityType, "room-policy-03 s.3"),
  structEntry("SingleSourceRoleChangeTargets", singleSourceRoleChangeTargets, "room-policy-03 s.3"),
  structEntry("Role", role, "room-policy-03 s.3"),
  structEntry("RoleData", roleData, "room-policy-03 s.3"),
];
