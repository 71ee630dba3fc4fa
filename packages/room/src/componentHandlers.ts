import { type Codec, CodecError, decode, encode } from "@mimi-ts/codec";
import {
  ComponentId,
  componentsList,
  frankingAgentData,
  type ParticipantListData,
  participantListUpdate,
  roomMetaData,
  roomMetaUpdate,
} from "@mimi-ts/protocol";
import type { AppDataUpdateHandler, AppDataUpdateHandlers } from "ts-mls";
import { applyParticipantListUpdate } from "./participants.js";
import type { PolicyComponentName } from "./roomChange.js";
import { decodeRoomComponent, encodeRoomComponent, roomComponentNames } from "./roomState.js";

/**
 * The application logic of MIMI's app components (mls-extensions s.4.7), as
 * the patched ts-mls calls it for a commit's AppDataUpdate proposals
 * (`ClientConfig.appDataUpdateHandlers`): members and the Hub use the same
 * map, so they compute the same app_data_dictionary. Each handler receives
 * the component's current data and the commit's updates for it, in commit
 * order, and returns the new data or undefined when the updates are invalid.
 * Whether the proposer may make the change is policy.ts's question, not
 * these handlers'. A component not in the map is unknown, and ts-mls then
 * refuses the commit.
 */

function decodes<T>(codec: Codec<T>, bytes: Uint8Array): T | undefined {
  try {
    return decode(codec, bytes);
  } catch (error) {
    if (error instanceof CodecError) return undefined;
    throw error;
  }
}

/**
 * participant_list (protocol-06 s.7.5): each update is a ParticipantListUpdate
 * applied in commit order to the list the previous one left; a commit may
 * touch each user once across all its updates. A room without the component
 * starts from the empty list.
 */
export const participantListHandler: AppDataUpdateHandler = (current, updates) => {
  let list: ParticipantListData = { participants: [] };
  if (current !== undefined) {
    const read = decodeRoomComponent("participantList", current);
    if (!read.ok) return undefined;
    list = read.value;
  }
  const touched = new Set<string>();
  for (const bytes of updates) {
    const update = decodes(participantListUpdate, bytes);
    if (update === undefined) return undefined;
    const result = applyParticipantListUpdate(list, update);
    if (!result.ok) return undefined;
    for (const { user } of result.changes) {
      if (touched.has(user)) return undefined;
      touched.add(user);
    }
    list = result.list;
  }
  return encodeRoomComponent("participantList", list);
};

/**
 * room_metadata (protocol-06 s.7.6): a RoomMetaUpdate replaces the whole
 * value, and only a single one is valid per commit.
 */
export const roomMetadataHandler: AppDataUpdateHandler = (_current, updates) => {
  const [update] = updates;
  if (update === undefined || updates.length !== 1) return undefined;
  const value = decodes(roomMetaUpdate, update);
  return value === undefined ? undefined : encode(roomMetaData, value);
};

/**
 * A component whose update is its new value: every update must decode
 * strictly, and the last one in commit order is the new data, byte for byte
 * (the codecs accept only canonical encodings, so it is also the re-encoding).
 */
function replacing(valid: (update: Uint8Array) => boolean): AppDataUpdateHandler {
  return (_current, updates) => (updates.every(valid) ? updates.at(-1) : undefined);
}

function policyComponentHandler(name: PolicyComponentName): AppDataUpdateHandler {
  return replacing((update) => decodeRoomComponent(name, update).ok);
}

function codecHandler<T>(codec: Codec<T>): AppDataUpdateHandler {
  return replacing((update) => decodes(codec, update) !== undefined);
}

/**
 * The handlers of every component a MIMI room holds in its GroupContext:
 * app_components and safe_aad (mls-extensions s.5, a ComponentsList each),
 * franking_agent (protocol-06 s.5.4.1: FrankingAgentUpdate is the new
 * FrankingAgentData), participant_list, room_metadata, and the policy
 * components of room-policy-03 s.3-7 (each update the component's new
 * value, decoded strictly with the checks of roomState.decodeRoomComponent).
 */
export const mimiAppDataUpdateHandlers: AppDataUpdateHandlers = new Map<number, AppDataUpdateHandler>([
  [ComponentId.appComponents, codecHandler(componentsList)],
  [ComponentId.safeAad, codecHandler(componentsList)],
  [ComponentId.frankingAgent, codecHandler(frankingAgentData)],
  [ComponentId.participantList, participantListHandler],
  [ComponentId.roomMetadata, roomMetadataHandler],
  ...roomComponentNames
    .filter((name): name is PolicyComponentName => name !== "participantList" && name !== "roomMetadata")
    .map((name): [number, AppDataUpdateHandler] => [ComponentId[name], policyComponentHandler(name)]),
]);
