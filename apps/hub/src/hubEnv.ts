import type { HttpBindings } from "@hono/node-server";
import type { DeviceRecord } from "./store.js";

/** What the middleware puts in a request's context. */
export interface HubVariables {
  /** the request id, also sent back as X-Request-Id */
  requestId: string;
  /** federation routes: the peer provider's domain, authenticated by mutual TLS and named by From */
  peerDomain: string;
  /** client API routes behind bearer authentication: the calling device */
  device: DeviceRecord;
}

/** The Hono environment of the hub: Node's request and response objects, and the variables above. */
export type HubEnv = { Bindings: HttpBindings; Variables: HubVariables };
