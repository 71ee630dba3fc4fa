import { encode } from "@mimi-ts/codec";
import {
  type AppDataUpdate,
  AppDataUpdateOperation,
  ComponentId,
  type ParticipantListUpdate,
  participantListUpdate,
  roleData,
  roomMetaUpdate,
} from "@mimi-ts/protocol";
import { describe, expect, it } from "vitest";
import { describeAppDataUpdate, updatedComponentId } from "./roomChange.js";
import { alice, bob, client, clubMetadata, member, role } from "./test-support/roomFixtures.js";

function update(componentId: number, bytes: Uint8Array): AppDataUpdate {
  return { componentId, change: { op: AppDataUpdateOperation.update, update: bytes } };
}

function removal(componentId: number): AppDataUpdate {
  return { componentId, change: { op: AppDataUpdateOperation.remove } };
}

const listUpdate: ParticipantListUpdate = {
  changedRoleParticipants: [{ userIndex: 0, roleIndex: 3 }],
  removedIndices: [],
  addedParticipants: [{ user: bob, roleIndex: 2 }],
};

describe("describeAppDataUpdate (mls-extensions s.4.7)", () => {
  it("decodes a participant list update (protocol-06 s.7.5), with the proposer when given", () => {
    const bytes = encode(participantListUpdate, listUpdate);
    expect(describeAppDataUpdate(update(0x0022, bytes))).toEqual({
      ok: true,
      operation: { type: "participantListUpdate", update: listUpdate },
    });
    const proposer = member(client(alice, 1));
    expect(describeAppDataUpdate(update(0x0022, bytes), proposer)).toEqual({
      ok: true,
      operation: { type: "participantListUpdate", update: listUpdate, proposer },
    });
  });

  it("decodes a RoomMetaUpdate (protocol-06 s.7.6)", () => {
    expect(describeAppDataUpdate(update(0x0023, encode(roomMetaUpdate, clubMetadata)))).toEqual({
      ok: true,
      operation: { type: "metadataUpdate", metadata: clubMetadata },
    });
  });

  it("refuses removing the participant list or the metadata", () => {
    for (const id of [0x0022, 0x0023]) {
      const result = describeAppDataUpdate(removal(id));
      expect(result.ok ? undefined : result.error.componentId).toBe(id);
    }
  });

  it("names the component whose update does not decode", () => {
    const result = describeAppDataUpdate(update(0x0022, new Uint8Array([0x05])));
    expect(result.ok ? undefined : result.error.component).toBe("participantList (0x0022)");
    const roles = describeAppDataUpdate(update(0x0025, encode(roleData, { roles: [role(2), role(2)] })));
    expect(roles.ok ? undefined : roles.error.reason).toMatch(/^rolesList \(0x0025\): .*role_index 2 again/);
  });

  it("decodes a policy component's new value, or its removal", () => {
    const roles = { roles: [role(2)] };
    expect(describeAppDataUpdate(update(0x0025, encode(roleData, roles)))).toEqual({
      ok: true,
      operation: { type: "componentUpdate", component: "rolesList", value: roles },
    });
    expect(describeAppDataUpdate(removal(0x0026))).toEqual({
      ok: true,
      operation: { type: "componentUpdate", component: "preauthList", value: undefined },
    });
  });

  it("keeps any other component's data as bytes", () => {
    expect(describeAppDataUpdate(update(0x0021, new Uint8Array([1, 2])))).toEqual({
      ok: true,
      operation: { type: "otherComponentUpdate", componentId: 0x0021, data: new Uint8Array([1, 2]) },
    });
    expect(describeAppDataUpdate(removal(0x7777))).toEqual({
      ok: true,
      operation: { type: "otherComponentUpdate", componentId: 0x7777, data: undefined },
    });
  });
});

describe("updatedComponentId", () => {
  it("gives the component an AppDataUpdate operation changes, nothing for MLS operations", () => {
    expect(updatedComponentId({ type: "participantListUpdate", update: listUpdate })).toBe(0x0022);
    expect(updatedComponentId({ type: "metadataUpdate", metadata: clubMetadata })).toBe(0x0023);
    expect(updatedComponentId({ type: "componentUpdate", component: "baseRoomPolicy", value: undefined })).toBe(
      ComponentId.baseRoomPolicy,
    );
    expect(updatedComponentId({ type: "otherComponentUpdate", componentId: 0x0021, data: undefined })).toBe(0x0021);
    expect(updatedComponentId({ type: "reinit" })).toBeUndefined();
  });
});
