/**
 * A MIMI network of real providers (apps/hub's startHub) in this process:
 * one development CA, one provider per domain on 127.0.0.1 with a port
 * picked before any starts (each knows the others as peers), temporary data
 * directories, silent logs, and a short retry backoff so that a delivery to
 * a provider that was down is retried soon after it is back.
 */
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import {
  createCertificateAuthority,
  createLogger,
  type HubConfig,
  issueProviderCertificate,
  parseConfig,
  type RunningHub,
  startHub,
} from "@mimi-ts/hub";

/** A TCP port nobody listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** How often a condition is checked before the wait is given up as hung. */
const POLLS = 2_000;
const POLL_MS = 10;

/** Polls `condition` until it holds; fails after POLLS tries (a guard against hangs, not a timing assertion). */
export async function eventually(what: string, condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < POLLS; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`gave up waiting for ${what}`);
}

export class RealNetwork {
  private readonly hubs = new Map<string, RunningHub>();

  private constructor(
    readonly caPath: string,
    private readonly configs: ReadonlyMap<string, HubConfig>,
  ) {}

  /** Starts one provider per domain, under one CA, in `dir`. */
  static async start(dir: string, domains: readonly string[]): Promise<RealNetwork> {
    const ca = await createCertificateAuthority("client test CA");
    const caPath = join(dir, "ca.pem");
    await writeFile(caPath, ca.certificate.toString("pem"));
    const ports = new Map<string, number>();
    for (const domain of domains) ports.set(domain, await freePort());
    const configs = new Map<string, HubConfig>();
    for (const domain of domains) {
      const issued = await issueProviderCertificate(ca, domain);
      await writeFile(join(dir, `${domain}.pem`), issued.certificatePem);
      await writeFile(join(dir, `${domain}-key.pem`), issued.privateKeyPem);
      const peers = Object.fromEntries(
        domains.filter((peer) => peer !== domain).map((peer) => [peer, `https://127.0.0.1:${ports.get(peer)}`]),
      );
      configs.set(
        domain,
        parseConfig(
          {
            domain,
            listen: { host: "127.0.0.1", port: ports.get(domain) ?? 0 },
            publicUrl: `https://${domain}`,
            tls: { cert: `${domain}.pem`, key: `${domain}-key.pem`, ca: "ca.pem" },
            dataDir: `${domain}-data`,
            peers,
            logLevel: "silent",
          },
          { baseDir: dir, source: "test" },
        ),
      );
    }
    const network = new RealNetwork(caPath, configs);
    for (const domain of domains) await network.startProvider(domain);
    return network;
  }

  /** The running provider of `domain`. */
  hub(domain: string): RunningHub {
    const hub = this.hubs.get(domain);
    if (hub === undefined) throw new Error(`${domain} is not running`);
    return hub;
  }

  /** The client API base URL of `domain` (fixed across restarts). */
  url(domain: string): string {
    const config = this.configs.get(domain);
    if (config === undefined) throw new Error(`no provider ${domain}`);
    return `https://127.0.0.1:${config.listen.port}`;
  }

  /** Stops a provider (it keeps its data). */
  async stop(domain: string): Promise<void> {
    await this.hub(domain).close();
    this.hubs.delete(domain);
  }

  /** Starts a provider again, on its port, with its data. */
  async startProvider(domain: string): Promise<void> {
    const config = this.configs.get(domain);
    if (config === undefined) throw new Error(`no provider ${domain}`);
    const hub = await startHub(config, {
      logger: createLogger(domain, "silent"),
      backoff: { baseMs: 20, maxMs: 200, maxRetryAfterMs: 1_000 },
    });
    this.hubs.set(domain, hub);
  }

  /** Waits until every running provider has delivered everything it queued (fan-out reached the followers). */
  async settle(): Promise<void> {
    for (const [domain, hub] of this.hubs) {
      await eventually(`${domain}'s deliveries`, async () => (await hub.services.store.nextDeliveryAt()) === undefined);
    }
  }

  /** Whether the provider of `clientUri` holds inbox events after `cursor` for it. */
  async hasEventsAfter(clientUri: string, cursor: number): Promise<boolean> {
    const domain = new URL(clientUri).hostname;
    return (await this.hub(domain).services.store.inboxEventsAfter(clientUri, cursor, 1)).length > 0;
  }

  async close(): Promise<void> {
    for (const domain of [...this.hubs.keys()]) await this.stop(domain);
  }
}
