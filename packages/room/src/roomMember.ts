import { CodecError, decode, encode, external, struct, uint8, type ValueOf, varOpaque, vector } from "@mimi-ts/codec";
import {
  type AppDataUpdate,
  AppDataUpdateOperation,
  ComponentId,
  componentsList,
  ExtensionType,
  frankAad,
  GroupInfoRepresentation,
  type HandshakeBundle,
  ProposalType,
  parseMimiUri,
  type RatchetTreeOption,
  RatchetTreeRepresentation,
  type RoleData,
  type RoomMetaData,
  type SafeAad,
  safeAad,
} from "@mimi-ts/protocol";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  type AuthenticationService,
  acceptAll,
  bytesToBase64,
  type CiphersuiteImpl,
  type ClientConfig,
  type ClientState,
  type Credential,
  createApplicationMessage,
  createCommit,
  createGroup,
  createGroupInfoWithExternalPub,
  createProposal,
  decodeGroupState,
  defaultLifetime,
  type Extension,
  type ExternalSender,
  emptyPskIndex,
  encodeAppDataDictionary,
  encodeExternalSenders,
  encodeGroupState,
  encodeRequiredCapabilities,
  type FramedContentCommitData,
  type FramedContentData,
  type GroupInfo,
  type GroupState,
  generateKeyPackageWithKey,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  joinGroupExternal,
  type KeyPackage,
  type MLSMessage,
  MlsError,
  makeAppDataUpdateProposal,
  makeSelfRemoveProposal,
  type PrivateKeyPackage,
  type Proposal,
  type PublicMessage,
  processMessage,
  type Welcome,
} from "ts-mls";
import { makeProposalRef } from "ts-mls/authenticatedContent.js";
import { defaultClientConfig } from "ts-mls/clientConfig.js";
import { decryptSenderData } from "ts-mls/privateMessage.js";
import { extendRatchetTree, stripBlankNodes } from "ts-mls/ratchetTree.js";
import { decodeSender, encodeSender } from "ts-mls/sender.js";
import { base64ToBytes } from "ts-mls/util/byteArray.js";
import { type CommittedProposal, type ProposalSender, proposalSenderOf, tsMlsSender } from "./committedProposal.js";
import { mimiAppDataUpdateHandlers } from "./componentHandlers.js";
import {
  basicCredential,
  basicCredentialClaims,
  credentialIdentity,
  type MimiAuthenticationOptions,
  validateMimiCredential,
} from "./identity.js";
import { authorize, isBannedRole, type Refusal, roleDefinition } from "./policy.js";
import {
  addUsersUpdate,
  changeRolesUpdate,
  cooperativelyAdministeredRoles,
  type MetadataChanges,
  metadataUpdate,
  type NewRoomOptions,
  newRoomState,
  PresetRoleIndex,
  removeUsersUpdate,
} from "./roomBuilder.js";
import type { Actor } from "./roomChange.js";
import {
  type GroupView,
  groupViewOf,
  type HandshakeRoomChange,
  type LeafMember,
  proposalChangeOf,
  type RoomChangeResult,
  roomChangeOf,
  type SentProposal,
} from "./roomChanges.js";
import { type RoomState, roomComponents } from "./roomState.js";

/**
 * The member side of a MIMI room (protocol-06 s.3, s.4.2, s.5.3, s.5.4): a
 * client's operations over its ts-mls group, each checked with the same
 * policy engine as the Hub's before it is sent, and every handshake and
 * message received checked again. Handshakes travel as PublicMessages so the
 * Hub can check them (s.4.2); application messages as PrivateMessages.
 */

/** The cipher suites rooms use: the MLS default and the P-256 suite (RFC 9420 s.17.1). */
export const RoomCipherSuite = {
  x25519: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
  p256: "MLS_128_DHKEMP256_AES128GCM_SHA256_P256",
} as const;
export type RoomCipherSuiteName = (typeof RoomCipherSuite)[keyof typeof RoomCipherSuite];

const roomCipherSuiteNames: readonly string[] = Object.values(RoomCipherSuite);

function isRoomCipherSuite(name: string): name is RoomCipherSuiteName {
  return roomCipherSuiteNames.includes(name);
}

function cipherSuiteImpl(name: RoomCipherSuiteName): Promise<CiphersuiteImpl> {
  return getCiphersuiteImpl(getCiphersuiteFromName(name));
}

/** A client's KeyPackage and its private keys (RFC 9420 s.10). */
export interface ClientKeyPackage {
  readonly publicPackage: KeyPackage;
  readonly privatePackage: PrivateKeyPackage;
}

/** A signature key pair of a cipher suite (a client's, or the Hub's as external sender). */
export interface SignatureKeyPair {
  readonly signKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Every component a MIMI client understands: those it applies updates to, and frank_aad in SafeAAD. */
const supportedComponentIds = [...mimiAppDataUpdateHandlers.keys(), ComponentId.frankAad].sort((a, b) => a - b);

/**
 * A MIMI client's KeyPackage (RFC 9420 s.10): a basic credential naming
 * `clientUri`, capabilities listing app_data_dictionary and the AppDataUpdate
 * and SelfRemove proposals (mls-extensions s.4.6, s.4.7, s.6.3) and no
 * GREASE, and in its leaf an app_data_dictionary advertising the components
 * it supports (app_components) and its SafeAAD components (safe_aad: frank_aad),
 * as mls-extensions s.4.6 and s.5 require. Throws RangeError when clientUri
 * is not a client URI (identity.parseClientUri).
 */
export async function newClientKeyPackage(
  clientUri: string,
  options: { readonly cipherSuite?: RoomCipherSuiteName; readonly signatureKeyPair?: SignatureKeyPair } = {},
): Promise<ClientKeyPackage> {
  const credential = basicCredential(clientUri);
  const name = options.cipherSuite ?? RoomCipherSuite.x25519;
  const cs = await cipherSuiteImpl(name);
  const keys = options.signatureKeyPair ?? (await cs.signature.keygen());
  const leafExtensions: Extension[] = [
    {
      extensionType: ExtensionType.appDataDictionary,
      extensionData: encodeAppDataDictionary([
        {
          componentId: ComponentId.appComponents,
          data: encode(componentsList, { componentIds: supportedComponentIds }),
        },
        { componentId: ComponentId.safeAad, data: encode(componentsList, { componentIds: [ComponentId.frankAad] }) },
      ]),
    },
  ];
  const capabilities = {
    versions: ["mls10" as const],
    ciphersuites: [name],
    extensions: [ExtensionType.appDataDictionary],
    proposals: [ProposalType.appDataUpdate, ProposalType.selfRemove],
    credentials: ["basic" as const],
  };
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey(
    credential,
    capabilities,
    defaultLifetime,
    [],
    keys,
    cs,
    leafExtensions,
  );
  return { publicPackage, privatePackage };
}

/**
 * The authentication service of a member: leaves carry MIMI client
 * credentials (identity.validateMimiCredential with `options`); external
 * senders (protocol-06 s.7.4: the Hub, follower providers) carry a basic
 * credential naming their provider URI, `mimi://<domain>`, from
 * `options.domains` when given. ts-mls asks the same service about both.
 */
export function memberAuthenticationService(options: MimiAuthenticationOptions = {}): AuthenticationService {
  const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
  const isProvider = (credential: Credential): boolean => {
    if (credential.credentialType !== "basic") return false;
    let text: string;
    try {
      text = utf8Decoder.decode(credential.identity);
    } catch {
      return false;
    }
    const uri = parseMimiUri(text);
    return (
      uri?.kind === "provider" &&
      uri.uri === text &&
      (options.domains === undefined || options.domains.some((domain) => domain.toLowerCase() === uri.domain))
    );
  };
  return {
    async validateCredential(credential, signaturePublicKey) {
      return isProvider(credential) || (await validateMimiCredential(credential, signaturePublicKey, options)).ok;
    },
  };
}

export interface MemberOptions {
  /** default memberAuthenticationService() */
  readonly authService?: AuthenticationService;
}

function clientConfigOf(options: MemberOptions): ClientConfig {
  return {
    ...defaultClientConfig,
    authService: options.authService ?? memberAuthenticationService(),
    appDataUpdateHandlers: mimiAppDataUpdateHandlers,
  };
}

/** A proposal received (or sent) in the current epoch and not yet committed: its ProposalRef and sender. */
export interface PendingProposalSender {
  readonly ref: Uint8Array;
  readonly sender: ProposalSender;
}

/**
 * A member's room: its ts-mls state (GroupContext with the room's
 * components, ratchet tree, keys), and who sent each pending proposal
 * (ts-mls keeps the proposals, but not an external sender's index).
 */
export interface Room {
  readonly state: ClientState;
  readonly pendingProposals: readonly PendingProposalSender[];
}

export type MemberError =
  /** the policy engine refused (or the MLS input has no room change): every broken rule */
  | { readonly kind: "refused"; readonly refusals: readonly Refusal[] }
  /** MLS refused, the input is malformed, or the request cannot apply to this room */
  | { readonly kind: "invalid"; readonly reason: string };

export type Outcome<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly error: MemberError };

function invalid(reason: string): { readonly ok: false; readonly error: MemberError } {
  return { ok: false, error: { kind: "invalid", reason } };
}

function refused(refusals: readonly Refusal[]): { readonly ok: false; readonly error: MemberError } {
  return { ok: false, error: { kind: "refused", refusals } };
}

/** Runs an operation, turning what ts-mls and the codecs refuse into an invalid outcome. */
async function guarded<T>(operation: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof MlsError || error instanceof CodecError) return invalid(`${error.name}: ${error.message}`);
    throw error;
  }
}

function cipherSuiteOf(state: ClientState): Promise<CiphersuiteImpl> {
  const name = state.groupContext.cipherSuite;
  if (!isRoomCipherSuite(name)) throw new RangeError(`${name} is not a room cipher suite`);
  return cipherSuiteImpl(name);
}

function memberActor(member: LeafMember): Actor {
  return {
    kind: "member",
    clientUri: member.clientUri,
    userUri: member.userUri,
    claims: basicCredentialClaims(member.clientUri),
  };
}

/** The room's view and this client's leaf in it, for an active member. */
function activeView(room: Room): Outcome<{ view: GroupView; self: LeafMember }> {
  if (room.state.groupActiveState.kind !== "active") {
    return invalid(`this client is no longer an active member (${room.state.groupActiveState.kind})`);
  }
  const read = groupViewOf(room.state.groupContext, room.state.ratchetTree);
  if (!read.ok) return invalid(read.reason);
  const self = read.view.members.find((member) => member.leafIndex === room.state.privatePath.leafIndex);
  if (self === undefined) return invalid("this client has no leaf in the group");
  return { ok: true, view: read.view, self };
}

/** newRoomState's options (name, participants, preauth, base policy, ...), and the MLS group's. */
export interface CreateRoomOptions extends Omit<NewRoomOptions, "creator" | "roles">, MemberOptions {
  /** the creating client's KeyPackage (newClientKeyPackage), in the room's cipher suite */
  readonly creator: ClientKeyPackage;
  /** default PresetRoleIndex.superAdmin */
  readonly creatorRoleIndex?: number;
  /** default cooperativelyAdministeredRoles() (room-policy-03 Appendix A.1) */
  readonly roles?: RoleData;
  /** default RoomCipherSuite.x25519 */
  readonly cipherSuite?: RoomCipherSuiteName;
  /** the Hub's signature key and credential, the group's first external sender (protocol-06 s.7.4) */
  readonly hubExternalSender: ExternalSender;
}

/**
 * Creates a room (protocol-06 s.3.1): an MLS group whose GroupContext holds
 *
 * - required_capabilities: app_data_dictionary, AppDataUpdate and SelfRemove
 *   (mls-extensions s.4.6-4.7, s.6.3), so every member supports them;
 * - external_senders: the Hub (protocol-06 s.7.4);
 * - app_data_dictionary (protocol-06 s.7.2): the participant list with the
 *   creator, the metadata, roles, base policy and preauthorization when
 *   given (roomBuilder.newRoomState), safe_aad listing frank_aad
 *   (protocol-06 s.5.4.1), and app_components listing every component the
 *   members must understand (mls-extensions s.5).
 *
 * Throws RangeError for options that make no room (a URI that is not a
 * canonical room URI, a creator KeyPackage of another suite or without a
 * MIMI client credential, participants newRoomState refuses), and ts-mls's
 * errors when it refuses the group (an external sender the authentication
 * service refuses).
 */
export async function createRoom(options: CreateRoomOptions): Promise<Room> {
  const room = parseMimiUri(options.roomUri);
  if (room?.kind !== "room" || room.uri !== options.roomUri) {
    throw new RangeError(`${JSON.stringify(options.roomUri)} is not a canonical MIMI room URI (mimi://<hub>/r/<room>)`);
  }
  const name = options.cipherSuite ?? RoomCipherSuite.x25519;
  const { publicPackage, privatePackage } = options.creator;
  if (publicPackage.cipherSuite !== name) {
    throw new RangeError(`the creator's KeyPackage is for ${publicPackage.cipherSuite}, not ${name}`);
  }
  const creator = credentialIdentity(publicPackage.leafNode.credential);
  if (!creator.ok) throw new RangeError(`the creator's credential: ${creator.error.reason}`);
  const initial = newRoomState({
    ...options,
    creator: { user: creator.identity.userUri, roleIndex: options.creatorRoleIndex ?? PresetRoleIndex.superAdmin },
    roles: options.roles ?? cooperativelyAdministeredRoles(),
  });
  const required = [
    ComponentId.safeAad,
    ComponentId.frankAad,
    ...roomComponents(initial).map((entry) => entry.componentId),
  ].sort((a, b) => a - b);
  const entries = roomComponents({
    ...initial,
    otherComponents: [
      { componentId: ComponentId.appComponents, data: encode(componentsList, { componentIds: required }) },
      { componentId: ComponentId.safeAad, data: encode(componentsList, { componentIds: [ComponentId.frankAad] }) },
    ],
  });
  const extensions: Extension[] = [
    {
      extensionType: "required_capabilities",
      extensionData: encodeRequiredCapabilities({
        extensionTypes: [ExtensionType.appDataDictionary],
        proposalTypes: [ProposalType.appDataUpdate, ProposalType.selfRemove],
        credentialTypes: [],
      }),
    },
    { extensionType: "external_senders", extensionData: encodeExternalSenders([options.hubExternalSender]) },
    { extensionType: ExtensionType.appDataDictionary, extensionData: encodeAppDataDictionary(entries) },
  ];
  const groupId = new TextEncoder().encode(`mimi://${room.domain}/g/${room.id}`);
  const state = await createGroup(
    groupId,
    publicPackage,
    privatePackage,
    extensions,
    await cipherSuiteImpl(name),
    clientConfigOf(options),
  );
  return { state, pendingProposals: [] };
}

function ratchetTreeOf(option: RatchetTreeOption): Outcome<{ tree: ClientState["ratchetTree"] }> {
  if (option.representation !== RatchetTreeRepresentation.full) {
    return invalid("only a full RatchetTreeOption is supported (ratchet-tree-options-03 s.3)");
  }
  return { ok: true, tree: extendRatchetTree(option.ratchetTree) };
}

export interface JoinRoomOptions extends MemberOptions {
  readonly welcome: Welcome;
  /** the tree the Welcome's GroupInfo omits (protocol-06 s.5.3, s.5.5) */
  readonly ratchetTreeOption: RatchetTreeOption;
  /** the KeyPackage the Welcome is for */
  readonly keyPackage: ClientKeyPackage;
}

/** Joins a room from the Welcome of a commit adding this client (protocol-06 s.3.2). */
export function joinRoom(options: JoinRoomOptions): Promise<Outcome<{ room: Room }>> {
  return guarded(async () => {
    if (!isRoomCipherSuite(options.welcome.cipherSuite))
      return invalid(`${options.welcome.cipherSuite} is not a room cipher suite`);
    const tree = ratchetTreeOf(options.ratchetTreeOption);
    if (!tree.ok) return tree;
    const state = await joinGroup(
      options.welcome,
      options.keyPackage.publicPackage,
      options.keyPackage.privatePackage,
      emptyPskIndex,
      await cipherSuiteImpl(options.welcome.cipherSuite),
      tree.tree,
      undefined,
      clientConfigOf(options),
    );
    const room: Room = { state, pendingProposals: [] };
    const view = activeView(room);
    return view.ok ? { ok: true, room } : view;
  });
}

function toTsMlsUpdate(update: AppDataUpdate): Proposal {
  const { componentId, change } = update;
  return makeAppDataUpdateProposal(
    change.op === AppDataUpdateOperation.update
      ? { componentId, op: "update", update: change.update }
      : { componentId, op: "remove" },
  );
}

/** A pending proposal and its sender by the base64 of its ProposalRef, as ts-mls keys them. */
type PendingLookup = (key: string) => SentProposal | undefined;

function pendingLookup(room: Room): PendingLookup {
  return (key) => {
    const pending = room.state.unappliedProposals[key];
    const recorded = room.pendingProposals.find((candidate) => bytesToBase64(candidate.ref) === key);
    return pending === undefined || recorded === undefined
      ? undefined
      : { proposal: pending.proposal, sender: recorded.sender };
  };
}

/** The pending proposals with their senders, in ts-mls's order (the order a commit names them in). */
function pendingOf(room: Room): Outcome<{ pending: SentProposal[] }> {
  const lookup = pendingLookup(room);
  const pending: SentProposal[] = [];
  for (const key of Object.keys(room.state.unappliedProposals)) {
    const found = lookup(key);
    if (found === undefined) return invalid(`no sender is recorded for the pending proposal ${key}`);
    pending.push(found);
  }
  return { ok: true, pending };
}

type CommitContent = FramedContentData & FramedContentCommitData;

function commitContentOf(message: PublicMessage): CommitContent | undefined {
  const { content } = message;
  return content.contentType === "commit" ? content : undefined;
}

/** A commit's change, its references resolved to pending proposals and their senders. */
function changeOfCommit(lookup: PendingLookup, view: GroupView, content: CommitContent): RoomChangeResult {
  const committer = proposalSenderOf(content.sender);
  const committed: CommittedProposal[] = [];
  for (const [index, entry] of content.commit.proposals.entries()) {
    if (entry.proposalOrRefType === "proposal") {
      committed.push({ proposal: entry.proposal, sender: committer, byReference: false });
      continue;
    }
    const key = bytesToBase64(entry.reference);
    const pending = lookup(key);
    if (pending === undefined) {
      const reason = `the commit names proposal ${key}, which is not pending here`;
      return {
        ok: false,
        refusals: [{ code: "malformed-change", section: "RFC 9420 s.12.4", operation: index, reason }],
      };
    }
    committed.push({ ...pending, byReference: true, ref: entry.reference });
  }
  const pathCredential = content.commit.path?.leafNode.credential;
  return roomChangeOf(view, committed, committer, pathCredential === undefined ? {} : { pathCredential });
}

/** What a member sends for a commit (protocol-06 s.5.3), with the room after it and the change it made. */
export interface CommitResult {
  readonly room: Room;
  readonly bundle: HandshakeBundle;
  readonly change: HandshakeRoomChange;
}

async function commitBundle(
  state: ClientState,
  commit: MLSMessage,
  welcome: Welcome | undefined,
  cs: CiphersuiteImpl,
): Promise<HandshakeBundle> {
  return {
    proposalOrCommit: commit,
    welcome,
    groupInfoOption: {
      representation: GroupInfoRepresentation.full,
      groupInfo: await createGroupInfoWithExternalPub(state, [], cs),
    },
    ratchetTreeOption: {
      representation: RatchetTreeRepresentation.full,
      ratchetTree: stripBlankNodes(state.ratchetTree),
    },
  };
}

/** A change the policy engine accepted, or every reason it is refused (mapping or policy). */
type Decision =
  | { readonly ok: true; readonly change: HandshakeRoomChange }
  | { readonly ok: false; readonly refusals: readonly Refusal[] };

function decide(view: GroupView, change: RoomChangeResult): Decision {
  if (!change.ok) return change;
  const authorized = authorize(view, change.change);
  return authorized.ok ? change : { ok: false, refusals: authorized.refusals };
}

/**
 * Commits the pending proposals by reference and `proposals` by value, as
 * a PublicMessage (protocol-06 s.4.2), and sends it only when the policy
 * engine accepts the change its receivers will read from it.
 */
function commit(
  room: Room,
  proposals: (view: GroupView) => Outcome<{ proposals: Proposal[] }>,
): Promise<Outcome<CommitResult>> {
  return guarded(async () => {
    const active = activeView(room);
    if (!active.ok) return active;
    const built = proposals(active.view);
    if (!built.ok) return built;
    const cs = await cipherSuiteOf(room.state);
    const created = await createCommit(
      { state: room.state, cipherSuite: cs },
      { wireAsPublicMessage: true, extraProposals: built.proposals, ratchetTreeExtension: false },
    );
    const content = created.commit.wireformat === "mls_public_message" && commitContentOf(created.commit.publicMessage);
    if (!content) return invalid("ts-mls did not produce a PublicMessage commit");
    const decision = decide(active.view, changeOfCommit(pendingLookup(room), active.view, content));
    if (!decision.ok) return refused(decision.refusals);
    return {
      ok: true,
      room: { state: created.newState, pendingProposals: [] },
      bundle: await commitBundle(created.newState, created.commit, created.welcome, cs),
      change: decision.change,
    };
  });
}

function addProposal(keyPackage: KeyPackage): Proposal {
  return { proposalType: "add", add: { keyPackage } };
}

function removeProposal(member: LeafMember): Proposal {
  return { proposalType: "remove", remove: { removed: member.leafIndex } };
}

function missingUsers(view: GroupView, users: readonly string[]): string[] {
  return users.filter((user) => !view.room.participantList?.participants.some((entry) => entry.user === user));
}

/** A user to add (protocol-06 s.3.2): its role and a KeyPackage for each of its clients. */
export interface NewParticipant {
  readonly userUri: string;
  readonly roleIndex: number;
  readonly keyPackages: readonly KeyPackage[];
}

/**
 * Adds users and their clients in one commit (protocol-06 s.3.2, s.5.3): the
 * ParticipantListUpdate adding them (an AppDataUpdate) and an Add for each
 * KeyPackage. The bundle's Welcome is for the new clients.
 */
export function addUsers(room: Room, users: readonly NewParticipant[]): Promise<Outcome<CommitResult>> {
  return commit(room, () => ({
    ok: true,
    proposals: [
      toTsMlsUpdate(addUsersUpdate(users.map(({ userUri, roleIndex }) => ({ user: userUri, roleIndex })))),
      ...users.flatMap((user) => user.keyPackages.map(addProposal)),
    ],
  }));
}

/** Adds further clients of participants (their own or, with canAddParticipant, another's; room-policy-03 s.8.1.1). */
export function addClients(room: Room, keyPackages: readonly KeyPackage[]): Promise<Outcome<CommitResult>> {
  return commit(room, () => ({ ok: true, proposals: keyPackages.map(addProposal) }));
}

/**
 * Removes users from the room (protocol-06 s.3.5): the ParticipantListUpdate
 * removing them and a Remove of each of their clients, in one commit.
 */
export function removeUsers(room: Room, userUris: readonly string[]): Promise<Outcome<CommitResult>> {
  return commit(room, (view) => {
    const missing = missingUsers(view, userUris);
    if (missing.length > 0) return invalid(`not in the participant list: ${missing.join(", ")}`);
    return {
      ok: true,
      proposals: [
        toTsMlsUpdate(removeUsersUpdate(view.room, userUris)),
        ...view.members.filter((member) => userUris.includes(member.userUri)).map(removeProposal),
      ],
    };
  });
}

/**
 * Gives participants new roles (room-policy-03 s.8.1.3). Banning an active
 * participant removes its clients in the same commit (protocol-06 s.5.3).
 */
export function changeRoles(
  room: Room,
  changes: readonly { readonly userUri: string; readonly roleIndex: number }[],
): Promise<Outcome<CommitResult>> {
  return commit(room, (view) => {
    const missing = missingUsers(
      view,
      changes.map((entry) => entry.userUri),
    );
    if (missing.length > 0) return invalid(`not in the participant list: ${missing.join(", ")}`);
    const banned = new Set(
      changes.filter((entry) => isBannedRole(view.room, entry.roleIndex)).map((entry) => entry.userUri),
    );
    return {
      ok: true,
      proposals: [
        toTsMlsUpdate(
          changeRolesUpdate(
            view.room,
            changes.map(({ userUri, roleIndex }) => ({ user: userUri, roleIndex })),
          ),
        ),
        ...view.members.filter((member) => banned.has(member.userUri)).map(removeProposal),
      ],
    };
  });
}

/** Replaces metadata fields (protocol-06 s.7.6: a RoomMetaUpdate carries the whole new value). */
export function updateMetadata(room: Room, changes: MetadataChanges): Promise<Outcome<CommitResult>> {
  return commit(room, (view) =>
    view.room.roomMetadata === undefined
      ? invalid("the room has no metadata")
      : { ok: true, proposals: [toTsMlsUpdate(metadataUpdate(view.room, changes))] },
  );
}

/** Commits the pending proposals (protocol-06 s.3.5: the Hub requires the next commit to include them). */
export function commitPending(room: Room): Promise<Outcome<CommitResult>> {
  return commit(room, () => ({ ok: true, proposals: [] }));
}

/** Proposals a member sends (protocol-06 s.5.3: the proposal case of a HandshakeBundle). */
export interface ProposalsResult {
  readonly room: Room;
  readonly bundle: HandshakeBundle;
  readonly change: HandshakeRoomChange;
}

export interface LeaveOptions {
  /** also remove this client's user from the participant list; default true */
  readonly removeUser?: boolean;
  /** also propose the Remove of the user's other clients (those without a pending removal); default true */
  readonly removeOtherClients?: boolean;
}

/** Leaves that pending proposals remove: SelfRemoves' senders and Removes' targets. */
function pendingRemovals(pending: readonly SentProposal[]): Set<number> {
  const leaves = new Set<number>();
  for (const { proposal, sender } of pending) {
    if (proposal.proposalType === "remove") leaves.add(proposal.remove.removed);
    if (proposal.proposalType === ProposalType.selfRemove && sender.kind === "member") leaves.add(sender.leafIndex);
  }
  return leaves;
}

/**
 * Leaves the room (protocol-06 s.3.5 with mls-extensions s.6.3): a SelfRemove
 * of this client, and by default Removes of the user's other clients and the
 * ParticipantListUpdate removing the user, all as PublicMessage proposals for
 * another member, or an external joiner, to commit. Checked together with
 * the pending proposals, which the commit will carry too.
 */
export function leave(room: Room, options: LeaveOptions = {}): Promise<Outcome<ProposalsResult>> {
  return guarded(async () => {
    const active = activeView(room);
    if (!active.ok) return active;
    const { view, self } = active;
    const pending = pendingOf(room);
    if (!pending.ok) return pending;
    const proposals: Proposal[] = [makeSelfRemoveProposal()];
    if (options.removeOtherClients !== false) {
      const removed = pendingRemovals(pending.pending);
      const others = view.members.filter(
        (member) =>
          member.userUri === self.userUri && member.leafIndex !== self.leafIndex && !removed.has(member.leafIndex),
      );
      proposals.push(...others.map(removeProposal));
    }
    if (options.removeUser !== false && missingUsers(view, [self.userUri]).length === 0) {
      proposals.push(toTsMlsUpdate(removeUsersUpdate(view.room, [self.userUri])));
    }
    const sender: ProposalSender = { kind: "member", leafIndex: self.leafIndex };
    const decision = decide(
      view,
      proposalChangeOf(
        view,
        proposals.map((proposal) => ({ proposal, sender })),
        pending.pending,
      ),
    );
    if (!decision.ok) return refused(decision.refusals);
    const cs = await cipherSuiteOf(room.state);
    let state = room.state;
    const recorded = [...room.pendingProposals];
    const messages: MLSMessage[] = [];
    for (const proposal of proposals) {
      const before = new Set(Object.keys(state.unappliedProposals));
      const sent = await createProposal(state, true, proposal, cs);
      state = sent.newState;
      recorded.push(...newRefs(before, state, sender));
      messages.push(sent.message);
    }
    const [first, ...moreProposals] = messages as [MLSMessage, ...MLSMessage[]];
    return {
      ok: true,
      room: { state, pendingProposals: recorded },
      bundle: { proposalOrCommit: first, moreProposals },
      change: decision.change,
    };
  });
}

/** The proposals ts-mls added to its pending list, with their sender. */
function newRefs(before: ReadonlySet<string>, state: ClientState, sender: ProposalSender): PendingProposalSender[] {
  return Object.keys(state.unappliedProposals)
    .filter((key) => !before.has(key))
    .map((key) => ({ ref: base64ToBytes(key), sender }));
}

export interface ExternalJoinOptions extends MemberOptions {
  /** the room's current GroupInfo (from the Hub, protocol-06 s.3.6 and s.5.6) */
  readonly groupInfo: GroupInfo;
  readonly ratchetTreeOption: RatchetTreeOption;
  /** the pending SelfRemove proposals of the GroupInfo's epoch, committed by reference (mls-extensions s.6.3) */
  readonly selfRemoveProposals?: readonly MLSMessage[];
  /** this new client's KeyPackage */
  readonly keyPackage: ClientKeyPackage;
}

/**
 * A new client of a participant joins by external commit (protocol-06
 * s.3.6), including the pending SelfRemoves by reference, and sends it only
 * when the policy engine accepts it (room-policy-03 s.8.1.1: canAddOwnClient).
 * The bundle has no Welcome.
 */
export function joinByExternalCommit(options: ExternalJoinOptions): Promise<Outcome<CommitResult>> {
  return guarded(async () => {
    const name = options.groupInfo.groupContext.cipherSuite;
    if (!isRoomCipherSuite(name)) return invalid(`${name} is not a room cipher suite`);
    const cs = await cipherSuiteImpl(name);
    const tree = ratchetTreeOf(options.ratchetTreeOption);
    if (!tree.ok) return tree;
    const read = groupViewOf(options.groupInfo.groupContext, tree.tree);
    if (!read.ok) return invalid(read.reason);
    const selfRemoves = options.selfRemoveProposals ?? [];
    const joined = await joinGroupExternal(
      options.groupInfo,
      options.keyPackage.publicPackage,
      options.keyPackage.privatePackage,
      false,
      cs,
      tree.tree,
      clientConfigOf(options),
      undefined,
      { selfRemoveProposals: [...selfRemoves] },
    );
    const references = new Map<string, SentProposal>();
    for (const message of selfRemoves) {
      if (message.wireformat !== "mls_public_message" || message.publicMessage.content.contentType !== "proposal") {
        return invalid("a SelfRemove is a PublicMessage proposal (mls-extensions s.6.3)");
      }
      const { content, auth } = message.publicMessage;
      const ref = await makeProposalRef({ wireformat: "mls_public_message", content, auth }, cs.hash);
      references.set(bytesToBase64(ref), { proposal: content.proposal, sender: proposalSenderOf(content.sender) });
    }
    const content = commitContentOf(joined.publicMessage);
    if (content === undefined) return invalid("ts-mls did not produce a commit");
    const decision = decide(
      read.view,
      changeOfCommit((key) => references.get(key), read.view, content),
    );
    if (!decision.ok) return refused(decision.refusals);
    const message: MLSMessage = {
      version: "mls10",
      wireformat: "mls_public_message",
      publicMessage: joined.publicMessage,
    };
    return {
      ok: true,
      room: { state: joined.newState, pendingProposals: [] },
      bundle: await commitBundle(joined.newState, message, undefined, cs),
      change: decision.change,
    };
  });
}

/** What processing a handshake did: the room after it, the change it made, and whether it removed this client. */
export interface HandshakeResult {
  readonly room: Room;
  readonly change: HandshakeRoomChange;
  readonly removed: boolean;
}

/**
 * Processes a PublicMessage proposal or commit from another member, an
 * external sender or a joiner (protocol-06 s.4.2), with the MIMI component
 * handlers, and accepts it only when the policy engine accepts its change,
 * read against the room before it. `moreProposals` are the proposals sent
 * with a proposal (a HandshakeBundle's or FanoutMessage's, protocol-06 s.5.3,
 * s.5.5), checked together with it and the pending proposals; a commit comes
 * alone. MLS validity is checked first: a message ts-mls refuses is invalid
 * whatever the policy says.
 */
export function processHandshake(
  room: Room,
  message: MLSMessage,
  moreProposals: readonly MLSMessage[] = [],
): Promise<Outcome<HandshakeResult>> {
  return guarded(async () => {
    const active = activeView(room);
    if (!active.ok) return active;
    const { view } = active;
    const messages = [message, ...moreProposals];
    const contents: PublicMessage[] = [];
    for (const entry of messages) {
      if (entry.wireformat !== "mls_public_message") {
        return invalid("handshake messages travel as PublicMessages (protocol-06 s.4.2)");
      }
      const { content } = entry.publicMessage;
      if (content.epoch !== room.state.groupContext.epoch) {
        return invalid(`the message is for epoch ${content.epoch}, the room is at ${room.state.groupContext.epoch}`);
      }
      contents.push(entry.publicMessage);
    }
    const [first] = contents as [PublicMessage, ...PublicMessage[]];
    const cs = await cipherSuiteOf(room.state);
    const commitContent = commitContentOf(first);
    if (commitContent !== undefined) {
      if (moreProposals.length > 0) return invalid("a commit is processed alone");
      const decision = decide(view, changeOfCommit(pendingLookup(room), view, commitContent));
      if (!decision.ok) return refuseVerified(first, room.state, cs, decision.refusals);
      const processed = await processMessage(
        { wireformat: "mls_public_message", publicMessage: first },
        room.state,
        emptyPskIndex,
        acceptAll,
        cs,
      );
      const next: Room = { state: processed.newState, pendingProposals: [] };
      const removed = next.state.groupActiveState.kind === "removedFromGroup";
      if (!removed) {
        const after = activeView(next);
        if (!after.ok) return after;
      }
      return { ok: true, room: next, change: decision.change, removed };
    }
    const sent: SentProposal[] = [];
    for (const { content } of contents) {
      if (content.contentType !== "proposal") {
        return invalid("a handshake is a commit, or proposals sent together (protocol-06 s.5.3)");
      }
      sent.push({ proposal: content.proposal, sender: proposalSenderOf(content.sender) });
    }
    const pending = pendingOf(room);
    if (!pending.ok) return pending;
    const decision = decide(view, proposalChangeOf(view, sent, pending.pending));
    if (!decision.ok) return refuseVerified(first, room.state, cs, decision.refusals);
    let state = room.state;
    const recorded = [...room.pendingProposals];
    for (const [index, publicMessage] of contents.entries()) {
      const before = new Set(Object.keys(state.unappliedProposals));
      const processed = await processMessage(
        { wireformat: "mls_public_message", publicMessage },
        state,
        emptyPskIndex,
        acceptAll,
        cs,
      );
      state = processed.newState;
      recorded.push(...newRefs(before, state, (sent[index] as SentProposal).sender));
    }
    return { ok: true, room: { state, pendingProposals: recorded }, change: decision.change, removed: false };
  });
}

/**
 * The refusal of a handshake, after ts-mls has checked it (signature,
 * membership, proposals) and rejected it, so that MLS-invalid input is
 * reported as invalid whatever the policy says.
 */
async function refuseVerified(
  publicMessage: PublicMessage,
  state: ClientState,
  cs: CiphersuiteImpl,
  refusals: readonly Refusal[],
): Promise<Outcome<never>> {
  await processMessage({ wireformat: "mls_public_message", publicMessage }, state, emptyPskIndex, () => "reject", cs);
  return refused(refusals);
}

/**
 * protocol-06 s.5.4.1.1: franking_tag = HMAC_SHA256(salt, application_data),
 * the salt being the MIMI content's 128-bit salt.
 */
export function frankingTag(salt: Uint8Array, applicationData: Uint8Array): Uint8Array {
  return hmac(sha256, salt, applicationData);
}

/** The room's safe_aad component (mls-extensions s.5): the SafeAAD components every member understands, or undefined. */
function safeAadComponents(room: RoomState): readonly number[] | undefined {
  const entry = room.otherComponents.find((component) => component.componentId === ComponentId.safeAad);
  return entry === undefined ? undefined : decode(componentsList, entry.data).componentIds;
}

export interface SendOptions {
  /** the frank_aad item to carry (protocol-06 s.5.4.1): 32 bytes, see frankingTag */
  readonly frankingTag?: Uint8Array;
}

/**
 * An application message (protocol-06 s.3.4, s.4.2): a PrivateMessage whose
 * authenticated_data is a SafeAAD (mls-extensions s.4.9) when the room has
 * the safe_aad component, carrying the frank_aad item when a franking tag is
 * given. Sent only when the policy engine lets this client's user send
 * (room-policy-03 s.8.3, protocol-06 s.5.3).
 */
export function sendMessage(
  room: Room,
  content: Uint8Array,
  options: SendOptions = {},
): Promise<Outcome<{ room: Room; message: MLSMessage }>> {
  return guarded(async () => {
    const active = activeView(room);
    if (!active.ok) return active;
    const authorized = authorize(active.view, { kind: "applicationMessage", sender: memberActor(active.self) });
    if (!authorized.ok) return refused(authorized.refusals);
    const components = safeAadComponents(active.view.room);
    const tag = options.frankingTag;
    if (tag !== undefined && !(components ?? []).includes(ComponentId.frankAad)) {
      return invalid("the room's safe_aad component does not list frank_aad (protocol-06 s.5.4.1)");
    }
    const aad: SafeAad = {
      aadItems:
        tag === undefined
          ? []
          : [{ componentId: ComponentId.frankAad, aadItemData: encode(frankAad, { frankingTag: tag }) }],
    };
    const authenticatedData = components === undefined ? new Uint8Array(0) : encode(safeAad, aad);
    const cs = await cipherSuiteOf(room.state);
    const created = await createApplicationMessage(room.state, content, cs, authenticatedData);
    return {
      ok: true,
      room: { ...room, state: created.newState },
      message: { version: "mls10", wireformat: "mls_private_message", privateMessage: created.privateMessage },
    };
  });
}

/** A message received: its content, sender, and authenticated data. */
export interface ReceivedMessage {
  readonly room: Room;
  readonly content: Uint8Array;
  readonly sender: LeafMember;
  /** the SafeAAD, when the room frames authenticated_data with it */
  readonly safeAad: SafeAad | undefined;
  /** the frank_aad item's franking tag, when present */
  readonly frankingTag: Uint8Array | undefined;
  /** authenticated_data as received */
  readonly authenticatedData: Uint8Array;
}

/**
 * Decrypts an application message of the current or a retained earlier
 * epoch, refusing one whose sender may not send (protocol-06 s.5.3,
 * room-policy-03 s.8.3, against the room of the message's epoch), and reads
 * its authenticated_data strictly as a SafeAAD when that epoch's room has the
 * safe_aad component (mls-extensions s.4.9), with the frank_aad item as a
 * FrankAAD.
 */
export function receiveMessage(room: Room, message: MLSMessage): Promise<Outcome<ReceivedMessage>> {
  return guarded(async () => {
    if (message.wireformat !== "mls_private_message" || message.privateMessage.contentType !== "application") {
      return invalid("an application message is a PrivateMessage with application content (protocol-06 s.4.2)");
    }
    const privateMessage = message.privateMessage;
    const { state } = room;
    const epochData =
      privateMessage.epoch === state.groupContext.epoch
        ? {
            senderDataSecret: state.keySchedule.senderDataSecret,
            groupContext: state.groupContext,
            ratchetTree: state.ratchetTree,
          }
        : state.historicalReceiverData.get(privateMessage.epoch);
    if (epochData === undefined) return invalid(`no keys are retained for epoch ${privateMessage.epoch}`);
    const cs = await cipherSuiteOf(state);
    const processed = await processMessage(message, state, emptyPskIndex, acceptAll, cs);
    if (processed.kind !== "applicationMessage") return invalid("not an application message");
    const senderData = await decryptSenderData(privateMessage, epochData.senderDataSecret, cs);
    if (senderData === undefined) return invalid("the sender data does not decrypt");
    const read = groupViewOf(epochData.groupContext, epochData.ratchetTree);
    if (!read.ok) return invalid(read.reason);
    const sender = read.view.members.find((member) => member.leafIndex === senderData.leafIndex);
    if (sender === undefined) return invalid(`leaf ${senderData.leafIndex} is not a member`);
    const authorized = authorize(read.view, { kind: "applicationMessage", sender: memberActor(sender) });
    if (!authorized.ok) return refused(authorized.refusals);
    const { authenticatedData } = privateMessage;
    const framed = safeAadComponents(read.view.room) === undefined ? undefined : decode(safeAad, authenticatedData);
    const frankItem = framed?.aadItems.find((item) => item.componentId === ComponentId.frankAad);
    return {
      ok: true,
      room: { ...room, state: processed.newState },
      content: processed.message,
      sender,
      safeAad: framed,
      frankingTag: frankItem === undefined ? undefined : decode(frankAad, frankItem.aadItemData).frankingTag,
      authenticatedData,
    };
  });
}

/** A participant and its clients in the group. */
export interface ParticipantInfo {
  readonly userUri: string;
  readonly roleIndex: number;
  /** the role's name in the roles list, when defined */
  readonly roleName: string | undefined;
  readonly clients: readonly string[];
}

export interface RoomInfo {
  readonly roomUri: string | undefined;
  readonly epoch: bigint;
  /** false once this client is removed (groupActiveState) */
  readonly active: boolean;
  /** this client's leaf, undefined once removed */
  readonly self: LeafMember | undefined;
  readonly metadata: RoomMetaData | undefined;
  readonly participants: readonly ParticipantInfo[];
  readonly members: readonly LeafMember[];
  readonly pendingProposals: number;
  /** every component, decoded */
  readonly state: RoomState;
}

/**
 * What a client shows of its room. Throws RangeError when the room's
 * GroupContext does not read as a room, which no Room this module returns
 * has.
 */
export function roomInfo(room: Room): RoomInfo {
  const read = groupViewOf(room.state.groupContext, room.state.ratchetTree);
  if (!read.ok) throw new RangeError(read.reason);
  const { view } = read;
  const utf8 = new TextDecoder();
  return {
    roomUri: view.room.roomMetadata?.roomUri,
    epoch: room.state.groupContext.epoch,
    active: room.state.groupActiveState.kind === "active",
    self:
      room.state.groupActiveState.kind === "removedFromGroup"
        ? undefined
        : view.members.find((member) => member.leafIndex === room.state.privatePath.leafIndex),
    metadata: view.room.roomMetadata,
    participants: (view.room.participantList?.participants ?? []).map(({ user, roleIndex }) => {
      const role = roleDefinition(view.room, roleIndex);
      return {
        userUri: user,
        roleIndex,
        roleName: role === undefined ? undefined : utf8.decode(role.roleName),
        clients: view.members.filter((member) => member.userUri === user).map((member) => member.clientUri),
      };
    }),
    members: view.members,
    pendingProposals: room.pendingProposals.length,
    state: view.room,
  };
}

/** ts-mls's encoding of its GroupState (keys, tree, GroupContext, pending proposals). */
const groupState = external("GroupState", encodeGroupState, decodeGroupState);

/**
 * A stored room: format version 1, ts-mls's GroupState encoding as an
 * `opaque<V>`, and the pending proposals' refs and senders (RFC 9420 s.6 Sender).
 */
const roomRecord = struct("RoomRecord", {
  version: uint8,
  groupState: varOpaque(),
  pendingProposals: vector(
    struct("PendingProposalSender", { ref: varOpaque(), sender: external("Sender", encodeSender, decodeSender) }),
  ),
});

const ROOM_RECORD_VERSION = 1;

/** The room as bytes for storage (decodeRoom reads them back); keys included, so store them as secrets. */
export function encodeRoom(room: Room): Uint8Array {
  return encode(roomRecord, {
    version: ROOM_RECORD_VERSION,
    groupState: encode(groupState, room.state),
    pendingProposals: room.pendingProposals.map(({ ref, sender }) => ({ ref, sender: tsMlsSender(sender) })),
  });
}

/**
 * Reads a stored room strictly: exactly one record of version 1 in its
 * canonical encoding, a GroupState filling its bytes, a sender for every
 * pending proposal and no other, and a GroupContext that reads as a room.
 */
export function decodeRoom(bytes: Uint8Array, options: MemberOptions = {}): Outcome<{ room: Room }> {
  let record: ValueOf<typeof roomRecord>;
  let state: GroupState;
  try {
    record = decode(roomRecord, bytes);
    if (record.version !== ROOM_RECORD_VERSION) return invalid(`unknown room record version ${record.version}`);
    state = decode(groupState, record.groupState);
  } catch (error) {
    if (error instanceof CodecError) return invalid(`${error.name}: ${error.message}`);
    throw error;
  }
  const room: Room = {
    state: { ...state, clientConfig: clientConfigOf(options) },
    pendingProposals: record.pendingProposals.map(({ ref, sender }) => ({ ref, sender: proposalSenderOf(sender) })),
  };
  const again = encodeRoom(room);
  if (again.length !== bytes.length || !again.every((byte, i) => byte === bytes[i])) {
    return invalid("the room record is not in its canonical encoding");
  }
  const pendingKeys = room.pendingProposals.map(({ ref }) => bytesToBase64(ref)).sort();
  const stateKeys = Object.keys(room.state.unappliedProposals).sort();
  if (pendingKeys.length !== stateKeys.length || pendingKeys.some((key, i) => key !== stateKeys[i])) {
    return invalid("the pending proposals' senders do not match the group state's pending proposals");
  }
  if (!isRoomCipherSuite(room.state.groupContext.cipherSuite)) {
    return invalid(`${room.state.groupContext.cipherSuite} is not a room cipher suite`);
  }
  const read = groupViewOf(room.state.groupContext, room.state.ratchetTree);
  return read.ok ? { ok: true, room } : invalid(read.reason);
}
