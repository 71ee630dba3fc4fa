import type { Codec } from "./codec.js";
import { CodecError, describeValue } from "./errors.js";
import { MAX_VARINT } from "./varint.js";

export interface LengthOptions {
  /** The largest length in bytes accepted when decoding and encoding (at most 2^30-1). */
  readonly maxLength?: number;
}

/** `opaque x[n]`: exactly `length` bytes, no prefix (RFC 8446 s.3.4). Decoding returns a copy. */
export function opaque(length: number): Codec<Uint8Array> {
  checkLimit("opaque length", length);
  return {
    name: `opaque[${length}]`,
    write(writer, value) {
      if (value instanceof Uint8Array && value.length !== length) {
        throw new CodecError(`expected ${length} bytes, found ${value.length}`);
      }
      writer.bytes(value);
    },
    read: (reader) => reader.bytes(length),
  };
}

/** `opaque x<V>`: bytes after an RFC 9420 s.2.1.2 varint length. Decoding returns a copy. */
export function varOpaque(options: LengthOptions = {}): Codec<Uint8Array> {
  const maxLength = maxLengthOf(options);
  return {
    name: "opaque<V>",
    write(writer, value) {
      if (!(value instanceof Uint8Array)) throw new CodecError(`expected a Uint8Array, found ${describeValue(value)}`);
      writer.lengthPrefix(value.length, maxLength);
      writer.bytes(value);
    },
    read: (reader) => reader.bytes(reader.lengthPrefix(maxLength)),
  };
}

// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: a leading U+FEFF is content, kept so bytes round-trip.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * `opaque x<V>` holding UTF-8 text, as a string. Decoding rejects invalid
 * UTF-8; encoding rejects strings with lone surrogates, which have no UTF-8 form.
 */
export function utf8(options: LengthOptions = {}): Codec<string> {
  const maxLength = maxLengthOf(options);
  return {
    name: "utf8<V>",
    write: (writer, value) => writer.utf8(value, maxLength),
    read(reader) {
      // A view is safe here: the string is built from it at once and the view is dropped.
      const bytes = reader.view(reader.lengthPrefix(maxLength));
      try {
        return utf8Decoder.decode(bytes);
      } catch {
        throw new CodecError("invalid UTF-8");
      }
    },
  };
}

/** The checked `maxLength` of a length-prefixed codec. */
export function maxLengthOf(options: LengthOptions): number {
  const maxLength = options.maxLength ?? MAX_VARINT;
  checkLimit("maxLength", maxLength);
  return maxLength;
}

function checkLimit(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_VARINT) {
    throw new CodecError(`${what} must be an integer in 0..2^30-1, found ${describeValue(value)}`);
  }
}
