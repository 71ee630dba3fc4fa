import { struct, uint32, type ValueOf, vector } from "@mimi-ts/codec";
import { identifierUri } from "./identifiers.js";
import { type StructEntry, structEntry } from "./structEntry.js";

/**
 * protocol-06 s.7.5. `opaque user<V>` is held as text, like IdentifierUri:
 * protocol-06 s.5.3 calls an entry "a user URI in the participant list" and
 * compares it with the sender's IdentifierUri. A URI is ASCII, so reading it
 * as UTF-8 refuses only bytes that cannot be one.
 */
export const userRolePair = struct("UserRolePair", { user: identifierUri, roleIndex: uint32 });
export type UserRolePair = ValueOf<typeof userRolePair>;

/** protocol-06 s.7.5: the data of the participant_list component (ComponentId.participantList). */
export const participantListData = struct("ParticipantListData", { participants: vector(userRolePair) });
export type ParticipantListData = ValueOf<typeof participantListData>;

/** protocol-06 s.7.5: userIndex is an index into ParticipantListData.participants. */
export const userindexRolePair = struct("UserindexRolePair", { userIndex: uint32, roleIndex: uint32 });
export type UserindexRolePair = ValueOf<typeof userindexRolePair>;

/**
 * protocol-06 s.7.5: the update field of an AppDataUpdate for the
 * participant_list component, applied in field order (role changes, removals,
 * then additions appended). The draft's `changedRoleParticipants<V>` lacks its
 * `;`. Whether the changes are authorized, and that no user is touched twice
 * in one commit, is room state, checked where the room is, not here.
 */
export const participantListUpdate = struct("ParticipantListUpdate", {
  changedRoleParticipants: vector(userindexRolePair),
  removedIndices: vector(uint32),
  addedParticipants: vector(userRolePair),
});
export type ParticipantListUpdate = ValueOf<typeof participantListUpdate>;

export const participantListStructs: readonly StructEntry[] = [
  structEntry("UserRolePair", userRolePair, "protocol-06 s.7.5"),
  structEntry("ParticipantListData", participantListData, "protocol-06 s.7.5"),
  structEntry("UserindexRolePair", userindexRolePair, "protocol-06 s.7.5"),
  structEntry("ParticipantListUpdate", participantListUpdate, "protocol-06 s.7.5"),
];
