/**
 * IEEE 754 half precision (binary16) conversions for CBOR floats (RFC 8949
 * s.3.3). Node 20 has no DataView.getFloat16, so the bit layout is handled
 * here: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits.
 */

const scratch = new DataView(new ArrayBuffer(4));

export function halfToNumber(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  let magnitude: number;
  if (exponent === 0) magnitude = fraction * 2 ** -24;
  else if (exponent === 0x1f) magnitude = fraction === 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  else magnitude = (fraction + 0x400) * 2 ** (exponent - 25);
  return bits & 0x8000 ? -magnitude : magnitude;
}

/**
 * The binary16 bit pattern of `value` when half precision represents it
 * exactly, otherwise undefined. NaN maps to the quiet NaN 0x7e00, the only
 * NaN MIMI content allows (content-08 s.6.2).
 */
export function exactHalfBits(value: number): number | undefined {
  if (Number.isNaN(value)) return 0x7e00;
  if (Math.fround(value) !== value) return undefined;
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const fraction = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00;
  if (exponent === 0 && fraction === 0) return sign;
  const unbiased = exponent - 127;
  if (unbiased > 15 || unbiased < -24) return undefined;
  if (unbiased >= -14) {
    if (fraction & 0x1fff) return undefined;
    return sign | ((unbiased + 15) << 10) | (fraction >>> 13);
  }
  // Subnormal half: value = m * 2^-24 with m < 1024.
  const significand = 0x800000 | fraction;
  const shift = -unbiased - 1;
  if (significand & ((1 << shift) - 1)) return undefined;
  return sign | (significand >>> shift);
}
