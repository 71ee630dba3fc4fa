import {
  type BaseRoomPolicy,
  type PreAuthRoleEntry,
  type Role,
  RoleCapability,
  type RoomMetaData,
} from "@mimi-ts/protocol";
import { expect } from "vitest";
import { basicCredentialClaims, buildClientUri, userUriOfClient } from "../identity.js";
import type { AuthorizationResult, CapabilityName, RoomSnapshot } from "../policy.js";
import type { Actor, RoomChange, RoomOperation } from "../roomChange.js";

/** Users and clients of the policy tests, and small builders for rooms and changes. */

export const alice = "mimi://a.example/u/alice";
export const bob = "mimi://b.example/u/bob";
export const cathy = "mimi://c.example/u/cathy";
export const dave = "mimi://d.example/u/dave";
export const erin = "mimi://e.example/u/erin";
export const mallory = "mimi://m.example/u/mallory";

/** `client(bob, 2)` is mimi://b.example/d/bob/2. */
export function client(user: string, n: number): string {
  return buildClientUri(user, String(n));
}

function userOf(clientUri: string): string {
  const user = userUriOfClient(clientUri);
  if (user === undefined) throw new Error(`${clientUri} is not a client URI`);
  return user;
}

export function member(clientUri: string): Actor {
  return { kind: "member", clientUri, userUri: userOf(clientUri), claims: basicCredentialClaims(clientUri) };
}

export function newMember(clientUri: string): Actor {
  return { kind: "newMember", clientUri, userUri: userOf(clientUri), claims: basicCredentialClaims(clientUri) };
}

export function externalSender(uri: string): Actor {
  return { kind: "external", userUri: uri, claims: basicCredentialClaims(uri) };
}

export interface RoleOptions {
  readonly name?: string;
  readonly capabilities?: readonly CapabilityName[];
  readonly changes?: readonly (readonly [number, readonly number[]])[];
  readonly minParticipants?: number;
  readonly maxParticipants?: number;
  readonly minActive?: number;
  readonly maxActive?: number;
}

export function role(index: number, options: RoleOptions = {}): Role {
  return {
    roleIndex: index,
    roleName: new TextEncoder().encode(options.name ?? `role${index}`),
    roleDescription: new Uint8Array(0),
    roleCapabilities: (options.capabilities ?? []).map((capability) => RoleCapability[capability]),
    minimumParticipantsConstraint: options.minParticipants ?? 0,
    maximumParticipantsConstraint: options.maxParticipants,
    minimumActiveParticipantsConstraint: options.minActive ?? 0,
    maximumActiveParticipantsConstraint: options.maxActive,
    authorizedRoleChanges: (options.changes ?? []).map(([fromRoleIndex, targets]) => ({
      fromRoleIndex,
      targetRoleIndexes: [...targets],
    })),
  };
}

export const defaultBasePolicy: BaseRoomPolicy = {
  fixedMembership: false,
  parentDependent: false,
  parentRoom: [],
  multiDevice: true,
  maxClients: undefined,
  maxUsers: undefined,
  pseudonymsAllowed: false,
  persistentRoom: false,
  discoverable: false,
  policyComponentIds: [],
};

export const clubMetadata: RoomMetaData = {
  roomUri: "mimi://a.example/r/club",
  roomName: "Club",
  roomDescriptions: [],
  roomAvatar: "https://a.example/club.png",
  roomSubject: "",
  roomMood: "",
};

export interface RoomOptions {
  readonly roles: readonly Role[];
  readonly participants: readonly (readonly [string, number])[];
  readonly clients: readonly string[];
  readonly basePolicy?: Partial<BaseRoomPolicy>;
  readonly preauth?: readonly PreAuthRoleEntry[];
}

export function room(options: RoomOptions): RoomSnapshot {
  return {
    room: {
      participantList: { participants: options.participants.map(([user, roleIndex]) => ({ user, roleIndex })) },
      roomMetadata: clubMetadata,
      rolesList: { roles: [...options.roles] },
      ...(options.preauth === undefined ? {} : { preauthList: { preauthorizedEntries: [...options.preauth] } }),
      baseRoomPolicy: { ...defaultBasePolicy, ...options.basePolicy },
      otherComponents: [],
    },
    members: options.clients.map((clientUri) => ({ clientUri, userUri: userOf(clientUri) })),
  };
}

/**
 * The club: alice is its admin (role 3), bob and cathy ordinary users
 * (role 2); bob has two clients. Role 1 is "banned".
 */
export const ordinaryCapabilities: readonly CapabilityName[] = [
  "canAddOwnClient",
  "canRemoveOwnClient",
  "canRemoveSelf",
  "canSendMessage",
  "canChangeRoomSubject",
];
export const adminCapabilities: readonly CapabilityName[] = [
  "canAddParticipant",
  "canRemoveParticipant",
  "canAddOwnClient",
  "canRemoveOwnClient",
  "canRemoveSelf",
  "canKick",
  "canBan",
  "canUnBan",
  "canChangeUserRole",
  "canSendMessage",
  "canChangeRoomName",
  "canChangeRoomDescription",
  "canChangeRoomAvatar",
  "canChangeRoomSubject",
  "canChangeRoomMood",
  "canChangeRoleDefinitions",
  "canChangePreauthorizedUserList",
  "canChangeRoomMembershipStyle",
  "canSendMLSReinitProposal",
  "canChangeMlsOperationalPolicies",
  "canChangeOtherPolicyAttribute",
];

export interface ClubOptions {
  readonly ordinary?: RoleOptions;
  readonly admin?: RoleOptions;
  readonly noRole?: RoleOptions;
  readonly extraRoles?: readonly Role[];
  readonly participants?: readonly (readonly [string, number])[];
  readonly clients?: readonly string[];
  readonly basePolicy?: Partial<BaseRoomPolicy>;
  readonly preauth?: readonly PreAuthRoleEntry[];
  readonly bannedName?: string;
}

export function clubRoles(options: ClubOptions = {}): Role[] {
  return [
    role(0, { name: "no_role", maxActive: 0, ...options.noRole }),
    role(1, { name: options.bannedName ?? "banned", maxActive: 0 }),
    role(2, { name: "ordinary", capabilities: ordinaryCapabilities, changes: [[2, [0]]], ...options.ordinary }),
    role(3, {
      name: "admin",
      capabilities: adminCapabilities,
      changes: [
        [0, [2, 3]],
        [1, [0, 2]],
        [2, [0, 1, 3]],
        [3, [0, 1, 2]],
      ],
      ...options.admin,
    }),
    ...(options.extraRoles ?? []),
  ];
}

export function club(options: ClubOptions = {}): RoomSnapshot {
  return room({
    roles: clubRoles(options),
    participants: options.participants ?? [
      [alice, 3],
      [bob, 2],
      [cathy, 2],
    ],
    clients: options.clients ?? [client(alice, 1), client(bob, 1), client(bob, 2), client(cathy, 1)],
    ...(options.basePolicy === undefined ? {} : { basePolicy: options.basePolicy }),
    ...(options.preauth === undefined ? {} : { preauth: options.preauth }),
  });
}

/** The capabilities of the club's role minus some. */
export function except(capabilities: readonly CapabilityName[], ...removed: CapabilityName[]): CapabilityName[] {
  return capabilities.filter((capability) => !removed.includes(capability));
}

export function commit(sender: Actor, ...operations: RoomOperation[]): RoomChange {
  return { kind: "commit", sender, operations };
}

export function proposals(sender: Actor, ...operations: RoomOperation[]): RoomChange {
  return { kind: "proposals", sender, operations };
}

export function addClient(clientUri: string): RoomOperation {
  return { type: "addClient", clientUri, userUri: userOf(clientUri) };
}

export function removeClient(clientUri: string, proposer?: Actor): RoomOperation {
  const operation = { type: "removeClient", clientUri, userUri: userOf(clientUri) } as const;
  return proposer === undefined ? operation : { ...operation, proposer };
}

export interface ListChanges {
  readonly add?: readonly (readonly [string, number])[];
  readonly remove?: readonly number[];
  readonly roles?: readonly (readonly [number, number])[];
}

/** A participant list update by indexes into the list before it. */
export function listUpdate(changes: ListChanges, proposer?: Actor): RoomOperation {
  const update = {
    changedRoleParticipants: (changes.roles ?? []).map(([userIndex, roleIndex]) => ({ userIndex, roleIndex })),
    removedIndices: [...(changes.remove ?? [])],
    addedParticipants: (changes.add ?? []).map(([user, roleIndex]) => ({ user, roleIndex })),
  };
  return proposer === undefined
    ? { type: "participantListUpdate", update }
    : { type: "participantListUpdate", update, proposer };
}

/** The refusal codes of a result, sorted; [] when allowed. */
export function codes(result: AuthorizationResult): string[] {
  return result.ok ? [] : result.refusals.map((refusal) => refusal.code).sort();
}

/** The capabilities named by capability-missing refusals. */
export function missing(result: AuthorizationResult): string[] {
  return result.ok
    ? []
    : result.refusals.flatMap((refusal) => (refusal.capability === undefined ? [] : [refusal.capability]));
}

export function expectAllowed(result: AuthorizationResult): RoomSnapshot {
  if (!result.ok) expect.fail(`refused: ${result.refusals.map((refusal) => refusal.reason).join("; ")}`);
  return result.next;
}
