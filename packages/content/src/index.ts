export {
  type AttachmentDescription,
  attachment,
  conferencing,
  deleteMessage,
  edit,
  expiring,
  externalPart,
  GFM_MIMI,
  type MentionSegment,
  type MessageOptions,
  mention,
  message,
  original,
  PLAIN_TEXT,
  reaction,
  reply,
  type TextOptions,
  textPart,
  topic,
  unlike,
} from "./builders.js";
export { CborFloat, type CborKey, type CborMap, CborSimple, CborTag, type CborValue, cborEquals } from "./cborValue.js";
export { decode, encode, MAX_EXTENSION_DEPTH, MAX_PART_DEPTH } from "./codec.js";
export {
  type ConversationOptions,
  type ConversationState,
  type DroppedMessage,
  DropReason,
  type MessageVersion,
  type Reaction,
  type ReactorReactions,
  type ReceivedMessage,
  type ReplyLink,
  reduceConversation,
  type TimelineMessage,
} from "./conversation.js";
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
export {
  AeadAlgorithm,
  decryptExternalContent,
  type EncryptedExternalContent,
  type ExternalContentFields,
  encryptExternalContent,
  HashAlgorithm,
} from "./external.js";
export {
  escapeHtmlTags,
  parseGfmMimi,
  parseGfmMimiForDisplay,
  type RenderGfmMimiOptions,
  renderGfmMimi,
} from "./gfm.js";
export { cborFromJson, cborToJson, type Json, messageFromJson, messageToJson } from "./json.js";
export { type AnalyzeLinksOptions, analyzeLinks, type LinkInfo } from "./links.js";
export { type MediaType, mediaTypeMatches, parseMediaType } from "./mediaType.js";
export { computeMessageId, MESSAGE_ID_HASH_SHA256, messageIdOf } from "./messageId.js";
export {
  type CidReference,
  type IndexedPart,
  indexParts,
  type ProcessedPart,
  planRendering,
  REQUIRED_MEDIA_TYPES,
  type ReceiverCapabilities,
  type RenderPlan,
  type SkippedPart,
  type SkipReason,
} from "./render.js";
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
