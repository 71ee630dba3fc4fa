import type { Hono } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import { requireDevice } from "./devices.js";
import { HttpError } from "./httpErrors.js";
import type { HubEnv } from "./hubEnv.js";
import type { HubServices } from "./services.js";
import type { InboxEvent } from "./store.js";

/** Events read from the store at a time. */
const BATCH = 100;

/** The cursor to resume after: `?cursor=N`, else the SSE reconnection header Last-Event-ID, else 0 (everything). */
function startCursor(query: string | undefined, lastEventId: string | undefined): number {
  const text = query ?? lastEventId ?? "0";
  if (!/^\d{1,15}$/.test(text)) {
    throw new HttpError(
      400,
      `cursor must be a non-negative integer (the id of the last event seen), not ${JSON.stringify(text)}`,
    );
  }
  return Number(text);
}

/** An event as the stream sends it: `id` is the cursor, `event` the kind, `data` JSON. */
function toMessage(event: InboxEvent): { id: string; event: string; data: string } {
  return {
    id: String(event.cursor),
    event: event.kind,
    data: JSON.stringify({
      cursor: event.cursor,
      roomId: event.roomId,
      receivedAt: new Date(event.createdAt).toISOString(),
      payload: Buffer.from(event.payload).toString("base64"),
    }),
  };
}

/**
 * Wakes the stream loop: on appended events, a keepalive timeout, the client
 * going away or shutdown. A wake before the loop waits is kept, so an append
 * between reading the store and waiting is never missed.
 */
class Wakeup {
  private pending = false;
  private resolve: (() => void) | undefined;

  wake(): void {
    this.pending = true;
    this.resolve?.();
  }

  /** Resolves "woken" at the next (or a pending) wake, or "idle" after `ms`. */
  wait(ms: number): Promise<"woken" | "idle"> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve("woken");
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.resolve = undefined;
        resolve("idle");
      }, ms);
      this.resolve = () => {
        clearTimeout(timer);
        this.resolve = undefined;
        this.pending = false;
        resolve("woken");
      };
    });
  }
}

/**
 * GET /client/v1/events: the device's inbox as server-sent events, in
 * order, from the event after `cursor` on, then live. Each event has
 * `id: <cursor>`, `event: <kind>` and `data: {cursor, roomId, receivedAt,
 * payload}` (payload base64; for `fanout`, one FanoutMessage, protocol-06
 * s.5.5). A comment line opens the stream and keeps it alive when idle.
 * 401 without a device token; 400 for a bad cursor.
 */
export function registerEvents(app: Hono<HubEnv>, services: HubServices): void {
  app.get("/client/v1/events", requireDevice(services.store), (c) => {
    const device = c.get("device");
    let cursor = startCursor(c.req.query("cursor"), c.req.header("last-event-id"));
    const run = async (stream: SSEStreamingApi) => {
      const wakeup = new Wakeup();
      let closing = false;
      const stop = () => {
        closing = true;
        wakeup.wake();
      };
      const unsubscribe = services.inbox.subscribe(device.clientUri, { appended: () => wakeup.wake(), closed: stop });
      stream.onAbort(stop);
      c.req.raw.signal.addEventListener("abort", stop);
      try {
        await stream.write(`: events of ${device.clientUri} after ${cursor}\n\n`);
        while (!closing && !stream.aborted) {
          const events = await services.store.inboxEventsAfter(device.clientUri, cursor, BATCH);
          for (const event of events) {
            await stream.writeSSE(toMessage(event));
            cursor = event.cursor;
          }
          if (events.length === BATCH) continue;
          if ((await wakeup.wait(services.keepaliveMs)) === "idle") await stream.write(": keepalive\n\n");
        }
      } catch (error) {
        // Writing to a stream the client has left fails; anything else is logged. The stream just
        // ends (its status is long sent) and the client resumes from its last event id.
        if (!closing && !stream.aborted) {
          services.logger.error({ err: error, requestId: c.get("requestId") }, "event stream failed");
        }
      } finally {
        unsubscribe();
        c.req.raw.signal.removeEventListener("abort", stop);
      }
    };
    return streamSSE(c, run);
  });
}
