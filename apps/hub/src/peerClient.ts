import type { IncomingHttpHeaders } from "node:http";
import { Agent, request } from "node:https";
import { directoryFor, expandEndpoint, type MimiEndpoint } from "@mimi-ts/protocol";
import type { DeliveryTransport } from "./deliveryQueue.js";
import { MIMI_BODY_TYPE } from "./httpBodies.js";

export interface PeerResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
}

export interface PeerClientOptions {
  /** our domain, sent as `From: mimi@<domain>` */
  readonly domain: string;
  /** peer domain → https base URL */
  readonly peers: ReadonlyMap<string, string>;
  /** PEM: our certificate (presented as TLS client certificate), its key, and the CA peers' certificates chain to */
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string };
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
}

/** A peer domain the configuration has no base URL for. */
export class UnknownPeerError extends Error {
  override readonly name = "UnknownPeerError";
}

const PLACEHOLDER_BASE = "https://peer.invalid";
const PLACEHOLDER_DIRECTORY = directoryFor(PLACEHOLDER_BASE);

/**
 * The path of a MIMI endpoint below a provider's base URL, its value
 * percent-encoded into one segment as the standard directory's templates
 * expand it (protocol-06 s.5.1): `endpointPath("notify", "mimi://a.example/r/x")`
 * is `/notify/mimi%3A%2F%2Fa.example%2Fr%2Fx`.
 */
export function endpointPath(endpoint: MimiEndpoint, value: string): string {
  return expandEndpoint(PLACEHOLDER_DIRECTORY, endpoint, value).slice(PLACEHOLDER_BASE.length);
}

/**
 * HTTPS requests to other providers (protocol-06 s.4.1): mutually
 * authenticated TLS with our certificate as client certificate and the
 * network's CA as the only trust root; the peer must present a certificate
 * naming its domain; `Host` is the peer's domain and `From` is
 * `mimi@<our domain>`. Peers are found in the configuration, not in DNS, and
 * are assumed to serve the standard directory layout under their base URL.
 */
export class PeerClient {
  private readonly domain: string;
  private readonly peers: ReadonlyMap<string, string>;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;

  constructor(options: PeerClientOptions) {
    this.domain = options.domain;
    this.peers = options.peers;
    this.agent = new Agent({ keepAlive: true, cert: options.tls.cert, key: options.tls.key, ca: options.tls.ca });
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  }

  /** Whether the configuration routes to `peerDomain`. */
  knows(peerDomain: string): boolean {
    return this.peers.has(peerDomain);
  }

  /**
   * POSTs `body` to `path` (see endpointPath) at the peer, as
   * application/octet-stream unless told otherwise. Resolves with any
   * HTTP answer; rejects on unknown peers, TLS and connection failures,
   * timeouts and oversized responses.
   */
  post(
    peerDomain: string,
    path: string,
    body: Uint8Array,
    options: { readonly contentType?: string; readonly requestId?: string } = {},
  ): Promise<PeerResponse> {
    const base = this.peers.get(peerDomain);
    if (base === undefined) return Promise.reject(new UnknownPeerError(`no peer ${peerDomain} in the configuration`));
    const url = new URL(base + path);
    return new Promise((resolve, reject) => {
      const outgoing = request(
        {
          method: "POST",
          protocol: "https:",
          hostname: url.hostname.replace(/^\[|\]$/g, ""),
          port: url.port === "" ? 443 : Number(url.port),
          path: `${url.pathname}${url.search}`,
          // SNI and the certificate check name the peer's domain, whatever address the base URL gives.
          servername: peerDomain,
          agent: this.agent,
          headers: {
            host: peerDomain,
            from: `mimi@${this.domain}`,
            "content-type": options.contentType ?? MIMI_BODY_TYPE,
            "content-length": String(body.length),
            // The peer logs the same id (requestLog.ts), so one operation can be followed across providers.
            ...(options.requestId === undefined ? {} : { "x-request-id": options.requestId }),
          },
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          let size = 0;
          incoming.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.maxResponseBytes) {
              outgoing.destroy(new Error(`${peerDomain} answered more than ${this.maxResponseBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          incoming.on("end", () =>
            resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks) }),
          );
          incoming.on("error", reject);
        },
      );
      outgoing.setTimeout(this.timeoutMs, () =>
        outgoing.destroy(new Error(`${peerDomain} did not answer within ${this.timeoutMs} ms`)),
      );
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  }

  /** The transport the delivery queue uses: one POST, the answer's status, Retry-After and the start of its body. */
  asDeliveryTransport(): DeliveryTransport {
    return {
      post: async (peerDomain, path, body) => {
        const response = await this.post(peerDomain, path, body);
        const retryAfter = response.headers["retry-after"];
        const detail = Buffer.from(response.body).toString("utf8", 0, 200).trim();
        return { status: response.status, retryAfter, detail };
      },
    };
  }

  /** Closes idle connections. */
  close(): void {
    this.agent.destroy();
  }
}
