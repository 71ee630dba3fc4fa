import type { ParticipantListData, ParticipantListUpdate, UserRolePair } from "../../participantList.js";
import type { RichDescription, RoomMetaData } from "../../roomMetadata.js";
import type { Examples } from "./types.js";

const text = (value: string) => new TextEncoder().encode(value);

/** Role indexes of room-policy-03 Appendix A.1 (the RoleData example in roomPolicy.ts). */
const role = { banned: 1, ordinaryUser: 2, groupAdmin: 3, superAdmin: 4 } as const;

const alice: UserRolePair = { user: "mimi://a.example/u/alice", roleIndex: role.superAdmin };
const bob: UserRolePair = { user: "mimi://b.example/u/bob", roleIndex: role.groupAdmin };
const cathy: UserRolePair = { user: "mimi://c.example/u/cathy", roleIndex: role.ordinaryUser };

const participants: ParticipantListData = { participants: [alice, bob, cathy] };

const reshuffle: ParticipantListUpdate = {
  changedRoleParticipants: [{ userIndex: 1, roleIndex: role.ordinaryUser }],
  removedIndices: [2],
  addedParticipants: [{ user: "mimi://d.example/u/dave", roleIndex: role.ordinaryUser }],
};

const english: RichDescription = {
  mediaType: new Uint8Array(),
  languageTag: text("en"),
  descriptionContent: text("Where the club meets between events."),
};
const french: RichDescription = {
  mediaType: text("text/markdown;charset=utf-8"),
  languageTag: text("fr"),
  descriptionContent: text("Le **club** se retrouve ici entre deux événements."),
};

const clubhouse: RoomMetaData = {
  roomUri: "mimi://a.example/r/clubhouse",
  roomName: "Clubhouse",
  roomDescriptions: [english, french],
  roomAvatar: "https://a.example/rooms/clubhouse/avatar.png",
  roomSubject: "Spring tournament 🏓",
  roomMood: "",
};

/** protocol-06 s.7.5 (participant list) and s.7.6 (room metadata). */
export const examples: Examples = {
  UserRolePair: [{ description: "alice, a super_admin", value: alice }],
  ParticipantListData: [
    { description: "alice (super_admin), bob (group_admin) and cathy (ordinary_user)", value: participants },
    { description: "an empty participant list", value: { participants: [] } },
  ],
  UserindexRolePair: [
    { description: "the participant at index 1 becomes an ordinary_user", value: reshuffle.changedRoleParticipants[0] },
  ],
  ParticipantListUpdate: [
    { description: "bob becomes an ordinary_user, cathy is removed, dave is added", value: reshuffle },
    {
      description: "bob is banned",
      value: {
        changedRoleParticipants: [{ userIndex: 1, roleIndex: role.banned }],
        removedIndices: [],
        addedParticipants: [],
      },
    },
  ],
  Uri: [{ description: "a room URI", value: "mimi://a.example/r/clubhouse" }],
  UTF8String: [
    { description: "a room name", value: "Clubhouse" },
    { description: "text beyond ASCII", value: "Spring tournament 🏓" },
    { description: "the empty string", value: "" },
  ],
  RichDescription: [
    { description: "plain text in English (empty media type)", value: english },
    { description: "Markdown in French", value: french },
  ],
  RoomMetaData: [
    { description: "the clubhouse: two descriptions, an avatar, no mood", value: clubhouse },
    {
      description: "a room with only its URI",
      value: {
        roomUri: "mimi://a.example/r/Rl33FWLCYWOwxHrYnpWDQg",
        roomName: "",
        roomDescriptions: [],
        roomAvatar: "",
        roomSubject: "",
        roomMood: "",
      },
    },
  ],
  RoomMetaUpdate: [
    { description: "the clubhouse gets a new subject", value: { ...clubhouse, roomSubject: "Summer league" } },
  ],
};
