import type { AnyCodec, Codec, ValueOf } from "./codec.js";
import { CodecError, describeValue, relocate } from "./errors.js";
import type { Reader } from "./reader.js";
import type { Writer } from "./writer.js";

/** The fields of a struct in wire order, as a record: `{ protocol: protocolCodec, roomId: varOpaque() }`. */
export type Fields = { readonly [field: string]: AnyCodec };

/** Flattens an intersection so editors show one object type. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The value a field list reads and writes. */
export type FieldValues<F extends Fields> = { -readonly [K in keyof F]: ValueOf<F[K]> };

/** A checked field list, in the order the record declared it. */
export type FieldList = readonly (readonly [field: string, codec: Codec<unknown>])[];

// JavaScript enumerates integer-like keys first, whatever the declaration order,
// which would silently reorder the wire layout; `__proto__` cannot be a data key safely.
const UNORDERED_KEY = /^(?:\d+|__proto__)$/;

/** Checks and orders the fields of struct (or select variant) `struct`; `reserved` is a select's tag field. */
export function fieldList(struct: string, fields: Fields, reserved?: string): FieldList {
  const list: (readonly [string, Codec<unknown>])[] = [];
  for (const [field, codec] of Object.entries(fields)) {
    checkFieldName(struct, field);
    if (field === reserved) throw new CodecError("a variant field repeats the tag field", { struct, field });
    checkCodec(struct, field, codec);
    list.push([field, codec as Codec<unknown>]);
  }
  return list;
}

export function checkFieldName(struct: string, field: string): void {
  if (UNORDERED_KEY.test(field)) {
    throw new CodecError("field names must not be integer-like or __proto__ (JavaScript would reorder them)", {
      struct,
      field,
    });
  }
}

/** Catches a field declared with `undefined` (typically a circular import) where it is declared, not on first use. */
export function checkCodec(struct: string, field: string, codec: unknown): void {
  const candidate = codec as Partial<AnyCodec> | undefined;
  if (typeof candidate?.read !== "function" || typeof candidate.write !== "function") {
    throw new CodecError(`is ${describeValue(codec)}, not a codec`, { struct, field });
  }
}

/** Reads the fields in order into `target`; an error names `struct` and the field. */
export function readFields(reader: Reader, struct: string, list: FieldList, target: Record<string, unknown>): void {
  for (const [field, codec] of list) {
    try {
      target[field] = codec.read(reader);
    } catch (error) {
      throw relocate(error, field, struct);
    }
  }
}

/** Writes the fields of `value` in order; keys not in the list are ignored. */
export function writeFields(writer: Writer, struct: string, list: FieldList, value: Record<string, unknown>): void {
  for (const [field, codec] of list) {
    try {
      codec.write(writer, value[field]);
    } catch (error) {
      throw relocate(error, field, struct);
    }
  }
}

/** `value` as a record of fields, or a CodecError naming `struct`. */
export function asRecord(struct: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CodecError(`expected an object, found ${describeValue(value)}`, { struct });
  }
  return value as Record<string, unknown>;
}
