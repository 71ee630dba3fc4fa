import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from "node:http";
import { request } from "node:https";
import { encode } from "@mimi-ts/codec";
import { mlsMessage } from "@mimi-ts/protocol";
import type { KeyPackage } from "ts-mls";
import { ClientError } from "./errors.js";
import type {
  DeviceRegistration,
  EventStream,
  InboxEvent,
  KeyPackageUpload,
  ProviderApi,
  RegisteredDevice,
} from "./providerApi.js";
import { ServerSentEventParser } from "./sse.js";
import { JsonReader } from "./strictJson.js";

export interface HttpsProviderOptions {
  /** the provider's https base URL, e.g. https://127.0.0.1:7443 */
  readonly url: string;
  /** PEM certificate(s) of the CA to trust for the provider's certificate; default: Node's trust store */
  readonly ca?: string;
  /** how long a request (not the event stream) may take; default 30 s */
  readonly timeoutMs?: number;
}

/** The largest answer read (the client API's answers are small JSON). */
const MAX_ANSWER_BYTES = 1024 * 1024;

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
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
function answerText(body: Buffer): string {
  const text = body.toString("utf8", 0, Math.min(body.length, 500)).trim();
  return text.split("\n")[0] ?? "";
}

/**
 * The provider's client API over HTTPS (node:https): the server's
 * certificate must chain to the given CA (the development CA of a devnet),
 * no client certificate is presented, and authenticated requests carry
 * `Authorization: Bearer <token>`. Failures are ClientErrors: an answer other
 * than the expected status gives `<METHOD> <path>: <status> <body>`.
 */
export class HttpsProviderApi implements ProviderApi {
  private readonly base: URL;
  private readonly ca: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: HttpsProviderOptions) {
    this.base = new URL(providerBaseUrl(options.url));
    this.ca = options.ca;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async registerDevice(registration: DeviceRegistration, authorizingToken?: string): Promise<RegisteredDevice> {
    const answer = await this.send("POST", "/client/v1/devices", {
      body: Buffer.from(JSON.stringify(registration)),
      contentType: "application/json",
      ...(authorizingToken === undefined ? {} : { token: authorizingToken }),
    });
    const json = this.expectJson(answer, "POST", "/client/v1/devices", 201);
    const fields = json.reader.object(json.value, "", ["clientUri", "userUri", "token"]);
    json.reader.literal(fields.clientUri, "clientUri", registration.clientUri);
    return { token: json.reader.text(fields.token, "token") };
  }

  async uploadKeyPackages(token: string, keyPackages: readonly KeyPackage[]): Promise<KeyPackageUpload> {
    const body = Buffer.concat(
      keyPackages.map((keyPackage) =>
        encode(mlsMessage, { version: "mls10", wireformat: "mls_key_package", keyPackage }),
      ),
    );
    const answer = await this.send("POST", "/client/v1/keypackages", { body, contentType: "message/mls", token });
    const json = this.expectJson(answer, "POST", "/client/v1/keypackages", 201);
    const fields = json.reader.object(json.value, "", ["stored", "duplicates", "keyPackageRefs"]);
    return {
      stored: json.reader.count(fields.stored, "stored"),
      duplicates: json.reader.count(fields.duplicates, "duplicates"),
      keyPackageRefs: json.reader
        .array(fields.keyPackageRefs, "keyPackageRefs")
        .map((ref, index) => json.reader.text(ref, `keyPackageRefs[${index}]`)),
    };
  }

  openEvents(token: string, cursor: number): EventStream {
    return new HttpsEventStream((onResponse, onError) => {
      const outgoing = request(this.requestOptions("GET", `/client/v1/events?cursor=${cursor}`, { token }), onResponse);
      outgoing.on("error", (error) => onError(this.unreachable(error)));
      outgoing.end();
      return outgoing;
    });
  }

  private requestOptions(
    method: string,
    path: string,
    options: { readonly token?: string; readonly contentType?: string; readonly length?: number },
  ) {
    return {
      method,
      protocol: "https:",
      hostname: this.base.hostname.replace(/^\[|\]$/g, ""),
      port: this.base.port === "" ? 443 : Number(this.base.port),
      path: `${this.base.pathname.replace(/\/$/, "")}${path}`,
      ...(this.ca === undefined ? {} : { ca: this.ca }),
      // One connection per request: a CLI run must not be kept alive by idle sockets.
      agent: false as const,
      headers: {
        accept: path.startsWith("/client/v1/events") ? "text/event-stream" : "application/json",
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        ...(options.contentType === undefined ? {} : { "content-type": options.contentType }),
        ...(options.length === undefined ? {} : { "content-length": String(options.length) }),
      },
    };
  }

  private unreachable(error: Error): ClientError {
    return new ClientError(`cannot reach the provider at ${this.base.href.replace(/\/$/, "")}: ${error.message}`, {
      cause: error,
    });
  }

  private send(
    method: string,
    path: string,
    options: { readonly body: Buffer; readonly contentType: string; readonly token?: string },
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const outgoing = request(
        this.requestOptions(method, path, {
          contentType: options.contentType,
          length: options.body.length,
          ...(options.token === undefined ? {} : { token: options.token }),
        }),
        (incoming) => {
          const chunks: Buffer[] = [];
          let size = 0;
          incoming.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) {
              outgoing.destroy(new Error(`the answer exceeds ${MAX_ANSWER_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          incoming.on("end", () =>
            resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks) }),
          );
          incoming.on("error", (error) => reject(this.unreachable(error)));
        },
      );
      outgoing.setTimeout(this.timeoutMs, () =>
        outgoing.destroy(new Error(`no answer within ${this.timeoutMs / 1000} s`)),
      );
      outgoing.on("error", (error) => reject(this.unreachable(error)));
      outgoing.end(options.body);
    });
  }

  private expectJson(
    answer: Answer,
    method: string,
    path: string,
    status: number,
  ): { reader: JsonReader; value: unknown } {
    if (answer.status !== status) {
      throw new ClientError(`${method} ${path}: ${answer.status} ${answerText(answer.body)}`, {
        status: answer.status,
      });
    }
    const reader = new JsonReader(`the answer to ${method} ${path}`);
    return { reader, value: reader.parse(answer.body.toString("utf8")) };
  }
}

const EVENTS_PATH = "GET /client/v1/events";

/** An inbox event from its server-sent event, strictly (apps/hub README "GET /client/v1/events"). */
export function inboxEventOf(id: string | undefined, event: string, data: string): InboxEvent {
  const json: JsonReader = new JsonReader(`${EVENTS_PATH}: event ${id ?? "without id"}`);
  const fields = json.object(json.parse(data), "data", ["cursor", "roomId", "receivedAt", "payload"]);
  const cursor = json.count(fields.cursor, "data.cursor");
  if (id !== String(cursor)) json.fail("id", `must be the cursor ${cursor}`);
  const receivedAtText = json.text(fields.receivedAt, "data.receivedAt");
  const receivedAt = Date.parse(receivedAtText);
  if (!Number.isFinite(receivedAt)) json.fail("data.receivedAt", `not a date: ${receivedAtText}`);
  return {
    cursor,
    kind: event,
    roomId: json.text(fields.roomId, "data.roomId"),
    receivedAt,
    payload: json.base64(fields.payload, "data.payload"),
  };
}

/**
 * The inbox over one GET /client/v1/events: server-sent events parsed as
 * they arrive and queued for the iterator. The iterator throws the
 * request's failure (unreachable, an answer other than 200, a malformed
 * event) and ends when the provider ends the stream or `close` is called.
 */
class HttpsEventStream implements EventStream {
  private readonly queue: InboxEvent[] = [];
  private failure: ClientError | undefined;
  private ended = false;
  private wake: (() => void) | undefined;
  private readonly outgoing: ClientRequest;

  constructor(
    start: (onResponse: (incoming: IncomingMessage) => void, onError: (error: ClientError) => void) => ClientRequest,
  ) {
    this.outgoing = start(
      (incoming) => this.receive(incoming),
      (error) => this.fail(error),
    );
  }

  close(): void {
    this.ended = true;
    this.outgoing.destroy();
    this.notify();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<InboxEvent> {
    try {
      for (;;) {
        const next = this.queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (this.failure !== undefined) throw this.failure;
        if (this.ended) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      this.close();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private fail(error: ClientError): void {
    if (this.ended) return;
    this.failure ??= error;
    this.ended = true;
    this.notify();
  }

  private receive(incoming: IncomingMessage): void {
    incoming.setEncoding("utf8");
    if (incoming.statusCode !== 200) {
      let text = "";
      incoming.on("data", (chunk: string) => {
        text += chunk;
      });
      incoming.on("end", () => {
        const status = incoming.statusCode ?? 0;
        this.fail(new ClientError(`${EVENTS_PATH}: ${status} ${answerText(Buffer.from(text))}`, { status }));
      });
      return;
    }
    const parser = new ServerSentEventParser();
    incoming.on("data", (chunk: string) => {
      try {
        for (const event of parser.push(chunk)) this.queue.push(inboxEventOf(event.id, event.event, event.data));
      } catch (error) {
        this.fail(error as ClientError);
        this.outgoing.destroy();
        return;
      }
      this.notify();
    });
    incoming.on("end", () => {
      this.ended = true;
      this.notify();
    });
    incoming.on("error", (error) => this.fail(new ClientError(`${EVENTS_PATH}: ${error.message}`, { cause: error })));
  }
}
