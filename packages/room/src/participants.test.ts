import type { ParticipantListData, ParticipantListUpdate } from "@mimi-ts/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyParticipantListUpdate, diffParticipants, roleIndexOf } from "./participants.js";

const alice = "mimi://a.example/u/alice";
const bob = "mimi://b.example/u/bob";
const cathy = "mimi://c.example/u/cathy";
const diana = "mimi://d.example/u/diana";
const eric = "mimi://e.example/u/eric";

const list: ParticipantListData = {
  participants: [
    { user: alice, roleIndex: 4 },
    { user: bob, roleIndex: 2 },
    { user: cathy, roleIndex: 2 },
  ],
};

function update(parts: Partial<ParticipantListUpdate>): ParticipantListUpdate {
  return { changedRoleParticipants: [], removedIndices: [], addedParticipants: [], ...parts };
}

function codesOf(result: ReturnType<typeof applyParticipantListUpdate>): string[] {
  return result.ok ? [] : result.problems.map((problem) => problem.code);
}

describe("applyParticipantListUpdate (protocol-06 s.7.5)", () => {
  it("applies protocol-06 s.4.3.2's example: Add diana (4) and eric (3), Remove bob, SetRole cathy to 1", () => {
    const result = applyParticipantListUpdate(
      list,
      update({
        changedRoleParticipants: [{ userIndex: 2, roleIndex: 1 }],
        removedIndices: [1],
        addedParticipants: [
          { user: diana, roleIndex: 4 },
          { user: eric, roleIndex: 3 },
        ],
      }),
    );
    expect(result).toEqual({
      ok: true,
      list: {
        participants: [
          { user: alice, roleIndex: 4 },
          { user: cathy, roleIndex: 1 },
          { user: diana, roleIndex: 4 },
          { user: eric, roleIndex: 3 },
        ],
      },
      changes: [
        { kind: "roleChanged", user: cathy, fromRoleIndex: 2, toRoleIndex: 1 },
        { kind: "removed", user: bob, fromRoleIndex: 2 },
        { kind: "added", user: diana, roleIndex: 4 },
        { kind: "added", user: eric, roleIndex: 3 },
      ],
    });
  });

  it("reads every index against the list before the update, not after the removals", () => {
    const result = applyParticipantListUpdate(
      list,
      update({ removedIndices: [0], changedRoleParticipants: [{ userIndex: 2, roleIndex: 3 }] }),
    );
    expect(result.ok && result.list.participants).toEqual([
      { user: bob, roleIndex: 2 },
      { user: cathy, roleIndex: 3 },
    ]);
  });

  it("refuses an index past the end", () => {
    expect(codesOf(applyParticipantListUpdate(list, update({ removedIndices: [3] })))).toEqual(["index-out-of-range"]);
    const change = update({ changedRoleParticipants: [{ userIndex: 7, roleIndex: 2 }] });
    expect(codesOf(applyParticipantListUpdate(list, change))).toEqual(["index-out-of-range"]);
  });

  it("refuses touching a user twice: role change and removal, two removals, two additions, removal and re-adding", () => {
    const cases = [
      update({ changedRoleParticipants: [{ userIndex: 1, roleIndex: 3 }], removedIndices: [1] }),
      update({ removedIndices: [2, 2] }),
      update({
        changedRoleParticipants: [
          { userIndex: 1, roleIndex: 3 },
          { userIndex: 1, roleIndex: 4 },
        ],
      }),
      update({
        addedParticipants: [
          { user: diana, roleIndex: 2 },
          { user: diana, roleIndex: 2 },
        ],
      }),
      update({ removedIndices: [1], addedParticipants: [{ user: bob, roleIndex: 3 }] }),
    ];
    for (const each of cases) expect(codesOf(applyParticipantListUpdate(list, each))).toEqual(["user-touched-twice"]);
  });

  it("refuses adding a user already present", () => {
    const result = applyParticipantListUpdate(list, update({ addedParticipants: [{ user: cathy, roleIndex: 2 }] }));
    expect(result.ok ? undefined : result.problems).toEqual([
      { code: "user-already-present", user: cathy, reason: expect.stringContaining("protocol-06 s.7.5") },
    ]);
  });

  it("refuses role index 0 in additions and role changes (room-policy-03 s.3)", () => {
    const added = update({ addedParticipants: [{ user: diana, roleIndex: 0 }] });
    expect(codesOf(applyParticipantListUpdate(list, added))).toEqual(["role-index-zero"]);
    const changed = update({ changedRoleParticipants: [{ userIndex: 0, roleIndex: 0 }] });
    expect(codesOf(applyParticipantListUpdate(list, changed))).toEqual(["role-index-zero"]);
  });

  it("refuses a role change to the role the user already has", () => {
    const changed = update({ changedRoleParticipants: [{ userIndex: 1, roleIndex: 2 }] });
    expect(codesOf(applyParticipantListUpdate(list, changed))).toEqual(["role-unchanged"]);
  });

  it("accepts an empty update, changing nothing", () => {
    expect(applyParticipantListUpdate(list, update({}))).toEqual({ ok: true, list, changes: [] });
  });
});

describe("roleIndexOf", () => {
  it("gives the user's role, 0 when not a participant or no list", () => {
    expect(roleIndexOf(list, alice)).toBe(4);
    expect(roleIndexOf(list, diana)).toBe(0);
    expect(roleIndexOf(undefined, alice)).toBe(0);
  });
});

const pool = Array.from({ length: 10 }, (_, i) => `mimi://p.example/u/user${i}`);
const role = fc.integer({ min: 1, max: 5 });
const step = fc.record({
  changes: fc.array(fc.record({ pick: fc.nat(), role }), { maxLength: 4 }),
  removals: fc.array(fc.nat(), { maxLength: 4 }),
  additions: fc.array(fc.record({ user: fc.nat({ max: pool.length - 1 }), role }), { maxLength: 4 }),
});

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** A valid update for `current`, read off random choices: each index and user at most once, fresh users added. */
function validUpdate(current: ParticipantListData, choices: Step): ParticipantListUpdate {
  const length = current.participants.length;
  const taken = new Set<number>();
  const result = update({});
  for (const { pick, role } of choices.changes) {
    const index = length === 0 ? -1 : pick % length;
    const entry = current.participants[index];
    if (entry === undefined || taken.has(index) || entry.roleIndex === role) continue;
    taken.add(index);
    result.changedRoleParticipants.push({ userIndex: index, roleIndex: role });
  }
  for (const pick of choices.removals) {
    const index = length === 0 ? -1 : pick % length;
    if (index < 0 || taken.has(index)) continue;
    taken.add(index);
    result.removedIndices.push(index);
  }
  const present = new Set(current.participants.map((entry) => entry.user));
  for (const { user, role } of choices.additions) {
    const uri = pool[user] as string;
    if (present.has(uri)) continue;
    present.add(uri);
    result.addedParticipants.push({ user: uri, roleIndex: role });
  }
  return result;
}

describe("participant list properties", () => {
  it("random sequences of valid updates keep one role per user, none 0, and match a model of the list", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
        let current: ParticipantListData = { participants: [] };
        for (const choices of steps) {
          const change = validUpdate(current, choices);
          const result = applyParticipantListUpdate(current, change);
          if (!result.ok) throw new Error(`refused a valid update: ${JSON.stringify(result.problems)}`);
          // The model: a map of the survivors with their new roles, in their old order, then the additions.
          const removedUsers = new Set(change.removedIndices.map((index) => current.participants[index]?.user));
          const newRoles = new Map(
            change.changedRoleParticipants.map(({ userIndex, roleIndex }) => [
              current.participants[userIndex]?.user,
              roleIndex,
            ]),
          );
          const expected = [
            ...current.participants
              .filter((entry) => !removedUsers.has(entry.user))
              .map((entry) => ({ user: entry.user, roleIndex: newRoles.get(entry.user) ?? entry.roleIndex })),
            ...change.addedParticipants,
          ];
          expect(result.list.participants).toEqual(expected);
          const users = result.list.participants.map((entry) => entry.user);
          expect(new Set(users).size).toBe(users.length);
          expect(result.list.participants.every((entry) => entry.roleIndex !== 0)).toBe(true);
          current = result.list;
        }
      }),
    );
  });

  it("any update either applies with the invariants kept or is refused with problems, never throws", () => {
    const anyUpdate = fc.record({
      changedRoleParticipants: fc.array(fc.record({ userIndex: fc.nat({ max: 6 }), roleIndex: fc.nat({ max: 4 }) }), {
        maxLength: 3,
      }),
      removedIndices: fc.array(fc.nat({ max: 6 }), { maxLength: 3 }),
      addedParticipants: fc.array(
        fc.record({ user: fc.constantFrom(...pool.slice(0, 5)), roleIndex: fc.nat({ max: 4 }) }),
        { maxLength: 3 },
      ),
    });
    const start: ParticipantListData = {
      participants: pool.slice(0, 3).map((user, i) => ({ user, roleIndex: i + 1 })),
    };
    fc.assert(
      fc.property(anyUpdate, (change) => {
        const result = applyParticipantListUpdate(start, change);
        if (!result.ok) {
          expect(result.problems.length).toBeGreaterThan(0);
          return;
        }
        const users = result.list.participants.map((entry) => entry.user);
        expect(new Set(users).size).toBe(users.length);
        expect(result.list.participants.every((entry) => entry.roleIndex !== 0)).toBe(true);
      }),
    );
  });
});

describe("diffParticipants", () => {
  it("builds role changes, removals and additions", () => {
    const after: ParticipantListData = {
      participants: [
        { user: alice, roleIndex: 4 },
        { user: cathy, roleIndex: 1 },
        { user: diana, roleIndex: 2 },
      ],
    };
    expect(diffParticipants(list, after)).toEqual({
      ok: true,
      update: {
        changedRoleParticipants: [{ userIndex: 2, roleIndex: 1 }],
        removedIndices: [1],
        addedParticipants: [{ user: diana, roleIndex: 2 }],
      },
    });
  });

  it("refuses a target list naming a user twice or giving role 0", () => {
    const twice = { participants: [...list.participants, { user: alice, roleIndex: 2 }] };
    const zero = { participants: [{ user: alice, roleIndex: 0 }] };
    const twiceResult = diffParticipants(list, twice);
    const zeroResult = diffParticipants(list, zero);
    expect(twiceResult.ok ? [] : twiceResult.problems.map((problem) => problem.code)).toEqual(["user-already-present"]);
    expect(zeroResult.ok ? [] : zeroResult.problems.map((problem) => problem.code)).toEqual(["role-index-zero"]);
  });

  const uniqueList = fc
    .uniqueArray(fc.record({ user: fc.constantFrom(...pool), roleIndex: role }), {
      selector: (entry) => entry.user,
      maxLength: pool.length,
    })
    .map((participants) => ({ participants }));

  it("gives an update that turns before into after exactly, when after keeps the survivors' order", () => {
    fc.assert(
      fc.property(uniqueList, step, (before, choices) => {
        const after = applyParticipantListUpdate(before, validUpdate(before, choices));
        if (!after.ok) throw new Error("refused a valid update");
        const diff = diffParticipants(before, after.list);
        if (!diff.ok) throw new Error("refused a valid list");
        expect(applyParticipantListUpdate(before, diff.update)).toMatchObject({ ok: true, list: after.list });
      }),
    );
  });

  it("gives the same users with the same roles for any two lists", () => {
    fc.assert(
      fc.property(uniqueList, uniqueList, (before, after) => {
        const diff = diffParticipants(before, after);
        if (!diff.ok) throw new Error("refused a valid list");
        const applied = applyParticipantListUpdate(before, diff.update);
        if (!applied.ok) throw new Error(`refused its own diff: ${JSON.stringify(applied.problems)}`);
        const asMap = (data: ParticipantListData) =>
          new Map(data.participants.map((entry) => [entry.user, entry.roleIndex]));
        expect(asMap(applied.list)).toEqual(asMap(after));
      }),
    );
  });
});
