import { type Codec, CodecError, decode, encode, struct } from "@mimi-ts/codec";
import {
  externalSender,
  groupInfo,
  groupInfoRequest,
  groupInfoResponse,
  handshakeBundle,
  keyMaterialResponse,
  type MimiEndpoint,
  parseMimiUri,
  ratchetTreeOption,
  submitMessageRequest,
  submitMessageResponse,
  UpdateResponseCode,
  updateRoomResponse,
} from "@mimi-ts/protocol";
import { credentialIdentity } from "@mimi-ts/room";
import type { Context, Hono } from "hono";
import { requireDevice } from "./devices.js";
import {
  createHostedRoom,
  groupInfoOfHostedRoom,
  isHostedHere,
  noSuchRoom,
  submitToHostedRoom,
  updateHostedRoom,
} from "./hostedRooms.js";
import { decodeBody, limitBody, MAX_FEDERATION_BODY_BYTES, readBinaryBody, sendBinary } from "./httpBodies.js";
import { HttpError } from "./httpErrors.js";
import type { HubEnv } from "./hubEnv.js";
import {
  answerKeyMaterial,
  checkKeyMaterialRequest,
  incompatibleProtocolAnswer,
  readKeyMaterialRequest,
} from "./keyMaterial.js";
import { answerDetail, postToPeer, unexpectedAnswer } from "./peerRequests.js";
import type { HubServices } from "./services.js";

/**
 * The body of `POST /client/v1/rooms/{roomId}` (provider-local: protocol-06
 * s.3.1 makes room creation local to the Hub), in the TLS presentation
 * language:
 *
 *   struct {
 *     GroupInfo group_info;                  // epoch 0, with external_pub, without ratchet_tree
 *     RatchetTreeOption ratchet_tree_option; // full
 *   } RoomCreation;
 */
export const roomCreation = struct("RoomCreation", { groupInfo, ratchetTreeOption });

/** The room of a client API path (one segment, the room URI percent-encoded as a whole) and its Hub's domain. */
function roomParam(c: Context<HubEnv>): { readonly roomId: string; readonly hubDomain: string } {
  const text = c.req.param("room") ?? "";
  const parsed = parseMimiUri(text);
  if (parsed?.kind !== "room" || parsed.uri !== text) {
    throw new HttpError(
      400,
      `the path must name a canonical MIMI room URI, percent-encoded as one segment, not ${JSON.stringify(text)}`,
    );
  }
  return { roomId: parsed.uri, hubDomain: parsed.domain };
}

/**
 * A request for a room hosted elsewhere, relayed unchanged to the room's
 * Hub over federation (protocol-06 s.4.1; this provider is a follower of the
 * room); the Hub's 200 answer must decode with `codec` and is passed on as
 * it is. The Hub's 404 is passed on; any other failure is 502.
 */
async function viaHub<T>(
  c: Context<HubEnv>,
  services: HubServices,
  endpoint: MimiEndpoint,
  hubDomain: string,
  value: string,
  body: Uint8Array,
  codec: Codec<T>,
): Promise<{ readonly bytes: Uint8Array; readonly answer: T }> {
  const answer = await postToPeer(services, hubDomain, endpoint, value, body, c.get("requestId"));
  if (answer.status === 404) throw new HttpError(404, `the Hub ${hubDomain} answered: ${answerDetail(answer)}`);
  if (answer.status !== 200) throw unexpectedAnswer(hubDomain, answer);
  try {
    return { bytes: answer.body, answer: decode(codec, answer.body) };
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    throw new HttpError(502, `${hubDomain} answered an invalid ${codec.name}: ${error.message}`);
  }
}

/**
 * The client API's room routes (provider-local, bearer token of a device;
 * apps/hub README "Rooms"). For a room hosted here the provider acts as its
 * Hub; for a room hosted elsewhere it relays the request to the room's Hub
 * over federation and passes the Hub's answer on (the fan-out comes back
 * through /notify). Protocol answers, refusals included, are 200 with the
 * protocol struct; the provider itself answers 400 (malformed), 403 (the
 * request speaks for another client or user than the device), 404 (no such
 * room), 409 (the room exists), 502 (the Hub failed).
 */
export function registerClientRooms(app: Hono<HubEnv>, services: HubServices): void {
  const device = requireDevice(services.store);
  const limit = limitBody(MAX_FEDERATION_BODY_BYTES);
  const ourDomain = services.config.domain;
  /** A room a device may create here: one of this provider's domain. */
  const roomToCreate = (c: Context<HubEnv>): string => {
    const { roomId, hubDomain } = roomParam(c);
    if (hubDomain !== ourDomain) {
      throw new HttpError(
        400,
        `rooms created here are mimi://${ourDomain}/r/<id>; ${roomId} would be hosted elsewhere`,
      );
    }
    return roomId;
  };

  // The Hub's external sender for a room to be created here (protocol-06 s.7.4), for the room's cipher suite.
  app.get("/client/v1/rooms/:room/hubSender", device, async (c) => {
    const roomId = roomToCreate(c);
    const cipherSuite = c.req.query("cipherSuite") ?? "";
    if (!services.identity.supports(cipherSuite)) {
      throw new HttpError(400, `cipherSuite must name a room cipher suite, not ${JSON.stringify(cipherSuite)}`);
    }
    if ((await services.store.hubRoom(roomId)) !== undefined) throw new HttpError(409, `the room ${roomId} exists`);
    return sendBinary(c, encode(externalSender, services.identity.externalSender(cipherSuite)));
  });

  app.post("/client/v1/rooms/:room", device, limit, async (c) => {
    const roomId = roomToCreate(c);
    const creation = decodeBody(roomCreation, await readBinaryBody(c));
    await createHostedRoom(services, roomId, creation, c.get("device"));
    return c.body(null, 201);
  });

  app.post("/client/v1/rooms/:room/update", device, limit, async (c) => {
    const { roomId, hubDomain } = roomParam(c);
    const body = await readBinaryBody(c);
    const bundle = decodeBody(handshakeBundle, body);
    const { clientUri } = c.get("device");
    if (isHostedHere(services, roomId)) {
      const response = await updateHostedRoom(services, roomId, bundle, { kind: "device", clientUri });
      if (response === undefined) throw noSuchRoom(services, roomId);
      return sendBinary(c, encode(updateRoomResponse, response));
    }
    const relayed = await viaHub(c, services, "update", hubDomain, roomId, body, updateRoomResponse);
    // A device whose handshake the Hub accepted is a member (an external joiner is from now on).
    if (relayed.answer.responseCode === UpdateResponseCode.success) {
      await services.store.addRoomFollower(roomId, clientUri, services.clock.now());
    }
    return sendBinary(c, relayed.bytes);
  });

  app.post("/client/v1/rooms/:room/submitMessage", device, limit, async (c) => {
    const { roomId, hubDomain } = roomParam(c);
    const body = await readBinaryBody(c);
    const request = decodeBody(submitMessageRequest, body);
    const { clientUri, userUri } = c.get("device");
    // The Hub cannot see who sent a PrivateMessage: the sender's provider vouches for sendingUri (protocol-06 s.5.4).
    if (request.sendingUri !== userUri) {
      throw new HttpError(403, `sendingUri must be this device's user ${userUri}, not ${request.sendingUri}`);
    }
    if (isHostedHere(services, roomId)) {
      const response = await submitToHostedRoom(services, roomId, request, { kind: "device", clientUri });
      if (response === undefined) throw noSuchRoom(services, roomId);
      return sendBinary(c, encode(submitMessageResponse, response));
    }
    const relayed = await viaHub(c, services, "submitMessage", hubDomain, roomId, body, submitMessageResponse);
    return sendBinary(c, relayed.bytes);
  });

  app.post("/client/v1/rooms/:room/groupInfo", device, limit, async (c) => {
    const { roomId, hubDomain } = roomParam(c);
    const body = await readBinaryBody(c);
    const request = decodeBody(groupInfoRequest, body);
    const { clientUri } = c.get("device");
    const requester = credentialIdentity(request.requestingCredential);
    if (!requester.ok || requester.identity.clientUri !== clientUri) {
      throw new HttpError(403, `requestingCredential must be this device's credential, ${clientUri}`);
    }
    if (isHostedHere(services, roomId)) {
      return sendBinary(
        c,
        encode(groupInfoResponse, await groupInfoOfHostedRoom(services, roomId, request, ourDomain)),
      );
    }
    const relayed = await viaHub(c, services, "groupInfo", hubDomain, roomId, body, groupInfoResponse);
    return sendBinary(c, relayed.bytes);
  });

  app.post("/client/v1/keyMaterial/:user", device, limit, async (c) => {
    const targetUser = c.req.param("user");
    const parsed = parseMimiUri(targetUser);
    if (parsed?.kind !== "user" || parsed.uri !== targetUser) {
      throw new HttpError(400, `the path must name a canonical MIMI user URI, not ${JSON.stringify(targetUser)}`);
    }
    const body = await readBinaryBody(c);
    const request = readKeyMaterialRequest(body);
    if (request === "unsupportedProtocol") return sendBinary(c, incompatibleProtocolAnswer(targetUser));
    const { clientUri, userUri } = c.get("device");
    const requester = credentialIdentity(request.requesterCredential);
    if (request.requestingUser !== userUri || !requester.ok || requester.identity.clientUri !== clientUri) {
      throw new HttpError(403, `the request must be this device's: requestingUser ${userUri}, credential ${clientUri}`);
    }
    await checkKeyMaterialRequest(request, targetUser);
    const room = parseMimiUri(request.roomId);
    if (room?.kind !== "room") throw new HttpError(400, `roomId ${request.roomId} is not a room URI`);
    const answered = await answerKeyMaterial(services, request, body, {
      requesterDomain: ourDomain,
      requestId: c.get("requestId"),
    });
    if (answered !== undefined) return sendBinary(c, answered);
    // protocol-06 s.3.3: a user of another provider, for a room hosted elsewhere, through the room's Hub.
    const relayed = await viaHub(c, services, "keyMaterial", room.domain, targetUser, body, keyMaterialResponse);
    return sendBinary(c, relayed.bytes);
  });
}
