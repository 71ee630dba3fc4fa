import { hexToBytes } from "@noble/hashes/utils.js";
import {
  keyLabel,
  MAJOR_ARRAY,
  MAJOR_BYTES,
  MAJOR_MAP,
  MAJOR_NEGINT,
  MAJOR_TAG,
  MAJOR_TEXT,
  MAJOR_UINT,
} from "./cborReader.js";
import { CborFloat, type CborKey, CborSimple, CborTag, type CborValue } from "./cborValue.js";
import { ContentError } from "./errors.js";
import { exactHalfBits } from "./halfFloat.js";

const TWO_POW_64 = 1n << 64n;
const MAX_UINT64 = TWO_POW_64 - 1n;
const MAX_SAFE_KEY = BigInt(Number.MAX_SAFE_INTEGER);
const utf8 = new TextEncoder();

/**
 * A writer of deterministic CBOR (RFC 8949 s.4.2.1): shortest arguments and
 * floats, definite lengths, map keys sorted bytewise by their encodings. It
 * refuses what the strict reader would refuse, so everything it writes reads
 * back. Errors are ContentErrors naming the path given by the caller.
 */
export class CborWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buffer = new Uint8Array(initialSize);
    this.view = new DataView(this.buffer.buffer);
  }

  /** The bytes written so far, as a copy. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.pos);
  }

  head(major: number, argument: number | bigint): void {
    const initial = major << 5;
    this.reserve(9);
    if (typeof argument === "bigint") {
      if (argument <= 0xffffffffn) {
        this.head(major, Number(argument));
        return;
      }
      this.buffer[this.pos] = initial | 27;
      this.view.setBigUint64(this.pos + 1, argument);
      this.pos += 9;
      return;
    }
    if (argument < 24) {
      this.buffer[this.pos++] = initial | argument;
    } else if (argument < 0x100) {
      this.buffer[this.pos] = initial | 24;
      this.buffer[this.pos + 1] = argument;
      this.pos += 2;
    } else if (argument < 0x10000) {
      this.buffer[this.pos] = initial | 25;
      this.view.setUint16(this.pos + 1, argument);
      this.pos += 3;
    } else if (argument < 0x100000000) {
      this.buffer[this.pos] = initial | 26;
      this.view.setUint32(this.pos + 1, argument);
      this.pos += 5;
    } else {
      this.buffer[this.pos] = initial | 27;
      this.view.setUint32(this.pos + 1, Math.floor(argument / 0x100000000));
      this.view.setUint32(this.pos + 5, argument >>> 0);
      this.pos += 9;
    }
  }

  /** A non-negative integer no larger than `max`. */
  uint(path: string, value: number | bigint, max: number | bigint): void {
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      throw new ContentError(path, `${value} is not an integer`);
    }
    if (value < 0 || value > max) throw new ContentError(path, `${value} is outside 0..${max}`);
    this.head(MAJOR_UINT, value);
  }

  bytes(path: string, value: Uint8Array): void {
    if (!(value instanceof Uint8Array)) throw new ContentError(path, "expected a byte string (Uint8Array)");
    this.head(MAJOR_BYTES, value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  text(path: string, value: string): void {
    if (typeof value !== "string") throw new ContentError(path, "expected a text string");
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
    if (!value.isWellFormed()) throw new ContentError(path, "text contains a lone surrogate (not valid UTF-8)");
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
  value(path: string, value: CborValue, level: number, maxLevel: number): void {
    switch (typeof value) {
      case "number":
        if (!Number.isSafeInteger(value)) {
          throw new ContentError(
            path,
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
        this.text(path, value);
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
      this.bytes(path, value);
      return;
    }
    if (value instanceof CborFloat) {
      this.float(path, value.value);
      return;
    }
    if (value instanceof CborSimple) {
      const simple = value.value;
      if (!Number.isInteger(simple) || simple < 0 || simple > 255 || (simple >= 20 && simple < 32)) {
        throw new ContentError(path, `simple value ${simple} must be 0..19 or 32..255`);
      }
      this.simple(simple);
      return;
    }
    if (level > maxLevel) throw new ContentError(path, `nested deeper than ${maxLevel} levels`);
    if (Array.isArray(value)) {
      this.head(MAJOR_ARRAY, value.length);
      for (let i = 0; i < value.length; i++) this.value(`${path}[${i}]`, value[i], level + 1, maxLevel);
      return;
    }
    if (value instanceof Map) {
      this.map(path, value, level, maxLevel);
      return;
    }
    if (value instanceof CborTag) {
      const tag = value.tag;
      if (tag === 2 || tag === 3 || tag === 2n || tag === 3n) {
        throw new ContentError(path, "bignums (tags 2 and 3) are written from bigint values");
      }
      if (typeof tag === "number" ? !Number.isSafeInteger(tag) || tag < 0 : tag < 0n || tag > MAX_UINT64) {
        throw new ContentError(path, `tag number ${tag} is outside 0..2^64-1`);
      }
      this.head(MAJOR_TAG, tag);
      this.value(path, value.value, level + 1, maxLevel);
      return;
    }
    throw new ContentError(path, "not a CBOR value");
  }

  /** Map entries sorted by the bytewise order of their encoded keys (RFC 8949 s.4.2.1). */
  map(
    path: string,
    map: ReadonlyMap<CborKey, CborValue>,
    level: number,
    maxLevel: number,
    checkKey: (path: string, key: CborKey) => void = checkMapKey,
  ): void {
    const entries: { key: Uint8Array; value: CborValue; label: string }[] = [];
    let index = 0;
    for (const [key, value] of map) {
      const keyPath = `${path}.key[${index++}]`;
      checkKey(keyPath, key);
      const keyWriter = new CborWriter(16);
      keyWriter.value(keyPath, key, level, maxLevel);
      entries.push({ key: keyWriter.finish(), value, label: keyLabel(key) });
    }
    entries.sort((a, b) => compareBytes(a.key, b.key));
    this.head(MAJOR_MAP, entries.length);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as (typeof entries)[number];
      if (i > 0 && compareBytes((entries[i - 1] as typeof entry).key, entry.key) === 0) {
        throw new ContentError(`${path}[${entry.label}]`, "duplicate map key");
      }
      this.raw(entry.key);
      this.value(`${path}[${entry.label}]`, entry.value, level + 1, maxLevel);
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
    this.bytes("", hexToBytes(hex.length % 2 ? `0${hex}` : hex));
  }

  private float(path: string, value: number): void {
    if (typeof value !== "number") throw new ContentError(path, "CborFloat must hold a number");
    this.reserve(9);
    const half = exactHalfBits(value);
    if (half !== undefined) {
      this.buffer[this.pos] = 0xf9;
      this.view.setUint16(this.pos + 1, half);
      this.pos += 3;
    } else if (Math.fround(value) === value) {
      this.buffer[this.pos] = 0xfa;
      this.view.setFloat32(this.pos + 1, value);
      this.pos += 5;
    } else {
      this.buffer[this.pos] = 0xfb;
      this.view.setFloat64(this.pos + 1, value);
      this.pos += 9;
    }
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

  private reserve(count: number): void {
    if (this.pos + count <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.pos + count) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.pos));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}

/** Keys of maps inside extension values: integers within +-(2^53-1), text or byte strings (content-08 s.6.2). */
function checkMapKey(path: string, key: CborKey): void {
  if (typeof key === "string" || key instanceof Uint8Array) return;
  if (typeof key === "number" && Number.isSafeInteger(key)) return;
  if (typeof key === "bigint" && key <= MAX_SAFE_KEY && key >= -MAX_SAFE_KEY) return;
  throw new ContentError(path, "map key must be an integer within +-(2^53-1), a text or a byte string");
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    const difference = (a[i] as number) - (b[i] as number);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}
