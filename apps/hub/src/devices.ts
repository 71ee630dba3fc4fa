import { parseClientUri } from "@mimi-ts/room";
import type { Hono, MiddlewareHandler } from "hono";
import { limitBody, MAX_CLIENT_BODY_BYTES } from "./httpBodies.js";
import { HttpError } from "./httpErrors.js";
import type { HubEnv } from "./hubEnv.js";
import type { HubServices } from "./services.js";
import type { DeviceRecord, HubStore } from "./store.js";
import { hashDeviceToken, newDeviceToken } from "./tokens.js";

const BEARER = /^Bearer ([A-Za-z0-9_-]{1,256})$/;
const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="mimi-hub"' };

/**
 * The device a request's `Authorization: Bearer <token>` belongs to
 * (RFC 6750 s.2.1). Throws HttpError 401 with a Bearer challenge when the
 * header is missing, malformed or names no device.
 */
export async function authenticateDevice(store: HubStore, authorization: string | undefined): Promise<DeviceRecord> {
  if (authorization === undefined) {
    throw new HttpError(401, "this endpoint needs Authorization: Bearer <device token>", CHALLENGE);
  }
  const token = BEARER.exec(authorization)?.[1];
  const device = token === undefined ? undefined : await store.deviceByTokenHash(hashDeviceToken(token));
  if (device === undefined) {
    throw new HttpError(401, "the bearer token is not a device token of this provider", {
      "WWW-Authenticate": 'Bearer realm="mimi-hub", error="invalid_token"',
    });
  }
  return device;
}

/** The middleware in front of the authenticated client API: sets `device`. */
export function requireDevice(store: HubStore): MiddlewareHandler<HubEnv> {
  return async (c, next) => {
    c.set("device", await authenticateDevice(store, c.req.header("authorization")));
    await next();
  };
}

interface Registration {
  readonly clientUri: string;
  readonly userUri: string;
}

function readRegistration(json: unknown): Registration {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new HttpError(400, 'the body must be a JSON object {"clientUri": ..., "userUri": ...}');
  }
  const fields = json as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => key !== "clientUri" && key !== "userUri");
  if (unknown.length > 0) throw new HttpError(400, `unknown field ${unknown[0]}`);
  const { clientUri, userUri } = fields;
  if (typeof clientUri !== "string") throw new HttpError(400, "clientUri must be a string");
  if (typeof userUri !== "string") throw new HttpError(400, "userUri must be a string");
  return { clientUri, userUri };
}

/**
 * POST /client/v1/devices: registers a device and returns its bearer token
 * (shown once; only its hash is stored). The client URI must be
 * `mimi://<this domain>/d/<user>/<client>` and userUri its user (the
 * identity rule of @mimi-ts/room). There are no accounts: a user's first
 * device is registered without credentials and claims the user; further
 * devices of that user need the token of one of its devices.
 * 201 `{clientUri, userUri, token}`; 400 bad body; 401/403 missing or
 * foreign token for an existing user; 409 client URI taken.
 */
export function registerDevices(app: Hono<HubEnv>, services: HubServices): void {
  const domain = services.config.domain;
  app.post("/client/v1/devices", limitBody(MAX_CLIENT_BODY_BYTES), async (c) => {
    let json: unknown;
    try {
      json = await c.req.json();
    } catch {
      throw new HttpError(400, "the body is not JSON");
    }
    const { clientUri, userUri } = readRegistration(json);
    const parsed = parseClientUri(clientUri);
    if (!parsed.ok) throw new HttpError(400, `clientUri: ${parsed.error.reason}`);
    if (parsed.identity.domain !== domain) {
      throw new HttpError(400, `clientUri must be a client of this provider, mimi://${domain}/d/<user>/<client>`);
    }
    if (userUri !== parsed.identity.userUri) {
      throw new HttpError(400, `userUri must be ${parsed.identity.userUri}, the user clientUri belongs to`);
    }
    const token = newDeviceToken();
    // One transaction, so that two "first devices" of a user cannot both skip the token check.
    await services.store.transaction(async (tx) => {
      if ((await tx.devicesOfUser(userUri)).length > 0) {
        const authorizer = await authenticateDevice(tx, c.req.header("authorization"));
        if (authorizer.userUri !== userUri) {
          throw new HttpError(403, `${userUri} has devices: only one of them may register another`);
        }
      }
      const inserted = await tx.insertDevice({
        clientUri,
        userUri,
        tokenHash: hashDeviceToken(token),
        createdAt: services.clock.now(),
      });
      if (!inserted) throw new HttpError(409, `${clientUri} is already registered`);
    });
    return c.json({ clientUri, userUri, token }, 201);
  });
}
