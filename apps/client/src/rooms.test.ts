import { join } from "node:path";
import { decode } from "@mimi-ts/codec";
import { fanoutMessage } from "@mimi-ts/protocol";
import { encodeGroupContext } from "ts-mls/groupContext.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, type ClientOptions } from "./client.js";
import type { ConversationMessage } from "./conversation.js";
import { StateStore } from "./state.js";
import { FakeNetwork } from "./test-support/fakeNetwork.js";
import { temporaryDirectory } from "./test-support/homes.js";

const ROOM = "mimi://a.example/r/clubhouse";
const ALICE = "mimi://a.example/u/alice";
const BOB = "mimi://b.example/u/bob";
const CATHY = "mimi://c.example/u/cathy";

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let network: FakeNetwork;
let options: ClientOptions;
let alice: Client;
let bob: Client;
let cathy: Client;
let cathyPhone: Client;

function register(userUri: string, clientId: string, authorizingToken?: string): Promise<Client> {
  const { hostname: domain, pathname } = new URL(userUri.replace("mimi://", "https://"));
  return Client.register(
    {
      home: join(directory.path, `${pathname.slice(3)}-${clientId}`),
      provider: `https://${domain}`,
      userUri,
      clientId,
      ...(authorizingToken === undefined ? {} : { authorizingToken }),
    },
    options,
  );
}

/** The same device from its state on disk, as after a restart. */
const reopen = (client: Client) => Client.open(client.home, options);

async function syncAll(...clients: Client[]): Promise<void> {
  for (const client of clients) {
    const result = await client.sync();
    expect(result.rejected, client.clientUri).toEqual([]);
  }
}

async function participants(client: Client) {
  return (await client.roomInfo(ROOM)).participants.map(({ userUri, roleName, clients }) => [
    userUri,
    roleName,
    clients,
  ]);
}

async function groupContextHex(client: Client): Promise<string> {
  const record = await new StateStore(client.home).readRoom(ROOM);
  if (record === undefined) throw new Error(`${client.clientUri} has no room`);
  return Buffer.from(encodeGroupContext(record.room.state.groupContext)).toString("hex");
}

/** The conversation without the timestamps' exact values, which the fake Hub's clock sets. */
function shape(messages: readonly ConversationMessage[]) {
  return messages.map(({ acceptedAt: _acceptedAt, ...rest }) => rest);
}

beforeAll(async () => {
  directory = await temporaryDirectory();
  network = await FakeNetwork.create(["a.example"]);
  options = network.clientOptions();
  alice = await register(ALICE, "laptop");
  bob = await register(BOB, "laptop");
  cathy = await register(CATHY, "laptop");
  await alice.publishKeyPackages(1);
  await bob.publishKeyPackages(2);
  await cathy.publishKeyPackages(2);
});

afterAll(async () => {
  await directory?.remove();
});

describe("room operations over a RoomTransport (fake providers a, b, c and the Hub of a.example)", () => {
  it("Alice creates the clubhouse and adds Bob and Cathy, who join from their Welcomes", async () => {
    const created = await alice.createRoom({ roomUri: ROOM, name: "Clubhouse" });
    expect(created).toEqual({ roomUri: ROOM });
    expect((await alice.roomInfo(ROOM)).epoch).toBe(0n);
    await expect(alice.createRoom({ roomUri: ROOM })).rejects.toThrow(`this device already has the room ${ROOM}`);

    const added = await alice.addUsers(ROOM, [BOB, CATHY]);
    expect(added.epoch).toBe(1n);
    expect(await bob.sync()).toMatchObject({ events: 1, joined: [ROOM], rejected: [] });
    expect(await cathy.sync()).toMatchObject({ events: 1, joined: [ROOM], rejected: [] });
    // protocol-06 s.5.5: the Hub may send Alice her own commit; she recognizes it and does not apply it again.
    const commit = network.hubOf(ROOM).lastFanout(ROOM);
    if (commit === undefined) throw new Error("the Hub fanned nothing out");
    network.provider("a.example").deliver(alice.clientUri, ROOM, commit);
    expect(await alice.sync()).toMatchObject({ events: 1, handshakes: 0, rejected: [] });
    expect((await new StateStore(alice.home).readRoom(ROOM))?.recentlySent).toEqual([]);

    expect(await participants(bob)).toEqual([
      [ALICE, "super_admin", [alice.clientUri]],
      [BOB, "ordinary_user", [bob.clientUri]],
      [CATHY, "ordinary_user", [cathy.clientUri]],
    ]);
    expect((await cathy.roomInfo(ROOM)).metadata?.roomName).toBe("Clubhouse");
    const contexts = await Promise.all([alice, bob, cathy].map(groupContextHex));
    expect(new Set(contexts).size).toBe(1);
    expect(network.hubOf(ROOM).view(ROOM)?.groupContext.epoch).toBe(1n);
    // The KeyPackage the Welcome used is gone; the other still waits.
    expect((await new StateStore(bob.home).readDevice()).keyPackages).toHaveLength(1);
  });

  it("sends, replies, reacts, edits and deletes, and every member shows the same conversation", async () => {
    const hello = await alice.send(ROOM, "Hello **everyone**");
    const aliceStore = new StateStore(alice.home);
    expect((await aliceStore.readRoom(ROOM))?.recentlySent).toHaveLength(1);
    await syncAll(bob, cathy);
    const hi = await bob.send(ROOM, "Hi Alice", { replyTo: hello.messageId });
    const like = await cathy.react(ROOM, hello.messageId, "👍");
    alice = await reopen(alice);
    await syncAll(alice);
    const edited = await alice.edit(ROOM, hello.messageId, "Hello everyone!");
    const typo = await bob.send(ROOM, "tpyo");
    await bob.delete(ROOM, typo.messageId);
    await syncAll(alice, bob, cathy);

    // Once later events have come, Alice's own message cannot come back any more.
    expect((await aliceStore.readRoom(ROOM))?.recentlySent).toEqual([]);
    await expect(bob.edit(ROOM, hello.messageId, "mine now")).rejects.toThrow(
      `only the sender may edit a message: ${hello.messageId} is ${ALICE}'s`,
    );
    await expect(bob.removeUsers(ROOM, [ALICE])).rejects.toThrow(/^refused by the room policy: /);

    const expected = [
      {
        messageId: hello.messageId,
        sender: ALICE,
        text: "Hello everyone!",
        inReplyTo: null,
        reactions: [{ messageId: like.messageId, reactor: CATHY, text: "👍" }],
        edited: true,
        deleted: false,
      },
      {
        messageId: hi.messageId,
        sender: BOB,
        text: "Hi Alice",
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
    const seen = await Promise.all([alice, bob, cathy].map((client) => client.messages(ROOM)));
    for (const messages of seen) expect(shape(messages)).toEqual(expected);
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual(seen[0]);
    const [first, second, third] = seen[0] ?? [];
    expect(first?.acceptedAt).toBe(hello.acceptedAt);
    expect((first?.acceptedAt ?? 0) < (second?.acceptedAt ?? 0)).toBe(true);
    expect((second?.acceptedAt ?? 0) < (third?.acceptedAt ?? 0)).toBe(true);
    expect(edited.messageId).not.toBe(hello.messageId);
  });

  it("replays nothing twice when the inbox is read again from the start", async () => {
    const store = new StateStore(bob.home);
    const before = await bob.messages(ROOM);
    const device = await store.readDevice();
    await store.writeDevice({ ...device, cursor: 0 });
    const again = await bob.sync();
    expect(again).toMatchObject({ cursor: device.cursor, joined: [], handshakes: 0, messages: 0, rejected: [] });
    expect(await bob.messages(ROOM)).toEqual(before);
  });

  it("lets Bob leave: his proposals wait for Alice's commit, which tells Bob he was removed", async () => {
    await bob.leave(ROOM);
    // Bob's SelfRemove and his removal from the participant list (he has no other client).
    expect((await bob.roomInfo(ROOM)).pendingProposals).toBe(2);
    expect(await alice.sync()).toMatchObject({ handshakes: 1, rejected: [] });
    await syncAll(cathy);
    await alice.commitPending(ROOM);
    expect(await bob.sync()).toMatchObject({ removedFrom: [ROOM], rejected: [] });
    await syncAll(alice, cathy);

    expect(await participants(alice)).toEqual([
      [ALICE, "super_admin", [alice.clientUri]],
      [CATHY, "ordinary_user", [cathy.clientUri]],
    ]);
    expect((await bob.roomInfo(ROOM)).active).toBe(false);
    await expect(bob.send(ROOM, "still here?")).rejects.toThrow(`this device is no longer a member of ${ROOM}`);
    // Bob keeps the conversation he had.
    expect(await bob.messages(ROOM)).toHaveLength(3);
  });

  it("lets Cathy's new phone join by external commit and talk", async () => {
    cathyPhone = await register(CATHY, "phone", await cathy.token());
    const joined = await cathyPhone.join(ROOM);
    expect(joined.epoch).toBe(3n);
    await syncAll(alice, cathy, cathyPhone);
    // Clients in leaf order: the phone took the leaf Bob left.
    expect(await participants(alice)).toEqual([
      [ALICE, "super_admin", [alice.clientUri]],
      [CATHY, "ordinary_user", [cathyPhone.clientUri, cathy.clientUri]],
    ]);
    const contexts = await Promise.all([alice, cathy, cathyPhone].map(groupContextHex));
    expect(new Set(contexts).size).toBe(1);
    const fromPhone = await cathyPhone.send(ROOM, "from my phone");
    await syncAll(alice, cathy);
    expect((await alice.messages(ROOM)).at(-1)).toMatchObject({ messageId: fromPhone.messageId, sender: CATHY });
    // The phone has the room from its join on: no history before it.
    expect((await cathyPhone.messages(ROOM)).map((message) => message.text)).toEqual(["from my phone"]);
    await expect(cathyPhone.join(ROOM)).rejects.toThrow(`this device is already a member of ${ROOM}`);
  });

  it("lets Alice remove Cathy, whose two devices learn it", async () => {
    await alice.removeUsers(ROOM, [CATHY]);
    expect(await cathy.sync()).toMatchObject({ removedFrom: [ROOM], rejected: [] });
    expect(await cathyPhone.sync()).toMatchObject({ removedFrom: [ROOM], rejected: [] });
    await syncAll(alice);
    expect(await participants(alice)).toEqual([[ALICE, "super_admin", [alice.clientUri]]]);
    expect((await alice.rooms()).map(({ roomUri, active, name }) => [roomUri, active, name])).toEqual([
      [ROOM, true, "Clubhouse"],
    ]);
    expect((await cathy.rooms()).map(({ active }) => active)).toEqual([false]);
  });

  it("reports events it cannot apply and passes them", async () => {
    const dave = await register("mimi://b.example/u/dave", "laptop");
    const [welcomeToBob] = network.provider("b.example").inbox(bob.clientUri);
    if (welcomeToBob === undefined) throw new Error("Bob has no inbox");
    network.provider("b.example").deliver(dave.clientUri, ROOM, decode(fanoutMessage, welcomeToBob.payload));
    const result = await dave.sync();
    expect(result).toMatchObject({ cursor: 1, events: 1, joined: [] });
    expect(result.rejected).toEqual([
      { cursor: 1, roomUri: ROOM, reason: "the Welcome names none of this device's KeyPackages" },
    ]);
    expect(await dave.sync()).toMatchObject({ cursor: 1, events: 0 });
  });

  it("never moves the cursor back when a provider sends events already handled", async () => {
    const provider = network.provider("c.example");
    const replaying: ClientOptions = {
      ...options,
      provider: () => ({
        registerDevice: (registration, token) => provider.registerDevice(registration, token),
        uploadKeyPackages: (token, keyPackages) => provider.uploadKeyPackages(token, keyPackages),
        openEvents: (token) => provider.openEvents(token, 0),
      }),
    };
    const before = await new StateStore(cathy.home).readDevice();
    expect(before.cursor).toBeGreaterThan(0);
    const result = await (await Client.open(cathy.home, replaying)).sync();
    expect(result).toMatchObject({ cursor: before.cursor, events: 0, rejected: [] });
    expect((await new StateStore(cathy.home).readDevice()).cursor).toBe(before.cursor);
  });

  it("asks the Hub for KeyPackages and says whose are missing", async () => {
    const room = await alice.createRoom({ name: "Empty" });
    expect(room.roomUri).toMatch(/^mimi:\/\/a\.example\/r\/[0-9a-f]{16}$/);
    await expect(alice.addUsers(room.roomUri, [BOB, BOB])).rejects.toThrow(
      `${BOB} has no KeyPackage for this room (noCompatibleMaterial): they must publish some`,
    );
  });
});
