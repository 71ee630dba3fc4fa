/**
 * The Hub role (protocol-06 s.4.3.1, s.5.3-5.6): the rooms this provider
 * hosts, decided by @mimi-ts/room's hubRoom.ts and stored in the store's
 * `hub_rooms`. Every change of a room (a handshake, a message) is decided
 * with the room's row locked, and in the same transaction its new state is
 * stored, its fan-out queued for the follower providers and appended to the
 * local devices' inboxes: nothing accepted is lost, nothing is sent twice,
 * and everything goes out in the order the Hub accepted it.
 */
import { encode } from "@mimi-ts/codec";
import {
  encodeFanoutMessages,
  type FanoutMessage,
  GROUP_INFO_ENCRYPTION_LABEL,
  GroupInfoCode,
  type GroupInfoRequest,
  type GroupInfoResponse,
  groupInfoRatchetTreeTbe,
  groupInfoRequestTbs,
  groupInfoRequestToBeSigned,
  groupInfoResponseTbs,
  groupInfoResponseToBeSigned,
  type HandshakeBundle,
  Protocol,
  parseMimiUri,
  SignatureLabel,
  type SubmitMessageRequest,
  type SubmitMessageResponse,
  type UpdateRoomResponse,
} from "@mimi-ts/protocol";
import {
  type CommitAccepted,
  createHubRoom,
  credentialIdentity,
  decodeHubRoom,
  encodeHubRoom,
  groupInfoFor,
  type HubRoom,
  handleSubmitMessage,
  handleUpdate,
  members,
  PresetRoleIndex,
  type RoomCreation,
} from "@mimi-ts/room";
import type { CiphersuiteName } from "ts-mls";
import { encryptWithLabel } from "ts-mls/crypto/hpke.js";
import { verifyWithLabel } from "ts-mls/crypto/signature.js";
import { ciphersuiteImplementation } from "./ciphersuites.js";
import { HttpError } from "./httpErrors.js";
import { deliverLocally } from "./localDelivery.js";
import { endpointPath } from "./peerClient.js";
import type { HubServices } from "./services.js";
import type { HubStore, StoredHubRoom } from "./store.js";

/** Who asked the Hub: a local device through the client API, or a follower provider over federation. */
export type RequestOrigin =
  | { readonly kind: "device"; readonly clientUri: string }
  | { readonly kind: "provider"; readonly domain: string };

const utf8 = new TextEncoder();

/** Whether the room is one this provider is (or would be) the Hub of: its URI names our domain. */
export function isHostedHere(services: HubServices, roomId: string): boolean {
  return parseMimiUri(roomId)?.domain === services.config.domain;
}

/** The 404 for a room this provider does not host. */
export function noSuchRoom(services: HubServices, roomId: string): HttpError {
  const hubDomain = parseMimiUri(roomId)?.domain;
  return hubDomain === services.config.domain
    ? new HttpError(404, `there is no room ${roomId}`)
    : new HttpError(404, `${roomId} is not hosted here: its Hub is ${hubDomain}`);
}

function cipherSuiteOf(services: HubServices, stored: StoredHubRoom): CiphersuiteName {
  if (!services.identity.supports(stored.cipherSuite)) {
    throw new Error(`the stored room ${stored.roomId} has cipher suite ${stored.cipherSuite}, not a room cipher suite`);
  }
  return stored.cipherSuite;
}

/** The stored room as @mimi-ts/room's HubRoom; a room that does not read is a fault of this provider (500). */
async function openHubRoom(services: HubServices, stored: StoredHubRoom): Promise<HubRoom> {
  const hub = services.identity.externalSender(cipherSuiteOf(services, stored));
  const opened = await decodeHubRoom(stored.state, { hub });
  if (!opened.ok) throw new Error(`the stored room ${stored.roomId} does not read: ${opened.reason}`);
  return opened.hubRoom;
}

/** The accepted timestamp of the room's next change: the clock, but always later than the room's previous one. */
function acceptanceTime(services: HubServices, stored: StoredHubRoom): number {
  return Math.max(services.clock.now(), stored.lastAcceptedAt + 1);
}

/**
 * protocol-06 s.3.1: a local device hands the Hub a new room, its GroupInfo
 * (epoch 0, with external_pub) and full ratchet tree. createHubRoom checks
 * them as a joiner does, and that the room is this Hub's (room URI and group
 * id of our domain, this Hub's key in external_senders). The device must be
 * the group's only member: it creates the room and follows it from then on.
 * 400 when the room is refused, 403 when another client is its member, 409
 * when the room exists.
 */
export async function createHostedRoom(
  services: HubServices,
  roomId: string,
  creation: RoomCreation,
  device: { readonly clientUri: string },
): Promise<void> {
  if ((await services.store.hubRoom(roomId)) !== undefined) throw new HttpError(409, `the room ${roomId} exists`);
  const cipherSuite = creation.groupInfo.groupContext.cipherSuite;
  if (!services.identity.supports(cipherSuite)) {
    throw new HttpError(400, `${cipherSuite} is not a room cipher suite this Hub signs for`);
  }
  const created = await createHubRoom(creation, { hub: services.identity.externalSender(cipherSuite) });
  if (!created.ok) throw new HttpError(400, `the Hub refuses the room: ${created.reason}`);
  const { hubRoom } = created;
  const roomUri = hubRoom.roomWithPending.roomMetadata?.roomUri;
  if (roomUri !== roomId) throw new HttpError(400, `the path names ${roomId}, the room's metadata ${roomUri}`);
  const clients = members(hubRoom.group).map(({ credential }) => {
    const identity = credentialIdentity(credential);
    return identity.ok ? identity.identity.clientUri : "(not a MIMI client)";
  });
  if (clients.length !== 1 || clients[0] !== device.clientUri) {
    throw new HttpError(
      403,
      `a room is created by its only member, ${device.clientUri}; its members are ${clients.join(", ")}`,
    );
  }
  const now = services.clock.now();
  await services.store.transaction(async (tx) => {
    const inserted = await tx.insertHubRoom({
      roomId,
      cipherSuite,
      epoch: Number(hubRoom.group.groupContext.epoch),
      state: encodeHubRoom(hubRoom),
      lastAcceptedAt: now,
      createdAt: now,
      updatedAt: now,
    });
    if (!inserted) throw new HttpError(409, `the room ${roomId} exists`);
    await tx.addRoomFollower(roomId, device.clientUri, now);
  });
  services.logger.info({ roomId, creator: device.clientUri, cipherSuite }, "room created");
}

/** What a decided change leaves to do once its transaction has committed. */
class AfterCommit {
  readonly woken = new Set<string>();
  queued = false;

  run(services: HubServices): void {
    if (this.woken.size > 0) services.inbox.notify(this.woken);
    if (this.queued) services.queue.wake();
  }
}

/** One accepted change's messages, each with the provider domains it goes to (the Hub's own: its local devices). */
interface Addressed {
  readonly message: FanoutMessage;
  readonly domains: ReadonlySet<string>;
}

/**
 * protocol-06 s.5.5: queues one /notify per follower provider, with the
 * change's messages for it concatenated in order, in the change's
 * transaction. The room is the ordering key, so a provider receives a room's
 * notifications in the order the Hub accepted them.
 */
async function queueNotifications(
  tx: HubStore,
  services: HubServices,
  roomId: string,
  addressed: readonly Addressed[],
  after: AfterCommit,
): Promise<void> {
  const ourDomain = services.config.domain;
  const domains = [...new Set(addressed.flatMap(({ domains }) => [...domains]))].filter((d) => d !== ourDomain).sort();
  for (const domain of domains) {
    const messages = addressed.filter(({ domains }) => domains.has(domain)).map(({ message }) => message);
    await services.queue.enqueue(tx, {
      peerDomain: domain,
      path: endpointPath("notify", roomId),
      orderingKey: roomId,
      body: encodeFanoutMessages(messages),
    });
    after.queued = true;
  }
}

/** Appends a message to the local devices it is for, but not to the local device that sent it (s.5.5). */
async function appendLocally(
  tx: HubStore,
  services: HubServices,
  roomId: string,
  message: FanoutMessage,
  origin: RequestOrigin,
  now: number,
  after: AfterCommit,
): Promise<void> {
  const except = origin.kind === "device" ? origin.clientUri : undefined;
  const delivery = { roomId, ourDomain: services.config.domain, now, ...(except === undefined ? {} : { except }) };
  for (const clientUri of await deliverLocally(tx, delivery, message)) after.woken.add(clientUri);
}

/**
 * The providers a commit's Welcome goes to (protocol-06 s.5.5): for each
 * KeyPackageRef, the provider this Hub got the KeyPackage from (recorded at
 * /keyMaterial, s.4.3.1), else the provider its credential names.
 */
async function welcomeDomains(tx: HubStore, outcome: CommitAccepted): Promise<Set<string>> {
  const domains = new Set<string>();
  for (const welcome of outcome.welcomes) {
    for (const ref of welcome.keyPackageRefs) {
      domains.add((await tx.keyPackageRoute(ref))?.providerDomain ?? welcome.domain);
    }
  }
  return domains;
}

/**
 * Fans an accepted commit out: the commit to the room's providers before it
 * (removed clients learn of their removal, s.5.5), then the Welcome to the
 * providers of the added KeyPackages; locally, removed devices stop
 * following the room once the commit is in their inbox, and the Welcome's
 * devices start.
 */
async function fanOutCommit(
  tx: HubStore,
  services: HubServices,
  roomId: string,
  outcome: CommitAccepted,
  origin: RequestOrigin,
  now: number,
  after: AfterCommit,
): Promise<void> {
  const ourDomain = services.config.domain;
  const commit: Addressed = { message: outcome.fanout.message, domains: new Set(outcome.fanout.recipients) };
  const welcome = outcome.welcomes[0]?.message;
  const welcomeTo = await welcomeDomains(tx, outcome);
  const addressed = welcome === undefined ? [commit] : [commit, { message: welcome, domains: welcomeTo }];
  await queueNotifications(tx, services, roomId, addressed, after);
  if (commit.domains.has(ourDomain)) await appendLocally(tx, services, roomId, commit.message, origin, now, after);
  for (const removed of outcome.membership.removedClients) {
    if (parseMimiUri(removed.clientUri)?.domain === ourDomain) await tx.removeRoomFollower(roomId, removed.clientUri);
  }
  if (welcome !== undefined && welcomeTo.has(ourDomain)) {
    await appendLocally(tx, services, roomId, welcome, origin, now, after);
  }
  if (outcome.lapsedProposals.length > 0) {
    // protocol-06 s.5.5 lets the Hub propose comparable ones again; this Hub does not (yet).
    services.logger.warn(
      { roomId, lapsed: outcome.lapsedProposals.length },
      "an external commit left out pending proposals; they lapsed with the epoch",
    );
  }
}

/**
 * protocol-06 s.5.3 at the Hub: decides a HandshakeBundle for a hosted room
 * with its row locked, and when it is accepted stores the new state, queues
 * and appends the fan-out, and makes the sending device (if local) a
 * follower, all in one transaction. Undefined when there is no such room.
 */
export async function updateHostedRoom(
  services: HubServices,
  roomId: string,
  bundle: HandshakeBundle,
  origin: RequestOrigin,
): Promise<UpdateRoomResponse | undefined> {
  const after = new AfterCommit();
  const response = await services.store.transaction(async (tx) => {
    const stored = await tx.lockHubRoom(roomId);
    if (stored === undefined) return undefined;
    const now = acceptanceTime(services, stored);
    const outcome = await handleUpdate(await openHubRoom(services, stored), bundle, { now });
    if (!outcome.accepted) {
      services.logger.info({ roomId, code: outcome.response.responseCode, reason: outcome.reason }, "update refused");
      return outcome.response;
    }
    const epoch = outcome.hubRoom.group.groupContext.epoch;
    await tx.updateHubRoom(
      roomId,
      { epoch: Number(epoch), state: encodeHubRoom(outcome.hubRoom), lastAcceptedAt: now },
      now,
    );
    if (outcome.kind === "commit") {
      await fanOutCommit(tx, services, roomId, outcome, origin, now, after);
    } else {
      const proposals: Addressed = { message: outcome.fanout.message, domains: new Set(outcome.fanout.recipients) };
      await queueNotifications(tx, services, roomId, [proposals], after);
      if (proposals.domains.has(services.config.domain)) {
        await appendLocally(tx, services, roomId, proposals.message, origin, now, after);
      }
    }
    // A device whose handshake was accepted is a member (an external joiner is from now on).
    if (origin.kind === "device") await tx.addRoomFollower(roomId, origin.clientUri, now);
    services.logger.info({ roomId, kind: outcome.kind, epoch: epoch.toString(), acceptedAt: now }, "update accepted");
    return outcome.response;
  });
  after.run(services);
  return response;
}

/**
 * protocol-06 s.5.4 at the Hub: decides a SubmitMessageRequest for a hosted
 * room with its row locked, and when it is accepted records the accepted
 * time and queues and appends the fan-out in the same transaction.
 * Undefined when there is no such room.
 */
export async function submitToHostedRoom(
  services: HubServices,
  roomId: string,
  request: SubmitMessageRequest,
  origin: RequestOrigin,
): Promise<SubmitMessageResponse | undefined> {
  const after = new AfterCommit();
  const response = await services.store.transaction(async (tx) => {
    const stored = await tx.lockHubRoom(roomId);
    if (stored === undefined) return undefined;
    const now = acceptanceTime(services, stored);
    const outcome = handleSubmitMessage(await openHubRoom(services, stored), request, { now });
    if (!outcome.accepted) {
      services.logger.info(
        { roomId, code: outcome.response.result.statusCode, reason: outcome.reason },
        "message refused",
      );
      return outcome.response;
    }
    await tx.recordHubRoomAcceptance(roomId, now);
    const message: Addressed = { message: outcome.fanout.message, domains: new Set(outcome.fanout.recipients) };
    await queueNotifications(tx, services, roomId, [message], after);
    if (message.domains.has(services.config.domain)) {
      await appendLocally(tx, services, roomId, message.message, origin, now, after);
    }
    return outcome.response;
  });
  after.run(services);
  return response;
}

/**
 * Whether the requester may have the room's GroupInfo (protocol-06 s.5.6,
 * the external join of s.3.6): its credential must be a MIMI client of the
 * provider that asks (a provider speaks for its own clients), and of a user
 * on the room's participant list, with the epoch's accepted proposals
 * applied, who is not banned: a new device of a participant. Joining codes,
 * open rooms and preauthorized users are not served. Returns why not, or
 * undefined.
 */
function joinRefusal(hubRoom: HubRoom, request: GroupInfoRequest, requesterDomain: string): string | undefined {
  const requester = credentialIdentity(request.requestingCredential);
  if (!requester.ok) return `requestingCredential is not a MIMI client: ${requester.error.reason}`;
  const { clientUri, userUri, domain } = requester.identity;
  if (domain !== requesterDomain) return `${clientUri} is not a client of ${requesterDomain}, which asks for it`;
  const participant = hubRoom.roomWithPending.participantList?.participants.find(({ user }) => user === userUri);
  if (participant === undefined) return `${userUri} is not a participant of the room`;
  if (participant.roleIndex === PresetRoleIndex.banned) return `${userUri} is banned from the room`;
  return undefined;
}

/**
 * protocol-06 s.5.6 at the Hub: the GroupInfo, the ratchet tree and the
 * epoch's pending proposals (groupInfoFor) for an external join, encrypted
 * to the request's groupInfoPublicKey with EncryptWithLabel(..., "GroupInfo
 * and ratchet_tree encryption", room_id, ...) (RFC 9420 s.5.1.3) and signed
 * by the Hub's key for the request's cipher suite over GroupInfoResponseTBS.
 * noSuchRoom for a room not hosted here; notAuthorized when the request's
 * signature (SignWithLabel over GroupInfoRequestTBS with
 * requestingSignatureKey) does not verify or joinRefusal refuses. 400 for a
 * cipher suite the Hub has no key for, or a groupInfoPublicKey HPKE cannot
 * encrypt to.
 */
export async function groupInfoOfHostedRoom(
  services: HubServices,
  roomId: string,
  request: GroupInfoRequest,
  requesterDomain: string,
): Promise<GroupInfoResponse> {
  const roomIdBytes = utf8.encode(roomId);
  const answer = (status: typeof GroupInfoCode.notAuthorized | typeof GroupInfoCode.noSuchRoom): GroupInfoResponse => ({
    version: Protocol.mls10,
    roomId: roomIdBytes,
    result: { status },
  });
  const cipherSuite = request.cipherSuite;
  const unsupported = new HttpError(400, `cipher_suite ${cipherSuite} is not one this Hub signs with`);
  if (!services.identity.supports(cipherSuite)) throw unsupported;
  const suite = await ciphersuiteImplementation(cipherSuite);
  if (suite === undefined) throw unsupported;
  const stored = isHostedHere(services, roomId) ? await services.store.hubRoom(roomId) : undefined;
  if (stored === undefined) return answer(GroupInfoCode.noSuchRoom);
  const refuse = (reason: string) => {
    services.logger.info({ roomId, requester: requesterDomain, reason }, "GroupInfo refused");
    return answer(GroupInfoCode.notAuthorized);
  };
  const signed = await verifyWithLabel(
    request.requestingSignatureKey,
    SignatureLabel.groupInfoRequest,
    encode(groupInfoRequestTbs, groupInfoRequestToBeSigned(request)),
    request.signature,
    suite.signature,
  ).catch(() => false);
  if (!signed) return refuse("the signature does not verify with requestingSignatureKey");
  const hubRoom = await openHubRoom(services, stored);
  const refusal = joinRefusal(hubRoom, request, requesterDomain);
  if (refusal !== undefined) return refuse(refusal);
  const plaintext = encode(groupInfoRatchetTreeTbe, groupInfoFor(hubRoom));
  let encrypted: { ct: Uint8Array; enc: Uint8Array };
  try {
    const publicKey = await suite.hpke.importPublicKey(request.groupInfoPublicKey);
    encrypted = await encryptWithLabel(publicKey, GROUP_INFO_ENCRYPTION_LABEL, roomIdBytes, plaintext, suite.hpke);
  } catch {
    throw new HttpError(400, `groupInfoPublicKey is not a usable HPKE public key of ${cipherSuite}`);
  }
  const unsigned = {
    version: Protocol.mls10,
    roomId: roomIdBytes,
    result: {
      status: GroupInfoCode.success,
      cipherSuite,
      hubSender: services.identity.externalSender(cipherSuite),
      encryptedGroupinfoAndTree: { kemOutput: encrypted.enc, ciphertext: encrypted.ct },
      signature: new Uint8Array(),
    },
  } as const;
  const signature = await services.identity.sign(
    cipherSuite,
    SignatureLabel.groupInfoResponse,
    encode(groupInfoResponseTbs, groupInfoResponseToBeSigned(unsigned)),
  );
  return { ...unsigned, result: { ...unsigned.result, signature } };
}
