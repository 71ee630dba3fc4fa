import type { ParticipantListData, ParticipantListUpdate, UserRolePair } from "@mimi-ts/protocol";

/**
 * The participant list of protocol-06 s.7.5: applying a ParticipantListUpdate
 * and building one. Authorization of each change is policy.ts's; this module
 * only knows what the update means and when it cannot mean anything.
 */

export type ParticipantListProblemCode =
  | "index-out-of-range"
  | "user-touched-twice"
  | "user-already-present"
  | "role-index-zero"
  | "role-unchanged";

export interface ParticipantListProblem {
  readonly code: ParticipantListProblemCode;
  /** human-readable, naming the rule */
  readonly reason: string;
  readonly user?: string;
}

/** One user's change, with the roles before and after (the policy engine authorizes each). */
export type ParticipantChange =
  | { readonly kind: "added"; readonly user: string; readonly roleIndex: number }
  | { readonly kind: "removed"; readonly user: string; readonly fromRoleIndex: number }
  | {
      readonly kind: "roleChanged";
      readonly user: string;
      readonly fromRoleIndex: number;
      readonly toRoleIndex: number;
    };

export type ParticipantListUpdateResult =
  | { readonly ok: true; readonly list: ParticipantListData; readonly changes: readonly ParticipantChange[] }
  | { readonly ok: false; readonly problems: readonly ParticipantListProblem[] };

/** The role of `user` in the list, 0 (room-policy-03 s.3: not a participant) when absent. */
export function roleIndexOf(list: ParticipantListData | undefined, user: string): number {
  return list?.participants.find((entry) => entry.user === user)?.roleIndex ?? 0;
}

/**
 * protocol-06 s.7.5: indexes refer to the list before the update; the role
 * changes apply first, then the removals, then the additions are appended.
 * Refused: an index past the end, a user touched twice (a role change and a
 * removal of one index, an index listed twice, a user added twice or added
 * while also removed or changed), adding a user already present, role
 * index 0 (room-policy-03 s.3: reserved for non-participants), and a role
 * change to the role the user already has (it changes nothing).
 */
export function applyParticipantListUpdate(
  list: ParticipantListData,
  update: ParticipantListUpdate,
): ParticipantListUpdateResult {
  const before = list.participants;
  const problems: ParticipantListProblem[] = [];
  const touched = new Set<string>();
  const touch = (user: string, what: string): void => {
    if (touched.has(user)) {
      problems.push({
        code: "user-touched-twice",
        reason: `${user} is ${what} but is already changed by this update; one operation per user (protocol-06 s.7.5)`,
        user,
      });
    }
    touched.add(user);
  };
  const entryAt = (index: number, field: string): UserRolePair | undefined => {
    const entry = before[index];
    if (entry === undefined) {
      problems.push({
        code: "index-out-of-range",
        reason: `${field} index ${index} is past the end of the ${before.length}-entry participant list (protocol-06 s.7.5)`,
      });
    }
    return entry;
  };
  const checkRole = (user: string, roleIndex: number): void => {
    if (roleIndex === 0) {
      problems.push({
        code: "role-index-zero",
        reason: `${user} cannot be given role_index 0, reserved for non-participants (room-policy-03 s.3)`,
        user,
      });
    }
  };

  const changes: ParticipantChange[] = [];
  const roleByIndex = new Map<number, number>();
  for (const { userIndex, roleIndex } of update.changedRoleParticipants) {
    const entry = entryAt(userIndex, "changedRoleParticipants");
    if (entry === undefined) continue;
    touch(entry.user, "given a new role");
    checkRole(entry.user, roleIndex);
    if (roleIndex === entry.roleIndex) {
      problems.push({
        code: "role-unchanged",
        reason: `${entry.user} already has role ${roleIndex}; a role change must change the role`,
        user: entry.user,
      });
    }
    roleByIndex.set(userIndex, roleIndex);
    changes.push({ kind: "roleChanged", user: entry.user, fromRoleIndex: entry.roleIndex, toRoleIndex: roleIndex });
  }
  const removed = new Set<number>();
  for (const userIndex of update.removedIndices) {
    const entry = entryAt(userIndex, "removedIndices");
    if (entry === undefined) continue;
    touch(entry.user, "removed");
    removed.add(userIndex);
    changes.push({ kind: "removed", user: entry.user, fromRoleIndex: entry.roleIndex });
  }
  const present = new Set(before.map((entry) => entry.user));
  for (const { user, roleIndex } of update.addedParticipants) {
    if (present.has(user) && !touched.has(user)) {
      problems.push({
        code: "user-already-present",
        reason: `${user} is already in the participant list (protocol-06 s.7.5)`,
        user,
      });
    }
    touch(user, "added");
    checkRole(user, roleIndex);
    changes.push({ kind: "added", user, roleIndex });
  }
  if (problems.length > 0) return { ok: false, problems };

  const participants = before
    .map((entry, index) => ({ user: entry.user, roleIndex: roleByIndex.get(index) ?? entry.roleIndex }))
    .filter((_, index) => !removed.has(index))
    .concat(update.addedParticipants.map(({ user, roleIndex }) => ({ user, roleIndex })));
  return { ok: true, list: { participants }, changes };
}

export type ParticipantDiffResult =
  | { readonly ok: true; readonly update: ParticipantListUpdate }
  | { readonly ok: false; readonly problems: readonly ParticipantListProblem[] };

/**
 * The ParticipantListUpdate a client sends to go from `before` to `after`:
 * users of `after` missing from `before` are added (in `after`'s order),
 * users of `before` missing from `after` removed, the others given their new
 * role when it differs. Applying it to `before` gives `after` whenever
 * `after` keeps the remaining users in `before`'s order and puts the new ones
 * last; otherwise the same users with the same roles in that order. Refused:
 * `after` naming a user twice or giving role 0.
 */
export function diffParticipants(before: ParticipantListData, after: ParticipantListData): ParticipantDiffResult {
  const problems: ParticipantListProblem[] = [];
  const roleAfter = new Map<string, number>();
  for (const { user, roleIndex } of after.participants) {
    if (roleAfter.has(user)) {
      problems.push({ code: "user-already-present", reason: `${user} appears twice in the new list`, user });
    }
    if (roleIndex === 0) {
      problems.push({
        code: "role-index-zero",
        reason: `${user} cannot be given role_index 0, reserved for non-participants (room-policy-03 s.3)`,
        user,
      });
    }
    roleAfter.set(user, roleIndex);
  }
  if (problems.length > 0) return { ok: false, problems };

  const changedRoleParticipants: ParticipantListUpdate["changedRoleParticipants"] = [];
  const removedIndices: number[] = [];
  const kept = new Set<string>();
  before.participants.forEach(({ user, roleIndex }, userIndex) => {
    const next = roleAfter.get(user);
    if (next === undefined) {
      removedIndices.push(userIndex);
      return;
    }
    kept.add(user);
    if (next !== roleIndex) changedRoleParticipants.push({ userIndex, roleIndex: next });
  });
  const addedParticipants = after.participants
    .filter(({ user }) => !kept.has(user))
    .map(({ user, roleIndex }) => ({ user, roleIndex }));
  return { ok: true, update: { changedRoleParticipants, removedIndices, addedParticipants } };
}
