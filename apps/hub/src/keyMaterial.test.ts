import { decode } from "@mimi-ts/codec";
import {
  KeyMaterialClientCode,
  type KeyMaterialResponse,
  KeyMaterialUserCode,
  keyMaterialResponse,
} from "@mimi-ts/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "./clock.js";
import { registerDevice, uploadKeyPackages } from "./test-support/client.js";
import { httpsRequest } from "./test-support/https.js";
import {
  capabilities,
  lifetime,
  makeKeyPackage,
  makeRequester,
  OTHER_SUITE,
  type Requester,
  SUITE,
  signedKeyMaterialRequest,
  type TestKeyPackage,
} from "./test-support/mls.js";
import {
  type ProviderCredentials,
  startTestHub,
  type TestHub,
  TestPki,
  temporaryDirectory,
} from "./test-support/network.js";

const ROOM = "mimi://b.example/r/clubhouse";

class MovableClock implements Clock {
  time = Date.now();
  now(): number {
    return this.time;
  }
}

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let pki: TestPki;
let clock: MovableClock;
let hub: TestHub;
let peer: ProviderCredentials;
let requester: Requester;

beforeAll(async () => {
  directory = await temporaryDirectory();
  pki = await TestPki.create(directory.path);
  clock = new MovableClock();
  hub = await startTestHub(pki, "a.example", { clock });
  peer = await pki.credentials("b.example");
  requester = await makeRequester("mimi://b.example/d/bob/laptop");
});

afterAll(async () => {
  await hub?.close();
  await directory?.remove();
});

/** POST /keyMaterial/{targetUser} from b.example to `to` (default: the hub). */
function postKeyMaterial(targetUser: string, body: Uint8Array, to: TestHub = hub, as: ProviderCredentials = peer) {
  return httpsRequest({
    port: to.port,
    method: "POST",
    path: `/keyMaterial/${encodeURIComponent(targetUser)}`,
    ca: pki.caPem,
    cert: as.certPem,
    key: as.keyPem,
    headers: { host: to.config.domain, from: `mimi@${as.domain}` },
    body,
  });
}

async function fetchKeyMaterial(
  targetUser: string,
  fields: Partial<Parameters<typeof signedKeyMaterialRequest>[1]> = {},
  to: TestHub = hub,
): Promise<KeyMaterialResponse> {
  const { body } = await signedKeyMaterialRequest(requester, {
    requestingUser: "mimi://b.example/u/bob",
    targetUser,
    roomId: ROOM,
    ...fields,
  });
  const response = await postKeyMaterial(targetUser, body, to);
  if (response.status !== 200) throw new Error(`${response.status} ${response.text}`);
  expect(response.headers["content-type"]).toBe("application/octet-stream");
  return decode(keyMaterialResponse, response.body);
}

/** Registers a user's devices (the first one's token authorizes the others) with their KeyPackages. */
async function registerUser(target: TestHub, clientUris: readonly string[], made: readonly TestKeyPackage[][]) {
  let token: string | undefined;
  for (const [index, clientUri] of clientUris.entries()) {
    const newToken = await registerDevice(target, pki, clientUri, token);
    token ??= newToken;
    const keyPackages = made[index] ?? [];
    if (keyPackages.length > 0)
      await uploadKeyPackages(
        target,
        pki,
        newToken,
        keyPackages.map((kp) => kp.message),
      );
  }
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
function summary(response: KeyMaterialResponse) {
  return {
    userStatus: response.userStatus,
    clients: response.clients.map((client) => [client.clientUri, client.clientStatus]),
  };
}

describe("POST /keyMaterial/{targetUser} (protocol-06 s.5.2)", () => {
  it("claims one KeyPackage per client, oldest first, never the same one twice", async () => {
    const laptop = "mimi://a.example/d/alice/laptop";
    const phone = "mimi://a.example/d/alice/phone";
    const laptopPackages = [await makeKeyPackage(laptop), await makeKeyPackage(laptop)];
    const phonePackage = await makeKeyPackage(phone);
    await registerUser(hub, [laptop, phone], [laptopPackages, [phonePackage]]);

    const first = await fetchKeyMaterial("mimi://a.example/u/alice");
    expect(summary(first)).toEqual({
      userStatus: KeyMaterialUserCode.success,
      clients: [
        [laptop, KeyMaterialClientCode.success],
        [phone, KeyMaterialClientCode.success],
      ],
    });
    expect(first.userUri).toBe("mimi://a.example/u/alice");
    const [laptopClaim, phoneClaim] = first.clients;
    expect(laptopClaim?.clientStatus === KeyMaterialClientCode.success && hex(laptopClaim.keyPackage.initKey)).toBe(
      hex(laptopPackages[0]?.publicPackage.initKey ?? new Uint8Array()),
    );
    expect(phoneClaim?.clientStatus === KeyMaterialClientCode.success && hex(phoneClaim.keyPackage.initKey)).toBe(
      hex(phonePackage.publicPackage.initKey),
    );

    const second = await fetchKeyMaterial("mimi://a.example/u/alice");
    expect(summary(second)).toEqual({
      userStatus: KeyMaterialUserCode.partialSuccess,
      clients: [
        [laptop, KeyMaterialClientCode.success],
        [phone, KeyMaterialClientCode.keyMaterialExhausted],
      ],
    });
    const third = await fetchKeyMaterial("mimi://a.example/u/alice");
    expect(summary(third)).toEqual({
      userStatus: KeyMaterialUserCode.noCompatibleMaterial,
      clients: [
        [laptop, KeyMaterialClientCode.keyMaterialExhausted],
        [phone, KeyMaterialClientCode.keyMaterialExhausted],
      ],
    });
  });

  it("routes the KeyPackageRef of each claimed KeyPackage to its client", async () => {
    const laptop = "mimi://a.example/d/frank/laptop";
    const keyPackage = await makeKeyPackage(laptop);
    await registerUser(hub, [laptop], [[keyPackage]]);
    await fetchKeyMaterial("mimi://a.example/u/frank");
    expect(await hub.services.store.keyPackageRoute(keyPackage.ref)).toMatchObject({
      providerDomain: "a.example",
      clientUri: laptop,
      roomId: ROOM,
      notAfter: 4_102_444_800,
    });
  });

  it("never hands a KeyPackage out twice under concurrent requests", async () => {
    const laptop = "mimi://a.example/d/carol/laptop";
    const packages = await Promise.all([1, 2, 3].map(() => makeKeyPackage(laptop)));
    await registerUser(hub, [laptop], [packages]);
    const responses = await Promise.all(Array.from({ length: 8 }, () => fetchKeyMaterial("mimi://a.example/u/carol")));
    const handedOut = responses.flatMap((response) =>
      response.clients.flatMap((client) =>
        client.clientStatus === KeyMaterialClientCode.success ? [hex(client.keyPackage.initKey)] : [],
      ),
    );
    expect(handedOut.sort()).toEqual(packages.map((keyPackage) => hex(keyPackage.publicPackage.initKey)).sort());
    expect(responses.filter((response) => response.userStatus === KeyMaterialUserCode.success)).toHaveLength(3);
  });

  it("skips KeyPackages whose lifetime has ended", async () => {
    const laptop = "mimi://a.example/d/dave/laptop";
    const nowSeconds = Math.floor(clock.time / 1000);
    const shortLived = await makeKeyPackage(laptop, { lifetime: lifetime(nowSeconds - 10, nowSeconds + 60) });
    const longLived = await makeKeyPackage(laptop);
    await registerUser(hub, [laptop], [[shortLived, longLived]]);
    clock.time += 120_000;
    const response = await fetchKeyMaterial("mimi://a.example/u/dave");
    const [client] = response.clients;
    expect(client?.clientStatus === KeyMaterialClientCode.success && hex(client.keyPackage.initKey)).toBe(
      hex(longLived.publicPackage.initKey),
    );
    const again = await fetchKeyMaterial("mimi://a.example/u/dave");
    expect(summary(again).clients).toEqual([[laptop, KeyMaterialClientCode.keyMaterialExhausted]]);
  });

  it("hands out only KeyPackages of an acceptable cipher suite with the required capabilities", async () => {
    const laptop = "mimi://a.example/d/erin/laptop";
    const otherSuite = await makeKeyPackage(laptop, { cipherSuite: OTHER_SUITE });
    const plain = await makeKeyPackage(laptop);
    const extended = await makeKeyPackage(laptop, { capabilities: capabilities({ extensions: [0xff01] }) });
    await registerUser(hub, [laptop], [[otherSuite, plain, extended]]);

    const needsExtension = { extensionTypes: [0xff01, 2], proposalTypes: [1], credentialTypes: ["basic" as const] };
    const withExtension = await fetchKeyMaterial("mimi://a.example/u/erin", { requiredCapabilities: needsExtension });
    const [first] = withExtension.clients;
    expect(first?.clientStatus === KeyMaterialClientCode.success && hex(first.keyPackage.initKey)).toBe(
      hex(extended.publicPackage.initKey),
    );
    const none = await fetchKeyMaterial("mimi://a.example/u/erin", { requiredCapabilities: needsExtension });
    expect(summary(none)).toEqual({
      userStatus: KeyMaterialUserCode.noCompatibleMaterial,
      clients: [[laptop, KeyMaterialClientCode.nothingCompatible]],
    });
    expect(none.clients[0]).toEqual({
      clientStatus: KeyMaterialClientCode.nothingCompatible,
      clientUri: laptop,
      clientCapabilities: undefined,
    });
    const plainSuite = await fetchKeyMaterial("mimi://a.example/u/erin");
    const [second] = plainSuite.clients;
    expect(second?.clientStatus === KeyMaterialClientCode.success && hex(second.keyPackage.initKey)).toBe(
      hex(plain.publicPackage.initKey),
    );
    const onlyP256Left = await fetchKeyMaterial("mimi://a.example/u/erin");
    expect(summary(onlyP256Left).clients).toEqual([[laptop, KeyMaterialClientCode.nothingCompatible]]);
    const either = await fetchKeyMaterial("mimi://a.example/u/erin", { acceptableCiphersuites: [SUITE, OTHER_SUITE] });
    const [third] = either.clients;
    expect(third?.clientStatus === KeyMaterialClientCode.success && third.keyPackage.cipherSuite).toBe(OTHER_SUITE);
  });

  it("answers userUnknown, with no clients, for a user without devices here", async () => {
    const response = await fetchKeyMaterial("mimi://a.example/u/nobody");
    expect(response).toEqual({
      protocol: 1,
      userStatus: KeyMaterialUserCode.userUnknown,
      userUri: "mimi://a.example/u/nobody",
      clients: [],
    });
  });

  it("answers incompatibleProtocol for a protocol other than MLS 1.0", async () => {
    const response = await postKeyMaterial("mimi://a.example/u/alice", new Uint8Array([2, 0, 0]));
    expect(response.status).toBe(200);
    expect(decode(keyMaterialResponse, response.body)).toEqual({
      protocol: 1,
      userStatus: KeyMaterialUserCode.incompatibleProtocol,
      userUri: "mimi://a.example/u/alice",
      clients: [],
    });
  });

  it("refuses bodies that do not decode or disagree with the path with 400", async () => {
    const garbage = await postKeyMaterial("mimi://a.example/u/alice", new Uint8Array([1, 0xff]));
    expect(garbage.status).toBe(400);
    expect(garbage.text).toMatch(/^KeyMaterialRequest\.requestingUser: /);
    const { body } = await signedKeyMaterialRequest(requester, {
      requestingUser: "mimi://b.example/u/bob",
      targetUser: "mimi://a.example/u/alice",
      roomId: ROOM,
    });
    const mismatch = await postKeyMaterial("mimi://a.example/u/carol", body);
    expect(mismatch.status).toBe(400);
    expect(mismatch.text).toBe("the path names mimi://a.example/u/carol but targetUser is mimi://a.example/u/alice\n");
    const noSuites = await signedKeyMaterialRequest(requester, {
      requestingUser: "mimi://b.example/u/bob",
      targetUser: "mimi://a.example/u/alice",
      roomId: ROOM,
      acceptableCiphersuites: [],
    });
    const empty = await postKeyMaterial("mimi://a.example/u/alice", noSuites.body);
    expect(empty.status).toBe(400);
    expect(empty.text).toBe("acceptableCiphersuites must not be empty (protocol-06 s.5.2)\n");
    const notAUser = await postKeyMaterial("mimi://a.example/r/room", body);
    expect(notAUser.status).toBe(400);
  });

  it("refuses a requester whose signature or credential does not hold with 403", async () => {
    const { request, body } = await signedKeyMaterialRequest(requester, {
      requestingUser: "mimi://b.example/u/bob",
      targetUser: "mimi://a.example/u/alice",
      roomId: ROOM,
    });
    const forged = Uint8Array.from(body);
    forged.set([(forged.at(-1) ?? 0) ^ 1], forged.length - 1);
    const badSignature = await postKeyMaterial("mimi://a.example/u/alice", forged);
    expect(badSignature.status).toBe(403);
    expect(badSignature.text).toBe("key_material_request_signature does not verify with requesterSignatureKey\n");
    expect(request.requestingUser).toBe("mimi://b.example/u/bob");
    const unreadableKey = await signedKeyMaterialRequest(
      { ...requester, signatureKey: new Uint8Array(5) },
      { requestingUser: "mimi://b.example/u/bob", targetUser: "mimi://a.example/u/alice", roomId: ROOM },
    );
    expect((await postKeyMaterial("mimi://a.example/u/alice", unreadableKey.body)).status).toBe(403);
    const impostor = await signedKeyMaterialRequest(requester, {
      requestingUser: "mimi://b.example/u/boss",
      targetUser: "mimi://a.example/u/alice",
      roomId: ROOM,
    });
    const wrongUser = await postKeyMaterial("mimi://a.example/u/alice", impostor.body);
    expect(wrongUser.status).toBe(403);
    expect(wrongUser.text).toBe(
      "requesterCredential is not a client of mimi://b.example/u/boss: it names a client of mimi://b.example/u/bob\n",
    );
  });

  it("answers 404 for a user of another provider when the room is not hosted here", async () => {
    const { body } = await signedKeyMaterialRequest(requester, {
      requestingUser: "mimi://b.example/u/bob",
      targetUser: "mimi://c.example/u/cathy",
      roomId: ROOM,
    });
    const response = await postKeyMaterial("mimi://c.example/u/cathy", body);
    expect(response.status).toBe(404);
    expect(response.text).toBe(
      "mimi://c.example/u/cathy is not a user of a.example, and mimi://b.example/r/clubhouse is not a room hosted here\n",
    );
  });
});

describe("POST /keyMaterial/{targetUser} at the hub of the room (protocol-06 s.4.3.1)", () => {
  it("relays to the target's provider over mutual TLS and remembers where each KeyPackage came from", async () => {
    const target = await startTestHub(pki, "t.example");
    const relay = await startTestHub(pki, "h.example", { peers: { "t.example": target.url } });
    try {
      const laptop = "mimi://t.example/d/tina/laptop";
      const keyPackage = await makeKeyPackage(laptop);
      await registerUser(target, [laptop], [[keyPackage]]);
      const response = await fetchKeyMaterial("mimi://t.example/u/tina", { roomId: "mimi://h.example/r/lobby" }, relay);
      expect(summary(response)).toEqual({
        userStatus: KeyMaterialUserCode.success,
        clients: [[laptop, KeyMaterialClientCode.success]],
      });
      expect(await relay.services.store.keyPackageRoute(keyPackage.ref)).toMatchObject({
        providerDomain: "t.example",
        clientUri: laptop,
        roomId: "mimi://h.example/r/lobby",
      });
      expect(await target.services.store.keyPackageRoute(keyPackage.ref)).toMatchObject({
        providerDomain: "t.example",
        clientUri: laptop,
      });
      // The target saw the hub as the requesting provider, and the hub's request id.
      const isKeyMaterial = (line: Record<string, unknown>) =>
        line.msg === "request" && String(line.path).startsWith("/keyMaterial/");
      const atTarget = target.logs.lines.find(isKeyMaterial);
      const atRelay = relay.logs.lines.find(isKeyMaterial);
      expect(atTarget?.peer).toBe("h.example");
      expect(atRelay?.peer).toBe("b.example");
      expect(atTarget?.requestId).toBe(atRelay?.requestId);

      const { body } = await signedKeyMaterialRequest(requester, {
        requestingUser: "mimi://b.example/u/bob",
        targetUser: "mimi://z.example/u/zed",
        roomId: "mimi://h.example/r/lobby",
      });
      const unrouted = await postKeyMaterial("mimi://z.example/u/zed", body, relay);
      expect(unrouted.status).toBe(502);
      expect(unrouted.text).toBe("this provider has no route to z.example\n");
    } finally {
      await relay.close();
      await target.close();
    }
  });
});
