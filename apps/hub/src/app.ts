import { DIRECTORY_WELL_KNOWN_PATH, directoryFor, ENDPOINT_VARIABLES, type MimiEndpoint } from "@mimi-ts/protocol";
import { Hono } from "hono";
import { registerClientRooms } from "./clientRooms.js";
import { registerDevices } from "./devices.js";
import { registerEvents } from "./events.js";
import { errorHandler, plainText } from "./httpErrors.js";
import type { HubEnv } from "./hubEnv.js";
import { registerKeyMaterial } from "./keyMaterial.js";
import { registerKeyPackageUpload } from "./keyPackageUpload.js";
import { requirePeerProvider } from "./mutualTls.js";
import { registerNotify } from "./notify.js";
import { requestLogger } from "./requestLog.js";
import { registerRoomEndpoints } from "./roomEndpoints.js";
import type { HubServices } from "./services.js";

/** Every endpoint of the MIMI directory (protocol-06 s.5.1): the paths under `/<endpoint>` are federation routes. */
export const FEDERATION_ENDPOINTS = Object.keys(ENDPOINT_VARIABLES) as MimiEndpoint[];

/** A module of routes: registers its routes on the app, using the shared services. */
export type RouteModule = (app: Hono<HubEnv>, services: HubServices) => void;

/** The route modules of this server, in registration order. Later endpoints (consent, identifier queries...) join here. */
export const ROUTE_MODULES: readonly RouteModule[] = [
  registerDevices,
  registerKeyPackageUpload,
  registerEvents,
  registerClientRooms,
  registerKeyMaterial,
  registerNotify,
  registerRoomEndpoints,
];

/**
 * The provider's HTTP application. Every request gets an id and one log
 * line; every path under a MIMI endpoint (served or not yet) first passes
 * mutual TLS authentication of the peer provider (protocol-06 s.4.1), so a
 * refusal never depends on, or waits for, the body. `/healthz`, the
 * directory and the client API need no client certificate.
 */
export function createHubApp(
  services: HubServices,
  routeModules: readonly RouteModule[] = ROUTE_MODULES,
): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.use("*", requestLogger(services.logger));
  app.onError(errorHandler(services.logger));
  app.notFound((c) => plainText(c, 404, `nothing here: ${c.req.method} ${new URL(c.req.url).pathname}`));

  const authenticatePeer = requirePeerProvider(services.config.domain);
  for (const endpoint of FEDERATION_ENDPOINTS) {
    app.use(`/${endpoint}`, authenticatePeer);
    app.use(`/${endpoint}/*`, authenticatePeer);
  }

  app.get("/healthz", (c) => c.json({ ok: true, domain: services.config.domain }));
  // protocol-06 s.5.1; built once, it cannot fail: the configuration checked publicUrl with directoryFor.
  const directory = directoryFor(services.config.publicUrl);
  app.get(DIRECTORY_WELL_KNOWN_PATH, (c) => c.json(directory));

  for (const register of routeModules) register(app, services);
  return app;
}
