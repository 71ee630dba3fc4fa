import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { MiddlewareHandler } from "hono";
import type { HubEnv } from "./hubEnv.js";
import type { Logger } from "./logger.js";

/** An incoming X-Request-Id is kept if it is this tame (it ends up in logs and headers); otherwise one is made. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/**
 * The first middleware: gives the request an id (the caller's X-Request-Id
 * when sane, so one id follows a request across providers), answers with it
 * in X-Request-Id, and logs one line when the response is ready: id, method,
 * path, status, duration and, on federation routes, the peer. For an event
 * stream the line comes when the stream opens.
 */
export function requestLogger(logger: Logger): MiddlewareHandler<HubEnv> {
  return async (c, next) => {
    const started = performance.now();
    const offered = c.req.header("x-request-id");
    const requestId = offered !== undefined && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
    c.set("requestId", requestId);
    await next();
    c.header("X-Request-Id", requestId);
    logger.info(
      {
        requestId,
        method: c.req.method,
        path: new URL(c.req.url).pathname,
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        peer: c.get("peerDomain"),
      },
      "request",
    );
  };
}
