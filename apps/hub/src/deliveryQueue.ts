import { type Clock, systemClock } from "./clock.js";
import type { Logger } from "./logger.js";
import { parseRetryAfter } from "./retryAfter.js";
import type { HubStore, NewDelivery, OutboundDelivery } from "./store.js";

/** What a peer answered to one delivery attempt. */
export interface DeliveryResponse {
  readonly status: number;
  /** the Retry-After header, if any */
  readonly retryAfter?: string | undefined;
  /** the start of the response body, kept as the error of a failed attempt */
  readonly detail?: string | undefined;
}

/** Sends one queued POST; throws when no HTTP answer came (connection, TLS, timeout). */
export interface DeliveryTransport {
  post(peerDomain: string, path: string, body: Uint8Array): Promise<DeliveryResponse>;
}

export interface BackoffPolicy {
  /** the delay after the first failure, before jitter */
  readonly baseMs: number;
  /** the longest delay backoff reaches */
  readonly maxMs: number;
  /** the longest Retry-After honoured (a peer cannot park a lane for longer) */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 1_000,
  maxMs: 10 * 60_000,
  maxRetryAfterMs: 24 * 60 * 60_000,
};

/** How long the worker sleeps at most, so deliveries queued by another process are found. */
const IDLE_POLL_MS = 30_000;

/**
 * The wait after the `attempts`-th failed attempt: exponential (base, 2 base,
 * 4 base... up to max), with "equal jitter" (a random half of it) so that
 * many deliveries failing together do not retry together.
 */
export function backoffDelay(attempts: number, policy: BackoffPolicy, random: () => number): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return exponential / 2 + random() * (exponential / 2);
}

export interface DeliveryQueueOptions {
  readonly store: HubStore;
  readonly transport: DeliveryTransport;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** a number in [0, 1), for jitter */
  readonly random?: () => number;
  readonly backoff?: BackoffPolicy;
}

/**
 * The durable outbound queue (protocol-06 s.5.5: the hub retries until the
 * follower answers 201, respecting Retry-After). Deliveries live in the
 * store, so they survive restarts; a delivery is queued in the same
 * transaction as the change that causes it. Per lane (peer domain and
 * ordering key, the room ID for fan-out) deliveries go out one at a time in
 * the order they were queued: a failing one holds back those behind it, and
 * only them. A delivery is never given up; its delay stops growing at
 * `backoff.maxMs`.
 *
 * Success is any 2xx: s.5.5 names 201, the flows of s.3 show "200 OK", and
 * retrying an accepted body forever would block its room. Other 2xx are logged.
 */
export class DeliveryQueue {
  private readonly store: HubStore;
  private readonly transport: DeliveryTransport;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly backoff: BackoffPolicy;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private rerun = false;

  constructor(options: DeliveryQueueOptions) {
    this.store = options.store;
    this.transport = options.transport;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  /**
   * Queues a delivery through `store`, which should be the transaction of
   * the change causing it; call `wake` once that transaction has committed.
   */
  async enqueue(store: HubStore, delivery: NewDelivery): Promise<number> {
    return store.enqueueDelivery(delivery, this.clock.now());
  }

  /**
   * Attempts every due lane head, lanes in parallel, until no head is due;
   * returns how many deliveries succeeded. The worker calls this; tests call
   * it directly with a fake clock.
   */
  async runDue(): Promise<number> {
    let delivered = 0;
    for (;;) {
      const heads = await this.store.dueDeliveryHeads(this.clock.now());
      if (heads.length === 0) return delivered;
      const outcomes = await Promise.all(heads.map((head) => this.attempt(head)));
      delivered += outcomes.filter(Boolean).length;
    }
  }

  private async attempt(delivery: OutboundDelivery): Promise<boolean> {
    let error: string;
    let retryAfterMs: number | undefined;
    try {
      const response = await this.transport.post(delivery.peerDomain, delivery.path, delivery.body);
      if (response.status >= 200 && response.status < 300) {
        await this.store.deliveryDone(delivery.id);
        const log = { delivery: delivery.id, peer: delivery.peerDomain, path: delivery.path, status: response.status };
        if (response.status === 201) this.logger.debug(log, "delivered");
        else this.logger.warn(log, "delivered, but the peer answered other than 201 (protocol-06 s.5.5)");
        return true;
      }
      error = `HTTP ${response.status}${response.detail ? `: ${response.detail}` : ""}`;
      retryAfterMs = parseRetryAfter(response.retryAfter, this.clock.now());
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    const attempts = delivery.attempts + 1;
    const honoured = Math.min(retryAfterMs ?? 0, this.backoff.maxRetryAfterMs);
    // Never sooner than the peer asked, nor than backoff allows.
    const delay = Math.max(backoffDelay(attempts, this.backoff, this.random), honoured);
    const nextAttemptAt = this.clock.now() + delay;
    await this.store.deliveryFailed(delivery.id, { attempts, nextAttemptAt, lastError: error });
    this.logger.warn(
      { delivery: delivery.id, peer: delivery.peerDomain, path: delivery.path, attempts, error, retryInMs: delay },
      "delivery failed; will retry",
    );
    return false;
  }

  /** Starts the background worker: it runs due deliveries, then sleeps until the next is due or `wake`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Tells the worker new deliveries are queued. */
  wake(): void {
    if (this.running) this.schedule(0);
  }

  /** Stops the worker, waiting for the attempts in flight; queued deliveries stay in the store. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.current;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), delayMs);
    // The worker alone must not keep the process alive.
    this.timer.unref();
  }

  private tick(): void {
    if (this.current !== undefined) {
      this.rerun = true;
      return;
    }
    this.current = this.work().finally(() => {
      this.current = undefined;
    });
  }

  private async work(): Promise<void> {
    try {
      do {
        this.rerun = false;
        await this.runDue();
      } while (this.rerun && this.running);
      if (!this.running) return;
      const next = await this.store.nextDeliveryAt();
      const delay = next === undefined ? IDLE_POLL_MS : Math.min(IDLE_POLL_MS, Math.max(0, next - this.clock.now()));
      // A wake during the lines above left `rerun` set: go again at once.
      if (this.running) this.schedule(this.rerun ? 0 : delay);
    } catch (error) {
      this.logger.error({ err: error }, "delivery worker failed; retrying");
      if (this.running) this.schedule(this.backoff.baseMs);
    }
  }
}
