import { directoryFor } from "@mimi-ts/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHubApp, ROUTE_MODULES } from "./app.js";
import { clientRequest } from "./test-support/client.js";
import { httpsRequest } from "./test-support/https.js";
import { startTestHub, type TestHub, TestPki, temporaryDirectory } from "./test-support/network.js";

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

describe("the hub application", () => {
  it("answers GET /healthz with its domain, without client certificate", async () => {
    const response = await clientRequest(hub, pki, { path: "/healthz" });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ ok: true, domain: "a.example" });
  });

  it("serves the directory of protocol-06 s.5.1 for its public URL", async () => {
    const response = await clientRequest(hub, pki, { path: "/.well-known/mimi-protocol-directory" });
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(response.text)).toEqual(directoryFor("https://a.example"));
    expect(JSON.parse(response.text).notify).toBe("https://a.example/notify/{roomId}");
  });

  it("logs one line per request with its id, method, path, status and duration", async () => {
    const response = await clientRequest(hub, pki, { path: "/healthz", headers: { "x-request-id": "trace-42" } });
    expect(response.headers["x-request-id"]).toBe("trace-42");
    const line = hub.logs.lines.find((entry) => entry.requestId === "trace-42");
    expect(line).toMatchObject({ msg: "request", method: "GET", path: "/healthz", status: 200, domain: "a.example" });
    expect(typeof line?.durationMs).toBe("number");
  });

  it("replaces an unusable X-Request-Id with its own", async () => {
    const response = await clientRequest(hub, pki, {
      path: "/healthz",
      headers: { "x-request-id": "bad id\twith spaces" },
    });
    const id = response.headers["x-request-id"];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(hub.logs.lines.some((entry) => entry.requestId === id)).toBe(true);
  });

  it("answers unknown routes 404 with a plain body", async () => {
    const response = await clientRequest(hub, pki, { path: "/nothing" });
    expect(response.status).toBe(404);
    expect(response.headers["content-type"]).toMatch(/^text\/plain/);
    expect(response.text).toBe("nothing here: GET /nothing\n");
  });

  it("answers a request no URL can be made of 400 with a plain body", async () => {
    const response = await httpsRequest({
      port: hub.port,
      path: "/healthz",
      ca: pki.caPem,
      headers: { host: "a b" },
      servername: "a.example",
    });
    expect(response.status).toBe(400);
    expect(response.text).toBe("bad request: Invalid URL\n");
  });

  it("answers an unexpected error 500 with a generic body, and logs it", async () => {
    const app = createHubApp(hub.services, [
      ...ROUTE_MODULES,
      (routes) => {
        routes.get("/boom", () => {
          throw new Error("secret detail");
        });
      },
    ]);
    const response = await app.request("/boom", { headers: { "x-request-id": "boom-1" } });
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("internal server error\n");
    const logged = hub.logs.lines.find((entry) => entry.msg === "unexpected error");
    expect(logged).toMatchObject({ requestId: "boom-1", err: { message: "secret detail" } });
  });
});
