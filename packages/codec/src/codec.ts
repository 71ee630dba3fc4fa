import { CodecError, countOf, rooted } from "./errors.js";
import { type DecodeOptions, Reader } from "./reader.js";
import { Writer } from "./writer.js";

/**
 * One type of the TLS presentation language, declared once: `write` and
 * `read` are the two directions of the same layout. A plain object, so a
 * codec for any other wire type can be written by hand against the
 * Reader/Writer API. Both directions throw only CodecError.
 */
export interface Codec<T> {
  /** What is coded, for error messages: `uint16`, `opaque<V>`, `KeyPackage`, `KeyMaterialRequest`. */
  readonly name: string;
  readonly write: (writer: Writer, value: T) => void;
  readonly read: (reader: Reader) => T;
}

/** Any codec, whatever its value type (for constraints such as a struct's field list). */
export interface AnyCodec {
  readonly name: string;
  readonly write: (writer: Writer, value: never) => void;
  readonly read: (reader: Reader) => unknown;
}

/** The value type of a codec: `ValueOf<typeof keyMaterialRequest>`. */
export type ValueOf<C extends AnyCodec> = ReturnType<C["read"]>;

/** Encodes `value`; throws CodecError when it does not fit the codec (out of range, wrong length, unknown enum value). */
export function encode<T>(codec: Codec<T>, value: T): Uint8Array {
  const writer = new Writer();
  try {
    codec.write(writer, value);
  } catch (error) {
    throw rooted(error, codec.name);
  }
  return writer.finish();
}

/**
 * Decodes exactly one value filling all of `bytes`. Anything malformed,
 * short or followed by trailing bytes throws CodecError. Opaque values are
 * copies; values from `external` decoders are whatever those return (ts-mls's
 * alias `bytes`).
 */
export function decode<T>(codec: Codec<T>, bytes: Uint8Array, options?: DecodeOptions): T {
  let value: T;
  let trailing: number;
  try {
    const reader = new Reader(bytes, options);
    value = codec.read(reader);
    trailing = reader.remaining;
  } catch (error) {
    throw rooted(error, codec.name);
  }
  if (trailing > 0) throw new CodecError(countOf(trailing, "trailing byte"), { struct: codec.name });
  return value;
}
