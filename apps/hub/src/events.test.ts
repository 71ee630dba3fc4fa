import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { clientRequest, registerDevice } from "./test-support/client.js";
import { EventStreamClient } from "./test-support/eventStream.js";
import { startTestHub, type TestHub, TestPki, temporaryDirectory } from "./test-support/network.js";

const LAPTOP = "mimi://a.example/d/alice/laptop";
const PHONE = "mimi://a.example/d/alice/phone";
const ROOM = "mimi://a.example/r/clubhouse";

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let pki: TestPki;
let hub: TestHub;
let laptopToken: string;
let phoneToken: string;
const open: EventStreamClient[] = [];

beforeAll(async () => {
  directory = await temporaryDirectory();
  pki = await TestPki.create(directory.path);
  hub = await startTestHub(pki, "a.example", { keepaliveMs: 20 });
  laptopToken = await registerDevice(hub, pki, LAPTOP);
  phoneToken = await registerDevice(hub, pki, PHONE, laptopToken);
  for (const text of ["one", "two", "three"]) await append(LAPTOP, text);
});

afterEach(() => {
  for (const stream of open.splice(0)) stream.close();
});

afterAll(async () => {
  await hub?.close();
  await directory?.remove();
});

/** Appends an event as /notify does: in the store, then a notification. */
async function append(clientUri: string, text: string): Promise<number> {
  const cursor = await hub.services.store.appendInboxEvent(clientUri, {
    kind: "fanout",
    roomId: ROOM,
    payload: new TextEncoder().encode(text),
    createdAt: Date.parse("2026-01-01T00:00:00Z"),
  });
  hub.services.inbox.notify([clientUri]);
  return cursor;
}

async function stream(token: string, query = "", headers: Record<string, string> = {}): Promise<EventStreamClient> {
  const client = await EventStreamClient.open({
    port: hub.port,
    ca: pki.caPem,
    path: `/client/v1/events${query}`,
    headers: { authorization: `Bearer ${token}`, ...headers },
  });
  open.push(client);
  return client;
}

const texts = (client: EventStreamClient) =>
  client.events.map((event) =>
    Buffer.from((JSON.parse(event.data) as { payload: string }).payload, "base64").toString(),
  );

describe("GET /client/v1/events", () => {
  it("streams the device's inbox in order from the start, then live", async () => {
    const client = await stream(laptopToken);
    expect(client.status).toBe(200);
    expect(client.headers["content-type"]).toBe("text/event-stream");
    await client.until((c) => c.events.length === 3);
    expect(client.events[0]).toEqual({
      id: "1",
      event: "fanout",
      data: JSON.stringify({
        cursor: 1,
        roomId: ROOM,
        receivedAt: "2026-01-01T00:00:00.000Z",
        payload: Buffer.from("one").toString("base64"),
      }),
    });
    const cursor = await append(LAPTOP, "four");
    await client.until((c) => c.events.length === 4);
    expect(texts(client)).toEqual(["one", "two", "three", "four"]);
    expect(client.events.map((event) => event.id)).toEqual(["1", "2", "3", String(cursor)]);
  });

  it("resumes after the cursor given, or after Last-Event-ID", async () => {
    const fromQuery = await stream(laptopToken, "?cursor=2");
    const fromHeader = await stream(laptopToken, "", { "last-event-id": "3" });
    await fromQuery.until((c) => c.events.length >= 2);
    await fromHeader.until((c) => c.events.length >= 1);
    expect(fromQuery.events.slice(0, 2).map((event) => event.id)).toEqual(["3", "4"]);
    expect(fromHeader.events[0]?.id).toBe("4");
  });

  it("shows each device only its own inbox", async () => {
    const phone = await stream(phoneToken);
    await append(PHONE, "for the phone");
    await phone.until((c) => c.events.length === 1);
    expect(texts(phone)).toEqual(["for the phone"]);
  });

  it("sends keepalive comments while idle", async () => {
    const client = await stream(laptopToken, "?cursor=4");
    await client.until((c) => c.comments.includes("keepalive"));
    expect(client.comments[0]).toBe(`events of ${LAPTOP} after 4`);
    expect(client.events).toEqual([]);
  });

  it("needs a device token, and a cursor that is a non-negative integer", async () => {
    const anonymous = await clientRequest(hub, pki, { path: "/client/v1/events" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers["www-authenticate"]).toBe('Bearer realm="mimi-hub"');
    for (const cursor of ["-1", "x", "1.5", ""]) {
      const response = await clientRequest(hub, pki, {
        path: `/client/v1/events?cursor=${cursor}`,
        token: laptopToken,
      });
      expect(response.status, cursor).toBe(400);
    }
  });
});
