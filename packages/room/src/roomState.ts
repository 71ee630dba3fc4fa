import { type AnyCodec, type Codec, CodecError, decode, encode, type ValueOf } from "@mimi-ts/codec";
import {
  type AppDataDictionary,
  assetPolicy,
  baseRoomPolicy,
  botPolicy,
  type ComponentData,
  ComponentId,
  type ComponentIdName,
  historyPolicy,
  joinLinkPolicy,
  joinLinksData,
  linkPreviewPolicy,
  loggingPolicy,
  messageExpiration,
  operationalParameters,
  participantListData,
  preAuthData,
  roleData,
  roomMetaData,
  statusNotificationPolicy,
} from "@mimi-ts/protocol";

/**
 * The room components of the GroupContext's app_data_dictionary
 * (protocol-06 s.7.2, mls-extensions s.4.6) this package reads, named as in
 * ComponentId: protocol-06 s.7.5-7.6 and room-policy-03 s.3-7.
 */
const roomComponentCodecs = {
  participantList: participantListData,
  roomMetadata: roomMetaData,
  mlsOperationalPolicy: operationalParameters,
  rolesList: roleData,
  preauthList: preAuthData,
  baseRoomPolicy,
  statusNotificationPolicy,
  joinLinkPolicy,
  joinLinks: joinLinksData,
  linkPreviewPolicy,
  assetPolicy,
  loggingPolicy,
  chatHistoryPolicy: historyPolicy,
  botPolicy,
  messageExpirationPolicy: messageExpiration,
} as const satisfies Partial<Record<ComponentIdName, AnyCodec>>;

export type RoomComponentName = keyof typeof roomComponentCodecs;
export type RoomComponentValue<K extends RoomComponentName> = ValueOf<(typeof roomComponentCodecs)[K]>;

/** Each room component's decoded value, absent when the dictionary has no entry for it. */
export type RoomComponents = { readonly [K in RoomComponentName]?: RoomComponentValue<K> };

/**
 * A room's state as plain data: its decoded components, and every other
 * app_data_dictionary entry (app_components, franking_agent, ...) kept as it
 * is, in component_id order.
 */
export interface RoomState extends RoomComponents {
  readonly otherComponents: readonly ComponentData[];
}

export const emptyRoomState: RoomState = { otherComponents: [] };

/** The room components in component_id order. */
export const roomComponentNames: readonly RoomComponentName[] = (
  Object.keys(roomComponentCodecs) as RoomComponentName[]
)
  .slice()
  .sort((a, b) => ComponentId[a] - ComponentId[b]);

const nameById = new Map<number, RoomComponentName>(roomComponentNames.map((name) => [ComponentId[name], name]));

/** The room component a component_id holds, if this package reads it. */
export function roomComponentName(componentId: number): RoomComponentName | undefined {
  return nameById.get(componentId);
}

const knownNameById = new Map<number, string>(Object.entries(ComponentId).map(([name, id]) => [id, name]));

/** `participantList (0x0022)`, or `component 0x1234` for an id no draft here defines. */
export function describeComponentId(componentId: number): string {
  const hex = `0x${componentId.toString(16).padStart(4, "0")}`;
  const name = knownNameById.get(componentId);
  return name === undefined ? `component ${hex}` : `${name} (${hex})`;
}

/** A component that cannot be read: which one, and why. */
export interface RoomStateError {
  readonly componentId: number;
  /** describeComponentId(componentId) */
  readonly component: string;
  readonly reason: string;
}

export type RoomComponentResult<K extends RoomComponentName> =
  | { readonly ok: true; readonly value: RoomComponentValue<K> }
  | { readonly ok: false; readonly error: RoomStateError };

function componentError(componentId: number, reason: string): { ok: false; error: RoomStateError } {
  const component = describeComponentId(componentId);
  return { ok: false, error: { componentId, component, reason: `${component}: ${reason}` } };
}

function codecOf<K extends RoomComponentName>(name: K): Codec<RoomComponentValue<K>> {
  return roomComponentCodecs[name] as unknown as Codec<RoomComponentValue<K>>;
}

/**
 * What a decoded value must also satisfy: a participant list names each user
 * once, never with role 0 (protocol-06 s.7.5: one role per user;
 * room-policy-03 s.3: role_index 0 is for those not in the list); a roles
 * list defines each role_index once (room-policy-03 s.3: the index refers to
 * the role).
 */
function problemOf<K extends RoomComponentName>(name: K, value: RoomComponentValue<K>): string | undefined {
  if (name === "participantList") {
    const seen = new Set<string>();
    for (const [index, { user, roleIndex }] of (
      value as RoomComponentValue<"participantList">
    ).participants.entries()) {
      if (roleIndex === 0) return `participants[${index}] (${user}) has role_index 0, reserved for non-participants`;
      if (seen.has(user)) return `participants[${index}] (${user}) appears twice; each user has exactly one role`;
      seen.add(user);
    }
  }
  if (name === "rolesList") {
    const seen = new Set<number>();
    for (const [index, { roleIndex }] of (value as RoomComponentValue<"rolesList">).roles.entries()) {
      if (seen.has(roleIndex)) return `roles[${index}] defines role_index ${roleIndex} again`;
      seen.add(roleIndex);
    }
  }
  return undefined;
}

/** Decodes one room component's data strictly (the whole value, no trailing bytes, the checks of problemOf). */
export function decodeRoomComponent<K extends RoomComponentName>(name: K, data: Uint8Array): RoomComponentResult<K> {
  const componentId = ComponentId[name];
  let value: RoomComponentValue<K>;
  try {
    value = decode(codecOf(name), data);
  } catch (error) {
    if (error instanceof CodecError) return componentError(componentId, error.message);
    throw error;
  }
  const problem = problemOf(name, value);
  return problem === undefined ? { ok: true, value } : componentError(componentId, problem);
}

/** One room component's data bytes. Throws CodecError when the value does not fit its struct. */
export function encodeRoomComponent<K extends RoomComponentName>(name: K, value: RoomComponentValue<K>): Uint8Array {
  return encode(codecOf(name), value);
}

export type RoomStateResult =
  | { readonly ok: true; readonly state: RoomState }
  | { readonly ok: false; readonly error: RoomStateError };

/**
 * The room state held in an app_data_dictionary (mls-extensions s.4.6).
 * Entries must be in strictly increasing component_id order; every room
 * component must decode; the first failure is returned, naming its component.
 */
export function readRoomState(dictionary: AppDataDictionary): RoomStateResult {
  const state: { -readonly [K in RoomComponentName]?: RoomComponentValue<K> } = {};
  const otherComponents: ComponentData[] = [];
  let previous = -1;
  for (const entry of dictionary.componentData) {
    if (entry.componentId <= previous) {
      return componentError(
        entry.componentId,
        "app_data_dictionary entries must be sorted by component_id with at most one each (mls-extensions s.4.6)",
      );
    }
    previous = entry.componentId;
    const name = roomComponentName(entry.componentId);
    if (name === undefined) {
      otherComponents.push(entry);
      continue;
    }
    const result = decodeRoomComponent(name, entry.data);
    if (!result.ok) return result;
    Object.assign(state, { [name]: result.value });
  }
  return { ok: true, state: { ...state, otherComponents } };
}

/**
 * The app_data_dictionary entries of a room state, in component_id order:
 * its components encoded, and its other components as they are. Throws
 * RangeError when otherComponents repeats an id or holds a room component
 * (a state readRoomState returns never does), CodecError when a value does
 * not fit its struct.
 */
export function roomComponents(state: RoomState): ComponentData[] {
  const entries: ComponentData[] = [];
  for (const name of roomComponentNames) {
    const value = state[name];
    if (value !== undefined) {
      entries.push({ componentId: ComponentId[name], data: encodeRoomComponent(name, value) });
    }
  }
  for (const entry of state.otherComponents) {
    if (roomComponentName(entry.componentId) !== undefined) {
      throw new RangeError(`otherComponents holds ${describeComponentId(entry.componentId)}, a room component`);
    }
    entries.push(entry);
  }
  entries.sort((a, b) => a.componentId - b.componentId);
  for (let i = 1; i < entries.length; i++) {
    const entry = entries[i] as ComponentData;
    if (entry.componentId === (entries[i - 1] as ComponentData).componentId) {
      throw new RangeError(`otherComponents holds ${describeComponentId(entry.componentId)} twice`);
    }
  }
  return entries;
}
