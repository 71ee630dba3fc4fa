import { CborFloat, type CborKey, CborSimple, CborTag, type CborValue } from "./cborValue.js";
import type { ContentError } from "./errors.js";
import { FieldPath, KeySegment, type PathSegment } from "./fieldPath.js";
import { exactHalfBits, halfToNumber } from "./halfFloat.js";

/**
 * A strict reader of deterministically encoded CBOR (RFC 8949 s.4.2.1) with
 * the data model restrictions of content-08 s.6.2. It accepts only:
 * shortest-form arguments, definite lengths, valid UTF-8, shortest floats,
 * NaN only as f97e00, bignums only where a plain integer cannot hold the
 * value, map keys of integer/text/byte string type that are unique and in
 * bytewise order, and integer keys within +-(2^53-1).
 *
 * Every rejection is a ContentError naming the field path (see FieldPath).
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
const fromCharCode = String.fromCharCode;

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

export class CborReader extends FieldPath {
  private pos = 0;
  private floatView: DataView | undefined;
  /** Argument of the head read last (a length, integer magnitude or tag number). */
  private argument: number | bigint = 0;

  /** Byte strings read are views of `bytes`, not copies (copying a small array costs more than decoding it). */
  constructor(private readonly bytes: Uint8Array) {
    super();
  }

  /** Fails unless every byte was consumed: a document is exactly one data item. */
  finish(field: string): void {
    if (this.pos !== this.bytes.length) {
      throw this.error(field, `${this.bytes.length - this.pos} trailing bytes after the data item`);
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

  uint(field: PathSegment | undefined, max: number): number {
    this.expect(field, MAJOR_UINT);
    const value = this.argument;
    if (typeof value === "bigint" || value > max) throw this.error(field, `${value} exceeds ${max}`);
    return value;
  }

  /** An unsigned integer of up to 64 bits: a number when safe, else a bigint. */
  uint64(field: PathSegment | undefined): number | bigint {
    this.expect(field, MAJOR_UINT);
    return this.argument;
  }

  bytesItem(field: PathSegment | undefined): Uint8Array {
    this.expect(field, MAJOR_BYTES);
    const start = this.pos;
    this.pos = start + this.length(field);
    return this.bytes.subarray(start, this.pos);
  }

  text(field: PathSegment | undefined): string {
    this.expect(field, MAJOR_TEXT);
    const start = this.pos;
    this.pos = start + this.length(field);
    return this.decodeUtf8(start, this.pos, field);
  }

  boolean(field: PathSegment | undefined): boolean {
    const initial = this.bytes[this.pos];
    if (initial === 0xf4 || initial === 0xf5) {
      this.pos++;
      return initial === 0xf5;
    }
    throw this.mismatch(field, "boolean");
  }

  arrayHeader(field: PathSegment | undefined): number {
    this.expect(field, MAJOR_ARRAY);
    return this.length(field);
  }

  mapHeader(field: PathSegment | undefined): number {
    this.expect(field, MAJOR_MAP);
    return this.length(field);
  }

  /**
   * Reads the key of entry `index` of the current map: an integer within
   * +-(2^53-1), a text or a byte string, sorting strictly after the previous
   * key (whose encoding spans previousStart..previousEnd; -1 for none), which
   * also rules out duplicates. Errors name `<map>.key[<index>]`.
   */
  mapKey(index: number, previousStart: number, previousEnd: number): CborKey {
    this.enter("key");
    const start = this.pos;
    const initial = this.bytes[start];
    if (initial === undefined) throw this.error(index, "unexpected end of input");
    let key: CborKey;
    switch (initial >> 5) {
      case MAJOR_UINT:
        key = this.uint(index, Number.MAX_SAFE_INTEGER);
        break;
      case MAJOR_NEGINT:
        this.head(index);
        if (typeof this.argument === "bigint" || this.argument > MAX_NEGATIVE_KEY_ARGUMENT) {
          throw this.error(index, "integer map key below -(2^53-1)");
        }
        key = -1 - this.argument;
        break;
      case MAJOR_TEXT:
        key = this.text(index);
        break;
      case MAJOR_BYTES:
        key = this.bytesItem(index);
        break;
      default:
        throw this.error(
          index,
          `map key must be an integer, text or byte string, found ${describeInitialByte(initial)}`,
        );
    }
    if (previousStart >= 0) {
      const order = this.compareRanges(previousStart, previousEnd, start, this.pos);
      if (order >= 0) {
        throw this.error(index, order === 0 ? "duplicate map key" : "map keys not in deterministic (bytewise) order");
      }
    }
    this.leave();
    return key;
  }

  /**
   * The `count` entries of a map whose header was just read: keys checked
   * by `mapKey` and by `keyProblem` (what is wrong with a key, if anything),
   * values read by `readValue` with error paths naming the key.
   */
  mapEntries<K extends CborKey, V>(
    count: number,
    keyProblem: ((key: CborKey) => string | undefined) | undefined,
    readValue: (key: K) => V,
  ): Map<K, V> {
    const map = new Map<K, V>();
    let keyStart = -1;
    let keyEnd = -1;
    for (let i = 0; i < count; i++) {
      const start = this.pos;
      const key = this.mapKey(i, keyStart, keyEnd);
      keyStart = start;
      keyEnd = this.pos;
      const problem = keyProblem?.(key);
      if (problem !== undefined) {
        this.enter("key");
        throw this.error(i, problem);
      }
      this.enter(new KeySegment(key));
      map.set(key as K, readValue(key as K));
      this.leave();
    }
    return map;
  }

  /**
   * Any data item, for extension values. `level` is the nesting level of the
   * item: a map, array or tag may sit at most at `maxLevel` (content-08 s.6.3).
   */
  value(level: number, maxLevel: number): CborValue {
    const initial = this.bytes[this.pos];
    if (initial === undefined) throw this.error(undefined, "unexpected end of input");
    const major = initial >> 5;
    if (major >= MAJOR_ARRAY && major <= MAJOR_TAG && level > maxLevel && initial !== 0xc2 && initial !== 0xc3) {
      throw this.error(undefined, `nested deeper than ${maxLevel} levels`);
    }
    switch (major) {
      case MAJOR_UINT:
        return this.uint64(undefined);
      case MAJOR_NEGINT:
        this.head(undefined);
        return typeof this.argument === "number" && this.argument <= MAX_NEGATIVE_KEY_ARGUMENT
          ? -1 - this.argument
          : -1n - BigInt(this.argument);
      case MAJOR_BYTES:
        return this.bytesItem(undefined);
      case MAJOR_TEXT:
        return this.text(undefined);
      case MAJOR_ARRAY: {
        const count = this.arrayHeader(undefined);
        const items: CborValue[] = new Array(count);
        for (let i = 0; i < count; i++) {
          this.enter(i);
          items[i] = this.value(level + 1, maxLevel);
          this.leave();
        }
        return items;
      }
      case MAJOR_MAP:
        return this.mapEntries(this.mapHeader(undefined), undefined, () => this.value(level + 1, maxLevel));
      case MAJOR_TAG:
        return this.tagged(level, maxLevel);
      default:
        return this.simpleOrFloat();
    }
  }

  private tagged(level: number, maxLevel: number): CborValue {
    this.head(undefined);
    const tag = this.argument;
    if (tag !== 2 && tag !== 3) return new CborTag(tag, this.value(level + 1, maxLevel));
    // Bignums (RFC 8949 s.3.4.3): deterministic encoding uses them only for
    // values a plain integer cannot hold, without leading zero bytes.
    const magnitudeBytes = this.bytesItem("bignum");
    if (magnitudeBytes[0] === 0) throw this.error(undefined, "bignum with leading zero bytes");
    let magnitude = 0n;
    for (const byte of magnitudeBytes) magnitude = (magnitude << 8n) | BigInt(byte);
    if (magnitude < TWO_POW_64) throw this.error(undefined, "bignum that fits a plain integer");
    return tag === 2 ? magnitude : -1n - magnitude;
  }

  private simpleOrFloat(): CborValue {
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
        this.need(undefined, 1);
        const simple = this.bytes[at] as number;
        if (simple < 32) throw this.error(undefined, `simple value ${simple} not in shortest form`);
        this.pos = at + 1;
        return new CborSimple(simple);
      }
      case 25: {
        this.need(undefined, 2);
        const bits = this.uint16At(at);
        this.pos = at + 2;
        const value = halfToNumber(bits);
        if (Number.isNaN(value) && bits !== 0x7e00) throw this.nanError();
        return new CborFloat(value);
      }
      case 26: {
        this.need(undefined, 4);
        const value = this.view().getFloat32(at);
        this.pos = at + 4;
        if (Number.isNaN(value)) throw this.nanError();
        if (exactHalfBits(value) !== undefined) throw this.error(undefined, "float not in shortest form");
        return new CborFloat(value);
      }
      case 27: {
        this.need(undefined, 8);
        const value = this.view().getFloat64(at);
        this.pos = at + 8;
        if (Number.isNaN(value)) throw this.nanError();
        if (Math.fround(value) === value) throw this.error(undefined, "float not in shortest form");
        return new CborFloat(value);
      }
      case 31:
        throw this.error(undefined, "unexpected break code");
      default:
        if (info < 20) {
          this.pos = at;
          return new CborSimple(info);
        }
        throw this.error(undefined, `reserved additional information ${info}`);
    }
  }

  /** Reads a head of the expected major type. */
  private expect(field: PathSegment | undefined, major: number): void {
    const initial = this.bytes[this.pos];
    if (initial === undefined) throw this.error(field, "unexpected end of input");
    if (initial >> 5 !== major) throw this.mismatch(field, MAJOR_NAMES[major] as string);
    this.head(field);
  }

  private mismatch(field: PathSegment | undefined, expected: string): ContentError {
    const initial = this.bytes[this.pos];
    if (initial === undefined) return this.error(field, "unexpected end of input");
    return this.error(field, `expected ${expected}, found ${describeInitialByte(initial)}`);
  }

  /** Reads an initial byte and its argument, which must be in shortest form and definite. */
  private head(field: PathSegment | undefined): void {
    const bytes = this.bytes;
    const info = (bytes[this.pos] as number) & 0x1f;
    const at = this.pos + 1;
    if (info < 24) {
      this.argument = info;
      this.pos = at;
      return;
    }
    switch (info) {
      case 24: {
        this.need(field, 1);
        const value = bytes[at] as number;
        if (value < 24) throw this.notShortest(field);
        this.argument = value;
        this.pos = at + 1;
        return;
      }
      case 25: {
        this.need(field, 2);
        const value = this.uint16At(at);
        if (value < 0x100) throw this.notShortest(field);
        this.argument = value;
        this.pos = at + 2;
        return;
      }
      case 26: {
        this.need(field, 4);
        const value = this.uint32At(at);
        if (value < 0x10000) throw this.notShortest(field);
        this.argument = value;
        this.pos = at + 4;
        return;
      }
      case 27: {
        this.need(field, 8);
        const high = this.uint32At(at);
        const low = this.uint32At(at + 4);
        if (high === 0) throw this.notShortest(field);
        this.argument = high < 0x200000 ? high * TWO_POW_32 + low : (BigInt(high) << 32n) | BigInt(low);
        this.pos = at + 8;
        return;
      }
      case 31:
        throw this.error(field, "indefinite length not allowed");
      default:
        throw this.error(field, `reserved additional information ${info}`);
    }
  }

  /** The current argument as a length (or item count) that fits in the remaining input. */
  private length(field: PathSegment | undefined): number {
    const length = this.argument;
    if (typeof length === "bigint" || length > this.bytes.length - this.pos) {
      throw this.error(field, "length exceeds the input");
    }
    return length;
  }

  private need(field: PathSegment | undefined, count: number): void {
    if (this.pos + 1 + count > this.bytes.length) throw this.error(field, "unexpected end of input");
  }

  private uint16At(at: number): number {
    return ((this.bytes[at] as number) << 8) | (this.bytes[at + 1] as number);
  }

  private uint32At(at: number): number {
    return this.uint16At(at) * 0x10000 + this.uint16At(at + 2);
  }

  private view(): DataView {
    this.floatView ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    return this.floatView;
  }

  /**
   * Strict UTF-8. ASCII, the common case in MIMI (URIs, media types), is
   * read eight bytes at a time in JS, which beats a TextDecoder call for
   * short strings; anything else goes to the fatal TextDecoder.
   */
  private decodeUtf8(start: number, end: number, field: PathSegment | undefined): string {
    const bytes = this.bytes;
    let text = "";
    let i = start;
    while (end - i >= 8) {
      const b0 = bytes[i] as number;
      const b1 = bytes[i + 1] as number;
      const b2 = bytes[i + 2] as number;
      const b3 = bytes[i + 3] as number;
      const b4 = bytes[i + 4] as number;
      const b5 = bytes[i + 5] as number;
      const b6 = bytes[i + 6] as number;
      const b7 = bytes[i + 7] as number;
      if ((b0 | b1 | b2 | b3 | b4 | b5 | b6 | b7) & 0x80) return this.decodeNonAscii(start, end, field);
      text += fromCharCode(b0, b1, b2, b3, b4, b5, b6, b7);
      i += 8;
    }
    while (i < end) {
      const byte = bytes[i++] as number;
      if (byte & 0x80) return this.decodeNonAscii(start, end, field);
      text += fromCharCode(byte);
    }
    return text;
  }

  private decodeNonAscii(start: number, end: number, field: PathSegment | undefined): string {
    try {
      return utf8.decode(this.bytes.subarray(start, end));
    } catch {
      throw this.error(field, "invalid UTF-8");
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

  private notShortest(field: PathSegment | undefined): ContentError {
    return this.error(field, "integer or length not in shortest form");
  }

  private nanError(): ContentError {
    return this.error(undefined, "NaN must be the half-width quiet NaN f97e00");
  }
}
