import fc from "fast-check";
import { bytes, list, text, uint32, uri } from "./common.js";
import type { Arbitraries } from "./types.js";

/** UTF8String (protocol-06 s.7.6): any text, any code points (controls, BOM, astral), without U+0000. */
const utf8String = fc
  .oneof(text(30), fc.string({ unit: "binary", maxLength: 30 }))
  .map((value) => value.replaceAll("\u0000", ""));

const userRolePair = fc.record({ user: uri, roleIndex: uint32 });
const userindexRolePair = fc.record({ userIndex: uint32, roleIndex: uint32 });
const richDescription = fc.record({ mediaType: bytes(), languageTag: bytes(8), descriptionContent: bytes() });
const roomMetaData = fc.record({
  roomUri: uri,
  roomName: utf8String,
  roomDescriptions: list(richDescription),
  roomAvatar: fc.oneof(uri, fc.constant("")),
  roomSubject: utf8String,
  roomMood: utf8String,
});

/** Generators of the participant list (protocol-06 s.7.5) and room metadata (s.7.6) structs. */
export const arbitraries: Arbitraries = {
  UserRolePair: userRolePair,
  ParticipantListData: fc.record({ participants: list(userRolePair, 5) }),
  UserindexRolePair: userindexRolePair,
  ParticipantListUpdate: fc.record({
    changedRoleParticipants: list(userindexRolePair),
    removedIndices: list(uint32),
    addedParticipants: list(userRolePair),
  }),
  Uri: uri,
  UTF8String: utf8String,
  RichDescription: richDescription,
  RoomMetaData: roomMetaData,
  RoomMetaUpdate: roomMetaData,
};
