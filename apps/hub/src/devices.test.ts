import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientRequest, registerDevice } from "./test-support/client.js";
import { startTestHub, type TestHub, TestPki, temporaryDirectory } from "./test-support/network.js";
import { hashDeviceToken } from "./tokens.js";

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let pki: TestPki;
let hub: TestHub;

beforeAll(async () => {
  directory = await temporaryDirectory();
  pki = await TestPki.create(directory.path);
  hub = await startTestHub(pki, "a.example");
});

afterAll(async () => {
  await hub?.close();
  await directory?.remove();
});

function register(body: unknown, token?: string) {
  return clientRequest(hub, pki, {
    method: "POST",
    path: "/client/v1/devices",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json" },
    ...(token === undefined ? {} : { token }),
  });
}

describe("POST /client/v1/devices", () => {
  it("registers a user's first device and returns a token that authenticates it", async () => {
    const response = await register({
      clientUri: "mimi://a.example/d/alice/laptop",
      userUri: "mimi://a.example/u/alice",
    });
    expect(response.status).toBe(201);
    const body = JSON.parse(response.text) as { clientUri: string; userUri: string; token: string };
    expect(body.clientUri).toBe("mimi://a.example/d/alice/laptop");
    expect(body.userUri).toBe("mimi://a.example/u/alice");
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await hub.services.store.deviceByTokenHash(hashDeviceToken(body.token))).toMatchObject({
      clientUri: "mimi://a.example/d/alice/laptop",
    });
    const events = await clientRequest(hub, pki, { path: "/client/v1/events?cursor=x", token: body.token });
    expect(events.status).toBe(400); // authenticated: refused for its cursor, not its token
  });

  it("stores only a hash of the token", async () => {
    const token = await registerDevice(hub, pki, "mimi://a.example/d/hashed/one");
    const dataDir = hub.config.dataDir;
    for (const file of await readdir(dataDir)) {
      const content = await readFile(join(dataDir, file));
      expect(content.includes(Buffer.from(token)), file).toBe(false);
    }
    expect(await hub.services.store.deviceByTokenHash(hashDeviceToken(token))).toBeDefined();
  });

  it("registers further devices of a user only with the token of one of its devices", async () => {
    const first = await registerDevice(hub, pki, "mimi://a.example/d/bob/laptop");
    const stranger = await registerDevice(hub, pki, "mimi://a.example/d/mallory/laptop");
    const phone = { clientUri: "mimi://a.example/d/bob/phone", userUri: "mimi://a.example/u/bob" };

    const anonymous = await register(phone);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers["www-authenticate"]).toBe('Bearer realm="mimi-hub"');
    expect((await register(phone, "not-a-token")).status).toBe(401);
    const foreign = await register(phone, stranger);
    expect(foreign.status).toBe(403);
    expect(foreign.text).toBe("mimi://a.example/u/bob has devices: only one of them may register another\n");
    expect((await register(phone, first)).status).toBe(201);
    expect(
      (await hub.services.store.devicesOfUser("mimi://a.example/u/bob")).map((device) => device.clientUri),
    ).toEqual(["mimi://a.example/d/bob/laptop", "mimi://a.example/d/bob/phone"]);
  });

  it("refuses a client URI registered already with 409", async () => {
    const token = await registerDevice(hub, pki, "mimi://a.example/d/carol/laptop");
    const again = await register(
      { clientUri: "mimi://a.example/d/carol/laptop", userUri: "mimi://a.example/u/carol" },
      token,
    );
    expect(again.status).toBe(409);
    expect(again.text).toBe("mimi://a.example/d/carol/laptop is already registered\n");
  });

  it("refuses bad bodies with 400 and a clear reason", async () => {
    const cases: [unknown, string][] = [
      ["{not json", "the body is not JSON"],
      [[], 'the body must be a JSON object {"clientUri": ..., "userUri": ...}'],
      [{ clientUri: "mimi://a.example/d/x/y", userUri: "mimi://a.example/u/x", admin: true }, "unknown field admin"],
      [{ clientUri: 5, userUri: "mimi://a.example/u/x" }, "clientUri must be a string"],
      [
        { clientUri: "mimi://b.example/d/x/y", userUri: "mimi://b.example/u/x" },
        "clientUri must be a client of this provider, mimi://a.example/d/<user>/<client>",
      ],
      [
        { clientUri: "mimi://a.example/d/x/y", userUri: "mimi://a.example/u/z" },
        "userUri must be mimi://a.example/u/x, the user clientUri belongs to",
      ],
      [
        { clientUri: "mimi://a.example/d/ClientA1", userUri: "mimi://a.example/u/x" },
        "clientUri: mimi://a.example/d/ClientA1 does not name its user: a client URI is mimi://<domain>/d/<user>/<client>",
      ],
    ];
    for (const [body, message] of cases) {
      const response = await register(body);
      expect(response.status, message).toBe(400);
      expect(response.text).toBe(`${message}\n`);
    }
  });
});
