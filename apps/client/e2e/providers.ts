/**
 * MIMI providers as real processes of apps/hub's build (`dist/bin.js`,
 * `mimi-hub`) on 127.0.0.1: either `mimi-hub devnet` itself, or one
 * `mimi-hub serve` per provider from the configurations devnet writes, which
 * the test can kill (SIGKILL) and start again.
 */
import { closeSync, openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { caPaths, type DevnetProvider, prepareDevnet } from "@mimi-ts/hub";
import type { ChildProcesses, Exit, TrackedProcess } from "./childProcesses.js";

export const HUB_BIN = fileURLToPath(new URL("../../hub/dist/bin.js", import.meta.url));

/** How often a provider's /healthz is tried after its start before it counts as hung. */
const HEALTH_POLLS = 600;
const HEALTH_POLL_MS = 100;
/** How long one /healthz request may go unanswered before it counts as a failed try. */
const HEALTH_REQUEST_TIMEOUT_MS = 2_000;

/** Where the devices find the providers. */
export interface Providers {
  /** the development CA's certificate, the devices' `--ca` */
  readonly caPath: string;
  /** the client API base URL of `domain` */
  url(domain: string): string;
}

/** Whether a TCP port on 127.0.0.1 can be listened on now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A base port with `count` free ports from it, found by trying (the OS gives
 * no consecutive ephemeral ports), below Linux's ephemeral range so that no
 * outgoing connection takes one before the provider listens on it.
 */
export async function freeBasePort(count: number): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await Promise.all(Array.from({ length: count }, (_, index) => isFree(base + index)));
    if (free.every(Boolean)) return base;
  }
}

/** Whether the provider at `url` answers GET /healthz as `domain`, its certificate chaining to `ca`. */
function answersHealthz(url: string, domain: string, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const options = { ca, servername: domain, agent: false, timeout: HEALTH_REQUEST_TIMEOUT_MS };
    const outgoing = request(new URL("/healthz", url), options, (incoming) => {
      let body = "";
      incoming.setEncoding("utf8");
      incoming.on("data", (chunk: string) => {
        body += chunk;
      });
      incoming.on("end", () => resolve(incoming.statusCode === 200 && body.includes(`"domain":"${domain}"`)));
    });
    outgoing.on("timeout", () => outgoing.destroy(new Error("no answer to /healthz")));
    outgoing.on("error", () => resolve(false));
    outgoing.end();
  });
}

function describeExit(exit: Exit): string {
  return exit.signal ?? String(exit.code);
}

/** `mimi-hub devnet --dir DIR --base-port PORT`, as a user starts it, until its SIGTERM. */
export class DevnetProcess implements Providers {
  private constructor(
    private readonly devnet: TrackedProcess,
    readonly caPath: string,
    private readonly urls: ReadonlyMap<string, string>,
    /** the `<domain> <url>` lines it printed */
    readonly readyLines: readonly string[],
  ) {}

  /** Starts devnet for `domains` and waits for its ready line of each. */
  static async start(
    processes: ChildProcesses,
    dir: string,
    basePort: number,
    domains: readonly string[],
  ): Promise<DevnetProcess> {
    const devnet = processes.startNode(
      HUB_BIN,
      ["devnet", "--dir", dir, "--providers", domains.join(","), "--base-port", String(basePort)],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    devnet.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const lines = await new Promise<string[]>((resolve, reject) => {
      const printed: string[] = [];
      let buffer = "";
      devnet.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        buffer += chunk;
        const complete = buffer.split("\n");
        buffer = complete.pop() ?? "";
        printed.push(...complete);
        if (printed.length >= domains.length) resolve(printed);
      });
      void devnet.exited.then((exit) => reject(new Error(`devnet exited (${describeExit(exit)}) early: ${stderr}`)));
    });
    const urls = new Map(
      lines.map((line) => {
        const [domain = "", url = ""] = line.split(" ");
        return [domain, url];
      }),
    );
    return new DevnetProcess(devnet, caPaths(dir).certPath, urls, lines);
  }

  url(domain: string): string {
    const url = this.urls.get(domain);
    if (url === undefined) throw new Error(`devnet printed no line for ${domain}`);
    return url;
  }

  /** SIGTERM, as Ctrl-C does: devnet stops every provider, then exits. */
  async stop(): Promise<Exit> {
    this.devnet.child.kill("SIGTERM");
    return this.devnet.exited;
  }
}

/** One `mimi-hub serve --config <dir>/<domain>/config.json` per provider, from devnet's configurations. */
export class ServedProviders implements Providers {
  private readonly running = new Map<string, TrackedProcess>();

  private constructor(
    private readonly processes: ChildProcesses,
    readonly caPath: string,
    private readonly ca: string,
    private readonly providers: ReadonlyMap<string, DevnetProvider>,
  ) {}

  /** Writes what devnet writes (CA, certificates, configurations) in `dir`, then starts every provider. */
  static async start(
    processes: ChildProcesses,
    dir: string,
    basePort: number,
    domains: readonly string[],
  ): Promise<ServedProviders> {
    const prepared = await prepareDevnet({ dir, providers: domains, basePort });
    const caPath = caPaths(dir).certPath;
    const served = new ServedProviders(
      processes,
      caPath,
      await readFile(caPath, "utf8"),
      new Map(prepared.map((provider) => [provider.domain, provider])),
    );
    for (const domain of domains) await served.startProvider(domain);
    return served;
  }

  private provider(domain: string): DevnetProvider {
    const provider = this.providers.get(domain);
    if (provider === undefined) throw new Error(`no provider ${domain}`);
    return provider;
  }

  url(domain: string): string {
    return this.provider(domain).url;
  }

  /** The provider's log (its JSON lines, appended across restarts). */
  log(domain: string): Promise<string> {
    return readFile(this.provider(domain).logPath, "utf8");
  }

  /** Starts the provider's `serve` process (on its port, with its data) and waits until it answers /healthz. */
  async startProvider(domain: string): Promise<void> {
    const provider = this.provider(domain);
    if (this.running.has(domain)) throw new Error(`${domain} is running already`);
    const log = openSync(provider.logPath, "a");
    const serve = this.processes.startNode(HUB_BIN, ["serve", "--config", provider.configPath], {
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    this.running.set(domain, serve);
    for (let poll = 0; poll < HEALTH_POLLS; poll += 1) {
      if (serve.child.exitCode !== null || serve.child.signalCode !== null) {
        throw new Error(`${domain} exited (${describeExit(await serve.exited)}); see ${provider.logPath}`);
      }
      if (await answersHealthz(provider.url, domain, this.ca)) return;
      await new Promise((resolve) => setTimeout(resolve, HEALTH_POLL_MS));
    }
    throw new Error(`${domain} did not answer /healthz after ${HEALTH_POLLS} tries; see ${provider.logPath}`);
  }

  /** SIGKILL: no graceful shutdown, nothing flushed, connections cut. */
  async kill(domain: string): Promise<Exit> {
    const serve = this.running.get(domain);
    if (serve === undefined) throw new Error(`${domain} is not running`);
    serve.child.kill("SIGKILL");
    const exit = await serve.exited;
    this.running.delete(domain);
    return exit;
  }
}
