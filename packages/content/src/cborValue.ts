/**
 * A faithful model of the CBOR data items that may appear in MIMI content
 * extension values (content-08 s.6: `value = any`). Faithful means that a
 * decoded value re-encodes to the very same deterministic bytes:
 *
 * - integers are `number` when safe, `bigint` otherwise (bignums included);
 * - floats are wrapped in {@link CborFloat} so `1.0` stays a float and `1`
 *   stays an integer;
 * - maps are `Map`s (keys: integers, text or byte strings);
 * - tags and simple values other than false/true/null/undefined get classes.
 */
export type CborValue =
  | number
  | bigint
  | string
  | Uint8Array
  | boolean
  | null
  | undefined
  | CborFloat
  | CborSimple
  | CborTag
  | CborValue[]
  | CborMap;

/** Map keys allowed inside MIMI content (content-08 s.6.2): integers, text and byte strings. */
export type CborKey = number | bigint | string | Uint8Array;

export type CborMap = Map<CborKey, CborValue>;

/** A floating-point data item; encoded in the shortest IEEE 754 width that preserves it. */
export class CborFloat {
  constructor(readonly value: number) {}
}

/** A simple value other than false, true, null and undefined (0..19 or 32..255). */
export class CborSimple {
  constructor(readonly value: number) {}
}

/** A tagged data item. Bignums (tags 2 and 3) are not tags here: they are `bigint`s. */
export class CborTag {
  constructor(
    readonly tag: number | bigint,
    readonly value: CborValue,
  ) {}
}

/** Whether two CBOR values are the same data item (integers compare by value across number/bigint). */
export function cborEquals(a: CborValue, b: CborValue): boolean {
  if (a === b) return true;
  if ((typeof a === "number" || typeof a === "bigint") && (typeof b === "number" || typeof b === "bigint")) {
    return BigInt(a) === BigInt(b);
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) return bytesEqual(a, b);
  if (a instanceof CborFloat && b instanceof CborFloat) return Object.is(a.value, b.value);
  if (a instanceof CborSimple && b instanceof CborSimple) return a.value === b.value;
  if (a instanceof CborTag && b instanceof CborTag) {
    return BigInt(a.tag) === BigInt(b.tag) && cborEquals(a.value, b.value);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => cborEquals(item, b[i]));
  }
  if (a instanceof Map && b instanceof Map) {
    // Map equality ignores entry order: deterministic encoding sorts keys anyway.
    if (a.size !== b.size) return false;
    const entriesB = [...b];
    return [...a].every(([key, value]) =>
      entriesB.some(([otherKey, otherValue]) => cborEquals(key, otherKey) && cborEquals(value, otherValue)),
    );
  }
  return false;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
