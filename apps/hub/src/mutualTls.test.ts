import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificateAuthority } from "./devPki.js";
import { httpsRequest, type TestRequest } from "./test-support/https.js";
import {
  type ProviderCredentials,
  startTestHub,
  type TestHub,
  TestPki,
  temporaryDirectory,
} from "./test-support/network.js";

// A body no endpoint could decode: a refusal about it would be a 400 naming a codec error.
const GARBAGE = new Uint8Array([0xff, 0xff, 0xff, 0xff]);
const NOTIFY_PATH = `/notify/${encodeURIComponent("mimi://b.example/r/clubhouse")}`;

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let pki: TestPki;
let hub: TestHub;
let peer: ProviderCredentials;

beforeAll(async () => {
  directory = await temporaryDirectory();
  pki = await TestPki.create(directory.path);
  hub = await startTestHub(pki, "a.example");
  peer = await pki.credentials("b.example");
});

afterAll(async () => {
  await hub?.close();
  await directory?.remove();
});

function federationRequest(overrides: Partial<TestRequest> = {}): Promise<Awaited<ReturnType<typeof httpsRequest>>> {
  return httpsRequest({
    port: hub.port,
    method: "POST",
    path: NOTIFY_PATH,
    ca: pki.caPem,
    cert: peer.certPem,
    key: peer.keyPem,
    headers: { host: "a.example", from: "mimi@b.example" },
    body: GARBAGE,
    ...overrides,
  });
}

/** Sends headers and part of a body that is never finished: only a refusal before reading the body can answer. */
function refusedBeforeBody(overrides: Partial<TestRequest>) {
  return federationRequest({ declaredLength: 1_000_000, ...overrides });
}

describe("mutual TLS on federation routes (protocol-06 s.4.1)", () => {
  it("accepts a peer whose certificate chains to the CA and names the From domain, and reads the body", async () => {
    const response = await federationRequest();
    // Past authentication, the garbage body reaches the decoder.
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/FanoutMessage/);
  });

  it("ignores the port of the Host header", async () => {
    const response = await federationRequest({ headers: { host: "a.example:7443", from: "mimi@b.example" } });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/FanoutMessage/);
  });

  it("refuses a request without a client certificate with 401, before reading the body", async () => {
    const {
      cert: _cert,
      key: _key,
      ...withoutCertificate
    } = {
      port: hub.port,
      method: "POST",
      path: NOTIFY_PATH,
      ca: pki.caPem,
      headers: { host: "a.example", from: "mimi@b.example" },
      body: GARBAGE,
      declaredLength: 1_000_000,
    } as TestRequest;
    const response = await httpsRequest(withoutCertificate);
    expect(response.status).toBe(401);
    expect(response.text).toBe("no client certificate: federation endpoints require mutual TLS (protocol-06 s.4.1)\n");
  });

  it("refuses a certificate from another CA with 401, before reading the body", async () => {
    const stranger = await pki.credentials("b.example", {
      issuer: await createCertificateAuthority("another CA"),
      name: "b.example-other-ca",
    });
    const response = await refusedBeforeBody({ cert: stranger.certPem, key: stranger.keyPem });
    expect(response.status).toBe(401);
    expect(response.text).toMatch(/^client certificate not accepted: [A-Z_]+\n$/);
  });

  it("refuses an expired certificate from the right CA with 401", async () => {
    const expired = await pki.credentials("b.example", {
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2021-01-01T00:00:00Z"),
      name: "b.example-expired",
    });
    const response = await refusedBeforeBody({ cert: expired.certPem, key: expired.keyPem });
    expect(response.status).toBe(401);
    expect(response.text).toBe("client certificate not accepted: CERT_HAS_EXPIRED\n");
  });

  it("refuses a From domain the certificate does not name with 403, before reading the body", async () => {
    const response = await refusedBeforeBody({ headers: { host: "a.example", from: "mimi@c.example" } });
    expect(response.status).toBe(403);
    expect(response.text).toBe("the client certificate does not name c.example, the domain in From\n");
  });

  it("refuses a missing or malformed From with 400, before reading the body", async () => {
    for (const headers of [{ host: "a.example" }, { host: "a.example", from: "admin@b.example" }]) {
      const response = await refusedBeforeBody({ headers });
      expect(response.status).toBe(400);
      expect(response.text).toBe("the From header must be mimi@<your provider's domain> (protocol-06 s.4.1)\n");
    }
  });

  it("refuses a Host other than this provider with 421, before reading the body", async () => {
    const response = await refusedBeforeBody({
      headers: { host: "c.example", from: "mimi@b.example" },
      // Node checks the server certificate against Host unless told the name to expect.
      servername: "a.example",
    });
    expect(response.status).toBe(421);
    expect(response.text).toBe("this server is a.example; the Host header names c.example\n");
  });

  it("guards every MIMI endpoint, served or not", async () => {
    for (const path of ["/keyMaterial/x", "/update/x", "/groupInfo", "/reportAbuse/x"]) {
      const response = await httpsRequest({ port: hub.port, method: "POST", path, ca: pki.caPem, body: GARBAGE });
      expect(response.status, path).toBe(401);
    }
    const unserved = await federationRequest({ path: "/reportAbuse/x" });
    expect(unserved.status).toBe(404);
  });
});
