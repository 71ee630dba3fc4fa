import { describe, expect, it } from "vitest";
import { inboxEventOf } from "./httpsProvider.js";
import { type ServerSentEvent, ServerSentEventParser } from "./sse.js";

/** The hub's opening comment, two events, a keepalive, and an event with two data lines, CRLF and CR line ends. */
const STREAM =
  ": events of mimi://a.example/d/alice/laptop after 0\n\n" +
  'id: 1\nevent: fanout\ndata: {"cursor":1}\n\n' +
  "id: 2\r\nevent: fanout\r\ndata: first\r\ndata:second\r\n\r\n" +
  ": keepalive\n\n" +
  "retry: 1000\rdata: no id or event\r\r";

const EXPECTED: ServerSentEvent[] = [
  { id: "1", event: "fanout", data: '{"cursor":1}' },
  { id: "2", event: "fanout", data: "first\nsecond" },
  // The last event id stays until another replaces it (HTML's "last event ID buffer").
  { id: "2", event: "message", data: "no id or event" },
];

describe("ServerSentEventParser", () => {
  it("reads events whatever the line ends, comments and unknown fields", () => {
    expect(new ServerSentEventParser().push(STREAM)).toEqual(EXPECTED);
  });

  it("reads the same events from the stream cut anywhere, one character at a time included", () => {
    for (let cut = 0; cut <= STREAM.length; cut += 1) {
      const parser = new ServerSentEventParser();
      expect([...parser.push(STREAM.slice(0, cut)), ...parser.push(STREAM.slice(cut))], `cut at ${cut}`).toEqual(
        EXPECTED,
      );
    }
    const parser = new ServerSentEventParser();
    expect([...STREAM].flatMap((character) => parser.push(character))).toEqual(EXPECTED);
  });

  it("dispatches nothing before the blank line", () => {
    const parser = new ServerSentEventParser();
    expect(parser.push("id: 1\ndata: x\n")).toEqual([]);
    expect(parser.push("\n")).toEqual([{ id: "1", event: "message", data: "x" }]);
  });
});

describe("inboxEventOf", () => {
  const data = (fields: Record<string, unknown>) =>
    JSON.stringify({
      cursor: 7,
      roomId: "mimi://a.example/r/clubhouse",
      receivedAt: "2026-01-01T00:00:00.000Z",
      payload: "AQID",
      ...fields,
    });

  it("reads the hub's event data strictly", () => {
    expect(inboxEventOf("7", "fanout", data({}))).toEqual({
      cursor: 7,
      kind: "fanout",
      roomId: "mimi://a.example/r/clubhouse",
      receivedAt: Date.parse("2026-01-01T00:00:00.000Z"),
      payload: new Uint8Array([1, 2, 3]),
    });
  });

  it("refuses an event whose id is not its cursor, or whose data is not exactly the hub's", () => {
    const where = "GET /client/v1/events: event 7";
    expect(() => inboxEventOf("8", "fanout", data({}))).toThrow(
      "GET /client/v1/events: event 8: id: must be the cursor 7",
    );
    expect(() => inboxEventOf(undefined, "fanout", data({}))).toThrow(
      "GET /client/v1/events: event without id: id: must be the cursor 7",
    );
    expect(() => inboxEventOf("7", "fanout", data({ extra: true }))).toThrow(`${where}: data: unknown field "extra"`);
    expect(() => inboxEventOf("7", "fanout", data({ payload: "AQI" }))).toThrow(
      `${where}: data.payload: expected canonical base64`,
    );
    expect(() => inboxEventOf("7", "fanout", data({ receivedAt: "yesterday" }))).toThrow(
      `${where}: data.receivedAt: not a date: yesterday`,
    );
    expect(() => inboxEventOf("7", "fanout", "{")).toThrow(`${where}: not JSON`);
  });
});
