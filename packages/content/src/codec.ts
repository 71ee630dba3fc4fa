import { CborReader, keyLabel } from "./cborReader.js";
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
    writer.head(4, 2);
    if (typeof message.expires.relative !== "boolean") throw new ContentError("expires.relative", "expected a boolean");
    writer.boolean(message.expires.relative);
    writer.uint("expires.time", message.expires.time, MAX_UINT32);
  }
  nullableMessageId(writer, "inReplyTo", message.inReplyTo);
  encodeExtensions(writer, message.extensions);
  encodePart(writer, "nestedPart", message.nestedPart, 1);
  return writer.finish();
}

/**
 * Decodes one MIMI content document, accepting only valid deterministic
 * encodings. Any other input throws a ContentError naming the field.
 */
export function decode(bytes: Uint8Array): MimiContent {
  if (!(bytes instanceof Uint8Array)) throw new ContentError("mimiContent", "expected bytes");
  const reader = new CborReader(bytes);
  const length = reader.arrayHeader("mimiContent");
  if (length !== 7) throw new ContentError("mimiContent", `expected an array of 7 items, found ${length}`);
  const salt = reader.bytesItem("salt");
  if (salt.length !== SALT_LENGTH) throw new ContentError("salt", `must be ${SALT_LENGTH} bytes, found ${salt.length}`);
  const replaces = readNullableMessageId(reader, "replaces");
  const topicId = reader.bytesItem("topicId");
  let expires: MimiContent["expires"] = null;
  if (!reader.nullNext()) {
    const items = reader.arrayHeader("expires");
    if (items !== 2) throw new ContentError("expires", `expected an array of 2 items, found ${items}`);
    const relative = reader.boolean("expires.relative");
    expires = { relative, time: reader.uint("expires.time", MAX_UINT32) };
  }
  const inReplyTo = readNullableMessageId(reader, "inReplyTo");
  const extensions = decodeExtensions(reader);
  const nestedPart = decodePart(reader, "nestedPart", 1);
  reader.finish("mimiContent");
  return { salt, replaces, topicId, expires, inReplyTo, extensions, nestedPart };
}

function fixedBytes(writer: CborWriter, path: string, value: Uint8Array, length: number): void {
  if (!(value instanceof Uint8Array)) throw new ContentError(path, "expected a byte string (Uint8Array)");
  if (value.length !== length) throw new ContentError(path, `must be ${length} bytes, found ${value.length}`);
  writer.bytes(path, value);
}

function nullableMessageId(writer: CborWriter, path: string, value: Uint8Array | null): void {
  if (value === null) writer.null();
  else fixedBytes(writer, path, value, MESSAGE_ID_LENGTH);
}

function readNullableMessageId(reader: CborReader, path: string): Uint8Array | null {
  if (reader.nullNext()) return null;
  const id = reader.bytesItem(path);
  if (id.length !== MESSAGE_ID_LENGTH)
    throw new ContentError(path, `must be ${MESSAGE_ID_LENGTH} bytes, found ${id.length}`);
  return id;
}

/** The rules for the top-level extension map keys (content-08 s.4.3, s.6.2, issue: keys 1 and 2 hold text). */
function checkExtensionKey(path: string, key: CborKey): void {
  if (typeof key === "number") {
    if (!Number.isSafeInteger(key)) throw new ContentError(path, "integer key must be within +-(2^53-1)");
    return;
  }
  if (typeof key === "string") {
    const octets = utf8.encode(key).length;
    if (octets < 1 || octets > MAX_EXTENSION_TEXT_KEY_OCTETS) {
      throw new ContentError(path, `text key must be 1..${MAX_EXTENSION_TEXT_KEY_OCTETS} octets, found ${octets}`);
    }
    return;
  }
  throw new ContentError(path, "extension key must be an integer or a text string");
}

function checkExtensionValue(key: ExtensionKey, value: CborValue): void {
  if ((key === 1 || key === 2) && typeof value !== "string") {
    throw new ContentError(
      `extensions[${key}]`,
      `key ${key} (${key === 1 ? "senderUri" : "roomUri"}) must hold a text string`,
    );
  }
}

function encodeExtensions(writer: CborWriter, extensions: Extensions): void {
  if (!(extensions instanceof Map)) throw new ContentError("extensions", "expected a Map");
  for (const [key, value] of extensions) checkExtensionValue(key, value);
  writer.map("extensions", extensions as ReadonlyMap<CborKey, CborValue>, 1, MAX_EXTENSION_DEPTH, checkExtensionKey);
}

function decodeExtensions(reader: CborReader): Extensions {
  const count = reader.mapHeader("extensions");
  const extensions = new Map<ExtensionKey, CborValue>();
  let keyStart = -1;
  let keyEnd = -1;
  for (let i = 0; i < count; i++) {
    const keyPath = `extensions.key[${i}]`;
    const start = reader.offset;
    const key = reader.mapKey(keyPath, keyStart, keyEnd);
    keyStart = start;
    keyEnd = reader.offset;
    checkExtensionKey(keyPath, key);
    const value = reader.value(`extensions[${keyLabel(key)}]`, 2, MAX_EXTENSION_DEPTH);
    checkExtensionValue(key as ExtensionKey, value);
    extensions.set(key as ExtensionKey, value);
  }
  return extensions;
}

function encodePart(writer: CborWriter, path: string, part: NestedPart, depth: number): void {
  if (depth > MAX_PART_DEPTH) throw new ContentError(path, `NestedPart nested deeper than ${MAX_PART_DEPTH} levels`);
  if (typeof part !== "object" || part === null) throw new ContentError(path, "expected a NestedPart");
  const cardinality = part.cardinality;
  if (!Object.hasOwn(PART_ARRAY_LENGTH, cardinality)) {
    throw new ContentError(`${path}.cardinality`, `unknown cardinality ${String(cardinality)}`);
  }
  writer.head(4, PART_ARRAY_LENGTH[cardinality]);
  writer.uint(`${path}.disposition`, part.disposition, MAX_UINT8);
  writer.text(`${path}.language`, part.language);
  writer.head(0, Cardinality[cardinality]);
  switch (part.cardinality) {
    case "nullpart":
      return;
    case "single":
      writer.text(`${path}.contentType`, part.contentType);
      writer.bytes(`${path}.content`, part.content);
      return;
    case "external":
      writer.text(`${path}.contentType`, part.contentType);
      writer.text(`${path}.url`, part.url);
      writer.uint(`${path}.expires`, part.expires, MAX_UINT32);
      if (typeof part.size !== "bigint") throw new ContentError(`${path}.size`, "expected a bigint");
      writer.uint(`${path}.size`, part.size, MAX_UINT64);
      writer.uint(`${path}.encAlg`, part.encAlg, MAX_UINT16);
      writer.bytes(`${path}.key`, part.key);
      writer.bytes(`${path}.nonce`, part.nonce);
      writer.bytes(`${path}.aad`, part.aad);
      writer.uint(`${path}.hashAlg`, part.hashAlg, MAX_UINT8);
      writer.bytes(`${path}.contentHash`, part.contentHash);
      writer.text(`${path}.description`, part.description);
      writer.text(`${path}.filename`, part.filename);
      return;
    case "multi": {
      const semantics = part.partSemantics;
      if (!Object.hasOwn(PartSemantics, semantics)) {
        throw new ContentError(`${path}.partSemantics`, `unknown part semantics ${String(semantics)}`);
      }
      writer.head(0, PartSemantics[semantics]);
      if (!Array.isArray(part.parts)) throw new ContentError(`${path}.parts`, "expected an array");
      if (part.parts.length < 2)
        throw new ContentError(`${path}.parts`, `needs at least 2 parts, found ${part.parts.length}`);
      writer.head(4, part.parts.length);
      for (const [i, child] of part.parts.entries()) encodePart(writer, `${path}.parts[${i}]`, child, depth + 1);
      return;
    }
  }
}

function decodePart(reader: CborReader, path: string, depth: number): NestedPart {
  const length = reader.arrayHeader(path);
  if (depth > MAX_PART_DEPTH) throw new ContentError(path, `NestedPart nested deeper than ${MAX_PART_DEPTH} levels`);
  if (length < 3) throw new ContentError(path, `expected a NestedPart array of at least 3 items, found ${length}`);
  const disposition = reader.uint(`${path}.disposition`, MAX_UINT8);
  const language = reader.text(`${path}.language`);
  const code = reader.uint(`${path}.cardinality`, MAX_UINT8);
  const cardinality = CARDINALITY_NAMES[code];
  if (cardinality === undefined) throw new ContentError(`${path}.cardinality`, `unknown cardinality ${code}`);
  const expected = PART_ARRAY_LENGTH[cardinality];
  if (length !== expected) {
    throw new ContentError(path, `a ${cardinality} part is an array of ${expected} items, found ${length}`);
  }
  switch (cardinality) {
    case "nullpart":
      return { disposition, language, cardinality };
    case "single":
      return {
        disposition,
        language,
        cardinality,
        contentType: reader.text(`${path}.contentType`),
        content: reader.bytesItem(`${path}.content`),
      };
    case "external":
      return {
        disposition,
        language,
        cardinality,
        contentType: reader.text(`${path}.contentType`),
        url: reader.text(`${path}.url`),
        expires: reader.uint(`${path}.expires`, MAX_UINT32),
        size: BigInt(reader.uint64(`${path}.size`)),
        encAlg: reader.uint(`${path}.encAlg`, MAX_UINT16),
        key: reader.bytesItem(`${path}.key`),
        nonce: reader.bytesItem(`${path}.nonce`),
        aad: reader.bytesItem(`${path}.aad`),
        hashAlg: reader.uint(`${path}.hashAlg`, MAX_UINT8),
        contentHash: reader.bytesItem(`${path}.contentHash`),
        description: reader.text(`${path}.description`),
        filename: reader.text(`${path}.filename`),
      };
    case "multi": {
      const semanticsCode = reader.uint(`${path}.partSemantics`, MAX_UINT8);
      const partSemantics: PartSemanticsName | undefined = SEMANTICS_NAMES[semanticsCode];
      if (partSemantics === undefined) {
        throw new ContentError(`${path}.partSemantics`, `unknown part semantics ${semanticsCode}`);
      }
      const count = reader.arrayHeader(`${path}.parts`);
      if (count < 2) throw new ContentError(`${path}.parts`, `needs at least 2 parts, found ${count}`);
      const parts: NestedPart[] = new Array(count);
      for (let i = 0; i < count; i++) parts[i] = decodePart(reader, `${path}.parts[${i}]`, depth + 1);
      return { disposition, language, cardinality, partSemantics, parts };
    }
  }
}
