import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encode as encodeContent, messageIdOf, original } from "@mimi-ts/content";
import { createRoom, encodeRoom, newClientKeyPackage, RoomCipherSuite } from "@mimi-ts/room";
import { getCiphersuiteFromName, getCiphersuiteImpl } from "ts-mls";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError } from "./errors.js";
import { withDirectoryLock } from "./files.js";
import { type DeviceState, type RoomRecord, StateStore } from "./state.js";
import { temporaryDirectory } from "./test-support/homes.js";

const CLIENT = "mimi://a.example/d/alice/laptop";
const ROOM = "mimi://a.example/r/clubhouse";
const suite = await getCiphersuiteImpl(getCiphersuiteFromName(RoomCipherSuite.x25519));

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let device: DeviceState;
let record: RoomRecord;

beforeAll(async () => {
  directory = await temporaryDirectory();
  const signatureKeyPair = await suite.signature.keygen();
  const published = await newClientKeyPackage(CLIENT, { signatureKeyPair });
  device = {
    providerUrl: "https://127.0.0.1:7443",
    caFile: "/etc/mimi/ca.pem",
    clientUri: CLIENT,
    userUri: "mimi://a.example/u/alice",
    token: "t0ken",
    cipherSuite: RoomCipherSuite.x25519,
    signatureKeyPair,
    cursor: 7,
    keyPackages: [
      {
        ref: await makeKeyPackageRef(published.publicPackage, suite.hash),
        publicPackage: published.publicPackage,
        initPrivateKey: published.privatePackage.initPrivateKey,
        hpkePrivateKey: published.privatePackage.hpkePrivateKey,
      },
    ],
  };
  const hubKeys = await suite.signature.keygen();
  const room = await createRoom({
    roomUri: ROOM,
    creator: await newClientKeyPackage(CLIENT, { signatureKeyPair }),
    hubExternalSender: {
      signaturePublicKey: hubKeys.publicKey,
      credential: { credentialType: "basic", identity: new TextEncoder().encode("mimi://a.example") },
    },
    name: "Clubhouse",
  });
  const content = original("Hello");
  const encoded = encodeContent(content);
  const messageId = messageIdOf(content, { senderUri: device.userUri, roomUri: ROOM, encoded });
  record = {
    roomUri: ROOM,
    appliedCursor: 5,
    room,
    recentlySent: [{ digest: "ab".repeat(32), acceptedAt: 1_767_225_600_000 }],
    messages: [
      {
        encoded,
        content,
        derived: {
          messageId,
          hubAcceptedTimestamp: 1_767_225_600_000,
          mlsGroupId: room.state.groupContext.groupId,
          senderLeafIndex: 0,
          senderClientUrl: CLIENT,
          senderUserUrl: device.userUri,
          roomUrl: ROOM,
        },
      },
    ],
  };
});

afterAll(async () => {
  await directory?.remove();
});

/** A fresh home with the device and the room written. */
async function home(name: string): Promise<StateStore> {
  const store = new StateStore(join(directory.path, name));
  await store.create();
  await store.writeDevice(device);
  await store.writeRoom(record);
  return store;
}

/** Rewrites a state file's JSON and returns what reading it throws. */
async function corrupt(path: string, change: (json: Record<string, unknown>) => void, read: () => Promise<unknown>) {
  const json = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  change(json);
  await writeFile(path, JSON.stringify(json));
  return read().then(
    () => expect.fail("the corrupted file was read"),
    (error: unknown) => {
      expect(error).toBeInstanceOf(ClientError);
      return (error as ClientError).message;
    },
  );
}

describe("the state directory", () => {
  it("reads back what it wrote, in files only the owner may read", async () => {
    const store = await home("round-trip");
    expect(await store.readDevice()).toEqual(device);
    const read = await store.readRoom(ROOM);
    expect(read?.roomUri).toBe(ROOM);
    expect(read?.appliedCursor).toBe(5);
    expect(read?.recentlySent).toEqual(record.recentlySent);
    expect(read?.messages).toEqual(record.messages);
    expect(Buffer.from(encodeRoom(read?.room ?? record.room)).equals(Buffer.from(encodeRoom(record.room)))).toBe(true);
    expect(await store.readRoom("mimi://a.example/r/elsewhere")).toBeUndefined();
    expect((await store.listRooms()).map((entry) => entry.roomUri)).toEqual([ROOM]);
    for (const path of [join(store.home, "device.json"), store.roomPath(ROOM)]) {
      expect((await stat(path)).mode & 0o777, path).toBe(0o600);
    }
    expect((await stat(join(store.home, "rooms"))).mode & 0o777).toBe(0o700);
    // Atomic writes leave no temporary files behind.
    expect((await readdir(store.home)).sort()).toEqual(["device.json", "rooms"]);
    expect(await readdir(join(store.home, "rooms"))).toHaveLength(1);
  });

  it("says how to start when there is no device", async () => {
    const empty = new StateStore(join(directory.path, "nothing"));
    await expect(empty.readDevice()).rejects.toThrow(`no device in ${empty.home}: register one first (mimi register)`);
  });

  it("refuses a device file that is not exactly the format, naming the file and the field", async () => {
    const store = await home("device-corruption");
    const path = join(store.home, "device.json");
    const read = () => store.readDevice();
    const cases: [string, (json: Record<string, unknown>) => void, string][] = [
      ["unknown field", (json) => Object.assign(json, { extra: 1 }), 'unknown field "extra"'],
      ["missing field", (json) => delete json.token, 'missing field "token"'],
      ["another version", (json) => Object.assign(json, { version: 2 }), "version: expected 1, found 2"],
      ["negative cursor", (json) => Object.assign(json, { cursor: -1 }), "cursor: expected a non-negative integer"],
      [
        "foreign suite",
        (json) => Object.assign(json, { cipherSuite: "MLS_256" }),
        "cipherSuite: not a room cipher suite",
      ],
      ["another user", (json) => Object.assign(json, { userUri: "mimi://a.example/u/bob" }), "userUri: expected"],
      [
        "non-canonical base64",
        (json) => Object.assign(json, { signatureKeyPair: { publicKey: "AA", signKey: "AA==" } }),
        "signatureKeyPair.publicKey: expected canonical base64",
      ],
      [
        "a KeyPackage that does not decode",
        (json) => {
          const [first] = json.keyPackages as Record<string, unknown>[];
          Object.assign(first ?? {}, { keyPackage: "AAAA" });
        },
        "keyPackages[0].keyPackage: KeyPackage",
      ],
      [
        "a KeyPackage of another key",
        (json) =>
          Object.assign(json, {
            signatureKeyPair: { publicKey: Buffer.alloc(32, 1).toString("base64"), signKey: "AA==" },
          }),
        "keyPackages[0].keyPackage: its leaf's signature key is not the device's",
      ],
    ];
    for (const [name, change, expected] of cases) {
      await store.writeDevice(device);
      const message = await corrupt(path, change, read);
      expect(message, name).toContain(`${path}: `);
      expect(message, name).toContain(expected);
    }
    await writeFile(path, '{"format": "mimi-client-device", ');
    await expect(read()).rejects.toThrow(`${path}: not JSON`);
  });

  it("refuses a room file whose MLS state, messages or name do not hold together", async () => {
    const store = await home("room-corruption");
    const path = store.roomPath(ROOM);
    const read = () => store.readRoom(ROOM);
    const room = Buffer.from(encodeRoom(record.room));
    const cases: [string, (json: Record<string, unknown>) => void, string][] = [
      [
        "a room record of another version",
        (json) => Object.assign(json, { room: Buffer.concat([Buffer.from([2]), room.subarray(1)]).toString("base64") }),
        "room: unknown room record version 2",
      ],
      [
        "trailing bytes after the room",
        (json) => Object.assign(json, { room: Buffer.concat([room, Buffer.from([0])]).toString("base64") }),
        "room: ",
      ],
      [
        "an echo digest that is not SHA-256",
        (json) => Object.assign(json, { recentlySent: [{ digest: "abcd", acceptedAt: 0 }] }),
        "recentlySent[0].digest: expected 32 bytes of hex",
      ],
      [
        "content that is not MIMI content",
        (json) => {
          const [first] = json.messages as Record<string, unknown>[];
          Object.assign(first ?? {}, { content: Buffer.from([0xa0]).toString("base64") });
        },
        "messages[0]: ",
      ],
      [
        "a message ID that is not the content's",
        (json) => {
          const [first] = json.messages as Record<string, unknown>[];
          const other = encodeContent(original("Something else"));
          Object.assign(first ?? {}, { content: Buffer.from(other).toString("base64") });
        },
        "messages[0].derived: the message ID is not the content's",
      ],
      [
        "another room's URI",
        (json) => Object.assign(json, { roomUri: "mimi://a.example/r/other" }),
        "messages[0].derived: names the room",
      ],
    ];
    for (const [name, change, expected] of cases) {
      await store.writeRoom(record);
      const message = await corrupt(path, change, read);
      expect(message, name).toContain(`${path}: `);
      expect(message, name).toContain(expected);
    }
    await store.writeRoom({ ...record, roomUri: "mimi://a.example/r/other", messages: [] });
    await writeFile(path, await readFile(store.roomPath("mimi://a.example/r/other"), "utf8"));
    await expect(read()).rejects.toThrow(`${path}: roomUri: expected ${ROOM}, found mimi://a.example/r/other`);
    await expect(store.listRooms()).rejects.toThrow(`${path}: roomUri: mimi://a.example/r/other belongs in `);
  });

  it("lets one operation at a time hold a home, and takes over a lock whose process is gone", async () => {
    const store = await home("lock");
    let release: () => void = () => undefined;
    let acquired: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      acquired = resolve;
    });
    const holding = withDirectoryLock(store.home, () => {
      acquired();
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    await held;
    await expect(withDirectoryLock(store.home, async () => "second")).rejects.toThrow(
      `${store.home} is in use by another mimi operation (pid ${process.pid}); retry when it has finished`,
    );
    release();
    await holding;
    expect(await withDirectoryLock(store.home, async () => "after")).toBe("after");
    // No process has pid 2^22 + 1 (Linux's pid_max is at most 2^22).
    await writeFile(join(store.home, "lock"), `${2 ** 22 + 1}\n`);
    expect(await withDirectoryLock(store.home, async () => "taken over")).toBe("taken over");
    expect(await readdir(store.home)).not.toContain("lock");
  });
});
