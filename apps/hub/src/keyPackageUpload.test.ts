import { encode } from "@mimi-ts/codec";
import { keyPackage as keyPackageCodec, mlsMessage } from "@mimi-ts/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientRequest, registerDevice } from "./test-support/client.js";
import { groupAdding, lifetime, makeKeyPackage } from "./test-support/mls.js";
import { startTestHub, type TestHub, TestPki, temporaryDirectory } from "./test-support/network.js";

const LAPTOP = "mimi://a.example/d/alice/laptop";

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let pki: TestPki;
let hub: TestHub;
let token: string;

beforeAll(async () => {
  directory = await temporaryDirectory();
  pki = await TestPki.create(directory.path);
  hub = await startTestHub(pki, "a.example");
  token = await registerDevice(hub, pki, LAPTOP);
});

afterAll(async () => {
  await hub?.close();
  await directory?.remove();
});

/** Uploads as the laptop, unless `bearer` says otherwise (null: no Authorization header). */
function upload(body: Uint8Array, contentType = "message/mls", bearer: string | null = token) {
  return clientRequest(hub, pki, {
    method: "POST",
    path: "/client/v1/keypackages",
    body,
    headers: { "content-type": contentType },
    ...(bearer === null ? {} : { token: bearer }),
  });
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("POST /client/v1/keypackages", () => {
  it("stores KeyPackages sent as MLSMessages back to back, and counts re-uploads as duplicates", async () => {
    const first = await makeKeyPackage(LAPTOP);
    const second = await makeKeyPackage(LAPTOP);
    const body = Buffer.concat([first.message, second.message]);
    const response = await upload(body);
    expect(response.status).toBe(201);
    expect(JSON.parse(response.text)).toEqual({
      stored: 2,
      duplicates: 0,
      keyPackageRefs: [hex(first.ref), hex(second.ref)],
    });
    expect(JSON.parse((await upload(body)).text)).toMatchObject({ stored: 0, duplicates: 2 });
    const available = await hub.services.store.availableKeyPackages(LAPTOP, Math.floor(Date.now() / 1000));
    expect(available.map((stored) => hex(stored.ref))).toEqual([hex(first.ref), hex(second.ref)]);
    expect(available[0]?.notAfter).toBe(4_102_444_800);
  });

  it("stores bare KeyPackage structs sent as application/octet-stream", async () => {
    const keyPackage = await makeKeyPackage(LAPTOP);
    const response = await upload(encode(keyPackageCodec, keyPackage.publicPackage), "application/octet-stream");
    expect(response.status).toBe(201);
    expect(JSON.parse(response.text)).toMatchObject({ stored: 1, keyPackageRefs: [hex(keyPackage.ref)] });
  });

  it("needs the device's token", async () => {
    const keyPackage = await makeKeyPackage(LAPTOP);
    expect((await upload(keyPackage.message, "message/mls", null)).status).toBe(401);
    expect((await upload(keyPackage.message, "message/mls", "wrong")).status).toBe(401);
  });

  it("refuses other content types with 415", async () => {
    const response = await upload((await makeKeyPackage(LAPTOP)).message, "application/json");
    expect(response.status).toBe(415);
    expect(response.text).toBe(
      "Content-Type must be message/mls (MLSMessages) or application/octet-stream (KeyPackages)\n",
    );
  });

  it("refuses bodies that do not decode with 400 and the codec's message", async () => {
    const valid = await makeKeyPackage(LAPTOP);
    const empty = await upload(new Uint8Array());
    expect(empty.status).toBe(400);
    expect(empty.text).toBe("KeyPackageUpload: the body holds no MLSMessage\n");
    const truncated = await upload(Buffer.concat([valid.message, valid.message.subarray(0, 20)]));
    expect(truncated.status).toBe(400);
    expect(truncated.text).toMatch(/^MLSMessage: invalid MLSMessage/);
    const { welcome } = await groupAdding(await makeKeyPackage("mimi://a.example/d/x/y"), [valid.publicPackage]);
    const notKeyPackage = await upload(encode(mlsMessage, welcome.content.message));
    expect(notKeyPackage.status).toBe(400);
    expect(notKeyPackage.text).toBe("MLSMessage: expected wire format mls_key_package, found mls_welcome\n");
  });

  it("refuses KeyPackages of another client, expired ones and forged ones, storing none of the batch", async () => {
    const good = await makeKeyPackage(LAPTOP);
    const foreign = await makeKeyPackage("mimi://a.example/d/alice/phone");
    const expired = await makeKeyPackage(LAPTOP, { lifetime: lifetime(1_500_000_000, 1_600_000_000) });
    const forged = await makeKeyPackage(LAPTOP);
    forged.message.set([(forged.message.at(-1) ?? 0) ^ 1], forged.message.length - 1);
    const cases: [Uint8Array, string][] = [
      [
        foreign.message,
        "KeyPackage [1]: the credential names mimi://a.example/d/alice/phone, not this device (mimi://a.example/d/alice/laptop)",
      ],
      [expired.message, "KeyPackage [1]: expired: the lifetime's not_after has passed"],
      [forged.message, "KeyPackage [1]: the KeyPackage signature does not verify"],
    ];
    for (const [bad, message] of cases) {
      const response = await upload(Buffer.concat([good.message, bad]));
      expect(response.status, message).toBe(400);
      expect(response.text).toBe(`${message}\n`);
    }
    const available = await hub.services.store.availableKeyPackages(LAPTOP, Math.floor(Date.now() / 1000));
    expect(available.some((stored) => hex(stored.ref) === hex(good.ref))).toBe(false);
  });

  it("refuses a KeyPackage whose signature key cannot even be read with 400, not 500", async () => {
    const { publicPackage } = await makeKeyPackage(LAPTOP);
    const unreadable = {
      ...publicPackage,
      leafNode: { ...publicPackage.leafNode, signaturePublicKey: new Uint8Array(5) },
    };
    const response = await upload(encode(keyPackageCodec, unreadable), "application/octet-stream");
    expect(response.status).toBe(400);
    expect(response.text).toBe("KeyPackage [0]: the leaf node signature does not verify\n");
  });
});
