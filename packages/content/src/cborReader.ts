import { bytesToHex } from "@noble/hashes/utils.js";
import { CborFloat, type CborKey, type CborMap, CborSimple, CborTag, type CborValue } from "./cborValue.js";
import { ContentError } from "./errors.js";
import { exactHalfBits, halfToNumber } from "./halfFloat.js";

/**
 * A strict reader of deterministically encoded CBOR (RFC 8949 s.4.2.1) with
 * the data model restrictions of content-08 s.6.2. It accepts only:
 * shortest-form arguments, definite lengths, valid UTF-8, shortest floats,
 * NaN only as f97e00, bignums only where a plain integer cannot hold the
 * value, map keys of integer/text/byte string type that are unique and in
 * bytewise order, and integer keys within +-(2^53-1).
 *
 * Every rejection is a ContentError naming the path given by the caller.
 */

export const MAJOR_UINT = 0;
export const MAJOR_NEGINT = 1;
export const MAJOR_BYTES = 2;
export const MAJOR_TEXT = 3;
export const MAJOR_ARRAY = 4;
export const MAJOR_MAP = 5;
export const MAJOR_TAG = 6;
export const MAJOR_SIMPLE = 7;

const MAJOR_NAMES = ["unsigned integer", "negative integer", "byte string", "text string", "array", "map", "tag"];

const TWO_POW_32 = 2 ** 32;
const TWO_POW_64 = 1n << 64n;
/** Largest argument of a negative integer key: -1 - (2^53 - 2) = -(2^53 - 1). */
const MAX_NEGATIVE_KEY_ARGUMENT = Number.MAX_SAFE_INTEGER - 1;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function describeInitialByte(initial: number): string {
  const major = initial >> 5;
  if (major < MAJOR_SIMPLE) return MAJOR_NAMES[major] as string;
  switch (initial) {
    case 0xf4:
    case 0xf5:
      return "boolean";
    case 0xf6:
      return "null";
    case 0xf7:
      return "undefined";
    case 0xf9:
    case 0xfa:
    case 0xfb:
      return "float";
    case 0xff:
      return "break";
    default:
      return "simple value";
  }
}

export class CborReader {
  private pos = 0;
  private readonly view: DataView;
  /** Argument of the head read last (a length, integer magnitude or tag number). */
  private argument: number | bigint = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  /** Fails unless every byte was consumed: a document is exactly one data item. */
  finish(path: string): void {
    if (this.pos !== this.bytes.length) {
      throw new ContentError(path, `${this.bytes.length - this.pos} trailing bytes after the data item`);
    }
  }

  /** Consumes a `null` if one is next. */
  nullNext(): boolean {
    if (this.bytes[this.pos] === 0xf6) {
      this.pos++;
      return true;
    }
    return false;
  }

  uint(path: string, max: number): number {
    this.expect(path, MAJOR_UINT);
    const value = this.argument;
    if (typeof value === "bigint" || value > max) throw new ContentError(path, `${value} exceeds ${max}`);
    return value;
  }

  /** An unsigned integer of up to 64 bits: a number when safe, else a bigint. */
  uint64(path: string): number | bigint {
    this.expect(path, MAJOR_UINT);
    return this.argument;
  }

  bytesItem(path: string): Uint8Array {
    this.expect(path, MAJOR_BYTES);
    const start = this.pos;
    this.pos = start + this.length(path);
    return this.bytes.slice(start, this.pos);
  }

  text(path: string): string {
    this.expect(path, MAJOR_TEXT);
    const start = this.pos;
    this.pos = start + this.length(path);
    return this.decodeUtf8(start, this.pos, path);
  }

  boolean(path: string): boolean {
    const initial = this.bytes[this.pos];
    if (initial === 0xf4 || initial === 0xf5) {
      this.pos++;
      return initial === 0xf5;
    }
    throw this.mismatch(path, "boolean");
  }

  arrayHeader(path: string): number {
    this.expect(path, MAJOR_ARRAY);
    return this.length(path);
  }

  mapHeader(path: string): number {
    this.expect(path, MAJOR_MAP);
    return this.length(path);
  }

  /**
   * Reads a map key (integer within +-(2^53-1), text or byte string) and
   * checks it sorts strictly after the previous key of the same map, which
   * also rules out duplicates. Returns the key and where its encoding starts.
   */
  mapKey(path: string, previousKeyStart: number, previousKeyEnd: number): CborKey {
    const start = this.pos;
    const initial = this.bytes[start];
    if (initial === undefined) throw new ContentError(path, "unexpected end of input");
    let key: CborKey;
    switch (initial >> 5) {
      case MAJOR_UINT:
        key = this.uint(path, Number.MAX_SAFE_INTEGER);
        break;
      case MAJOR_NEGINT:
        this.head(path);
        if (typeof this.argument === "bigint" || this.argument > MAX_NEGATIVE_KEY_ARGUMENT) {
          throw new ContentError(path, "integer map key below -(2^53-1)");
        }
        key = -1 - this.argument;
        break;
      case MAJOR_TEXT:
        key = this.text(path);
        break;
      case MAJOR_BYTES:
        key = this.bytesItem(path);
        break;
      default:
        throw new ContentError(
          path,
          `map key must be an integer, text or byte string, found ${describeInitialByte(initial)}`,
        );
    }
    if (previousKeyStart >= 0 && this.compareRanges(previousKeyStart, previousKeyEnd, start, this.pos) >= 0) {
      throw new ContentError(
        path,
        this.compareRanges(previousKeyStart, previousKeyEnd, start, this.pos) === 0
          ? "duplicate map key"
          : "map keys not in deterministic (bytewise) order",
      );
    }
    return key;
  }

  /**
   * Any data item, for extension values. `level` is the nesting level of the
   * item: a map, array or tag may sit at most at `maxLevel` (content-08 s.6.3).
   */
  value(path: string, level: number, maxLevel: number): CborValue {
    const initial = this.bytes[this.pos];
    if (initial === undefined) throw new ContentError(path, "unexpected end of input");
    const major = initial >> 5;
    if (major >= MAJOR_ARRAY && major <= MAJOR_TAG && level > maxLevel && !this.bignumNext()) {
      throw new ContentError(path, `nested deeper than ${maxLevel} levels`);
    }
    switch (major) {
      case MAJOR_UINT:
        return this.uint64(path);
      case MAJOR_NEGINT:
        this.head(path);
        return typeof this.argument === "number" && this.argument <= MAX_NEGATIVE_KEY_ARGUMENT
          ? -1 - this.argument
          : -1n - BigInt(this.argument);
      case MAJOR_BYTES:
        return this.bytesItem(path);
      case MAJOR_TEXT:
        return this.text(path);
      case MAJOR_ARRAY: {
        const count = this.arrayHeader(path);
        const items: CborValue[] = new Array(count);
        for (let i = 0; i < count; i++) items[i] = this.value(`${path}[${i}]`, level + 1, maxLevel);
        return items;
      }
      case MAJOR_MAP: {
        const count = this.mapHeader(path);
        const map: CborMap = new Map();
        let keyStart = -1;
        let keyEnd = -1;
        for (let i = 0; i < count; i++) {
          const start = this.pos;
          const key = this.mapKey(`${path}.key[${i}]`, keyStart, keyEnd);
          keyStart = start;
          keyEnd = this.pos;
          map.set(key, this.value(`${path}[${keyLabel(key)}]`, level + 1, maxLevel));
        }
        return map;
      }
      case MAJOR_TAG:
        return this.tagged(path, level, maxLevel);
      default:
        return this.simpleOrFloat(path);
    }
  }

  private tagged(path: string, level: number, maxLevel: number): CborValue {
    this.head(path);
    const tag = this.argument;
    if (tag !== 2 && tag !== 3) return new CborTag(tag, this.value(path, level + 1, maxLevel));
    // Bignums (RFC 8949 s.3.4.3): deterministic encoding uses them only for
    // values a plain integer cannot hold, without leading zero bytes.
    const magnitudeBytes = this.bytesItem(`${path}(bignum)`);
    if (magnitudeBytes[0] === 0) throw new ContentError(path, "bignum with leading zero bytes");
    let magnitude = 0n;
    for (const byte of magnitudeBytes) magnitude = (magnitude << 8n) | BigInt(byte);
    if (magnitude < TWO_POW_64) throw new ContentError(path, "bignum that fits a plain integer");
    return tag === 2 ? magnitude : -1n - magnitude;
  }

  private bignumNext(): boolean {
    const initial = this.bytes[this.pos];
    return initial === 0xc2 || initial === 0xc3;
  }

  private simpleOrFloat(path: string): CborValue {
    const initial = this.bytes[this.pos] as number;
    const info = initial & 0x1f;
    const at = this.pos + 1;
    switch (info) {
      case 20:
        this.pos = at;
        return false;
      case 21:
        this.pos = at;
        return true;
      case 22:
        this.pos = at;
        return null;
      case 23:
        this.pos = at;
        return undefined;
      case 24: {
        this.need(path, 1);
        const simple = this.bytes[at] as number;
        if (simple < 32) throw new ContentError(path, `simple value ${simple} not in shortest form`);
        this.pos = at + 1;
        return new CborSimple(simple);
      }
      case 25: {
        this.need(path, 2);
        const bits = this.view.getUint16(at);
        this.pos = at + 2;
        const value = halfToNumber(bits);
        if (Number.isNaN(value) && bits !== 0x7e00) throw nanError(path);
        return new CborFloat(value);
      }
      case 26: {
        this.need(path, 4);
        const value = this.view.getFloat32(at);
        this.pos = at + 4;
        if (Number.isNaN(value)) throw nanError(path);
        if (exactHalfBits(value) !== undefined) throw new ContentError(path, "float not in shortest form");
        return new CborFloat(value);
      }
      case 27: {
        this.need(path, 8);
        const value = this.view.getFloat64(at);
        this.pos = at + 8;
        if (Number.isNaN(value)) throw nanError(path);
        if (Math.fround(value) === value) throw new ContentError(path, "float not in shortest form");
        return new CborFloat(value);
      }
      case 31:
        throw new ContentError(path, "unexpected break code");
      default:
        if (info < 20) {
          this.pos = at;
          return new CborSimple(info);
        }
        throw new ContentError(path, `reserved additional information ${info}`);
    }
  }

  /** Reads a head of the expected major type. */
  private expect(path: string, major: number): void {
    const initial = this.bytes[this.pos];
    if (initial === undefined) throw new ContentError(path, "unexpected end of input");
    if (initial >> 5 !== major) throw this.mismatch(path, MAJOR_NAMES[major] as string);
    this.head(path);
  }

  private mismatch(path: string, expected: string): ContentError {
    const initial = this.bytes[this.pos];
    if (initial === undefined) return new ContentError(path, "unexpected end of input");
    return new ContentError(path, `expected ${expected}, found ${describeInitialByte(initial)}`);
  }

  /** Reads an initial byte and its argument, which must be in shortest form and definite. */
  private head(path: string): void {
    const info = (this.bytes[this.pos] as number) & 0x1f;
    const at = this.pos + 1;
    if (info < 24) {
      this.argument = info;
      this.pos = at;
      return;
    }
    switch (info) {
      case 24: {
        this.need(path, 1);
        const value = this.bytes[at] as number;
        if (value < 24) throw notShortest(path);
        this.argument = value;
        this.pos = at + 1;
        return;
      }
      case 25: {
        this.need(path, 2);
        const value = this.view.getUint16(at);
        if (value < 0x100) throw notShortest(path);
        this.argument = value;
        this.pos = at + 2;
        return;
      }
      case 26: {
        this.need(path, 4);
        const value = this.view.getUint32(at);
        if (value < 0x10000) throw notShortest(path);
        this.argument = value;
        this.pos = at + 4;
        return;
      }
      case 27: {
        this.need(path, 8);
        const high = this.view.getUint32(at);
        const low = this.view.getUint32(at + 4);
        if (high === 0) throw notShortest(path);
        this.argument = high < 0x200000 ? high * TWO_POW_32 + low : (BigInt(high) << 32n) | BigInt(low);
        this.pos = at + 8;
        return;
      }
      case 31:
        throw new ContentError(path, "indefinite length not allowed");
      default:
        throw new ContentError(path, `reserved additional information ${info}`);
    }
  }

  /** The current argument as a length that fits in the remaining input. */
  private length(path: string): number {
    const length = this.argument;
    if (typeof length === "bigint" || length > this.bytes.length - this.pos) {
      throw new ContentError(path, "length exceeds the input");
    }
    return length;
  }

  private need(path: string, count: number): void {
    if (this.pos + 1 + count > this.bytes.length) throw new ContentError(path, "unexpected end of input");
  }

  private decodeUtf8(start: number, end: number, path: string): string {
    const bytes = this.bytes;
    if (end - start <= 64) {
      let ascii = true;
      for (let i = start; i < end; i++) {
        if ((bytes[i] as number) > 0x7f) {
          ascii = false;
          break;
        }
      }
      if (ascii) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
    }
    try {
      return utf8.decode(bytes.subarray(start, end));
    } catch {
      throw new ContentError(path, "invalid UTF-8");
    }
  }

  private compareRanges(aStart: number, aEnd: number, bStart: number, bEnd: number): number {
    const bytes = this.bytes;
    const aLength = aEnd - aStart;
    const bLength = bEnd - bStart;
    const common = Math.min(aLength, bLength);
    for (let i = 0; i < common; i++) {
      const difference = (bytes[aStart + i] as number) - (bytes[bStart + i] as number);
      if (difference !== 0) return difference;
    }
    return aLength - bLength;
  }
}

/** How a map key appears in a field path: `[1]`, `["name"]`, `[h'00ff']`. */
export function keyLabel(key: CborKey): string {
  if (typeof key === "string") return JSON.stringify(key);
  if (key instanceof Uint8Array) return `h'${bytesToHex(key)}'`;
  return String(key);
}

function notShortest(path: string): ContentError {
  return new ContentError(path, "integer or length not in shortest form");
}

function nanError(path: string): ContentError {
  return new ContentError(path, "NaN must be the half-width quiet NaN f97e00");
}
