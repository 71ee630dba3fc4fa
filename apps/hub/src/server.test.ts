import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHub } from "./server.js";
import { clientRequest, registerDevice } from "./test-support/client.js";
import { EventStreamClient } from "./test-support/eventStream.js";
import { startTestHub, TestPki, temporaryDirectory } from "./test-support/network.js";

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let pki: TestPki;

beforeAll(async () => {
  directory = await temporaryDirectory();
  pki = await TestPki.create(directory.path);
});

afterAll(async () => {
  await directory?.remove();
});

describe("startHub", () => {
  it("shuts down gracefully: event streams end, the store closes, and a restart finds everything", async () => {
    const dataDir = join(directory.path, "a-data");
    const credentials = await pki.credentials("a.example");
    const first = await startTestHub(pki, "a.example", { dataDir, credentials });
    const token = await registerDevice(first, pki, "mimi://a.example/d/alice/laptop");
    await first.services.store.appendInboxEvent("mimi://a.example/d/alice/laptop", {
      kind: "fanout",
      roomId: "mimi://a.example/r/clubhouse",
      payload: new Uint8Array([1]),
      createdAt: 0,
    });
    const stream = await EventStreamClient.open({
      port: first.port,
      ca: pki.caPem,
      path: "/client/v1/events",
      headers: { authorization: `Bearer ${token}` },
    });
    await stream.until((client) => client.events.length === 1);

    await first.close();
    await stream.ended;
    await expect(first.services.store.devicesOfUser("mimi://a.example/u/alice")).rejects.toThrow();
    expect(first.logs.lines.at(-1)?.msg).toBe("stopped");

    const second = await startTestHub(pki, "a.example", { dataDir, credentials });
    try {
      const resumed = await EventStreamClient.open({
        port: second.port,
        ca: pki.caPem,
        path: "/client/v1/events",
        headers: { authorization: `Bearer ${token}` },
      });
      await resumed.until((client) => client.events.length === 1);
      expect(resumed.events[0]?.id).toBe("1");
      resumed.close();
    } finally {
      await second.close();
    }
  });

  it("refuses to start on a port already taken, saying so", async () => {
    const running = await startTestHub(pki, "b.example");
    try {
      await expect(startHub({ ...running.config, listen: { host: "127.0.0.1", port: running.port } })).rejects.toThrow(
        `cannot listen on 127.0.0.1:${running.port}: listen EADDRINUSE`,
      );
      expect((await clientRequest(running, pki, { path: "/healthz" })).status).toBe(200);
    } finally {
      await running.close();
    }
  });
});
