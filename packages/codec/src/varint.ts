import { CodecError } from "./errors.js";

/**
 * The variable-length integer that prefixes every `<V>` vector (RFC 9420
 * s.2.1.2): the top two bits of the first byte give the encoding's length,
 * 00 = 1 byte (6 bits), 01 = 2 bytes (14 bits), 10 = 4 bytes (30 bits); 11 is
 * invalid. Encoders use the minimum length and decoders reject any other.
 */
export const MAX_VARINT = 0x3fffffff;

const MAX_ONE_BYTE = 0x3f;
const MAX_TWO_BYTES = 0x3fff;

/** Checks a `<V>` length against a codec's `maxLength` and against what the varint can carry. */
export function checkLength(length: number, maxLength: number): void {
  if (length > maxLength) throw new CodecError(`length ${length} exceeds maximum ${maxLength}`);
  if (length > MAX_VARINT) throw new CodecError(`length ${length} exceeds the RFC 9420 maximum 2^30-1`);
}

/** The number of bytes of the minimal encoding of `value` (0..MAX_VARINT). */
export function varintLength(value: number): 1 | 2 | 4 {
  if (value <= MAX_ONE_BYTE) return 1;
  if (value <= MAX_TWO_BYTES) return 2;
  return 4;
}

/** The length of the encoding that starts with `firstByte`, or 0 for the invalid prefix 11. */
export function varintLengthFromPrefix(firstByte: number): 0 | 1 | 2 | 4 {
  switch (firstByte >> 6) {
    case 0:
      return 1;
    case 1:
      return 2;
    case 2:
      return 4;
    default:
      return 0;
  }
}

/** Writes the minimal encoding of `value`; the caller has checked the range and reserved the room. */
export function writeVarint(view: DataView, offset: number, value: number): void {
  switch (varintLength(value)) {
    case 1:
      view.setUint8(offset, value);
      return;
    case 2:
      view.setUint16(offset, 0x4000 | value);
      return;
    case 4:
      view.setUint32(offset, (0x80000000 | value) >>> 0);
      return;
  }
}

/**
 * Reads an encoding of `length` bytes (from varintLengthFromPrefix) at `offset`;
 * the caller has checked the bytes are there. A value that a shorter encoding
 * could hold is malformed (RFC 9420 s.2.1.2).
 */
export function readVarint(view: DataView, offset: number, length: 1 | 2 | 4): number {
  let value: number;
  let minimum: number;
  switch (length) {
    case 1:
      return view.getUint8(offset);
    case 2:
      value = view.getUint16(offset) & MAX_TWO_BYTES;
      minimum = MAX_ONE_BYTE + 1;
      break;
    case 4:
      value = view.getUint32(offset) & MAX_VARINT;
      minimum = MAX_TWO_BYTES + 1;
      break;
  }
  if (value < minimum) throw new CodecError(`non-minimal length encoding (${value} in ${length} bytes)`);
  return value;
}
