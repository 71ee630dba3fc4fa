import type { Codec } from "./codec.js";
import {
  asRecord,
  type Fields,
  type FieldValues,
  fieldList,
  readFields,
  type Simplify,
  writeFields,
} from "./fields.js";

/**
 * `struct { ... } Name` (RFC 8446 s.3.6): the fields one after another, in
 * the order the record declares them. The value type is inferred from the
 * field codecs. Errors inside read `Name.field: reason`.
 */
export function struct<const F extends Fields>(name: string, fields: F): Codec<Simplify<FieldValues<F>>> {
  const list = fieldList(name, fields);
  return {
    name,
    write(writer, value) {
      writeFields(writer, name, list, asRecord(name, value));
    },
    read(reader) {
      const value: Record<string, unknown> = {};
      readFields(reader, name, list, value);
      return value as Simplify<FieldValues<F>>;
    },
  };
}
