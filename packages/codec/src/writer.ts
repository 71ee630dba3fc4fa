import { CodecError, describeValue } from "./errors.js";
import { checkLength, MAX_VARINT, varintLength, writeVarint } from "./varint.js";

const MAX_UINT64 = (1n << 64n) - 1n;
const utf8Encoder = new TextEncoder();

/**
 * Writes the TLS presentation language into one growable buffer (doubling, so
 * encoding is amortised linear with no per-byte allocation). Every method
 * checks its value and throws a CodecError instead of writing something the
 * Reader would refuse.
 */
export class Writer {
  #bytes: Uint8Array;
  #view: DataView;
  #length = 0;

  constructor(initialCapacity = 256) {
    this.#bytes = new Uint8Array(Math.max(16, initialCapacity));
    this.#view = new DataView(this.#bytes.buffer);
  }

  /** The number of bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** The bytes written so far, as a copy of exactly that length. */
  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }

  uint8(value: number): void {
    checkInteger(value, 0xff, "uint8");
    this.#reserve(1);
    this.#view.setUint8(this.#length, value);
    this.#length += 1;
  }

  uint16(value: number): void {
    checkInteger(value, 0xffff, "uint16");
    this.#reserve(2);
    this.#view.setUint16(this.#length, value);
    this.#length += 2;
  }

  uint32(value: number): void {
    checkInteger(value, 0xffffffff, "uint32");
    this.#reserve(4);
    this.#view.setUint32(this.#length, value);
    this.#length += 4;
  }

  uint64(value: bigint): void {
    if (typeof value !== "bigint" || value < 0n || value > MAX_UINT64) {
      throw new CodecError(`expected a uint64 (bigint in 0..2^64-1), found ${describeValue(value)}`);
    }
    this.#reserve(8);
    this.#view.setBigUint64(this.#length, value);
    this.#length += 8;
  }

  /** An RFC 9420 s.2.1.2 variable-length integer, in its minimal encoding. */
  varint(value: number): void {
    checkInteger(value, MAX_VARINT, "varint");
    const size = varintLength(value);
    this.#reserve(size);
    writeVarint(this.#view, this.#length, value);
    this.#length += size;
  }

  /** The `<V>` length prefix of `length` bytes that the caller writes next. */
  lengthPrefix(length: number, maxLength = MAX_VARINT): void {
    checkLength(length, maxLength);
    this.varint(length);
  }

  /** Raw bytes with no length prefix (the caller writes it, or the length is fixed). */
  bytes(value: Uint8Array): void {
    if (!(value instanceof Uint8Array)) throw new CodecError(`expected a Uint8Array, found ${describeValue(value)}`);
    this.#reserve(value.length);
    this.#bytes.set(value, this.#length);
    this.#length += value.length;
  }

  /**
   * `opaque<V>` holding `value` as UTF-8, encoded straight into the buffer.
   * Refuses strings with lone surrogates, which have no UTF-8 form.
   */
  utf8(value: string, maxLength = MAX_VARINT): void {
    if (typeof value !== "string") throw new CodecError(`expected a string, found ${describeValue(value)}`);
    if (!value.isWellFormed()) throw new CodecError("string has a lone surrogate, which UTF-8 cannot encode");
    // UTF-8 takes 1 to 3 bytes per UTF-16 code unit: leave room for the header of the longest case.
    const maxBytes = value.length * 3;
    const headerRoom = varintLength(Math.min(maxBytes, MAX_VARINT));
    this.#reserve(headerRoom + maxBytes);
    const start = this.#length;
    const { written } = utf8Encoder.encodeInto(value, this.#bytes.subarray(start + headerRoom));
    checkLength(written, maxLength);
    const headerSize = varintLength(written);
    if (headerSize < headerRoom) {
      this.#bytes.copyWithin(start + headerSize, start + headerRoom, start + headerRoom + written);
    }
    writeVarint(this.#view, start, written);
    this.#length = start + headerSize + written;
  }

  /**
   * Starts a `<V>` vector whose byte length is not known yet; returns the mark
   * to pass to endVector once the items are written. One header byte is
   * reserved, which is all a vector under 64 bytes needs.
   */
  beginVector(): number {
    const start = this.#length;
    this.#reserve(1);
    this.#length += 1;
    return start;
  }

  /** Ends the vector begun at `start`: writes its length, moving the items when the header needs 2 or 4 bytes. */
  endVector(start: number, maxLength = MAX_VARINT): void {
    const contentStart = start + 1;
    const length = this.#length - contentStart;
    checkLength(length, maxLength);
    const headerSize = varintLength(length);
    if (headerSize > 1) {
      const shift = headerSize - 1;
      this.#reserve(shift);
      this.#bytes.copyWithin(contentStart + shift, contentStart, this.#length);
      this.#length += shift;
    }
    writeVarint(this.#view, start, length);
  }

  #reserve(extra: number): void {
    const needed = this.#length + extra;
    if (needed <= this.#bytes.length) return;
    let capacity = this.#bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }
}

function checkInteger(value: number, max: number, what: string): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new CodecError(`expected a ${what} (integer in 0..${max}), found ${describeValue(value)}`);
  }
}
