import type { ClientRequest, IncomingMessage } from "node:http";
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
import {
  answerText,
  type HttpsProviderOptions,
  type ProviderAnswer,
  ProviderConnection,
  refusal,
} from "./providerConnection.js";
import { ServerSentEventParser } from "./sse.js";
import { JsonReader } from "./strictJson.js";

/** The largest answer read (the client API's answers are small JSON). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * The provider's client API over HTTPS (ProviderConnection). Failures are
 * ClientErrors: an answer other than the expected status gives
 * `<METHOD> <path>: <status> <body>`.
 */
export class HttpsProviderApi implements ProviderApi {
  private readonly connection: ProviderConnection;

  constructor(options: HttpsProviderOptions) {
    this.connection = new ProviderConnection(options);
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
    return new HttpsEventStream((onResponse, onError) =>
      this.connection.open(
        `/client/v1/events?cursor=${cursor}`,
        { token, accept: "text/event-stream" },
        onResponse,
        onError,
      ),
    );
  }

  private send(
    method: string,
    path: string,
    options: { readonly body: Buffer; readonly contentType: string; readonly token?: string },
  ): Promise<ProviderAnswer> {
    return this.connection.send(method, path, {
      ...options,
      accept: "application/json",
      maxAnswerBytes: MAX_ANSWER_BYTES,
    });
  }

  private expectJson(
    answer: ProviderAnswer,
    method: string,
    path: string,
    status: number,
  ): { reader: JsonReader; value: unknown } {
    if (answer.status !== status) throw refusal(method, path, answer);
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
