import { encode } from "@mimi-ts/codec";
import {
  type BaseRoomPolicy,
  baseRoomPolicy,
  ComponentId,
  componentsList,
  Optionality,
  type ParticipantListData,
  participantListData,
  type RoleData,
  type RoomMetaData,
  roleData,
  roomMetaData,
  statusNotificationPolicy,
} from "@mimi-ts/protocol";
import { describe, expect, it } from "vitest";
import {
  describeComponentId,
  emptyRoomState,
  type RoomState,
  readRoomState,
  roomComponentNames,
  roomComponents,
} from "./roomState.js";

const utf8 = new TextEncoder();

const participants: ParticipantListData = {
  participants: [
    { user: "mimi://a.example/u/alice", roleIndex: 4 },
    { user: "mimi://b.example/u/bob", roleIndex: 2 },
  ],
};
const metadata: RoomMetaData = {
  roomUri: "mimi://a.example/r/clubhouse",
  roomName: "Clubhouse",
  roomDescriptions: [],
  roomAvatar: "",
  roomSubject: "",
  roomMood: "",
};
const roles: RoleData = {
  roles: [
    {
      roleIndex: 2,
      roleName: utf8.encode("ordinary_user"),
      roleDescription: new Uint8Array(0),
      roleCapabilities: [0x0100],
      minimumParticipantsConstraint: 0,
      maximumParticipantsConstraint: undefined,
      minimumActiveParticipantsConstraint: 0,
      maximumActiveParticipantsConstraint: 3,
      authorizedRoleChanges: [{ fromRoleIndex: 0, targetRoleIndexes: [2] }],
    },
  ],
};
const base: BaseRoomPolicy = {
  fixedMembership: false,
  parentDependent: false,
  parentRoom: [],
  multiDevice: true,
  maxClients: 10,
  maxUsers: undefined,
  pseudonymsAllowed: false,
  persistentRoom: true,
  discoverable: false,
  policyComponentIds: [ComponentId.rolesList],
};
const appComponents = {
  componentId: ComponentId.appComponents,
  data: encode(componentsList, { componentIds: [0x22] }),
};

function dictionary(...entries: { componentId: number; data: Uint8Array }[]) {
  return { componentData: entries };
}

describe("readRoomState (protocol-06 s.7.2, mls-extensions s.4.6)", () => {
  it("decodes each room component and keeps the others as they are", () => {
    const notifications = { deliveryNotifications: Optionality.optional, readReceipts: Optionality.forbidden };
    const result = readRoomState(
      dictionary(
        appComponents,
        { componentId: 0x0022, data: encode(participantListData, participants) },
        { componentId: 0x0023, data: encode(roomMetaData, metadata) },
        { componentId: 0x0025, data: encode(roleData, roles) },
        { componentId: 0x0027, data: encode(baseRoomPolicy, base) },
        { componentId: 0x0028, data: encode(statusNotificationPolicy, notifications) },
      ),
    );
    expect(result).toEqual({
      ok: true,
      state: {
        participantList: participants,
        roomMetadata: metadata,
        rolesList: roles,
        baseRoomPolicy: base,
        statusNotificationPolicy: notifications,
        otherComponents: [appComponents],
      },
    });
  });

  it("reads an empty dictionary as a room without components", () => {
    expect(readRoomState(dictionary())).toEqual({ ok: true, state: emptyRoomState });
  });

  it("names the component that does not decode", () => {
    const bytes = encode(participantListData, participants);
    const result = readRoomState(dictionary({ componentId: 0x0022, data: bytes.subarray(0, bytes.length - 1) }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.componentId).toBe(0x0022);
    expect(result.error.component).toBe("participantList (0x0022)");
    expect(result.error.reason).toMatch(/^participantList \(0x0022\): /);
  });

  it("refuses trailing bytes after a component's value", () => {
    const data = new Uint8Array([...encode(roleData, roles), 0]);
    const result = readRoomState(dictionary({ componentId: 0x0025, data }));
    expect(result.ok ? undefined : [result.error.component, /trailing/.test(result.error.reason)]).toEqual([
      "rolesList (0x0025)",
      true,
    ]);
  });

  it("refuses entries out of component_id order or repeated", () => {
    const list = { componentId: 0x0022, data: encode(participantListData, participants) };
    const result = readRoomState(dictionary(list, appComponents));
    expect(result.ok ? undefined : result.error.componentId).toBe(ComponentId.appComponents);
    expect(readRoomState(dictionary(list, list)).ok).toBe(false);
  });

  it("refuses a participant list naming a user twice or giving role 0 (protocol-06 s.7.5, room-policy-03 s.3)", () => {
    const twice = { participants: [...participants.participants, { user: "mimi://b.example/u/bob", roleIndex: 3 }] };
    const zero = { participants: [{ user: "mimi://b.example/u/bob", roleIndex: 0 }] };
    for (const list of [twice, zero]) {
      const result = readRoomState(dictionary({ componentId: 0x0022, data: encode(participantListData, list) }));
      expect(result.ok ? undefined : result.error.component).toBe("participantList (0x0022)");
    }
  });

  it("refuses a roles list defining a role_index twice (room-policy-03 s.3)", () => {
    const twice = { roles: [...roles.roles, ...roles.roles] };
    const result = readRoomState(dictionary({ componentId: 0x0025, data: encode(roleData, twice) }));
    expect(result.ok ? undefined : result.error.reason).toMatch(/role_index 2 again/);
  });
});

describe("roomComponents", () => {
  const state: RoomState = {
    participantList: participants,
    roomMetadata: metadata,
    rolesList: roles,
    baseRoomPolicy: base,
    otherComponents: [appComponents, { componentId: 0x0021, data: new Uint8Array([7]) }],
  };

  it("writes the components in component_id order, which readRoomState reads back", () => {
    const entries = roomComponents(state);
    expect(entries.map((entry) => entry.componentId)).toEqual([0x0001, 0x0021, 0x0022, 0x0023, 0x0025, 0x0027]);
    expect(entries[2]?.data).toEqual(encode(participantListData, participants));
    expect(readRoomState({ componentData: entries })).toEqual({ ok: true, state });
  });

  it("throws when otherComponents holds a room component or an id twice", () => {
    const list = { componentId: 0x0022, data: new Uint8Array([0]) };
    expect(() => roomComponents({ otherComponents: [list] })).toThrow(RangeError);
    expect(() => roomComponents({ otherComponents: [appComponents, appComponents] })).toThrow(RangeError);
  });
});

describe("component names", () => {
  it("covers protocol-06's two components and room-policy-03's thirteen, in id order", () => {
    expect(roomComponentNames.map((name) => ComponentId[name])).toEqual([
      0x0022, 0x0023, 0x0024, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
      0x0030,
    ]);
  });

  it("describes known and unknown ids", () => {
    expect(describeComponentId(0x0027)).toBe("baseRoomPolicy (0x0027)");
    expect(describeComponentId(0xf00d)).toBe("component 0xf00d");
  });
});
