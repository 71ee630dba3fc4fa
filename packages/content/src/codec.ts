import { CborReader } from "./cborReader.js";
import type { CborKey, CborValue } from "./cborValue.js";
import { CborWriter } from "./cborWriter.js";
import { ContentError } from "./errors.js";
import {
  Cardinality,
  type ExtensionKey,
  type Extensions,
  MESSAGE_ID_LENGTH,
  type MimiContent,
  type NestedPart,
  PartSemantics,
  type PartSemanticsName,
  SALT_LENGTH,
} from "./types.js";

/** content-08 s.6.3. */
export const MAX_PART_DEPTH = 4;
export const MAX_EXTENSION_DEPTH = 4;

const MAX_UINT8 = 0xff;
const MAX_UINT16 = 0xffff;
const MAX_UINT32 = 0xffffffff;
const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_EXTENSION_TEXT_KEY_OCTETS = 255;

const PART_ARRAY_LENGTH = { nullpart: 3, single: 5, external: 15, multi: 5 } as const;
const CARDINALITY_NAMES = ["nullpart", "single", "external", "multi"] as const;
const SEMANTICS_NAMES = ["chooseOne", "singleUnit", "processAll"] as const;
const utf8 = new TextEncoder();

/** Encodes a message as deterministic CBOR (content-08 s.6.1). Throws ContentError on an invalid message. */
export function encode(message: MimiContent): Uint8Array {
  const writer = new CborWriter();
  writer.head(4, 7);
  fixedBytes(writer, "salt", message.salt, SALT_LENGTH);
  nullableMessageId(writer, "replaces", message.replaces);
  writer.bytes("topicId", message.topicId);
  if (message.expires === null) {
    writer.null();
  } else {
    writer.enter("expires");
    writer.head(4, 2);
    if (typeof message.expires.relative !== "boolean") throw writer.error("relative", "expected a boolean");
    writer.boolean(message.expires.relative);
    writer.uint("time", message.expires.time, MAX_UINT32);
    writer.leave();
  }
  nullableMessageId(writer, "inReplyTo", message.inReplyTo);
  encodeExtensions(writer, message.extensions);
  writer.enter("nestedPart");
  encodePart(writer, message.nestedPart, 1);
  writer.leave();
  return writer.finish();
}

/**
 * Decodes one MIMI content document, accepting only valid deterministic
 * encodings. Any other input throws a ContentError naming the field.
 * Byte strings in the result (salt, IDs, content...) are views of `bytes`,
 * as with cbor-x: copy the input first if its buffer will be reused.
 */
export function decode(bytes: Uint8Array): MimiContent {
  if (!(bytes instanceof Uint8Array)) throw new ContentError("mimiContent", "expected bytes");
  const reader = new CborReader(bytes);
  const length = reader.arrayHeader("mimiContent");
  if (length !== 7) throw reader.error("mimiContent", `expected an array of 7 items, found ${length}`);
  const salt = reader.bytesItem("salt");
  if (salt.length !== SALT_LENGTH) throw reader.error("salt", `must be ${SALT_LENGTH} bytes, found ${salt.length}`);
  const replaces = readNullableMessageId(reader, "replaces");
  const topicId = reader.bytesItem("topicId");
  let expires: MimiContent["expires"] = null;
  if (!reader.nullNext()) {
    reader.enter("expires");
    const items = reader.arrayHeader(undefined);
    if (items !== 2) throw reader.error(undefined, `expected an array of 2 items, found ${items}`);
    const relative = reader.boolean("relative");
    expires = { relative, time: reader.uint("time", MAX_UINT32) };
    reader.leave();
  }
  const inReplyTo = readNullableMessageId(reader, "inReplyTo");
  const extensions = decodeExtensions(reader);
  reader.enter("nestedPart");
  const nestedPart = decodePart(reader, 1);
  reader.leave();
  reader.finish("mimiContent");
  return { salt, replaces, topicId, expires, inReplyTo, extensions, nestedPart };
}

function fixedBytes(writer: CborWriter, field: string, value: Uint8Array, length: number): void {
  if (!(value instanceof Uint8Array)) throw writer.error(field, "expected a byte string (Uint8Array)");
  if (value.length !== length) throw writer.error(field, `must be ${length} bytes, found ${value.length}`);
  writer.bytes(field, value);
}

function nullableMessageId(writer: CborWriter, field: string, value: Uint8Array | null): void {
  if (value === null) writer.null();
  else fixedBytes(writer, field, value, MESSAGE_ID_LENGTH);
}

function readNullableMessageId(reader: CborReader, field: string): Uint8Array | null {
  if (reader.nullNext()) return null;
  const id = reader.bytesItem(field);
  if (id.length !== MESSAGE_ID_LENGTH)
    throw reader.error(field, `must be ${MESSAGE_ID_LENGTH} bytes, found ${id.length}`);
  return id;
}

/** What is wrong with a top-level extension key, if anything (content-08 s.4.3, s.6.2). */
function extensionKeyProblem(key: CborKey): string | undefined {
  if (typeof key === "number") return Number.isSafeInteger(key) ? undefined : "integer key must be within +-(2^53-1)";
  if (typeof key === "string") {
    const octets = utf8.encode(key).length;
    if (octets < 1 || octets > MAX_EXTENSION_TEXT_KEY_OCTETS) {
      return `text key must be 1..${MAX_EXTENSION_TEXT_KEY_OCTETS} octets, found ${octets}`;
    }
    return undefined;
  }
  return "extension key must be an integer or a text string";
}

/** Keys 1 (senderUri) and 2 (roomUri) hold text (content-08 s.4.3). */
function extensionValueProblem(key: ExtensionKey, value: CborValue): string | undefined {
  if ((key === 1 || key === 2) && typeof value !== "string") {
    return `key ${key} (${key === 1 ? "senderUri" : "roomUri"}) must hold a text string`;
  }
  return undefined;
}

function encodeExtensions(writer: CborWriter, extensions: Extensions): void {
  if (!(extensions instanceof Map)) throw writer.error("extensions", "expected a Map");
  writer.enter("extensions");
  for (const [key, value] of extensions) {
    const problem = extensionValueProblem(key, value);
    if (problem !== undefined) throw writer.error(key, problem);
  }
  writer.map(extensions as ReadonlyMap<CborKey, CborValue>, 1, MAX_EXTENSION_DEPTH, extensionKeyProblem);
  writer.leave();
}

function decodeExtensions(reader: CborReader): Extensions {
  const count = reader.mapHeader("extensions");
  reader.enter("extensions");
  const extensions = reader.mapEntries<ExtensionKey, CborValue>(count, extensionKeyProblem, (key) => {
    const value = reader.value(2, MAX_EXTENSION_DEPTH);
    const problem = extensionValueProblem(key, value);
    if (problem !== undefined) throw reader.error(undefined, problem);
    return value;
  });
  reader.leave();
  return extensions;
}

function encodePart(writer: CborWriter, part: NestedPart, depth: number): void {
  if (depth > MAX_PART_DEPTH) throw writer.error(undefined, `NestedPart nested deeper than ${MAX_PART_DEPTH} levels`);
  if (typeof part !== "object" || part === null) throw writer.error(undefined, "expected a NestedPart");
  const cardinality = part.cardinality;
  if (!Object.hasOwn(PART_ARRAY_LENGTH, cardinality)) {
    throw writer.error("cardinality", `unknown cardinality ${String(cardinality)}`);
  }
  writer.head(4, PART_ARRAY_LENGTH[cardinality]);
  writer.uint("disposition", part.disposition, MAX_UINT8);
  writer.text("language", part.language);
  writer.head(0, Cardinality[cardinality]);
  switch (part.cardinality) {
    case "nullpart":
      return;
    case "single":
      writer.text("contentType", part.contentType);
      writer.bytes("content", part.content);
      return;
    case "external":
      writer.text("contentType", part.contentType);
      writer.text("url", part.url);
      writer.uint("expires", part.expires, MAX_UINT32);
      if (typeof part.size !== "bigint") throw writer.error("size", "expected a bigint");
      writer.uint("size", part.size, MAX_UINT64);
      writer.uint("encAlg", part.encAlg, MAX_UINT16);
      writer.bytes("key", part.key);
      writer.bytes("nonce", part.nonce);
      writer.bytes("aad", part.aad);
      writer.uint("hashAlg", part.hashAlg, MAX_UINT8);
      writer.bytes("contentHash", part.contentHash);
      writer.text("description", part.description);
      writer.text("filename", part.filename);
      return;
    case "multi": {
      const semantics = part.partSemantics;
      if (!Object.hasOwn(PartSemantics, semantics)) {
        throw writer.error("partSemantics", `unknown part semantics ${String(semantics)}`);
      }
      writer.head(0, PartSemantics[semantics]);
      if (!Array.isArray(part.parts)) throw writer.error("parts", "expected an array");
      if (part.parts.length < 2) throw writer.error("parts", `needs at least 2 parts, found ${part.parts.length}`);
      writer.head(4, part.parts.length);
      writer.enter("parts");
      for (const [i, child] of part.parts.entries()) {
        writer.enter(i);
        encodePart(writer, child, depth + 1);
        writer.leave();
      }
      writer.leave();
      return;
    }
  }
}

function decodePart(reader: CborReader, depth: number): NestedPart {
  const length = reader.arrayHeader(undefined);
  if (depth > MAX_PART_DEPTH) throw reader.error(undefined, `NestedPart nested deeper than ${MAX_PART_DEPTH} levels`);
  if (length < 3) throw reader.error(undefined, `expected a NestedPart array of at least 3 items, found ${length}`);
  const disposition = reader.uint("disposition", MAX_UINT8);
  const language = reader.text("language");
  const code = reader.uint("cardinality", MAX_UINT8);
  const cardinality = CARDINALITY_NAMES[code];
  if (cardinality === undefined) throw reader.error("cardinality", `unknown cardinality ${code}`);
  const expected = PART_ARRAY_LENGTH[cardinality];
  if (length !== expected) {
    throw reader.error(undefined, `a ${cardinality} part is an array of ${expected} items, found ${length}`);
  }
  switch (cardinality) {
    case "nullpart":
      return { disposition, language, cardinality };
    case "single":
      return {
        disposition,
        language,
        cardinality,
        contentType: reader.text("contentType"),
        content: reader.bytesItem("content"),
      };
    case "external":
      return {
        disposition,
        language,
        cardinality,
        contentType: reader.text("contentType"),
        url: reader.text("url"),
        expires: reader.uint("expires", MAX_UINT32),
        size: BigInt(reader.uint64("size")),
        encAlg: reader.uint("encAlg", MAX_UINT16),
        key: reader.bytesItem("key"),
        nonce: reader.bytesItem("nonce"),
        aad: reader.bytesItem("aad"),
        hashAlg: reader.uint("hashAlg", MAX_UINT8),
        contentHash: reader.bytesItem("contentHash"),
        description: reader.text("description"),
        filename: reader.text("filename"),
      };
    case "multi": {
      const semanticsCode = reader.uint("partSemantics", MAX_UINT8);
      const partSemantics: PartSemanticsName | undefined = SEMANTICS_NAMES[semanticsCode];
      if (partSemantics === undefined) throw reader.error("partSemantics", `unknown part semantics ${semanticsCode}`);
      const count = reader.arrayHeader("parts");
      if (count < 2) throw reader.error("parts", `needs at least 2 parts, found ${count}`);
      const parts: NestedPart[] = new Array(count);
      reader.enter("parts");
      for (let i = 0; i < count; i++) {
        reader.enter(i);
        parts[i] = decodePart(reader, depth + 1);
        reader.leave();
      }
      reader.leave();
      return { disposition, language, cardinality, partSemantics, parts };
    }
  }
}
