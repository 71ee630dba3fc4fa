import type { Codec } from "./codec.js";

/** `uint8`..`uint64`: big-endian unsigned integers (RFC 8446 s.3.3). uint64 is a bigint so no value loses precision. */
export const uint8: Codec<number> = { name: "uint8", write: (w, v) => w.uint8(v), read: (r) => r.uint8() };
export const uint16: Codec<number> = { name: "uint16", write: (w, v) => w.uint16(v), read: (r) => r.uint16() };
export const uint32: Codec<number> = { name: "uint32", write: (w, v) => w.uint32(v), read: (r) => r.uint32() };
export const uint64: Codec<bigint> = { name: "uint64", write: (w, v) => w.uint64(v), read: (r) => r.uint64() };
