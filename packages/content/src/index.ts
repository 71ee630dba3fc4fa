export { CborFloat, type CborKey, type CborMap, CborSimple, CborTag, type CborValue, cborEquals } from "./cborValue.js";
export { decode, encode, MAX_EXTENSION_DEPTH, MAX_PART_DEPTH } from "./codec.js";
export {
  decodeDerivedValues,
  EXTENDED_TIME_TAG,
  type ExtendedTime,
  encodeDerivedValues,
  extendedTimeFromMillis,
  type MessageDerivedValues,
  type Timestamp,
  timestampToMillis,
} from "./derived.js";
export { ContentError } from "./errors.js";
export { computeMessageId, MESSAGE_ID_HASH_SHA256, messageIdOf } from "./messageId.js";
export { randomSalt, saltFromBaseSecret } from "./salt.js";
export {
  Cardinality,
  type CardinalityName,
  Disposition,
  type DispositionName,
  dispositionName,
  type Expiration,
  type ExtensionKey,
  ExtensionKeys,
  type Extensions,
  type ExternalPart,
  MESSAGE_ID_LENGTH,
  type MessageId,
  type MimiContent,
  type MultiPart,
  type NestedPart,
  type NullPart,
  PartSemantics,
  type PartSemanticsName,
  SALT_LENGTH,
  type SinglePart,
} from "./types.js";
