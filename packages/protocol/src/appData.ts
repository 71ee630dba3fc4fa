import {
  type Codec,
  CodecError,
  enumeration,
  refine,
  select,
  struct,
  uint8,
  uint16,
  type ValueOf,
  varOpaque,
  vector,
} from "@mimi-ts/codec";
import { type StructEntry, structEntry } from "./structEntry.js";

/** mls-extensions s.4.1: `uint16 ComponentID`. */
export const componentId: Codec<number> = uint16;

/** mls-extensions s.4.6: one component's data. */
export const componentData = struct("ComponentData", { componentId, data: varOpaque() });
export type ComponentData = ValueOf<typeof componentData>;

/** Checks that entries are in strictly increasing component_id order: sorted, at most one each. */
function sortedById<T extends { componentId: number }>(structName: string, field: string) {
  return (entries: T[]): T[] => {
    for (let i = 1; i < entries.length; i++) {
      if ((entries[i] as T).componentId <= (entries[i - 1] as T).componentId) {
        throw new CodecError(
          `entries must be sorted by component_id with at most one each (${(entries[i] as T).componentId} after ${(entries[i - 1] as T).componentId})`,
          { struct: structName, field: `${field}[${i}]` },
        );
      }
    }
    return entries;
  };
}

/**
 * mls-extensions s.4.6: `struct { ComponentData component_data<V>; }`, the
 * content of the app_data_dictionary extension. Entries MUST be sorted by
 * component_id, at most one per id; both directions enforce it.
 */
export const appDataDictionary = struct("AppDataDictionary", {
  componentData: refine(vector(componentData), sortedById("AppDataDictionary", "componentData")),
});
export type AppDataDictionary = ValueOf<typeof appDataDictionary>;

/** mls-extensions s.4.7: invalid(0) is not an operation. */
export const AppDataUpdateOperation = { update: 1, remove: 2 } as const;

/** mls-extensions s.4.7: the body of an AppDataUpdate proposal. */
export const appDataUpdate = struct("AppDataUpdate", {
  componentId,
  change: select("AppDataUpdateChange", "op", enumeration("AppDataUpdateOperation", uint8, AppDataUpdateOperation), {
    [AppDataUpdateOperation.update]: { update: varOpaque() },
    [AppDataUpdateOperation.remove]: {},
  }),
});
export type AppDataUpdate = ValueOf<typeof appDataUpdate>;

/** mls-extensions s.4.9. */
export const safeAadItem = struct("SafeAADItem", { componentId, aadItemData: varOpaque() });
export type SafeAadItem = ValueOf<typeof safeAadItem>;

/**
 * mls-extensions s.4.9: the framing of authenticated_data when the safe_aad
 * component is in the GroupContext; items in increasing component_id order.
 */
export const safeAad = struct("SafeAAD", {
  aadItems: refine(vector(safeAadItem), sortedById("SafeAAD", "aadItems")),
});
export type SafeAad = ValueOf<typeof safeAad>;

/** mls-extensions s.5: `struct { ComponentID component_ids<V>; }`, the app_components and safe_aad components. */
export const componentsList = struct("ComponentsList", { componentIds: vector(componentId) });
export type ComponentsList = ValueOf<typeof componentsList>;

export const appDataStructs: readonly StructEntry[] = [
  structEntry("ComponentData", componentData, "mls-extensions s.4.6"),
  structEntry("AppDataDictionary", appDataDictionary, "mls-extensions s.4.6"),
  structEntry("AppDataUpdate", appDataUpdate, "mls-extensions s.4.7"),
  structEntry("SafeAADItem", safeAadItem, "mls-extensions s.4.9"),
  structEntry("SafeAAD", safeAad, "mls-extensions s.4.9"),
  structEntry("ComponentsList", componentsList, "mls-extensions s.5"),
];
