import { encode } from "@mimi-ts/codec";
import {
  type AppDataUpdate,
  AppDataUpdateOperation,
  type BaseRoomPolicy,
  ComponentId,
  type ParticipantListUpdate,
  type PreAuthData,
  participantListUpdate,
  type RichDescription,
  type Role,
  RoleCapability,
  type RoleData,
  type RoomMetaData,
  roomMetaUpdate,
  type UserRolePair,
} from "@mimi-ts/protocol";
import type { CapabilityName } from "./policy.js";
import type { RoomState } from "./roomState.js";

/** The role indexes of room-policy-03 Appendix A.1 and A.2. */
export const PresetRoleIndex = {
  noRole: 0,
  banned: 1,
  ordinaryUser: 2,
  groupAdmin: 3,
  superAdmin: 4,
  policyEnforcer: 5,
} as const;

const utf8Encoder = new TextEncoder();

interface RoleSpec {
  readonly index: number;
  readonly name: string;
  readonly capabilities: readonly CapabilityName[];
  readonly minParticipants?: number;
  readonly maxParticipants?: number;
  readonly maxActive?: number;
  readonly changes: readonly (readonly [number, readonly number[]])[];
}

function role(spec: RoleSpec): Role {
  return {
    roleIndex: spec.index,
    roleName: utf8Encoder.encode(spec.name),
    roleDescription: new Uint8Array(0),
    roleCapabilities: spec.capabilities.map((capability) => RoleCapability[capability]),
    minimumParticipantsConstraint: spec.minParticipants ?? 0,
    maximumParticipantsConstraint: spec.maxParticipants,
    minimumActiveParticipantsConstraint: 0,
    maximumActiveParticipantsConstraint: spec.maxActive,
    authorizedRoleChanges: spec.changes.map(([fromRoleIndex, targets]) => ({
      fromRoleIndex,
      targetRoleIndexes: [...targets],
    })),
  };
}

/** Capabilities both appendices give an ordinary user, in A.1's order. */
const participantCapabilities = [
  "canSendMessage",
  "canReceiveMessage",
  "canCopyMessage",
  "canReportAbuse",
] as const satisfies readonly CapabilityName[];

const assetAndLinkCapabilities = [
  "canUploadImage",
  "canUploadVideo",
  "canUploadAudio",
  "canUploadAttachment",
  "canDownloadImage",
  "canDownloadVideo",
  "canDownloadAudio",
  "canDownloadAttachment",
  "canSendLink",
  "canSendLinkPreview",
  "canFollowLink",
  "canCopyLink",
] as const satisfies readonly CapabilityName[];

const ownProfileCapabilities = [
  "canChangeOwnName",
  "canChangeOwnPresence",
  "canChangeOwnMood",
  "canChangeOwnAvatar",
] as const satisfies readonly CapabilityName[];

const adminRoleChanges = [
  [0, [1, 2, 3]],
  [1, [0, 2, 3]],
  [2, [0, 1, 3]],
  [3, [0, 1, 2]],
] as const;
const superAdminRoleChanges = [
  [0, [1, 2, 3, 4]],
  [1, [0, 2, 3, 4]],
  [2, [0, 1, 3, 4]],
  [3, [0, 1, 2, 4]],
  [4, [0, 1, 2, 3]],
] as const;

const bannedRole: RoleSpec = { index: 1, name: "banned", capabilities: [], maxActive: 0, changes: [] };

/** The same in A.1 and A.2. "Notes: can remove a banned user from the list (cleanup) but not restore them." */
const policyEnforcerRole: RoleSpec = {
  index: 5,
  name: "policy_enforcer",
  capabilities: [
    "canRemoveParticipant",
    "canChangeUserRole",
    "canBan",
    "canUnBan",
    "canChangeRoleDefinitions",
    "canChangePreauthorizedUserList",
    "canChangeMlsOperationalPolicies",
    "canDestroyRoom",
    "canSendMLSReinitProposal",
  ],
  minParticipants: 1,
  maxParticipants: 2,
  maxActive: 0,
  changes: [
    [0, [1]],
    [1, [0]],
    [2, [0, 1]],
    [3, [0, 1]],
    [4, [0, 1]],
  ],
};

/**
 * room-policy-03 Appendix A.1, "Cooperatively administered room": every
 * ordinary user adds and removes participants. canRevokeVoice and
 * canGrantVoice, listed for group_admin there, are not in the capability
 * registry (s.10.2) and are left out.
 */
export function cooperativelyAdministeredRoles(): RoleData {
  const ordinary = [
    "canAddParticipant",
    "canRemoveParticipant",
    "canAddOwnClient",
    "canRemoveOwnClient",
    "canRemoveSelf",
    ...participantCapabilities,
    "canReplyToMessage",
    "canReactToMessage",
    "canDeleteOwnReaction",
    "canEditOwnMessage",
    "canDeleteOwnMessage",
    "canStartTopic",
    "canReplyInTopic",
    "canEditOwnTopic",
    ...assetAndLinkCapabilities,
    "canChangeRoomName",
    "canChangeRoomAvatar",
    "canChangeRoomSubject",
    "canChangeRoomMood",
    ...ownProfileCapabilities,
  ] as const satisfies readonly CapabilityName[];
  const admin = [
    ...ordinary,
    "canBan",
    "canUnBan",
    "canKick",
    "canChangeUserRole",
    "canDeleteOtherMessage",
    "canEditOtherTopic",
    "canChangeRoomDescription",
  ] as const satisfies readonly CapabilityName[];
  return presetRoles({
    noRole: { capabilities: [], changes: [] },
    ordinary,
    admin,
    superAdmin: [...admin, "canChangeRoomMembershipStyle", "canChangePreauthorizedUserList", "canDestroyRoom"],
  });
}

/**
 * room-policy-03 Appendix A.2, "Strictly administered room": only admins add
 * and remove participants; ordinary users join when preauthorized and may
 * take the role their preauthorization gives.
 */
export function strictlyAdministeredRoles(): RoleData {
  const ordinary = [
    "canAddOwnClient",
    "canJoinIfPreauthorized",
    "canRemoveOwnClient",
    "canRemoveSelf",
    "canChangeOwnRole",
    ...participantCapabilities,
    "canReactToMessage",
    "canDeleteOwnReaction",
    "canEditOwnMessage",
    "canDeleteOwnMessage",
    "canStartTopic",
    "canReplyInTopic",
    ...assetAndLinkCapabilities,
    ...ownProfileCapabilities,
  ] as const satisfies readonly CapabilityName[];
  const admin = [
    ...ordinary,
    "canAddParticipant",
    "canRemoveParticipant",
    "canBan",
    "canUnBan",
    "canKick",
    "canChangeUserRole",
    "canCreateJoinCode",
    "canDeleteJoinCode",
    "canDeleteOtherReaction",
    "canDeleteOtherMessage",
    "canEditOwnTopic",
    "canEditOtherTopic",
    "canChangeRoomDescription",
    "canChangeRoomName",
    "canChangeRoomAvatar",
    "canChangeRoomSubject",
    "canChangeRoomMood",
  ] as const satisfies readonly CapabilityName[];
  return presetRoles({
    noRole: { capabilities: ["canUseJoinCode"], changes: [[0, [2]]] },
    ordinary,
    admin,
    superAdmin: [
      ...admin,
      "canChangeRoomMembershipStyle",
      "canChangeRoleDefinitions",
      "canChangePreauthorizedUserList",
      "canDestroyRoom",
      "canSendMLSReinitProposal",
    ],
  });
}

/**
 * The six roles both presets share in layout (room-policy-03 Appendix A.1,
 * A.2): no_role, banned, ordinary_user, group_admin, super_admin and
 * policy_enforcer; the presets differ in capabilities and in what no_role may do.
 */
function presetRoles(preset: {
  readonly noRole: Pick<RoleSpec, "capabilities" | "changes">;
  readonly ordinary: readonly CapabilityName[];
  readonly admin: readonly CapabilityName[];
  readonly superAdmin: readonly CapabilityName[];
}): RoleData {
  return {
    roles: [
      role({ index: 0, name: "no_role", maxActive: 0, ...preset.noRole }),
      role(bannedRole),
      role({
        index: 2,
        name: "ordinary_user",
        capabilities: preset.ordinary,
        changes: [
          [0, [2]],
          [2, [0]],
        ],
      }),
      role({
        index: 3,
        name: "group_admin",
        capabilities: preset.admin,
        minParticipants: 1,
        changes: adminRoleChanges,
      }),
      role({ index: 4, name: "super_admin", capabilities: preset.superAdmin, changes: superAdminRoleChanges }),
      role(policyEnforcerRole),
    ],
  };
}

export interface NewRoomOptions {
  /** the room's URI, `mimi://<hub>/r/<room>` */
  readonly roomUri: string;
  /** the creating user's URI and role (with the presets, PresetRoleIndex.superAdmin) */
  readonly creator: UserRolePair;
  readonly roles: RoleData;
  /** other participants from the start (a fixed-membership room's, or the Hub as policy enforcer) */
  readonly participants?: readonly UserRolePair[];
  readonly name?: string;
  readonly descriptions?: readonly RichDescription[];
  readonly avatar?: string;
  readonly subject?: string;
  readonly mood?: string;
  readonly preauth?: PreAuthData;
  /** fields replacing the defaults: multi_device true (room-policy-03 s.5's default), every other flag false, no limits */
  readonly basePolicy?: Partial<BaseRoomPolicy>;
}

/**
 * The initial state of a room its creator writes into the group's first
 * GroupContext (with roomState.roomComponents): participant list, metadata,
 * roles, preauthorization when given, and base policy listing those policy
 * components (room-policy-03 s.5). Throws RangeError when a participant
 * appears twice or has a role the roles do not define, or role 0.
 */
export function newRoomState(options: NewRoomOptions): RoomState {
  const participants = [options.creator, ...(options.participants ?? [])].map(({ user, roleIndex }) => ({
    user,
    roleIndex,
  }));
  const defined = new Set(options.roles.roles.map((entry) => entry.roleIndex));
  const seen = new Set<string>();
  for (const { user, roleIndex } of participants) {
    if (seen.has(user)) throw new RangeError(`${user} appears twice among the participants`);
    if (roleIndex === 0 || !defined.has(roleIndex)) {
      throw new RangeError(`${user} cannot have role ${roleIndex}: not a defined non-zero role`);
    }
    seen.add(user);
  }
  const policyComponentIds = [
    ComponentId.rolesList,
    ...(options.preauth === undefined ? [] : [ComponentId.preauthList]),
  ];
  const baseRoomPolicy: BaseRoomPolicy = {
    fixedMembership: false,
    parentDependent: false,
    parentRoom: [],
    multiDevice: true,
    maxClients: undefined,
    maxUsers: undefined,
    pseudonymsAllowed: false,
    persistentRoom: false,
    discoverable: false,
    policyComponentIds,
    ...options.basePolicy,
  };
  return {
    participantList: { participants },
    roomMetadata: {
      roomUri: options.roomUri,
      roomName: options.name ?? "",
      roomDescriptions: [...(options.descriptions ?? [])],
      roomAvatar: options.avatar ?? "",
      roomSubject: options.subject ?? "",
      roomMood: options.mood ?? "",
    },
    rolesList: options.roles,
    ...(options.preauth === undefined ? {} : { preauthList: options.preauth }),
    baseRoomPolicy,
    otherComponents: [],
  };
}

/** The AppDataUpdate carrying a ParticipantListUpdate (protocol-06 s.7.5). */
export function participantListAppDataUpdate(update: ParticipantListUpdate): AppDataUpdate {
  return {
    componentId: ComponentId.participantList,
    change: { op: AppDataUpdateOperation.update, update: encode(participantListUpdate, update) },
  };
}

function indexOfUser(state: RoomState, user: string): number {
  const index = state.participantList?.participants.findIndex((entry) => entry.user === user) ?? -1;
  if (index < 0) throw new RangeError(`${user} is not in the participant list`);
  return index;
}

/** Adds users with their roles (their clients go in the same commit's Add proposals). */
export function addUsersUpdate(users: readonly UserRolePair[]): AppDataUpdate {
  return participantListAppDataUpdate({
    changedRoleParticipants: [],
    removedIndices: [],
    addedParticipants: users.map(({ user, roleIndex }) => ({ user, roleIndex })),
  });
}

/**
 * Removes users from the list (their clients go in the same commit's Remove
 * proposals). Throws RangeError for a user not in the list.
 */
export function removeUsersUpdate(state: RoomState, users: readonly string[]): AppDataUpdate {
  return participantListAppDataUpdate({
    changedRoleParticipants: [],
    removedIndices: users.map((user) => indexOfUser(state, user)),
    addedParticipants: [],
  });
}

/**
 * Gives users new roles (banning is role 1, room-policy-03 s.8.1.3). Throws
 * RangeError for a user not in the list.
 */
export function changeRolesUpdate(state: RoomState, changes: readonly UserRolePair[]): AppDataUpdate {
  return participantListAppDataUpdate({
    changedRoleParticipants: changes.map(({ user, roleIndex }) => ({ userIndex: indexOfUser(state, user), roleIndex })),
    removedIndices: [],
    addedParticipants: [],
  });
}

/** The metadata fields a participant may change (room-policy-03 s.8.2); the room URI stays. */
export type MetadataChanges = Partial<Omit<RoomMetaData, "roomUri">>;

/**
 * The RoomMetaUpdate (protocol-06 s.7.6) replacing the room's metadata with
 * `changes` applied. Throws RangeError when the room has no metadata yet.
 */
export function metadataUpdate(state: RoomState, changes: MetadataChanges): AppDataUpdate {
  const current = state.roomMetadata;
  if (current === undefined) throw new RangeError("the room has no metadata to change");
  return {
    componentId: ComponentId.roomMetadata,
    change: { op: AppDataUpdateOperation.update, update: encode(roomMetaUpdate, { ...current, ...changes }) },
  };
}
