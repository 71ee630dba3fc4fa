/**
 * A reader of text/event-stream (the WHATWG HTML "server-sent events"
 * format): lines end with CRLF, LF or CR; a blank line dispatches the event
 * gathered so far; `:` starts a comment; one space after the field's colon is
 * dropped; several `data` lines join with LF. `retry` and unknown fields are
 * ignored, as the format says.
 */
export interface ServerSentEvent {
  /** the `id` field, when the event had one */
  readonly id: string | undefined;
  /** the `event` field; "message" when absent */
  readonly event: string;
  readonly data: string;
}

export class ServerSentEventParser {
  private buffer = "";
  /** the last text ended with CR: an LF opening the next text belongs to it */
  private afterCarriageReturn = false;
  private id: string | undefined;
  private event = "";
  private data: string[] = [];

  /** Feeds decoded text (any split) and returns the events it completes. */
  push(text: string): ServerSentEvent[] {
    if (text === "") return [];
    let input = text;
    if (this.afterCarriageReturn && input.startsWith("\n")) input = input.slice(1);
    this.afterCarriageReturn = false;
    this.buffer += input;
    const events: ServerSentEvent[] = [];
    for (let end = this.buffer.search(/[\r\n]/); end >= 0; end = this.buffer.search(/[\r\n]/)) {
      const line = this.buffer.slice(0, end);
      if (this.buffer[end] === "\r" && end === this.buffer.length - 1) this.afterCarriageReturn = true;
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith("\r\n", end) ? 2 : 1));
      const event = this.line(line);
      if (event !== undefined) events.push(event);
    }
    return events;
  }

  private line(line: string): ServerSentEvent | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\u0000")) this.id = value;
    return undefined;
  }

  private dispatch(): ServerSentEvent | undefined {
    const data = this.data;
    const event = this.event;
    this.data = [];
    this.event = "";
    if (data.length === 0) return undefined;
    return { id: this.id, event: event === "" ? "message" : event, data: data.join("\n") };
  }
}
