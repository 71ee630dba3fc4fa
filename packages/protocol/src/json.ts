/**
 * A JSON rendering of decoded wire values, for people and other
 * implementations: byte strings as lowercase hex, 64-bit integers as decimal
 * strings, absent optionals as null. `mimi-inspect` prints it and the test
 * vectors carry it.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function toJson(value: unknown): Json {
  if (value === undefined || value === null) return null;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
  switch (typeof value) {
    case "bigint":
      return value.toString();
    case "string":
    case "number":
    case "boolean":
      return value;
  }
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Map) return [...value].map(([key, item]) => [toJson(key), toJson(item)]);
  if (typeof value === "object") {
    const json: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(value)) json[key] = toJson(item);
    return json;
  }
  throw new TypeError(`cannot render ${typeof value} as JSON`);
}
