import { type Codec, optional, struct, uint16, uint32, type ValueOf, varOpaque, vector } from "@mimi-ts/codec";
import { type StructEntry, structEntry } from "./structEntry.js";

/**
 * room-policy-03 s.10.2: the "MIMI Role Capabilities" registry, every value
 * of Table 1 (those marked reserved there are reserved names, s.8.7).
 * 0xF000-0xFFFF is for private use.
 */
export const RoleCapability = {
  canAddParticipant: 0x0000,
  canRemoveParticipant: 0x0001,
  canAddOwnClient: 0x0002,
  canRemoveOwnClient: 0x0003,
  canOpenJoin: 0x0004,
  canJoinIfPreauthorized: 0x0005,
  canRemoveSelf: 0x0006,
  /** reserved */
  canCreateJoinCode: 0x0007,
  /** reserved */
  canDeleteJoinCode: 0x0008,
  canUseJoinCode: 0x0009,
  canBan: 0x000a,
  canUnBan: 0x000b,
  canKick: 0x000c,
  /** reserved */
  canKnock: 0x000d,
  /** reserved */
  canAcceptKnock: 0x000e,
  canChangeUserRole: 0x000f,
  canChangeOwnRole: 0x0010,
  /** reserved */
  canCreateSubgroup: 0x0011,
  canSendMessage: 0x0100,
  canReceiveMessage: 0x0101,
  canCopyMessage: 0x0102,
  canReportAbuse: 0x0103,
  canReplyToMessage: 0x0104,
  canReactToMessage: 0x0105,
  canEditReaction: 0x0106,
  canDeleteOwnReaction: 0x0107,
  canDeleteOtherReaction: 0x0108,
  canEditOwnMessage: 0x0109,
  canDeleteOwnMessage: 0x010a,
  canDeleteOtherMessage: 0x010b,
  canStartTopic: 0x010c,
  canReplyInTopic: 0x010d,
  canEditOwnTopic: 0x010e,
  canEditOtherTopic: 0x010f,
  /** reserved */
  canSendDirectMessage: 0x0110,
  /** reserved */
  canTargetMessage: 0x0111,
  canUploadImage: 0x0200,
  canUploadAudio: 0x0201,
  canUploadVideo: 0x0202,
  canUploadAttachment: 0x0203,
  canDownloadImage: 0x0204,
  canDownloadAudio: 0x0205,
  canDownloadVideo: 0x0206,
  canDownloadAttachment: 0x0207,
  canSendLink: 0x0208,
  canSendLinkPreview: 0x0209,
  canFollowLink: 0x020a,
  canCopyLink: 0x020b,
  canChangeRoomName: 0x0300,
  canChangeRoomDescription: 0x0301,
  canChangeRoomAvatar: 0x0302,
  canChangeRoomSubject: 0x0303,
  canChangeRoomMood: 0x0304,
  /** reserved */
  canChangeOwnName: 0x0380,
  /** reserved */
  canChangeOwnPresence: 0x0381,
  /** reserved */
  canChangeOwnMood: 0x0382,
  /** reserved */
  canChangeOwnAvatar: 0x0383,
  canStartCall: 0x0400,
  canJoinCall: 0x0401,
  canSendAudio: 0x0402,
  canReceiveAudio: 0x0403,
  canSendVideo: 0x0404,
  canReceiveVideo: 0x0405,
  canShareScreen: 0x0406,
  canViewSharedScreen: 0x0407,
  /** reserved */
  canCreateRoom: 0x0500,
  canDestroyRoom: 0x0501,
  canChangeRoomMembershipStyle: 0x0502,
  canChangeRoleDefinitions: 0x0503,
  canChangePreauthorizedUserList: 0x0504,
  /** reserved */
  canChangeOtherPolicyAttribute: 0x0505,
  /** reserved */
  canChangeMlsOperationalPolicies: 0x0600,
  canSendMLSReinitProposal: 0x0601,
  /** reserved */
  canSendMLSUpdateProposal: 0x0602,
  /** reserved */
  canSendMLSPSKProposal: 0x0603,
  /** reserved */
  canSendMLSExternalProposal: 0x0604,
  /** reserved */
  canSendMLSExternalCommit: 0x0605,
} as const;

/** room-policy-03 s.10.2: the first value of the private use range. */
export const PRIVATE_USE_CAPABILITY_MIN = 0xf000;

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
