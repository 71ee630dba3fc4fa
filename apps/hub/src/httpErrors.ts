import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { HubEnv } from "./hubEnv.js";
import type { Logger } from "./logger.js";

/**
 * A request refused with a 4xx: thrown anywhere in a route, answered with
 * `message` as a plain-text body (one line) by `errorHandler`.
 */
export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly status: ContentfulStatusCode;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: ContentfulStatusCode, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/** A plain-text answer: the message and a newline. */
export function plainText(c: Context<HubEnv>, status: ContentfulStatusCode, message: string): Response {
  return c.text(`${message}\n`, status);
}

/**
 * Hono's onError: refusals become their 4xx; anything else is a bug or an
 * outage, logged with the request id and answered 500 with a generic body
 * (never a stack trace).
 */
export function errorHandler(logger: Logger) {
  return (error: Error, c: Context<HubEnv>): Response => {
    if (error instanceof HttpError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return plainText(c, error.status, error.message);
    }
    if (error instanceof HTTPException) return error.getResponse();
    logger.error({ err: error, requestId: c.get("requestId") }, "unexpected error");
    return plainText(c, 500, "internal server error");
  };
}
