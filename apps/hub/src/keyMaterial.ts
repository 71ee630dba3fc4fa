import { CodecError, decode, encode } from "@mimi-ts/codec";
import {
  type ClientKeyMaterial,
  KeyMaterialClientCode,
  type KeyMaterialRequest,
  type KeyMaterialResponse,
  KeyMaterialUserCode,
  keyMaterialRequest,
  keyMaterialRequestTbs,
  keyMaterialRequestToBeSigned,
  keyMaterialResponse,
  keyPackage as keyPackageCodec,
  Protocol,
  parseMimiUri,
  SignatureLabel,
} from "@mimi-ts/protocol";
import { credentialIdentity } from "@mimi-ts/room";
import type { Hono } from "hono";
import type { KeyPackage } from "ts-mls";
import { verifyWithLabel } from "ts-mls/crypto/signature.js";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import { ciphersuiteImplementation } from "./ciphersuites.js";
import { limitBody, MAX_FEDERATION_BODY_BYTES, readBinaryBody, sendBinary } from "./httpBodies.js";
import { HttpError } from "./httpErrors.js";
import type { HubEnv } from "./hubEnv.js";
import { isCompatible, lifetimeSeconds } from "./keyPackages.js";
import { identifierFromPath } from "./pathIdentifiers.js";
import { postToPeer, unexpectedAnswer } from "./peerRequests.js";
import type { HubServices } from "./services.js";
import type { HubStore } from "./store.js";

/**
 * protocol-06 s.5.2: key_material_request_signature =
 * SignWithLabel(requesterSignatureKey, "KeyMaterialRequestTBS", KeyMaterialRequestTBS)
 * (RFC 9420 s.5.1.2, label prefixed "MLS 1.0 " by ts-mls). The request does
 * not say which signature scheme the key is for; it is the scheme of one of
 * its acceptable cipher suites (the room's), so each distinct one is tried.
 */
export async function verifyRequesterSignature(request: KeyMaterialRequest): Promise<boolean> {
  const tbs = encode(keyMaterialRequestTbs, keyMaterialRequestToBeSigned(request));
  for (const name of new Set(request.acceptableCiphersuites)) {
    const suite = await ciphersuiteImplementation(name);
    if (suite === undefined) continue;
    try {
      const valid = await verifyWithLabel(
        request.requesterSignatureKey,
        SignatureLabel.keyMaterialRequest,
        tbs,
        request.keyMaterialRequestSignature,
        suite.signature,
      );
      if (valid) return true;
    } catch {
      // A key that is not one of this suite's scheme cannot even be imported: try the next suite.
    }
  }
  return false;
}

type UserCode = KeyMaterialResponse["userStatus"];

function respond(userUri: string, userStatus: UserCode, clients: ClientKeyMaterial[] = []): KeyMaterialResponse {
  return { protocol: Protocol.mls10, userStatus, userUri, clients };
}

/**
 * protocol-06 s.5.2 at the target provider: claims at most one KeyPackage
 * for each client of the target user, in one transaction. For each client,
 * the oldest unclaimed KeyPackage within its lifetime whose cipher suite is
 * acceptable and whose capabilities cover the required ones is claimed (the
 * claim is conditional, so no KeyPackage is ever handed out twice) and its
 * KeyPackageRef routed to the client, for the Welcome to come.
 *
 * Client codes: success; keyMaterialExhausted when the client has no
 * KeyPackage left; nothingCompatible when it has some, none compatible (its
 * capabilities withheld, for privacy). User codes: userUnknown for a user
 * with no device here; success when every client got one; partialSuccess
 * when some did; otherwise noCompatibleMaterial, with the clients listed
 * (s.5.2 allows it), also when every client is merely exhausted: no user
 * code says "exhausted", and this one says no material could be supplied.
 * Every requester is treated as having consent: consent (s.8) is a later issue.
 */
export async function claimKeyMaterial(
  store: HubStore,
  request: KeyMaterialRequest,
  claim: { readonly ourDomain: string; readonly peerDomain: string; readonly now: number },
): Promise<KeyMaterialResponse> {
  return store.transaction(async (tx) => {
    const devices = await tx.devicesOfUser(request.targetUser);
    if (devices.length === 0) return respond(request.targetUser, KeyMaterialUserCode.userUnknown);
    const nowSeconds = Math.floor(claim.now / 1000);
    const clients: ClientKeyMaterial[] = [];
    for (const device of devices) {
      let claimed: KeyPackage | undefined;
      let sawCompatible = false;
      const available = await tx.availableKeyPackages(device.clientUri, nowSeconds);
      for (const stored of available) {
        const keyPackage = decode(keyPackageCodec, stored.keyPackage);
        if (!isCompatible(keyPackage, request.acceptableCiphersuites, request.requiredCapabilities)) continue;
        sawCompatible = true;
        const won = await tx.claimKeyPackage(stored.id, {
          claimedAt: claim.now,
          byDomain: claim.peerDomain,
          forUser: request.requestingUser,
          forRoom: request.roomId,
        });
        if (!won) continue;
        await tx.recordKeyPackageRoute({
          ref: stored.ref,
          providerDomain: claim.ourDomain,
          clientUri: device.clientUri,
          roomId: request.roomId,
          notAfter: stored.notAfter,
          createdAt: claim.now,
        });
        claimed = keyPackage;
        break;
      }
      if (claimed !== undefined) {
        clients.push({ clientStatus: KeyMaterialClientCode.success, clientUri: device.clientUri, keyPackage: claimed });
      } else if (available.length === 0 || sawCompatible) {
        clients.push({ clientStatus: KeyMaterialClientCode.keyMaterialExhausted, clientUri: device.clientUri });
      } else {
        clients.push({
          clientStatus: KeyMaterialClientCode.nothingCompatible,
          clientUri: device.clientUri,
          clientCapabilities: undefined,
        });
      }
    }
    const successes = clients.filter((client) => client.clientStatus === KeyMaterialClientCode.success).length;
    const userStatus: UserCode =
      successes === devices.length
        ? KeyMaterialUserCode.success
        : successes > 0
          ? KeyMaterialUserCode.partialSuccess
          : KeyMaterialUserCode.noCompatibleMaterial;
    return respond(request.targetUser, userStatus, clients);
  });
}

/**
 * protocol-06 s.4.3.1, s.5.2 at the hub of the request's room, for a target
 * user of another provider: forwards the request unchanged to the target
 * provider and its answer unchanged to the requester, remembering the
 * provider of every KeyPackage returned (the Welcome will go there).
 * Failures of the target become 502.
 */
async function relayKeyMaterial(
  services: HubServices,
  request: KeyMaterialRequest,
  body: Uint8Array,
  targetDomain: string,
  requestId: string,
): Promise<Uint8Array> {
  const answer = await postToPeer(services, targetDomain, "keyMaterial", request.targetUser, body, requestId);
  if (answer.status !== 200) throw unexpectedAnswer(targetDomain, answer);
  let response: KeyMaterialResponse;
  try {
    response = decode(keyMaterialResponse, answer.body);
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    throw new HttpError(502, `${targetDomain} answered an invalid KeyMaterialResponse: ${error.message}`);
  }
  if (response.userUri !== request.targetUser) {
    throw new HttpError(502, `${targetDomain} answered for ${response.userUri}, not ${request.targetUser}`);
  }
  const now = services.clock.now();
  for (const client of response.clients) {
    if (client.clientStatus !== KeyMaterialClientCode.success) continue;
    const suite = await ciphersuiteImplementation(client.keyPackage.cipherSuite);
    if (suite === undefined) {
      services.logger.warn(
        { client: client.clientUri, cipherSuite: client.keyPackage.cipherSuite },
        "cannot compute the KeyPackageRef of a relayed KeyPackage; its Welcome will not be routed",
      );
      continue;
    }
    await services.store.recordKeyPackageRoute({
      ref: await makeKeyPackageRef(client.keyPackage, suite.hash),
      providerDomain: targetDomain,
      clientUri: client.clientUri,
      roomId: request.roomId,
      notAfter: lifetimeSeconds(client.keyPackage.leafNode.lifetime.notAfter),
      createdAt: now,
    });
  }
  return answer.body;
}

/** The request of a /keyMaterial body, or `unsupportedProtocol` when it asks for a protocol other than MLS 1.0. */
export function readKeyMaterialRequest(body: Uint8Array): KeyMaterialRequest | "unsupportedProtocol" {
  const protocolByte = body[0];
  // The Protocol enum leaves room for protocols after mls10; one this provider lacks gets incompatibleProtocol.
  if (protocolByte !== undefined && protocolByte > Protocol.mls10) return "unsupportedProtocol";
  try {
    return decode(keyMaterialRequest, body);
  } catch (error) {
    if (error instanceof CodecError) throw new HttpError(400, error.message);
    throw error;
  }
}

/** The answer to a request for a protocol this provider lacks (s.5.2: incompatibleProtocol). */
export function incompatibleProtocolAnswer(targetUser: string): Uint8Array {
  const response = {
    protocol: Protocol.mls10,
    userStatus: KeyMaterialUserCode.incompatibleProtocol,
    userUri: targetUser,
    clients: [],
  };
  return encode(keyMaterialResponse, response as KeyMaterialResponse);
}

/**
 * What every provider checks of a KeyMaterialRequest before acting on it:
 * the path's user is its targetUser and acceptableCiphersuites is not empty
 * (400); requesterCredential is a MIMI client of requestingUser and the
 * signature verifies (403).
 */
export async function checkKeyMaterialRequest(request: KeyMaterialRequest, targetUser: string): Promise<void> {
  if (request.targetUser !== targetUser) {
    throw new HttpError(400, `the path names ${targetUser} but targetUser is ${request.targetUser}`);
  }
  if (request.acceptableCiphersuites.length === 0) {
    throw new HttpError(400, "acceptableCiphersuites must not be empty (protocol-06 s.5.2)");
  }
  const requester = credentialIdentity(request.requesterCredential);
  if (!requester.ok || requester.identity.userUri !== request.requestingUser) {
    const reason = requester.ok ? `it names a client of ${requester.identity.userUri}` : requester.error.reason;
    throw new HttpError(403, `requesterCredential is not a client of ${request.requestingUser}: ${reason}`);
  }
  if (!(await verifyRequesterSignature(request))) {
    throw new HttpError(403, "key_material_request_signature does not verify with requesterSignatureKey");
  }
}

/**
 * Answers a checked KeyMaterialRequest where this provider can: a target
 * user of ours claims here (for `requesterDomain`); a target of another
 * provider, for a room hosted here, is relayed to it (this provider is the
 * room's hub). Undefined otherwise: the request is for another provider.
 */
export async function answerKeyMaterial(
  services: HubServices,
  request: KeyMaterialRequest,
  body: Uint8Array,
  context: { readonly requesterDomain: string; readonly requestId: string },
): Promise<Uint8Array | undefined> {
  const ourDomain = services.config.domain;
  const targetDomain = parseMimiUri(request.targetUser)?.domain;
  if (targetDomain === ourDomain) {
    const response = await claimKeyMaterial(services.store, request, {
      ourDomain,
      peerDomain: context.requesterDomain,
      now: services.clock.now(),
    });
    return encode(keyMaterialResponse, response);
  }
  if (targetDomain !== undefined && parseMimiUri(request.roomId)?.domain === ourDomain) {
    return relayKeyMaterial(services, request, body, targetDomain, context.requestId);
  }
  return undefined;
}

/**
 * POST /keyMaterial/{targetUser} (protocol-06 s.5.2), behind mutual TLS.
 * 200 with a KeyMaterialResponse; 400 for a body that does not decode or
 * disagrees with the path; 403 when the requester's credential is not a
 * client of requestingUser or the signature does not verify; 404 when the
 * target is not ours and the room is not hosted here; 502 when relaying fails.
 */
export function registerKeyMaterial(app: Hono<HubEnv>, services: HubServices): void {
  app.post("/keyMaterial/*", limitBody(MAX_FEDERATION_BODY_BYTES), async (c) => {
    const targetUser = identifierFromPath(new URL(c.req.url).pathname, "/keyMaterial/", "user");
    const body = await readBinaryBody(c);
    const request = readKeyMaterialRequest(body);
    if (request === "unsupportedProtocol") return sendBinary(c, incompatibleProtocolAnswer(targetUser));
    await checkKeyMaterialRequest(request, targetUser);
    const answer = await answerKeyMaterial(services, request, body, {
      requesterDomain: c.get("peerDomain"),
      requestId: c.get("requestId"),
    });
    if (answer === undefined) {
      throw new HttpError(
        404,
        `${targetUser} is not a user of ${services.config.domain}, and ${request.roomId} is not a room hosted here`,
      );
    }
    return sendBinary(c, answer);
  });
}
