import { decode } from "@mimi-ts/codec";
import {
  type AppDataUpdate,
  AppDataUpdateOperation,
  ComponentId,
  participantListUpdate,
  type Role,
  RoleCapability,
  type RoleData,
  roomMetaUpdate,
} from "@mimi-ts/protocol";
import { describe, expect, it } from "vitest";
import { basicCredentialClaim } from "./identity.js";
import { authorize, type RoomSnapshot } from "./policy.js";
import {
  addUsersUpdate,
  changeRolesUpdate,
  cooperativelyAdministeredRoles,
  metadataUpdate,
  newRoomState,
  PresetRoleIndex,
  removeUsersUpdate,
  strictlyAdministeredRoles,
} from "./roomBuilder.js";
import { describeAppDataUpdate, type RoomOperation } from "./roomChange.js";
import { readRoomState, roomComponents } from "./roomState.js";
import {
  addClient,
  alice,
  bob,
  cathy,
  client,
  codes,
  commit,
  dave,
  expectAllowed,
  member,
  missing,
  newMember,
  removeClient,
} from "./test-support/roomFixtures.js";

const nameOf = new Map<number, string>(Object.entries(RoleCapability).map(([name, value]) => [value, name]));

/** A role as room-policy-03 Appendix A writes it. */
function summary(role: Role) {
  return {
    index: role.roleIndex,
    name: new TextDecoder().decode(role.roleName),
    capabilities: role.roleCapabilities.map((value) => nameOf.get(value)).sort(),
    constraints: [
      role.minimumParticipantsConstraint,
      role.maximumParticipantsConstraint ?? null,
      role.minimumActiveParticipantsConstraint,
      role.maximumActiveParticipantsConstraint ?? null,
    ],
    changes: role.authorizedRoleChanges.map((entry) => [entry.fromRoleIndex, entry.targetRoleIndexes]),
  };
}

const sorted = (names: string[]) => [...names].sort();

// Appendix A.1's lists, as the draft writes them (canRevokeVoice and canGrantVoice are not in the registry).
const a1Ordinary = [
  "canAddParticipant",
  "canRemoveParticipant",
  "canAddOwnClient",
  "canRemoveOwnClient",
  "canRemoveSelf",
  "canSendMessage",
  "canReceiveMessage",
  "canCopyMessage",
  "canReportAbuse",
  "canReplyToMessage",
  "canReactToMessage",
  "canDeleteOwnReaction",
  "canEditOwnMessage",
  "canDeleteOwnMessage",
  "canStartTopic",
  "canReplyInTopic",
  "canEditOwnTopic",
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
  "canChangeRoomName",
  "canChangeRoomAvatar",
  "canChangeRoomSubject",
  "canChangeRoomMood",
  "canChangeOwnName",
  "canChangeOwnPresence",
  "canChangeOwnMood",
  "canChangeOwnAvatar",
];
const a1Admin = [
  ...a1Ordinary,
  "canBan",
  "canUnBan",
  "canKick",
  "canChangeUserRole",
  "canDeleteOtherMessage",
  "canEditOtherTopic",
  "canChangeRoomDescription",
];
const policyEnforcer = {
  index: 5,
  name: "policy_enforcer",
  capabilities: sorted([
    "canRemoveParticipant",
    "canChangeUserRole",
    "canBan",
    "canUnBan",
    "canChangeRoleDefinitions",
    "canChangePreauthorizedUserList",
    "canChangeMlsOperationalPolicies",
    "canDestroyRoom",
    "canSendMLSReinitProposal",
  ]),
  constraints: [1, 2, 0, 0],
  changes: [
    [0, [1]],
    [1, [0]],
    [2, [0, 1]],
    [3, [0, 1]],
    [4, [0, 1]],
  ],
};
const banned = { index: 1, name: "banned", capabilities: [], constraints: [0, null, 0, 0], changes: [] };
const adminChanges = [
  [0, [1, 2, 3]],
  [1, [0, 2, 3]],
  [2, [0, 1, 3]],
  [3, [0, 1, 2]],
];
const superAdminChanges = [
  [0, [1, 2, 3, 4]],
  [1, [0, 2, 3, 4]],
  [2, [0, 1, 3, 4]],
  [3, [0, 1, 2, 4]],
  [4, [0, 1, 2, 3]],
];

describe("role presets (room-policy-03 Appendix A)", () => {
  it("A.1 Cooperatively administered room", () => {
    expect(cooperativelyAdministeredRoles().roles.map(summary)).toEqual([
      { index: 0, name: "no_role", capabilities: [], constraints: [0, null, 0, 0], changes: [] },
      banned,
      {
        index: 2,
        name: "ordinary_user",
        capabilities: sorted(a1Ordinary),
        constraints: [0, null, 0, null],
        changes: [
          [0, [2]],
          [2, [0]],
        ],
      },
      {
        index: 3,
        name: "group_admin",
        capabilities: sorted(a1Admin),
        constraints: [1, null, 0, null],
        changes: adminChanges,
      },
      {
        index: 4,
        name: "super_admin",
        capabilities: sorted([
          ...a1Admin,
          "canChangeRoomMembershipStyle",
          "canChangePreauthorizedUserList",
          "canDestroyRoom",
        ]),
        constraints: [0, null, 0, null],
        changes: superAdminChanges,
      },
      policyEnforcer,
    ]);
  });

  it("A.2 Strictly administered room", () => {
    const ordinary = [
      "canAddOwnClient",
      "canJoinIfPreauthorized",
      "canRemoveOwnClient",
      "canRemoveSelf",
      "canChangeOwnRole",
      "canSendMessage",
      "canReceiveMessage",
      "canCopyMessage",
      "canReportAbuse",
      "canReactToMessage",
      "canDeleteOwnReaction",
      "canEditOwnMessage",
      "canDeleteOwnMessage",
      "canStartTopic",
      "canReplyInTopic",
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
      "canChangeOwnName",
      "canChangeOwnPresence",
      "canChangeOwnMood",
      "canChangeOwnAvatar",
    ];
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
    ];
    expect(strictlyAdministeredRoles().roles.map(summary)).toEqual([
      {
        index: 0,
        name: "no_role",
        capabilities: ["canUseJoinCode"],
        constraints: [0, null, 0, 0],
        changes: [[0, [2]]],
      },
      banned,
      {
        index: 2,
        name: "ordinary_user",
        capabilities: sorted(ordinary),
        constraints: [0, null, 0, null],
        changes: [
          [0, [2]],
          [2, [0]],
        ],
      },
      {
        index: 3,
        name: "group_admin",
        capabilities: sorted(admin),
        constraints: [1, null, 0, null],
        changes: adminChanges,
      },
      {
        index: 4,
        name: "super_admin",
        capabilities: sorted([
          ...admin,
          "canChangeRoomMembershipStyle",
          "canChangeRoleDefinitions",
          "canChangePreauthorizedUserList",
          "canDestroyRoom",
          "canSendMLSReinitProposal",
        ]),
        constraints: [0, null, 0, null],
        changes: superAdminChanges,
      },
      policyEnforcer,
    ]);
  });

  it("the preset role indexes are the appendix's", () => {
    const names = (roles: RoleData) => roles.roles.map((role) => new TextDecoder().decode(role.roleName));
    expect(names(cooperativelyAdministeredRoles())).toEqual([
      "no_role",
      "banned",
      "ordinary_user",
      "group_admin",
      "super_admin",
      "policy_enforcer",
    ]);
    expect(Object.values(PresetRoleIndex)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe("newRoomState", () => {
  const options = {
    roomUri: "mimi://a.example/r/clubhouse",
    creator: { user: alice, roleIndex: PresetRoleIndex.superAdmin },
    roles: cooperativelyAdministeredRoles(),
    name: "Clubhouse",
  };

  it("writes the creator as participant, the metadata, roles and a base policy listing the policy components", () => {
    const state = newRoomState(options);
    expect(state.participantList).toEqual({ participants: [{ user: alice, roleIndex: 4 }] });
    expect(state.roomMetadata).toEqual({
      roomUri: "mimi://a.example/r/clubhouse",
      roomName: "Clubhouse",
      roomDescriptions: [],
      roomAvatar: "",
      roomSubject: "",
      roomMood: "",
    });
    expect(state.rolesList).toBe(options.roles);
    expect(state.preauthList).toBeUndefined();
    expect(state.baseRoomPolicy).toMatchObject({
      multiDevice: true,
      fixedMembership: false,
      policyComponentIds: [0x0025],
    });
    const components = roomComponents(state);
    expect(components.map((entry) => entry.componentId)).toEqual([0x0022, 0x0023, 0x0025, 0x0027]);
    expect(readRoomState({ componentData: components })).toEqual({ ok: true, state });
  });

  it("lists the preauthorization component when given, and takes base policy fields", () => {
    const state = newRoomState({
      ...options,
      preauth: { preauthorizedEntries: [] },
      basePolicy: { fixedMembership: true, maxUsers: 2 },
      participants: [{ user: bob, roleIndex: 2 }],
    });
    expect(state.baseRoomPolicy).toMatchObject({
      fixedMembership: true,
      maxUsers: 2,
      policyComponentIds: [0x0025, 0x0026],
    });
    expect(state.participantList?.participants.map((entry) => entry.user)).toEqual([alice, bob]);
  });

  it("throws on a participant twice, role 0, or a role the roles do not define", () => {
    expect(() => newRoomState({ ...options, participants: [{ user: alice, roleIndex: 2 }] })).toThrow(RangeError);
    expect(() => newRoomState({ ...options, participants: [{ user: bob, roleIndex: 0 }] })).toThrow(RangeError);
    expect(() => newRoomState({ ...options, creator: { user: alice, roleIndex: 9 } })).toThrow(RangeError);
  });
});

function operationOf(update: AppDataUpdate): RoomOperation {
  const described = describeAppDataUpdate(update);
  if (!described.ok) throw new Error(described.error.reason);
  return described.operation;
}

function updateBytes(update: AppDataUpdate): Uint8Array {
  if (update.change.op !== AppDataUpdateOperation.update) throw new Error("not an update");
  return update.change.update;
}

describe("AppDataUpdate builders", () => {
  const state = newRoomState({
    roomUri: "mimi://a.example/r/clubhouse",
    creator: { user: alice, roleIndex: 4 },
    participants: [
      { user: bob, roleIndex: 2 },
      { user: cathy, roleIndex: 2 },
    ],
    roles: cooperativelyAdministeredRoles(),
  });

  it("addUsersUpdate appends users with their roles", () => {
    const update = addUsersUpdate([{ user: dave, roleIndex: 2 }]);
    expect(update.componentId).toBe(ComponentId.participantList);
    expect(decode(participantListUpdate, updateBytes(update))).toEqual({
      changedRoleParticipants: [],
      removedIndices: [],
      addedParticipants: [{ user: dave, roleIndex: 2 }],
    });
  });

  it("removeUsersUpdate and changeRolesUpdate refer to users by their index in the list", () => {
    expect(decode(participantListUpdate, updateBytes(removeUsersUpdate(state, [cathy])))).toEqual({
      changedRoleParticipants: [],
      removedIndices: [2],
      addedParticipants: [],
    });
    expect(decode(participantListUpdate, updateBytes(changeRolesUpdate(state, [{ user: bob, roleIndex: 1 }])))).toEqual(
      {
        changedRoleParticipants: [{ userIndex: 1, roleIndex: 1 }],
        removedIndices: [],
        addedParticipants: [],
      },
    );
    expect(() => removeUsersUpdate(state, [dave])).toThrow(RangeError);
    expect(() => changeRolesUpdate(state, [{ user: dave, roleIndex: 2 }])).toThrow(RangeError);
  });

  it("metadataUpdate replaces the changed fields, keeping the others and the room URI", () => {
    const update = metadataUpdate(state, { roomName: "Chess", roomMood: "calm" });
    expect(update.componentId).toBe(ComponentId.roomMetadata);
    expect(decode(roomMetaUpdate, updateBytes(update))).toEqual({
      ...state.roomMetadata,
      roomName: "Chess",
      roomMood: "calm",
    });
    expect(() => metadataUpdate({ otherComponents: [] }, { roomName: "x" })).toThrow(RangeError);
  });
});

describe("rooms built from the presets, end to end through authorize", () => {
  const alice1 = member(client(alice, 1));
  const bob1 = member(client(bob, 1));

  it("a cooperatively administered room: alice adds bob, bob adds cathy and renames the room, alice bans bob", () => {
    const created = newRoomState({
      roomUri: "mimi://a.example/r/clubhouse",
      creator: { user: alice, roleIndex: PresetRoleIndex.superAdmin },
      roles: cooperativelyAdministeredRoles(),
    });
    let room: RoomSnapshot = { room: created, members: [{ clientUri: client(alice, 1), userUri: alice }] };
    room = expectAllowed(
      authorize(
        room,
        commit(alice1, operationOf(addUsersUpdate([{ user: bob, roleIndex: 2 }])), addClient(client(bob, 1))),
      ),
    );
    room = expectAllowed(
      authorize(
        room,
        commit(bob1, operationOf(addUsersUpdate([{ user: cathy, roleIndex: 2 }])), addClient(client(cathy, 1))),
      ),
    );
    room = expectAllowed(authorize(room, commit(bob1, operationOf(metadataUpdate(room.room, { roomName: "Chess" })))));
    expect(room.room.roomMetadata?.roomName).toBe("Chess");
    // A.1 gives ordinary users no canChangeRoomDescription, no canBan.
    const description = metadataUpdate(room.room, {
      roomDescriptions: [
        { mediaType: new Uint8Array(0), languageTag: new Uint8Array(0), descriptionContent: new Uint8Array([0x61]) },
      ],
    });
    expect(missing(authorize(room, commit(bob1, operationOf(description))))).toEqual(["canChangeRoomDescription"]);
    const banCathy = operationOf(changeRolesUpdate(room.room, [{ user: cathy, roleIndex: PresetRoleIndex.banned }]));
    expect(missing(authorize(room, commit(bob1, banCathy, removeClient(client(cathy, 1)))))).toEqual([
      "canBan",
      "canKick",
    ]);
    const banBob = operationOf(changeRolesUpdate(room.room, [{ user: bob, roleIndex: PresetRoleIndex.banned }]));
    room = expectAllowed(authorize(room, commit(alice1, banBob, removeClient(client(bob, 1)))));
    expect(room.room.participantList?.participants).toEqual([
      { user: alice, roleIndex: 4 },
      { user: bob, roleIndex: 1 },
      { user: cathy, roleIndex: 2 },
    ]);
    expect(room.members.map((entry) => entry.userUri)).toEqual([alice, cathy]);
  });

  it("a strictly administered room: dave joins when preauthorized, bob cannot add anyone", () => {
    const created = newRoomState({
      roomUri: "mimi://a.example/r/hr",
      creator: { user: alice, roleIndex: PresetRoleIndex.superAdmin },
      participants: [{ user: bob, roleIndex: PresetRoleIndex.ordinaryUser }],
      roles: strictlyAdministeredRoles(),
      preauth: {
        preauthorizedEntries: [
          {
            claimset: [basicCredentialClaim("domain", "d.example")],
            targetRole: strictlyAdministeredRoles().roles[2] as Role,
          },
        ],
      },
    });
    const room: RoomSnapshot = {
      room: created,
      members: [
        { clientUri: client(alice, 1), userUri: alice },
        { clientUri: client(bob, 1), userUri: bob },
      ],
    };
    const join = commit(
      newMember(client(dave, 1)),
      { type: "externalJoin" },
      operationOf(addUsersUpdate([{ user: dave, roleIndex: PresetRoleIndex.ordinaryUser }])),
    );
    expectAllowed(authorize(room, join));
    const addCathy = commit(
      bob1,
      operationOf(addUsersUpdate([{ user: cathy, roleIndex: 2 }])),
      addClient(client(cathy, 1)),
    );
    expect(codes(authorize(room, addCathy))).toEqual(["capability-missing"]);
  });
});
