/**
 * Rooms for the Hub's tests, made with @mimi-ts/room's member API: a local
 * device creating a room at a test hub, members joining from Welcomes, and
 * the requests of follower providers (mutual TLS) and of local devices
 * (bearer token) to the room endpoints.
 */
import { encode } from "@mimi-ts/codec";
import { handshakeBundle } from "@mimi-ts/protocol";
import {
  addUsers,
  type ClientKeyPackage,
  createRoom,
  joinRoom,
  newClientKeyPackage,
  type Outcome,
  PresetRoleIndex,
  type Room,
  RoomCipherSuite,
  type RoomCipherSuiteName,
  roomCreationOf,
} from "@mimi-ts/room";
import { expect } from "vitest";
import { roomCreation } from "../clientRooms.js";
import { clientRequest, registerDevice } from "./client.js";
import { httpsRequest, type TestResponse } from "./https.js";
import type { ProviderCredentials, TestHub, TestPki } from "./network.js";

export const BINARY = { "content-type": "application/octet-stream" };

/** The value of a member operation that must succeed. */
export function expectOk<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new Error(`the member operation failed: ${JSON.stringify(outcome.error)}`);
  return outcome;
}

/** A POST from a follower provider to a federation endpoint of `hub`, `{roomId}` percent-encoded as one segment. */
export function federationPost(
  hub: TestHub,
  pki: TestPki,
  as: ProviderCredentials,
  endpoint: string,
  value: string,
  body: Uint8Array,
): Promise<TestResponse> {
  return httpsRequest({
    port: hub.port,
    method: "POST",
    path: `/${endpoint}/${encodeURIComponent(value)}`,
    ca: pki.caPem,
    cert: as.certPem,
    key: as.keyPem,
    headers: { host: hub.config.domain, from: `mimi@${as.domain}`, ...BINARY },
    body,
  });
}

/** A request of a local device to the client API's room routes. */
export function roomRequest(
  hub: TestHub,
  pki: TestPki,
  token: string,
  path: string,
  body?: Uint8Array,
): Promise<TestResponse> {
  return clientRequest(hub, pki, {
    method: body === undefined ? "GET" : "POST",
    path,
    token,
    headers: BINARY,
    ...(body === undefined ? {} : { body }),
  });
}

/** `/client/v1/rooms/{roomId}[/action]`. */
export function clientRoomPath(roomId: string, action?: string): string {
  return `/client/v1/rooms/${encodeURIComponent(roomId)}${action === undefined ? "" : `/${action}`}`;
}

export interface Creator {
  readonly token: string;
  readonly keyPackage: ClientKeyPackage;
  room: Room;
}

/** Registers `clientUri` at `hub` and creates the room there through the client API (protocol-06 s.3.1). */
export async function createRoomAt(
  hub: TestHub,
  pki: TestPki,
  roomUri: string,
  clientUri: string,
  cipherSuite: RoomCipherSuiteName = RoomCipherSuite.x25519,
): Promise<Creator> {
  const token = await registerDevice(hub, pki, clientUri);
  const keyPackage = await newClientKeyPackage(clientUri, { cipherSuite });
  const room = await createRoom({
    roomUri,
    creator: keyPackage,
    hubExternalSender: hub.services.identity.externalSender(cipherSuite),
    cipherSuite,
    name: "Clubhouse",
  });
  const created = await roomRequest(
    hub,
    pki,
    token,
    clientRoomPath(roomUri),
    encode(roomCreation, await roomCreationOf(room)),
  );
  expect(created.status, created.text).toBe(201);
  return { token, keyPackage, room };
}

/**
 * The creator adds users with one KeyPackage per client (made here, as
 * their providers would hand them out) through the client API; returns the
 * commit's result and each new client's room, joined from the Welcome.
 */
export async function addMembers(
  hub: TestHub,
  pki: TestPki,
  roomUri: string,
  creator: Creator,
  users: readonly { readonly userUri: string; readonly clientUris: readonly string[] }[],
): Promise<Map<string, { keyPackage: ClientKeyPackage; room: Room }>> {
  const keyPackages = new Map<string, ClientKeyPackage>();
  for (const { clientUris } of users) {
    for (const clientUri of clientUris) keyPackages.set(clientUri, await newClientKeyPackage(clientUri));
  }
  const added = expectOk(
    await addUsers(
      creator.room,
      users.map(({ userUri, clientUris }) => ({
        userUri,
        roleIndex: PresetRoleIndex.ordinaryUser,
        keyPackages: clientUris.map((clientUri) => (keyPackages.get(clientUri) as ClientKeyPackage).publicPackage),
      })),
    ),
  );
  const answer = await roomRequest(
    hub,
    pki,
    creator.token,
    clientRoomPath(roomUri, "update"),
    encode(handshakeBundle, added.bundle),
  );
  expect(answer.status, answer.text).toBe(200);
  creator.room = added.room;
  const bundle = added.bundle;
  if (!("welcome" in bundle) || bundle.welcome === undefined) throw new Error("the commit has no Welcome");
  const joined = new Map<string, { keyPackage: ClientKeyPackage; room: Room }>();
  for (const [clientUri, keyPackage] of keyPackages) {
    const room = expectOk(
      await joinRoom({ welcome: bundle.welcome, ratchetTreeOption: bundle.ratchetTreeOption, keyPackage }),
    ).room;
    joined.set(clientUri, { keyPackage, room });
  }
  return joined;
}
