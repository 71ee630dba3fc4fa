import { decode, encode } from "@mimi-ts/codec";
import {
  decodeFanoutMessages,
  externalSender,
  GROUP_INFO_ENCRYPTION_LABEL,
  GroupInfoCode,
  type GroupInfoRequest,
  type GroupInfoResponse,
  groupInfoRatchetTreeTbe,
  groupInfoRequest,
  groupInfoRequestTbs,
  groupInfoRequestToBeSigned,
  groupInfoResponse,
  groupInfoResponseTbs,
  groupInfoResponseToBeSigned,
  handshakeBundle,
  KeyMaterialClientCode,
  keyMaterialResponse,
  mlsMessage,
  Protocol,
  SignatureLabel,
  SubmitResponseCode,
  type SuccessfulGroupInfoResponse,
  submitMessageRequest,
  submitMessageResponse,
  UpdateResponseCode,
  updateRoomResponse,
} from "@mimi-ts/protocol";
import {
  addUsers,
  basicCredential,
  commitPending,
  createRoom,
  leave,
  newClientKeyPackage,
  PresetRoleIndex,
  processHandshake,
  type Room,
  RoomCipherSuite,
  removeUsers,
  roomCreationOf,
  sendMessage,
} from "@mimi-ts/room";
import { getCiphersuiteFromName, getCiphersuiteImpl, type MLSMessage } from "ts-mls";
import { decryptWithLabel, type PrivateKey } from "ts-mls/crypto/hpke.js";
import { signWithLabel, verifyWithLabel } from "ts-mls/crypto/signature.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roomCreation } from "./clientRooms.js";
import { clientRequest, registerDevice } from "./test-support/client.js";
import { signedKeyMaterialRequest } from "./test-support/mls.js";
import {
  type ProviderCredentials,
  startTestHub,
  type TestHub,
  TestPki,
  temporaryDirectory,
} from "./test-support/network.js";
import {
  addMembers,
  BINARY,
  type Creator,
  clientRoomPath,
  createRoomAt,
  expectOk,
  federationPost,
  roomRequest,
} from "./test-support/rooms.js";

const ROOM = "mimi://a.example/r/clubhouse";
const ALICE_LAPTOP = "mimi://a.example/d/alice/laptop";
const BOB = "mimi://b.example/u/bob";
const BOB_LAPTOP = "mimi://b.example/d/bob/laptop";
const BOB_PHONE = "mimi://b.example/d/bob/phone";
const GARBAGE = new Uint8Array([0xff, 0x00, 0x13, 0x37]);

const suite = await getCiphersuiteImpl(getCiphersuiteFromName(RoomCipherSuite.x25519));

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let pki: TestPki;
let hub: TestHub;
let fromB: ProviderCredentials;
let fromC: ProviderCredentials;
let alice: Creator;
let bobLaptop: Room;
let bobPhone: Room;

/** POST /update/{roomId} from b.example. */
function postUpdate(bundleBytes: Uint8Array, room = ROOM) {
  return federationPost(hub, pki, fromB, "update", room, bundleBytes);
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

function epochOf(room: Room): bigint {
  return room.state.groupContext.epoch;
}

async function storedEpoch(): Promise<number | undefined> {
  return (await hub.services.store.hubRoom(ROOM))?.epoch;
}

/** Applies a handshake the Hub accepted to a member's room. */
async function apply(room: Room, message: MLSMessage, more: readonly MLSMessage[] = []): Promise<Room> {
  return expectOk(await processHandshake(room, message, more)).room;
}

async function submit(from: Room, sendingUri: string, as: ProviderCredentials = fromB) {
  const sent = expectOk(await sendMessage(from, new TextEncoder().encode("hello")));
  const body = encode(submitMessageRequest, { protocol: Protocol.mls10, appMessage: sent.message, sendingUri });
  const response = await federationPost(hub, pki, as, "submitMessage", ROOM, body);
  return { response, room: sent.room };
}

beforeAll(async () => {
  directory = await temporaryDirectory();
  pki = await TestPki.create(directory.path);
  hub = await startTestHub(pki, "a.example");
  fromB = await pki.credentials("b.example");
  fromC = await pki.credentials("c.example");
  alice = await createRoomAt(hub, pki, ROOM, ALICE_LAPTOP);
  const joined = await addMembers(hub, pki, ROOM, alice, [{ userUri: BOB, clientUris: [BOB_LAPTOP, BOB_PHONE] }]);
  bobLaptop = (joined.get(BOB_LAPTOP) as { room: Room }).room;
  bobPhone = (joined.get(BOB_PHONE) as { room: Room }).room;
});

afterAll(async () => {
  await hub?.close();
  await directory?.remove();
});

describe("creating a room through the client API (protocol-06 s.3.1)", () => {
  it("hands out the Hub's external sender for the room's cipher suite, only for rooms it would host", async () => {
    const token = await registerDevice(hub, pki, "mimi://a.example/d/erin/laptop");
    const lobby = "mimi://a.example/r/lobby";
    for (const cipherSuite of Object.values(RoomCipherSuite)) {
      const answer = await roomRequest(
        hub,
        pki,
        token,
        `${clientRoomPath(lobby, "hubSender")}?cipherSuite=${cipherSuite}`,
      );
      expect(answer.status).toBe(200);
      expect(decode(externalSender, new Uint8Array(answer.body))).toEqual(
        hub.services.identity.externalSender(cipherSuite),
      );
    }
    const elsewhere = await roomRequest(
      hub,
      pki,
      token,
      `${clientRoomPath("mimi://b.example/r/lobby", "hubSender")}?cipherSuite=${RoomCipherSuite.x25519}`,
    );
    expect([elsewhere.status, elsewhere.text]).toEqual([
      400,
      "rooms created here are mimi://a.example/r/<id>; mimi://b.example/r/lobby would be hosted elsewhere\n",
    ]);
    const badSuite = await roomRequest(hub, pki, token, `${clientRoomPath(lobby, "hubSender")}?cipherSuite=none`);
    expect([badSuite.status, badSuite.text]).toEqual([400, 'cipherSuite must name a room cipher suite, not "none"\n']);
    const taken = await roomRequest(
      hub,
      pki,
      token,
      `${clientRoomPath(ROOM, "hubSender")}?cipherSuite=${RoomCipherSuite.x25519}`,
    );
    expect([taken.status, taken.text]).toEqual([409, `the room ${ROOM} exists\n`]);
    const anonymous = await clientRequest(hub, pki, { path: `${clientRoomPath(lobby, "hubSender")}?cipherSuite=x` });
    expect(anonymous.status).toBe(401);
    const notARoom = await roomRequest(hub, pki, token, "/client/v1/rooms/lobby/hubSender?cipherSuite=x");
    expect(notARoom.status).toBe(400);
  });

  it("stores the room, with the creating device as its follower, and refuses it twice", async () => {
    expect(await hub.services.store.roomFollowers(ROOM)).toEqual([ALICE_LAPTOP]);
    const again = await roomRequest(
      hub,
      pki,
      alice.token,
      clientRoomPath(ROOM),
      encode(roomCreation, await roomCreationOf(alice.room)),
    );
    expect([again.status, again.text]).toEqual([409, `the room ${ROOM} exists\n`]);
  });

  it("refuses a malformed body, a room named otherwise, of another creator, or without the Hub as external sender", async () => {
    const clientUri = "mimi://a.example/d/frank/laptop";
    const token = await registerDevice(hub, pki, clientUri);
    const roomUri = "mimi://a.example/r/franks";
    const creator = await newClientKeyPackage(clientUri);
    const good = await createRoom({
      roomUri,
      creator,
      hubExternalSender: hub.services.identity.externalSender(RoomCipherSuite.x25519),
    });
    const malformed = await roomRequest(hub, pki, token, clientRoomPath(roomUri), GARBAGE);
    expect(malformed.status).toBe(400);
    expect(malformed.text).toMatch(/^RoomCreation\.groupInfo: /);
    const otherName = await roomRequest(
      hub,
      pki,
      token,
      clientRoomPath("mimi://a.example/r/other"),
      encode(roomCreation, await roomCreationOf(good)),
    );
    expect([otherName.status, otherName.text]).toEqual([
      400,
      `the path names mimi://a.example/r/other, the room's metadata ${roomUri}\n`,
    ]);
    const creation = await roomCreationOf(good);
    const x448 = "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448" as const;
    const otherSuite = {
      ...creation,
      groupInfo: { ...creation.groupInfo, groupContext: { ...creation.groupInfo.groupContext, cipherSuite: x448 } },
    };
    const refusedSuite = await roomRequest(hub, pki, token, clientRoomPath(roomUri), encode(roomCreation, otherSuite));
    expect([refusedSuite.status, refusedSuite.text]).toEqual([
      400,
      `${x448} is not a room cipher suite this Hub signs for\n`,
    ]);
    const notMine = await roomRequest(
      hub,
      pki,
      alice.token,
      clientRoomPath(roomUri),
      encode(roomCreation, await roomCreationOf(good)),
    );
    expect([notMine.status, notMine.text]).toEqual([
      403,
      `a room is created by its only member, ${ALICE_LAPTOP}; its members are ${clientUri}\n`,
    ]);
    const strangeHub = await createRoom({
      roomUri,
      creator,
      hubExternalSender: {
        signaturePublicKey: (await suite.signature.keygen()).publicKey,
        credential: { credentialType: "basic", identity: new TextEncoder().encode("mimi://a.example") },
      },
    });
    const withoutHub = await roomRequest(
      hub,
      pki,
      token,
      clientRoomPath(roomUri),
      encode(roomCreation, await roomCreationOf(strangeHub)),
    );
    expect(withoutHub.status).toBe(400);
    expect(withoutHub.text).toBe(
      "the Hub refuses the room: the group's external_senders must list the Hub (protocol-06 s.7.4)\n",
    );
    expect(await hub.services.store.hubRoom(roomUri)).toBeUndefined();
  });
});

describe("POST /update/{roomId} (protocol-06 s.5.3)", () => {
  it("queued the Welcome of Alice's commit for b.example, and the room is at epoch 1", async () => {
    expect(await storedEpoch()).toBe(1);
    const heads = await hub.services.store.dueDeliveryHeads(Number.MAX_SAFE_INTEGER);
    const toB = heads.find((head) => head.peerDomain === "b.example");
    expect(toB?.path).toBe(`/notify/${encodeURIComponent(ROOM)}`);
    expect(toB?.orderingKey).toBe(ROOM);
    const [welcome, ...rest] = decodeFanoutMessages(toB?.body ?? new Uint8Array());
    expect(rest).toEqual([]);
    expect(welcome?.content.message.wireformat).toBe("mls_welcome");
    // Alice sent the commit: her own device is not given it back (s.5.5).
    expect(await hub.services.store.inboxEventsAfter(ALICE_LAPTOP, 0, 10)).toEqual([]);
  });

  it("refuses a malformed body (400), an unknown room or one hosted elsewhere (404)", async () => {
    const malformed = await postUpdate(GARBAGE);
    expect(malformed.status).toBe(400);
    expect(malformed.text).toMatch(/^HandshakeBundle/);
    const bundle = encode(handshakeBundle, expectOk(await commitPending(bobLaptop)).bundle);
    const unknown = await postUpdate(bundle, "mimi://a.example/r/nowhere");
    expect([unknown.status, unknown.text]).toEqual([404, "there is no room mimi://a.example/r/nowhere\n"]);
    const elsewhere = await postUpdate(bundle, "mimi://b.example/r/clubhouse");
    expect([elsewhere.status, elsewhere.text]).toEqual([
      404,
      "mimi://b.example/r/clubhouse is not hosted here: its Hub is b.example\n",
    ]);
  });

  it("accepts exactly one of several commits for the same epoch sent at once", async () => {
    const epoch = epochOf(bobLaptop);
    const before = await hub.services.store.inboxEventsAfter(ALICE_LAPTOP, 0, 100);
    const committers = ["laptop", "laptop", "phone", "phone", "laptop"] as const;
    const commits = await Promise.all(
      committers.map(async (device) => expectOk(await commitPending(device === "laptop" ? bobLaptop : bobPhone))),
    );
    const answers = await Promise.all(commits.map(({ bundle }) => postUpdate(encode(handshakeBundle, bundle))));
    expect(answers.map(({ status }) => status)).toEqual([200, 200, 200, 200, 200]);
    const responses = answers.map(({ body }) => decode(updateRoomResponse, body));
    const accepted = responses.flatMap((response, index) =>
      response.responseCode === UpdateResponseCode.success ? [index] : [],
    );
    expect(accepted).toHaveLength(1);
    for (const response of responses) {
      if (response.responseCode === UpdateResponseCode.success) continue;
      expect(response).toMatchObject({ responseCode: UpdateResponseCode.wrongEpoch, currentEpoch: epoch + 1n });
    }
    expect(await storedEpoch()).toBe(Number(epoch) + 1);
    // Alice's device got the accepted commit, once.
    const after = await hub.services.store.inboxEventsAfter(ALICE_LAPTOP, before.at(-1)?.cursor ?? 0, 100);
    expect(after).toHaveLength(1);
    const winnerIndex = accepted[0] ?? -1;
    const winner = commits[winnerIndex] as { bundle: { proposalOrCommit: MLSMessage }; room: Room };
    const [fanned] = decodeFanoutMessages(after[0]?.payload ?? new Uint8Array());
    expect(hex(encode(mlsMessage, fanned?.content.message as MLSMessage))).toBe(
      hex(encode(mlsMessage, winner.bundle.proposalOrCommit)),
    );

    // Everyone moves to the accepted epoch; a commit for the old one is now refused as such.
    alice.room = await apply(alice.room, winner.bundle.proposalOrCommit);
    const loser = commits.find((_, index) => index !== winnerIndex);
    if (loser === undefined) throw new Error("no refused commit");
    const refused = decode(updateRoomResponse, (await postUpdate(encode(handshakeBundle, loser.bundle))).body);
    expect(refused).toMatchObject({ responseCode: UpdateResponseCode.wrongEpoch, currentEpoch: epoch + 1n });
    const byLaptop = committers[winnerIndex] === "laptop";
    bobLaptop = byLaptop ? winner.room : await apply(bobLaptop, winner.bundle.proposalOrCommit);
    bobPhone = byLaptop ? await apply(bobPhone, winner.bundle.proposalOrCommit) : winner.room;
  });
});

describe("POST /submitMessage/{roomId} (protocol-06 s.5.4)", () => {
  it("accepts a participant's message, in order after the room's last change, and gives it to Alice", async () => {
    const before = (await hub.services.store.hubRoom(ROOM))?.lastAcceptedAt ?? 0;
    const { response, room } = await submit(bobLaptop, BOB);
    bobLaptop = room;
    expect(response.status).toBe(200);
    const answer = decode(submitMessageResponse, response.body);
    if (answer.result.statusCode !== SubmitResponseCode.accepted) throw new Error("refused");
    expect(answer.result.acceptedTimestamp > BigInt(before)).toBe(true);
    const [last] = (await hub.services.store.inboxEventsAfter(ALICE_LAPTOP, 0, 100)).slice(-1);
    expect(decodeFanoutMessages(last?.payload ?? new Uint8Array())[0]?.timestamp).toBe(answer.result.acceptedTimestamp);
  });

  it("refuses a sendingUri that is not a participant, or not a user of the provider submitting it", async () => {
    const dave = await submit(bobLaptop, "mimi://b.example/u/dave");
    bobLaptop = dave.room;
    expect(decode(submitMessageResponse, dave.response.body).result.statusCode).toBe(SubmitResponseCode.notAllowed);
    const foreign = await submit(bobLaptop, BOB, fromC);
    bobLaptop = foreign.room;
    expect([foreign.response.status, foreign.response.text]).toEqual([
      403,
      `sendingUri ${BOB} is not a user of c.example, which submits it\n`,
    ]);
    const cathy = await submit(bobLaptop, "mimi://c.example/u/cathy", fromC);
    bobLaptop = cathy.room;
    expect(decode(submitMessageResponse, cathy.response.body).result.statusCode).toBe(SubmitResponseCode.notAllowed);
  });

  it("refuses a malformed body (400) and an unknown room (404)", async () => {
    const malformed = await federationPost(hub, pki, fromB, "submitMessage", ROOM, GARBAGE);
    expect(malformed.status).toBe(400);
    const sent = expectOk(await sendMessage(bobLaptop, new TextEncoder().encode("lost")));
    bobLaptop = sent.room;
    const body = encode(submitMessageRequest, { protocol: Protocol.mls10, appMessage: sent.message, sendingUri: BOB });
    const unknown = await federationPost(hub, pki, fromB, "submitMessage", "mimi://a.example/r/nowhere", body);
    expect(unknown.status).toBe(404);
  });
});

describe("leaving: proposals the Hub keeps for the next commit (protocol-06 s.3.5)", () => {
  it("refuses Bob's messages once his removal is pending, an old epoch's message, and commits without the proposals", async () => {
    const left = expectOk(await leave(bobLaptop));
    const proposals = left.bundle as { proposalOrCommit: MLSMessage; moreProposals: MLSMessage[] };
    const accepted = decode(updateRoomResponse, (await postUpdate(encode(handshakeBundle, left.bundle))).body);
    expect(accepted.responseCode).toBe(UpdateResponseCode.success);
    bobLaptop = left.room;
    // s.5.3: a removed user's clients may send no more application messages.
    const removed = await submit(bobPhone, BOB);
    expect(decode(submitMessageResponse, removed.response.body).result.statusCode).toBe(SubmitResponseCode.notAllowed);

    const unaware = expectOk(await commitPending(alice.room));
    const missing = decode(updateRoomResponse, (await postUpdate(encode(handshakeBundle, unaware.bundle))).body);
    expect(missing).toMatchObject({ responseCode: UpdateResponseCode.invalidProposal });
    if (missing.responseCode !== UpdateResponseCode.invalidProposal) return;
    expect(missing.invalidProposals).toHaveLength(3);

    alice.room = await apply(alice.room, proposals.proposalOrCommit, proposals.moreProposals);
    const cleanup = expectOk(await commitPending(alice.room));
    const committed = await roomRequest(
      hub,
      pki,
      alice.token,
      clientRoomPath(ROOM, "update"),
      encode(handshakeBundle, cleanup.bundle),
    );
    expect(decode(updateRoomResponse, committed.body).responseCode).toBe(UpdateResponseCode.success);
    alice.room = cleanup.room;
    const stale = await submit(bobPhone, BOB);
    expect(decode(submitMessageResponse, stale.response.body).result).toEqual({
      statusCode: SubmitResponseCode.epochTooOld,
      currentEpoch: epochOf(alice.room),
    });
  });
});

describe("POST /groupInfo/{roomId} (protocol-06 s.5.6)", () => {
  const ALICE_PHONE = "mimi://a.example/d/alice/phone";
  let phoneToken: string;

  beforeAll(async () => {
    phoneToken = await registerDevice(hub, pki, ALICE_PHONE, alice.token);
  });

  async function request(
    clientUri: string,
    options: { signWith?: Uint8Array; cipherSuite?: string; groupInfoPublicKey?: Uint8Array } = {},
  ): Promise<{ body: Uint8Array; privateKey: PrivateKey }> {
    const keys = await suite.signature.keygen();
    const { privateKey, publicKey } = await suite.hpke.generateKeyPair();
    const unsigned: GroupInfoRequest = {
      protocol: Protocol.mls10,
      cipherSuite: options.cipherSuite ?? RoomCipherSuite.x25519,
      requestingSignatureKey: keys.publicKey,
      requestingCredential: basicCredential(clientUri),
      groupInfoPublicKey: options.groupInfoPublicKey ?? (await suite.hpke.exportPublicKey(publicKey)),
      joiningCode: undefined,
      signature: new Uint8Array(),
    };
    const signature = await signWithLabel(
      options.signWith ?? keys.signKey,
      SignatureLabel.groupInfoRequest,
      encode(groupInfoRequestTbs, groupInfoRequestToBeSigned(unsigned)),
      suite.signature,
    );
    return { body: encode(groupInfoRequest, { ...unsigned, signature }), privateKey };
  }

  async function ask(body: Uint8Array, as: ProviderCredentials, room = ROOM): Promise<GroupInfoResponse> {
    const answer = await federationPost(hub, pki, as, "groupInfo", room, body);
    expect(answer.status, answer.text).toBe(200);
    return decode(groupInfoResponse, answer.body);
  }

  it("gives a new device of a participant the GroupInfo, tree and pending proposals, encrypted to it and signed by the Hub", async () => {
    const { body, privateKey } = await request(ALICE_PHONE);
    const answer = await roomRequest(hub, pki, phoneToken, clientRoomPath(ROOM, "groupInfo"), body);
    expect(answer.status, answer.text).toBe(200);
    const response = decode(groupInfoResponse, new Uint8Array(answer.body));
    if (response.result.status !== GroupInfoCode.success) throw new Error(`status ${response.result.status}`);
    const hubSender = hub.services.identity.externalSender(RoomCipherSuite.x25519);
    expect(response.result.hubSender).toEqual(hubSender);
    expect(new TextDecoder().decode(response.roomId)).toBe(ROOM);
    const signed = await verifyWithLabel(
      hubSender.signaturePublicKey,
      SignatureLabel.groupInfoResponse,
      encode(groupInfoResponseTbs, groupInfoResponseToBeSigned(response as SuccessfulGroupInfoResponse)),
      response.result.signature,
      suite.signature,
    );
    expect(signed).toBe(true);
    const plaintext = await decryptWithLabel(
      privateKey,
      GROUP_INFO_ENCRYPTION_LABEL,
      response.roomId,
      response.result.encryptedGroupinfoAndTree.kemOutput,
      response.result.encryptedGroupinfoAndTree.ciphertext,
      suite.hpke,
    );
    const tbe = decode(groupInfoRatchetTreeTbe, plaintext);
    expect(tbe.groupInfo.groupContext.epoch).toBe(epochOf(alice.room));
    expect(tbe.pendingProposals).toEqual([]);
  });

  it("answers notAuthorized to non-participants, other providers' clients and bad signatures, noSuchRoom to unknown rooms", async () => {
    const outsider = await request("mimi://c.example/d/cathy/laptop");
    expect((await ask(outsider.body, fromC)).result.status).toBe(GroupInfoCode.notAuthorized);
    // Bob left: his new device may not join again.
    const bobTablet = await request("mimi://b.example/d/bob/tablet");
    expect((await ask(bobTablet.body, fromB)).result.status).toBe(GroupInfoCode.notAuthorized);
    // b.example may not ask for a.example's clients.
    const aliceViaB = await request(ALICE_PHONE);
    expect((await ask(aliceViaB.body, fromB)).result.status).toBe(GroupInfoCode.notAuthorized);
    const forged = await request(ALICE_PHONE, { signWith: (await suite.signature.keygen()).signKey });
    const local = await roomRequest(hub, pki, phoneToken, clientRoomPath(ROOM, "groupInfo"), forged.body);
    expect(local.status).toBe(200);
    expect(decode(groupInfoResponse, local.body).result.status).toBe(GroupInfoCode.notAuthorized);
    const nowhere = await request(ALICE_PHONE);
    expect((await ask(nowhere.body, fromB, "mimi://a.example/r/nowhere")).result.status).toBe(GroupInfoCode.noSuchRoom);
  });

  it("refuses a malformed body, a cipher suite the Hub has no key for, and a key it cannot encrypt to (400)", async () => {
    const malformed = await federationPost(hub, pki, fromB, "groupInfo", ROOM, GARBAGE);
    expect(malformed.status).toBe(400);
    const otherSuite = await request(ALICE_PHONE, { cipherSuite: "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448" });
    const answer = await federationPost(hub, pki, fromB, "groupInfo", ROOM, otherSuite.body);
    expect([answer.status, answer.text]).toEqual([
      400,
      "cipher_suite MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448 is not one this Hub signs with\n",
    ]);
    for (const groupInfoPublicKey of [new Uint8Array(5), new Uint8Array(32)]) {
      const unusable = await request(ALICE_PHONE, { groupInfoPublicKey });
      const refused = await roomRequest(hub, pki, phoneToken, clientRoomPath(ROOM, "groupInfo"), unusable.body);
      expect([refused.status, refused.text]).toEqual([
        400,
        `groupInfoPublicKey is not a usable HPKE public key of ${RoomCipherSuite.x25519}\n`,
      ]);
    }
  });
});

describe("the client API's room routes speak for the device only", () => {
  it("refuses requests for another user or client (403), and a Hub it cannot reach (502)", async () => {
    const sent = expectOk(await sendMessage(alice.room, new TextEncoder().encode("as someone else")));
    alice.room = sent.room;
    const asBob = encode(submitMessageRequest, { protocol: Protocol.mls10, appMessage: sent.message, sendingUri: BOB });
    const impersonating = await roomRequest(hub, pki, alice.token, clientRoomPath(ROOM, "submitMessage"), asBob);
    expect([impersonating.status, impersonating.text]).toEqual([
      403,
      `sendingUri must be this device's user mimi://a.example/u/alice, not ${BOB}\n`,
    ]);
    const groupInfoOfBob = await roomRequest(
      hub,
      pki,
      alice.token,
      clientRoomPath(ROOM, "groupInfo"),
      encode(groupInfoRequest, {
        protocol: Protocol.mls10,
        cipherSuite: RoomCipherSuite.x25519,
        requestingSignatureKey: new Uint8Array(32),
        requestingCredential: basicCredential(BOB_LAPTOP),
        groupInfoPublicKey: new Uint8Array(32),
        joiningCode: undefined,
        signature: new Uint8Array(64),
      }),
    );
    expect([groupInfoOfBob.status, groupInfoOfBob.text]).toEqual([
      403,
      `requestingCredential must be this device's credential, ${ALICE_LAPTOP}\n`,
    ]);
    const unreachable = await roomRequest(
      hub,
      pki,
      alice.token,
      clientRoomPath("mimi://z.example/r/far", "update"),
      encode(handshakeBundle, expectOk(await commitPending(alice.room)).bundle),
    );
    expect([unreachable.status, unreachable.text]).toEqual([502, "this provider has no route to z.example\n"]);
    const malformed = await clientRequest(hub, pki, {
      method: "POST",
      path: clientRoomPath(ROOM, "update"),
      token: alice.token,
      headers: BINARY,
      body: GARBAGE,
    });
    expect(malformed.status).toBe(400);
  });
});

describe("local devices of the Hub's own provider (protocol-06 s.5.5)", () => {
  const GINA = "mimi://a.example/u/gina";
  const GINA_LAPTOP = "mimi://a.example/d/gina/laptop";

  it("claims a local user's KeyPackage, routes the Welcome to her device, and stops her fan-out once removed", async () => {
    const token = await registerDevice(hub, pki, GINA_LAPTOP);
    const keyPackage = await newClientKeyPackage(GINA_LAPTOP);
    const upload = await clientRequest(hub, pki, {
      method: "POST",
      path: "/client/v1/keypackages",
      token,
      headers: { "content-type": "message/mls" },
      body: encode(mlsMessage, {
        version: "mls10",
        wireformat: "mls_key_package",
        keyPackage: keyPackage.publicPackage,
      }),
    });
    expect(upload.status, upload.text).toBe(201);

    const { body } = await signedKeyMaterialRequest(
      {
        clientUri: ALICE_LAPTOP,
        signatureKey: alice.keyPackage.publicPackage.leafNode.signaturePublicKey,
        signaturePrivateKey: alice.keyPackage.privatePackage.signaturePrivateKey,
      },
      { requestingUser: "mimi://a.example/u/alice", targetUser: GINA, roomId: ROOM },
    );
    const claimed = await roomRequest(
      hub,
      pki,
      alice.token,
      `/client/v1/keyMaterial/${encodeURIComponent(GINA)}`,
      body,
    );
    expect(claimed.status, claimed.text).toBe(200);
    const material = decode(keyMaterialResponse, new Uint8Array(claimed.body));
    const clients = material.clients.flatMap((client) =>
      client.clientStatus === KeyMaterialClientCode.success ? [client.keyPackage] : [],
    );
    expect(clients).toEqual([keyPackage.publicPackage]);
    // Claiming for another user than the device's own is refused.
    const asGina = await roomRequest(hub, pki, token, `/client/v1/keyMaterial/${encodeURIComponent(GINA)}`, body);
    expect(asGina.status).toBe(403);

    const added = expectOk(
      await addUsers(alice.room, [{ userUri: GINA, roleIndex: PresetRoleIndex.ordinaryUser, keyPackages: clients }]),
    );
    const accepted = await roomRequest(
      hub,
      pki,
      alice.token,
      clientRoomPath(ROOM, "update"),
      encode(handshakeBundle, added.bundle),
    );
    expect(decode(updateRoomResponse, accepted.body).responseCode).toBe(UpdateResponseCode.success);
    alice.room = added.room;
    expect(await hub.services.store.roomFollowers(ROOM)).toEqual([ALICE_LAPTOP, GINA_LAPTOP]);
    const [welcome, ...more] = await hub.services.store.inboxEventsAfter(GINA_LAPTOP, 0, 10);
    expect(more).toEqual([]);
    expect(decodeFanoutMessages(welcome?.payload ?? new Uint8Array())[0]?.content.message.wireformat).toBe(
      "mls_welcome",
    );

    const removed = expectOk(await removeUsers(alice.room, [GINA]));
    const removal = await roomRequest(
      hub,
      pki,
      alice.token,
      clientRoomPath(ROOM, "update"),
      encode(handshakeBundle, removed.bundle),
    );
    expect(decode(updateRoomResponse, removal.body).responseCode).toBe(UpdateResponseCode.success);
    alice.room = removed.room;
    // The commit removing her reaches her device; then it follows the room no more.
    const events = await hub.services.store.inboxEventsAfter(GINA_LAPTOP, welcome?.cursor ?? 0, 10);
    expect(events.map(({ payload }) => decodeFanoutMessages(payload)[0]?.content.message.wireformat)).toEqual([
      "mls_public_message",
    ]);
    expect(await hub.services.store.roomFollowers(ROOM)).toEqual([ALICE_LAPTOP]);
  });
});

describe("a room of MLS_128_DHKEMP256_AES128GCM_SHA256_P256", () => {
  it("has the Hub's P-256 key as external sender, which signs the GroupInfoResponse", async () => {
    const p256 = await getCiphersuiteImpl(getCiphersuiteFromName(RoomCipherSuite.p256));
    const roomUri = "mimi://a.example/r/p256";
    const paul = await createRoomAt(hub, pki, roomUri, "mimi://a.example/d/paul/laptop", RoomCipherSuite.p256);
    const phone = "mimi://a.example/d/paul/phone";
    const phoneToken = await registerDevice(hub, pki, phone, paul.token);
    const keys = await p256.signature.keygen();
    const { privateKey, publicKey } = await p256.hpke.generateKeyPair();
    const unsigned: GroupInfoRequest = {
      protocol: Protocol.mls10,
      cipherSuite: RoomCipherSuite.p256,
      requestingSignatureKey: keys.publicKey,
      requestingCredential: basicCredential(phone),
      groupInfoPublicKey: await p256.hpke.exportPublicKey(publicKey),
      joiningCode: undefined,
      signature: new Uint8Array(),
    };
    const signature = await signWithLabel(
      keys.signKey,
      SignatureLabel.groupInfoRequest,
      encode(groupInfoRequestTbs, groupInfoRequestToBeSigned(unsigned)),
      p256.signature,
    );
    const answer = await roomRequest(
      hub,
      pki,
      phoneToken,
      clientRoomPath(roomUri, "groupInfo"),
      encode(groupInfoRequest, { ...unsigned, signature }),
    );
    const response = decode(groupInfoResponse, new Uint8Array(answer.body));
    if (response.result.status !== GroupInfoCode.success) throw new Error(`status ${response.result.status}`);
    const hubSender = hub.services.identity.externalSender(RoomCipherSuite.p256);
    expect(response.result.hubSender).toEqual(hubSender);
    const tbs = encode(groupInfoResponseTbs, groupInfoResponseToBeSigned(response as SuccessfulGroupInfoResponse));
    expect(
      await verifyWithLabel(
        hubSender.signaturePublicKey,
        SignatureLabel.groupInfoResponse,
        tbs,
        response.result.signature,
        p256.signature,
      ),
    ).toBe(true);
    const plaintext = await decryptWithLabel(
      privateKey,
      GROUP_INFO_ENCRYPTION_LABEL,
      response.roomId,
      response.result.encryptedGroupinfoAndTree.kemOutput,
      response.result.encryptedGroupinfoAndTree.ciphertext,
      p256.hpke,
    );
    expect(decode(groupInfoRatchetTreeTbe, plaintext).groupInfo.groupContext.cipherSuite).toBe(RoomCipherSuite.p256);
    expect((await hub.services.store.hubRoom(roomUri))?.cipherSuite).toBe(RoomCipherSuite.p256);
  });
});
