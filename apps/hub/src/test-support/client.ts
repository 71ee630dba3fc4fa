import { httpsRequest, type TestResponse } from "./https.js";
import type { TestHub, TestPki } from "./network.js";

/** A client API request to a test hub, without client certificate, with an optional bearer token. */
export function clientRequest(
  hub: TestHub,
  pki: TestPki,
  options: {
    method?: string;
    path: string;
    token?: string;
    body?: Uint8Array | string;
    headers?: Record<string, string>;
  },
): Promise<TestResponse> {
  return httpsRequest({
    port: hub.port,
    ca: pki.caPem,
    method: options.method ?? "GET",
    path: options.path,
    ...(options.body === undefined ? {} : { body: options.body }),
    headers: {
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
  });
}

/** Registers a device (POST /client/v1/devices) and returns its token; fails the test unless 201. */
export async function registerDevice(hub: TestHub, pki: TestPki, clientUri: string, token?: string): Promise<string> {
  const userUri = clientUri.replace(/\/d\/([^/]+)\/[^/]+$/, "/u/$1");
  const response = await clientRequest(hub, pki, {
    method: "POST",
    path: "/client/v1/devices",
    body: JSON.stringify({ clientUri, userUri }),
    headers: { "content-type": "application/json" },
    ...(token === undefined ? {} : { token }),
  });
  if (response.status !== 201) throw new Error(`registering ${clientUri}: ${response.status} ${response.text}`);
  return (JSON.parse(response.text) as { token: string }).token;
}

/** Uploads KeyPackages as MLSMessages (POST /client/v1/keypackages); fails the test unless 201. */
export async function uploadKeyPackages(
  hub: TestHub,
  pki: TestPki,
  token: string,
  messages: readonly Uint8Array[],
): Promise<void> {
  const response = await clientRequest(hub, pki, {
    method: "POST",
    path: "/client/v1/keypackages",
    token,
    body: Buffer.concat(messages),
    headers: { "content-type": "message/mls" },
  });
  if (response.status !== 201) throw new Error(`uploading KeyPackages: ${response.status} ${response.text}`);
}
