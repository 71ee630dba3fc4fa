import type { Codec } from "./codec.js";
import { CodecError, describeValue } from "./errors.js";

/** An encoder of ts-mls's shape (ts-mls 1.x `Encoder<T>`): the whole encoding of one value. */
export type ForeignEncoder<T> = (value: T) => Uint8Array;

/**
 * A decoder of ts-mls's shape (`Decoder<T>`): reads one value at `offset` and
 * returns it with the number of bytes it consumed, or `undefined` when the
 * input is malformed. It may also throw.
 */
export type ForeignDecoder<T> = (bytes: Uint8Array, offset: number) => readonly [T, number] | undefined;

/**
 * A codec around an encoder/decoder pair from another library, such as
 * ts-mls's `encodeKeyPackage`/`decodeKeyPackage`. Whatever goes wrong inside
 * (an `undefined` result, any thrown exception, a consumed length that is not
 * a whole number of the bytes available) becomes a CodecError, so nothing
 * foreign leaks. The decoder sees only the bytes up to the end of the
 * enclosing vector (a view, not a copy); the values it returns are its own
 * business: ts-mls's alias the input of `decode`.
 */
export function external<T>(name: string, encode: ForeignEncoder<T>, decode: ForeignDecoder<T>): Codec<T> {
  return {
    name,
    write(writer, value) {
      let bytes: unknown;
      try {
        bytes = encode(value);
      } catch (error) {
        throw foreignError(`cannot encode ${name}`, error);
      }
      if (!(bytes instanceof Uint8Array)) {
        throw new CodecError(`${name} encoder returned ${describeValue(bytes)}, not bytes`);
      }
      writer.bytes(bytes);
    },
    read(reader) {
      const available = reader.remainingView();
      let result: unknown;
      try {
        result = decode(available, 0);
      } catch (error) {
        throw foreignError(`invalid ${name}`, error);
      }
      if (result === undefined) throw new CodecError(`invalid ${name}`);
      if (!Array.isArray(result) || result.length !== 2) {
        throw new CodecError(`${name} decoder returned ${describeValue(result)}, not [value, length]`);
      }
      const [value, consumed] = result as [T, unknown];
      if (typeof consumed !== "number" || !Number.isInteger(consumed) || consumed < 0 || consumed > available.length) {
        throw new CodecError(
          `${name} decoder reported consuming ${describeValue(consumed)} of ${available.length} available bytes`,
        );
      }
      reader.skip(consumed);
      return value;
    },
  };
}

function foreignError(reason: string, error: unknown): CodecError {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new CodecError(`${reason} (${detail})`, { cause: error });
}
