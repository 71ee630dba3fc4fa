import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { getRequestListener, RequestError } from "@hono/node-server";
import { createHubApp } from "./app.js";
import { type Clock, systemClock } from "./clock.js";
import type { HubConfig } from "./config.js";
import { type BackoffPolicy, DeliveryQueue } from "./deliveryQueue.js";
import { HubIdentity } from "./hubIdentity.js";
import { InboxNotifier } from "./inboxNotifier.js";
import { createLogger, type Logger } from "./logger.js";
import { PeerClient } from "./peerClient.js";
import type { HubServices } from "./services.js";
import { HubStore } from "./store.js";

export interface HubServerOptions {
  /** default: pino on stdout at the configured level */
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** how often an idle event stream sends a keepalive comment; default 15 s */
  readonly keepaliveMs?: number;
  readonly backoff?: BackoffPolicy;
  /** how long close() waits for requests in flight before cutting connections; default 10 s */
  readonly shutdownGraceMs?: number;
}

export interface RunningHub {
  readonly services: HubServices;
  /** the port listened on (the configured one, or the one picked for port 0) */
  readonly port: number;
  /** https://<listen host>:<port> */
  readonly url: string;
  /** Stops accepting connections, ends event streams, waits for requests in flight, stops the queue, closes the store. */
  close(): Promise<void>;
}

async function readPem(path: string, field: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${field} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts one provider: loads (creating it the first time) its signing
 * identity, opens (and migrates) its store, starts the delivery
 * worker, and serves HTTPS. The server asks every client for a certificate
 * chaining to the configured CA but lets clients without one in
 * (`rejectUnauthorized: false`): the client API needs none, and federation
 * routes check it themselves (mutualTls.ts).
 */
export async function startHub(config: HubConfig, options: HubServerOptions = {}): Promise<RunningHub> {
  const [cert, key, ca] = await Promise.all([
    readPem(config.tls.cert, "tls.cert"),
    readPem(config.tls.key, "tls.key"),
    readPem(config.tls.ca, "tls.ca"),
  ]);
  const logger = options.logger ?? createLogger(config.domain, config.logLevel);
  const clock = options.clock ?? systemClock;
  const identity = await HubIdentity.load(config.dataDir, config.domain);
  const store = await HubStore.open(config.dataDir);
  const peers = new PeerClient({ domain: config.domain, peers: config.peers, tls: { cert, key, ca } });
  const queue = new DeliveryQueue({
    store,
    transport: peers.asDeliveryTransport(),
    logger,
    clock,
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
  });
  const inbox = new InboxNotifier();
  const services: HubServices = {
    config,
    store,
    logger,
    clock,
    peers,
    queue,
    inbox,
    identity,
    keepaliveMs: options.keepaliveMs ?? 15_000,
  };
  const app = createHubApp(services);
  const listener = getRequestListener(app.fetch, {
    // Requests Node accepts but a URL cannot be made of (a Host such as "a b") never reach the app.
    errorHandler: (error) => {
      const plain = { "content-type": "text/plain; charset=UTF-8" };
      if (error instanceof RequestError) {
        logger.warn({ err: error.message }, "malformed request");
        return new Response(`bad request: ${error.message}\n`, { status: 400, headers: plain });
      }
      logger.error({ err: error }, "unexpected error");
      return new Response("internal server error\n", { status: 500, headers: plain });
    },
  });
  const server = createServer({ key, cert, ca, requestCert: true, rejectUnauthorized: false }, listener);

  let port: number;
  try {
    port = await listen(server, config.listen.port, config.listen.host);
  } catch (error) {
    peers.close();
    await store.close();
    throw new Error(`cannot listen on ${config.listen.host}:${config.listen.port}: ${(error as Error).message}`);
  }
  queue.start();
  logger.info({ host: config.listen.host, port, publicUrl: config.publicUrl }, "listening");

  let closing: Promise<void> | undefined;
  const close = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    inbox.closeAll();
    server.closeIdleConnections();
    const grace = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 10_000);
    grace.unref();
    await closed;
    clearTimeout(grace);
    await queue.stop();
    peers.close();
    await store.close();
    logger.info("stopped");
  };
  return {
    services,
    port,
    url: `https://${config.listen.host}:${port}`,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
