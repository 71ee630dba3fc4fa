/**
 * The Hub's enforcement for one room (protocol-06 s.5.3-5.6, s.7.1): what the
 * Hub decides about every HandshakeBundle and SubmitMessageRequest of the
 * room, what it fans out, and what it hands external joiners. Pure of I/O:
 * the provider server stores the room (`encodeHubRoom`), serializes the calls
 * for one room (one call at a time, each on the state the previous one
 * returned, so that exactly one commit is accepted per epoch), signs and
 * encrypts, and delivers.
 *
 * It verifies with the Hub's view of the group (publicGroup.ts) and decides
 * with the members' own policy engine (roomChanges.ts and policy.ts).
 */
import { CodecError, decode, encode, struct, uint8, uint64, type ValueOf, varOpaque, vector } from "@mimi-ts/codec";
import {
  ExtensionType,
  type FanoutMessage,
  type GroupInfoOption,
  type GroupInfoRatchetTreeTbe,
  GroupInfoRepresentation,
  type HandshakeBundle,
  type PartialGroupInfo,
  Protocol,
  parseMimiUri,
  type RatchetTreeOption,
  RatchetTreePresence,
  RatchetTreeRepresentation,
  type SubmitMessageRequest,
  type SubmitMessageResponse,
  SubmitResponseCode,
  UpdateResponseCode,
  type UpdateRoomResponse,
} from "@mimi-ts/protocol";
import {
  type AuthenticationService,
  type CiphersuiteImpl,
  type CiphersuiteName,
  createGroupInfoWithExternalPub,
  type ExternalSender,
  type GroupInfo,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  type LifetimeConfig,
  type MLSMessage,
  MlsError,
  type Proposal,
  type PublicMessage,
  type RatchetTree,
  selfRemoveProposalType,
  type Welcome,
} from "ts-mls";
import { defaultClientConfig } from "ts-mls/clientConfig.js";
import { extensionTypeToNumber } from "ts-mls/extension.js";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import { encodeRatchetTree, extendRatchetTree, stripBlankNodes } from "ts-mls/ratchetTree.js";
import { constantTimeEqual } from "ts-mls/util/constantTimeCompare.js";
import type { ProposalSender } from "./committedProposal.js";
import { mimiAppDataUpdateHandlers } from "./componentHandlers.js";
import { basicCredentialClaims, credentialIdentity, parseClientUri } from "./identity.js";
import { authorize, type Refusal, type RoomSnapshot } from "./policy.js";
import {
  type CommitApplied,
  type PendingProposal,
  type ProposalAccepted,
  type PublicGroupOptions,
  type PublicGroupState,
  processPublicMessage,
  publicGroupFromGroupInfo,
  acceptGroupInfo as viewAcceptsGroupInfo,
} from "./publicGroup.js";
import { PublicGroupError } from "./publicGroupErrors.js";
import { decodePublicGroup, encodePublicGroup } from "./publicGroupStorage.js";
import {
  type GroupView,
  groupViewOf,
  type HandshakeRoomChange,
  type LeafMember,
  proposalChangeOf,
  type RoomChangeResult,
  roomChangeOf,
} from "./roomChanges.js";
import { memberAuthenticationService, type Room, RoomCipherSuite } from "./roomMember.js";
import type { RoomState } from "./roomState.js";

export interface HubRoomOptions {
  /**
   * The Hub itself as the room's external sender (protocol-06 s.7.4): its
   * signature key and a basic credential naming its provider URI,
   * `mimi://<hub domain>`. Rooms of this Hub are `mimi://<hub domain>/r/...`.
   */
  readonly hub: ExternalSender;
  /** Validates the credentials of leaves and external senders; default memberAuthenticationService(). */
  readonly authService?: AuthenticationService;
  /** Whether leaf lifetimes are checked on receipt; default the members' (ts-mls defaultClientConfig). */
  readonly lifetimeConfig?: LifetimeConfig;
}

/** The public state of the group with the GroupInfo of its epoch, which the Hub always has. */
export type HubGroupState = PublicGroupState & { readonly groupInfo: GroupInfo };

/**
 * One room as its Hub holds it: the view of the group (GroupContext, ratchet
 * tree, the epoch's GroupInfo and accepted proposals), when each pending
 * proposal was accepted, and the room with those proposals applied
 * (protocol-06 s.7.1), against which new events are checked. `options` are
 * not stored: `decodeHubRoom` takes them again.
 */
export interface HubRoom {
  readonly group: HubGroupState;
  /** hub_accepted_time (ms since the UNIX epoch) of each of group.pendingProposals, in the same order */
  readonly pendingAcceptedTimes: readonly bigint[];
  /** the room after this epoch's accepted proposals (protocol-06 s.7.1), computed from the above */
  readonly roomWithPending: RoomState;
  readonly hub: ExternalSender;
  readonly options: PublicGroupOptions;
}

export type HubRoomResult =
  | { readonly ok: true; readonly hubRoom: HubRoom }
  | { readonly ok: false; readonly reason: string };

/** What a room's creator gives its Hub (protocol-06 s.3.1): the GroupInfo, without ratchet_tree, and the full tree. */
export interface RoomCreation {
  readonly groupInfo: GroupInfo;
  readonly ratchetTreeOption: RatchetTreeOption;
}

/** Messages for some providers, in order. */
export interface Fanout {
  /** the provider domains to send it to (protocol-06 s.5.5), sorted; the Hub's own domain means local clients */
  readonly recipients: readonly string[];
  readonly message: FanoutMessage;
}

/** A Welcome for the clients one provider's KeyPackages belong to (protocol-06 s.5.5). */
export interface WelcomeFanout {
  readonly domain: string;
  /** the KeyPackageRefs of that provider's clients among the Welcome's secrets */
  readonly keyPackageRefs: readonly Uint8Array[];
  /** the Welcome, with the tree as a full RatchetTreeOption */
  readonly message: FanoutMessage;
}

/** Who joined and left the group, and who follows the room now, after a commit. */
export interface MembershipChange {
  /** leaves added (Adds, an external joiner), as in the next epoch */
  readonly addedClients: readonly LeafMember[];
  /** leaves removed, as they were before */
  readonly removedClients: readonly LeafMember[];
  /** users who entered and left the participant list */
  readonly addedUsers: readonly string[];
  readonly removedUsers: readonly string[];
  /** followersOf the room after the commit */
  readonly followers: readonly string[];
}

interface Accepted {
  readonly accepted: true;
  readonly hubRoom: HubRoom;
  /** success, with acceptedTimestamp */
  readonly response: UpdateRoomResponse;
  readonly acceptedTimestamp: bigint;
  /** the handshake, to every provider of the group before it (removed clients learn of their removal) */
  readonly fanout: Fanout;
  /** what the policy engine accepted */
  readonly change: HandshakeRoomChange;
}

export interface ProposalsAccepted extends Accepted {
  readonly kind: "proposals";
  /** the ProposalRefs now pending, which the next commit must include */
  readonly proposalRefs: readonly Uint8Array[];
}

export interface CommitAccepted extends Accepted {
  readonly kind: "commit";
  /** after `fanout`, one per provider owning an added KeyPackage */
  readonly welcomes: readonly WelcomeFanout[];
  /** to store: the new epoch's GroupInfo and tree (they are also in hubRoom) */
  readonly groupInfo: GroupInfo;
  readonly ratchetTree: RatchetTree;
  readonly membership: MembershipChange;
  /**
   * Pending proposals an external commit could not carry (RFC 9420
   * s.12.4.3.2: only SelfRemoves by reference), gone with the epoch; the Hub
   * may propose comparable ones in the new epoch (protocol-06 s.5.5).
   */
  readonly lapsedProposals: readonly PendingProposal[];
}

export interface UpdateRefused {
  readonly accepted: false;
  /** wrongEpoch, notAllowed or invalidProposal; its errorDescription is `reason` */
  readonly response: UpdateRoomResponse;
  readonly reason: string;
  /** the policy engine's refusals, for notAllowed by policy; empty otherwise */
  readonly refusals: readonly Refusal[];
}

export type UpdateOutcome = ProposalsAccepted | CommitAccepted | UpdateRefused;

export type SubmitOutcome =
  | {
      readonly accepted: true;
      /** accepted, with acceptedTimestamp and no frank */
      readonly response: SubmitMessageResponse;
      readonly acceptedTimestamp: bigint;
      readonly fanout: Fanout;
    }
  | {
      readonly accepted: false;
      /** notAllowed or epochTooOld */
      readonly response: SubmitMessageResponse;
      readonly reason: string;
      readonly refusals: readonly Refusal[];
    };

export interface HandleOptions {
  /** the acceptance time, ms since the UNIX epoch (the server's clock) */
  readonly now: number;
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

function isRoomCipherSuite(name: CiphersuiteName): boolean {
  return (Object.values(RoomCipherSuite) as string[]).includes(name);
}

/** The Hub's domain, from its credential `mimi://<domain>`. */
function hubDomainOf(hub: ExternalSender): string | undefined {
  if (hub.credential.credentialType !== "basic") return undefined;
  let text: string;
  try {
    text = utf8Decoder.decode(hub.credential.identity);
  } catch {
    return undefined;
  }
  const uri = parseMimiUri(text);
  return uri?.kind === "provider" && uri.uri === text ? uri.domain : undefined;
}

async function publicGroupOptions(cipherSuite: CiphersuiteName, options: HubRoomOptions): Promise<PublicGroupOptions> {
  return {
    cipherSuite: await getCiphersuiteImpl(getCiphersuiteFromName(cipherSuite)),
    authService: options.authService ?? memberAuthenticationService(),
    appDataUpdateHandlers: mimiAppDataUpdateHandlers,
    lifetimeConfig: options.lifetimeConfig ?? defaultClientConfig.lifetimeConfig,
  };
}

function sameExternalSender(a: ExternalSender, b: ExternalSender): boolean {
  return (
    constantTimeEqual(a.signaturePublicKey, b.signaturePublicKey) &&
    a.credential.credentialType === "basic" &&
    b.credential.credentialType === "basic" &&
    constantTimeEqual(a.credential.identity, b.credential.identity)
  );
}

/** Where a room's state breaks what the Hub requires of it, or undefined. */
function roomProblem(view: GroupView, groupId: Uint8Array, hub: ExternalSender): string | undefined {
  const roomUri = view.room.roomMetadata?.roomUri;
  if (roomUri === undefined) return "the room has no room_metadata naming its room URI (protocol-06 s.7.6)";
  const room = parseMimiUri(roomUri);
  const hubDomain = hubDomainOf(hub);
  if (room?.kind !== "room" || room.uri !== roomUri) return `${JSON.stringify(roomUri)} is not a canonical room URI`;
  if (room.domain !== hubDomain) return `${roomUri} is not a room of this Hub (${hubDomain})`;
  const expectedGroupId = `mimi://${room.domain}/g/${room.id}`;
  if (!constantTimeEqual(groupId, utf8Encoder.encode(expectedGroupId))) {
    return `the MLS group id of ${roomUri} must be ${expectedGroupId} (protocol-06 Table 1)`;
  }
  if (!view.externalSenders.some((sender) => sameExternalSender(sender, hub))) {
    return "the group's external_senders must list the Hub (protocol-06 s.7.4)";
  }
  return undefined;
}

/**
 * What the Hub keeps of a GroupInfo to hand joiners (protocol-06 s.5.3,
 * s.5.6): no ratchet_tree extension (the tree travels in a RatchetTreeOption)
 * and one external_pub, without which no one can join externally (RFC 9420
 * s.12.4.3.2).
 */
function groupInfoProblem(groupInfo: GroupInfo): string | undefined {
  const types = groupInfo.extensions.map((extension) => extensionTypeToNumber(extension.extensionType));
  if (types.includes(ExtensionType.ratchetTree)) {
    return "the GroupInfo must omit the ratchet_tree extension (protocol-06 s.5.3)";
  }
  if (types.filter((type) => type === ExtensionType.externalPub).length !== 1) {
    return "the GroupInfo must carry one external_pub extension, for external joins (RFC 9420 s.12.4.3.2, protocol-06 s.5.6)";
  }
  return undefined;
}

function pendingSent(group: PublicGroupState) {
  return group.pendingProposals.map(({ proposal, sender }) => ({ proposal, sender }));
}

type Decision =
  | { readonly ok: true; readonly change: HandshakeRoomChange; readonly next: RoomSnapshot }
  | { readonly ok: false; readonly refusals: readonly Refusal[] };

function decide(snapshot: RoomSnapshot, change: RoomChangeResult): Decision {
  if (!change.ok) return change;
  const authorized = authorize(snapshot, change.change);
  return authorized.ok
    ? { ok: true, change: change.change, next: authorized.next }
    : { ok: false, refusals: authorized.refusals };
}

/** The room after the epoch's accepted proposals (protocol-06 s.7.1), or why they are not acceptable together. */
function roomAfterPending(view: GroupView, group: PublicGroupState): { room: RoomState } | { reason: string } {
  const pending = pendingSent(group);
  if (pending.length === 0) return { room: view.room };
  const decision = decide(view, proposalChangeOf(view, pending));
  if (!decision.ok) return { reason: `the pending proposals are refused: ${describeRefusals(decision.refusals)}` };
  return { room: decision.next.room };
}

function describeRefusals(refusals: readonly Refusal[]): string {
  return refusals.map((refusal) => `${refusal.code} (${refusal.section}): ${refusal.reason}`).join("; ");
}

/** Checks a group state as the Hub's and completes it into a HubRoom. */
function hubRoomOf(
  group: PublicGroupState,
  pendingAcceptedTimes: readonly bigint[],
  hub: ExternalSender,
  options: PublicGroupOptions,
): HubRoomResult {
  const { groupInfo } = group;
  if (groupInfo === undefined) return { ok: false, reason: "the room has no GroupInfo for its epoch" };
  if (pendingAcceptedTimes.length !== group.pendingProposals.length) {
    return { ok: false, reason: "one accepted time per pending proposal is required" };
  }
  const badGroupInfo = groupInfoProblem(groupInfo);
  if (badGroupInfo !== undefined) return { ok: false, reason: badGroupInfo };
  const read = groupViewOf(group.groupContext, group.ratchetTree);
  if (!read.ok) return { ok: false, reason: read.reason };
  const problem = roomProblem(read.view, group.groupContext.groupId, hub);
  if (problem !== undefined) return { ok: false, reason: problem };
  const current = roomAfterPending(read.view, group);
  if ("reason" in current) return { ok: false, reason: current.reason };
  return {
    ok: true,
    hubRoom: { group: { ...group, groupInfo }, pendingAcceptedTimes, roomWithPending: current.room, hub, options },
  };
}

/** A full RatchetTreeOption's tree, as ts-mls holds trees (extended to a full binary tree). */
function fullTree(option: RatchetTreeOption): RatchetTree | undefined {
  if (option.representation !== RatchetTreeRepresentation.full || option.ratchetTree.at(-1) === undefined) {
    return undefined;
  }
  return extendRatchetTree(option.ratchetTree);
}

function fullTreeOption(tree: RatchetTree): RatchetTreeOption {
  return { representation: RatchetTreeRepresentation.full, ratchetTree: stripBlankNodes(tree) };
}

/**
 * The Hub takes a room a local client created (protocol-06 s.3.1): it starts
 * its view from the creator's GroupInfo and full ratchet tree, checked as a
 * joiner checks them (publicGroupFromGroupInfo), and requires a room of this
 * Hub (room URI `mimi://<hub>/r/<id>`, group id `mimi://<hub>/g/<id>`), the
 * Hub among the external senders (s.7.4), a room state that reads, and a
 * GroupInfo it can hand joiners (no ratchet_tree, one external_pub).
 */
export async function createHubRoom(creation: RoomCreation, options: HubRoomOptions): Promise<HubRoomResult> {
  const name = creation.groupInfo.groupContext.cipherSuite;
  if (!isRoomCipherSuite(name)) return { ok: false, reason: `${name} is not a room cipher suite` };
  if (hubDomainOf(options.hub) === undefined) {
    return { ok: false, reason: "the Hub's credential must be a basic credential naming mimi://<its domain>" };
  }
  const tree = fullTree(creation.ratchetTreeOption);
  if (tree === undefined) {
    return {
      ok: false,
      reason: "the creator gives the Hub the full tree (RatchetTreeOption full, last node non-blank)",
    };
  }
  const viewOptions = await publicGroupOptions(name, options);
  try {
    const group = await publicGroupFromGroupInfo(creation.groupInfo, tree, viewOptions);
    return hubRoomOf(group, [], options.hub, viewOptions);
  } catch (error) {
    if (error instanceof PublicGroupError) return { ok: false, reason: error.message };
    throw error;
  }
}

/** What a creating client sends its Hub (protocol-06 s.3.1): its GroupInfo with external_pub, and the full tree. */
export async function roomCreationOf(room: Room): Promise<RoomCreation> {
  const cs = await getCiphersuiteImpl(getCiphersuiteFromName(room.state.groupContext.cipherSuite));
  return {
    groupInfo: await createGroupInfoWithExternalPub(room.state, [], cs),
    ratchetTreeOption: fullTreeOption(room.state.ratchetTree),
  };
}

/** The domain of a MIMI client URI. */
function domainOf(clientUri: string): string | undefined {
  const parsed = parseClientUri(clientUri);
  return parsed.ok ? parsed.identity.domain : undefined;
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function followersOfView(view: GroupView): string[] {
  return sortedUnique(view.members.flatMap((member) => domainOf(member.clientUri) ?? []));
}

/** The view of a state the Hub holds; it always reads (hubRoomOf and the commit checks make sure). */
function viewOf(group: PublicGroupState): GroupView {
  const read = groupViewOf(group.groupContext, group.ratchetTree);
  if (!read.ok) throw new RangeError(`the Hub's room does not read: ${read.reason}`);
  return read.view;
}

/**
 * The providers that follow the room (protocol-06 s.5.5): the domains of the
 * clients in the room's MLS group, sorted. Clients of users that a pending
 * proposal removes are still there until the commit, which they should see.
 */
export function followersOf(hubRoom: HubRoom): string[] {
  return followersOfView(viewOf(hubRoom.group));
}

/**
 * What an external joiner gets (protocol-06 s.5.6): the epoch's GroupInfo,
 * the tree as a full RatchetTreeOption, and the proposals accepted in this
 * epoch with their hub_accepted_time. The server encrypts it
 * (`encode(groupInfoRatchetTreeTbe, ...)` under EncryptWithLabel) and signs
 * the GroupInfoResponse with the Hub's key; whether the requester may join
 * is its call (and the policy's, when the external commit comes).
 */
export function groupInfoFor(hubRoom: HubRoom): GroupInfoRatchetTreeTbe {
  const { group, pendingAcceptedTimes } = hubRoom;
  return {
    groupInfo: group.groupInfo,
    ratchetTreeOption: fullTreeOption(group.ratchetTree),
    pendingProposals: group.pendingProposals.map((pending, index) => ({
      proposal: pending.message,
      hubAcceptedTime: acceptedTimeAt(pendingAcceptedTimes, index),
    })),
  };
}

function acceptedTimeAt(times: readonly bigint[], index: number): bigint {
  const time = times[index];
  if (time === undefined) throw new RangeError(`the HubRoom has no accepted time for pending proposal ${index}`);
  return time;
}

function timestampOf(now: number): bigint {
  if (!Number.isSafeInteger(now) || now < 0) throw new RangeError(`now must be ms since the UNIX epoch, got ${now}`);
  return BigInt(now);
}

function refusedUpdate(response: UpdateRoomResponse, refusals: readonly Refusal[] = []): UpdateRefused {
  return { accepted: false, response, reason: response.errorDescription, refusals };
}

function notAllowed(reason: string, refusals: readonly Refusal[] = []): UpdateRefused {
  return refusedUpdate({ responseCode: UpdateResponseCode.notAllowed, errorDescription: reason }, refusals);
}

function invalidProposals(refs: readonly Uint8Array[], reason: string): UpdateRefused {
  return refusedUpdate({
    responseCode: UpdateResponseCode.invalidProposal,
    errorDescription: reason,
    invalidProposals: [...refs],
  });
}

function policyRefusal(refusals: readonly Refusal[]): UpdateRefused {
  return notAllowed(`refused by the room's policy: ${describeRefusals(refusals)}`, refusals);
}

/**
 * protocol-06 s.5.3's codes for what the view refuses: wrongEpoch with the
 * current epoch; invalidProposal naming the proposals (an invalid proposal,
 * or references the commit makes to proposals not pending); notAllowed for
 * the rest (another group, an unknown sender, a bad signature, an invalid
 * commit or GroupInfo).
 */
function viewRefusal(error: PublicGroupError): UpdateRefused {
  if (error.code === "wrongEpoch" && error.currentEpoch !== undefined) {
    return refusedUpdate({
      responseCode: UpdateResponseCode.wrongEpoch,
      errorDescription: error.reason,
      currentEpoch: error.currentEpoch,
    });
  }
  if ((error.code === "invalidProposal" || error.code === "invalidCommit") && error.proposalRefs.length > 0) {
    return invalidProposals(error.proposalRefs, `${error.code}: ${error.reason}`);
  }
  return notAllowed(`${error.code}: ${error.reason}`);
}

/**
 * Decides one HandshakeBundle (protocol-06 s.5.3) against the room: its
 * proposals, or its commit, verified by the Hub's view of the group and
 * authorized by the room's policy. Accepted: the next state and what to
 * fan out. Refused: the UpdateRoomResponse, and the state is unchanged.
 * Never throws for a bundle; only `now` that is not a millisecond count is a
 * RangeError.
 *
 * The function is pure: the server calls it for one room at a time, each
 * call on the state the previous one returned, which is what makes the first
 * commit of an epoch the only one (the next is for an old epoch: wrongEpoch).
 */
export async function handleUpdate(
  hubRoom: HubRoom,
  bundle: HandshakeBundle,
  options: HandleOptions,
): Promise<UpdateOutcome> {
  const timestamp = timestampOf(options.now);
  try {
    return "moreProposals" in bundle
      ? await acceptProposals(hubRoom, [bundle.proposalOrCommit, ...bundle.moreProposals], timestamp)
      : await acceptCommit(hubRoom, bundle, timestamp);
  } catch (error) {
    if (error instanceof PublicGroupError) return viewRefusal(error);
    if (error instanceof MlsError || error instanceof CodecError) return notAllowed(`${error.name}: ${error.message}`);
    throw error;
  }
}

function success(timestamp: bigint): UpdateRoomResponse {
  return { responseCode: UpdateResponseCode.success, errorDescription: "", acceptedTimestamp: timestamp };
}

/** The leaf a proposal removes or replaces: a Remove's target, a SelfRemove's or an Update's sender. */
function targetedLeaf(proposal: Proposal, sender: ProposalSender): number | undefined {
  if (proposal.proposalType === "remove") return proposal.remove.removed;
  const ownLeaf = proposal.proposalType === "update" || proposal.proposalType === selfRemoveProposalType;
  return ownLeaf && sender.kind === "member" ? sender.leafIndex : undefined;
}

/**
 * The next commit must carry every accepted proposal, so two that no commit
 * may carry together are refused when the second arrives: RFC 9420 s.12.2
 * (several Updates or Removes of one leaf), mls-extensions s.6.3 (a
 * SelfRemove with either).
 */
function conflictingProposals(
  pending: readonly PendingProposal[],
  received: readonly ProposalAccepted[],
): Uint8Array[] {
  const targeted = new Set(pending.flatMap(({ proposal, sender }) => targetedLeaf(proposal, sender) ?? []));
  const conflicting: Uint8Array[] = [];
  for (const { proposal, sender, ref } of received) {
    const leaf = targetedLeaf(proposal, sender);
    if (leaf === undefined) continue;
    if (targeted.has(leaf)) conflicting.push(ref);
    targeted.add(leaf);
  }
  return conflicting;
}

async function acceptProposals(
  hubRoom: HubRoom,
  messages: readonly MLSMessage[],
  timestamp: bigint,
): Promise<UpdateOutcome> {
  const before = hubRoom.group;
  let group: PublicGroupState = before;
  const received: ProposalAccepted[] = [];
  for (const message of messages) {
    const result = await processPublicMessage(group, message, hubRoom.options);
    if (result.kind !== "proposal") return notAllowed("moreProposals holds proposals only (protocol-06 s.5.3)");
    group = result.state;
    received.push(result);
  }
  const conflicting = conflictingProposals(before.pendingProposals, received);
  if (conflicting.length > 0) {
    return invalidProposals(
      conflicting,
      "the proposal removes or updates a leaf that an accepted proposal already removes or updates, so no commit could carry both (RFC 9420 s.12.2)",
    );
  }
  const view = viewOf(before);
  const sent = received.map(({ proposal, sender }) => ({ proposal, sender }));
  // As members check them: together with the pending proposals, which the commit will carry too.
  const together = decide(view, proposalChangeOf(view, sent, pendingSent(before)));
  if (!together.ok) return policyRefusal(together.refusals);
  // protocol-06 s.7.1: and against the room with the accepted proposals applied (s.5.3: removed or banned senders).
  const current: GroupView = { ...view, room: hubRoom.roomWithPending };
  const afterPending = decide(current, proposalChangeOf(current, sent));
  if (!afterPending.ok) return policyRefusal(afterPending.refusals);
  const next: HubRoom = {
    ...hubRoom,
    group: { ...group, groupInfo: before.groupInfo },
    pendingAcceptedTimes: [...hubRoom.pendingAcceptedTimes, ...received.map(() => timestamp)],
    roomWithPending: together.next.room,
  };
  const [first, ...moreProposals] = messages as [MLSMessage, ...MLSMessage[]];
  return {
    accepted: true,
    kind: "proposals",
    hubRoom: next,
    response: success(timestamp),
    acceptedTimestamp: timestamp,
    fanout: { recipients: followersOfView(view), message: { timestamp, content: { message: first, moreProposals } } },
    change: together.change,
    proposalRefs: received.map(({ ref }) => ref),
  };
}

type CommitBundle = Extract<HandshakeBundle, { readonly groupInfoOption: GroupInfoOption }>;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/**
 * protocol-06 s.3.5: the commit must include every proposal accepted in the
 * epoch, by reference. Not required: a Remove, SelfRemove or Update of a leaf
 * the commit removes anyway (by value, or a resync), which the commit could
 * not carry with it (RFC 9420 s.12.2); the committer's own Update, which it
 * must not carry (s.12.2); and in an external commit every proposal but a
 * SelfRemove, which it cannot carry (s.12.4.3.2): those lapse.
 */
function uncommittedProposals(
  pending: readonly PendingProposal[],
  applied: CommitApplied,
): { missing: PendingProposal[]; lapsed: PendingProposal[] } {
  const included = new Set(applied.committed.flatMap(({ ref }) => (ref === undefined ? [] : [hex(ref)])));
  const removed = new Set(applied.removedLeaves);
  const committerLeaf = applied.committer.kind === "member" ? applied.committer.leafIndex : undefined;
  const missing: PendingProposal[] = [];
  const lapsed: PendingProposal[] = [];
  for (const entry of pending) {
    if (included.has(hex(entry.ref))) continue;
    const leaf = targetedLeaf(entry.proposal, entry.sender);
    if (leaf !== undefined && removed.has(leaf)) continue;
    if (entry.proposal.proposalType === "update" && leaf === committerLeaf) continue;
    if (applied.committer.kind === "newMemberCommit" && entry.proposal.proposalType !== selfRemoveProposalType) {
      lapsed.push(entry);
    } else {
      missing.push(entry);
    }
  }
  return { missing, lapsed };
}

/**
 * The GroupInfo of the new epoch: the committer's (full), or rebuilt from a
 * PartialGroupInfo (ratchet-tree-options-03 s.4) with the Hub's GroupContext
 * and the commit's confirmation_tag, signed by the committer (an external
 * joiner at its new leaf). A partial one whose GroupInfo carries a
 * ratchet_tree (present, added) is refused: protocol-06 s.5.3 has the
 * GroupInfo omit it, and where it sat among the signed extensions is not
 * conveyed.
 */
function groupInfoOf(option: GroupInfoOption, applied: CommitApplied): GroupInfo | string {
  if (option.representation === GroupInfoRepresentation.full) return option.groupInfo;
  const partial: PartialGroupInfo = option.partialGroupInfo;
  const { ratchetTreePresence } = partial;
  if (
    ratchetTreePresence !== RatchetTreePresence.noRatchetTree &&
    ratchetTreePresence !== RatchetTreePresence.removed
  ) {
    return "a PartialGroupInfo whose GroupInfo carries a ratchet_tree cannot be rebuilt: the GroupInfo omits it (protocol-06 s.5.3)";
  }
  const signer =
    applied.newMemberLeafIndex ?? (applied.committer.kind === "member" ? applied.committer.leafIndex : undefined);
  if (signer === undefined) return "the commit has no committer leaf to sign the GroupInfo";
  return {
    groupContext: applied.state.groupContext,
    extensions: partial.groupInfoExtensions,
    confirmationTag: applied.state.confirmationTag,
    signer,
    signature: partial.signature,
  };
}

/**
 * A full RatchetTreeOption must be the tree the Hub computed; any other
 * representation is accepted, since the Hub tracks the tree from the
 * handshakes (ratchet-tree-options-03 s.3, distributionService) and fans
 * its own out.
 */
function treeOptionProblem(option: RatchetTreeOption, tree: RatchetTree): string | undefined {
  if (option.representation !== RatchetTreeRepresentation.full) return undefined;
  const given = encodeRatchetTree(option.ratchetTree);
  return constantTimeEqual(given, encodeRatchetTree(tree))
    ? undefined
    : "the RatchetTreeOption's tree is not the group's tree after the commit";
}

/**
 * protocol-06 s.5.5: a Welcome goes to the providers of the KeyPackageRefs in
 * its secrets. It must name exactly the KeyPackages the commit adds (and be
 * absent when it adds none); each is a client of the provider its credential
 * names, which the server can check against where it fetched it.
 */
async function welcomeFanouts(
  welcome: Welcome | undefined,
  applied: CommitApplied,
  tree: RatchetTree,
  timestamp: bigint,
  cs: CiphersuiteImpl,
): Promise<WelcomeFanout[] | string> {
  const added = applied.addedLeaves;
  if (welcome === undefined) {
    return added.length === 0 ? [] : `the commit adds ${added.length} clients and the bundle has no Welcome`;
  }
  if (added.length === 0) return "the commit adds no client, yet the bundle has a Welcome";
  if (welcome.cipherSuite !== cs.name) return `the Welcome is for ${welcome.cipherSuite}, the group uses ${cs.name}`;
  const byDomain = new Map<string, Uint8Array[]>();
  const expected = new Set<string>();
  for (const { keyPackage } of added) {
    const ref = await makeKeyPackageRef(keyPackage, cs.hash);
    const identity = credentialIdentity(keyPackage.leafNode.credential);
    if (!identity.ok) return `an added KeyPackage does not name a MIMI client: ${identity.error.reason}`;
    const { domain } = identity.identity;
    expected.add(hex(ref));
    byDomain.set(domain, [...(byDomain.get(domain) ?? []), ref]);
  }
  const named = welcome.secrets.map(({ newMember }) => hex(newMember));
  if (
    named.length !== expected.size ||
    new Set(named).size !== named.length ||
    named.some((ref) => !expected.has(ref))
  ) {
    return "the Welcome's secrets must be for exactly the KeyPackages the commit adds (protocol-06 s.5.5)";
  }
  const message: FanoutMessage = {
    timestamp,
    content: {
      message: { version: "mls10", wireformat: "mls_welcome", welcome },
      ratchetTreeOption: fullTreeOption(tree),
    },
  };
  return [...byDomain.keys()].sort().map((domain) => ({ domain, keyPackageRefs: byDomain.get(domain) ?? [], message }));
}

function participantUsers(room: RoomState): Set<string> {
  return new Set((room.participantList?.participants ?? []).map(({ user }) => user));
}

function membershipChange(before: GroupView, after: GroupView, applied: CommitApplied): MembershipChange {
  const addedLeaves = new Set(applied.addedLeaves.map(({ leafIndex }) => leafIndex));
  if (applied.newMemberLeafIndex !== undefined) addedLeaves.add(applied.newMemberLeafIndex);
  const removedLeaves = new Set(applied.removedLeaves);
  const usersBefore = participantUsers(before.room);
  const usersAfter = participantUsers(after.room);
  return {
    addedClients: after.members.filter(({ leafIndex }) => addedLeaves.has(leafIndex)),
    removedClients: before.members.filter(({ leafIndex }) => removedLeaves.has(leafIndex)),
    addedUsers: [...usersAfter].filter((user) => !usersBefore.has(user)),
    removedUsers: [...usersBefore].filter((user) => !usersAfter.has(user)),
    followers: followersOfView(after),
  };
}

function commitMessage(bundle: CommitBundle): PublicMessage | undefined {
  const message = bundle.proposalOrCommit;
  return message.wireformat === "mls_public_message" && message.publicMessage.content.contentType === "commit"
    ? message.publicMessage
    : undefined;
}

async function acceptCommit(hubRoom: HubRoom, bundle: CommitBundle, timestamp: bigint): Promise<UpdateOutcome> {
  const before = hubRoom.group;
  const { options } = hubRoom;
  const publicMessage = commitMessage(bundle);
  if (publicMessage === undefined) return notAllowed("a commit travels as a PublicMessage (protocol-06 s.4.2)");
  const applied = await processPublicMessage(before, bundle.proposalOrCommit, options);
  if (applied.kind !== "commit") return notAllowed("not a commit");

  const { missing, lapsed } = uncommittedProposals(before.pendingProposals, applied);
  if (missing.length > 0) {
    return invalidProposals(
      missing.map(({ ref }) => ref),
      `the commit must include the ${missing.length} proposal(s) the Hub accepted in epoch ${before.groupContext.epoch} (protocol-06 s.3.5)`,
    );
  }

  const view = viewOf(before);
  const { content } = publicMessage;
  const pathCredential = content.contentType === "commit" ? content.commit.path?.leafNode.credential : undefined;
  const decision = decide(
    view,
    roomChangeOf(view, applied.committed, applied.committer, pathCredential === undefined ? {} : { pathCredential }),
  );
  if (!decision.ok) return policyRefusal(decision.refusals);

  const read = groupViewOf(applied.state.groupContext, applied.state.ratchetTree);
  if (!read.ok) return notAllowed(`the room after the commit does not read: ${read.reason}`);
  const after = read.view;
  const problem = roomProblem(after, applied.state.groupContext.groupId, hubRoom.hub);
  if (problem !== undefined) return notAllowed(problem);
  const tree = applied.state.ratchetTree;
  const badTree = treeOptionProblem(bundle.ratchetTreeOption, tree);
  if (badTree !== undefined) return notAllowed(badTree);

  const groupInfo = groupInfoOf(bundle.groupInfoOption, applied);
  if (typeof groupInfo === "string") return notAllowed(groupInfo);
  const badGroupInfo = groupInfoProblem(groupInfo);
  if (badGroupInfo !== undefined) return notAllowed(badGroupInfo);
  let state: PublicGroupState;
  try {
    state = await viewAcceptsGroupInfo(applied.state, groupInfo, options);
  } catch (error) {
    // The GroupInfo, not the handshake, is at fault: never wrongEpoch.
    if (error instanceof PublicGroupError) return notAllowed(`invalidGroupInfo: ${error.code}: ${error.reason}`);
    throw error;
  }

  const welcomes = await welcomeFanouts(bundle.welcome, applied, tree, timestamp, options.cipherSuite);
  if (typeof welcomes === "string") return notAllowed(welcomes);

  const next: HubRoom = {
    ...hubRoom,
    group: { ...state, groupInfo },
    pendingAcceptedTimes: [],
    roomWithPending: after.room,
  };
  return {
    accepted: true,
    kind: "commit",
    hubRoom: next,
    response: success(timestamp),
    acceptedTimestamp: timestamp,
    fanout: {
      recipients: followersOfView(view),
      message: { timestamp, content: { message: bundle.proposalOrCommit, externalProposals: [] } },
    },
    change: decision.change,
    welcomes,
    groupInfo,
    ratchetTree: tree,
    membership: membershipChange(view, after, applied),
    lapsedProposals: lapsed,
  };
}

function submitRefused(reason: string, refusals: readonly Refusal[] = []): SubmitOutcome {
  return {
    accepted: false,
    response: { protocol: Protocol.mls10, result: { statusCode: SubmitResponseCode.notAllowed } },
    reason,
    refusals,
  };
}

/**
 * Decides one SubmitMessageRequest (protocol-06 s.5.4). The Hub cannot
 * decrypt: it checks the PrivateMessage's group and epoch (an earlier epoch
 * is epochTooOld with the current one; a later one is notAllowed) and the
 * `sendingUri` claim, a user URI, against the room with this epoch's
 * accepted proposals applied (s.7.1): a participant, not removed or banned,
 * whose role has canSendMessage and who has a client in the group. That the
 * claim names the real sender is the receivers' check (receiveMessage
 * authorizes the decrypted sender). Franking (server_frank) is not done:
 * `frank` is absent in the response and the fan-out.
 */
export function handleSubmitMessage(
  hubRoom: HubRoom,
  request: SubmitMessageRequest,
  options: HandleOptions,
): SubmitOutcome {
  const timestamp = timestampOf(options.now);
  const { appMessage: message, sendingUri } = request;
  if (message.wireformat !== "mls_private_message" || message.privateMessage.contentType !== "application") {
    return submitRefused("an application message is a PrivateMessage with application content (protocol-06 s.5.4)");
  }
  const { groupContext } = hubRoom.group;
  const { privateMessage } = message;
  if (!constantTimeEqual(privateMessage.groupId, groupContext.groupId)) {
    return submitRefused("the message is for another group");
  }
  if (privateMessage.epoch < groupContext.epoch) {
    return {
      accepted: false,
      response: {
        protocol: Protocol.mls10,
        result: { statusCode: SubmitResponseCode.epochTooOld, currentEpoch: groupContext.epoch },
      },
      reason: `the message is for epoch ${privateMessage.epoch}, the room is at epoch ${groupContext.epoch}`,
      refusals: [],
    };
  }
  if (privateMessage.epoch > groupContext.epoch) {
    return submitRefused(`epoch ${privateMessage.epoch} is more recent than the room's, ${groupContext.epoch}`);
  }
  const user = parseMimiUri(sendingUri);
  if (user?.kind !== "user" || user.uri !== sendingUri) {
    return submitRefused(`sendingUri ${JSON.stringify(sendingUri)} is not a canonical user URI (protocol-06 s.5.4)`);
  }
  const view = viewOf(hubRoom.group);
  const client = view.members.find((member) => member.userUri === sendingUri);
  if (client === undefined) return submitRefused(`${sendingUri} has no client in the room's group`);
  const authorized = authorize(
    { room: hubRoom.roomWithPending, members: view.members },
    {
      kind: "applicationMessage",
      sender: {
        kind: "member",
        clientUri: client.clientUri,
        userUri: client.userUri,
        claims: basicCredentialClaims(client.clientUri),
      },
    },
  );
  if (!authorized.ok) {
    return submitRefused(`refused by the room's policy: ${describeRefusals(authorized.refusals)}`, authorized.refusals);
  }
  return {
    accepted: true,
    response: {
      protocol: Protocol.mls10,
      result: { statusCode: SubmitResponseCode.accepted, acceptedTimestamp: timestamp, frank: undefined },
    },
    acceptedTimestamp: timestamp,
    fanout: { recipients: followersOfView(view), message: { timestamp, content: { message, frank: undefined } } },
  };
}

/**
 * A stored HubRoom:
 *
 *   struct {
 *     uint8 version;                        // 1
 *     opaque public_group<V>;               // publicGroupStorage.ts's PublicGroupStorage
 *     uint64 pending_accepted_times<V>;     // one per pending proposal, in order
 *   } HubRoomStorage;
 */
const hubRoomRecord = struct("HubRoomStorage", {
  version: uint8,
  publicGroup: varOpaque(),
  pendingAcceptedTimes: vector(uint64),
});

const HUB_ROOM_VERSION = 1;

/** The room as bytes for the server's storage; `decodeHubRoom` reads them back. */
export function encodeHubRoom(hubRoom: HubRoom): Uint8Array {
  return encode(hubRoomRecord, {
    version: HUB_ROOM_VERSION,
    publicGroup: encodePublicGroup(hubRoom.group),
    pendingAcceptedTimes: [...hubRoom.pendingAcceptedTimes],
  });
}

/**
 * Reads a stored room strictly: one record of version 1 in its canonical
 * encoding, a view that decodePublicGroup reads, one time per pending
 * proposal, and a room the Hub could hold (as createHubRoom requires, with
 * the pending proposals acceptable together).
 */
export async function decodeHubRoom(bytes: Uint8Array, options: HubRoomOptions): Promise<HubRoomResult> {
  let record: ValueOf<typeof hubRoomRecord>;
  let group: PublicGroupState;
  try {
    record = decode(hubRoomRecord, bytes);
    if (record.version !== HUB_ROOM_VERSION) return { ok: false, reason: `unknown version ${record.version}` };
    group = decodePublicGroup(record.publicGroup);
  } catch (error) {
    if (error instanceof CodecError || error instanceof PublicGroupError) return { ok: false, reason: error.message };
    throw error;
  }
  if (!constantTimeEqual(encode(hubRoomRecord, record), bytes)) {
    return { ok: false, reason: "not the canonical encoding" };
  }
  const name = group.groupContext.cipherSuite;
  if (!isRoomCipherSuite(name)) return { ok: false, reason: `${name} is not a room cipher suite` };
  return hubRoomOf(group, record.pendingAcceptedTimes, options.hub, await publicGroupOptions(name, options));
}
