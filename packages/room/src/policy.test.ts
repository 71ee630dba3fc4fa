import { ComponentId, type RichDescription, RoleCapability, type RoleData, type RoomMetaData } from "@mimi-ts/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { basicCredentialClaim } from "./identity.js";
import {
  authorize,
  type CapabilityName,
  claimsetMatches,
  firstPreauthorization,
  isBannedRole,
  type RoomSnapshot,
} from "./policy.js";
import type { Actor, RoomChange, RoomOperation } from "./roomChange.js";
import {
  addClient,
  adminCapabilities,
  alice,
  bob,
  cathy,
  client,
  club,
  clubMetadata,
  clubRoles,
  codes,
  commit,
  dave,
  defaultBasePolicy,
  erin,
  except,
  expectAllowed,
  externalSender,
  listUpdate,
  mallory,
  member,
  missing,
  newMember,
  ordinaryCapabilities,
  proposals,
  removeClient,
  role,
  room,
} from "./test-support/roomFixtures.js";

// The club's participant list: alice (index 0, admin, role 3), bob (1, ordinary, role 2), cathy (2, ordinary).
const alice1 = member(client(alice, 1));
const bob1 = member(client(bob, 1));
const bob2 = member(client(bob, 2));
const cathy1 = member(client(cathy, 1));

describe("room-policy-03 s.8.1.1: adding", () => {
  const addDave: RoomOperation[] = [listUpdate({ add: [[dave, 2]] }), addClient(client(dave, 1))];

  it("canAddParticipant: an admin adds dave and his client", () => {
    const next = expectAllowed(authorize(club(), commit(alice1, ...addDave)));
    expect(next.room.participantList?.participants.at(-1)).toEqual({ user: dave, roleIndex: 2 });
    expect(next.members.at(-1)).toEqual({ clientUri: client(dave, 1), userUri: dave });
  });

  it("canAddParticipant missing: refused", () => {
    const room = club({ admin: { capabilities: except(adminCapabilities, "canAddParticipant") } });
    expect(missing(authorize(room, commit(alice1, ...addDave)))).toEqual(["canAddParticipant"]);
    expect(missing(authorize(club(), commit(bob1, ...addDave)))).toEqual(["canAddParticipant"]);
  });

  it("authorized_role_changes: the adder's role needs an entry from 0 to the target role", () => {
    const addAdmin = listUpdate({ add: [[dave, 3]] });
    expectAllowed(authorize(club(), commit(alice1, addAdmin)));
    const room = club({ admin: { changes: [[0, [2]]] } });
    expect(codes(authorize(room, commit(alice1, addAdmin)))).toEqual(["role-change-not-authorized"]);
  });

  it("a target role the roles list does not define is refused (s.3)", () => {
    expect(codes(authorize(club(), commit(alice1, listUpdate({ add: [[dave, 7]] }))))).toEqual(["role-undefined"]);
  });

  it("canAddOwnClient: a member adds another client of its own user", () => {
    expectAllowed(authorize(club(), commit(bob1, addClient(client(bob, 3)))));
    const room = club({ ordinary: { capabilities: except(ordinaryCapabilities, "canAddOwnClient") } });
    expect(missing(authorize(room, commit(bob1, addClient(client(bob, 3)))))).toEqual(["canAddOwnClient"]);
  });

  it("canAddOwnClient: a participant's new client joins by external commit", () => {
    const joining = commit(newMember(client(bob, 3)), { type: "externalJoin" });
    expectAllowed(authorize(club(), joining));
    const room = club({ ordinary: { capabilities: except(ordinaryCapabilities, "canAddOwnClient") } });
    expect(missing(authorize(room, joining))).toEqual(["canAddOwnClient"]);
  });

  it("another participant's clients: what adding that participant with its role would need", () => {
    expectAllowed(authorize(club(), commit(alice1, addClient(client(cathy, 2)))));
    expect(missing(authorize(club(), commit(bob1, addClient(client(cathy, 2)))))).toEqual(["canAddParticipant"]);
    const room = club({ admin: { changes: [[0, [3]]] } });
    expect(codes(authorize(room, commit(alice1, addClient(client(cathy, 2)))))).toEqual(["role-change-not-authorized"]);
  });

  describe("canOpenJoin", () => {
    const join = (role: number) =>
      commit(newMember(client(dave, 1)), { type: "externalJoin" }, listUpdate({ add: [[dave, role]] }));
    const openRoom = club({ noRole: { capabilities: ["canOpenJoin"], changes: [[0, [2]]] } });

    it("role 0 holding it lets anyone join with a role of its authorized_role_changes from 0", () => {
      const next = expectAllowed(authorize(openRoom, join(2)));
      expect(next.room.participantList?.participants.at(-1)).toEqual({ user: dave, roleIndex: 2 });
    });

    it("refused without it, or for a role role 0 may not give", () => {
      expect(codes(authorize(club(), join(2)))).toEqual(["join-not-authorized"]);
      expect(codes(authorize(openRoom, join(3)))).toEqual(["join-not-authorized"]);
    });

    it("does not let a joiner in without its participant list entry", () => {
      const bare = commit(newMember(client(dave, 1)), { type: "externalJoin" });
      expect(codes(authorize(openRoom, bare))).toEqual(["client-without-participant"]);
    });

    it("must not appear in a non-zero role (a roles update giving it to role 2 is refused)", () => {
      const roles: RoleData = {
        roles: clubRoles({ ordinary: { capabilities: [...ordinaryCapabilities, "canOpenJoin"] } }),
      };
      const update = { type: "componentUpdate", component: "rolesList", value: roles } as const;
      expect(codes(authorize(club(), commit(alice1, update)))).toEqual(["roles-invalid"]);
      expectAllowed(authorize(club(), commit(alice1, { ...update, value: { roles: clubRoles() } })));
    });
  });

  describe("canJoinIfPreauthorized (and s.4: the first matching entry decides)", () => {
    const fromDomain = (domain: string, target: number) => ({
      claimset: [basicCredentialClaim("domain", domain)],
      targetRole: role(target),
    });
    const join = (user: string) =>
      commit(newMember(client(user, 1)), { type: "externalJoin" }, listUpdate({ add: [[user, 2]] }));
    const preauthorizing = (capabilities: typeof ordinaryCapabilities, ...preauth: ReturnType<typeof fromDomain>[]) =>
      club({ ordinary: { capabilities }, preauth });
    const withJoin = [...ordinaryCapabilities, "canJoinIfPreauthorized"] as const;

    it("a user whose claims match joins as the entry's role when that role holds it", () => {
      expectAllowed(authorize(preauthorizing(withJoin, fromDomain("d.example", 2)), join(dave)));
    });

    it("refused when the role lacks it, or no entry matches", () => {
      expect(codes(authorize(preauthorizing(ordinaryCapabilities, fromDomain("d.example", 2)), join(dave)))).toEqual([
        "join-not-authorized",
      ]);
      expect(codes(authorize(preauthorizing(withJoin, fromDomain("d.example", 2)), join(erin)))).toEqual([
        "join-not-authorized",
      ]);
    });

    it("only the first matching entry counts", () => {
      const room = preauthorizing(
        withJoin,
        fromDomain("d.example", 3),
        { claimset: [], targetRole: role(2) }, // an empty claimset matches everyone
      );
      expect(codes(authorize(room, join(dave)))).toEqual(["join-not-authorized"]);
      expectAllowed(authorize(room, join(erin)));
    });

    it("a banned user cannot rejoin by a preauthorization (s.4, protocol-06 s.5.3)", () => {
      const room = club({
        ordinary: { capabilities: withJoin },
        preauth: [fromDomain("m.example", 2)],
        participants: [
          [alice, 3],
          [mallory, 1],
        ],
        clients: [client(alice, 1)],
      });
      const rejoin = commit(newMember(client(mallory, 1)), { type: "externalJoin" });
      expect(codes(authorize(room, rejoin))).toEqual([
        "client-without-participant",
        "max-active-participants", // role 1 allows no active participant
        "sender-removed-or-banned",
      ]);
    });
  });
});

describe("room-policy-03 s.8.1.2: removing", () => {
  const removeBob = [listUpdate({ remove: [1] }), removeClient(client(bob, 1)), removeClient(client(bob, 2))];

  it("canRemoveParticipant: an admin removes bob with all his clients", () => {
    const next = expectAllowed(authorize(club(), commit(alice1, ...removeBob)));
    expect(next.room.participantList?.participants.map((entry) => entry.user)).toEqual([alice, cathy]);
    expect(next.members.map((entry) => entry.clientUri)).toEqual([client(alice, 1), client(cathy, 1)]);
  });

  it("canRemoveParticipant missing, or no authorized_role_changes entry from the target's role to 0: refused", () => {
    const without = club({ admin: { capabilities: except(adminCapabilities, "canRemoveParticipant") } });
    expect(missing(authorize(without, commit(alice1, ...removeBob)))).toEqual(["canRemoveParticipant"]);
    const noTransition = club({ admin: { changes: [[2, [1, 3]]] } });
    expect(codes(authorize(noTransition, commit(alice1, ...removeBob)))).toEqual(["role-change-not-authorized"]);
  });

  it("a removed user keeps no client in the group", () => {
    const partial = commit(alice1, listUpdate({ remove: [1] }), removeClient(client(bob, 1)));
    expect(codes(authorize(club(), partial))).toEqual(["removed-user-keeps-clients"]);
  });

  describe("canRemoveSelf", () => {
    const leave = [
      listUpdate({ remove: [1] }, bob1),
      removeClient(client(bob, 1), bob1),
      removeClient(client(bob, 2), bob1),
    ];

    it("bob proposes leaving with all his clients; cathy commits his proposals by reference (protocol-06 s.3.5)", () => {
      expectAllowed(authorize(club(), proposals(bob1, ...leave)));
      expectAllowed(authorize(club(), commit(cathy1, ...leave)));
    });

    it("committed as cathy's own proposals, it is cathy removing bob: refused", () => {
      const asCathys = [listUpdate({ remove: [1] }), removeClient(client(bob, 1)), removeClient(client(bob, 2))];
      expect(missing(authorize(club(), commit(cathy1, ...asCathys)))).toEqual(["canRemoveParticipant"]);
    });

    it("refused without it, or without an authorized_role_changes entry to 0", () => {
      const without = club({ ordinary: { capabilities: except(ordinaryCapabilities, "canRemoveSelf") } });
      expect(missing(authorize(without, proposals(bob1, ...leave)))).toEqual(["canRemoveSelf"]);
      const noTransition = club({ ordinary: { changes: [] } });
      expect(codes(authorize(noTransition, proposals(bob1, ...leave)))).toEqual(["role-change-not-authorized"]);
    });
  });

  it("canRemoveOwnClient: Remove or SelfRemove of the user's own client", () => {
    const remove = proposals(bob1, removeClient(client(bob, 2)));
    const selfRemove = proposals(bob2, { type: "selfRemove" });
    expectAllowed(authorize(club(), remove));
    expectAllowed(authorize(club(), selfRemove));
    const without = club({ ordinary: { capabilities: except(ordinaryCapabilities, "canRemoveOwnClient") } });
    expect(missing(authorize(without, remove))).toEqual(["canRemoveOwnClient"]);
    expect(missing(authorize(without, selfRemove))).toEqual(["canRemoveOwnClient"]);
  });

  it("canKick: an admin removes cathy's clients, cathy stays a participant", () => {
    const kick = commit(alice1, removeClient(client(cathy, 1)));
    const next = expectAllowed(authorize(club(), kick));
    expect(next.room.participantList?.participants.map((entry) => entry.user)).toContain(cathy);
    const without = club({ admin: { capabilities: except(adminCapabilities, "canKick") } });
    expect(missing(authorize(without, kick))).toEqual(["canKick"]);
    expect(missing(authorize(club(), commit(bob1, removeClient(client(cathy, 1)))))).toEqual(["canKick"]);
  });

  it("a committer cannot commit its own removal (RFC 9420 s.12.2)", () => {
    expect(codes(authorize(club(), commit(bob1, removeClient(client(bob, 1)))))).toEqual(["malformed-change"]);
  });
});

describe("room-policy-03 s.8.1.3: role changes", () => {
  it("canChangeUserRole: an admin promotes bob", () => {
    const next = expectAllowed(authorize(club(), commit(alice1, listUpdate({ roles: [[1, 3]] }))));
    expect(next.room.participantList?.participants[1]).toEqual({ user: bob, roleIndex: 3 });
  });

  it("canChangeUserRole missing, or the transition not authorized: refused", () => {
    const without = club({ admin: { capabilities: except(adminCapabilities, "canChangeUserRole") } });
    expect(missing(authorize(without, commit(alice1, listUpdate({ roles: [[1, 3]] }))))).toEqual(["canChangeUserRole"]);
    const noTransition = club({ admin: { changes: [[2, [0, 1]]] } });
    expect(codes(authorize(noTransition, commit(alice1, listUpdate({ roles: [[1, 3]] }))))).toEqual([
      "role-change-not-authorized",
    ]);
  });

  it("canChangeUserRole does not apply to the holder itself", () => {
    expect(missing(authorize(club(), commit(alice1, listUpdate({ roles: [[0, 2]] }))))).toEqual(["canChangeOwnRole"]);
  });

  describe("canChangeOwnRole", () => {
    const preauth = [{ claimset: [basicCredentialClaim("user", bob)], targetRole: role(3) }];
    const withOwnRole = [...ordinaryCapabilities, "canChangeOwnRole"] as const;

    it("moves the holder to the first non-zero role its preauthorization gives", () => {
      const room = club({ ordinary: { capabilities: withOwnRole }, preauth });
      expectAllowed(authorize(room, commit(bob1, listUpdate({ roles: [[1, 3]] }))));
    });

    it("skips preauthorization entries for role 0", () => {
      const zeroFirst = [{ claimset: [], targetRole: role(0) }, ...preauth];
      const room = club({ ordinary: { capabilities: withOwnRole }, preauth: zeroFirst });
      expectAllowed(authorize(room, commit(bob1, listUpdate({ roles: [[1, 3]] }))));
    });

    it("refused for another role, for a user without preauthorization, or without the capability", () => {
      const room = club({ ordinary: { capabilities: withOwnRole }, preauth, extraRoles: [role(4)] });
      expect(codes(authorize(room, commit(bob1, listUpdate({ roles: [[1, 4]] }))))).toEqual(["not-preauthorized"]);
      expect(codes(authorize(room, commit(cathy1, listUpdate({ roles: [[2, 3]] }))))).toEqual(["not-preauthorized"]);
      expect(missing(authorize(club({ preauth }), commit(bob1, listUpdate({ roles: [[1, 3]] }))))).toEqual([
        "canChangeOwnRole",
      ]);
    });
  });

  describe("canBan", () => {
    const ban = [listUpdate({ roles: [[1, 1]] }), removeClient(client(bob, 1)), removeClient(client(bob, 2))];

    it("moves bob to the banned role and removes all his clients", () => {
      const next = expectAllowed(authorize(club(), commit(alice1, ...ban)));
      expect(next.room.participantList?.participants[1]).toEqual({ user: bob, roleIndex: 1 });
      expect(next.members.some((entry) => entry.userUri === bob)).toBe(false);
    });

    it("refused without canBan (and without canChangeUserRole)", () => {
      const room = club({ admin: { capabilities: except(adminCapabilities, "canBan", "canChangeUserRole") } });
      expect(missing(authorize(room, commit(alice1, ...ban)))).toEqual(["canBan"]);
    });

    it("a banned user keeps no client", () => {
      const partial = commit(alice1, listUpdate({ roles: [[1, 1]] }), removeClient(client(bob, 1)));
      expect(codes(authorize(club(), partial))).toEqual([
        "max-active-participants", // role 1 allows no active participant
        "removed-user-keeps-clients",
      ]);
    });

    it("with canChangeUserRole instead of canBan, removing the clients needs canKick", () => {
      const room = club({ admin: { capabilities: except(adminCapabilities, "canBan", "canKick") } });
      expect(missing(authorize(room, commit(alice1, ...ban)))).toEqual(["canKick", "canKick"]);
    });

    it("needs role 1 to be named banned; otherwise it is an ordinary role change", () => {
      const room = club({
        bannedName: "muted",
        admin: { capabilities: except(adminCapabilities, "canChangeUserRole") },
      });
      expect(isBannedRole(room.room, 1)).toBe(false);
      expect(missing(authorize(room, commit(alice1, ...ban)))).toContain("canChangeUserRole");
    });
  });

  describe("canUnBan", () => {
    const banned = {
      participants: [
        [alice, 3],
        [bob, 1],
      ] as const,
      clients: [client(alice, 1)],
    };

    it("moves bob from the banned role to a role of the holder's authorized_role_changes", () => {
      expectAllowed(authorize(club(banned), commit(alice1, listUpdate({ roles: [[1, 2]] }))));
    });

    it("refused without canUnBan (and without canChangeUserRole)", () => {
      const room = club({
        ...banned,
        admin: { capabilities: except(adminCapabilities, "canUnBan", "canChangeUserRole") },
      });
      expect(missing(authorize(room, commit(alice1, listUpdate({ roles: [[1, 2]] }))))).toEqual(["canUnBan"]);
    });

    it("does not authorize adding the unbanned user's clients", () => {
      const room = club({ ...banned, admin: { capabilities: except(adminCapabilities, "canAddParticipant") } });
      const unbanAndAdd = commit(alice1, listUpdate({ roles: [[1, 2]] }), addClient(client(bob, 1)));
      expect(missing(authorize(room, unbanAndAdd))).toEqual(["canAddParticipant"]);
    });
  });
});

describe("room-policy-03 s.8.2: metadata", () => {
  const cases: [string, CapabilityName, Partial<RoomMetaData>][] = [
    ["roomName", "canChangeRoomName", { roomName: "Chess club" }],
    [
      "roomDescriptions",
      "canChangeRoomDescription",
      {
        roomDescriptions: [
          {
            mediaType: new Uint8Array(0),
            languageTag: new TextEncoder().encode("en"),
            descriptionContent: new TextEncoder().encode("We play chess"),
          },
        ],
      },
    ],
    ["roomAvatar", "canChangeRoomAvatar", { roomAvatar: "https://a.example/chess.png" }],
    ["roomSubject", "canChangeRoomSubject", { roomSubject: "Openings" }],
    ["roomMood", "canChangeRoomMood", { roomMood: "focused" }],
  ];

  for (const [field, capability, change] of cases) {
    it(`${field} needs ${capability}`, () => {
      const update: RoomOperation = { type: "metadataUpdate", metadata: { ...clubMetadata, ...change } };
      const next = expectAllowed(authorize(club(), commit(alice1, update)));
      expect(next.room.roomMetadata).toEqual({ ...clubMetadata, ...change });
      const without = club({ admin: { capabilities: except(adminCapabilities, capability) } });
      expect(missing(authorize(without, commit(alice1, update)))).toEqual([capability]);
    });
  }

  it("an unchanged field needs nothing: bob may change only the subject", () => {
    const subject = { type: "metadataUpdate", metadata: { ...clubMetadata, roomSubject: "Endgames" } } as const;
    expectAllowed(authorize(club(), commit(bob1, subject)));
    const both = { type: "metadataUpdate", metadata: { ...clubMetadata, roomSubject: "x", roomName: "y" } } as const;
    expect(missing(authorize(club(), commit(bob1, both)))).toEqual(["canChangeRoomName"]);
  });

  it("the room URI cannot change (protocol-06 s.7.6)", () => {
    const moved = {
      type: "metadataUpdate",
      metadata: { ...clubMetadata, roomUri: "mimi://b.example/r/club" },
    } as const;
    expect(codes(authorize(club(), commit(alice1, moved)))).toEqual(["room-uri-changed"]);
  });

  it("only one metadata update per commit (protocol-06 s.7.6)", () => {
    const update = { type: "metadataUpdate", metadata: { ...clubMetadata, roomName: "A" } } as const;
    expectAllowed(authorize(club(), commit(alice1, update)));
    expect(codes(authorize(club(), commit(alice1, update, update)))).toEqual(["metadata-update-repeated"]);
  });
});

describe("room-policy-03 s.8.3: messages", () => {
  const message = (sender = bob1) => ({ kind: "applicationMessage", sender }) as const;

  it("canSendMessage: bob sends; refused without it", () => {
    expectAllowed(authorize(club(), message()));
    const without = club({ ordinary: { capabilities: except(ordinaryCapabilities, "canSendMessage") } });
    expect(missing(authorize(without, message()))).toEqual(["canSendMessage"]);
  });

  it("only members send application messages", () => {
    expect(codes(authorize(club(), message(member(client(dave, 1)))))).toEqual(["malformed-change"]);
    expect(codes(authorize(club(), message(newMember(client(dave, 1)))))).toEqual(["malformed-change"]);
  });
});

describe("room-policy-03 s.8.6 and s.8.7: policy and MLS changes", () => {
  const cases: readonly [string, RoomOperation, string][] = [
    [
      "roles",
      { type: "componentUpdate", component: "rolesList", value: { roles: clubRoles() } },
      "canChangeRoleDefinitions",
    ],
    [
      "preauthorization",
      { type: "componentUpdate", component: "preauthList", value: { preauthorizedEntries: [] } },
      "canChangePreauthorizedUserList",
    ],
    [
      "base policy",
      {
        type: "componentUpdate",
        component: "baseRoomPolicy",
        value: {
          ...(club().room.baseRoomPolicy as NonNullable<ReturnType<typeof club>["room"]["baseRoomPolicy"]>),
          discoverable: true,
        },
      },
      "canChangeRoomMembershipStyle",
    ],
    ["ReInit", { type: "reinit" }, "canSendMLSReinitProposal"],
    ["GroupContextExtensions", { type: "groupContextExtensions" }, "canChangeMlsOperationalPolicies"],
    [
      "franking_agent",
      { type: "otherComponentUpdate", componentId: ComponentId.frankingAgent, data: new Uint8Array([1]) },
      "canChangeMlsOperationalPolicies",
    ],
    [
      "status notifications",
      {
        type: "componentUpdate",
        component: "statusNotificationPolicy",
        value: { deliveryNotifications: 0, readReceipts: 0 },
      },
      "canChangeOtherPolicyAttribute",
    ],
  ];

  for (const [what, operation, capability] of cases) {
    it(`${what} needs ${capability}`, () => {
      expectAllowed(authorize(club(), commit(alice1, operation)));
      expect(missing(authorize(club(), commit(bob1, operation)))).toEqual([capability]);
    });
  }
});

describe("room-policy-03 s.3: role constraints", () => {
  const addDave = [listUpdate({ add: [[dave, 2]] }), addClient(client(dave, 1))];

  it("maximum participants of the target role", () => {
    expectAllowed(authorize(club({ ordinary: { maxParticipants: 3 } }), commit(alice1, ...addDave)));
    expect(codes(authorize(club({ ordinary: { maxParticipants: 2 } }), commit(alice1, ...addDave)))).toEqual([
      "max-participants",
    ]);
  });

  it("minimum participants of the role a user leaves", () => {
    const removeCathy = [listUpdate({ remove: [2] }), removeClient(client(cathy, 1))];
    expectAllowed(authorize(club({ ordinary: { minParticipants: 1 } }), commit(alice1, ...removeCathy)));
    expect(codes(authorize(club({ ordinary: { minParticipants: 2 } }), commit(alice1, ...removeCathy)))).toEqual([
      "min-participants",
    ]);
  });

  it("maximum active participants: an inactive participant does not count", () => {
    const room = club({ ordinary: { maxActive: 2 } });
    expect(codes(authorize(room, commit(alice1, ...addDave)))).toEqual(["max-active-participants"]);
    expectAllowed(authorize(room, commit(alice1, listUpdate({ add: [[dave, 2]] }))));
  });

  it("minimum active participants: kicking the last client of a user", () => {
    const room = club({ ordinary: { minActive: 2 } });
    expect(codes(authorize(room, commit(alice1, removeClient(client(cathy, 1)))))).toEqual(["min-active-participants"]);
    expectAllowed(authorize(room, commit(alice1, removeClient(client(bob, 2)))));
  });

  it("a room already below a minimum accepts changes that do not lower it further", () => {
    const room = club({ admin: { minParticipants: 2 } });
    expectAllowed(authorize(room, commit(alice1, ...addDave)));
    expect(codes(authorize(room, commit(alice1, listUpdate({ roles: [[1, 3]] }))))).toEqual([]);
  });
});

describe("room-policy-03 s.5: base policy", () => {
  it("fixed_membership: no user added or removed; clients of participants still come and go", () => {
    const room = club({ basePolicy: { fixedMembership: true } });
    expect(codes(authorize(room, commit(alice1, listUpdate({ add: [[dave, 2]] }))))).toEqual(["fixed-membership"]);
    const removeCathy = [listUpdate({ remove: [2] }), removeClient(client(cathy, 1))];
    expect(codes(authorize(room, commit(alice1, ...removeCathy)))).toEqual(["fixed-membership"]);
    expectAllowed(authorize(room, commit(alice1, addClient(client(alice, 2)))));
    expectAllowed(authorize(room, proposals(bob1, removeClient(client(bob, 2)))));
    expectAllowed(authorize(club(), commit(alice1, ...removeCathy)));
  });

  it("fixed_membership: no non-zero, non-banned role may hold canAddParticipant", () => {
    const base = club().room.baseRoomPolicy;
    if (base === undefined) throw new Error("the club has a base policy");
    const fix = {
      type: "componentUpdate",
      component: "baseRoomPolicy",
      value: { ...base, fixedMembership: true },
    } as const;
    expect(codes(authorize(club(), commit(alice1, fix)))).toEqual(["fixed-membership"]);
    const room = club({ admin: { capabilities: except(adminCapabilities, "canAddParticipant") } });
    expectAllowed(authorize(room, commit(alice1, fix)));
  });

  it("multi_device false: one client per user, a client may replace its own leaf", () => {
    const room = club({
      basePolicy: { multiDevice: false },
      clients: [client(alice, 1), client(bob, 1), client(cathy, 1)],
    });
    expect(codes(authorize(room, commit(bob1, addClient(client(bob, 2)))))).toEqual(["single-device"]);
    const rejoin = commit(newMember(client(bob, 1)), removeClient(client(bob, 1)), { type: "externalJoin" });
    expectAllowed(authorize(room, rejoin));
  });

  it("max_clients", () => {
    const addClientOp = commit(alice1, addClient(client(alice, 2)));
    expect(codes(authorize(club({ basePolicy: { maxClients: 4 } }), addClientOp))).toEqual(["max-clients"]);
    expectAllowed(authorize(club({ basePolicy: { maxClients: 5 } }), addClientOp));
  });

  it("max_users counts non-banned participants", () => {
    const withBanned = {
      participants: [
        [alice, 3],
        [bob, 2],
        [mallory, 1],
      ] as const,
      clients: [client(alice, 1), client(bob, 1)],
    };
    const addDave = commit(alice1, listUpdate({ add: [[dave, 2]] }));
    expectAllowed(authorize(club({ ...withBanned, basePolicy: { maxUsers: 3 } }), addDave));
    expect(codes(authorize(club({ ...withBanned, basePolicy: { maxUsers: 2 } }), addDave))).toEqual(["max-users"]);
  });
});

describe("room-policy-03 s.4: preauthorized external senders", () => {
  const enforcer = role(5, { name: "policy_enforcer", capabilities: ["canRemoveParticipant"], changes: [[2, [0]]] });
  const preauth = [{ claimset: [basicCredentialClaim("domain", "hub.example")], targetRole: enforcer }];
  const removeBob = [listUpdate({ remove: [1] }), removeClient(client(bob, 1)), removeClient(client(bob, 2))];

  it("the Hub, preauthorized as policy enforcer, proposes removing bob", () => {
    const room = club({ extraRoles: [enforcer], preauth });
    expectAllowed(authorize(room, proposals(externalSender("mimi://hub.example"), ...removeBob)));
  });

  it("another external sender has role 0's capabilities: refused", () => {
    const room = club({ extraRoles: [enforcer], preauth });
    // Only the list removal is refused: the removal of bob's clients goes with it.
    expect(missing(authorize(room, proposals(externalSender("mimi://evil.example"), ...removeBob)))).toEqual([
      "canRemoveParticipant",
    ]);
  });

  it("an external sender cannot commit", () => {
    const room = club({ extraRoles: [enforcer], preauth });
    expect(codes(authorize(room, commit(externalSender("mimi://hub.example"), ...removeBob)))).toEqual([
      "malformed-change",
    ]);
  });

  it("claimsetMatches and firstPreauthorization", () => {
    const claims = [basicCredentialClaim("domain", "hub.example")];
    expect(claimsetMatches([], claims)).toBe(true);
    expect(claimsetMatches(preauth[0]?.claimset ?? [], claims)).toBe(true);
    expect(
      claimsetMatches([basicCredentialClaim("domain", "hub.example"), basicCredentialClaim("user", bob)], claims),
    ).toBe(false);
    const room = club({ preauth }).room;
    expect(firstPreauthorization(room, claims)?.targetRole.roleIndex).toBe(5);
    expect(firstPreauthorization(room, [])).toBeUndefined();
  });
});

describe("protocol-06 s.5.3: removed and banned users' clients", () => {
  // A client left behind: ghost is not in the list (removed), mallory is banned; both still have clients.
  const ghost = "mimi://g.example/u/ghost";
  const stale = club({
    participants: [
      [alice, 3],
      [bob, 2],
      [mallory, 1],
    ],
    clients: [client(alice, 1), client(bob, 1), client(ghost, 1), client(ghost, 2), client(mallory, 1)],
  });
  const ghost1 = member(client(ghost, 1));
  const mallory1 = member(client(mallory, 1));

  it("may propose Remove and SelfRemove of their own clients", () => {
    expectAllowed(authorize(stale, proposals(ghost1, removeClient(client(ghost, 2)))));
    expectAllowed(authorize(stale, proposals(ghost1, { type: "selfRemove" })));
    expectAllowed(authorize(stale, proposals(mallory1, { type: "selfRemove" })));
  });

  it("may not send commits, other proposals or application messages", () => {
    expect(codes(authorize(stale, commit(ghost1, removeClient(client(ghost, 2)))))).toEqual([
      "sender-removed-or-banned",
    ]);
    expect(codes(authorize(stale, proposals(ghost1, removeClient(client(bob, 1)))))).toEqual([
      "sender-removed-or-banned",
    ]);
    expect(codes(authorize(stale, proposals(mallory1, { type: "updateClient" })))).toEqual([
      "sender-removed-or-banned",
    ]);
    expect(codes(authorize(stale, { kind: "applicationMessage", sender: mallory1 }))).toEqual([
      "sender-removed-or-banned",
    ]);
  });

  it("anyone may remove the clients of a user who may have none", () => {
    expectAllowed(authorize(stale, commit(bob1, removeClient(client(ghost, 1)), removeClient(client(mallory, 1)))));
  });

  it("an added client belongs to a participant with a non-zero, non-banned role", () => {
    expect(codes(authorize(club(), commit(alice1, addClient(client(dave, 1)))))).toEqual([
      "client-without-participant",
    ]);
    expect(codes(authorize(stale, commit(alice1, addClient(client(mallory, 2)))))).toEqual([
      "client-without-participant",
    ]);
    expectAllowed(authorize(club(), commit(alice1, listUpdate({ add: [[dave, 2]] }), addClient(client(dave, 1)))));
  });
});

describe("protocol-06 s.7.5: one operation per user per commit", () => {
  it("two participant list updates touching bob are refused; touching different users is fine", () => {
    const twice = commit(alice1, listUpdate({ roles: [[1, 3]] }), listUpdate({ roles: [[1, 2]] }));
    expect(codes(authorize(club(), twice))).toContain("user-touched-twice");
    const apart = commit(alice1, listUpdate({ roles: [[1, 3]] }), listUpdate({ add: [[dave, 2]] }));
    expectAllowed(authorize(club(), apart));
  });

  it("within one update too, with the participant list's other refusals", () => {
    expect(codes(authorize(club(), commit(alice1, listUpdate({ roles: [[1, 3]], remove: [1] }))))).toEqual([
      "user-touched-twice",
    ]);
    expect(codes(authorize(club(), commit(alice1, listUpdate({ remove: [9] }))))).toEqual(["index-out-of-range"]);
    expect(codes(authorize(club(), commit(alice1, listUpdate({ add: [[bob, 2]] }))))).toEqual(["user-already-present"]);
    expect(codes(authorize(club(), commit(alice1, listUpdate({ add: [[dave, 0]] }))))).toEqual(["role-index-zero"]);
  });
});

describe("room-policy-03 s.3 and s.4: disruptive changes travel alone", () => {
  const roles = { type: "componentUpdate", component: "rolesList", value: { roles: clubRoles() } } as const;
  const preauth: RoomOperation = {
    type: "componentUpdate",
    component: "preauthList",
    value: { preauthorizedEntries: [] },
  };
  const removeCathy = [listUpdate({ remove: [2] }), removeClient(client(cathy, 1))];

  it("role definitions not with any participant list change", () => {
    expectAllowed(authorize(club(), commit(alice1, roles)));
    expect(codes(authorize(club(), commit(alice1, roles, ...removeCathy)))).toEqual(["roles-with-participant-change"]);
  });

  it("preauthorization not with participant list changes other than removals", () => {
    expectAllowed(authorize(club(), commit(alice1, preauth, ...removeCathy)));
    expect(codes(authorize(club(), commit(alice1, preauth, listUpdate({ add: [[dave, 2]] }))))).toEqual([
      "preauth-with-participant-change",
    ]);
  });

  it("a roles update may not leave a participant's role undefined", () => {
    const shrunk = { ...roles, value: { roles: clubRoles().filter((entry) => entry.roleIndex !== 2) } };
    expect(codes(authorize(club(), commit(alice1, shrunk)))).toEqual(["role-undefined", "role-undefined"]);
  });
});

describe("mls-extensions s.4.7: AppDataUpdate rules", () => {
  const frank = { type: "otherComponentUpdate", componentId: ComponentId.frankingAgent } as const;

  it("removing a component the room does not have", () => {
    expect(codes(authorize(club(), commit(alice1, { ...frank, data: undefined })))).toEqual(["component-absent"]);
    const noPreauth = { type: "componentUpdate", component: "preauthList", value: undefined } as const;
    expect(codes(authorize(club(), commit(alice1, noPreauth)))).toEqual(["component-absent"]);
  });

  it("updating and removing one component in one commit", () => {
    const both = commit(alice1, { ...frank, data: new Uint8Array([1]) }, { ...frank, data: undefined });
    expect(codes(authorize(club(), both))).toEqual(["component-update-conflict"]);
  });

  it("a component no draft defines", () => {
    const unknown = { type: "otherComponentUpdate", componentId: 0x7777, data: new Uint8Array([1]) } as const;
    expect(codes(authorize(club(), commit(alice1, unknown)))).toEqual(["unknown-component"]);
  });

  it("other components are updated in the next state", () => {
    const next = expectAllowed(authorize(club(), commit(alice1, { ...frank, data: new Uint8Array([1]) })));
    expect(next.room.otherComponents).toEqual([{ componentId: ComponentId.frankingAgent, data: new Uint8Array([1]) }]);
    const removed = expectAllowed(authorize(next, commit(alice1, { ...frank, data: undefined })));
    expect(removed.room.otherComponents).toEqual([]);
  });
});

describe("malformed changes", () => {
  it("removing a client that is not a member, adding one that is", () => {
    expect(codes(authorize(club(), commit(alice1, removeClient(client(dave, 1)))))).toEqual(["malformed-change"]);
    expect(codes(authorize(club(), commit(alice1, addClient(client(bob, 1)))))).toEqual(["malformed-change"]);
  });

  it("an external join by a member, a new member's commit without one, a sender that is not a member", () => {
    expect(codes(authorize(club(), commit(bob1, { type: "externalJoin" })))).toEqual(["malformed-change"]);
    expect(codes(authorize(club(), commit(newMember(client(bob, 3)))))).toEqual(["malformed-change"]);
    expect(codes(authorize(club(), commit(member(client(bob, 7)))))).toEqual(["malformed-change"]);
  });

  it("SelfRemove and Update come from members only", () => {
    const hub = externalSender("mimi://hub.example");
    expect(codes(authorize(club(), proposals(hub, { type: "selfRemove" })))).toEqual(["malformed-change"]);
    expect(codes(authorize(club(), proposals(hub, { type: "updateClient" })))).toEqual(["malformed-change"]);
    expectAllowed(authorize(club(), proposals(bob1, { type: "updateClient" })));
  });
});

describe("refusals", () => {
  it("name the section and the capability, and point at the operation", () => {
    const result = authorize(club(), commit(bob1, listUpdate({ add: [[dave, 2]] })));
    expect(result).toEqual({
      ok: false,
      refusals: [
        {
          code: "capability-missing",
          section: "room-policy-03 s.8.1.1",
          capability: "canAddParticipant",
          user: bob,
          operation: 0,
          reason: expect.stringContaining("canAddParticipant (room-policy-03 s.8.1.1)"),
        },
      ],
    });
  });
});

describe("properties", () => {
  const users = [alice, bob, cathy, dave, "mimi://hub.example"];
  const clients = [alice, bob, cathy, dave].flatMap((user) => [client(user, 1), client(user, 2)]);
  const capabilityNames = Object.keys(RoleCapability) as CapabilityName[];
  const roleIndex = fc.nat({ max: 4 });
  const optionalCount = fc.option(fc.nat({ max: 3 }), { nil: undefined });

  const roleArb = (index: number) =>
    fc
      .record({
        name: index === 1 ? fc.constantFrom("banned", "muted") : fc.constant(`role${index}`),
        capabilities: fc.subarray(capabilityNames),
        changes: fc.array(fc.tuple(roleIndex, fc.subarray([0, 1, 2, 3, 4])), { maxLength: 4 }),
        minParticipants: fc.nat({ max: 2 }),
        maxParticipants: optionalCount,
        minActive: fc.nat({ max: 2 }),
        maxActive: optionalCount,
      })
      .map(({ maxParticipants, maxActive, ...rest }) =>
        role(index, {
          ...rest,
          ...(maxParticipants === undefined ? {} : { maxParticipants }),
          ...(maxActive === undefined ? {} : { maxActive }),
        }),
      );
  const rolesArb = fc
    .tuple(...[0, 1, 2, 3, 4].map((index) => fc.option(roleArb(index), { nil: undefined })))
    .map((roles) => roles.filter((entry) => entry !== undefined));
  const claimArb = fc.oneof(
    fc.constantFrom("a.example", "d.example", "hub.example").map((domain) => basicCredentialClaim("domain", domain)),
    fc.constantFrom(...users).map((user) => basicCredentialClaim("user", user)),
  );
  const preauthArb = fc.array(
    fc.record({ claimset: fc.array(claimArb, { maxLength: 2 }), targetRole: roleIndex.map((index) => role(index)) }),
    { maxLength: 3 },
  );
  const snapshotArb = fc
    .record({
      roles: rolesArb,
      participants: fc.uniqueArray(fc.tuple(fc.constantFrom(...users), fc.integer({ min: 1, max: 4 })), {
        selector: ([user]) => user,
      }),
      clients: fc.subarray(clients),
      basePolicy: fc.record({
        fixedMembership: fc.boolean(),
        multiDevice: fc.boolean(),
        maxClients: optionalCount,
        maxUsers: optionalCount,
      }),
      preauth: preauthArb,
    })
    .map((options) => room(options));

  const actorArb = fc.oneof(
    fc.constantFrom(...clients).map(member),
    fc.constantFrom(...clients).map(newMember),
    fc.constantFrom("mimi://hub.example", "mimi://evil.example").map(externalSender),
  );
  const withProposer = (operation: RoomOperation) =>
    fc
      .option(actorArb, { nil: undefined })
      .map((proposer) =>
        proposer === undefined || operation.type === "externalJoin" ? operation : { ...operation, proposer },
      );
  const metadataArb = fc.record({
    roomUri: fc.constantFrom(clubMetadata.roomUri, "mimi://b.example/r/other"),
    roomName: fc.constantFrom("Club", "Other"),
    roomDescriptions: fc.constant<RichDescription[]>([]),
    roomAvatar: fc.constantFrom(clubMetadata.roomAvatar, ""),
    roomSubject: fc.constantFrom("", "s"),
    roomMood: fc.constantFrom("", "m"),
  });
  const operationArb: fc.Arbitrary<RoomOperation> = fc
    .oneof(
      fc.constantFrom(...clients).map(addClient),
      fc.constantFrom(...clients).map((uri) => removeClient(uri)),
      fc.constant<RoomOperation>({ type: "updateClient" }),
      fc.constant<RoomOperation>({ type: "selfRemove" }),
      fc.constant<RoomOperation>({ type: "externalJoin" }),
      fc
        .record({
          roles: fc.array(fc.tuple(fc.nat({ max: 5 }), roleIndex), { maxLength: 2 }),
          remove: fc.array(fc.nat({ max: 5 }), { maxLength: 2 }),
          add: fc.array(fc.tuple(fc.constantFrom(...users), roleIndex), { maxLength: 2 }),
        })
        .map((changes) => listUpdate(changes)),
      metadataArb.map((metadata): RoomOperation => ({ type: "metadataUpdate", metadata })),
      fc.option(rolesArb, { nil: undefined }).map(
        (roles): RoomOperation => ({
          type: "componentUpdate",
          component: "rolesList",
          value: roles === undefined ? undefined : { roles },
        }),
      ),
      fc.option(preauthArb, { nil: undefined }).map(
        (entries): RoomOperation => ({
          type: "componentUpdate",
          component: "preauthList",
          value: entries === undefined ? undefined : { preauthorizedEntries: entries },
        }),
      ),
      fc.boolean().map(
        (fixedMembership): RoomOperation => ({
          type: "componentUpdate",
          component: "baseRoomPolicy",
          value: { ...defaultBasePolicy, fixedMembership },
        }),
      ),
      fc
        .record({
          componentId: fc.constantFrom(ComponentId.frankingAgent, ComponentId.participantList, 0x7777),
          data: fc.option(fc.uint8Array({ maxLength: 2 }), { nil: undefined }),
        })
        .map((update): RoomOperation => ({ type: "otherComponentUpdate", ...update })),
      fc.constant<RoomOperation>({ type: "groupContextExtensions" }),
      fc.constant<RoomOperation>({ type: "reinit" }),
    )
    .chain(withProposer);
  const changeArb: fc.Arbitrary<RoomChange> = fc.oneof(
    fc
      .record({ sender: actorArb, operations: fc.array(operationArb, { maxLength: 5 }) })
      .map(({ sender, operations }): RoomChange => ({ kind: "commit", sender, operations })),
    fc
      .record({ sender: actorArb, operations: fc.array(operationArb, { maxLength: 5 }) })
      .map(({ sender, operations }): RoomChange => ({ kind: "proposals", sender, operations })),
    actorArb.map((sender): RoomChange => ({ kind: "applicationMessage", sender })),
  );

  it("authorize never throws, and a refusal always says which rule and why", () => {
    fc.assert(
      fc.property(snapshotArb, changeArb, (snapshot, change) => {
        const result = authorize(snapshot, change);
        if (result.ok) return;
        expect(result.refusals.length).toBeGreaterThan(0);
        for (const refusal of result.refusals) {
          expect(refusal.section).toMatch(/^(RFC 9420|protocol-06|room-policy-03|mls-extensions) s\.\d/);
          expect(refusal.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  /** protocol-06 s.5.3 as an invariant: every client belongs to a participant with a non-zero, non-banned role. */
  function consistent({ room: state, members }: RoomSnapshot): boolean {
    const roles = new Map((state.participantList?.participants ?? []).map((entry) => [entry.user, entry.roleIndex]));
    const bannedNamed = state.rolesList?.roles.some(
      (entry) => entry.roleIndex === 1 && new TextDecoder().decode(entry.roleName) === "banned",
    );
    return members.every(({ userUri }) => {
      const index = roles.get(userUri) ?? 0;
      return index !== 0 && !(index === 1 && bannedNamed);
    });
  }

  // Rooms where most changes are authorized, and changes drawn from the room, so the invariant meets real changes.
  const generousSnapshotArb = fc
    .record({
      bannedName: fc.constantFrom("banned", "muted"),
      openJoin: fc.boolean(),
      participants: fc.uniqueArray(fc.tuple(fc.constantFrom(...users), fc.integer({ min: 1, max: 4 })), {
        selector: ([user]) => user,
      }),
      clients: fc.subarray(clients),
      multiDevice: fc.boolean(),
    })
    .map(({ bannedName, openJoin, multiDevice, ...rest }) => {
      const everything = capabilityNames.filter((name) => name !== "canOpenJoin");
      const all = [0, 1, 2, 3, 4].map((index) => [index, [0, 1, 2, 3, 4].filter((to) => to !== index)] as const);
      const roles = [
        role(0, openJoin ? { capabilities: ["canOpenJoin"], changes: [[0, [2]]] } : {}),
        role(1, { name: bannedName }),
        ...[2, 3, 4].map((index) => role(index, { capabilities: everything, changes: all })),
      ];
      const drawn = room({ ...rest, roles, basePolicy: { multiDevice } });
      return { ...drawn, members: drawn.members.filter((entry) => consistent({ ...drawn, members: [entry] })) };
    });
  const changeFor = (snapshot: RoomSnapshot): fc.Arbitrary<RoomChange> => {
    const memberUris = snapshot.members.map((entry) => entry.clientUri);
    const others = clients.filter((uri) => !memberUris.includes(uri));
    const length = snapshot.room.participantList?.participants.length ?? 0;
    const index = fc.nat({ max: Math.max(length - 1, 0) });
    const operations: fc.Arbitrary<RoomOperation>[] = [
      fc
        .record({
          roles: fc.array(fc.tuple(index, fc.integer({ min: 1, max: 4 })), { maxLength: length === 0 ? 0 : 1 }),
          remove: fc.array(index, { maxLength: length === 0 ? 0 : 1 }),
          add: fc.array(fc.tuple(fc.constantFrom(...users), fc.integer({ min: 1, max: 4 })), { maxLength: 1 }),
        })
        .map((changes) => listUpdate(changes)),
      fc.constant<RoomOperation>({ type: "selfRemove" }),
    ];
    if (others.length > 0) operations.push(fc.constantFrom(...others).map(addClient));
    if (memberUris.length > 0) operations.push(fc.constantFrom(...memberUris).map((uri) => removeClient(uri)));
    const senders: fc.Arbitrary<Actor>[] = [fc.constantFrom(...clients).map(newMember)];
    if (memberUris.length > 0) senders.push(fc.constantFrom(...memberUris).map(member));
    return fc
      .record({
        kind: fc.constantFrom("commit", "proposals"),
        sender: fc.oneof(...senders),
        operations: fc.array(fc.oneof(...operations), { minLength: 1, maxLength: 4 }),
      })
      .map(
        ({ kind, sender, operations: drawn }): RoomChange => ({
          kind,
          sender,
          operations: sender.kind === "newMember" ? [{ type: "externalJoin" }, ...drawn] : drawn,
        }),
      );
  };

  it("from a consistent room, every allowed change leaves a consistent room with a valid participant list", () => {
    let allowed = 0;
    fc.assert(
      fc.property(
        generousSnapshotArb.chain((snapshot) => fc.tuple(fc.constant(snapshot), changeFor(snapshot))),
        ([snapshot, change]) => {
          const result = authorize(snapshot, change);
          if (!result.ok) return;
          allowed++;
          expect(consistent(result.next)).toBe(true);
          const participants = result.next.room.participantList?.participants ?? [];
          expect(new Set(participants.map((entry) => entry.user)).size).toBe(participants.length);
          expect(participants.every((entry) => entry.roleIndex !== 0)).toBe(true);
        },
      ),
      { numRuns: 5000 },
    );
    // Not vacuous: a good share of the drawn changes (client adds and removals, joins, list changes) are allowed.
    expect(allowed).toBeGreaterThan(300);
  });
});
