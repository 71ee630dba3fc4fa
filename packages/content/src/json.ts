import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { CborFloat, type CborKey, CborSimple, CborTag, type CborValue } from "./cborValue.js";
import { ContentError } from "./errors.js";
import {
  dispositionName,
  type Expiration,
  type ExtensionKey,
  type ExternalPart,
  type MimiContent,
  type NestedPart,
} from "./types.js";

/**
 * A lossless JSON form of MIMI content, used by the `mimi-content` CLI:
 * `inspect` prints it, `encode` reads it back, and the round trip reproduces
 * the original bytes. Byte strings are lowercase hex. Extension values use a
 * small typed JSON for CBOR items that JSON cannot express directly:
 *
 * | CBOR                      | JSON                                   |
 * |---------------------------|----------------------------------------|
 * | text, safe integer, bool, null, array | itself                      |
 * | byte string               | `{"$bytes": "hex"}`                    |
 * | integer beyond 2^53       | `{"$bigint": "decimal"}`               |
 * | float                     | `{"$float": 1.5}` or `"NaN"`, `"Infinity"`, `"-Infinity"`, `"-0"` |
 * | map                       | `{"$map": [[key, value], ...]}`        |
 * | tag                       | `{"$tag": number, "$value": item}`     |
 * | undefined, other simple   | `{"$simple": n}`                       |
 *
 * Fields derived from the message (`messageId`, `partIndex`,
 * `dispositionName`) are printed for reading and ignored on input;
 * `contentText` is the UTF-8 reading of `content` and may stand in for it.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const utf8Fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

export function messageToJson(message: MimiContent, messageId: Uint8Array | null): JsonObject {
  let nextIndex = 0;
  const part = (nested: NestedPart): JsonObject => {
    const json: JsonObject = {
      partIndex: nextIndex++,
      disposition: nested.disposition,
      dispositionName: dispositionName(nested.disposition),
      language: nested.language,
      cardinality: nested.cardinality,
    };
    switch (nested.cardinality) {
      case "nullpart":
        return json;
      case "single": {
        json.contentType = nested.contentType;
        json.content = bytesToHex(nested.content);
        const text = readableText(nested.contentType, nested.content);
        if (text !== undefined) json.contentText = text;
        return json;
      }
      case "external":
        return Object.assign(json, {
          contentType: nested.contentType,
          url: nested.url,
          expires: nested.expires,
          size: nested.size <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(nested.size) : nested.size.toString(),
          encAlg: nested.encAlg,
          key: bytesToHex(nested.key),
          nonce: bytesToHex(nested.nonce),
          aad: bytesToHex(nested.aad),
          hashAlg: nested.hashAlg,
          contentHash: bytesToHex(nested.contentHash),
          description: nested.description,
          filename: nested.filename,
        });
      case "multi":
        json.partSemantics = nested.partSemantics;
        json.parts = nested.parts.map(part);
        return json;
    }
  };
  return {
    messageId: messageId === null ? null : bytesToHex(messageId),
    salt: bytesToHex(message.salt),
    replaces: message.replaces === null ? null : bytesToHex(message.replaces),
    topicId: bytesToHex(message.topicId),
    expires: message.expires === null ? null : { relative: message.expires.relative, time: message.expires.time },
    inReplyTo: message.inReplyTo === null ? null : bytesToHex(message.inReplyTo),
    extensions: [...message.extensions].map(([key, value]) => ({ key, value: cborToJson(value) })),
    nestedPart: part(message.nestedPart),
  };
}

/** Reads the JSON form back. Sizes and lengths are checked later by `encode`. */
export function messageFromJson(json: Json): MimiContent {
  const root = object("message", json, [
    "messageId",
    "salt",
    "replaces",
    "topicId",
    "expires",
    "inReplyTo",
    "extensions",
    "nestedPart",
  ]);
  return {
    salt: hex("salt", field(root, "message", "salt")),
    replaces: nullable(root, "replaces", hex),
    topicId: hex("topicId", field(root, "message", "topicId")),
    expires: nullable(root, "expires", expirationFromJson),
    inReplyTo: nullable(root, "inReplyTo", hex),
    extensions: extensionsFromJson(field(root, "message", "extensions")),
    nestedPart: partFromJson("nestedPart", field(root, "message", "nestedPart")),
  };
}

export function cborToJson(value: CborValue): Json {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return value;
    case "bigint":
      return { $bigint: value.toString() };
    case "undefined":
      return { $simple: 23 };
  }
  if (value === null) return null;
  if (value instanceof Uint8Array) return { $bytes: bytesToHex(value) };
  if (value instanceof CborFloat) {
    const float = value.value;
    if (Object.is(float, -0)) return { $float: "-0" };
    return { $float: Number.isFinite(float) ? float : String(float) };
  }
  if (value instanceof CborSimple) return { $simple: value.value };
  if (value instanceof CborTag) {
    const tag = value.tag;
    return { $tag: typeof tag === "bigint" ? tag.toString() : tag, $value: cborToJson(value.value) };
  }
  if (Array.isArray(value)) return value.map(cborToJson);
  return { $map: [...value].map(([key, item]) => [cborToJson(key), cborToJson(item)]) };
}

export function cborFromJson(path: string, json: Json): CborValue {
  if (json === null || typeof json === "string" || typeof json === "boolean") return json;
  if (typeof json === "number") {
    if (!Number.isSafeInteger(json)) {
      throw new ContentError(path, 'numbers must be safe integers; write floats as {"$float": x}');
    }
    return json;
  }
  if (Array.isArray(json)) return json.map((item, i) => cborFromJson(`${path}[${i}]`, item));
  const keys = Object.keys(json);
  const only = (expected: string[]): void => {
    if (keys.length !== expected.length || !expected.every((key) => keys.includes(key))) {
      throw new ContentError(path, `expected exactly the fields ${expected.join(", ")}`);
    }
  };
  if ("$bytes" in json) {
    only(["$bytes"]);
    return hex(path, json.$bytes);
  }
  if ("$bigint" in json) {
    only(["$bigint"]);
    const digits = json.$bigint;
    if (typeof digits !== "string" || !/^-?\d+$/.test(digits))
      throw new ContentError(path, "$bigint must be decimal digits");
    return BigInt(digits);
  }
  if ("$float" in json) {
    only(["$float"]);
    const float = json.$float;
    const special: Record<string, number> = { NaN: Number.NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };
    if (typeof float === "number") return new CborFloat(float);
    if (typeof float === "string" && float in special) return new CborFloat(special[float] as number);
    throw new ContentError(path, '$float must be a number or "NaN", "Infinity", "-Infinity", "-0"');
  }
  if ("$simple" in json) {
    only(["$simple"]);
    const simple = json.$simple;
    if (simple === 23) return undefined;
    if (typeof simple !== "number" || !Number.isInteger(simple))
      throw new ContentError(path, "$simple must be an integer");
    return new CborSimple(simple);
  }
  if ("$tag" in json) {
    only(["$tag", "$value"]);
    const tag = json.$tag;
    const tagNumber =
      typeof tag === "number" && Number.isSafeInteger(tag)
        ? tag
        : typeof tag === "string" && /^\d+$/.test(tag)
          ? BigInt(tag)
          : undefined;
    if (tagNumber === undefined) throw new ContentError(path, "$tag must be a non-negative integer");
    return new CborTag(tagNumber, cborFromJson(`${path}.$value`, json.$value as Json));
  }
  if ("$map" in json) {
    only(["$map"]);
    const entries = json.$map;
    if (!Array.isArray(entries)) throw new ContentError(path, "$map must be an array of [key, value] pairs");
    const map = new Map<CborKey, CborValue>();
    entries.forEach((entry, i) => {
      if (!Array.isArray(entry) || entry.length !== 2) {
        throw new ContentError(`${path}.$map[${i}]`, "expected a [key, value] pair");
      }
      const key = cborFromJson(`${path}.$map[${i}][0]`, entry[0] as Json);
      if (
        !(typeof key === "number" || typeof key === "bigint" || typeof key === "string" || key instanceof Uint8Array)
      ) {
        throw new ContentError(`${path}.$map[${i}][0]`, "map keys must be integers, text or byte strings");
      }
      map.set(key, cborFromJson(`${path}.$map[${i}][1]`, entry[1] as Json));
    });
    return map;
  }
  throw new ContentError(path, "objects must be one of $bytes, $bigint, $float, $simple, $tag, $map");
}

function readableText(contentType: string, content: Uint8Array): string | undefined {
  if (!contentType.toLowerCase().startsWith("text/")) return undefined;
  try {
    return utf8Fatal.decode(content);
  } catch {
    return undefined;
  }
}

function extensionsFromJson(json: Json): Map<ExtensionKey, CborValue> {
  if (!Array.isArray(json)) throw new ContentError("extensions", "expected an array of {key, value}");
  const extensions = new Map<ExtensionKey, CborValue>();
  json.forEach((entry, i) => {
    const path = `extensions[${i}]`;
    const item = object(path, entry, ["key", "value"]);
    const key = field(item, path, "key");
    if (!((typeof key === "number" && Number.isSafeInteger(key)) || typeof key === "string")) {
      throw new ContentError(`${path}.key`, "must be an integer or a text string");
    }
    if (extensions.has(key)) throw new ContentError(`${path}.key`, "duplicate extension key");
    extensions.set(key, cborFromJson(`${path}.value`, field(item, path, "value")));
  });
  return extensions;
}

function expirationFromJson(path: string, json: Json): Expiration {
  const item = object(path, json, ["relative", "time"]);
  const relative = field(item, path, "relative");
  const time = field(item, path, "time");
  if (typeof relative !== "boolean") throw new ContentError(`${path}.relative`, "expected a boolean");
  if (typeof time !== "number") throw new ContentError(`${path}.time`, "expected a number");
  return { relative, time };
}

const PART_FIELDS = ["partIndex", "disposition", "dispositionName", "language", "cardinality"];

function partFromJson(path: string, json: Json): NestedPart {
  const header = object(path, json, undefined);
  const cardinality = field(header, path, "cardinality");
  const disposition = field(header, path, "disposition");
  const language = field(header, path, "language");
  if (typeof disposition !== "number") throw new ContentError(`${path}.disposition`, "expected a number");
  if (typeof language !== "string") throw new ContentError(`${path}.language`, "expected a string");
  switch (cardinality) {
    case "nullpart":
      object(path, json, PART_FIELDS);
      return { disposition, language, cardinality };
    case "single": {
      const item = object(path, json, [...PART_FIELDS, "contentType", "content", "contentText"]);
      return {
        disposition,
        language,
        cardinality,
        contentType: text(`${path}.contentType`, field(item, path, "contentType")),
        content: singleContent(path, item),
      };
    }
    case "external": {
      const names = [
        "contentType",
        "url",
        "expires",
        "size",
        "encAlg",
        "key",
        "nonce",
        "aad",
        "hashAlg",
        "contentHash",
        "description",
        "filename",
      ] as const;
      const item = object(path, json, [...PART_FIELDS, ...names]);
      const at = (name: (typeof names)[number]): Json => field(item, path, name);
      const part: ExternalPart = {
        disposition,
        language,
        cardinality,
        contentType: text(`${path}.contentType`, at("contentType")),
        url: text(`${path}.url`, at("url")),
        expires: integer(`${path}.expires`, at("expires")),
        size: unsignedBig(`${path}.size`, at("size")),
        encAlg: integer(`${path}.encAlg`, at("encAlg")),
        key: hex(`${path}.key`, at("key")),
        nonce: hex(`${path}.nonce`, at("nonce")),
        aad: hex(`${path}.aad`, at("aad")),
        hashAlg: integer(`${path}.hashAlg`, at("hashAlg")),
        contentHash: hex(`${path}.contentHash`, at("contentHash")),
        description: text(`${path}.description`, at("description")),
        filename: text(`${path}.filename`, at("filename")),
      };
      return part;
    }
    case "multi": {
      const item = object(path, json, [...PART_FIELDS, "partSemantics", "parts"]);
      const partSemantics = field(item, path, "partSemantics");
      if (partSemantics !== "chooseOne" && partSemantics !== "singleUnit" && partSemantics !== "processAll") {
        throw new ContentError(`${path}.partSemantics`, "expected chooseOne, singleUnit or processAll");
      }
      const parts = field(item, path, "parts");
      if (!Array.isArray(parts)) throw new ContentError(`${path}.parts`, "expected an array");
      return {
        disposition,
        language,
        cardinality,
        partSemantics,
        parts: parts.map((child, i) => partFromJson(`${path}.parts[${i}]`, child)),
      };
    }
    default:
      throw new ContentError(`${path}.cardinality`, "expected nullpart, single, external or multi");
  }
}

function singleContent(path: string, item: JsonObject): Uint8Array {
  const hexContent = item.content;
  const textContent = item.contentText;
  if (hexContent === undefined && textContent === undefined) {
    throw new ContentError(`${path}.content`, "missing (give content as hex or contentText)");
  }
  const fromText = textContent === undefined ? undefined : utf8.encode(text(`${path}.contentText`, textContent));
  if (hexContent === undefined) return fromText as Uint8Array;
  const bytes = hex(`${path}.content`, hexContent);
  if (fromText !== undefined && bytesToHex(fromText) !== bytesToHex(bytes)) {
    throw new ContentError(`${path}.contentText`, "disagrees with content");
  }
  return bytes;
}

function object(path: string, json: Json | undefined, allowed: readonly string[] | undefined): JsonObject {
  if (json === null || json === undefined || typeof json !== "object" || Array.isArray(json)) {
    throw new ContentError(path, "expected an object");
  }
  if (allowed !== undefined) {
    for (const key of Object.keys(json)) {
      if (!allowed.includes(key)) throw new ContentError(`${path}.${key}`, "unknown field");
    }
  }
  return json;
}

function field(item: JsonObject, path: string, name: string): Json {
  const value = item[name];
  if (value === undefined) throw new ContentError(`${path === "message" ? "" : `${path}.`}${name}`, "missing");
  return value;
}

function nullable<T>(item: JsonObject, name: string, read: (path: string, json: Json) => T): T | null {
  const value = field(item, "message", name);
  return value === null ? null : read(name, value);
}

function hex(path: string, json: Json | undefined): Uint8Array {
  if (typeof json !== "string" || !/^(?:[0-9a-fA-F]{2})*$/.test(json)) {
    throw new ContentError(path, "expected an even-length hex string");
  }
  return hexToBytes(json);
}

function text(path: string, json: Json): string {
  if (typeof json !== "string") throw new ContentError(path, "expected a string");
  return json;
}

function integer(path: string, json: Json): number {
  if (typeof json !== "number" || !Number.isSafeInteger(json)) throw new ContentError(path, "expected an integer");
  return json;
}

function unsignedBig(path: string, json: Json): bigint {
  if (typeof json === "number" && Number.isSafeInteger(json)) return BigInt(json);
  if (typeof json === "string" && /^\d+$/.test(json)) return BigInt(json);
  throw new ContentError(path, "expected an integer (a decimal string beyond 2^53)");
}
