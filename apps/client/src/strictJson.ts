import { ClientError } from "./errors.js";

/**
 * Strict readers for the JSON of the state files and the provider's answers:
 * every object must have exactly the expected keys, every value its type,
 * byte strings their canonical base64 or hex. Errors name the source and
 * the path of the offending value.
 */
export class JsonReader {
  constructor(private readonly source: string) {}

  fail(path: string, reason: string): never {
    throw new ClientError(`${this.source}: ${path === "" ? "" : `${path}: `}${reason}`);
  }

  /** Parses text as JSON. */
  parse(text: string): unknown {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      return this.fail("", `not JSON (${(error as Error).message})`);
    }
  }

  /** An object with exactly these keys. */
  object<K extends string>(value: unknown, path: string, keys: readonly K[]): Record<K, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) this.fail(path, "expected an object");
    const record = value as Record<string, unknown>;
    const unknown = Object.keys(record).filter((key) => !(keys as readonly string[]).includes(key));
    if (unknown.length > 0) this.fail(path, `unknown field ${JSON.stringify(unknown[0])}`);
    const missing = keys.filter((key) => !(key in record));
    if (missing.length > 0) this.fail(path, `missing field ${JSON.stringify(missing[0])}`);
    return record as Record<K, unknown>;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, "expected an array");
    return value as unknown[];
  }

  text(value: unknown, path: string): string {
    if (typeof value !== "string") this.fail(path, "expected a string");
    return value as string;
  }

  textOrNull(value: unknown, path: string): string | null {
    return value === null ? null : this.text(value, path);
  }

  /** A non-negative safe integer. */
  count(value: unknown, path: string): number {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
      this.fail(path, "expected a non-negative integer");
    }
    return value as number;
  }

  literal<T extends string | number>(value: unknown, path: string, expected: T): T {
    if (value !== expected) this.fail(path, `expected ${JSON.stringify(expected)}, found ${JSON.stringify(value)}`);
    return expected;
  }

  /** Standard base64 with padding, in its one canonical spelling. */
  base64(value: unknown, path: string): Uint8Array {
    const text = this.text(value, path);
    const bytes = Buffer.from(text, "base64");
    if (bytes.toString("base64") !== text) this.fail(path, "expected canonical base64");
    return new Uint8Array(bytes);
  }

  /** Lower-case hex, of `length` bytes when given. */
  hex(value: unknown, path: string, length?: number): Uint8Array {
    const text = this.text(value, path);
    if (!/^(?:[0-9a-f]{2})*$/.test(text)) this.fail(path, "expected lower-case hex");
    if (length !== undefined && text.length !== length * 2) this.fail(path, `expected ${length} bytes of hex`);
    return new Uint8Array(Buffer.from(text, "hex"));
  }
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Bytes from a hex string given by a user (a message ID): 32 bytes, any case. */
export function messageIdFromHex(text: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new ClientError(`${JSON.stringify(text)} is not a message ID (64 hex digits)`);
  }
  return new Uint8Array(Buffer.from(text, "hex"));
}
