import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { CodecError, decode, encode } from "@mimi-ts/codec";
import {
  ContentError,
  computeMessageId,
  decode as decodeContent,
  deleteMessage,
  edit,
  encode as encodeContent,
  type MimiContent,
  original,
  reaction,
  reply,
} from "@mimi-ts/content";
import {
  type FanoutMessage,
  fanoutMessage,
  GROUP_INFO_ENCRYPTION_LABEL,
  GroupInfoCode,
  type GroupInfoRatchetTreeTbe,
  type GroupInfoRequest,
  groupInfoRatchetTreeTbe,
  groupInfoRequestTbs,
  groupInfoRequestToBeSigned,
  groupInfoResponseTbs,
  groupInfoResponseToBeSigned,
  type HandshakeBundle,
  KeyMaterialClientCode,
  type KeyMaterialRequest,
  KeyMaterialUserCode,
  keyMaterialRequestTbs,
  keyMaterialRequestToBeSigned,
  mlsMessage,
  ProposalType,
  Protocol,
  parseMimiUri,
  type RatchetTreeOption,
  RatchetTreeRepresentation,
  SignatureLabel,
  SubmitResponseCode,
  type SuccessfulGroupInfoResponse,
  UpdateResponseCode,
  type UpdateRoomResponse,
} from "@mimi-ts/protocol";
import * as roomMember from "@mimi-ts/room";
import {
  basicCredential,
  buildClientUri,
  type MemberError,
  type Outcome,
  PresetRoleIndex,
  type Room,
  RoomCipherSuite,
  type RoomCipherSuiteName,
  type RoomInfo,
} from "@mimi-ts/room";
import {
  type CiphersuiteImpl,
  createGroupInfoWithExternalPub,
  decodeExternalSenders,
  decodeRequiredCapabilities,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  type MLSMessage,
  type RequiredCapabilities,
  type Welcome,
} from "ts-mls";
import { decryptWithLabel } from "ts-mls/crypto/hpke.js";
import { signWithLabel, verifyWithLabel } from "ts-mls/crypto/signature.js";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import { stripBlankNodes } from "ts-mls/ratchetTree.js";
import { type ConversationMessage, conversationOf } from "./conversation.js";
import { ClientError } from "./errors.js";
import { withDirectoryLock } from "./files.js";
import { HttpsProviderApi } from "./httpsProvider.js";
import { HttpsRoomTransport } from "./httpsRoomTransport.js";
import { FANOUT_EVENT, type InboxEvent, type ProviderApi } from "./providerApi.js";
import { providerBaseUrl } from "./providerConnection.js";
import type { RoomTransport } from "./roomTransport.js";
import { type DeviceState, type LoggedMessage, type RoomRecord, StateStore, type StoredKeyPackage } from "./state.js";
import { messageIdFromHex, toHex } from "./strictJson.js";

/** Where the provider's client API is. */
export interface ProviderEndpoint {
  readonly url: string;
  /** the CA file the provider's certificate chains to; undefined: the system's trust store */
  readonly caFile: string | undefined;
}

/** What a room transport needs to act for the device at its provider. */
export interface DeviceAccess extends ProviderEndpoint {
  readonly clientUri: string;
  readonly userUri: string;
  readonly token: string;
}

export interface ClientOptions {
  /** how to reach the provider's client API; default HTTPS (HttpsProviderApi) with the device's URL and CA */
  readonly provider?: (endpoint: ProviderEndpoint) => ProviderApi;
  /** the room endpoints; default the provider's client API over HTTPS (HttpsRoomTransport) with the device's token */
  readonly rooms?: (device: DeviceAccess) => RoomTransport;
  /** how long sync keeps listening once no event has come for this long; default 500 ms */
  readonly settleMs?: number;
  /** the clock deciding message expiry (milliseconds since the epoch); default Date.now */
  readonly now?: () => number;
}

export interface RegisterOptions {
  /** the state directory; it must not hold a device yet */
  readonly home: string;
  /** the provider's https base URL */
  readonly provider: string;
  /** `mimi://<provider domain>/u/<user>` */
  readonly userUri: string;
  /** the PEM file of the CA to trust for the provider (a devnet's ca.pem) */
  readonly ca?: string;
  /** the client id in the client URI; default 16 random hex digits */
  readonly clientId?: string;
  /** the token of another device of the user: the provider requires it once the user has a device */
  readonly authorizingToken?: string;
  /** default RoomCipherSuite.x25519 */
  readonly cipherSuite?: RoomCipherSuiteName;
}

export interface PublishResult {
  /** hex KeyPackageRefs of the KeyPackages generated and uploaded */
  readonly keyPackageRefs: readonly string[];
  /** how many the provider stored (others were duplicates) */
  readonly stored: number;
  /** KeyPackages of this device waiting for a Welcome, these included */
  readonly available: number;
}

/** An inbox event that had no effect, and why (a message MLS or the policy refused, a Welcome for no KeyPackage here...). */
export interface RejectedEvent {
  readonly cursor: number;
  readonly roomUri: string;
  readonly reason: string;
}

export interface SyncResult {
  /** the cursor after the sync: every event up to it has been handled */
  readonly cursor: number;
  /** events handled by this sync */
  readonly events: number;
  /** rooms joined from a Welcome */
  readonly joined: readonly string[];
  /** rooms this device was removed from */
  readonly removedFrom: readonly string[];
  /** commits and proposals of other members applied */
  readonly handshakes: number;
  /** application messages received and logged */
  readonly messages: number;
  readonly rejected: readonly RejectedEvent[];
}

export interface RoomSummary {
  readonly roomUri: string;
  readonly name: string | undefined;
  readonly epoch: bigint;
  /** false once this device was removed */
  readonly active: boolean;
  /** messages in the conversation (edits, deletes and reactions fold into them) */
  readonly messages: number;
}

/** A room this device created. */
export interface CreatedRoom {
  readonly roomUri: string;
}

/** A handshake (commit or proposals) the Hub accepted. */
export interface RoomChangeResult {
  readonly roomUri: string;
  /** this device's epoch of the room afterwards */
  readonly epoch: bigint;
  /** the Hub's accepted timestamp, milliseconds since the epoch */
  readonly acceptedAt: number;
}

/** A MIMI content message the Hub accepted. */
export interface SentMessage {
  readonly roomUri: string;
  /** hex message ID (content-08 s.3.3) */
  readonly messageId: string;
  readonly acceptedAt: number;
}

const DEFAULT_SETTLE_MS = 500;
/** The most KeyPackages one upload carries (the client API takes bodies up to 1 MiB). */
export const MAX_KEY_PACKAGES_PER_UPLOAD = 100;

const suites = new Map<string, Promise<CiphersuiteImpl>>();

function suiteImpl(name: RoomCipherSuiteName): Promise<CiphersuiteImpl> {
  let suite = suites.get(name);
  if (suite === undefined) {
    suite = getCiphersuiteImpl(getCiphersuiteFromName(name));
    suites.set(name, suite);
  }
  return suite;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** SHA-256 of an MLSMessage's encoding: how a device recognizes its own messages coming back from the Hub. */
function messageDigest(message: MLSMessage): string {
  return createHash("sha256").update(encode(mlsMessage, message)).digest("hex");
}

function describeMemberError(error: MemberError): string {
  if (error.kind === "invalid") return error.reason;
  return `refused by the room policy: ${error.refusals.map((refusal) => `${refusal.reason} (${refusal.section})`).join("; ")}`;
}

function expectOk<T>(outcome: Outcome<T>): { readonly ok: true } & T {
  if (!outcome.ok) throw new ClientError(describeMemberError(outcome.error));
  return outcome;
}

type UpdateRefusal = Exclude<UpdateRoomResponse, { readonly responseCode: typeof UpdateResponseCode.success }>;

function describeUpdateRefusal(roomUri: string, response: UpdateRefusal): string {
  const because = response.errorDescription === "" ? "" : `: ${response.errorDescription}`;
  switch (response.responseCode) {
    case UpdateResponseCode.wrongEpoch:
      return `the Hub of ${roomUri} is at epoch ${response.currentEpoch}, this device is not: run sync, then retry`;
    case UpdateResponseCode.notAllowed:
      return `the Hub of ${roomUri} refused the change${because}`;
    case UpdateResponseCode.invalidProposal:
      return `the Hub of ${roomUri} found invalid proposals (${response.invalidProposals.map(toHex).join(", ")})${because}`;
  }
}

function keyMaterialUserCodeName(code: number): string {
  return Object.entries(KeyMaterialUserCode).find(([, value]) => value === code)?.[0] ?? String(code);
}

/** A canonical room URI, `mimi://<hub>/r/<room>`. */
function checkRoomUri(roomUri: string): string {
  const parsed = parseMimiUri(roomUri);
  if (parsed?.kind !== "room" || parsed.uri !== roomUri) {
    throw new ClientError(`${JSON.stringify(roomUri)} is not a canonical MIMI room URI (mimi://<hub>/r/<room>)`);
  }
  return roomUri;
}

/** What the GroupContext requires of every member's capabilities, to ask KeyPackages that meet it (protocol-06 s.5.2). */
function requiredCapabilitiesOf(room: Room): RequiredCapabilities {
  const entry = room.state.groupContext.extensions.find(
    (extension) => extension.extensionType === "required_capabilities",
  );
  const decoded = entry === undefined ? undefined : decodeRequiredCapabilities(entry.extensionData, 0)?.[0];
  return decoded ?? { extensionTypes: [], proposalTypes: [], credentialTypes: [] };
}

function isSelfRemove(message: MLSMessage): boolean {
  return (
    message.wireformat === "mls_public_message" &&
    message.publicMessage.content.contentType === "proposal" &&
    message.publicMessage.content.proposal.proposalType === ProposalType.selfRemove
  );
}

function isActive(room: Room): boolean {
  return room.state.groupActiveState.kind === "active";
}

/** Counts of what a sync did, gathered event by event. */
class SyncTally {
  events = 0;
  handshakes = 0;
  messages = 0;
  readonly joined: string[] = [];
  readonly removedFrom: string[] = [];
  readonly rejected: RejectedEvent[] = [];

  reject(event: InboxEvent, reason: string): void {
    this.rejected.push({ cursor: event.cursor, roomUri: event.roomId, reason });
  }
}

/**
 * A MIMI client device: its state in a home directory (StateStore), its
 * provider's client API (ProviderApi) and the room endpoints
 * (RoomTransport). Every operation reads the state from
 * disk and writes what it changes before returning, holding the home
 * directory's lock, so several Client objects or processes may use one home
 * one after the other.
 */
export class Client {
  private readonly store: StateStore;
  private readonly provider: ProviderApi;
  private readonly transport: RoomTransport;
  private readonly settleMs: number;
  private readonly now: () => number;

  private constructor(
    readonly home: string,
    private readonly device: DeviceState,
    connections: { readonly provider: ProviderApi; readonly transport: RoomTransport },
    options: ClientOptions,
  ) {
    this.store = new StateStore(home);
    this.provider = connections.provider;
    this.transport = connections.transport;
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.now = options.now ?? Date.now;
  }

  get clientUri(): string {
    return this.device.clientUri;
  }

  get userUri(): string {
    return this.device.userUri;
  }

  get providerUrl(): string {
    return this.device.providerUrl;
  }

  /**
   * Registers a new device of `userUri` at the provider and creates its
   * state in `home`: a fresh signature key pair, and the client URI
   * `mimi://<domain>/d/<user>/<clientId>` (identity.ts's rule), the client
   * id being 16 random hex digits unless given.
   */
  static async register(options: RegisterOptions, clientOptions: ClientOptions = {}): Promise<Client> {
    const store = new StateStore(options.home);
    await store.create();
    return withDirectoryLock(options.home, async () => {
      if (await store.hasDevice()) {
        const existing = await store.readDevice();
        throw new ClientError(`${options.home} already holds the device ${existing.clientUri}`);
      }
      const url = providerBaseUrl(options.provider);
      const caFile = options.ca === undefined ? undefined : resolve(options.ca);
      const ca = await readCa(caFile);
      const provider = providerFor({ url, caFile }, ca, clientOptions);
      let clientUri: string;
      try {
        clientUri = buildClientUri(options.userUri, options.clientId ?? randomBytes(8).toString("hex"));
      } catch (error) {
        throw new ClientError((error as Error).message);
      }
      const cipherSuite = options.cipherSuite ?? RoomCipherSuite.x25519;
      const signatureKeyPair = await (await suiteImpl(cipherSuite)).signature.keygen();
      const { token } = await provider.registerDevice(
        { clientUri, userUri: options.userUri },
        options.authorizingToken,
      );
      const device: DeviceState = {
        providerUrl: url,
        caFile,
        clientUri,
        userUri: options.userUri,
        token,
        cipherSuite,
        signatureKeyPair,
        cursor: 0,
        keyPackages: [],
      };
      await store.writeDevice(device);
      return new Client(
        options.home,
        device,
        { provider, transport: transportFor(device, ca, clientOptions) },
        clientOptions,
      );
    });
  }

  /** Opens the device registered in `home`. */
  static async open(home: string, clientOptions: ClientOptions = {}): Promise<Client> {
    const device = await new StateStore(home).readDevice();
    const ca = await readCa(device.caFile);
    const provider = providerFor({ url: device.providerUrl, caFile: device.caFile }, ca, clientOptions);
    return new Client(home, device, { provider, transport: transportFor(device, ca, clientOptions) }, clientOptions);
  }

  /** The device's bearer token, for registering another device of the same user. */
  async token(): Promise<string> {
    return (await this.store.readDevice()).token;
  }

  /**
   * Generates `count` KeyPackages (newClientKeyPackage, with the device's
   * signature key), keeps their private parts and uploads them. The private
   * parts are stored first: once the provider has a KeyPackage, a Welcome
   * may name it.
   */
  async publishKeyPackages(count: number): Promise<PublishResult> {
    if (!Number.isSafeInteger(count) || count < 1 || count > MAX_KEY_PACKAGES_PER_UPLOAD) {
      throw new ClientError(`the count of KeyPackages must be 1 to ${MAX_KEY_PACKAGES_PER_UPLOAD}, not ${count}`);
    }
    return this.locked(async () => {
      const device = await this.store.readDevice();
      const cs = await suiteImpl(device.cipherSuite);
      const generated: StoredKeyPackage[] = [];
      for (let i = 0; i < count; i += 1) {
        const { publicPackage, privatePackage } = await roomMember.newClientKeyPackage(device.clientUri, {
          cipherSuite: device.cipherSuite,
          signatureKeyPair: device.signatureKeyPair,
        });
        generated.push({
          ref: await makeKeyPackageRef(publicPackage, cs.hash),
          publicPackage,
          initPrivateKey: privatePackage.initPrivateKey,
          hpkePrivateKey: privatePackage.hpkePrivateKey,
        });
      }
      const keyPackages = [...device.keyPackages, ...generated];
      await this.store.writeDevice({ ...device, keyPackages });
      const upload = await this.provider.uploadKeyPackages(
        device.token,
        generated.map((stored) => stored.publicPackage),
      );
      const refs = generated.map((stored) => toHex(stored.ref));
      if (upload.keyPackageRefs.join() !== refs.join()) {
        throw new ClientError(
          `the provider names other KeyPackageRefs than this device computed: ${upload.keyPackageRefs.join(", ")}`,
        );
      }
      return { keyPackageRefs: refs, stored: upload.stored, available: keyPackages.length };
    });
  }

  /**
   * Reads the inbox from the stored cursor and applies each event: Welcomes
   * (joining with the KeyPackage they name), commits and proposals
   * (processHandshake), application messages (receiveMessage, then the MIMI
   * content and its message ID into the room's log). The cursor advances
   * only after an event's effects are stored; an event that cannot be
   * applied is reported in `rejected` and passed. Returns once no event has
   * come for the settle time and `waitSeconds` have passed.
   */
  async sync(options: { readonly waitSeconds?: number } = {}): Promise<SyncResult> {
    const waitSeconds = options.waitSeconds ?? 0;
    if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
      throw new ClientError(`the wait must be a non-negative number of seconds, not ${waitSeconds}`);
    }
    return this.locked(async () => {
      let device = await this.store.readDevice();
      const tally = new SyncTally();
      const deadline = Date.now() + waitSeconds * 1000;
      const stream = this.provider.openEvents(device.token, device.cursor);
      const events = stream[Symbol.asyncIterator]();
      try {
        for (;;) {
          const next = await nextWithin(events, Math.max(deadline - Date.now(), this.settleMs));
          if (next === undefined || next.done === true) break;
          const event = next.value;
          // A provider resending what is handled (a reconnect) changes nothing.
          if (event.cursor <= device.cursor) continue;
          device = await this.applyEvent(device, event, tally);
          device = { ...device, cursor: event.cursor };
          await this.store.writeDevice(device);
          tally.events += 1;
        }
      } finally {
        stream.close();
      }
      return {
        cursor: device.cursor,
        events: tally.events,
        joined: tally.joined,
        removedFrom: tally.removedFrom,
        handshakes: tally.handshakes,
        messages: tally.messages,
        rejected: tally.rejected,
      };
    });
  }

  /** Every room this device has state for. */
  async rooms(): Promise<RoomSummary[]> {
    return (await this.store.listRooms()).map((record) => {
      const info = roomMember.roomInfo(record.room);
      return {
        roomUri: record.roomUri,
        name: info.metadata?.roomName,
        epoch: info.epoch,
        active: info.active,
        messages: conversationOf(record.messages, this.now()).length,
      };
    });
  }

  /** The room's conversation (content-08's reduceConversation over the message log), in hub order. */
  async messages(roomUri: string): Promise<ConversationMessage[]> {
    return conversationOf((await this.readRoom(roomUri)).messages, this.now());
  }

  /** The room as this device sees it (roomMember.roomInfo): participants and roles, MLS members, metadata, epoch. */
  async roomInfo(roomUri: string): Promise<RoomInfo> {
    return roomMember.roomInfo((await this.readRoom(roomUri)).room);
  }

  /**
   * Creates a room hosted by this device's provider (protocol-06 s.3.1):
   * the Hub's external sender goes in the group, the creator is super admin
   * (room-policy-03 Appendix A.1 roles), and the Hub gets the first GroupInfo
   * and tree. The room URI defaults to `mimi://<provider domain>/r/<16 random hex digits>`.
   */
  async createRoom(options: { readonly roomUri?: string; readonly name?: string } = {}): Promise<CreatedRoom> {
    return this.locked(async () => {
      const device = await this.store.readDevice();
      const domain = parseMimiUri(device.userUri)?.domain;
      const roomUri = checkRoomUri(options.roomUri ?? `mimi://${domain}/r/${randomBytes(8).toString("hex")}`);
      if ((await this.store.readRoom(roomUri)) !== undefined) {
        throw new ClientError(`this device already has the room ${roomUri}`);
      }
      const hubExternalSender = await this.transport.hubExternalSender(roomUri, device.cipherSuite);
      const creator = await roomMember.newClientKeyPackage(device.clientUri, {
        cipherSuite: device.cipherSuite,
        signatureKeyPair: device.signatureKeyPair,
      });
      let room: Room;
      try {
        room = await roomMember.createRoom({
          roomUri,
          creator,
          hubExternalSender,
          cipherSuite: device.cipherSuite,
          ...(options.name === undefined ? {} : { name: options.name }),
        });
      } catch (error) {
        if (error instanceof RangeError) throw new ClientError(error.message);
        throw error;
      }
      const groupInfo = await createGroupInfoWithExternalPub(room.state, [], await suiteImpl(device.cipherSuite));
      await this.transport.createRoom(roomUri, {
        groupInfo,
        ratchetTreeOption: {
          representation: RatchetTreeRepresentation.full,
          ratchetTree: stripBlankNodes(room.state.ratchetTree),
        },
      });
      await this.store.writeRoom({ roomUri, appliedCursor: device.cursor, room, recentlySent: [], messages: [] });
      return { roomUri };
    });
  }

  /**
   * Adds users with a role (default ordinary user) and every client each
   * has a KeyPackage for, claimed through the Hub (protocol-06 s.3.2,
   * s.5.2), in one commit. Users without any KeyPackage are an error.
   */
  addUsers(
    roomUri: string,
    userUris: readonly string[],
    options: { readonly roleIndex?: number } = {},
  ): Promise<RoomChangeResult> {
    return this.roomChange(roomUri, async ({ transport, device, record }) => {
      const users: roomMember.NewParticipant[] = [];
      for (const userUri of userUris) {
        const request = await signedKeyMaterialRequest(device, record.room, userUri, roomUri);
        const response = await transport.claimKeyMaterial(request);
        const keyPackages = response.clients.flatMap((client) =>
          client.clientStatus === KeyMaterialClientCode.success ? [client.keyPackage] : [],
        );
        if (keyPackages.length === 0) {
          throw new ClientError(
            `${userUri} has no KeyPackage for this room (${keyMaterialUserCodeName(response.userStatus)}): they must publish some`,
          );
        }
        users.push({ userUri, roleIndex: options.roleIndex ?? PresetRoleIndex.ordinaryUser, keyPackages });
      }
      return roomMember.addUsers(record.room, users);
    });
  }

  /** Removes users and all their clients in one commit (protocol-06 s.3.5). */
  removeUsers(roomUri: string, userUris: readonly string[]): Promise<RoomChangeResult> {
    return this.roomChange(roomUri, ({ record }) => roomMember.removeUsers(record.room, userUris));
  }

  /**
   * Leaves the room: proposes this client's SelfRemove, the Removes of the
   * user's other clients and the user's removal from the participant list
   * (roomMember.leave), for another member to commit.
   */
  leave(roomUri: string): Promise<RoomChangeResult> {
    return this.roomChange(roomUri, ({ record }) => roomMember.leave(record.room));
  }

  /** Commits the pending proposals (a leave, say), which the Hub requires of the next commit anyway (protocol-06 s.3.5). */
  commitPending(roomUri: string): Promise<RoomChangeResult> {
    return this.roomChange(roomUri, ({ record }) => roomMember.commitPending(record.room));
  }

  /**
   * Joins a room by external commit (protocol-06 s.3.6): fetches the
   * GroupInfo, tree and pending proposals from the Hub with a signed
   * GroupInfoRequest and an ephemeral HPKE key, checks the Hub's signature
   * and that the Hub is the room's external sender, and commits the pending
   * SelfRemoves by reference. For a new device of a participant, or a user
   * the room's policy lets join.
   */
  async join(roomUri: string): Promise<RoomChangeResult> {
    checkRoomUri(roomUri);
    return this.locked(async () => {
      const device = await this.store.readDevice();
      const existing = await this.store.readRoom(roomUri);
      if (existing !== undefined && isActive(existing.room)) {
        throw new ClientError(`this device is already a member of ${roomUri}`);
      }
      const joining = await this.fetchGroupInfo(device, roomUri);
      const keyPackage = await roomMember.newClientKeyPackage(device.clientUri, {
        cipherSuite: device.cipherSuite,
        signatureKeyPair: device.signatureKeyPair,
      });
      const outcome = expectOk(
        await roomMember.joinByExternalCommit({
          groupInfo: joining.groupInfo,
          ratchetTreeOption: joining.ratchetTreeOption,
          selfRemoveProposals: joining.pendingProposals.map((pending) => pending.proposal).filter(isSelfRemove),
          keyPackage,
        }),
      );
      // A device that was in the room before keeps the conversation it had.
      const record: RoomRecord = {
        roomUri,
        appliedCursor: device.cursor,
        room: outcome.room,
        recentlySent: [],
        messages: existing?.messages ?? [],
      };
      return this.sendBundle(record, outcome);
    });
  }

  /** Sends a text message (GFM-MIMI Markdown), as a reply when `replyTo` names a message ID. */
  send(roomUri: string, text: string, options: { readonly replyTo?: string } = {}): Promise<SentMessage> {
    return this.sendContent(roomUri, () =>
      options.replyTo === undefined ? original(text) : reply(messageIdFromHex(options.replyTo), text),
    );
  }

  /** Reacts to a message (content-08 s.5.3), typically with one emoji. */
  react(roomUri: string, messageId: string, emoji: string): Promise<SentMessage> {
    return this.sendContent(roomUri, () => reaction(messageIdFromHex(messageId), emoji));
  }

  /** Replaces the text of one of this user's messages (content-08 s.5.5), keeping what it replied to. */
  edit(roomUri: string, messageId: string, text: string): Promise<SentMessage> {
    return this.sendContent(roomUri, (record) => {
      const target = this.ownMessage(record, messageId, "edit");
      const inReplyTo = target.content.inReplyTo;
      return edit(target.id, text, inReplyTo === null ? {} : { inReplyTo });
    });
  }

  /** Deletes one of this user's messages (content-08 s.5.6). */
  delete(roomUri: string, messageId: string): Promise<SentMessage> {
    return this.sendContent(roomUri, (record) => deleteMessage(this.ownMessage(record, messageId, "delete").id));
  }

  private locked<T>(task: () => Promise<T>): Promise<T> {
    return withDirectoryLock(this.home, task);
  }

  private async readRoom(roomUri: string): Promise<RoomRecord> {
    const record = await this.store.readRoom(checkRoomUri(roomUri));
    if (record === undefined) throw new ClientError(`this device is not in the room ${roomUri}`);
    return record;
  }

  private async readActiveRoom(roomUri: string): Promise<RoomRecord> {
    const record = await this.readRoom(roomUri);
    if (!isActive(record.room)) throw new ClientError(`this device is no longer a member of ${roomUri}`);
    return record;
  }

  /** A handshake built from the room's current state, sent to the Hub, and the state after it stored once accepted. */
  private async roomChange(
    roomUri: string,
    build: (context: {
      readonly transport: RoomTransport;
      readonly device: DeviceState;
      readonly record: RoomRecord;
    }) => Promise<Outcome<{ readonly room: Room; readonly bundle: HandshakeBundle }>>,
  ): Promise<RoomChangeResult> {
    return this.locked(async () => {
      const device = await this.store.readDevice();
      const record = await this.readActiveRoom(roomUri);
      return this.sendBundle(record, expectOk(await build({ transport: this.transport, device, record })));
    });
  }

  private async sendBundle(
    record: RoomRecord,
    outcome: { readonly room: Room; readonly bundle: HandshakeBundle },
  ): Promise<RoomChangeResult> {
    const response = await this.transport.sendHandshake(record.roomUri, outcome.bundle);
    if (response.responseCode !== UpdateResponseCode.success) {
      throw new ClientError(describeUpdateRefusal(record.roomUri, response));
    }
    const sent = [
      outcome.bundle.proposalOrCommit,
      ...("moreProposals" in outcome.bundle ? outcome.bundle.moreProposals : []),
    ];
    const acceptedAt = Number(response.acceptedTimestamp);
    await this.store.writeRoom({
      ...record,
      room: outcome.room,
      recentlySent: [
        ...record.recentlySent,
        ...sent.map((message) => ({ digest: messageDigest(message), acceptedAt })),
      ],
    });
    return { roomUri: record.roomUri, epoch: outcome.room.state.groupContext.epoch, acceptedAt };
  }

  /** The first instance of one of this user's messages, for an edit or a delete (content-08 s.9.3: only its sender may). */
  private ownMessage(record: RoomRecord, messageId: string, action: string): { id: Uint8Array; content: MimiContent } {
    const wanted = toHex(messageIdFromHex(messageId));
    const found = conversationOf(record.messages, this.now()).find((message) => message.messageId === wanted);
    if (found === undefined) throw new ClientError(`no message ${wanted} in ${record.roomUri}`);
    if (found.sender !== this.device.userUri) {
      throw new ClientError(`only the sender may ${action} a message: ${wanted} is ${found.sender}'s`);
    }
    if (found.deleted) throw new ClientError(`the message ${wanted} is deleted`);
    const first = record.messages.find((entry) => toHex(entry.derived.messageId) === wanted);
    if (first === undefined) throw new ClientError(`no message ${wanted} in ${record.roomUri}`);
    return { id: first.derived.messageId, content: first.content };
  }

  /**
   * Sends MIMI content as an application message with its franking tag
   * (protocol-06 s.5.4.1). The room state is stored before the message
   * leaves: the ratchet has moved, and a key must never serve twice.
   */
  private async sendContent(roomUri: string, build: (record: RoomRecord) => MimiContent): Promise<SentMessage> {
    return this.locked(async () => {
      const device = await this.store.readDevice();
      const record = await this.readActiveRoom(roomUri);
      const content = build(record);
      const encoded = encodeContent(content);
      const sent = expectOk(
        await roomMember.sendMessage(record.room, encoded, {
          frankingTag: roomMember.frankingTag(content.salt, encoded),
        }),
      );
      await this.store.writeRoom({ ...record, room: sent.room });
      const response = await this.transport.submitMessage(roomUri, {
        protocol: Protocol.mls10,
        appMessage: sent.message,
        // protocol-06 s.5.4: the sender's user, a participant; its provider vouches for it.
        sendingUri: device.userUri,
      });
      const { result } = response;
      if (result.statusCode === SubmitResponseCode.notAllowed) {
        throw new ClientError(`the Hub of ${roomUri} refused the message`);
      }
      if (result.statusCode === SubmitResponseCode.epochTooOld) {
        throw new ClientError(`the Hub of ${roomUri} is at epoch ${result.currentEpoch}: run sync, then retry`);
      }
      const self = roomMember.roomInfo(sent.room).self;
      if (self === undefined) throw new ClientError(`this device has no leaf in ${roomUri}`);
      const messageId = computeMessageId(encoded, content.salt, device.userUri, roomUri);
      const logged: LoggedMessage = {
        encoded,
        content,
        derived: {
          messageId,
          hubAcceptedTimestamp: result.acceptedTimestamp,
          mlsGroupId: sent.room.state.groupContext.groupId,
          senderLeafIndex: self.leafIndex,
          senderClientUrl: device.clientUri,
          senderUserUrl: device.userUri,
          roomUrl: roomUri,
        },
      };
      await this.store.writeRoom({
        ...record,
        room: sent.room,
        recentlySent: [
          ...record.recentlySent,
          { digest: messageDigest(sent.message), acceptedAt: Number(result.acceptedTimestamp) },
        ],
        messages: [...record.messages, logged],
      });
      return { roomUri, messageId: toHex(messageId), acceptedAt: Number(result.acceptedTimestamp) };
    });
  }

  /** protocol-06 s.5.6 from the joiner's side: request, check and decrypt the GroupInfo, tree and pending proposals. */
  private async fetchGroupInfo(device: DeviceState, roomUri: string) {
    const cs = await suiteImpl(device.cipherSuite);
    const { privateKey, publicKey } = await cs.hpke.generateKeyPair();
    const unsigned: GroupInfoRequest = {
      protocol: Protocol.mls10,
      cipherSuite: device.cipherSuite,
      requestingSignatureKey: device.signatureKeyPair.publicKey,
      requestingCredential: basicCredential(device.clientUri),
      groupInfoPublicKey: await cs.hpke.exportPublicKey(publicKey),
      joiningCode: undefined,
      signature: new Uint8Array(),
    };
    const signature = await signWithLabel(
      device.signatureKeyPair.signKey,
      SignatureLabel.groupInfoRequest,
      encode(groupInfoRequestTbs, groupInfoRequestToBeSigned(unsigned)),
      cs.signature,
    );
    const response = await this.transport.fetchGroupInfo(roomUri, { ...unsigned, signature });
    const { result } = response;
    if (result.status === GroupInfoCode.notAuthorized) {
      throw new ClientError(`the Hub of ${roomUri} does not let this device fetch the room's GroupInfo`);
    }
    if (result.status === GroupInfoCode.noSuchRoom) throw new ClientError(`the Hub knows no room ${roomUri}`);
    const roomId = new TextEncoder().encode(roomUri);
    if (!sameBytes(response.roomId, roomId) || result.cipherSuite !== device.cipherSuite) {
      throw new ClientError(`the Hub answered for another room or cipher suite than ${roomUri} asked`);
    }
    const signed = await verifyWithLabel(
      result.hubSender.signaturePublicKey,
      SignatureLabel.groupInfoResponse,
      encode(groupInfoResponseTbs, groupInfoResponseToBeSigned(response as SuccessfulGroupInfoResponse)),
      result.signature,
      cs.signature,
    );
    if (!signed) throw new ClientError(`the Hub's GroupInfoResponse for ${roomUri} is not signed by its hub_sender`);
    let plaintext: Uint8Array;
    try {
      plaintext = await decryptWithLabel(
        privateKey,
        GROUP_INFO_ENCRYPTION_LABEL,
        roomId,
        result.encryptedGroupinfoAndTree.kemOutput,
        result.encryptedGroupinfoAndTree.ciphertext,
        cs.hpke,
      );
    } catch (error) {
      throw new ClientError(`the GroupInfo of ${roomUri} does not decrypt: ${(error as Error).message}`);
    }
    let joining: GroupInfoRatchetTreeTbe;
    try {
      joining = decode(groupInfoRatchetTreeTbe, plaintext);
    } catch (error) {
      if (error instanceof CodecError) throw new ClientError(`the GroupInfo of ${roomUri}: ${error.message}`);
      throw error;
    }
    const sendersExtension = joining.groupInfo.groupContext.extensions.find(
      (extension) => extension.extensionType === "external_senders",
    );
    const senders = sendersExtension === undefined ? undefined : decodeExternalSenders(sendersExtension.extensionData);
    if (!senders?.some((sender) => sameBytes(sender.signaturePublicKey, result.hubSender.signaturePublicKey))) {
      throw new ClientError(`the Hub that answered is not an external sender of ${roomUri}`);
    }
    return joining;
  }

  /** Applies one inbox event; returns the device state to store with the advanced cursor. */
  private async applyEvent(device: DeviceState, event: InboxEvent, tally: SyncTally): Promise<DeviceState> {
    if (event.kind !== FANOUT_EVENT) {
      tally.reject(event, `unknown event kind ${JSON.stringify(event.kind)}`);
      return device;
    }
    let fanout: FanoutMessage;
    try {
      fanout = decode(fanoutMessage, event.payload);
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      tally.reject(event, error.message);
      return device;
    }
    const { content } = fanout;
    if ("ratchetTreeOption" in content) {
      // The codec reads this case only for a Welcome (protocol-06 s.5.5); the check narrows the type.
      if (content.message.wireformat !== "mls_welcome") return device;
      return this.applyWelcome(device, event, content.message.welcome, content.ratchetTreeOption, tally);
    }
    const record = await this.store.readRoom(event.roomId);
    if (record === undefined) {
      tally.reject(event, `this device is not in the room ${event.roomId}`);
      return device;
    }
    if (record.appliedCursor >= event.cursor) return device;
    // protocol-06 s.5.5: the Hub may send this device's own messages back; they are not applied again.
    const digest = messageDigest(content.message);
    const ownCopy = record.recentlySent.some((sent) => sent.digest === digest);
    const copies = new Set(
      ownCopy ? [digest, ...("moreProposals" in content ? content.moreProposals : []).map(messageDigest)] : [],
    );
    // The Hub fans a room's events out in order: nothing accepted before this event comes back after it.
    const current: RoomRecord = {
      ...record,
      recentlySent: record.recentlySent.filter(
        (sent) => !copies.has(sent.digest) && sent.acceptedAt >= Number(fanout.timestamp),
      ),
    };
    if (ownCopy) await this.store.writeRoom({ ...current, appliedCursor: event.cursor });
    else if ("frank" in content) await this.applyApplicationMessage(current, event, fanout, tally);
    else await this.applyHandshake(current, event, content, tally);
    return device;
  }

  private async applyWelcome(
    device: DeviceState,
    event: InboxEvent,
    welcome: Welcome,
    ratchetTreeOption: RatchetTreeOption,
    tally: SyncTally,
  ): Promise<DeviceState> {
    const named = new Set(welcome.secrets.map((secret) => toHex(secret.newMember)));
    const stored = device.keyPackages.find((candidate) => named.has(toHex(candidate.ref)));
    // A KeyPackage serves one Welcome (RFC 9420 s.10): its private keys go once it has.
    const used = { ...device, keyPackages: device.keyPackages.filter((candidate) => candidate !== stored) };
    const existing = await this.store.readRoom(event.roomId);
    // Applied before the cursor was stored (a crash in between): only the KeyPackage is left to drop.
    if (existing !== undefined && existing.appliedCursor >= event.cursor) return used;
    if (stored === undefined) {
      tally.reject(event, "the Welcome names none of this device's KeyPackages");
      return device;
    }
    if (existing !== undefined && isActive(existing.room)) {
      tally.reject(event, `a Welcome to ${event.roomId}, of which this device is a member`);
      return used;
    }
    const joined = await roomMember.joinRoom({
      welcome,
      ratchetTreeOption,
      keyPackage: {
        publicPackage: stored.publicPackage,
        privatePackage: {
          initPrivateKey: stored.initPrivateKey,
          hpkePrivateKey: stored.hpkePrivateKey,
          signaturePrivateKey: device.signatureKeyPair.signKey,
        },
      },
    });
    if (!joined.ok) {
      tally.reject(event, describeMemberError(joined.error));
      return device;
    }
    const roomUri = roomMember.roomInfo(joined.room).roomUri;
    if (roomUri !== event.roomId) {
      tally.reject(
        event,
        `the Welcome is to ${roomUri ?? "a group without room URI"}, the event names ${event.roomId}`,
      );
      return device;
    }
    await this.store.writeRoom({
      roomUri,
      appliedCursor: event.cursor,
      room: joined.room,
      recentlySent: [],
      messages: existing?.messages ?? [],
    });
    tally.joined.push(roomUri);
    return used;
  }

  private async applyHandshake(
    record: RoomRecord,
    event: InboxEvent,
    content: Exclude<FanoutMessage["content"], { readonly frank: unknown } | { readonly ratchetTreeOption: unknown }>,
    tally: SyncTally,
  ): Promise<void> {
    const processed = await roomMember.processHandshake(
      record.room,
      content.message,
      "moreProposals" in content ? content.moreProposals : [],
    );
    if (!processed.ok) {
      tally.reject(event, describeMemberError(processed.error));
      return;
    }
    let room = processed.room;
    tally.handshakes += 1;
    // protocol-06 s.5.5: after an external commit, the Hub proposes again what the commit dropped.
    const [first, ...rest] = "externalProposals" in content ? content.externalProposals : [];
    if (first !== undefined && !processed.removed) {
      const reproposed = await roomMember.processHandshake(room, first, rest);
      if (reproposed.ok) room = reproposed.room;
      else tally.reject(event, `the Hub's proposals after the commit: ${describeMemberError(reproposed.error)}`);
    }
    await this.store.writeRoom({ ...record, appliedCursor: event.cursor, room });
    if (processed.removed) tally.removedFrom.push(record.roomUri);
  }

  private async applyApplicationMessage(
    record: RoomRecord,
    event: InboxEvent,
    fanout: FanoutMessage,
    tally: SyncTally,
  ): Promise<void> {
    const received = await roomMember.receiveMessage(record.room, fanout.content.message);
    if (!received.ok) {
      tally.reject(event, describeMemberError(received.error));
      return;
    }
    // The message was decrypted, so the ratchet moved: that is stored whatever the content holds.
    const advanced: RoomRecord = { ...record, appliedCursor: event.cursor, room: received.room };
    let content: MimiContent;
    try {
      content = decodeContent(received.content);
    } catch (error) {
      if (!(error instanceof ContentError)) throw error;
      await this.store.writeRoom(advanced);
      tally.reject(event, `not MIMI content: ${error.message}`);
      return;
    }
    const tag = received.frankingTag;
    if (tag !== undefined && !sameBytes(tag, roomMember.frankingTag(content.salt, received.content))) {
      await this.store.writeRoom(advanced);
      tally.reject(event, "the franking tag is not the content's (protocol-06 s.5.4.1)");
      return;
    }
    const { sender } = received;
    const logged: LoggedMessage = {
      encoded: received.content,
      content,
      derived: {
        messageId: computeMessageId(received.content, content.salt, sender.userUri, record.roomUri),
        hubAcceptedTimestamp: fanout.timestamp,
        mlsGroupId: received.room.state.groupContext.groupId,
        senderLeafIndex: sender.leafIndex,
        senderClientUrl: sender.clientUri,
        senderUserUrl: sender.userUri,
        roomUrl: record.roomUri,
      },
    };
    await this.store.writeRoom({ ...advanced, messages: [...record.messages, logged] });
    tally.messages += 1;
  }
}

/** The PEM certificates of the CA file, or undefined for the system's trust store. */
async function readCa(caFile: string | undefined): Promise<string | undefined> {
  if (caFile === undefined) return undefined;
  try {
    return await readFile(caFile, "utf8");
  } catch (error) {
    throw new ClientError(`cannot read the CA file ${caFile}: ${(error as NodeJS.ErrnoException).code}`);
  }
}

/** The provider API of `endpoint`: the options' own, or HTTPS with the CA's certificates as trust root. */
function providerFor(endpoint: ProviderEndpoint, ca: string | undefined, options: ClientOptions): ProviderApi {
  if (options.provider !== undefined) return options.provider(endpoint);
  return new HttpsProviderApi({ url: endpoint.url, ...(ca === undefined ? {} : { ca }) });
}

/** The room endpoints of the device: the options' own, or its provider's client API over HTTPS. */
function transportFor(device: DeviceState, ca: string | undefined, options: ClientOptions): RoomTransport {
  const access: DeviceAccess = {
    url: device.providerUrl,
    caFile: device.caFile,
    clientUri: device.clientUri,
    userUri: device.userUri,
    token: device.token,
  };
  if (options.rooms !== undefined) return options.rooms(access);
  return new HttpsRoomTransport({ url: device.providerUrl, token: device.token, ...(ca === undefined ? {} : { ca }) });
}

/** A KeyMaterialRequest for one KeyPackage of each of `targetUser`'s clients (protocol-06 s.5.2), signed by the device. */
async function signedKeyMaterialRequest(
  device: DeviceState,
  room: Room,
  targetUser: string,
  roomUri: string,
): Promise<KeyMaterialRequest> {
  const unsigned: KeyMaterialRequest = {
    protocol: Protocol.mls10,
    requestingUser: device.userUri,
    targetUser,
    roomId: roomUri,
    acceptableCiphersuites: [room.state.groupContext.cipherSuite],
    requiredCapabilities: requiredCapabilitiesOf(room),
    requesterSignatureKey: device.signatureKeyPair.publicKey,
    requesterCredential: basicCredential(device.clientUri),
    keyMaterialRequestSignature: new Uint8Array(),
  };
  const cs = await suiteImpl(device.cipherSuite);
  const keyMaterialRequestSignature = await signWithLabel(
    device.signatureKeyPair.signKey,
    SignatureLabel.keyMaterialRequest,
    encode(keyMaterialRequestTbs, keyMaterialRequestToBeSigned(unsigned)),
    cs.signature,
  );
  return { ...unsigned, keyMaterialRequestSignature };
}

/**
 * The iterator's next result, or undefined when none comes within `ms`.
 * A late result is dropped: the caller closes the stream after a timeout.
 */
async function nextWithin<T>(iterator: AsyncIterator<T>, ms: number): Promise<IteratorResult<T> | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(undefined), ms);
  });
  const next = iterator.next();
  next.catch(() => undefined);
  try {
    return await Promise.race([next, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
