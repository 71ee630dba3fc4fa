import type { CborValue } from "./cborValue.js";

export const SALT_LENGTH = 16;
export const MESSAGE_ID_LENGTH = 32;

/** A 32-octet message ID: hash algorithm octet then 31 octets of hash (content-08 s.3.3). */
export type MessageId = Uint8Array;

/** content-08 s.4.1: `[relative: bool, time: uint .size 4]`. */
export interface Expiration {
  /** true: seconds after the receiver reads the message; false: seconds since the UNIX epoch. */
  readonly relative: boolean;
  readonly time: number;
}

/** Extension map keys: integers within +-(2^53-1) or text of 1..255 octets (content-08 s.4.3, s.6.2). */
export type ExtensionKey = number | string;

export type Extensions = ReadonlyMap<ExtensionKey, CborValue>;

/** IANA "MIMI Content Extension Keys" (content-08 s.8.2.1). */
export const ExtensionKeys = {
  senderUri: 1,
  roomUri: 2,
} as const;

/** IANA "MIMI Content Disposition" values (content-08 s.8.2.2); 9..255 are unknown and render as `render`. */
export const Disposition = {
  unspecified: 0,
  render: 1,
  reaction: 2,
  profile: 3,
  inline: 4,
  icon: 5,
  attachment: 6,
  session: 7,
  preview: 8,
} as const;

export type DispositionName = keyof typeof Disposition;

export function dispositionName(disposition: number): DispositionName | "unknown" {
  for (const [name, value] of Object.entries(Disposition)) {
    if (value === disposition) return name as DispositionName;
  }
  return "unknown";
}

/** The cardinality code points of content-08 s.4.4. */
export const Cardinality = { nullpart: 0, single: 1, external: 2, multi: 3 } as const;
export type CardinalityName = keyof typeof Cardinality;

/** The part semantics code points of content-08 s.4.4. */
export const PartSemantics = { chooseOne: 0, singleUnit: 1, processAll: 2 } as const;
export type PartSemanticsName = keyof typeof PartSemantics;

interface PartHeader {
  /** 0..255, see {@link Disposition}. */
  readonly disposition: number;
  /** Empty or a comma-separated list of RFC 5646 language tags. */
  readonly language: string;
}

export interface NullPart extends PartHeader {
  readonly cardinality: "nullpart";
}

export interface SinglePart extends PartHeader {
  readonly cardinality: "single";
  readonly contentType: string;
  readonly content: Uint8Array;
}

/** content-08 s.4.5. */
export interface ExternalPart extends PartHeader {
  readonly cardinality: "external";
  readonly contentType: string;
  readonly url: string;
  /** Seconds since the UNIX epoch after which the content is invalid, 0 for never. */
  readonly expires: number;
  /** Octets at the URL, 0 when not given. `uint .size 8`, hence a bigint. */
  readonly size: bigint;
  /** IANA AEAD algorithm, 0 for none. */
  readonly encAlg: number;
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
  readonly aad: Uint8Array;
  /** IANA Named Information hash algorithm, 0 for none. */
  readonly hashAlg: number;
  readonly contentHash: Uint8Array;
  readonly description: string;
  readonly filename: string;
}

export interface MultiPart extends PartHeader {
  readonly cardinality: "multi";
  readonly partSemantics: PartSemanticsName;
  /** At least two parts. */
  readonly parts: readonly NestedPart[];
}

export type NestedPart = NullPart | SinglePart | ExternalPart | MultiPart;

/** content-08 s.4.1: the `mimiContent` array. */
export interface MimiContent {
  /** 16 octets, cryptographically random (s.9.2). */
  readonly salt: Uint8Array;
  readonly replaces: MessageId | null;
  /** Empty when the message belongs to no topic. */
  readonly topicId: Uint8Array;
  readonly expires: Expiration | null;
  readonly inReplyTo: MessageId | null;
  readonly extensions: Extensions;
  readonly nestedPart: NestedPart;
}
