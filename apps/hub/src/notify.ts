import { createHash } from "node:crypto";
import { CodecError } from "@mimi-ts/codec";
import { decodeFanoutMessages, type FanoutMessage, parseMimiUri } from "@mimi-ts/protocol";
import type { Hono } from "hono";
import { limitBody, MAX_FEDERATION_BODY_BYTES, readBinaryBody } from "./httpBodies.js";
import { HttpError } from "./httpErrors.js";
import type { HubEnv } from "./hubEnv.js";
import { deliverLocally } from "./localDelivery.js";
import { identifierFromPath } from "./pathIdentifiers.js";
import type { HubServices } from "./services.js";
import type { HubStore } from "./store.js";

export interface Notification {
  /** the hub that sent it (authenticated by mutual TLS) */
  readonly hubDomain: string;
  readonly roomId: string;
  /** the request body, byte for byte */
  readonly body: Uint8Array;
  /** the body decoded */
  readonly messages: readonly FanoutMessage[];
  readonly ourDomain: string;
  readonly now: number;
}

export interface NotificationOutcome {
  /** true when the same hub sent the same body for the room before: nothing was done */
  readonly duplicate: boolean;
  /** the local devices whose inboxes grew */
  readonly recipients: readonly string[];
}

/**
 * protocol-06 s.5.5 at a follower: processes a /notify body once. In one
 * transaction, the body's hash is recorded for its hub and room; if it was
 * already there, the body is a retry and nothing else happens. Otherwise
 * every message, in order, is appended to the inbox of each local recipient.
 */
export async function acceptNotification(store: HubStore, notification: Notification): Promise<NotificationOutcome> {
  const bodyHash = createHash("sha256").update(notification.body).digest();
  return store.transaction(async (tx) => {
    const first = await tx.recordNotification(notification.hubDomain, notification.roomId, bodyHash, notification.now);
    if (!first) return { duplicate: true, recipients: [] };
    const recipients = new Set<string>();
    for (const message of notification.messages) {
      for (const clientUri of await deliverLocally(tx, notification, message)) recipients.add(clientUri);
    }
    return { duplicate: false, recipients: [...recipients] };
  });
}

/**
 * POST /notify/{roomId} (protocol-06 s.5.5), behind mutual TLS: 201 with no
 * body, also for a duplicate; 400 when the body is not one or more
 * FanoutMessages; 403 when the peer is not the room's hub (the provider of
 * the room ID's domain).
 */
export function registerNotify(app: Hono<HubEnv>, services: HubServices): void {
  app.post("/notify/*", limitBody(MAX_FEDERATION_BODY_BYTES), async (c) => {
    const roomId = identifierFromPath(new URL(c.req.url).pathname, "/notify/", "room");
    const hubDomain = c.get("peerDomain");
    const roomDomain = parseMimiUri(roomId)?.domain;
    if (roomDomain !== hubDomain) {
      throw new HttpError(403, `${hubDomain} is not the hub of ${roomId}; only ${roomDomain} may notify for it`);
    }
    const body = await readBinaryBody(c);
    let messages: FanoutMessage[];
    try {
      messages = decodeFanoutMessages(body);
    } catch (error) {
      if (error instanceof CodecError) throw new HttpError(400, error.message);
      throw error;
    }
    const outcome = await acceptNotification(services.store, {
      hubDomain,
      roomId,
      body,
      messages,
      ourDomain: services.config.domain,
      now: services.clock.now(),
    });
    if (outcome.duplicate) services.logger.debug({ roomId, hub: hubDomain }, "duplicate /notify body ignored");
    services.inbox.notify(outcome.recipients);
    return c.body(null, 201);
  });
}
