/** Where a CodecError happened; every part is optional so a leaf codec can throw with only a reason. */
export interface CodecErrorLocation {
  /** The innermost struct (or select) the error happened in, e.g. `KeyMaterialRequest`. */
  readonly struct?: string;
  /** The field path inside that struct, e.g. `clients[2].keyPackage`. */
  readonly field?: string;
  /** The field path from the outermost value decoded or encoded, e.g. `body.clients[2].keyPackage`. */
  readonly path?: string;
  /** The foreign exception this error replaces, if any. */
  readonly cause?: unknown;
}

/**
 * The one error type of @mimi-ts/codec: every rejected input (short, trailing
 * bytes, non-minimal length, length past the end, unknown enum value,
 * oversized vector, a failing foreign decoder) and every value that cannot be
 * encoded. The message reads `<struct>.<field>: <reason>`, e.g.
 * `KeyMaterialRequest.requestingUser: length past the end`.
 */
export class CodecError extends Error {
  override readonly name = "CodecError";
  readonly struct: string;
  readonly field: string;
  readonly path: string;
  readonly reason: string;

  constructor(reason: string, location: CodecErrorLocation = {}) {
    const struct = location.struct ?? "";
    const field = location.field ?? "";
    super(formatMessage(struct, field, reason), location.cause === undefined ? {} : { cause: location.cause });
    this.struct = struct;
    this.field = field;
    this.path = location.path ?? field;
    this.reason = reason;
  }
}

function formatMessage(struct: string, field: string, reason: string): string {
  const where = joinPath(struct, field);
  return where ? `${where}: ${reason}` : reason;
}

/** Joins field path segments: `clients` + `[2].keyPackage` gives `clients[2].keyPackage`. */
function joinPath(outer: string, inner: string): string {
  if (!inner) return outer;
  if (!outer) return inner;
  return inner.startsWith("[") ? `${outer}${inner}` : `${outer}.${inner}`;
}

/** Any thrown value as a CodecError, so nothing foreign leaves a codec (ARCHITECTURE.md: typed errors only). */
export function toCodecError(error: unknown): CodecError {
  if (error instanceof CodecError) return error;
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : `threw ${String(error)}`;
  return new CodecError(reason, { cause: error });
}

/**
 * The error re-thrown one level up: below `segment` (a field name or `[index]`),
 * and inside struct `struct` when given. The innermost struct keeps its name and
 * field; outer segments only lengthen `path`.
 */
export function relocate(error: unknown, segment: string, struct?: string): CodecError {
  const inner = toCodecError(error);
  const located = inner.struct !== "";
  return new CodecError(inner.reason, {
    struct: located ? inner.struct : (struct ?? ""),
    field: located ? inner.field : joinPath(segment, inner.field),
    path: joinPath(segment, inner.path),
    cause: inner.cause,
  });
}

/** The error as seen from outside a codec named `name`: leaf errors get the codec's name as their struct. */
export function rooted(error: unknown, name: string): CodecError {
  const inner = toCodecError(error);
  if (inner.struct !== "") return inner;
  return new CodecError(inner.reason, { struct: name, field: inner.field, path: inner.path, cause: inner.cause });
}

/** `1 byte`, `3 bytes`: counts in error reasons. */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** A short rendering of an offending value for error reasons. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || typeof value !== "object") return String(value);
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return countOf(value.length, "byte");
  return "an object";
}
