import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HubStore, STORE_FILE } from "./store.js";
import { temporaryDirectory } from "./test-support/network.js";

const ALICE_LAPTOP = "mimi://a.example/d/alice/laptop";
const ALICE = "mimi://a.example/u/alice";
const ROOM = "mimi://a.example/r/clubhouse";
const bytes = (...values: number[]) => new Uint8Array(values);

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let store: HubStore;

beforeEach(async () => {
  directory = await temporaryDirectory();
  store = await HubStore.open(directory.path);
  await store.insertDevice({ clientUri: ALICE_LAPTOP, userUri: ALICE, tokenHash: "h1", createdAt: 1 });
});

afterEach(async () => {
  await store.close();
  await directory.remove();
});

function keyPackage(ref: number, notAfter = 2_000_000_000) {
  return {
    ref: bytes(ref),
    clientUri: ALICE_LAPTOP,
    cipherSuite: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
    keyPackage: bytes(ref, ref),
    notBefore: 0,
    notAfter,
    uploadedAt: 5,
  };
}

describe("HubStore", () => {
  it("keeps everything across close and reopen, and continues where it stopped", async () => {
    await store.insertKeyPackage(keyPackage(1));
    await store.insertKeyPackage(keyPackage(2));
    const [first] = await store.availableKeyPackages(ALICE_LAPTOP, 100);
    expect(
      await store.claimKeyPackage(first?.id ?? -1, {
        claimedAt: 7,
        byDomain: "b.example",
        forUser: "u",
        forRoom: ROOM,
      }),
    ).toBe(true);
    const route = {
      ref: bytes(1),
      providerDomain: "a.example",
      clientUri: ALICE_LAPTOP,
      roomId: ROOM,
      notAfter: 9,
      createdAt: 7,
    };
    await store.recordKeyPackageRoute(route);
    await store.addRoomFollower(ROOM, ALICE_LAPTOP, 8);
    await store.recordNotification("b.example", ROOM, bytes(9, 9), 8);
    await store.appendInboxEvent(ALICE_LAPTOP, { kind: "fanout", roomId: ROOM, payload: bytes(1), createdAt: 8 });
    await store.appendInboxEvent(ALICE_LAPTOP, { kind: "fanout", roomId: ROOM, payload: bytes(2), createdAt: 8 });
    const id = await store.enqueueDelivery(
      { peerDomain: "b.example", path: "/notify/x", orderingKey: ROOM, body: bytes(3) },
      10,
    );
    await store.deliveryFailed(id, { attempts: 2, nextAttemptAt: 50, lastError: "HTTP 503" });
    await store.close();

    store = await HubStore.open(directory.path);
    expect(await store.deviceByTokenHash("h1")).toEqual({ clientUri: ALICE_LAPTOP, userUri: ALICE, createdAt: 1 });
    const available = await store.availableKeyPackages(ALICE_LAPTOP, 100);
    expect(available.map((stored) => [...stored.ref])).toEqual([[2]]);
    expect(await store.insertKeyPackage(keyPackage(1))).toBe(false);
    expect(await store.keyPackageRoute(bytes(1))).toEqual({ ...route, ref: Buffer.from([1]) });
    expect(await store.roomFollowers(ROOM)).toEqual([ALICE_LAPTOP]);
    expect(await store.recordNotification("b.example", ROOM, bytes(9, 9), 9)).toBe(false);
    const events = await store.inboxEventsAfter(ALICE_LAPTOP, 0, 10);
    expect(events.map((event) => [event.cursor, [...event.payload]])).toEqual([
      [1, [1]],
      [2, [2]],
    ]);
    expect(
      await store.appendInboxEvent(ALICE_LAPTOP, { kind: "fanout", roomId: ROOM, payload: bytes(3), createdAt: 9 }),
    ).toBe(3);
    expect(await store.dueDeliveryHeads(49)).toEqual([]);
    expect(await store.dueDeliveryHeads(50)).toMatchObject([
      { id, attempts: 2, nextAttemptAt: 50, lastError: "HTTP 503" },
    ]);
  });

  it("runs SQLite in WAL mode with foreign keys enforced", async () => {
    const raw = new Database(join(directory.path, STORE_FILE), { readonly: true });
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.close();
    await expect(
      store.insertKeyPackage({ ...keyPackage(1), clientUri: "mimi://a.example/d/nobody/x" }),
    ).rejects.toThrow(/FOREIGN KEY/);
  });

  it("claims a KeyPackage once: a second claim of the same one fails", async () => {
    await store.insertKeyPackage(keyPackage(1));
    const [stored] = await store.availableKeyPackages(ALICE_LAPTOP, 100);
    const claim = { claimedAt: 7, byDomain: "b.example", forUser: "u", forRoom: ROOM };
    const outcomes = await Promise.all([
      store.claimKeyPackage(stored?.id ?? -1, claim),
      store.claimKeyPackage(stored?.id ?? -1, claim),
    ]);
    expect(outcomes.sort()).toEqual([false, true]);
    expect(await store.availableKeyPackages(ALICE_LAPTOP, 100)).toEqual([]);
  });

  it("offers KeyPackages only within their lifetime", async () => {
    await store.insertKeyPackage({ ...keyPackage(1), notBefore: 100, notAfter: 200 });
    expect(await store.availableKeyPackages(ALICE_LAPTOP, 99)).toEqual([]);
    expect(await store.availableKeyPackages(ALICE_LAPTOP, 150)).toHaveLength(1);
    expect(await store.availableKeyPackages(ALICE_LAPTOP, 201)).toEqual([]);
  });

  it("numbers inbox events per device from 1", async () => {
    await store.insertDevice({
      clientUri: "mimi://a.example/d/alice/phone",
      userUri: ALICE,
      tokenHash: "h2",
      createdAt: 1,
    });
    const event = { kind: "fanout", roomId: ROOM, payload: bytes(1), createdAt: 1 };
    expect(await store.appendInboxEvent(ALICE_LAPTOP, event)).toBe(1);
    expect(await store.appendInboxEvent("mimi://a.example/d/alice/phone", event)).toBe(1);
    expect(await store.appendInboxEvent(ALICE_LAPTOP, event)).toBe(2);
    expect((await store.inboxEventsAfter(ALICE_LAPTOP, 1, 10)).map((stored) => stored.cursor)).toEqual([2]);
    await expect(store.appendInboxEvent("mimi://a.example/d/nobody/x", event)).rejects.toThrow(/no device/);
  });

  it("rolls a transaction back as a whole", async () => {
    await expect(
      store.transaction(async (tx) => {
        await tx.enqueueDelivery({ peerDomain: "b.example", path: "/notify/x", orderingKey: ROOM, body: bytes(1) }, 1);
        await tx.addRoomFollower(ROOM, ALICE_LAPTOP, 1);
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await store.dueDeliveryHeads(Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(await store.roomFollowers(ROOM)).toEqual([]);
  });

  it("gives the first delivery of each lane, and when the next is due", async () => {
    const enqueue = (peerDomain: string, orderingKey: string, now: number) =>
      store.enqueueDelivery({ peerDomain, path: "/notify/x", orderingKey, body: bytes(1) }, now);
    const first = await enqueue("b.example", "room1", 10);
    await enqueue("b.example", "room1", 11);
    const otherRoom = await enqueue("b.example", "room2", 12);
    const otherPeer = await enqueue("c.example", "room1", 13);
    expect(await store.nextDeliveryAt()).toBe(10);
    expect((await store.dueDeliveryHeads(12)).map((delivery) => delivery.id)).toEqual([first, otherRoom]);
    await store.deliveryFailed(first, { attempts: 1, nextAttemptAt: 100, lastError: "x" });
    expect((await store.dueDeliveryHeads(20)).map((delivery) => delivery.id)).toEqual([otherRoom, otherPeer]);
    await store.deliveryDone(otherRoom);
    await store.deliveryDone(otherPeer);
    expect(await store.nextDeliveryAt()).toBe(100);
    await store.deliveryDone(first);
    expect(await store.nextDeliveryAt()).toBe(11);
  });
});
