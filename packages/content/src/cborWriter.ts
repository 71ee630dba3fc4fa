import { hexToBytes } from "@noble/hashes/utils.js";
import { MAJOR_ARRAY, MAJOR_BYTES, MAJOR_MAP, MAJOR_NEGINT, MAJOR_TAG, MAJOR_TEXT, MAJOR_UINT } from "./cborReader.js";
import { CborFloat, type CborKey, CborSimple, CborTag, type CborValue } from "./cborValue.js";
import { ContentError } from "./errors.js";
import { FieldPath, KeySegment, type PathSegment } from "./fieldPath.js";
import { exactHalfBits } from "./halfFloat.js";

const TWO_POW_64 = 1n << 64n;
const MAX_UINT64 = TWO_POW_64 - 1n;
const MAX_SAFE_KEY = BigInt(Number.MAX_SAFE_INTEGER);
const utf8 = new TextEncoder();

/**
 * Results are carved out of shared arenas: small encodings (most messages)
 * become views of one 64 KiB block instead of a fresh array each, which V8
 * allocates off-heap above 64 bytes at a cost larger than the encoding itself.
 * A region is never handed out twice; an arena lives while results use it.
 */
const ARENA_SIZE = 64 * 1024;
let arena = new Uint8Array(ARENA_SIZE);
let arenaOffset = 0;

/** For floats and 64-bit integers; bytes are copied out right after each use. */
const scratch = new DataView(new ArrayBuffer(8));

/**
 * A writer of deterministic CBOR (RFC 8949 s.4.2.1): shortest arguments and
 * floats, definite lengths, map keys sorted bytewise by their encodings. It
 * refuses what the strict reader would refuse, so everything it writes reads
 * back. Errors are ContentErrors naming the field path (see FieldPath).
 */
export class CborWriter extends FieldPath {
  private buffer: Uint8Array;
  private start: number;
  private pos: number;

  /**
   * A writer into the shared arena, whose `finish` hands out what it wrote;
   * or, given a buffer, a writer into that buffer (for pieces written while
   * another writer holds the arena).
   */
  constructor(ownBuffer?: Uint8Array) {
    super();
    if (ownBuffer !== undefined) {
      this.buffer = ownBuffer;
      this.start = 0;
      this.pos = 0;
      return;
    }
    if (arenaOffset > ARENA_SIZE - 1024) {
      arena = new Uint8Array(ARENA_SIZE);
      arenaOffset = 0;
    }
    this.buffer = arena;
    this.start = arenaOffset;
    this.pos = arenaOffset;
  }

  /** The bytes written, claimed for good: later writers never touch them. */
  finish(): Uint8Array {
    if (this.buffer !== arena) return this.buffer.subarray(this.start, this.pos);
    const result = arena.subarray(this.start, this.pos);
    arenaOffset = (this.pos + 7) & ~7;
    return result;
  }

  head(major: number, argument: number | bigint): void {
    const initial = major << 5;
    this.reserve(9);
    const buffer = this.buffer;
    const at = this.pos;
    if (typeof argument === "bigint") {
      if (argument <= 0xffffffffn) {
        this.head(major, Number(argument));
        return;
      }
      buffer[at] = initial | 27;
      scratch.setBigUint64(0, argument);
      for (let i = 0; i < 8; i++) buffer[at + 1 + i] = scratch.getUint8(i);
      this.pos = at + 9;
      return;
    }
    if (argument < 24) {
      buffer[at] = initial | argument;
      this.pos = at + 1;
    } else if (argument < 0x100) {
      buffer[at] = initial | 24;
      buffer[at + 1] = argument;
      this.pos = at + 2;
    } else if (argument < 0x10000) {
      buffer[at] = initial | 25;
      buffer[at + 1] = argument >>> 8;
      buffer[at + 2] = argument & 0xff;
      this.pos = at + 3;
    } else if (argument < 0x100000000) {
      buffer[at] = initial | 26;
      writeUint32(buffer, at + 1, argument);
      this.pos = at + 5;
    } else {
      buffer[at] = initial | 27;
      writeUint32(buffer, at + 1, Math.floor(argument / 0x100000000));
      writeUint32(buffer, at + 5, argument >>> 0);
      this.pos = at + 9;
    }
  }

  /** A non-negative integer no larger than `max`. */
  uint(field: PathSegment | undefined, value: number | bigint, max: number | bigint): void {
    if (typeof value === "number" ? !Number.isSafeInteger(value) : typeof value !== "bigint") {
      throw this.error(field, `${String(value)} is not an integer`);
    }
    if (value < 0 || value > max) throw this.error(field, `${value} is outside 0..${max}`);
    this.head(MAJOR_UINT, value);
  }

  bytes(field: PathSegment | undefined, value: Uint8Array): void {
    if (!(value instanceof Uint8Array)) throw this.error(field, "expected a byte string (Uint8Array)");
    this.head(MAJOR_BYTES, value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  text(field: PathSegment | undefined, value: string): void {
    if (typeof value !== "string") throw this.error(field, "expected a text string");
    const length = value.length;
    if (length <= 64) {
      let ascii = true;
      for (let i = 0; i < length; i++) {
        if (value.charCodeAt(i) > 0x7f) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        this.head(MAJOR_TEXT, length);
        this.reserve(length);
        for (let i = 0; i < length; i++) this.buffer[this.pos + i] = value.charCodeAt(i);
        this.pos += length;
        return;
      }
    }
    if (!value.isWellFormed()) throw this.error(field, "text contains a lone surrogate (not valid UTF-8)");
    const encoded = utf8.encode(value);
    this.head(MAJOR_TEXT, encoded.length);
    this.reserve(encoded.length);
    this.buffer.set(encoded, this.pos);
    this.pos += encoded.length;
  }

  boolean(value: boolean): void {
    this.simple(value ? 21 : 20);
  }

  null(): void {
    this.simple(22);
  }

  /** Raw bytes that are already a deterministic encoding. */
  raw(encoded: Uint8Array): void {
    this.reserve(encoded.length);
    this.buffer.set(encoded, this.pos);
    this.pos += encoded.length;
  }

  /**
   * Any extension value. `level` is the nesting level of the item: a map,
   * array or tag may sit at most at `maxLevel` (content-08 s.6.3).
   */
  value(value: CborValue, level: number, maxLevel: number): void {
    switch (typeof value) {
      case "number":
        if (!Number.isSafeInteger(value)) {
          throw this.error(
            undefined,
            `${value} is not a safe integer (use CborFloat for floats, bigint for large integers)`,
          );
        }
        if (value >= 0) this.head(MAJOR_UINT, value);
        else this.head(MAJOR_NEGINT, -1 - value);
        return;
      case "bigint":
        this.bigInteger(value);
        return;
      case "string":
        this.text(undefined, value);
        return;
      case "boolean":
        this.boolean(value);
        return;
      case "undefined":
        this.simple(23);
        return;
    }
    if (value === null) {
      this.null();
      return;
    }
    if (value instanceof Uint8Array) {
      this.bytes(undefined, value);
      return;
    }
    if (value instanceof CborFloat) {
      this.float(value.value);
      return;
    }
    if (value instanceof CborSimple) {
      const simple = value.value;
      if (!Number.isInteger(simple) || simple < 0 || simple > 255 || (simple >= 20 && simple < 32)) {
        throw this.error(undefined, `simple value ${simple} must be 0..19 or 32..255`);
      }
      this.simple(simple);
      return;
    }
    if (level > maxLevel) throw this.error(undefined, `nested deeper than ${maxLevel} levels`);
    if (Array.isArray(value)) {
      this.head(MAJOR_ARRAY, value.length);
      for (let i = 0; i < value.length; i++) {
        this.enter(i);
        this.value(value[i], level + 1, maxLevel);
        this.leave();
      }
      return;
    }
    if (value instanceof Map) {
      this.map(value, level, maxLevel);
      return;
    }
    if (value instanceof CborTag) {
      const tag = value.tag;
      if (tag === 2 || tag === 3 || tag === 2n || tag === 3n) {
        throw this.error(undefined, "bignums (tags 2 and 3) are written from bigint values");
      }
      if (typeof tag === "number" ? !Number.isSafeInteger(tag) || tag < 0 : tag < 0n || tag > MAX_UINT64) {
        throw this.error(undefined, `tag number ${tag} is outside 0..2^64-1`);
      }
      this.head(MAJOR_TAG, tag);
      this.value(value.value, level + 1, maxLevel);
      return;
    }
    throw this.error(undefined, "not a CBOR value");
  }

  /**
   * A map at nesting level `level`, entries sorted by the bytewise order of
   * their encoded keys (RFC 8949 s.4.2.1). `keyProblem` says what is wrong
   * with a key, if anything; errors name `<map>.key[<index>]`.
   */
  map(
    map: ReadonlyMap<CborKey, CborValue>,
    level: number,
    maxLevel: number,
    keyProblem: (key: CborKey) => string | undefined = nestedMapKeyProblem,
  ): void {
    const entries: { encodedKey: Uint8Array; key: CborKey; value: CborValue }[] = [];
    let index = 0;
    for (const [key, value] of map) {
      const problem = keyProblem(key);
      if (problem !== undefined) {
        this.enter("key");
        throw this.error(index, problem);
      }
      let encodedKey: Uint8Array;
      try {
        encodedKey = encodeKey(key, level, maxLevel);
      } catch (error) {
        if (!(error instanceof ContentError)) throw error;
        this.enter("key");
        throw this.error(index, error.reason);
      }
      entries.push({ encodedKey, key, value });
      index++;
    }
    entries.sort((a, b) => compareBytes(a.encodedKey, b.encodedKey));
    this.head(MAJOR_MAP, entries.length);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as (typeof entries)[number];
      this.enter(new KeySegment(entry.key));
      if (i > 0 && compareBytes((entries[i - 1] as typeof entry).encodedKey, entry.encodedKey) === 0) {
        throw this.error(undefined, "duplicate map key");
      }
      this.raw(entry.encodedKey);
      this.value(entry.value, level + 1, maxLevel);
      this.leave();
    }
  }

  private bigInteger(value: bigint): void {
    if (value >= 0n) {
      if (value <= MAX_UINT64) this.head(MAJOR_UINT, value);
      else this.bignum(2, value);
    } else {
      const magnitude = -1n - value;
      if (magnitude <= MAX_UINT64) this.head(MAJOR_NEGINT, magnitude);
      else this.bignum(3, magnitude);
    }
  }

  private bignum(tag: 2 | 3, magnitude: bigint): void {
    const hex = magnitude.toString(16);
    this.head(MAJOR_TAG, tag);
    this.bytes(undefined, hexToBytes(hex.length % 2 ? `0${hex}` : hex));
  }

  private float(value: number): void {
    if (typeof value !== "number") throw this.error(undefined, "CborFloat must hold a number");
    this.reserve(9);
    const half = exactHalfBits(value);
    let width: number;
    if (half !== undefined) {
      this.buffer[this.pos] = 0xf9;
      scratch.setUint16(0, half);
      width = 2;
    } else if (Math.fround(value) === value) {
      this.buffer[this.pos] = 0xfa;
      scratch.setFloat32(0, value);
      width = 4;
    } else {
      this.buffer[this.pos] = 0xfb;
      scratch.setFloat64(0, value);
      width = 8;
    }
    for (let i = 0; i < width; i++) this.buffer[this.pos + 1 + i] = scratch.getUint8(i);
    this.pos += 1 + width;
  }

  private simple(value: number): void {
    this.reserve(2);
    if (value < 24) {
      this.buffer[this.pos++] = 0xe0 | value;
    } else {
      this.buffer[this.pos] = 0xf8;
      this.buffer[this.pos + 1] = value;
      this.pos += 2;
    }
  }

  /** Makes room; outgrowing the arena moves what was written to a buffer of its own. */
  private reserve(count: number): void {
    if (this.pos + count <= this.buffer.length) return;
    let size = Math.max(256, (this.pos - this.start) * 2);
    while (size < this.pos - this.start + count) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(this.start, this.pos));
    this.pos -= this.start;
    this.start = 0;
    this.buffer = grown;
  }
}

/** Encodings of the integer keys -24..23, the keys of nearly every map, computed once. */
const SMALL_INTEGER_KEYS = Array.from({ length: 48 }, (_, i) =>
  Uint8Array.of(i < 24 ? (MAJOR_NEGINT << 5) | (23 - i) : i - 24),
);

function encodeKey(key: CborKey, level: number, maxLevel: number): Uint8Array {
  if (typeof key === "number" && key >= -24 && key < 24 && Number.isInteger(key)) {
    return SMALL_INTEGER_KEYS[key + 24] as Uint8Array;
  }
  const writer = new CborWriter(new Uint8Array(32));
  writer.value(key, level, maxLevel);
  return writer.finish();
}

function writeUint32(buffer: Uint8Array, at: number, value: number): void {
  buffer[at] = value >>> 24;
  buffer[at + 1] = (value >>> 16) & 0xff;
  buffer[at + 2] = (value >>> 8) & 0xff;
  buffer[at + 3] = value & 0xff;
}

/** Keys of maps inside extension values: integers within +-(2^53-1), text or byte strings (content-08 s.6.2). */
function nestedMapKeyProblem(key: CborKey): string | undefined {
  if (typeof key === "string" || key instanceof Uint8Array) return undefined;
  if (typeof key === "number" && Number.isSafeInteger(key)) return undefined;
  if (typeof key === "bigint" && key <= MAX_SAFE_KEY && key >= -MAX_SAFE_KEY) return undefined;
  return "map key must be an integer within +-(2^53-1), a text or a byte string";
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    const difference = (a[i] as number) - (b[i] as number);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}
