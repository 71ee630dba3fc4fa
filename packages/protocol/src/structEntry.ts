import type { Codec } from "@mimi-ts/codec";

/** One wire struct of the drafts: its name as the draft spells it, its codec, where it is defined. */
export interface StructEntry {
  readonly name: string;
  readonly codec: Codec<unknown>;
  readonly section: string;
}

/**
 * A registry entry. The registry only encodes values that came from the same
 * codec (decoded, or examples typed against it), so erasing the value type
 * here loses nothing at the places it is used.
 */
export function structEntry<T>(name: string, codec: Codec<T>, section: string): StructEntry {
  return { name, codec: codec as unknown as Codec<unknown>, section };
}
