import type { Codec } from "./codec.js";
import { CodecError, describeValue, relocate } from "./errors.js";
import { type LengthOptions, maxLengthOf } from "./opaque.js";

/**
 * `T x<V>`: an RFC 9420 s.2.1.2 varint byte length, then the items. Decoding
 * reads items until exactly that many bytes are consumed; an item may not
 * cross the end. `maxLength` bounds the byte length, not the item count.
 * Errors inside an item are located at `[index]`.
 */
export function vector<T>(item: Codec<T>, options: LengthOptions = {}): Codec<T[]> {
  const maxLength = maxLengthOf(options);
  return {
    name: `${item.name}<V>`,
    write(writer, values) {
      if (!Array.isArray(values)) throw new CodecError(`expected an array, found ${describeValue(values)}`);
      const start = writer.beginVector();
      for (let index = 0; index < values.length; index++) {
        const before = writer.length;
        try {
          item.write(writer, values[index] as T);
        } catch (error) {
          throw relocate(error, `[${index}]`);
        }
        // A zero-byte item would vanish on decode: the length counts bytes, not items.
        if (writer.length === before) throw new CodecError(`${item.name} wrote no bytes`, { field: `[${index}]` });
      }
      writer.endVector(start, maxLength);
    },
    read(reader) {
      const enclosingLimit = reader.beginVector(maxLength);
      const values: T[] = [];
      while (reader.remaining > 0) {
        const index = values.length;
        const before = reader.offset;
        try {
          reader.countItem();
          values.push(item.read(reader));
        } catch (error) {
          throw relocate(error, `[${index}]`);
        }
        if (reader.offset === before) throw new CodecError(`${item.name} read no bytes`, { field: `[${index}]` });
      }
      reader.endVector(enclosingLimit);
      return values;
    },
  };
}
