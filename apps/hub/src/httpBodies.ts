import { type Codec, CodecError, decode } from "@mimi-ts/codec";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HttpError, plainText } from "./httpErrors.js";
import type { HubEnv } from "./hubEnv.js";

/** The largest federation body read (a Welcome with a full ratchet tree of a large room is the biggest). */
export const MAX_FEDERATION_BODY_BYTES = 16 * 1024 * 1024;
/** The largest client API body read (a batch of KeyPackages). */
export const MAX_CLIENT_BODY_BYTES = 1024 * 1024;

/** Refuses bodies over `maxBytes` with 413, by Content-Length or while streaming. */
export function limitBody(maxBytes: number): MiddlewareHandler<HubEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => plainText(c as Context<HubEnv>, 413, `the request body exceeds ${maxBytes} bytes`),
  });
}

/** The Content-Type of MIMI binary bodies (the draft names none). */
export const MIMI_BODY_TYPE = "application/octet-stream";

/** The request body as bytes. */
export async function readBinaryBody(c: Context<HubEnv>): Promise<Uint8Array> {
  return new Uint8Array(await c.req.arrayBuffer());
}

/** A 200 answer carrying MIMI binary bytes. */
export function sendBinary(c: Context<HubEnv>, bytes: Uint8Array): Response {
  // Hono wants an ArrayBuffer-backed array; codecs may return views of shared buffers.
  return c.body(new Uint8Array(bytes), 200, { "Content-Type": MIMI_BODY_TYPE });
}

/** A MIMI body decoded strictly with its codec; 400 with the codec's message when it does not decode. */
export function decodeBody<T>(codec: Codec<T>, body: Uint8Array): T {
  try {
    return decode(codec, body);
  } catch (error) {
    if (error instanceof CodecError) throw new HttpError(400, error.message);
    throw error;
  }
}
