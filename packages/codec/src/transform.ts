import type { Codec } from "./codec.js";

/** The two directions between a wire representation `Wire` and the representation `Value` callers use. */
export interface Conversion<Wire, Value> {
  /** After reading; may throw to reject the input (a CodecError, or anything, which becomes one). */
  readonly decode: (wire: Wire) => Value;
  /** Before writing; may throw to reject the value likewise. */
  readonly encode: (value: Value) => Wire;
}

/**
 * The same bytes as `codec`, seen as another type (bytes as a parsed
 * identifier, a millisecond count as a Date). Also the place for checks the
 * layout cannot state, such as a list that must not be empty. Keep the two
 * directions exact inverses on every value `decode` accepts, so that encoding
 * a decoded value gives back the same bytes.
 */
export function transform<Wire, Value>(
  codec: Codec<Wire>,
  conversion: Conversion<Wire, Value>,
  name = codec.name,
): Codec<Value> {
  return {
    name,
    write(writer, value) {
      codec.write(writer, conversion.encode(value));
    },
    read: (reader) => conversion.decode(codec.read(reader)),
  };
}

/**
 * The same codec with a rule its layout cannot state (a list that must be
 * sorted, a message that must be a proposal), checked in both directions:
 * `check` returns the value or throws to reject it (a CodecError, or anything,
 * which becomes one).
 */
export function refine<T>(codec: Codec<T>, check: (value: T) => T, name = codec.name): Codec<T> {
  return transform(codec, { decode: check, encode: check }, name);
}
