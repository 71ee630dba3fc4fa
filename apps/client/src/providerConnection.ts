import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from "node:http";
import { request } from "node:https";
import { ClientError } from "./errors.js";

export interface HttpsProviderOptions {
  /** the provider's https base URL, e.g. https://127.0.0.1:7443 */
  readonly url: string;
  /** PEM certificate(s) of the CA to trust for the provider's certificate; default: Node's trust store */
  readonly ca?: string;
  /** how long a request (not the event stream) may take; default 30 s */
  readonly timeoutMs?: number;
}

/** An HTTP answer of the provider, read whole. */
export interface ProviderAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface ProviderRequest {
  readonly body?: Uint8Array;
  readonly contentType?: string;
  readonly token?: string;
  readonly accept: string;
  /** the largest answer read */
  readonly maxAnswerBytes: number;
}

/** Checks a base URL: https, no query or fragment. Returns it without a trailing slash. */
export function providerBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ClientError(`${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== "https:") throw new ClientError(`the provider URL must be https, not ${url.protocol}`);
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new ClientError("the provider URL must not carry credentials, a query or a fragment");
  }
  return url.href.replace(/\/$/, "");
}

/** The one line of an error answer worth showing: the provider's text/plain message. */
export function answerText(body: Buffer): string {
  const text = body.toString("utf8", 0, Math.min(body.length, 500)).trim();
  return text.split("\n")[0] ?? "";
}

/** The error for an answer other than the expected one: `<METHOD> <path>: <status> <message>`. */
export function refusal(method: string, path: string, answer: ProviderAnswer): ClientError {
  return new ClientError(`${method} ${path}: ${answer.status} ${answerText(answer.body)}`, { status: answer.status });
}

/**
 * HTTPS to the provider's client API (node:https): the server's certificate
 * must chain to the given CA (the development CA of a devnet), no client
 * certificate is presented, and authenticated requests carry
 * `Authorization: Bearer <token>`. One connection per request, so that a
 * CLI run is not kept alive by idle sockets. A request that gets no answer
 * is a ClientError naming the provider and the reason (TLS, connection,
 * timeout).
 */
export class ProviderConnection {
  private readonly base: URL;
  private readonly ca: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: HttpsProviderOptions) {
    this.base = new URL(providerBaseUrl(options.url));
    this.ca = options.ca;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Sends one request and reads the whole answer, whatever its status. */
  send(method: string, path: string, options: ProviderRequest): Promise<ProviderAnswer> {
    return new Promise((resolve, reject) => {
      const outgoing = request(this.requestOptions(method, path, options), (incoming) => {
        const chunks: Buffer[] = [];
        let size = 0;
        incoming.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxAnswerBytes) {
            outgoing.destroy(new Error(`the answer exceeds ${options.maxAnswerBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        incoming.on("end", () =>
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks) }),
        );
        incoming.on("error", (error) => reject(this.unreachable(error)));
      });
      outgoing.setTimeout(this.timeoutMs, () =>
        outgoing.destroy(new Error(`no answer within ${this.timeoutMs / 1000} s`)),
      );
      outgoing.on("error", (error) => reject(this.unreachable(error)));
      outgoing.end(options.body === undefined ? undefined : Buffer.from(options.body));
    });
  }

  /** Starts a request whose answer is read as it arrives (the event stream); no timeout. */
  open(
    path: string,
    options: { readonly token: string; readonly accept: string },
    onResponse: (incoming: IncomingMessage) => void,
    onError: (error: ClientError) => void,
  ): ClientRequest {
    const outgoing = request(this.requestOptions("GET", path, options), onResponse);
    outgoing.on("error", (error) => onError(this.unreachable(error)));
    outgoing.end();
    return outgoing;
  }

  private requestOptions(
    method: string,
    path: string,
    options: {
      readonly token?: string;
      readonly contentType?: string;
      readonly body?: Uint8Array;
      readonly accept: string;
    },
  ) {
    return {
      method,
      protocol: "https:",
      hostname: this.base.hostname.replace(/^\[|\]$/g, ""),
      port: this.base.port === "" ? 443 : Number(this.base.port),
      path: `${this.base.pathname.replace(/\/$/, "")}${path}`,
      ...(this.ca === undefined ? {} : { ca: this.ca }),
      agent: false as const,
      headers: {
        accept: options.accept,
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        ...(options.contentType === undefined ? {} : { "content-type": options.contentType }),
        ...(options.body === undefined ? {} : { "content-length": String(options.body.length) }),
      },
    };
  }

  private unreachable(error: Error): ClientError {
    return new ClientError(`cannot reach the provider at ${this.base.href.replace(/\/$/, "")}: ${error.message}`, {
      cause: error,
    });
  }
}
