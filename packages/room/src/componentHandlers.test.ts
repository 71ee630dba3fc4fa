import { decode, encode } from "@mimi-ts/codec";
import {
  appDataDictionary,
  baseRoomPolicy,
  ComponentId,
  componentsList,
  ExtensionType,
  frankingAgentData,
  participantListData,
  participantListUpdate,
  type RoomMetaData,
  roleData,
  roomMetaData,
  roomMetaUpdate,
} from "@mimi-ts/protocol";
import { type AppDataUpdateHandler, applyAppDataUpdates, ValidationError } from "ts-mls";
import { describe, expect, it } from "vitest";
import { mimiAppDataUpdateHandlers, participantListHandler, roomMetadataHandler } from "./componentHandlers.js";
import { cooperativelyAdministeredRoles, strictlyAdministeredRoles } from "./roomBuilder.js";
import { alice, bob, cathy, dave, defaultBasePolicy, role } from "./test-support/roomFixtures.js";

const list = (...entries: [string, number][]) =>
  encode(participantListData, { participants: entries.map(([user, roleIndex]) => ({ user, roleIndex })) });

const update = (changes: { roles?: [number, number][]; remove?: number[]; add?: [string, number][] }) =>
  encode(participantListUpdate, {
    changedRoleParticipants: (changes.roles ?? []).map(([userIndex, roleIndex]) => ({ userIndex, roleIndex })),
    removedIndices: changes.remove ?? [],
    addedParticipants: (changes.add ?? []).map(([user, roleIndex]) => ({ user, roleIndex })),
  });

function participantsOf(data: Uint8Array | undefined): [string, number][] | undefined {
  return data === undefined
    ? undefined
    : decode(participantListData, data).participants.map(({ user, roleIndex }) => [user, roleIndex]);
}

function handler(componentId: number): AppDataUpdateHandler {
  const found = mimiAppDataUpdateHandlers.get(componentId);
  if (found === undefined) throw new Error(`no handler for ${componentId}`);
  return found;
}

describe("participant_list (protocol-06 s.7.5)", () => {
  it("applies an update: role changes, then removals, then additions appended, indexes into the list before it", () => {
    const current = list([alice, 3], [bob, 2], [cathy, 2]);
    const result = participantListHandler(current, [update({ roles: [[2, 3]], remove: [1], add: [[dave, 2]] })]);
    expect(participantsOf(result)).toEqual([
      [alice, 3],
      [cathy, 3],
      [dave, 2],
    ]);
  });

  it("applies a commit's updates in order, each to the list the previous one left", () => {
    const result = participantListHandler(list([alice, 3]), [
      update({ add: [[bob, 2]] }),
      update({ remove: [0], add: [[cathy, 2]] }),
    ]);
    expect(participantsOf(result)).toEqual([
      [bob, 2],
      [cathy, 2],
    ]);
  });

  it("starts from the empty list when the room has none", () => {
    expect(participantsOf(participantListHandler(undefined, [update({ add: [[alice, 3]] })]))).toEqual([[alice, 3]]);
  });

  it("is invalid when two updates of one commit touch the same user", () => {
    expect(participantListHandler(list([alice, 3]), [update({ add: [[bob, 2]] }), update({ roles: [[1, 3]] })])).toBe(
      undefined,
    );
  });

  it.each([
    ["an index past the end", update({ remove: [1] })],
    ["a user already present", update({ add: [[alice, 2]] })],
    ["role 0", update({ add: [[bob, 0]] })],
    ["a role change to the same role", update({ roles: [[0, 3]] })],
    ["bytes that are not a ParticipantListUpdate", Uint8Array.of(0x01)],
    ["a trailing byte", Uint8Array.of(...update({ add: [[bob, 2]] }), 0)],
  ])("is invalid with %s", (_name, bytes) => {
    expect(participantListHandler(list([alice, 3]), [bytes])).toBeUndefined();
  });

  it("is invalid when the current list does not decode or names a user twice", () => {
    expect(participantListHandler(Uint8Array.of(0x05), [update({ add: [[bob, 2]] })])).toBeUndefined();
    expect(participantListHandler(list([alice, 3], [alice, 2]), [update({ add: [[bob, 2]] })])).toBeUndefined();
  });
});

const metadata: RoomMetaData = {
  roomUri: "mimi://a.example/r/clubhouse",
  roomName: "Chess club",
  roomDescriptions: [],
  roomAvatar: "https://a.example/chess.png",
  roomSubject: "",
  roomMood: "",
};

describe("room_metadata (protocol-06 s.7.6)", () => {
  it("replaces the whole value with the RoomMetaUpdate", () => {
    const result = roomMetadataHandler(encode(roomMetaData, { ...metadata, roomName: "Clubhouse" }), [
      encode(roomMetaUpdate, metadata),
    ]);
    expect(result === undefined ? undefined : decode(roomMetaData, result)).toEqual(metadata);
  });

  it("accepts a single update per commit only", () => {
    const one = encode(roomMetaUpdate, metadata);
    expect(roomMetadataHandler(undefined, [one, one])).toBeUndefined();
  });

  it("refuses an update that is not a RoomMetaUpdate (a NUL in a UTF8String)", () => {
    expect(roomMetadataHandler(undefined, [encode(roomMetaUpdate, metadata).subarray(1)])).toBeUndefined();
    const named = encode(roomMetaUpdate, { ...metadata, roomName: "ab" });
    expect(roomMetadataHandler(undefined, [named])).toBeDefined();
    const withNul = Uint8Array.from(named);
    // room_uri<V> is 1 + 28 bytes, then room_name<V>: a length byte and "ab"; make the "b" a NUL.
    withNul[1 + 28 + 2] = 0;
    expect(roomMetadataHandler(undefined, [withNul])).toBeUndefined();
  });
});

describe("replaced components: room policy (room-policy-03 s.3-7), ComponentsList (mls-extensions s.5), franking_agent", () => {
  it("take the last update of the commit as the new value, byte for byte", () => {
    const first = encode(roleData, cooperativelyAdministeredRoles());
    const second = encode(roleData, strictlyAdministeredRoles());
    expect(handler(ComponentId.rolesList)(first, [first, second])).toBe(second);
    const policy = encode(baseRoomPolicy, { ...defaultBasePolicy, multiDevice: false });
    expect(handler(ComponentId.baseRoomPolicy)(undefined, [policy])).toBe(policy);
    const ids = encode(componentsList, { componentIds: [ComponentId.frankAad] });
    expect(handler(ComponentId.safeAad)(undefined, [ids])).toBe(ids);
    expect(handler(ComponentId.appComponents)(undefined, [ids])).toBe(ids);
    const agent = encode(frankingAgentData, {
      frankingSignatureKey: new Uint8Array(32).fill(9),
      credential: { credentialType: "basic", identity: new TextEncoder().encode("mimi://a.example") },
    });
    expect(handler(ComponentId.frankingAgent)(undefined, [agent])).toBe(agent);
  });

  it("refuse the commit when any update does not decode strictly", () => {
    const roles = encode(roleData, { roles: [role(0), role(2)] });
    expect(handler(ComponentId.rolesList)(undefined, [Uint8Array.of(...roles, 0), roles])).toBeUndefined();
    // A roles list defining role_index 2 twice (room-policy-03 s.3).
    expect(
      handler(ComponentId.rolesList)(undefined, [encode(roleData, { roles: [role(2), role(2)] })]),
    ).toBeUndefined();
    expect(handler(ComponentId.safeAad)(undefined, [Uint8Array.of(0x02, 0x00)])).toBeUndefined();
    expect(handler(ComponentId.frankingAgent)(undefined, [Uint8Array.of(0x00)])).toBeUndefined();
  });
});

describe("mimiAppDataUpdateHandlers", () => {
  it("has a handler for every component a MIMI room holds, and none for others", () => {
    expect([...mimiAppDataUpdateHandlers.keys()].sort((a, b) => a - b)).toEqual([
      0x0001, 0x0002, 0x0021, 0x0022, 0x0023, 0x0024, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002a, 0x002b, 0x002c,
      0x002d, 0x002e, 0x002f, 0x0030,
    ]);
    // frank_aad is a SafeAAD component, never GroupContext data; content_media_types is not a MIMI component here.
    expect(mimiAppDataUpdateHandlers.has(ComponentId.frankAad)).toBe(false);
    expect(mimiAppDataUpdateHandlers.has(ComponentId.contentMediaTypes)).toBe(false);
  });

  it("drive ts-mls's AppDataUpdate processing, which refuses an unknown component", () => {
    const extensions = applyAppDataUpdates(
      [],
      [{ componentId: ComponentId.participantList, op: "update", update: update({ add: [[alice, 3]] }) }],
      mimiAppDataUpdateHandlers,
    );
    expect(extensions.map((entry) => entry.extensionType)).toEqual([ExtensionType.appDataDictionary]);
    const dictionary = decode(appDataDictionary, extensions[0]?.extensionData ?? new Uint8Array());
    expect(dictionary.componentData.map(({ componentId, data }) => [componentId, participantsOf(data)])).toEqual([
      [ComponentId.participantList, [[alice, 3]]],
    ]);
    expect(() =>
      applyAppDataUpdates(
        [],
        [{ componentId: 0x9999, op: "update", update: new Uint8Array() }],
        mimiAppDataUpdateHandlers,
      ),
    ).toThrow(ValidationError);
    expect(() =>
      applyAppDataUpdates(
        [],
        [{ componentId: ComponentId.participantList, op: "update", update: update({ remove: [0] }) }],
        mimiAppDataUpdateHandlers,
      ),
    ).toThrow(ValidationError);
  });
});
