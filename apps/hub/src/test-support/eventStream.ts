import type { ClientRequest, IncomingHttpHeaders } from "node:http";
import { request } from "node:https";

export interface ServerSentEvent {
  readonly id: string | undefined;
  readonly event: string | undefined;
  readonly data: string;
}

/** A minimal server-sent events reader (WHATWG HTML s.9.2) over one HTTPS request. */
export class EventStreamClient {
  readonly events: ServerSentEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  headers: IncomingHttpHeaders = {};
  body = "";
  /** resolves when the server ends the stream */
  readonly ended: Promise<void>;
  private buffer = "";
  private waiters: (() => void)[] = [];
  private outgoing: ClientRequest | undefined;
  private markEnded: () => void = () => {};

  private constructor() {
    this.ended = new Promise((resolve) => {
      this.markEnded = resolve;
    });
  }

  /** Opens the stream; resolves once the response headers arrived. */
  static open(options: {
    port: number;
    ca: string;
    path: string;
    headers: Record<string, string>;
  }): Promise<EventStreamClient> {
    const client = new EventStreamClient();
    return new Promise((resolve, reject) => {
      client.outgoing = request(
        {
          host: "127.0.0.1",
          port: options.port,
          path: options.path,
          ca: options.ca,
          agent: false,
          headers: options.headers,
        },
        (incoming) => {
          client.status = incoming.statusCode ?? 0;
          client.headers = incoming.headers;
          incoming.setEncoding("utf8");
          incoming.on("data", (chunk: string) => client.receive(chunk));
          incoming.on("end", () => client.finish());
          incoming.on("error", () => client.finish());
          resolve(client);
        },
      );
      client.outgoing.on("error", (error) => {
        if (client.status === 0) reject(error);
        client.finish();
      });
      client.outgoing.end();
    });
  }

  /** Resolves once `condition` holds, checked after every chunk received. */
  until(condition: (client: EventStreamClient) => boolean): Promise<void> {
    if (condition(this)) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (condition(this)) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  close(): void {
    this.outgoing?.destroy();
  }

  private receive(chunk: string): void {
    this.body += chunk;
    this.buffer += chunk;
    for (let end = this.buffer.indexOf("\n\n"); end >= 0; end = this.buffer.indexOf("\n\n")) {
      this.dispatch(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + 2);
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  private dispatch(block: string): void {
    let id: string | undefined;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) this.comments.push(line.slice(1).trim());
      else if (line.startsWith("id: ")) id = line.slice(4);
      else if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
    }
    if (data.length > 0) this.events.push({ id, event, data: data.join("\n") });
  }

  private finish(): void {
    this.markEnded();
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}
