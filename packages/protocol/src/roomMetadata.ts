import { type Codec, CodecError, refine, struct, utf8, type ValueOf, varOpaque, vector } from "@mimi-ts/codec";
import { type StructEntry, structEntry } from "./structEntry.js";

/**
 * protocol-06 s.7.6 (and room-policy-03 Appendix B): `struct { opaque uri<V>; } Uri`,
 * "a valid URI", held as its text like IdentifierUri. A URI is ASCII
 * (RFC 3986), so reading it as UTF-8 refuses only bytes that cannot be one;
 * the URI syntax itself is not checked here.
 */
export const uri: Codec<string> = { ...utf8(), name: "Uri" };
export type Uri = ValueOf<typeof uri>;

/** protocol-06 s.7.6: "a sequence of valid UTF8 without nulls"; utf8() refuses invalid UTF-8, this refuses U+0000. */
function withoutNul(text: string): string {
  const at = text.indexOf("\u0000");
  if (at >= 0) throw new CodecError(`must not contain U+0000 (found at character ${at})`);
  return text;
}

/**
 * protocol-06 s.7.6: `struct { opaque string<V>; } UTF8String`, held as its
 * text. Both directions refuse invalid UTF-8 (and lone surrogates) and U+0000.
 */
export const utf8String: Codec<string> = refine(utf8(), withoutNul, "UTF8String");
export type Utf8String = ValueOf<typeof utf8String>;

/**
 * protocol-06 s.7.6. The three fields are `opaque` and the draft states no
 * encoding for them, so they stay bytes; an empty mediaType means
 * text/plain;charset=utf-8.
 */
export const richDescription = struct("RichDescription", {
  mediaType: varOpaque(),
  languageTag: varOpaque(),
  descriptionContent: varOpaque(),
});
export type RichDescription = ValueOf<typeof richDescription>;

const roomMetaDataFields = {
  roomUri: uri,
  roomName: utf8String,
  roomDescriptions: vector(richDescription),
  /** an https URI resolving to an avatar image */
  roomAvatar: uri,
  roomSubject: utf8String,
  roomMood: utf8String,
} as const;

/** protocol-06 s.7.6: the data of the room_metadata component (ComponentId.roomMetadata). */
export const roomMetaData = struct("RoomMetaData", roomMetaDataFields);
export type RoomMetaData = ValueOf<typeof roomMetaData>;

/**
 * protocol-06 s.7.6: `RoomMetaData RoomMetaUpdate`, the update field of an
 * AppDataUpdate for the room_metadata component; the same layout, declared
 * under its own name so errors name it.
 */
export const roomMetaUpdate = struct("RoomMetaUpdate", roomMetaDataFields);
export type RoomMetaUpdate = ValueOf<typeof roomMetaUpdate>;

export const roomMetadataStructs: readonly StructEntry[] = [
  structEntry("Uri", uri, "protocol-06 s.7.6"),
  structEntry("UTF8String", utf8String, "protocol-06 s.7.6"),
  structEntry("RichDescription", richDescription, "protocol-06 s.7.6"),
  structEntry("RoomMetaData", roomMetaData, "protocol-06 s.7.6"),
  structEntry("RoomMetaUpdate", roomMetaUpdate, "protocol-06 s.7.6"),
];
