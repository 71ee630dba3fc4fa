import type { Codec } from "./codec.js";
import { CodecError, describeValue } from "./errors.js";

/**
 * `enum { a(0), b(1), (255) } Name` (RFC 8446 s.3.5): the values named in
 * `known`, carried in the `width` codec (uint8, uint16...). Any other value is
 * rejected in both directions. `known` maps names to values, as the spec lists
 * them: `enumeration("Protocol", uint8, { reserved: 0, mls10: 1 })`.
 */
export function enumeration<Width extends number | bigint, const Known extends Readonly<Record<string, Width>>>(
  name: string,
  width: Codec<Width>,
  known: Known,
): Codec<Known[keyof Known]> {
  const values = new Set<Width>(Object.values(known));
  const check = (value: Width): Known[keyof Known] => {
    if (!values.has(value)) throw new CodecError(`unknown ${name} value ${describeValue(value)}`);
    return value as Known[keyof Known];
  };
  return {
    name,
    write(writer, value) {
      width.write(writer, check(value));
    },
    read: (reader) => check(width.read(reader)),
  };
}
