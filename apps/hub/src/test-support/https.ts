import type { IncomingHttpHeaders } from "node:http";
import { request } from "node:https";

export interface TestRequest {
  readonly port: number;
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array | string;
  /** trust root for the server certificate (PEM) */
  readonly ca: string;
  /** client certificate and key (PEM), for mutual TLS */
  readonly cert?: string;
  readonly key?: string;
  /** the name the server certificate is checked against (default 127.0.0.1's certificate SAN) */
  readonly servername?: string;
  /**
   * Announce `declaredLength` body bytes, send only `body`, and wait for the
   * answer without finishing the body: a server that reads the body before
   * answering would never answer.
   */
  readonly declaredLength?: number;
}

export interface TestResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
}

/** One HTTPS request to a test server on 127.0.0.1, over a fresh connection. */
export function httpsRequest(options: TestRequest): Promise<TestResponse> {
  const body = typeof options.body === "string" ? Buffer.from(options.body) : options.body;
  const length = options.declaredLength ?? body?.length ?? 0;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: "127.0.0.1",
        port: options.port,
        method: options.method ?? "GET",
        path: options.path,
        ca: options.ca,
        ...(options.cert === undefined ? {} : { cert: options.cert }),
        ...(options.key === undefined ? {} : { key: options.key }),
        ...(options.servername === undefined ? {} : { servername: options.servername }),
        agent: false,
        headers: {
          ...(length > 0 || body !== undefined ? { "content-length": String(length) } : {}),
          ...options.headers,
        },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("end", () => {
          const all = Buffer.concat(chunks);
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            body: all,
            text: all.toString("utf8"),
          });
          if (options.declaredLength !== undefined) outgoing.destroy();
        });
        incoming.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    if (options.declaredLength !== undefined) {
      if (body !== undefined) outgoing.write(body);
      outgoing.flushHeaders();
    } else {
      outgoing.end(body);
    }
  });
}
