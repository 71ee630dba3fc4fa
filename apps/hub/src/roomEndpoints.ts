import { encode } from "@mimi-ts/codec";
import {
  groupInfoRequest,
  groupInfoResponse,
  handshakeBundle,
  parseMimiUri,
  submitMessageRequest,
  submitMessageResponse,
  updateRoomResponse,
} from "@mimi-ts/protocol";
import type { Hono } from "hono";
import {
  groupInfoOfHostedRoom,
  isHostedHere,
  noSuchRoom,
  submitToHostedRoom,
  updateHostedRoom,
} from "./hostedRooms.js";
import { decodeBody, limitBody, MAX_FEDERATION_BODY_BYTES, readBinaryBody, sendBinary } from "./httpBodies.js";
import { HttpError } from "./httpErrors.js";
import type { HubEnv } from "./hubEnv.js";
import { identifierFromPath } from "./pathIdentifiers.js";
import type { HubServices } from "./services.js";

/**
 * The Hub's federation endpoints (protocol-06 s.5.3, s.5.4, s.5.6), behind
 * mutual TLS, for the rooms hosted here; the peer is a follower provider
 * relaying its clients' requests.
 *
 * - `POST /update/{roomId}`: a HandshakeBundle; 200 UpdateRoomResponse
 *   (success, wrongEpoch, notAllowed, invalidProposal).
 * - `POST /submitMessage/{roomId}`: a SubmitMessageRequest; 200
 *   SubmitMessageResponse (accepted, notAllowed, epochTooOld); 403 when
 *   sendingUri is not a user of the peer (a provider speaks for its own users).
 * - `POST /groupInfo/{roomId}`: a GroupInfoRequest; 200 GroupInfoResponse
 *   (success, notAuthorized, noSuchRoom).
 *
 * 400 for a body that does not decode; 404 for a room not hosted here
 * (update, submitMessage).
 */
export function registerRoomEndpoints(app: Hono<HubEnv>, services: HubServices): void {
  const roomOf = (url: string, prefix: string) => identifierFromPath(new URL(url).pathname, prefix, "room");

  app.post("/update/*", limitBody(MAX_FEDERATION_BODY_BYTES), async (c) => {
    const roomId = roomOf(c.req.url, "/update/");
    if (!isHostedHere(services, roomId)) throw noSuchRoom(services, roomId);
    const bundle = decodeBody(handshakeBundle, await readBinaryBody(c));
    const response = await updateHostedRoom(services, roomId, bundle, {
      kind: "provider",
      domain: c.get("peerDomain"),
    });
    if (response === undefined) throw noSuchRoom(services, roomId);
    return sendBinary(c, encode(updateRoomResponse, response));
  });

  app.post("/submitMessage/*", limitBody(MAX_FEDERATION_BODY_BYTES), async (c) => {
    const roomId = roomOf(c.req.url, "/submitMessage/");
    if (!isHostedHere(services, roomId)) throw noSuchRoom(services, roomId);
    const request = decodeBody(submitMessageRequest, await readBinaryBody(c));
    const peerDomain = c.get("peerDomain");
    if (parseMimiUri(request.sendingUri)?.domain !== peerDomain) {
      throw new HttpError(403, `sendingUri ${request.sendingUri} is not a user of ${peerDomain}, which submits it`);
    }
    const response = await submitToHostedRoom(services, roomId, request, { kind: "provider", domain: peerDomain });
    if (response === undefined) throw noSuchRoom(services, roomId);
    return sendBinary(c, encode(submitMessageResponse, response));
  });

  app.post("/groupInfo/*", limitBody(MAX_FEDERATION_BODY_BYTES), async (c) => {
    const roomId = roomOf(c.req.url, "/groupInfo/");
    const request = decodeBody(groupInfoRequest, await readBinaryBody(c));
    const response = await groupInfoOfHostedRoom(services, roomId, request, c.get("peerDomain"));
    return sendBinary(c, encode(groupInfoResponse, response));
  });
}
