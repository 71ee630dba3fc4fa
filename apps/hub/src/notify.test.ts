import { encode } from "@mimi-ts/codec";
import { encodeFanoutMessages, type FanoutMessage, fanoutMessage } from "@mimi-ts/protocol";
import type { ClientState } from "ts-mls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerDevice, uploadKeyPackages } from "./test-support/client.js";
import { httpsRequest } from "./test-support/https.js";
import {
  applicationFanout,
  groupAdding,
  makeKeyPackage,
  makeRequester,
  signedKeyMaterialRequest,
} from "./test-support/mls.js";
import {
  type ProviderCredentials,
  startTestHub,
  type TestHub,
  TestPki,
  temporaryDirectory,
} from "./test-support/network.js";

const ROOM = "mimi://a.example/r/clubhouse";
const BOB_LAPTOP = "mimi://b.example/d/bob/laptop";
const BOB_PHONE = "mimi://b.example/d/bob/phone";

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let pki: TestPki;
let follower: TestHub;
let hubCredentials: ProviderCredentials;
let group: ClientState;
let welcome: FanoutMessage;

/** A request from the hub a.example (or `as`) to the follower b.example. */
function post(path: string, body: Uint8Array, as: ProviderCredentials = hubCredentials) {
  return httpsRequest({
    port: follower.port,
    method: "POST",
    path,
    ca: pki.caPem,
    cert: as.certPem,
    key: as.keyPem,
    headers: { host: "b.example", from: `mimi@${as.domain}` },
    body,
  });
}

const notify = (body: Uint8Array, room = ROOM) => post(`/notify/${encodeURIComponent(room)}`, body);
const inbox = (clientUri: string) => follower.services.store.inboxEventsAfter(clientUri, 0, 100);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

let nextTimestamp = 1_700_000_000_001n;
const message = (text: string): Promise<FanoutMessage> => applicationFanout(group, text, nextTimestamp++);

beforeAll(async () => {
  directory = await temporaryDirectory();
  pki = await TestPki.create(directory.path);
  follower = await startTestHub(pki, "b.example");
  hubCredentials = await pki.credentials("a.example");

  // Bob's laptop uploads a KeyPackage; the hub claims it for the room, as when Alice adds Bob.
  const laptopToken = await registerDevice(follower, pki, BOB_LAPTOP);
  await registerDevice(follower, pki, BOB_PHONE, laptopToken);
  const bobPackage = await makeKeyPackage(BOB_LAPTOP);
  await uploadKeyPackages(follower, pki, laptopToken, [bobPackage.message]);
  const requester = await makeRequester("mimi://a.example/d/alice/laptop");
  const { body } = await signedKeyMaterialRequest(requester, {
    requestingUser: "mimi://a.example/u/alice",
    targetUser: "mimi://b.example/u/bob",
    roomId: ROOM,
  });
  const claimed = await post(`/keyMaterial/${encodeURIComponent("mimi://b.example/u/bob")}`, body);
  expect(claimed.status).toBe(200);

  const created = await groupAdding(await makeKeyPackage("mimi://a.example/d/alice/laptop"), [
    bobPackage.publicPackage,
  ]);
  group = created.state;
  welcome = created.welcome;
});

afterAll(async () => {
  await follower?.close();
  await directory?.remove();
});

describe("POST /notify/{roomId} (protocol-06 s.5.5)", () => {
  it("delivers a Welcome to the client whose KeyPackage it names, which then follows the room", async () => {
    const response = await notify(encodeFanoutMessages([welcome]));
    expect(response.status).toBe(201);
    expect(response.body.length).toBe(0);
    const [event] = await inbox(BOB_LAPTOP);
    expect(event).toMatchObject({ cursor: 1, kind: "fanout", roomId: ROOM });
    expect(hex(event?.payload ?? new Uint8Array())).toBe(hex(encode(fanoutMessage, welcome)));
    expect(await inbox(BOB_PHONE)).toEqual([]);
    expect(await follower.services.store.roomFollowers(ROOM)).toEqual([BOB_LAPTOP]);
  });

  it("appends every message of a body, in order, to the room's followers", async () => {
    const before = (await inbox(BOB_LAPTOP)).length;
    const messages = [await message("one"), await message("two")];
    expect((await notify(encodeFanoutMessages(messages))).status).toBe(201);
    const events = (await inbox(BOB_LAPTOP)).slice(before);
    expect(events.map((event) => event.cursor)).toEqual([before + 1, before + 2]);
    expect(events.map((event) => hex(event.payload))).toEqual(messages.map((sent) => hex(encode(fanoutMessage, sent))));
    expect(await inbox(BOB_PHONE)).toEqual([]);
  });

  it("answers a byte-identical retry 201 again and processes it once", async () => {
    const body = encodeFanoutMessages([await message("once")]);
    const before = (await inbox(BOB_LAPTOP)).length;
    expect((await notify(body)).status).toBe(201);
    expect((await notify(body)).status).toBe(201);
    expect(await inbox(BOB_LAPTOP)).toHaveLength(before + 1);
  });

  it("accepts the room in the path spelt as in the draft's flows, without scheme", async () => {
    const before = (await inbox(BOB_LAPTOP)).length;
    expect((await post("/notify/a.example/r/clubhouse", encodeFanoutMessages([await message("slash")]))).status).toBe(
      201,
    );
    expect(await inbox(BOB_LAPTOP)).toHaveLength(before + 1);
  });

  it("refuses a body that is not FanoutMessages with 400 and the codec's message, processing nothing", async () => {
    const before = (await inbox(BOB_LAPTOP)).length;
    const valid = encodeFanoutMessages([await message("valid")]);
    const cut = await notify(Buffer.concat([valid, valid.subarray(0, 12)]));
    expect(cut.status).toBe(400);
    expect(cut.text).toMatch(/^FanoutMessage/);
    const empty = await notify(new Uint8Array());
    expect(empty.status).toBe(400);
    expect(empty.text).toBe("FanoutMessages: a /notify body holds at least one FanoutMessage\n");
    expect(await inbox(BOB_LAPTOP)).toHaveLength(before);
  });

  it("refuses notifications from a provider that is not the room's hub with 403", async () => {
    const other = await pki.credentials("c.example");
    const response = await post(
      `/notify/${encodeURIComponent(ROOM)}`,
      encodeFanoutMessages([await message("x")]),
      other,
    );
    expect(response.status).toBe(403);
    expect(response.text).toBe(`c.example is not the hub of ${ROOM}; only a.example may notify for it\n`);
  });

  it("refuses a path that names no room with 400", async () => {
    const response = await notify(encodeFanoutMessages([await message("x")]), "mimi://a.example/u/alice");
    expect(response.status).toBe(400);
    expect(response.text).toBe('the path after /notify/ must be a MIMI room URI, found "mimi://a.example/u/alice"\n');
  });
});
