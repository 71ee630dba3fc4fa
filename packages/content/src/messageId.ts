import { sha256 } from "@noble/hashes/sha2.js";
import { encode } from "./codec.js";
import { ContentError } from "./errors.js";
import { ExtensionKeys, type MessageId, type MimiContent } from "./types.js";

/** IANA Named Information hash algorithm of SHA-256, the first octet of every MIMI message ID. */
export const MESSAGE_ID_HASH_SHA256 = 0x01;

const utf8 = new TextEncoder();

/**
 * The message ID of content-08 s.3.3:
 * `0x01 || SHA-256(u16 len(sender) || sender || u16 len(room) || room || message || salt)[0..30]`,
 * where `message` is the encoded MIMI content and `salt` its 16-octet salt.
 */
export function computeMessageId(
  encodedMessage: Uint8Array,
  salt: Uint8Array,
  senderUri: string,
  roomUri: string,
): MessageId {
  const hash = sha256
    .create()
    .update(lengthPrefixed("senderUri", senderUri))
    .update(lengthPrefixed("roomUri", roomUri))
    .update(encodedMessage)
    .update(salt)
    .digest();
  const id = new Uint8Array(32);
  id[0] = MESSAGE_ID_HASH_SHA256;
  id.set(hash.subarray(0, 31), 1);
  return id;
}

/**
 * The message ID of a message. Sender and room default to extension keys 1
 * and 2 of the message; pass them when they come from elsewhere (the MLS
 * credential and the room the message arrived in). `encoded` saves
 * re-encoding when the received bytes are at hand.
 */
export function messageIdOf(
  message: MimiContent,
  options: { senderUri?: string; roomUri?: string; encoded?: Uint8Array } = {},
): MessageId {
  const senderUri = options.senderUri ?? extensionText(message, ExtensionKeys.senderUri, "senderUri");
  const roomUri = options.roomUri ?? extensionText(message, ExtensionKeys.roomUri, "roomUri");
  return computeMessageId(options.encoded ?? encode(message), message.salt, senderUri, roomUri);
}

function extensionText(message: MimiContent, key: number, name: string): string {
  const value = message.extensions.get(key);
  if (typeof value !== "string") {
    throw new ContentError(`extensions[${key}]`, `no ${name}: pass it explicitly or set extension key ${key}`);
  }
  return value;
}

function lengthPrefixed(path: string, uri: string): Uint8Array {
  const bytes = utf8.encode(uri);
  if (bytes.length > 0xffff) throw new ContentError(path, "longer than 65535 octets");
  const out = new Uint8Array(2 + bytes.length);
  out[0] = bytes.length >> 8;
  out[1] = bytes.length & 0xff;
  out.set(bytes, 2);
  return out;
}
