/**
 * An in-process MIMI network for the SDK's room operations: fake providers
 * (the client API: devices, KeyPackages, inboxes) and fake Hubs that follow
 * each room with @mimi-ts/room's public group view and policy engine, as a
 * Hub does (protocol-06 s.5.2-s.5.6): they check every handshake against
 * the view and the policy, accept the committer's GroupInfo, fan commits,
 * proposals and messages out to every member's inbox and Welcomes to the
 * new members, claim KeyPackages, and serve encrypted GroupInfos. Every
 * request and answer goes through its wire encoding.
 */
import { randomBytes } from "node:crypto";
import { type Codec, decode, encode } from "@mimi-ts/codec";
import {
  type ClientKeyMaterial,
  type FanoutMessage,
  fanoutMessage,
  GROUP_INFO_ENCRYPTION_LABEL,
  GroupInfoCode,
  GroupInfoRepresentation,
  type GroupInfoRequest,
  type GroupInfoResponse,
  groupInfoRatchetTreeTbe,
  groupInfoRequest,
  groupInfoRequestTbs,
  groupInfoRequestToBeSigned,
  groupInfoResponse,
  groupInfoResponseTbs,
  groupInfoResponseToBeSigned,
  type HandshakeBundle,
  handshakeBundle,
  KeyMaterialClientCode,
  type KeyMaterialRequest,
  type KeyMaterialResponse,
  KeyMaterialUserCode,
  keyMaterialRequest,
  keyMaterialRequestTbs,
  keyMaterialRequestToBeSigned,
  keyMaterialResponse,
  Protocol,
  parseMimiUri,
  RatchetTreeRepresentation,
  SignatureLabel,
  type SubmitMessageRequest,
  type SubmitMessageResponse,
  SubmitResponseCode,
  submitMessageRequest,
  submitMessageResponse,
  UpdateResponseCode,
  type UpdateRoomResponse,
  updateRoomResponse,
} from "@mimi-ts/protocol";
import {
  acceptGroupInfo,
  authorize,
  credentialIdentity,
  type GroupView,
  groupInfoForJoiners,
  groupViewOf,
  memberAuthenticationService,
  members,
  mimiAppDataUpdateHandlers,
  PublicGroupError,
  type PublicGroupOptions,
  type PublicGroupState,
  pendingProposals,
  processPublicMessage,
  proposalChangeOf,
  publicGroupFromGroupInfo,
  type RoomChangeResult,
  RoomCipherSuite,
  roomChangeOf,
  type SentProposal,
} from "@mimi-ts/room";
import {
  type CiphersuiteImpl,
  type CiphersuiteName,
  defaultLifetimeConfig,
  type ExternalSender,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  type KeyPackage,
  type MLSMessage,
} from "ts-mls";
import { encryptWithLabel } from "ts-mls/crypto/hpke.js";
import { signWithLabel, verifyWithLabel } from "ts-mls/crypto/signature.js";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import { stripBlankNodes } from "ts-mls/ratchetTree.js";
import type { ClientOptions } from "../client.js";
import { ClientError } from "../errors.js";
import type {
  DeviceRegistration,
  EventStream,
  InboxEvent,
  KeyPackageUpload,
  ProviderApi,
  RegisteredDevice,
} from "../providerApi.js";
import type { RoomCreation, RoomTransport } from "../roomTransport.js";
import { toHex } from "../strictJson.js";

const SUITE = RoomCipherSuite.x25519;
const suite: CiphersuiteImpl = await getCiphersuiteImpl(getCiphersuiteFromName(SUITE));

/** The value as the other side reads it: encoded and decoded with its codec. */
function overTheWire<T>(codec: Codec<T>, value: T): T {
  return decode(codec, encode(codec, value));
}

const utf8 = new TextEncoder();

interface FakeDevice {
  readonly userUri: string;
  readonly token: string;
  readonly inbox: InboxEvent[];
  readonly listeners: Set<() => void>;
  readonly keyPackages: { readonly keyPackage: KeyPackage; readonly ref: string; claimed: boolean }[];
}

/** A provider's client API in memory, with the rules of apps/hub's: one device claims a user, others need its token. */
export class FakeProvider implements ProviderApi {
  private readonly devices = new Map<string, FakeDevice>();
  private readonly byToken = new Map<string, string>();

  constructor(
    readonly domain: string,
    private readonly clock: () => number,
  ) {}

  async registerDevice(registration: DeviceRegistration, authorizingToken?: string): Promise<RegisteredDevice> {
    const client = parseMimiUri(registration.clientUri);
    if (client?.kind !== "device" || client.domain !== this.domain) {
      throw new ClientError(`POST /client/v1/devices: 400 not a client of ${this.domain}`, { status: 400 });
    }
    const userDevices = [...this.devices.values()].filter((device) => device.userUri === registration.userUri);
    if (userDevices.length > 0) {
      const authorizer = authorizingToken === undefined ? undefined : this.byToken.get(authorizingToken);
      if (authorizer === undefined || this.devices.get(authorizer)?.userUri !== registration.userUri) {
        throw new ClientError(`POST /client/v1/devices: 401 ${registration.userUri} has devices`, { status: 401 });
      }
    }
    if (this.devices.has(registration.clientUri)) {
      throw new ClientError(`POST /client/v1/devices: 409 ${registration.clientUri} is already registered`, {
        status: 409,
      });
    }
    const token = randomBytes(16).toString("hex");
    this.devices.set(registration.clientUri, {
      userUri: registration.userUri,
      token,
      inbox: [],
      listeners: new Set(),
      keyPackages: [],
    });
    this.byToken.set(token, registration.clientUri);
    return { token };
  }

  async uploadKeyPackages(token: string, keyPackages: readonly KeyPackage[]): Promise<KeyPackageUpload> {
    const device = this.deviceOf(token);
    const refs: string[] = [];
    for (const keyPackage of keyPackages) {
      const ref = toHex(await makeKeyPackageRef(keyPackage, suite.hash));
      device.keyPackages.push({ keyPackage, ref, claimed: false });
      refs.push(ref);
    }
    return { stored: refs.length, duplicates: 0, keyPackageRefs: refs };
  }

  openEvents(token: string, cursor: number): EventStream {
    const device = this.deviceOf(token);
    let closed = false;
    let wake: (() => void) | undefined;
    const listener = () => wake?.();
    device.listeners.add(listener);
    const close = () => {
      closed = true;
      device.listeners.delete(listener);
      wake?.();
    };
    return {
      close,
      async *[Symbol.asyncIterator]() {
        let position = cursor;
        while (!closed) {
          const next = device.inbox.find((event) => event.cursor > position);
          if (next !== undefined) {
            position = next.cursor;
            yield next;
            continue;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      },
    };
  }

  /** Appends a FanoutMessage to a device's inbox, as /notify does. */
  deliver(clientUri: string, roomUri: string, message: FanoutMessage): void {
    const device = this.devices.get(clientUri);
    if (device === undefined) throw new Error(`no device ${clientUri} at ${this.domain}`);
    device.inbox.push({
      cursor: device.inbox.length + 1,
      kind: "fanout",
      roomId: roomUri,
      receivedAt: this.clock(),
      payload: encode(fanoutMessage, message),
    });
    for (const listener of device.listeners) listener();
  }

  /** The inbox of a device, for the tests to look into. */
  inbox(clientUri: string): readonly InboxEvent[] {
    return this.devices.get(clientUri)?.inbox ?? [];
  }

  /** protocol-06 s.5.2 at the target: one unclaimed KeyPackage of each client of the user, in client URI order. */
  claim(userUri: string, acceptable: readonly string[]): KeyMaterialResponse {
    const clients = [...this.devices.entries()]
      .filter(([, device]) => device.userUri === userUri)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    if (clients.length === 0) {
      return { protocol: Protocol.mls10, userStatus: KeyMaterialUserCode.userUnknown, userUri, clients: [] };
    }
    const material: ClientKeyMaterial[] = clients.map(([clientUri, device]) => {
      const found = device.keyPackages.find(
        (entry) => !entry.claimed && acceptable.includes(entry.keyPackage.cipherSuite),
      );
      if (found === undefined) return { clientStatus: KeyMaterialClientCode.keyMaterialExhausted, clientUri };
      found.claimed = true;
      return { clientStatus: KeyMaterialClientCode.success, clientUri, keyPackage: found.keyPackage };
    });
    const successes = material.filter((entry) => entry.clientStatus === KeyMaterialClientCode.success).length;
    const userStatus =
      successes === material.length
        ? KeyMaterialUserCode.success
        : successes > 0
          ? KeyMaterialUserCode.partialSuccess
          : KeyMaterialUserCode.noCompatibleMaterial;
    return { protocol: Protocol.mls10, userStatus, userUri, clients: material };
  }

  private deviceOf(token: string): FakeDevice {
    const clientUri = this.byToken.get(token);
    const device = clientUri === undefined ? undefined : this.devices.get(clientUri);
    if (device === undefined) throw new ClientError("401 the bearer token is not a device token", { status: 401 });
    return device;
  }
}

interface FollowedRoom {
  view: PublicGroupState;
  /** when the Hub accepted each pending proposal, by ProposalRef (hex) */
  acceptedAt: Map<string, bigint>;
  lastFanout: FanoutMessage | undefined;
}

const viewOptions: PublicGroupOptions = {
  cipherSuite: suite,
  authService: memberAuthenticationService(),
  appDataUpdateHandlers: mimiAppDataUpdateHandlers,
  lifetimeConfig: defaultLifetimeConfig,
};

function refused(description: string): UpdateRoomResponse {
  return { responseCode: UpdateResponseCode.notAllowed, errorDescription: description };
}

/** Why the policy refuses a change, or undefined when it accepts it (room-policy-03, as the members check it). */
function policyRefusal(view: GroupView, change: RoomChangeResult): string | undefined {
  const authorized = change.ok ? authorize(view, change.change) : change;
  return authorized.ok ? undefined : authorized.refusals.map((refusal) => refusal.reason).join("; ");
}

/** The client URI of a leaf. */
function clientAt(view: PublicGroupState, leafIndex: number): string | undefined {
  const member = members(view).find((candidate) => candidate.leafIndex === leafIndex);
  const identity = member === undefined ? undefined : credentialIdentity(member.credential);
  return identity?.ok === true ? identity.identity.clientUri : undefined;
}

/** The client URIs of a group's members. */
function memberClients(view: PublicGroupState): string[] {
  return members(view).flatMap((member) => {
    const identity = credentialIdentity(member.credential);
    return identity.ok ? [identity.identity.clientUri] : [];
  });
}

/** The client URIs of one user's members in a group. */
function memberClientsOf(view: PublicGroupState, userUri: string): string[] {
  return members(view).flatMap((member) => {
    const identity = credentialIdentity(member.credential);
    return identity.ok && identity.identity.userUri === userUri ? [identity.identity.clientUri] : [];
  });
}

/** The Hub of one domain: its external sender key, and the rooms it hosts. */
export class FakeHub {
  readonly externalSender: ExternalSender;
  private readonly rooms = new Map<string, FollowedRoom>();

  private constructor(
    readonly domain: string,
    private readonly network: FakeNetwork,
    private readonly signKey: Uint8Array,
    publicKey: Uint8Array,
  ) {
    this.externalSender = {
      signaturePublicKey: publicKey,
      credential: { credentialType: "basic", identity: utf8.encode(`mimi://${domain}`) },
    };
  }

  static async create(domain: string, network: FakeNetwork): Promise<FakeHub> {
    const keys = await suite.signature.keygen();
    return new FakeHub(domain, network, keys.signKey, keys.publicKey);
  }

  /** The public view of a room, for the tests to compare with the members'. */
  view(roomUri: string): PublicGroupState | undefined {
    return this.rooms.get(roomUri)?.view;
  }

  async createRoom(roomUri: string, creation: RoomCreation): Promise<void> {
    if (this.rooms.has(roomUri)) throw new ClientError(`409 the room ${roomUri} exists`, { status: 409 });
    if (creation.ratchetTreeOption.representation !== RatchetTreeRepresentation.full) {
      throw new ClientError("400 the tree must be full", { status: 400 });
    }
    const view = await publicGroupFromGroupInfo(
      creation.groupInfo,
      creation.ratchetTreeOption.ratchetTree,
      viewOptions,
    );
    this.rooms.set(roomUri, { view, acceptedAt: new Map(), lastFanout: undefined });
  }

  async update(roomUri: string, bundle: HandshakeBundle): Promise<UpdateRoomResponse> {
    const room = this.rooms.get(roomUri);
    if (room === undefined) return refused(`no room ${roomUri}`);
    const before = room.view;
    const message = bundle.proposalOrCommit;
    if (
      message.wireformat === "mls_public_message" &&
      message.publicMessage.content.epoch !== before.groupContext.epoch
    ) {
      return {
        responseCode: UpdateResponseCode.wrongEpoch,
        errorDescription: "",
        currentEpoch: before.groupContext.epoch,
      };
    }
    const read = groupViewOf(before.groupContext, before.ratchetTree);
    if (!read.ok) return refused(read.reason);
    const roomView = read.view;
    const timestamp = this.network.tick();
    try {
      if ("groupInfoOption" in bundle) {
        const result = await processPublicMessage(before, message, viewOptions);
        if (result.kind !== "commit") return refused("not a commit");
        const content = message.wireformat === "mls_public_message" ? message.publicMessage.content : undefined;
        const pathCredential = content?.contentType === "commit" ? content.commit.path?.leafNode.credential : undefined;
        const refusal = policyRefusal(
          roomView,
          roomChangeOf(
            roomView,
            result.committed,
            result.committer,
            pathCredential === undefined ? {} : { pathCredential },
          ),
        );
        if (refusal !== undefined) return refused(refusal);
        if (bundle.groupInfoOption.representation !== GroupInfoRepresentation.full) {
          return refused("the GroupInfo must be full");
        }
        const after = await acceptGroupInfo(result.state, bundle.groupInfoOption.groupInfo, viewOptions);
        room.view = after;
        room.acceptedAt = new Map();
        // Every member but the committer, the removed included (protocol-06 s.5.5); new members get the Welcome.
        const committer = result.committer.kind === "member" ? clientAt(before, result.committer.leafIndex) : undefined;
        this.fanOut(roomUri, memberClients(before), committer, {
          timestamp,
          content: { message, externalProposals: [] },
        });
        if (bundle.welcome !== undefined) {
          const welcome: MLSMessage = { version: "mls10", wireformat: "mls_welcome", welcome: bundle.welcome };
          const joiners = result.addedLeaves.flatMap((leaf) => {
            const identity = credentialIdentity(leaf.keyPackage.leafNode.credential);
            return identity.ok ? [identity.identity.clientUri] : [];
          });
          this.fanOut(roomUri, joiners, undefined, {
            timestamp,
            content: { message: welcome, ratchetTreeOption: bundle.ratchetTreeOption },
          });
        }
      } else {
        const sent: SentProposal[] = [];
        let view = before;
        for (const proposal of [message, ...bundle.moreProposals]) {
          const result = await processPublicMessage(view, proposal, viewOptions);
          if (result.kind !== "proposal") return refused("a commit among the proposals");
          view = result.state;
          sent.push({ proposal: result.proposal, sender: result.sender });
          room.acceptedAt.set(toHex(result.ref), timestamp);
        }
        const pending = pendingProposals(before).map(({ proposal, sender }) => ({ proposal, sender }));
        const refusal = policyRefusal(roomView, proposalChangeOf(roomView, sent, pending));
        if (refusal !== undefined) return refused(refusal);
        room.view = view;
        const [first] = sent;
        const proposer = first?.sender.kind === "member" ? clientAt(before, first.sender.leafIndex) : undefined;
        this.fanOut(roomUri, memberClients(view), proposer, {
          timestamp,
          content: { message, moreProposals: bundle.moreProposals },
        });
      }
    } catch (error) {
      if (error instanceof PublicGroupError) return refused(error.message);
      throw error;
    }
    return { responseCode: UpdateResponseCode.success, errorDescription: "", acceptedTimestamp: timestamp };
  }

  /** `senderClient` is the device that submits, as its provider knows it; it does not get its message back. */
  submit(roomUri: string, request: SubmitMessageRequest, senderClient: string): SubmitMessageResponse {
    const room = this.rooms.get(roomUri);
    const message = request.appMessage;
    // protocol-06 s.5.4: sendingUri is the sender's user, which has a client in the group.
    if (room === undefined || !memberClientsOf(room.view, request.sendingUri).includes(senderClient)) {
      return { protocol: Protocol.mls10, result: { statusCode: SubmitResponseCode.notAllowed } };
    }
    const epoch = room.view.groupContext.epoch;
    if (message.wireformat !== "mls_private_message" || message.privateMessage.epoch !== epoch) {
      return { protocol: Protocol.mls10, result: { statusCode: SubmitResponseCode.epochTooOld, currentEpoch: epoch } };
    }
    const timestamp = this.network.tick();
    this.fanOut(roomUri, memberClients(room.view), senderClient, {
      timestamp,
      content: { message, frank: undefined },
    });
    return {
      protocol: Protocol.mls10,
      result: { statusCode: SubmitResponseCode.accepted, acceptedTimestamp: timestamp, frank: undefined },
    };
  }

  /** protocol-06 s.5.6: the GroupInfo, tree and pending proposals, encrypted to the requester and signed by the Hub. */
  async groupInfo(roomUri: string, request: GroupInfoRequest): Promise<GroupInfoResponse> {
    const roomId = utf8.encode(roomUri);
    const room = this.rooms.get(roomUri);
    const joining = room === undefined ? undefined : groupInfoForJoiners(room.view);
    if (room === undefined || joining === undefined) {
      return { version: Protocol.mls10, roomId, result: { status: GroupInfoCode.noSuchRoom } };
    }
    const signed = await verifyWithLabel(
      request.requestingSignatureKey,
      SignatureLabel.groupInfoRequest,
      encode(groupInfoRequestTbs, groupInfoRequestToBeSigned(request)),
      request.signature,
      suite.signature,
    );
    if (!signed) return { version: Protocol.mls10, roomId, result: { status: GroupInfoCode.notAuthorized } };
    const plaintext = encode(groupInfoRatchetTreeTbe, {
      groupInfo: joining.groupInfo,
      ratchetTreeOption: {
        representation: RatchetTreeRepresentation.full,
        ratchetTree: stripBlankNodes(joining.ratchetTree),
      },
      pendingProposals: pendingProposals(room.view).map((pending) => ({
        proposal: pending.message,
        hubAcceptedTime: room.acceptedAt.get(toHex(pending.ref)) ?? 0n,
      })),
    });
    const { ct, enc } = await encryptWithLabel(
      await suite.hpke.importPublicKey(request.groupInfoPublicKey),
      GROUP_INFO_ENCRYPTION_LABEL,
      roomId,
      plaintext,
      suite.hpke,
    );
    const unsigned = {
      version: Protocol.mls10,
      roomId,
      result: {
        status: GroupInfoCode.success,
        cipherSuite: SUITE as CiphersuiteName,
        hubSender: this.externalSender,
        encryptedGroupinfoAndTree: { kemOutput: enc, ciphertext: ct },
        signature: new Uint8Array(),
      },
    } as const;
    const signature = await signWithLabel(
      this.signKey,
      SignatureLabel.groupInfoResponse,
      encode(groupInfoResponseTbs, groupInfoResponseToBeSigned(unsigned)),
      suite.signature,
    );
    return { ...unsigned, result: { ...unsigned.result, signature } };
  }

  /** The last commit, proposals or message fanned out in the room, to send a sender its own as the Hub may. */
  lastFanout(roomUri: string): FanoutMessage | undefined {
    return this.rooms.get(roomUri)?.lastFanout;
  }

  /** protocol-06 s.5.5: to every recipient but the sender (the Hub "is not expected to forward the client's own message"). */
  private fanOut(
    roomUri: string,
    recipients: readonly string[],
    sender: string | undefined,
    message: FanoutMessage,
  ): void {
    const room = this.rooms.get(roomUri);
    if (room !== undefined && message.content.message.wireformat !== "mls_welcome") room.lastFanout = message;
    for (const clientUri of recipients) {
      const domain = parseMimiUri(clientUri)?.domain;
      if (clientUri !== sender && domain !== undefined) {
        this.network.provider(domain).deliver(clientUri, roomUri, message);
      }
    }
  }
}

/** A device's room endpoints at its fake provider: the requests go to the room's fake Hub. */
class FakeRoomTransport implements RoomTransport {
  constructor(
    private readonly network: FakeNetwork,
    private readonly clientUri: string,
  ) {}

  async hubExternalSender(roomUri: string): Promise<ExternalSender> {
    return this.network.hubOf(roomUri).externalSender;
  }

  createRoom(roomUri: string, creation: RoomCreation): Promise<void> {
    return this.network.hubOf(roomUri).createRoom(roomUri, creation);
  }

  async sendHandshake(roomUri: string, bundle: HandshakeBundle): Promise<UpdateRoomResponse> {
    const answer = await this.network.hubOf(roomUri).update(roomUri, overTheWire(handshakeBundle, bundle));
    return overTheWire(updateRoomResponse, answer);
  }

  async submitMessage(roomUri: string, request: SubmitMessageRequest): Promise<SubmitMessageResponse> {
    const answer = this.network
      .hubOf(roomUri)
      .submit(roomUri, overTheWire(submitMessageRequest, request), this.clientUri);
    return overTheWire(submitMessageResponse, answer);
  }

  async fetchGroupInfo(roomUri: string, request: GroupInfoRequest): Promise<GroupInfoResponse> {
    const answer = await this.network.hubOf(roomUri).groupInfo(roomUri, overTheWire(groupInfoRequest, request));
    return overTheWire(groupInfoResponse, answer);
  }

  async claimKeyMaterial(request: KeyMaterialRequest): Promise<KeyMaterialResponse> {
    const received = overTheWire(keyMaterialRequest, request);
    const signed = await verifyWithLabel(
      received.requesterSignatureKey,
      SignatureLabel.keyMaterialRequest,
      encode(keyMaterialRequestTbs, keyMaterialRequestToBeSigned(received)),
      received.keyMaterialRequestSignature,
      suite.signature,
    );
    if (!signed) throw new ClientError("403 key_material_request_signature does not verify", { status: 403 });
    const domain = parseMimiUri(received.targetUser)?.domain;
    if (domain === undefined) throw new ClientError("400 the target is not a user URI", { status: 400 });
    return overTheWire(
      keyMaterialResponse,
      this.network.provider(domain).claim(received.targetUser, received.acceptableCiphersuites),
    );
  }
}

/**
 * Providers and Hubs by domain, a clock for the Hubs' accepted timestamps
 * (one second per accepted change, from 2026-01-01), and the ClientOptions
 * that put a Client on this network: `https://<domain>` is the provider of
 * that domain.
 */
export class FakeNetwork {
  private readonly providers = new Map<string, FakeProvider>();
  private readonly hubs = new Map<string, FakeHub>();
  private time = Date.parse("2026-01-01T00:00:00Z");

  private constructor() {}

  static async create(hubDomains: readonly string[]): Promise<FakeNetwork> {
    const network = new FakeNetwork();
    for (const domain of hubDomains) network.hubs.set(domain, await FakeHub.create(domain, network));
    return network;
  }

  tick(): bigint {
    this.time += 1000;
    return BigInt(this.time);
  }

  provider(domain: string): FakeProvider {
    let provider = this.providers.get(domain);
    if (provider === undefined) {
      provider = new FakeProvider(domain, () => this.time);
      this.providers.set(domain, provider);
    }
    return provider;
  }

  hubOf(roomUri: string): FakeHub {
    const hub = this.hubs.get(parseMimiUri(roomUri)?.domain ?? "");
    if (hub === undefined) throw new ClientError(`404 no Hub for ${roomUri}`, { status: 404 });
    return hub;
  }

  /** How a Client reaches this network; sync settles after 20 ms, as the fakes answer at once. */
  clientOptions(): ClientOptions {
    return {
      provider: (endpoint) => this.provider(new URL(endpoint.url).hostname),
      rooms: (device) => new FakeRoomTransport(this, device.clientUri),
      settleMs: 20,
      now: () => this.time,
    };
  }
}
