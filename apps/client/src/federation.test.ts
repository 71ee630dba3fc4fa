/**
 * protocol-06 s.3 end to end through the SDK, on three real providers
 * (apps/hub) under one CA: a.example hosts the clubhouse, b.example and
 * c.example follow it. Every room operation goes over HTTPS to the
 * device's provider, from there over mutual TLS to the Hub, and comes back
 * as fan-out through /notify and the devices' event streams.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { encode } from "@mimi-ts/codec";
import {
  GroupInfoCode,
  groupInfoRequestTbs,
  groupInfoRequestToBeSigned,
  Protocol,
  SignatureLabel,
} from "@mimi-ts/protocol";
import { basicCredential, commitPending, RoomCipherSuite } from "@mimi-ts/room";
import { decodeExternalSenders, getCiphersuiteFromName, getCiphersuiteImpl } from "ts-mls";
import { signWithLabel } from "ts-mls/crypto/signature.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, type ClientOptions, type SyncResult } from "./client.js";
import type { ConversationMessage } from "./conversation.js";
import { ClientError } from "./errors.js";
import { HttpsRoomTransport } from "./httpsRoomTransport.js";
import { StateStore } from "./state.js";
import { temporaryDirectory } from "./test-support/homes.js";
import { eventually, RealNetwork } from "./test-support/realNetwork.js";

const ROOM = "mimi://a.example/r/clubhouse";
const ALICE = "mimi://a.example/u/alice";
const BOB = "mimi://b.example/u/bob";
const CATHY = "mimi://c.example/u/cathy";
const OPTIONS: ClientOptions = { settleMs: 20 };

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let network: RealNetwork;
let alice: Client;
let bobLaptop: Client;
let bobPhone: Client;
let cathy: Client;
let cathyPhone: Client;

function register(userUri: string, clientId: string, authorizingToken?: string): Promise<Client> {
  const domain = new URL(userUri).hostname;
  return Client.register(
    {
      home: join(directory.path, `${new URL(userUri).pathname.slice(3)}-${clientId}`),
      provider: network.url(domain),
      userUri,
      ca: network.caPath,
      clientId,
      ...(authorizingToken === undefined ? {} : { authorizingToken }),
    },
    OPTIONS,
  );
}

/**
 * Syncs a device until it has applied everything its provider holds for it,
 * once every provider has delivered its fan-out: deterministic, whatever the
 * timing of the deliveries.
 */
async function syncFully(client: Client): Promise<SyncResult> {
  await network.settle();
  const total = { events: 0, handshakes: 0, messages: 0, joined: [] as string[], removedFrom: [] as string[] };
  const rejected: SyncResult["rejected"][number][] = [];
  let cursor = 0;
  await eventually(`${client.clientUri}'s inbox`, async () => {
    const result = await client.sync();
    total.events += result.events;
    total.handshakes += result.handshakes;
    total.messages += result.messages;
    total.joined.push(...result.joined);
    total.removedFrom.push(...result.removedFrom);
    rejected.push(...result.rejected);
    cursor = result.cursor;
    return !(await network.hasEventsAfter(client.clientUri, cursor));
  });
  return { ...total, cursor, rejected };
}

async function syncAll(...clients: Client[]): Promise<void> {
  for (const client of clients) expect((await syncFully(client)).rejected, client.clientUri).toEqual([]);
}

async function participants(client: Client) {
  return (await client.roomInfo(ROOM)).participants.map(({ userUri, roleName, clients }) => [
    userUri,
    roleName,
    [...clients].sort(),
  ]);
}

/** The conversation without accepted times (the Hub's clock sets them). */
function shape(messages: readonly ConversationMessage[]) {
  return messages.map(({ acceptedAt: _acceptedAt, ...rest }) => rest);
}

beforeAll(async () => {
  directory = await temporaryDirectory();
  network = await RealNetwork.start(directory.path, ["a.example", "b.example", "c.example"]);
  alice = await register(ALICE, "laptop");
  bobLaptop = await register(BOB, "laptop");
  bobPhone = await register(BOB, "phone", await bobLaptop.token());
  cathy = await register(CATHY, "laptop");
  await alice.publishKeyPackages(1);
  await bobLaptop.publishKeyPackages(2);
  await bobPhone.publishKeyPackages(2);
  await cathy.publishKeyPackages(2);
});

afterAll(async () => {
  await network?.close();
  await directory?.remove();
});

describe("protocol-06 s.3 across a.example (Hub), b.example and c.example", () => {
  it("s.3.1: Alice creates the clubhouse; a.example becomes its Hub and its external sender", async () => {
    expect(await alice.createRoom({ roomUri: ROOM, name: "Clubhouse" })).toEqual({ roomUri: ROOM });
    const hub = network.hub("a.example").services;
    expect((await hub.store.hubRoom(ROOM))?.epoch).toBe(0);
    expect(await hub.store.roomFollowers(ROOM)).toEqual([alice.clientUri]);
    const record = await new StateStore(alice.home).readRoom(ROOM);
    const extension = record?.room.state.groupContext.extensions.find(
      ({ extensionType }) => extensionType === "external_senders",
    );
    const senders = extension === undefined ? undefined : decodeExternalSenders(extension.extensionData);
    expect(senders).toEqual([hub.identity.externalSender(RoomCipherSuite.x25519)]);
    // A room of a.example is a.example's to create; b.example will not host it.
    await expect(bobLaptop.createRoom({ roomUri: "mimi://a.example/r/elsewhere" })).rejects.toThrow(
      /^GET \/client\/v1\/rooms\/mimi%3A%2F%2Fa\.example%2Fr%2Felsewhere\/hubSender\?cipherSuite=\S+: 400 rooms created here are mimi:\/\/b\.example\/r\/<id>/,
    );
  });

  it("s.3.2: Alice adds Bob; the Welcome reaches both of his devices through b.example", async () => {
    const added = await alice.addUsers(ROOM, [BOB]);
    expect(added.epoch).toBe(1n);
    for (const device of [bobLaptop, bobPhone]) {
      expect(await syncFully(device)).toMatchObject({ joined: [ROOM], rejected: [] });
    }
    expect(await participants(bobPhone)).toEqual([
      [ALICE, "super_admin", [alice.clientUri]],
      [BOB, "ordinary_user", [bobLaptop.clientUri, bobPhone.clientUri].sort()],
    ]);
    expect(await network.hub("b.example").services.store.roomFollowers(ROOM)).toEqual(
      [bobLaptop.clientUri, bobPhone.clientUri].sort(),
    );
  });

  it("s.3.3: Bob adds Cathy through the Hub, which relays the key material and routes the Welcome to c.example", async () => {
    const added = await bobLaptop.addUsers(ROOM, [CATHY]);
    expect(added.epoch).toBe(2n);
    expect(await syncFully(cathy)).toMatchObject({ joined: [ROOM], rejected: [] });
    await syncAll(alice, bobLaptop, bobPhone);
    const hub = network.hub("a.example").services.store;
    expect((await hub.hubRoom(ROOM))?.epoch).toBe(2);
    const epochs = await Promise.all(
      [alice, bobLaptop, bobPhone, cathy].map(async (c) => (await c.roomInfo(ROOM)).epoch),
    );
    expect(epochs).toEqual([2n, 2n, 2n, 2n]);
  });

  it("s.3.4: Cathy's message, a reply, a reaction, an edit and a delete show alike on every device", async () => {
    const hello = await cathy.send(ROOM, "Hello **everyone**");
    await syncAll(alice, bobLaptop, bobPhone);
    const reply = await bobLaptop.send(ROOM, "Hi Cathy", { replyTo: hello.messageId });
    const like = await alice.react(ROOM, hello.messageId, "👍");
    await syncAll(cathy);
    await cathy.edit(ROOM, hello.messageId, "Hello everyone!");
    const typo = await bobPhone.send(ROOM, "tpyo");
    await syncAll(bobLaptop);
    await bobLaptop.delete(ROOM, typo.messageId);
    await syncAll(alice, bobLaptop, bobPhone, cathy);

    const expected = [
      {
        messageId: hello.messageId,
        sender: CATHY,
        text: "Hello everyone!",
        inReplyTo: null,
        reactions: [{ messageId: like.messageId, reactor: ALICE, text: "👍" }],
        edited: true,
        deleted: false,
      },
      {
        messageId: reply.messageId,
        sender: BOB,
        text: "Hi Cathy",
        inReplyTo: hello.messageId,
        reactions: [],
        edited: false,
        deleted: false,
      },
      {
        messageId: typo.messageId,
        sender: BOB,
        text: null,
        inReplyTo: null,
        reactions: [],
        edited: false,
        deleted: true,
      },
    ];
    const seen = await Promise.all([alice, bobLaptop, bobPhone, cathy].map((client) => client.messages(ROOM)));
    for (const messages of seen) expect(shape(messages)).toEqual(expected);
    // The Hub's accepted times, the same everywhere, in the order it accepted the messages.
    for (const messages of seen) expect(messages).toEqual(seen[0]);
    const times = (seen[0] ?? []).map(({ acceptedAt }) => acceptedAt);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]).toBe(hello.acceptedAt);
  });

  it("s.3.5: Bob leaves; the Hub keeps his proposals and refuses a commit that leaves them out", async () => {
    await bobLaptop.leave(ROOM);
    // Alice has not seen the proposals: her commit lacks them.
    await expect(alice.commitPending(ROOM)).rejects.toThrow(
      /^the Hub of mimi:\/\/a\.example\/r\/clubhouse found invalid proposals \([0-9a-f]{64}(, [0-9a-f]{64}){2}\): the commit must include the 3 proposal\(s\) the Hub accepted in epoch 2 \(protocol-06 s\.3\.5\)$/,
    );
    await syncAll(cathy, bobPhone);
    expect((await cathy.roomInfo(ROOM)).pendingProposals).toBe(3);
    const committed = await cathy.commitPending(ROOM);
    expect(committed.epoch).toBe(3n);
    for (const device of [bobLaptop, bobPhone]) {
      expect(await syncFully(device)).toMatchObject({ removedFrom: [ROOM], rejected: [] });
      expect((await device.roomInfo(ROOM)).active).toBe(false);
    }
    // Alice is at epoch 2 still: the Hub refuses her message for it; after a sync it goes.
    await expect(alice.send(ROOM, "stale")).rejects.toThrow(`the Hub of ${ROOM} is at epoch 3: run sync, then retry`);
    await syncAll(alice);
    expect(await participants(alice)).toEqual([
      [ALICE, "super_admin", [alice.clientUri]],
      [CATHY, "ordinary_user", [cathy.clientUri]],
    ]);
    await expect(bobPhone.send(ROOM, "still here?")).rejects.toThrow(`this device is no longer a member of ${ROOM}`);
  });

  it("s.3.6: Cathy's new device joins by external commit with the GroupInfo the Hub signs and encrypts to it", async () => {
    cathyPhone = await register(CATHY, "phone", await cathy.token());
    const joined = await cathyPhone.join(ROOM);
    expect(joined.epoch).toBe(4n);
    await syncAll(alice, cathy, cathyPhone);
    expect(await participants(alice)).toEqual([
      [ALICE, "super_admin", [alice.clientUri]],
      [CATHY, "ordinary_user", [cathy.clientUri, cathyPhone.clientUri].sort()],
    ]);
    expect(await network.hub("c.example").services.store.roomFollowers(ROOM)).toEqual(
      [cathy.clientUri, cathyPhone.clientUri].sort(),
    );

    const next = await alice.send(ROOM, "Welcome, new phone");
    await syncAll(cathy, cathyPhone);
    for (const device of [alice, cathy, cathyPhone]) {
      expect((await device.messages(ROOM)).at(-1)).toMatchObject({ messageId: next.messageId, sender: ALICE });
    }
    const fromPhone = await cathyPhone.send(ROOM, "typed on the phone");
    await syncAll(alice, cathy);
    expect((await alice.messages(ROOM)).at(-1)).toMatchObject({ messageId: fromPhone.messageId, sender: CATHY });
  });

  it("refuses the GroupInfo to a device of a user who is not a participant", async () => {
    const dave = await register("mimi://b.example/u/dave", "laptop");
    await expect(dave.join(ROOM)).rejects.toThrow(
      `the Hub of ${ROOM} does not let this device fetch the room's GroupInfo`,
    );
    await expect(dave.join("mimi://a.example/r/nowhere")).rejects.toThrow(
      "the Hub knows no room mimi://a.example/r/nowhere",
    );
    // The room's Hub answers the signed request itself: a request signed with another key is not authorized.
    const suite = await getCiphersuiteImpl(getCiphersuiteFromName(RoomCipherSuite.x25519));
    const device = await new StateStore(dave.home).readDevice();
    const other = await suite.signature.keygen();
    const { publicKey } = await suite.hpke.generateKeyPair();
    const unsigned = {
      protocol: Protocol.mls10,
      cipherSuite: RoomCipherSuite.x25519,
      requestingSignatureKey: device.signatureKeyPair.publicKey,
      requestingCredential: basicCredential(dave.clientUri),
      groupInfoPublicKey: await suite.hpke.exportPublicKey(publicKey),
      joiningCode: undefined,
      signature: new Uint8Array(),
    } as const;
    const signature = await signWithLabel(
      other.signKey,
      SignatureLabel.groupInfoRequest,
      encode(groupInfoRequestTbs, groupInfoRequestToBeSigned(unsigned)),
      suite.signature,
    );
    const transport = new HttpsRoomTransport({
      url: network.url("b.example"),
      token: device.token,
      ca: await readFile(network.caPath, "utf8"),
    });
    const response = await transport.fetchGroupInfo(ROOM, { ...unsigned, signature });
    expect(response.result.status).toBe(GroupInfoCode.notAuthorized);
  });

  it("passes on the Hub's 404 for a room it does not host, and says so when the room exists already", async () => {
    const record = await new StateStore(alice.home).readRoom(ROOM);
    if (record === undefined) throw new Error("Alice has no room");
    const commit = await commitPending(record.room);
    if (!commit.ok) throw new Error("Alice cannot commit");
    const device = await new StateStore(cathy.home).readDevice();
    const transport = new HttpsRoomTransport({
      url: network.url("c.example"),
      token: device.token,
      ca: await readFile(network.caPath, "utf8"),
    });
    const nowhere = "mimi://a.example/r/nowhere";
    const refused = await transport.sendHandshake(nowhere, commit.bundle).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ClientError);
    expect((refused as ClientError).status).toBe(404);
    expect((refused as ClientError).message).toBe(
      `POST /client/v1/rooms/${encodeURIComponent(nowhere)}/update: 404 the Hub a.example answered: there is no room ${nowhere}`,
    );
    const atHub = new HttpsRoomTransport({
      url: network.url("a.example"),
      token: (await new StateStore(alice.home).readDevice()).token,
      ca: await readFile(network.caPath, "utf8"),
    });
    await expect(atHub.hubExternalSender(ROOM, RoomCipherSuite.x25519)).rejects.toThrow(
      `GET /client/v1/rooms/${encodeURIComponent(ROOM)}/hubSender?cipherSuite=${RoomCipherSuite.x25519}: 409 the room ${ROOM} exists`,
    );
  });

  it("delivers to a follower that was down once it is back (the Hub's queue retries)", async () => {
    await network.stop("c.example");
    const whileDown = await alice.send(ROOM, "are you there, c.example?");
    const hub = network.hub("a.example").services.store;
    await eventually("a failed delivery attempt", async () => {
      const heads = await hub.dueDeliveryHeads(Number.MAX_SAFE_INTEGER);
      return heads.some((head) => head.peerDomain === "c.example" && head.attempts > 0);
    });
    await network.startProvider("c.example");
    await syncAll(cathy, cathyPhone);
    for (const device of [cathy, cathyPhone]) {
      expect((await device.messages(ROOM)).at(-1)).toMatchObject({
        messageId: whileDown.messageId,
        text: "are you there, c.example?",
      });
    }
  });
});
