import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { decode, encode } from "@mimi-ts/codec";
import { encode as encodeContent, original } from "@mimi-ts/content";
import { createCertificateAuthority } from "@mimi-ts/hub";
import {
  encodeFanoutMessages,
  type FanoutMessage,
  KeyMaterialClientCode,
  type KeyMaterialRequest,
  KeyMaterialUserCode,
  keyMaterialRequest,
  keyMaterialRequestTbs,
  keyMaterialRequestToBeSigned,
  keyMaterialResponse,
  Protocol,
  SignatureLabel,
} from "@mimi-ts/protocol";
import {
  addUsers,
  basicCredential,
  type ClientKeyPackage,
  createRoom,
  frankingTag,
  newClientKeyPackage,
  type Room,
  RoomCipherSuite,
  sendMessage,
} from "@mimi-ts/room";
import { getCiphersuiteFromName, getCiphersuiteImpl, type KeyPackage } from "ts-mls";
import { signWithLabel } from "ts-mls/crypto/signature.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliIo, runCli } from "./cli.js";
import { Client } from "./client.js";
import { ClientError } from "./errors.js";
import { StateStore } from "./state.js";
import { temporaryDirectory } from "./test-support/homes.js";
import { TestPeer as Peer, startTestProvider, type TestPeer, type TestProvider } from "./test-support/realHub.js";

const ROOM = "mimi://a.example/r/clubhouse";
const ALICE = "mimi://a.example/u/alice";
const ALICE_LAPTOP = "mimi://a.example/d/alice/laptop";
const BOB = "mimi://b.example/u/bob";

const suite = await getCiphersuiteImpl(getCiphersuiteFromName(RoomCipherSuite.x25519));

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let provider: TestProvider;
let hubOfRoom: TestPeer;
let bobHome: string;
let bob: Client;

/** Alice at the provider a.example: the room's Hub and its only member before Bob. */
const alice: { keyPackage?: ClientKeyPackage; room?: Room; hubKeys?: { signKey: Uint8Array; publicKey: Uint8Array } } =
  {};
let nextTimestamp = BigInt(Date.parse("2026-01-01T00:00:00Z"));

/** protocol-06 s.5.2: the Hub claims KeyPackages of Bob's clients for the room, signed by Alice's client. */
async function claimBobsKeyPackages(): Promise<{ status: number; keyPackages: KeyPackage[]; userStatus: number }> {
  const keyPackage = alice.keyPackage as ClientKeyPackage;
  const unsigned: KeyMaterialRequest = {
    protocol: Protocol.mls10,
    requestingUser: ALICE,
    targetUser: BOB,
    roomId: ROOM,
    acceptableCiphersuites: [RoomCipherSuite.x25519],
    requiredCapabilities: { extensionTypes: [], proposalTypes: [], credentialTypes: [] },
    requesterSignatureKey: keyPackage.publicPackage.leafNode.signaturePublicKey,
    requesterCredential: basicCredential(ALICE_LAPTOP),
    keyMaterialRequestSignature: new Uint8Array(),
  };
  const signature = await signWithLabel(
    keyPackage.privatePackage.signaturePrivateKey,
    SignatureLabel.keyMaterialRequest,
    encode(keyMaterialRequestTbs, keyMaterialRequestToBeSigned(unsigned)),
    suite.signature,
  );
  const answer = await hubOfRoom.post(
    `/keyMaterial/${encodeURIComponent(BOB)}`,
    encode(keyMaterialRequest, { ...unsigned, keyMaterialRequestSignature: signature }),
  );
  const response = decode(keyMaterialResponse, answer.body);
  return {
    status: answer.status,
    userStatus: response.userStatus,
    keyPackages: response.clients.flatMap((client) =>
      client.clientStatus === KeyMaterialClientCode.success ? [client.keyPackage] : [],
    ),
  };
}

async function notify(messages: readonly FanoutMessage[]): Promise<void> {
  const answer = await hubOfRoom.post(`/notify/${encodeURIComponent(ROOM)}`, encodeFanoutMessages(messages));
  expect(answer.status, answer.body.toString()).toBe(201);
}

async function aliceSays(text: string): Promise<FanoutMessage> {
  const message = original(text);
  const content = encodeContent(message);
  const sent = await sendMessage(alice.room as Room, content, { frankingTag: frankingTag(message.salt, content) });
  if (!sent.ok) throw new Error("Alice cannot send");
  alice.room = sent.room;
  nextTimestamp += 1000n;
  return { timestamp: nextTimestamp, content: { message: sent.message, frank: undefined } };
}

function capture(): { io: CliIo; stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    io: {
      writeStdout: (text) => stdout.push(text),
      writeStderr: (text) => stderr.push(text),
      defaultHome: join(directory.path, "unused-default-home"),
    },
    stdout,
    stderr,
  };
}

beforeAll(async () => {
  directory = await temporaryDirectory();
  provider = await startTestProvider(directory.path, "b.example");
  hubOfRoom = await Peer.create("a.example", provider, "b.example");
  bobHome = join(directory.path, "bob-laptop");
  alice.keyPackage = await newClientKeyPackage(ALICE_LAPTOP);
  alice.hubKeys = await suite.signature.keygen();
});

afterAll(async () => {
  await provider?.hub.close();
  await directory?.remove();
});

describe("Client against apps/hub's client API over HTTPS", () => {
  it("registers a device, keeping its state in files only the owner may read", async () => {
    bob = await Client.register({
      home: bobHome,
      provider: provider.hub.url,
      userUri: BOB,
      ca: provider.caPath,
      clientId: "laptop",
    });
    expect(bob.clientUri).toBe("mimi://b.example/d/bob/laptop");
    expect((await stat(join(bobHome, "device.json"))).mode & 0o777).toBe(0o600);
    expect((await stat(bobHome)).mode & 0o777).toBe(0o700);
    const reopened = await Client.open(bobHome);
    expect([reopened.clientUri, reopened.userUri, reopened.providerUrl]).toEqual([
      "mimi://b.example/d/bob/laptop",
      BOB,
      provider.hub.url,
    ]);
    await expect(
      Client.register({ home: bobHome, provider: provider.hub.url, userUri: BOB, ca: provider.caPath }),
    ).rejects.toThrow(`${bobHome} already holds the device mimi://b.example/d/bob/laptop`);
  });

  it("registers a further device of the user only with a token of the first, and reports refusals with their status", async () => {
    const phone = {
      home: join(directory.path, "bob-phone"),
      provider: provider.hub.url,
      userUri: BOB,
      ca: provider.caPath,
    };
    const refused = await Client.register({ ...phone, clientId: "phone" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ClientError);
    expect((refused as ClientError).status).toBe(401);
    expect((refused as ClientError).message).toBe(
      "POST /client/v1/devices: 401 this endpoint needs Authorization: Bearer <device token>",
    );
    const registered = await Client.register({ ...phone, clientId: "phone", authorizingToken: await bob.token() });
    expect(registered.clientUri).toBe("mimi://b.example/d/bob/phone");
    await expect(
      Client.register({
        ...phone,
        home: join(directory.path, "bob-phone-again"),
        clientId: "phone",
        authorizingToken: await bob.token(),
      }),
    ).rejects.toThrow("POST /client/v1/devices: 409 mimi://b.example/d/bob/phone is already registered");
  });

  it("publishes KeyPackages the provider checks and stores, keeping their private parts", async () => {
    const published = await bob.publishKeyPackages(3);
    expect(published.stored).toBe(3);
    expect(published.available).toBe(3);
    expect(published.keyPackageRefs).toHaveLength(3);
    const device = await new StateStore(bobHome).readDevice();
    expect(device.keyPackages.map((stored) => Buffer.from(stored.ref).toString("hex"))).toEqual(
      published.keyPackageRefs,
    );
  });

  it("joins a room from a Welcome the room's Hub notified, and logs the room's messages", async () => {
    const claimed = await claimBobsKeyPackages();
    expect(claimed.status).toBe(200);
    // Bob's phone published none.
    expect(claimed.userStatus).toBe(KeyMaterialUserCode.partialSuccess);
    const hubKeys = alice.hubKeys as { signKey: Uint8Array; publicKey: Uint8Array };
    const created = await createRoom({
      roomUri: ROOM,
      creator: alice.keyPackage as ClientKeyPackage,
      hubExternalSender: {
        signaturePublicKey: hubKeys.publicKey,
        credential: { credentialType: "basic", identity: new TextEncoder().encode("mimi://a.example") },
      },
      name: "Clubhouse",
    });
    const added = await addUsers(created, [{ userUri: BOB, roleIndex: 2, keyPackages: claimed.keyPackages }]);
    if (!added.ok || !("welcome" in added.bundle) || added.bundle.welcome === undefined) {
      throw new Error("Alice cannot add Bob");
    }
    alice.room = added.room;
    nextTimestamp += 1000n;
    const welcome: FanoutMessage = {
      timestamp: nextTimestamp,
      content: {
        message: { version: "mls10", wireformat: "mls_welcome", welcome: added.bundle.welcome },
        ratchetTreeOption: added.bundle.ratchetTreeOption,
      },
    };
    const hello = await aliceSays("Hello Bob");
    await notify([welcome, hello]);

    const synced = await bob.sync();
    expect(synced).toEqual({
      cursor: 2,
      events: 2,
      joined: [ROOM],
      removedFrom: [],
      handshakes: 0,
      messages: 1,
      rejected: [],
    });
    const [message, ...others] = await bob.messages(ROOM);
    expect(others).toEqual([]);
    expect(message).toMatchObject({
      sender: ALICE,
      text: "Hello Bob",
      inReplyTo: null,
      reactions: [],
      edited: false,
      deleted: false,
      acceptedAt: Number(hello.timestamp),
    });
    const info = await bob.roomInfo(ROOM);
    expect(info.participants.map((participant) => participant.userUri)).toEqual([ALICE, BOB]);
    expect(info.metadata?.roomName).toBe("Clubhouse");
    expect((await new StateStore(bobHome).readDevice()).keyPackages).toHaveLength(2);
  });

  it("resumes from the stored cursor, also after a restart", async () => {
    expect(await bob.sync()).toMatchObject({ cursor: 2, events: 0 });
    await notify([await aliceSays("Still there?")]);
    const restarted = await Client.open(bobHome);
    expect(await restarted.sync()).toMatchObject({ cursor: 3, events: 1, messages: 1, rejected: [] });
    expect((await restarted.messages(ROOM)).map((message) => message.text)).toEqual(["Hello Bob", "Still there?"]);
  });

  it("waits for events that arrive during the sync when asked to", async () => {
    const syncing = bob.sync({ waitSeconds: 2 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await notify([await aliceSays("Live")]);
    expect(await syncing).toMatchObject({ cursor: 4, events: 1, messages: 1 });
  });

  it("passes a message whose franking tag is not its content's, and reads the next one", async () => {
    const forged = original("forged");
    const content = encodeContent(forged);
    const sent = await sendMessage(alice.room as Room, content, {
      frankingTag: frankingTag(new Uint8Array(16), content),
    });
    if (!sent.ok) throw new Error("Alice cannot send");
    alice.room = sent.room;
    nextTimestamp += 1000n;
    await notify([{ timestamp: nextTimestamp, content: { message: sent.message, frank: undefined } }]);
    await notify([await aliceSays("Genuine")]);
    expect(await bob.sync()).toMatchObject({
      cursor: 6,
      events: 2,
      messages: 1,
      rejected: [{ cursor: 5, roomUri: ROOM, reason: "the franking tag is not the content's (protocol-06 s.5.4.1)" }],
    });
    expect((await bob.messages(ROOM)).map((message) => message.text)).toEqual([
      "Hello Bob",
      "Still there?",
      "Live",
      "Genuine",
    ]);
  });

  it("fails with the provider's answer when the token is refused, and with the TLS reason when the CA is not the provider's", async () => {
    const store = new StateStore(bobHome);
    const device = await store.readDevice();
    await store.writeDevice({ ...device, token: "not-a-token" });
    const refused = await bob.sync().catch((error: unknown) => error);
    expect((refused as ClientError).message).toBe(
      "GET /client/v1/events: 401 the bearer token is not a device token of this provider",
    );
    await store.writeDevice(device);

    const otherCa = join(directory.path, "other-ca.pem");
    await writeFile(otherCa, (await createCertificateAuthority("another CA")).certificate.toString("pem"));
    await expect(
      Client.register({
        home: join(directory.path, "carol"),
        provider: provider.hub.url,
        userUri: "mimi://b.example/u/carol",
        ca: otherCa,
      }),
    ).rejects.toThrow(/^cannot reach the provider at https:\/\/127\.0\.0\.1:\d+: .*certificate/);
  });

  it("serves the mimi CLI: register, keypackages publish, sync, messages, room info", async () => {
    const home = join(directory.path, "dave-cli");
    const run = async (...argv: string[]) => {
      const { io, stdout, stderr } = capture();
      const status = await runCli(["--home", home, ...argv], io);
      return { status, stdout: stdout.join(""), stderr: stderr.join("") };
    };
    const registered = await run(
      "register",
      "--provider",
      provider.hub.url,
      "--user",
      "mimi://b.example/u/dave",
      "--ca",
      provider.caPath,
      "--client-id",
      "cli",
      "--json",
    );
    expect(registered).toEqual({
      status: 0,
      stdout: `${JSON.stringify({ clientUri: "mimi://b.example/d/dave/cli", userUri: "mimi://b.example/u/dave", provider: provider.hub.url }, null, 2)}\n`,
      stderr: "",
    });
    const published = await run("keypackages", "publish", "--count", "2", "--json");
    expect(published.status).toBe(0);
    expect(JSON.parse(published.stdout)).toMatchObject({ stored: 2, available: 2 });
    expect(await run("sync")).toEqual({
      status: 0,
      stdout: "cursor 0: 0 events, 0 messages, 0 handshakes\n",
      stderr: "",
    });
    expect(await run("messages", ROOM, "--json")).toEqual({
      status: 1,
      stdout: "",
      stderr: `error: this device is not in the room ${ROOM}\n`,
    });
    expect(await run("room", "info", ROOM)).toMatchObject({
      status: 1,
      stderr: `error: this device is not in the room ${ROOM}\n`,
    });
  });
});
