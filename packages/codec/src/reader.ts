import { CodecError, countOf, describeValue } from "./errors.js";
import { checkLength, MAX_VARINT, readVarint, varintLengthFromPrefix } from "./varint.js";

/** The default bound on vector items in one decode: a megabyte of one-byte items. */
export const DEFAULT_MAX_ITEMS = 1 << 20;

export interface DecodeOptions {
  /**
   * The most vector items one decode may produce, over all vectors
   * (default DEFAULT_MAX_ITEMS). Lengths are always checked against the
   * input before anything is allocated; this bounds the objects built from
   * an input of many tiny items.
   */
  readonly maxItems?: number;
}

/**
 * Reads the TLS presentation language from one Uint8Array. Every method
 * checks bounds first and throws a CodecError on malformed input. Inside a
 * vector the reader is limited to the vector's bytes, so an item cannot run
 * into what follows the vector.
 */
export class Reader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset = 0;
  #limit: number;
  #openVectors = 0;
  #itemsLeft: number;

  constructor(bytes: Uint8Array, options: DecodeOptions = {}) {
    if (!(bytes instanceof Uint8Array)) throw new CodecError(`expected a Uint8Array, found ${describeValue(bytes)}`);
    const maxItems = options.maxItems ?? DEFAULT_MAX_ITEMS;
    if (!Number.isSafeInteger(maxItems) || maxItems < 0) {
      throw new CodecError(`maxItems must be a non-negative integer, found ${describeValue(maxItems)}`);
    }
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#limit = bytes.length;
    this.#itemsLeft = maxItems;
  }

  /** The position of the next byte to read, from the start of the input. */
  get offset(): number {
    return this.#offset;
  }

  /** The bytes left before the end of the input, or of the vector being read. */
  get remaining(): number {
    return this.#limit - this.#offset;
  }

  uint8(): number {
    this.#need(1);
    const value = this.#view.getUint8(this.#offset);
    this.#offset += 1;
    return value;
  }

  uint16(): number {
    this.#need(2);
    const value = this.#view.getUint16(this.#offset);
    this.#offset += 2;
    return value;
  }

  uint32(): number {
    this.#need(4);
    const value = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return value;
  }

  uint64(): bigint {
    this.#need(8);
    const value = this.#view.getBigUint64(this.#offset);
    this.#offset += 8;
    return value;
  }

  /** An RFC 9420 s.2.1.2 variable-length integer: prefix 11 and non-minimal encodings are rejected. */
  varint(): number {
    this.#need(1);
    const size = varintLengthFromPrefix(this.#view.getUint8(this.#offset));
    if (size === 0) throw new CodecError("invalid length prefix 0b11 (RFC 9420 s.2.1.2)");
    this.#need(size);
    const value = readVarint(this.#view, this.#offset, size);
    this.#offset += size;
    return value;
  }

  /** A `<V>` length prefix, checked against `maxLength` and against the bytes that remain. */
  lengthPrefix(maxLength = MAX_VARINT): number {
    const length = this.varint();
    checkLength(length, maxLength);
    if (length > this.remaining) throw new CodecError("length past the end");
    return length;
  }

  /** The next `length` bytes as a copy: the caller may keep it, and it does not pin the input in memory. */
  bytes(length: number): Uint8Array {
    this.#needLength(length);
    const start = this.#offset;
    this.#offset += length;
    return this.#bytes.slice(start, this.#offset);
  }

  /** The next `length` bytes as a view that aliases the input: only for bytes consumed at once (e.g. UTF-8 decoding). */
  view(length: number): Uint8Array {
    this.#needLength(length);
    const start = this.#offset;
    this.#offset += length;
    return this.#bytes.subarray(start, this.#offset);
  }

  /** A view of everything up to the current limit, without consuming it (for foreign decoders; see `external`). */
  remainingView(): Uint8Array {
    return this.#bytes.subarray(this.#offset, this.#limit);
  }

  /** Consumes `length` bytes. */
  skip(length: number): void {
    this.#needLength(length);
    this.#offset += length;
  }

  /**
   * Reads a `<V>` length and limits the reader to that many bytes. Returns the
   * enclosing limit, which endVector restores once the items are read.
   */
  beginVector(maxLength = MAX_VARINT): number {
    const length = this.lengthPrefix(maxLength);
    const enclosingLimit = this.#limit;
    this.#limit = this.#offset + length;
    this.#openVectors += 1;
    return enclosingLimit;
  }

  /** Ends the vector begun by beginVector; its items must have consumed exactly its length. */
  endVector(enclosingLimit: number): void {
    if (this.#offset !== this.#limit)
      throw new CodecError(`${countOf(this.#limit - this.#offset, "byte")} unread in vector`);
    this.#limit = enclosingLimit;
    this.#openVectors -= 1;
  }

  /** Charges one vector item against the maxItems budget of this decode. */
  countItem(): void {
    if (this.#itemsLeft === 0) throw new CodecError("too many vector items in one input (maxItems)");
    this.#itemsLeft -= 1;
  }

  /** #need for a length that comes from the caller rather than from a fixed width. */
  #needLength(length: number): void {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new CodecError(`cannot read ${describeValue(length)} bytes`);
    }
    this.#need(length);
  }

  #need(count: number): void {
    if (count > this.#limit - this.#offset) {
      throw new CodecError(this.#openVectors > 0 ? "runs past the end of its vector" : "unexpected end of input");
    }
  }
}
