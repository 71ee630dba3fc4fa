import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Clock } from "./clock.js";
import {
  type BackoffPolicy,
  backoffDelay,
  DeliveryQueue,
  type DeliveryResponse,
  type DeliveryTransport,
} from "./deliveryQueue.js";
import { createLogger } from "./logger.js";
import { HubStore } from "./store.js";
import { LogCapture, temporaryDirectory } from "./test-support/network.js";

const POLICY: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000, maxRetryAfterMs: 3_600_000 };
const START = Date.parse("2026-01-01T00:00:00Z");

class FakeClock implements Clock {
  constructor(public time: number) {}
  now(): number {
    return this.time;
  }
}

/** Answers from a script, per body; records every attempt. */
class ScriptedTransport implements DeliveryTransport {
  readonly attempts: { peerDomain: string; path: string; body: string; at: number }[] = [];
  private readonly scripts = new Map<string, (DeliveryResponse | Error)[]>();

  constructor(private readonly clock: Clock) {}

  script(body: string, ...answers: (DeliveryResponse | Error)[]): void {
    this.scripts.set(body, answers);
  }

  async post(peerDomain: string, path: string, body: Uint8Array): Promise<DeliveryResponse> {
    const text = new TextDecoder().decode(body);
    this.attempts.push({ peerDomain, path, body: text, at: this.clock.now() });
    const answer = this.scripts.get(text)?.shift() ?? { status: 201 };
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let store: HubStore;
let clock: FakeClock;
let transport: ScriptedTransport;
let logs: LogCapture;

function queue(random: () => number = () => 0): DeliveryQueue {
  return new DeliveryQueue({
    store,
    transport,
    clock,
    random,
    backoff: POLICY,
    logger: createLogger("a.example", "debug", logs),
  });
}

function enqueue(target: DeliveryQueue, peerDomain: string, orderingKey: string, body: string): Promise<number> {
  return target.enqueue(store, {
    peerDomain,
    path: `/notify/${orderingKey}`,
    orderingKey,
    body: new TextEncoder().encode(body),
  });
}

beforeEach(async () => {
  directory = await temporaryDirectory();
  store = await HubStore.open(directory.path);
  clock = new FakeClock(START);
  transport = new ScriptedTransport(clock);
  logs = new LogCapture();
});

afterEach(async () => {
  await store.close();
  await directory.remove();
});

describe("backoffDelay", () => {
  it("doubles from the base up to the cap, jittered within the upper half", () => {
    expect([1, 2, 3, 4].map((attempts) => backoffDelay(attempts, POLICY, () => 0))).toEqual([500, 1_000, 2_000, 4_000]);
    expect([1, 2, 3, 4].map((attempts) => backoffDelay(attempts, POLICY, () => 0.5))).toEqual([
      750, 1_500, 3_000, 6_000,
    ]);
    expect(backoffDelay(30, POLICY, () => 0)).toBe(30_000);
    expect(backoffDelay(1_000, POLICY, () => 0.999_999)).toBeLessThanOrEqual(60_000);
  });
});

describe("DeliveryQueue", () => {
  it("delivers in queue order per lane, one at a time", async () => {
    const worker = queue();
    await enqueue(worker, "b.example", "room1", "1");
    await enqueue(worker, "b.example", "room1", "2");
    await enqueue(worker, "c.example", "room1", "3");
    expect(await worker.runDue()).toBe(3);
    const toB = transport.attempts.filter((attempt) => attempt.peerDomain === "b.example");
    expect(toB.map((attempt) => attempt.body)).toEqual(["1", "2"]);
    expect(await store.nextDeliveryAt()).toBeUndefined();
  });

  it("holds back a failing lane only, retrying with exponential backoff until it is accepted", async () => {
    const worker = queue();
    transport.script("first", { status: 503 }, { status: 500 }, new Error("ECONNREFUSED"));
    await enqueue(worker, "b.example", "room1", "first");
    await enqueue(worker, "b.example", "room1", "second");
    await enqueue(worker, "b.example", "room2", "other room");

    expect(await worker.runDue()).toBe(1);
    expect(transport.attempts.map((attempt) => attempt.body)).toEqual(["first", "other room"]);
    const retries: number[] = [];
    for (const delay of [500, 1_000, 2_000]) {
      clock.time += delay - 1;
      expect(await worker.runDue()).toBe(0);
      expect(transport.attempts).toHaveLength(2 + retries.length);
      clock.time += 1;
      retries.push(clock.time);
      await worker.runDue();
    }
    expect(transport.attempts.filter((attempt) => attempt.body === "first").map((attempt) => attempt.at)).toEqual([
      START,
      ...retries,
    ]);
    // The fourth attempt of "first" was accepted; "second" followed it at once.
    expect(transport.attempts.at(-1)?.body).toBe("second");
    expect(await store.nextDeliveryAt()).toBeUndefined();
    const failures = logs.lines.filter((line) => line.msg === "delivery failed; will retry");
    expect(failures.map((line) => line.error)).toEqual(["HTTP 503", "HTTP 500", "ECONNREFUSED"]);
  });

  it("never gives up, and stops growing the delay at the cap", async () => {
    const worker = queue();
    transport.script("x", ...Array.from({ length: 12 }, () => ({ status: 502 })));
    const id = await enqueue(worker, "b.example", "room1", "x");
    for (let attempt = 1; attempt <= 12; attempt++) {
      await worker.runDue();
      const [head] = await store.dueDeliveryHeads(Number.MAX_SAFE_INTEGER);
      expect(head?.attempts).toBe(attempt);
      expect((head?.nextAttemptAt ?? 0) - clock.time).toBe(Math.min(30_000, 500 * 2 ** (attempt - 1)));
      clock.time = head?.nextAttemptAt ?? 0;
    }
    await worker.runDue();
    expect(transport.attempts).toHaveLength(13);
    expect(await store.dueDeliveryHeads(Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(id).toBeGreaterThan(0);
  });

  it("waits as long as Retry-After asks, in seconds or as an HTTP date, up to its limit", async () => {
    const worker = queue();
    const inTwoMinutes = new Date(START + 120_000).toUTCString();
    transport.script("x", { status: 503, retryAfter: "30" }, { status: 429, retryAfter: inTwoMinutes });
    transport.script("y", { status: 503, retryAfter: "999999" });
    await enqueue(worker, "b.example", "room1", "x");
    await enqueue(worker, "c.example", "room1", "y");

    await worker.runDue();
    const due = async () => (await store.dueDeliveryHeads(Number.MAX_SAFE_INTEGER)).map((head) => head.nextAttemptAt);
    expect(await due()).toEqual([START + 30_000, START + POLICY.maxRetryAfterMs]);
    clock.time = START + 30_000;
    await worker.runDue();
    expect(await due()).toEqual([START + 120_000, START + POLICY.maxRetryAfterMs]);
    clock.time = START + 120_000;
    await worker.runDue();
    expect(await due()).toEqual([START + POLICY.maxRetryAfterMs]);
  });

  it("counts any 2xx as delivered, warning when it is not 201", async () => {
    const worker = queue();
    transport.script("x", { status: 200 });
    await enqueue(worker, "b.example", "room1", "x");
    expect(await worker.runDue()).toBe(1);
    expect(logs.lines.some((line) => line.level === 40 && String(line.msg).includes("other than 201"))).toBe(true);
  });

  it("keeps the response's first words as the error", async () => {
    const worker = queue();
    transport.script("x", { status: 400, detail: "FanoutMessage: invalid MLSMessage" });
    await enqueue(worker, "b.example", "room1", "x");
    await worker.runDue();
    const [head] = await store.dueDeliveryHeads(Number.MAX_SAFE_INTEGER);
    expect(head?.lastError).toBe("HTTP 400: FanoutMessage: invalid MLSMessage");
  });

  it("queues nothing when the transaction that queued it rolls back", async () => {
    const worker = queue();
    await expect(
      store.transaction(async (tx) => {
        await worker.enqueue(tx, {
          peerDomain: "b.example",
          path: "/notify/x",
          orderingKey: "x",
          body: new Uint8Array(),
        });
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await worker.runDue()).toBe(0);
    expect(transport.attempts).toEqual([]);
  });

  it("survives a restart: what is queued, and its retry state, is in the store", async () => {
    transport.script("x", { status: 503 });
    await enqueue(queue(), "b.example", "room1", "x");
    await queue().runDue();
    await store.close();
    store = await HubStore.open(directory.path);
    const restarted = queue();
    expect(await restarted.runDue()).toBe(0);
    clock.time += 500;
    expect(await restarted.runDue()).toBe(1);
    expect(transport.attempts.map((attempt) => attempt.body)).toEqual(["x", "x"]);
  });

  it("runs in the background once started, woken by new deliveries", async () => {
    const worker = queue();
    const delivered = new Promise<string>((resolve) => {
      transport.post = async (_peer, _path, body) => {
        resolve(new TextDecoder().decode(body));
        return { status: 201 };
      };
    });
    worker.start();
    await enqueue(worker, "b.example", "room1", "woken");
    worker.wake();
    expect(await delivered).toBe("woken");
    await worker.stop();
    expect(await store.nextDeliveryAt()).toBeUndefined();
  });
});
