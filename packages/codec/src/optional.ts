import type { Codec } from "./codec.js";
import { CodecError } from "./errors.js";

/**
 * `optional<T>` (RFC 9420 s.2.1.1): a presence octet, 0 (absent, `undefined`)
 * or 1 followed by the value; any other octet is malformed. `T` itself must
 * not include `undefined`, or absent and present-but-undefined would collide.
 */
export function optional<T>(codec: Codec<T>): Codec<T | undefined> {
  return {
    name: `optional<${codec.name}>`,
    write(writer, value) {
      if (value === undefined) {
        writer.uint8(0);
        return;
      }
      writer.uint8(1);
      codec.write(writer, value);
    },
    read(reader) {
      const presence = reader.uint8();
      if (presence === 0) return undefined;
      if (presence !== 1) throw new CodecError(`presence octet must be 0 or 1, found ${presence}`);
      return codec.read(reader);
    },
  };
}
