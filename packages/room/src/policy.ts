import {
  type Claim,
  ComponentId,
  type ParticipantListData,
  type PreAuthRoleEntry,
  type RichDescription,
  type Role,
  RoleCapability,
  type RoomMetaData,
} from "@mimi-ts/protocol";
import { applyParticipantListUpdate, type ParticipantChange, roleIndexOf } from "./participants.js";
import {
  type Actor,
  type GroupMember,
  type PolicyComponentName,
  type RoomChange,
  type RoomOperation,
  updatedComponentId,
} from "./roomChange.js";
import { describeComponentId, type RoomState, roomComponentName } from "./roomState.js";

/**
 * The room's authorization engine (room-policy-03, protocol-06 s.5.3 and
 * s.7.5-7.6): the same pure function decides in a client, before it sends or
 * when it processes a commit, and in the Hub, which enforces it.
 */

/** What the rules read: the room's components and the clients of its MLS group. */
export interface RoomSnapshot {
  readonly room: RoomState;
  readonly members: readonly GroupMember[];
}

export type CapabilityName = keyof typeof RoleCapability;

export type RefusalCode =
  | "malformed-change"
  | "sender-removed-or-banned"
  | "capability-missing"
  | "role-change-not-authorized"
  | "join-not-authorized"
  | "not-preauthorized"
  | "role-undefined"
  | "roles-invalid"
  | "index-out-of-range"
  | "user-touched-twice"
  | "user-already-present"
  | "role-index-zero"
  | "role-unchanged"
  | "metadata-update-repeated"
  | "room-uri-changed"
  | "roles-with-participant-change"
  | "preauth-with-participant-change"
  | "component-update-conflict"
  | "component-absent"
  | "unknown-component"
  | "min-participants"
  | "max-participants"
  | "min-active-participants"
  | "max-active-participants"
  | "fixed-membership"
  | "single-device"
  | "max-clients"
  | "max-users"
  | "client-without-participant"
  | "removed-user-keeps-clients";

/** One broken rule: a code for programs, the section it enforces, and a sentence for people. */
export interface Refusal {
  readonly code: RefusalCode;
  /** e.g. `room-policy-03 s.8.1.3` */
  readonly section: string;
  readonly reason: string;
  /** the capability that was missing, for capability-missing */
  readonly capability?: CapabilityName;
  /** the user the rule is about, when there is one */
  readonly user?: string;
  /** the index in RoomChange.operations of the operation refused, when one is */
  readonly operation?: number;
}

export type AuthorizationResult =
  | { readonly ok: true; readonly next: RoomSnapshot }
  | { readonly ok: false; readonly refusals: readonly Refusal[] };

const Section = {
  mls: "RFC 9420 s.12",
  removedSender: "protocol-06 s.5.3",
  participantList: "protocol-06 s.7.5",
  metadata: "protocol-06 s.7.6",
  appDataUpdate: "mls-extensions s.4.7",
  roles: "room-policy-03 s.3",
  preauth: "room-policy-03 s.4",
  basePolicy: "room-policy-03 s.5",
  adding: "room-policy-03 s.8.1.1",
  removing: "room-policy-03 s.8.1.2",
  roleChanges: "room-policy-03 s.8.1.3",
  metadataCapabilities: "room-policy-03 s.8.2",
  messages: "room-policy-03 s.8.3",
  disruptive: "room-policy-03 s.8.6",
  reserved: "room-policy-03 s.8.7",
} as const;

const capabilitySection: Partial<Record<CapabilityName, string>> = {
  canAddParticipant: Section.adding,
  canAddOwnClient: Section.adding,
  canOpenJoin: Section.adding,
  canJoinIfPreauthorized: Section.adding,
  canRemoveParticipant: Section.removing,
  canRemoveOwnClient: Section.removing,
  canRemoveSelf: Section.removing,
  canKick: Section.removing,
  canChangeUserRole: Section.roleChanges,
  canChangeOwnRole: Section.roleChanges,
  canBan: Section.roleChanges,
  canUnBan: Section.roleChanges,
  canChangeRoomName: Section.metadataCapabilities,
  canChangeRoomDescription: Section.metadataCapabilities,
  canChangeRoomAvatar: Section.metadataCapabilities,
  canChangeRoomSubject: Section.metadataCapabilities,
  canChangeRoomMood: Section.metadataCapabilities,
  canSendMessage: Section.messages,
  canChangeRoomMembershipStyle: Section.disruptive,
  canChangeRoleDefinitions: Section.disruptive,
  canChangePreauthorizedUserList: Section.disruptive,
  canSendMLSReinitProposal: Section.disruptive,
};

/** room-policy-03 s.8.1.3: the "banned" role is role_index 1 named "banned". */
export const BANNED_ROLE_INDEX = 1;
const BANNED_ROLE_NAME = "banned";
const utf8Decoder = new TextDecoder();

/** The definition of a role in the room's roles_list, if any. */
export function roleDefinition(room: RoomState, roleIndex: number): Role | undefined {
  return room.rolesList?.roles.find((role) => role.roleIndex === roleIndex);
}

/** room-policy-03 s.8.1.3: role 1 is the banned role when it exists with the name "banned". */
export function isBannedRole(room: RoomState, roleIndex: number): boolean {
  if (roleIndex !== BANNED_ROLE_INDEX) return false;
  const role = roleDefinition(room, roleIndex);
  return role !== undefined && utf8Decoder.decode(role.roleName) === BANNED_ROLE_NAME;
}

/** Whether a role's capabilities list `capability` (room-policy-03 s.8). An undefined role has none. */
export function roleHasCapability(room: RoomState, roleIndex: number, capability: CapabilityName): boolean {
  return roleDefinition(room, roleIndex)?.roleCapabilities.includes(RoleCapability[capability]) ?? false;
}

/** room-policy-03 s.3: whether role `holder`'s authorized_role_changes lets it move a participant from `from` to `to`. */
export function roleMayChange(room: RoomState, holder: number, from: number, to: number): boolean {
  return (
    roleDefinition(room, holder)?.authorizedRoleChanges.some(
      (entry) => entry.fromRoleIndex === from && entry.targetRoleIndexes.includes(to),
    ) ?? false
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * room-policy-03 s.4: an entry matches when every claim of its claimset has a
 * claim of the requester with the same credential type, id and value (an
 * empty claimset matches everyone).
 */
export function claimsetMatches(claimset: readonly Claim[], claims: readonly Claim[]): boolean {
  return claimset.every((wanted) =>
    claims.some(
      (held) =>
        held.claimId.credentialType === wanted.claimId.credentialType &&
        sameBytes(held.claimId.id, wanted.claimId.id) &&
        sameBytes(held.claimValue, wanted.claimValue),
    ),
  );
}

/**
 * room-policy-03 s.4: the first preauthorization entry matching the claims.
 * With `nonZero` (s.8.1.3, canChangeOwnRole: "the first non-zero role it
 * matches"), entries whose target role is 0 are skipped; otherwise the first
 * match decides, and a target role 0 preauthorizes nothing.
 */
export function firstPreauthorization(
  room: RoomState,
  claims: readonly Claim[],
  options: { readonly nonZero?: boolean } = {},
): PreAuthRoleEntry | undefined {
  return room.preauthList?.preauthorizedEntries.find(
    (entry) =>
      (options.nonZero !== true || entry.targetRole.roleIndex !== 0) && claimsetMatches(entry.claimset, claims),
  );
}

/**
 * The role an actor acts with (room-policy-03 s.8): its participant list
 * role; for an external sender or a joiner not in the list, the role of its
 * first matching preauthorization (s.4); otherwise 0.
 */
export function actorRoleIndex(room: RoomState, actor: Actor): number {
  const listed = roleIndexOf(room.participantList, actor.userUri);
  if (listed !== 0 || actor.kind === "member") return listed;
  return firstPreauthorization(room, actor.claims)?.targetRole.roleIndex ?? 0;
}

/** A user whose clients may be in the MLS group: in the list with a non-zero, non-banned role (protocol-06 s.5.3). */
function eligible(room: RoomState, user: string): boolean {
  const roleIndex = roleIndexOf(room.participantList, user);
  return roleIndex !== 0 && !isBannedRole(room, roleIndex);
}

/**
 * protocol-06 s.5.3: the clients of a removed or banned user may send only
 * Remove and SelfRemove proposals for their user. A member whose user is not
 * in the list is removed; any actor whose user has the banned role is banned.
 */
function removedOrBanned(room: RoomState, actor: Actor): boolean {
  const roleIndex = roleIndexOf(room.participantList, actor.userUri);
  return isBannedRole(room, roleIndex) || (actor.kind === "member" && roleIndex === 0);
}

function capabilityRefusal(capability: CapabilityName, actor: Actor, roleIndex: number, what: string): Refusal {
  const section = capabilitySection[capability] ?? Section.reserved;
  return {
    code: "capability-missing",
    section,
    capability,
    user: actor.userUri,
    reason: `${actor.userUri} (role ${roleIndex}) may not ${what}: its role lacks ${capability} (${section})`,
  };
}

/** How the metadata fields map to capabilities (room-policy-03 s.8.2). */
const metadataFieldCapability = {
  roomName: "canChangeRoomName",
  roomDescriptions: "canChangeRoomDescription",
  roomAvatar: "canChangeRoomAvatar",
  roomSubject: "canChangeRoomSubject",
  roomMood: "canChangeRoomMood",
} as const satisfies Partial<Record<keyof RoomMetaData, CapabilityName>>;

function sameDescriptions(a: readonly RichDescription[], b: readonly RichDescription[]): boolean {
  return (
    a.length === b.length &&
    a.every((description, i) => {
      const other = b[i] as RichDescription;
      return (
        sameBytes(description.mediaType, other.mediaType) &&
        sameBytes(description.languageTag, other.languageTag) &&
        sameBytes(description.descriptionContent, other.descriptionContent)
      );
    })
  );
}

const emptyMetadata: RoomMetaData = {
  roomUri: "",
  roomName: "",
  roomDescriptions: [],
  roomAvatar: "",
  roomSubject: "",
  roomMood: "",
};

/**
 * Who may change each policy component: roles and preauthorization
 * (room-policy-03 s.8.6), the base policy ("membership style", s.8.6), the
 * operational policy (canChangeMlsOperationalPolicies, a reserved name of
 * s.8.7 used here), the other policy components (canChangeOtherPolicyAttribute,
 * reserved too).
 */
const componentCapability: Record<PolicyComponentName, CapabilityName> = {
  rolesList: "canChangeRoleDefinitions",
  preauthList: "canChangePreauthorizedUserList",
  baseRoomPolicy: "canChangeRoomMembershipStyle",
  mlsOperationalPolicy: "canChangeMlsOperationalPolicies",
  statusNotificationPolicy: "canChangeOtherPolicyAttribute",
  joinLinkPolicy: "canChangeOtherPolicyAttribute",
  joinLinks: "canChangeOtherPolicyAttribute",
  linkPreviewPolicy: "canChangeOtherPolicyAttribute",
  assetPolicy: "canChangeOtherPolicyAttribute",
  loggingPolicy: "canChangeOtherPolicyAttribute",
  chatHistoryPolicy: "canChangeOtherPolicyAttribute",
  botPolicy: "canChangeOtherPolicyAttribute",
  messageExpirationPolicy: "canChangeOtherPolicyAttribute",
};

const knownComponentIds = new Set<number>(Object.values(ComponentId));

/** A participant list change and who proposed it. */
interface AttributedParticipantChange {
  readonly change: ParticipantChange;
  readonly proposer: Actor;
  readonly operation: number;
}

/** A client added or removed, and by whom. */
interface ClientChange {
  readonly clientUri: string;
  readonly userUri: string;
  readonly proposer: Actor;
  readonly operation: number;
}

type HandshakeChange = Extract<RoomChange, { kind: "commit" | "proposals" }>;

/** What the operations of a change do, as pass 1 of authorize reads them. */
interface AppliedChange {
  readonly next: RoomSnapshot;
  readonly participantChanges: readonly AttributedParticipantChange[];
  readonly added: readonly ClientChange[];
  readonly removed: readonly ClientChange[];
  /** the policy components the change replaces (undefined: removes) */
  readonly componentValues: ReadonlyMap<PolicyComponentName, unknown>;
  /** for each component_id updated, how many updates and removals */
  readonly componentOperations: ReadonlyMap<number, { updates: number; removes: number }>;
  readonly metadataUpdates: number;
}

function malformed(reason: string, operation?: number): Refusal {
  return { code: "malformed-change", section: Section.mls, reason, ...(operation === undefined ? {} : { operation }) };
}

/** A member actor must be a leaf of the group, with that user. */
function memberRefusal(snapshot: RoomSnapshot, actor: Actor, operation?: number): Refusal | undefined {
  if (actor.kind !== "member") return undefined;
  if (snapshot.members.some((entry) => entry.clientUri === actor.clientUri && entry.userUri === actor.userUri)) {
    return undefined;
  }
  return malformed(`${actor.clientUri} of ${actor.userUri} is not a member of the group`, operation);
}

function proposerOf(change: HandshakeChange, operation: RoomOperation): Actor {
  return operation.type === "externalJoin" ? change.sender : (operation.proposer ?? change.sender);
}

/**
 * Authorizes one commit, set of proposals or application message against
 * the room as it is (`snapshot`), and computes the room after it. Refusals
 * are every broken rule found, each naming its section, in operation order;
 * the function does not throw on any input of its types.
 */
export function authorize(snapshot: RoomSnapshot, change: RoomChange): AuthorizationResult {
  if (change.kind === "applicationMessage") {
    const refusals = authorizeMessage(snapshot, change.sender);
    return refusals.length > 0 ? { ok: false, refusals } : { ok: true, next: snapshot };
  }
  const refusals = checkSender(snapshot, change);
  const applied = applyOperations(snapshot, change, refusals);
  authorizeProposers(snapshot, change, applied, refusals);
  checkCommitShape(applied, refusals);
  if (applied.componentValues.has("rolesList") || applied.componentValues.has("baseRoomPolicy")) {
    checkRoleDefinitions(applied.next.room, applied.componentValues.has("rolesList"), refusals);
  }
  checkConstraints(snapshot, applied.next, refusals);
  checkConsistency(snapshot, applied.next, applied.added, refusals);
  if (refusals.length === 0) return { ok: true, next: applied.next };
  // In operation order, then the refusals of the change as a whole (sort is stable).
  const order = (refusal: Refusal) => refusal.operation ?? change.operations.length;
  return { ok: false, refusals: refusals.sort((a, b) => order(a) - order(b)) };
}

/** protocol-06 s.5.3 and room-policy-03 s.8.3: a member whose user may send messages. */
function authorizeMessage(snapshot: RoomSnapshot, sender: Actor): Refusal[] {
  const { room } = snapshot;
  if (sender.kind !== "member") return [malformed("only members of the group send application messages")];
  const notMember = memberRefusal(snapshot, sender);
  if (notMember !== undefined) return [notMember];
  if (removedOrBanned(room, sender)) {
    return [
      {
        code: "sender-removed-or-banned",
        section: Section.removedSender,
        user: sender.userUri,
        reason: `${sender.userUri} is removed or banned; its clients may not send application messages (${Section.removedSender})`,
      },
    ];
  }
  const roleIndex = actorRoleIndex(room, sender);
  if (roleHasCapability(room, roleIndex, "canSendMessage")) return [];
  return [capabilityRefusal("canSendMessage", sender, roleIndex, "send messages")];
}

/** Who may send this change at all: RFC 9420's senders, protocol-06 s.5.3's removed and banned users. */
function checkSender(snapshot: RoomSnapshot, change: HandshakeChange): Refusal[] {
  const { sender } = change;
  const refusals: Refusal[] = [];
  const notMember = memberRefusal(snapshot, sender);
  if (notMember !== undefined) refusals.push(notMember);
  if (change.kind === "commit" && sender.kind === "external")
    refusals.push(malformed("an external sender cannot commit"));
  if (change.kind === "commit" && removedOrBanned(snapshot.room, sender)) {
    refusals.push({
      code: "sender-removed-or-banned",
      section: Section.removedSender,
      user: sender.userUri,
      reason: `${sender.userUri} is removed or banned; its clients may not send commits (${Section.removedSender})`,
    });
  }
  const externalJoins = change.operations.filter((operation) => operation.type === "externalJoin").length;
  if (sender.kind === "newMember" ? externalJoins !== 1 : externalJoins !== 0) {
    refusals.push(
      malformed("a new member's commit or proposal adds its own client exactly once, and only a new member's does"),
    );
  }
  return refusals;
}

/**
 * Pass 1: the room and group after the operations, refusing what is not
 * well-formed (mls-extensions s.4.7, protocol-06 s.7.5, RFC 9420 s.12).
 * Removals are taken before Adds, as RFC 9420 s.12.3 applies them (an
 * external commit may replace the joiner's old leaf).
 */
function applyOperations(snapshot: RoomSnapshot, change: HandshakeChange, refusals: Refusal[]): AppliedChange {
  const { room } = snapshot;
  const { sender, operations } = change;
  const memberUser = new Map(snapshot.members.map((entry) => [entry.clientUri, entry.userUri]));
  const added: ClientChange[] = [];
  const removed: ClientChange[] = [];

  const removeClient = (clientUri: string, userUri: string, proposer: Actor, operation: number): void => {
    if (memberUser.get(clientUri) !== userUri) {
      refusals.push(malformed(`${clientUri} of ${userUri} is not a member of the group`, operation));
    } else if (removed.some((entry) => entry.clientUri === clientUri)) {
      refusals.push(malformed(`${clientUri} is removed twice (mls-extensions s.6.3, RFC 9420 s.12.2)`, operation));
    } else if (change.kind === "commit" && sender.kind === "member" && sender.clientUri === clientUri) {
      refusals.push(malformed(`${clientUri} cannot commit its own removal (RFC 9420 s.12.2)`, operation));
    } else {
      removed.push({ clientUri, userUri, proposer, operation });
    }
  };
  operations.forEach((operation, index) => {
    if (operation.type !== "externalJoin" && operation.proposer !== undefined) {
      const notMember = memberRefusal(snapshot, operation.proposer, index);
      if (notMember !== undefined) {
        refusals.push(notMember);
        return;
      }
    }
    const proposer = proposerOf(change, operation);
    if (operation.type === "removeClient") removeClient(operation.clientUri, operation.userUri, proposer, index);
    if (operation.type === "selfRemove") {
      if (proposer.kind === "member") removeClient(proposer.clientUri, proposer.userUri, proposer, index);
      else refusals.push(malformed("only a member sends SelfRemove (mls-extensions s.6.3)", index));
    }
    if (operation.type === "updateClient" && proposer.kind !== "member") {
      refusals.push(malformed("only a member updates its own leaf (RFC 9420 s.12.1.2)", index));
    }
  });

  const addClient = (clientUri: string, userUri: string, proposer: Actor, operation: number): void => {
    const stays = memberUser.has(clientUri) && !removed.some((entry) => entry.clientUri === clientUri);
    if (stays || added.some((entry) => entry.clientUri === clientUri)) {
      refusals.push(malformed(`${clientUri} is already a member of the group`, operation));
    } else {
      added.push({ clientUri, userUri, proposer, operation });
    }
  };
  const componentAbsent = (componentId: number, operation: number): void => {
    const component = describeComponentId(componentId);
    refusals.push({
      code: "component-absent",
      section: Section.appDataUpdate,
      operation,
      reason: `${component} cannot be removed: the room has none (${Section.appDataUpdate})`,
    });
  };
  let list: ParticipantListData = room.participantList ?? { participants: [] };
  let listUpdated = false;
  let metadata = room.roomMetadata;
  let metadataUpdates = 0;
  const participantChanges: AttributedParticipantChange[] = [];
  const touchedUsers = new Set<string>();
  const componentValues = new Map<PolicyComponentName, unknown>();
  const otherComponents = new Map(room.otherComponents.map((entry) => [entry.componentId, entry.data]));
  const componentOperations = new Map<number, { updates: number; removes: number }>();

  operations.forEach((operation, index) => {
    const proposer = proposerOf(change, operation);
    switch (operation.type) {
      case "addClient":
        addClient(operation.clientUri, operation.userUri, proposer, index);
        break;
      case "externalJoin":
        if (sender.kind === "newMember") addClient(sender.clientUri, sender.userUri, sender, index);
        break;
      case "participantListUpdate": {
        const result = applyParticipantListUpdate(list, operation.update);
        if (!result.ok) {
          for (const problem of result.problems) {
            refusals.push({
              code: problem.code,
              section: problem.code === "role-index-zero" ? Section.roles : Section.participantList,
              reason: problem.reason,
              operation: index,
              ...(problem.user === undefined ? {} : { user: problem.user }),
            });
          }
          break;
        }
        // protocol-06 s.7.5: one operation per user in the whole commit, across its updates.
        for (const user of new Set(result.changes.map((entry) => entry.user))) {
          if (touchedUsers.has(user)) {
            refusals.push({
              code: "user-touched-twice",
              section: Section.participantList,
              user,
              operation: index,
              reason: `${user} is changed by two participant list updates of one commit (${Section.participantList})`,
            });
          }
          touchedUsers.add(user);
        }
        list = result.list;
        listUpdated = true;
        for (const entry of result.changes) participantChanges.push({ change: entry, proposer, operation: index });
        break;
      }
      case "metadataUpdate":
        metadataUpdates++;
        metadata = operation.metadata;
        break;
      case "componentUpdate": {
        const present = componentValues.has(operation.component)
          ? componentValues.get(operation.component)
          : room[operation.component];
        if (operation.value === undefined && present === undefined) {
          componentAbsent(ComponentId[operation.component], index);
        }
        componentValues.set(operation.component, operation.value);
        break;
      }
      case "otherComponentUpdate": {
        const { componentId, data } = operation;
        if (roomComponentName(componentId) !== undefined) {
          refusals.push(malformed(`${describeComponentId(componentId)} is described by its own operation`, index));
        } else if (!knownComponentIds.has(componentId)) {
          refusals.push({
            code: "unknown-component",
            section: Section.appDataUpdate,
            operation: index,
            reason: `${describeComponentId(componentId)} is not known to MIMI (${Section.appDataUpdate})`,
          });
        } else if (data === undefined) {
          if (!otherComponents.delete(componentId)) componentAbsent(componentId, index);
        } else {
          otherComponents.set(componentId, data);
        }
        break;
      }
      default:
        break;
    }
    const componentId = updatedComponentId(operation);
    if (componentId !== undefined) {
      const counts = componentOperations.get(componentId) ?? { updates: 0, removes: 0 };
      const removes =
        (operation.type === "componentUpdate" && operation.value === undefined) ||
        (operation.type === "otherComponentUpdate" && operation.data === undefined);
      if (removes) counts.removes++;
      else counts.updates++;
      componentOperations.set(componentId, counts);
    }
  });

  const nextRoom: { -readonly [K in keyof RoomState]: RoomState[K] } = {
    ...room,
    otherComponents: [...otherComponents.entries()]
      .sort(([a], [b]) => a - b)
      .map(([componentId, data]) => ({ componentId, data })),
  };
  if (listUpdated) nextRoom.participantList = list;
  if (metadata !== undefined) nextRoom.roomMetadata = metadata;
  for (const [name, value] of componentValues) {
    if (value === undefined) delete nextRoom[name];
    else Object.assign(nextRoom, { [name]: value });
  }
  const removedUris = new Set(removed.map((entry) => entry.clientUri));
  const members = snapshot.members
    .filter((entry) => !removedUris.has(entry.clientUri))
    .concat(added.map(({ clientUri, userUri }) => ({ clientUri, userUri })));
  return {
    next: { room: nextRoom, members },
    participantChanges,
    added,
    removed,
    componentValues,
    componentOperations,
    metadataUpdates,
  };
}

/** Pass 2: who may do what (room-policy-03 s.8, protocol-06 s.5.3), against the room as it is. */
function authorizeProposers(
  snapshot: RoomSnapshot,
  change: HandshakeChange,
  applied: AppliedChange,
  refusals: Refusal[],
): void {
  const { room } = snapshot;
  const context: Context = {
    room,
    nextRoom: applied.next.room,
    participantChanges: applied.participantChanges,
    refusals,
  };
  let currentMetadata = room.roomMetadata;
  change.operations.forEach((operation, index) => {
    const proposer = proposerOf(change, operation);
    const previousMetadata = currentMetadata;
    if (operation.type === "metadataUpdate") currentMetadata = operation.metadata;
    if (removedOrBanned(room, proposer)) {
      const ownRemoval =
        operation.type === "selfRemove" ||
        (operation.type === "removeClient" && operation.userUri === proposer.userUri);
      // A removed or banned committer is refused once, by checkSender.
      const refusedCommit = change.kind === "commit" && proposer === change.sender;
      if (!ownRemoval && !refusedCommit) {
        refusals.push({
          code: "sender-removed-or-banned",
          section: Section.removedSender,
          user: proposer.userUri,
          operation: index,
          reason: `${proposer.userUri} is removed or banned; its clients may propose only Remove and SelfRemove of its own clients (${Section.removedSender})`,
        });
      }
      return;
    }
    if (operation.type === "metadataUpdate") {
      authorizeMetadata(context, previousMetadata, operation.metadata, proposer, index);
    } else {
      authorizeOperation(context, operation, proposer, index);
    }
  });
  for (const entry of applied.added) authorizeClientAdd(context, entry);
  for (const entry of applied.removed) authorizeClientRemoval(context, entry);
  for (const entry of applied.participantChanges) authorizeParticipantChange(context, entry);
}

/**
 * Pass 3: rules on the change as a whole: one metadata update
 * (protocol-06 s.7.6); role definitions alone (room-policy-03 s.3);
 * preauthorization with no participant list change but removals (s.4); per
 * component one removal, or updates only (mls-extensions s.4.7).
 */
function checkCommitShape(applied: AppliedChange, refusals: Refusal[]): void {
  if (applied.metadataUpdates > 1) {
    refusals.push({
      code: "metadata-update-repeated",
      section: Section.metadata,
      reason: `only a single room metadata update is valid per commit, found ${applied.metadataUpdates} (${Section.metadata})`,
    });
  }
  if (applied.componentValues.has("rolesList") && applied.participantChanges.length > 0) {
    refusals.push({
      code: "roles-with-participant-change",
      section: Section.roles,
      reason: `role definitions may not change in a commit that changes the participant list (${Section.roles})`,
    });
  }
  if (
    applied.componentValues.has("preauthList") &&
    applied.participantChanges.some((entry) => entry.change.kind !== "removed")
  ) {
    refusals.push({
      code: "preauth-with-participant-change",
      section: Section.preauth,
      reason: `preauthorization may not change in a commit that adds participants or changes roles (${Section.preauth})`,
    });
  }
  for (const [componentId, counts] of applied.componentOperations) {
    if (counts.removes > 1 || (counts.removes > 0 && counts.updates > 0)) {
      refusals.push({
        code: "component-update-conflict",
        section: Section.appDataUpdate,
        reason: `${describeComponentId(componentId)} is removed more than once, or both updated and removed (${Section.appDataUpdate})`,
      });
    }
  }
}

interface Context {
  /** the room before the change: roles, preauthorization and list the proposers act under */
  readonly room: RoomState;
  readonly nextRoom: RoomState;
  readonly participantChanges: readonly AttributedParticipantChange[];
  readonly refusals: Refusal[];
}

function requireCapability(
  context: Context,
  proposer: Actor,
  capability: CapabilityName,
  what: string,
  operation: number,
): boolean {
  const roleIndex = actorRoleIndex(context.room, proposer);
  if (roleHasCapability(context.room, roleIndex, capability)) return true;
  context.refusals.push({ ...capabilityRefusal(capability, proposer, roleIndex, what), operation });
  return false;
}

/** The capabilities of operations other than client and participant list changes (checked from their lists). */
function authorizeOperation(context: Context, operation: RoomOperation, proposer: Actor, index: number): void {
  switch (operation.type) {
    case "componentUpdate":
      requireCapability(
        context,
        proposer,
        componentCapability[operation.component],
        `change ${operation.component}`,
        index,
      );
      break;
    case "otherComponentUpdate":
      // No capability of room-policy-03 names these components (app_components, franking_agent, ...): they are
      // MLS-level configuration, governed here by the reserved canChangeMlsOperationalPolicies (s.8.7).
      requireCapability(
        context,
        proposer,
        "canChangeMlsOperationalPolicies",
        `change component ${operation.componentId}`,
        index,
      );
      break;
    case "groupContextExtensions":
      requireCapability(
        context,
        proposer,
        "canChangeMlsOperationalPolicies",
        "change the GroupContext extensions",
        index,
      );
      break;
    case "reinit":
      requireCapability(context, proposer, "canSendMLSReinitProposal", "reinitialize the group", index);
      break;
    default:
      break;
  }
}

/** room-policy-03 s.8.2: each changed field needs its capability; protocol-06 s.7.6 names no way to change room_uri. */
function authorizeMetadata(
  context: Context,
  current: RoomMetaData | undefined,
  next: RoomMetaData,
  proposer: Actor,
  operation: number,
): void {
  const before = current ?? emptyMetadata;
  if (current !== undefined && next.roomUri !== current.roomUri) {
    context.refusals.push({
      code: "room-uri-changed",
      section: Section.metadata,
      operation,
      reason: `the room's URI ${current.roomUri} cannot be changed (${Section.metadata})`,
    });
  }
  for (const [field, capability] of Object.entries(metadataFieldCapability) as [
    keyof typeof metadataFieldCapability,
    CapabilityName,
  ][]) {
    const changed =
      field === "roomDescriptions"
        ? !sameDescriptions(before.roomDescriptions, next.roomDescriptions)
        : before[field] !== next[field];
    if (changed) requireCapability(context, proposer, capability, `change ${field}`, operation);
  }
}

function changeOf(context: Context, user: string, kind: ParticipantChange["kind"]) {
  return context.participantChanges.find((entry) => entry.change.user === user && entry.change.kind === kind);
}

/**
 * Adding a client (room-policy-03 s.8.1.1): the user's own client needs
 * canAddOwnClient; a user added to the list by the same change brings its
 * clients; another participant's clients need what adding that participant
 * with its role would (canAddParticipant and authorized_role_changes from 0).
 * A client whose user cannot have clients is checkConsistency's refusal.
 */
function authorizeClientAdd(context: Context, entry: ClientChange): void {
  const { room, nextRoom } = context;
  const { proposer, userUri, operation } = entry;
  if (removedOrBanned(room, proposer) || !eligible(nextRoom, userUri)) return;
  const ownUser = userUri === proposer.userUri;
  if (ownUser && eligible(room, userUri)) {
    requireCapability(context, proposer, "canAddOwnClient", "add its own clients", operation);
    return;
  }
  if (changeOf(context, userUri, "added") !== undefined) return;
  const roleIndex = actorRoleIndex(room, proposer);
  const targetRole = roleIndexOf(nextRoom.participantList, userUri);
  if (!requireCapability(context, proposer, "canAddParticipant", `add clients of ${userUri}`, operation)) return;
  if (!roleMayChange(room, roleIndex, 0, targetRole)) {
    context.refusals.push({
      code: "role-change-not-authorized",
      section: Section.adding,
      user: userUri,
      operation,
      reason: `role ${roleIndex} may not add participants with role ${targetRole}, so not their clients either (authorized_role_changes, ${Section.adding})`,
    });
  }
}

/**
 * Removing a client (room-policy-03 s.8.1.2): clients of a user who may have
 * none are removed by anyone (protocol-06 s.5.3); the proposer's own clients
 * need canRemoveOwnClient unless it leaves the list; a user removed from the
 * list, or banned by a holder of canBan, loses its clients with it; other
 * participants' clients need canKick.
 */
function authorizeClientRemoval(context: Context, entry: ClientChange): void {
  const { room } = context;
  const { proposer, userUri, operation } = entry;
  if (removedOrBanned(room, proposer) || !eligible(room, userUri)) return;
  if (changeOf(context, userUri, "removed") !== undefined) return;
  if (userUri === proposer.userUri) {
    requireCapability(context, proposer, "canRemoveOwnClient", "remove its own clients", operation);
    return;
  }
  const roleChange = changeOf(context, userUri, "roleChanged");
  if (
    roleChange !== undefined &&
    roleChange.change.kind === "roleChanged" &&
    isBannedRole(room, roleChange.change.toRoleIndex) &&
    roleHasCapability(room, actorRoleIndex(room, roleChange.proposer), "canBan")
  ) {
    return;
  }
  requireCapability(context, proposer, "canKick", `remove clients of ${userUri}`, operation);
}

function roleUndefined(context: Context, user: string, roleIndex: number, operation: number): boolean {
  if (roleDefinition(context.room, roleIndex) !== undefined) return false;
  context.refusals.push({
    code: "role-undefined",
    section: Section.roles,
    user,
    operation,
    reason: `role ${roleIndex} given to ${user} is not defined in the roles list (${Section.roles})`,
  });
  return true;
}

function transitionRefusal(
  context: Context,
  proposer: Actor,
  user: string,
  from: number,
  to: number,
  section: string,
  operation: number,
): void {
  const holder = actorRoleIndex(context.room, proposer);
  if (roleMayChange(context.room, holder, from, to)) return;
  context.refusals.push({
    code: "role-change-not-authorized",
    section,
    user,
    operation,
    reason: `role ${holder} may not move ${user} from role ${from} to role ${to} (authorized_role_changes, ${section})`,
  });
}

/** The participant list changes: room-policy-03 s.8.1.1-8.1.3, s.4 and s.5 (fixed membership). */
function authorizeParticipantChange(context: Context, entry: AttributedParticipantChange): void {
  const { room, refusals } = context;
  const { change, proposer, operation } = entry;
  if (removedOrBanned(room, proposer)) return;
  const self = change.user === proposer.userUri;
  const fixed = room.baseRoomPolicy?.fixedMembership === true;

  if (change.kind === "added") {
    if (fixed) {
      refusals.push({
        code: "fixed-membership",
        section: Section.basePolicy,
        user: change.user,
        operation,
        reason: `${change.user} cannot be added: the room has fixed membership (${Section.basePolicy})`,
      });
    }
    if (roleUndefined(context, change.user, change.roleIndex, operation)) return;
    if (self) {
      authorizeJoin(context, proposer, change.roleIndex, operation);
      return;
    }
    if (requireCapability(context, proposer, "canAddParticipant", `add ${change.user}`, operation)) {
      transitionRefusal(context, proposer, change.user, 0, change.roleIndex, Section.adding, operation);
    }
    return;
  }

  if (change.kind === "removed") {
    if (fixed) {
      refusals.push({
        code: "fixed-membership",
        section: Section.basePolicy,
        user: change.user,
        operation,
        reason: `${change.user} cannot leave or be removed: the room has fixed membership (${Section.basePolicy})`,
      });
    }
    const capability = self ? "canRemoveSelf" : "canRemoveParticipant";
    if (
      requireCapability(context, proposer, capability, self ? "leave the room" : `remove ${change.user}`, operation)
    ) {
      transitionRefusal(context, proposer, change.user, change.fromRoleIndex, 0, Section.removing, operation);
    }
    return;
  }

  const { fromRoleIndex: from, toRoleIndex: to } = change;
  if (roleUndefined(context, change.user, to, operation)) return;
  if (self) {
    // s.8.1.3 canChangeOwnRole: to the first non-zero role the preauthorization gives; authorized_role_changes is not consulted.
    if (!requireCapability(context, proposer, "canChangeOwnRole", "change its own role", operation)) return;
    const preauthorized = firstPreauthorization(room, proposer.claims, { nonZero: true })?.targetRole.roleIndex;
    if (preauthorized !== to) {
      refusals.push({
        code: "not-preauthorized",
        section: Section.preauth,
        user: change.user,
        operation,
        reason: `${change.user} is not preauthorized for role ${to}${preauthorized === undefined ? "" : ` (its first preauthorized role is ${preauthorized})`} (${Section.preauth}, ${Section.roleChanges})`,
      });
    }
    return;
  }
  const holder = actorRoleIndex(room, proposer);
  const bans = isBannedRole(room, to);
  const unbans = isBannedRole(room, from);
  const may = (capability: CapabilityName) => roleHasCapability(room, holder, capability);
  const allowed =
    (bans && may("canBan") && roleMayChange(room, holder, from, to)) ||
    (unbans && may("canUnBan") && roleMayChange(room, holder, from, to)) ||
    (may("canChangeUserRole") && roleMayChange(room, holder, from, to));
  if (allowed) return;
  const held = may("canChangeUserRole") || (bans && may("canBan")) || (unbans && may("canUnBan"));
  if (held) {
    transitionRefusal(context, proposer, change.user, from, to, Section.roleChanges, operation);
    return;
  }
  const capability: CapabilityName = bans ? "canBan" : unbans ? "canUnBan" : "canChangeUserRole";
  const what = bans ? `ban ${change.user}` : unbans ? `unban ${change.user}` : `change the role of ${change.user}`;
  refusals.push({ ...capabilityRefusal(capability, proposer, holder, what), operation });
}

/**
 * A user not in the list adding itself (room-policy-03 s.8.1.1): by open
 * join (role 0 holds canOpenJoin and may move a participant from 0 to the
 * target role), or by preauthorization (s.4: its first matching entry names
 * the target role, which holds canJoinIfPreauthorized).
 */
function authorizeJoin(context: Context, joiner: Actor, roleIndex: number, operation: number): void {
  const { room } = context;
  const openJoin = roleHasCapability(room, 0, "canOpenJoin") && roleMayChange(room, 0, 0, roleIndex);
  const preauthorized = firstPreauthorization(room, joiner.claims)?.targetRole.roleIndex;
  const byPreauthorization =
    preauthorized === roleIndex && roleHasCapability(room, roleIndex, "canJoinIfPreauthorized");
  if (openJoin || byPreauthorization) return;
  const why = [
    roleHasCapability(room, 0, "canOpenJoin")
      ? `role 0's authorized_role_changes do not allow joining as role ${roleIndex}`
      : "role 0 lacks canOpenJoin",
    preauthorized === undefined || preauthorized === 0
      ? "no preauthorization entry gives its claims a role"
      : preauthorized !== roleIndex
        ? `its first matching preauthorization is for role ${preauthorized}`
        : `role ${roleIndex} lacks canJoinIfPreauthorized`,
  ];
  context.refusals.push({
    code: "join-not-authorized",
    section: Section.adding,
    user: joiner.userUri,
    operation,
    reason: `${joiner.userUri} may not join as role ${roleIndex}: ${why.join("; ")} (${Section.adding}, ${Section.preauth})`,
  });
}

/**
 * Role definitions after a change of the roles list or base policy: each
 * role_index once (s.3), every participant's role defined (s.3), canOpenJoin
 * only on role 0 (s.8.1.1), and in a fixed-membership room no non-zero,
 * non-banned role with canAddParticipant (s.5).
 */
function checkRoleDefinitions(room: RoomState, rolesChanged: boolean, refusals: Refusal[]): void {
  const roles = room.rolesList?.roles ?? [];
  const indexes = new Set<number>();
  for (const role of roles) {
    if (indexes.has(role.roleIndex)) {
      refusals.push({
        code: "roles-invalid",
        section: Section.roles,
        reason: `role_index ${role.roleIndex} is defined twice (${Section.roles})`,
      });
    }
    indexes.add(role.roleIndex);
    if (role.roleIndex !== 0 && role.roleCapabilities.includes(RoleCapability.canOpenJoin)) {
      refusals.push({
        code: "roles-invalid",
        section: Section.adding,
        reason: `canOpenJoin must not appear in role ${role.roleIndex}, only in role 0 (${Section.adding})`,
      });
    }
    if (
      room.baseRoomPolicy?.fixedMembership === true &&
      role.roleIndex !== 0 &&
      !isBannedRole(room, role.roleIndex) &&
      role.roleCapabilities.includes(RoleCapability.canAddParticipant)
    ) {
      refusals.push({
        code: "fixed-membership",
        section: Section.basePolicy,
        reason: `in a fixed-membership room no non-zero, non-banned role may hold canAddParticipant; role ${role.roleIndex} does (${Section.basePolicy})`,
      });
    }
  }
  if (!rolesChanged) return;
  for (const { user, roleIndex } of room.participantList?.participants ?? []) {
    if (!indexes.has(roleIndex)) {
      refusals.push({
        code: "role-undefined",
        section: Section.roles,
        user,
        reason: `${user} has role ${roleIndex}, which the roles list no longer defines (${Section.roles})`,
      });
    }
  }
}

interface Counts {
  readonly participants: Map<number, number>;
  readonly active: Map<number, number>;
  readonly clientsByUser: Map<string, number>;
  readonly nonBanned: number;
  readonly clients: number;
}

function countsOf({ room, members }: RoomSnapshot): Counts {
  const clientsByUser = new Map<string, number>();
  for (const { userUri } of members) clientsByUser.set(userUri, (clientsByUser.get(userUri) ?? 0) + 1);
  const participants = new Map<number, number>();
  const active = new Map<number, number>();
  let nonBanned = 0;
  for (const { user, roleIndex } of room.participantList?.participants ?? []) {
    participants.set(roleIndex, (participants.get(roleIndex) ?? 0) + 1);
    if (clientsByUser.has(user)) active.set(roleIndex, (active.get(roleIndex) ?? 0) + 1);
    if (!isBannedRole(room, roleIndex)) nonBanned++;
  }
  return { participants, active, clientsByUser, nonBanned, clients: members.length };
}

/**
 * The constraints of the room after the change (room-policy-03 s.3, s.5):
 * per role, minimum and maximum participants and active participants (those
 * with a client in the group); max_users (non-banned entries), max_clients
 * and multi_device of the base policy. A change is charged with a limit only
 * when it moves a count past it (a maximum exceeded and the count grew, a
 * minimum missed and the count shrank): a room created below a role's
 * minimum, as Appendix A's presets are, still accepts changes that do not
 * make it worse.
 */
function checkConstraints(before: RoomSnapshot, after: RoomSnapshot, refusals: Refusal[]): void {
  const old = countsOf(before);
  const now = countsOf(after);
  const refuse = (code: RefusalCode, section: string, reason: string): void => {
    refusals.push({ code, section, reason });
  };
  for (const role of after.room.rolesList?.roles ?? []) {
    const index = role.roleIndex;
    const limits = [
      {
        kind: "participants",
        before: old.participants.get(index) ?? 0,
        after: now.participants.get(index) ?? 0,
        minimum: role.minimumParticipantsConstraint,
        maximum: role.maximumParticipantsConstraint,
        codes: ["min-participants", "max-participants"],
      },
      {
        kind: "active participants",
        before: old.active.get(index) ?? 0,
        after: now.active.get(index) ?? 0,
        minimum: role.minimumActiveParticipantsConstraint,
        maximum: role.maximumActiveParticipantsConstraint,
        codes: ["min-active-participants", "max-active-participants"],
      },
    ] as const;
    for (const { kind, before: countBefore, after: count, minimum, maximum, codes } of limits) {
      if (count < minimum && count < countBefore) {
        refuse(
          codes[0],
          Section.roles,
          `role ${index} would have ${count} ${kind}, below its minimum of ${minimum} (${Section.roles})`,
        );
      }
      if (maximum !== undefined && count > maximum && count > countBefore) {
        refuse(
          codes[1],
          Section.roles,
          `role ${index} would have ${count} ${kind}, above its maximum of ${maximum} (${Section.roles})`,
        );
      }
    }
  }
  const policy = after.room.baseRoomPolicy;
  if (policy === undefined) return;
  if (policy.maxUsers !== undefined && now.nonBanned > policy.maxUsers && now.nonBanned > old.nonBanned) {
    refuse(
      "max-users",
      Section.basePolicy,
      `the room would have ${now.nonBanned} non-banned participants, above max_users ${policy.maxUsers} (${Section.basePolicy})`,
    );
  }
  if (policy.maxClients !== undefined && now.clients > policy.maxClients && now.clients > old.clients) {
    refuse(
      "max-clients",
      Section.basePolicy,
      `the group would have ${now.clients} clients, above max_clients ${policy.maxClients} (${Section.basePolicy})`,
    );
  }
  if (!policy.multiDevice) {
    for (const [user, count] of now.clientsByUser) {
      if (count > 1 && count > (old.clientsByUser.get(user) ?? 0)) {
        refusals.push({
          code: "single-device",
          section: Section.basePolicy,
          user,
          reason: `${user} would have ${count} clients in a room without multi_device (${Section.basePolicy})`,
        });
      }
    }
  }
}

/**
 * The participant list and the MLS group agree (protocol-06 s.5.3,
 * room-policy-03 s.8.1.2): every client added belongs to a user in the list
 * with a non-zero, non-banned role after the change; a user who loses that
 * (removed, banned) keeps no client. Inconsistencies the change did not
 * create are not charged to it.
 */
function checkConsistency(
  before: RoomSnapshot,
  after: RoomSnapshot,
  added: readonly ClientChange[],
  refusals: Refusal[],
): void {
  const users = new Set(after.members.map((member) => member.userUri));
  for (const user of users) {
    if (eligible(after.room, user)) continue;
    if (eligible(before.room, user)) {
      refusals.push({
        code: "removed-user-keeps-clients",
        section: Section.removing,
        user,
        reason: `${user} is removed or banned but keeps clients in the group; they must be removed in the same commit (${Section.removing}, ${Section.removedSender})`,
      });
      continue;
    }
    const addedClient = added.find((entry) => entry.userUri === user);
    if (addedClient !== undefined) {
      refusals.push({
        code: "client-without-participant",
        section: Section.removedSender,
        user,
        operation: addedClient.operation,
        reason: `${addedClient.clientUri} is added but ${user} is not a participant with a non-zero, non-banned role; the participant list change comes first or in the same commit (${Section.removedSender})`,
      });
    }
  }
}
