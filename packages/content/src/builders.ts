import type { CborValue } from "./cborValue.js";
import { ContentError } from "./errors.js";
import type { ExternalContentFields } from "./external.js";
import { escapeHtmlTags } from "./gfm.js";
import { randomSalt } from "./salt.js";
import {
  Disposition,
  type Expiration,
  type ExtensionKey,
  ExtensionKeys,
  type ExternalPart,
  type MessageId,
  type MimiContent,
  type NestedPart,
  type SinglePart,
} from "./types.js";

/**
 * Builders for every kind of message in the examples of content-08 s.5.
 * Each returns a MimiContent ready for `encode`. Markdown bodies are
 * `text/markdown;variant=GFM-MIMI` with the mandatory "No HTML" rule applied
 * (s.7.1.1): the `<` of every HTML tag is sent as `&lt;`.
 */

export const GFM_MIMI = "text/markdown;variant=GFM-MIMI";
export const PLAIN_TEXT = "text/plain;charset=utf-8";

export interface MessageOptions {
  /** 16 octets; a fresh random salt by default (s.9.2 also allows deriving it from MLS). */
  readonly salt?: Uint8Array;
  /** Extension key 1: the sender as a MIMI participant URI. */
  readonly senderUri?: string;
  /** Extension key 2: the room URI. */
  readonly roomUri?: string;
  readonly topicId?: Uint8Array;
  readonly expires?: Expiration | null;
  readonly inReplyTo?: MessageId | null;
  /** Further extensions (keys other than 1 and 2). */
  readonly extensions?: ReadonlyMap<ExtensionKey, CborValue>;
}

export interface TextOptions extends MessageOptions {
  /** GFM-MIMI Markdown by default; `text/plain;charset=utf-8` for plain text. */
  readonly contentType?: string;
  readonly language?: string;
}

const utf8 = new TextEncoder();

/** A text body part. Markdown of the GFM-MIMI variant gets its HTML tags escaped. */
export function textPart(
  text: string,
  options: { contentType?: string; disposition?: number; language?: string } = {},
): SinglePart {
  const contentType = options.contentType ?? GFM_MIMI;
  const body = contentType.toLowerCase().replace(/\s/g, "") === GFM_MIMI.toLowerCase() ? escapeHtmlTags(text) : text;
  return {
    disposition: options.disposition ?? Disposition.render,
    language: options.language ?? "",
    cardinality: "single",
    contentType,
    content: utf8.encode(body),
  };
}

/** Any body with the message fields of `options`. */
export function message(nestedPart: NestedPart, options: MessageOptions = {}): MimiContent {
  const extensions = new Map<ExtensionKey, CborValue>(options.extensions ?? []);
  if (options.senderUri !== undefined) extensions.set(ExtensionKeys.senderUri, options.senderUri);
  if (options.roomUri !== undefined) extensions.set(ExtensionKeys.roomUri, options.roomUri);
  return {
    salt: options.salt ?? randomSalt(),
    replaces: null,
    topicId: options.topicId ?? new Uint8Array(0),
    expires: options.expires ?? null,
    inReplyTo: options.inReplyTo ?? null,
    extensions,
    nestedPart,
  };
}

/** An original text message (s.5.1). */
export function original(text: string, options: TextOptions = {}): MimiContent {
  return message(textPart(text, textOptions(options)), options);
}

/** A reply: a text message whose inReplyTo names the message answered (s.5.2). */
export function reply(inReplyTo: MessageId, text: string, options: TextOptions = {}): MimiContent {
  return message(textPart(text, textOptions(options)), { ...options, inReplyTo });
}

/** A reaction to a message, typically one emoji (s.5.3). Several reactions are several messages. */
export function reaction(inReplyTo: MessageId, emoji: string, options: MessageOptions = {}): MimiContent {
  const part = textPart(emoji, { contentType: PLAIN_TEXT, disposition: Disposition.reaction });
  return message(part, { ...options, inReplyTo });
}

/** A segment of a mentioning message: Markdown text, or a mention of a user. */
export type MentionSegment = string | { readonly user: string; readonly display?: string };

/**
 * A Markdown message mentioning users (s.5.4): a mention is a link to the
 * user's URI, `[display](mimi://d/u/user)`, or `<mimi://d/u/user>` without
 * display text (the display text is only a rendering hint, s.9.6).
 */
export function mention(segments: readonly MentionSegment[], options: MessageOptions = {}): MimiContent {
  const markdown = segments
    .map((segment, i) => {
      if (typeof segment === "string") return segment;
      if (!/^[a-z][a-z0-9+.-]*:[^\s<>()]+$/i.test(segment.user)) {
        throw new ContentError(`segments[${i}].user`, "not a URI usable as a link target");
      }
      return segment.display === undefined
        ? `<${segment.user}>`
        : `[${segment.display.replace(/[\\[\]]/g, "\\$&")}](${segment.user})`;
    })
    .join("");
  return message(textPart(markdown), options);
}

/**
 * An edit: a new body for the message `replaces` names, the first instance of
 * it when it was edited before (s.5.5). Keep the original's inReplyTo by
 * passing it in `options`.
 */
export function edit(replaces: MessageId, text: string, options: TextOptions = {}): MimiContent {
  return { ...message(textPart(text, textOptions(options)), options), replaces };
}

/** A delete: `replaces` with an empty (null) body (s.5.6). */
export function deleteMessage(replaces: MessageId, options: MessageOptions = {}): MimiContent {
  const body: NestedPart = { disposition: Disposition.render, language: "", cardinality: "nullpart" };
  return { ...message(body, options), replaces };
}

/** An unlike: `replaces` a reaction message with a null body of reaction disposition (s.5.7). */
export function unlike(reactionMessage: MessageId, options: MessageOptions = {}): MimiContent {
  const body: NestedPart = { disposition: Disposition.reaction, language: "", cardinality: "nullpart" };
  return { ...message(body, options), replaces: reactionMessage };
}

/** A message that receivers delete at an absolute time or some seconds after reading it (s.5.8). */
export function expiring(text: string, expires: Expiration, options: TextOptions = {}): MimiContent {
  return message(textPart(text, textOptions(options)), { ...options, expires });
}

export interface AttachmentDescription {
  readonly url: string;
  readonly contentType: string;
  /** From `encryptExternalContent`; omit for public content (encAlg 0, no key). */
  readonly encrypted?: ExternalContentFields;
  readonly description?: string;
  readonly filename?: string;
  /** Seconds since the UNIX epoch after which the URL is invalid; 0 (default) for never. */
  readonly expires?: number;
  /** `attachment` (default) to download, `inline` to render in place (s.5.9). */
  readonly disposition?: number;
  readonly language?: string;
}

/** An external body part (s.4.5). */
export function externalPart(attachment: AttachmentDescription): ExternalPart {
  const encrypted = attachment.encrypted;
  return {
    disposition: attachment.disposition ?? Disposition.attachment,
    language: attachment.language ?? "",
    cardinality: "external",
    contentType: attachment.contentType,
    url: attachment.url,
    expires: attachment.expires ?? 0,
    size: encrypted?.size ?? 0n,
    encAlg: encrypted?.encAlg ?? 0,
    key: encrypted?.key ?? new Uint8Array(0),
    nonce: encrypted?.nonce ?? new Uint8Array(0),
    aad: encrypted?.aad ?? new Uint8Array(0),
    hashAlg: encrypted?.hashAlg ?? 0,
    contentHash: encrypted?.contentHash ?? new Uint8Array(0),
    description: attachment.description ?? "",
    filename: attachment.filename ?? "",
  };
}

/** A file sent as an external part (s.5.9). */
export function attachment(description: AttachmentDescription, options: MessageOptions = {}): MimiContent {
  return message(externalPart(description), options);
}

/** An invitation to join a conference: an external part of session disposition, not encrypted (s.5.10). */
export function conferencing(
  invitation: { url: string; description?: string; contentType?: string },
  options: MessageOptions = {},
): MimiContent {
  const part = externalPart({
    url: invitation.url,
    contentType: invitation.contentType ?? "",
    description: invitation.description ?? "",
    disposition: Disposition.session,
  });
  return message(part, options);
}

/** A text message in a topic (thread): messages sharing a topicId form the topic (s.5.11). */
export function topic(topicId: Uint8Array, text: string, options: TextOptions = {}): MimiContent {
  return message(textPart(text, textOptions(options)), { ...options, topicId });
}

function textOptions(options: TextOptions): { contentType?: string; language?: string } {
  const result: { contentType?: string; language?: string } = {};
  if (options.contentType !== undefined) result.contentType = options.contentType;
  if (options.language !== undefined) result.language = options.language;
  return result;
}
