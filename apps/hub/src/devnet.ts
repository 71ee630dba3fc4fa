import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { join, resolve } from "node:path";
import type { HubConfigDocument } from "./config.js";
import { caPaths, ensureCertificateAuthority, ensureProviderCertificate } from "./devPki.js";

export interface DevnetOptions {
  /** where the CA, the certificates, the configurations, the data and the logs go */
  readonly dir: string;
  readonly providers: readonly string[];
  /** provider i listens on 127.0.0.1:<basePort + i> */
  readonly basePort: number;
}

export interface DevnetProvider {
  readonly domain: string;
  readonly port: number;
  readonly url: string;
  readonly configPath: string;
  readonly logPath: string;
}

/** How to start `mimi-hub serve`: this Node with its flags (a loader such as tsx's) and the bin script. */
export interface ServeCommand {
  readonly execPath: string;
  readonly execArgv: readonly string[];
  readonly entry: string;
}

export interface DevnetIo {
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  /** resolves when the user asks to stop (SIGINT, SIGTERM) */
  readonly shutdownRequested: Promise<string>;
}

/** How long a provider may take to answer /healthz after starting. */
const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 100;

/**
 * Creates what a local network of providers needs, once: the development CA
 * (`<dir>/ca.pem`, `ca-key.pem`) and per provider `<dir>/<domain>/cert.pem`
 * and `key.pem`. Each provider's `config.json` is written on every run (the
 * options decide ports and peers): 127.0.0.1 and `basePort + i`, the others
 * as peers, data in `<dir>/<domain>/data`.
 */
export async function prepareDevnet(options: DevnetOptions): Promise<DevnetProvider[]> {
  const dir = resolve(options.dir);
  const ca = await ensureCertificateAuthority(dir);
  const providers = options.providers.map((domain, index) => {
    const port = options.basePort + index;
    const home = join(dir, domain);
    return {
      domain,
      port,
      url: `https://127.0.0.1:${port}`,
      configPath: join(home, "config.json"),
      logPath: join(home, "hub.log"),
      home,
    };
  });
  for (const provider of providers) {
    await mkdir(provider.home, { recursive: true });
    await ensureProviderCertificate(ca, provider.domain, {
      certPath: join(provider.home, "cert.pem"),
      keyPath: join(provider.home, "key.pem"),
    });
    const config: HubConfigDocument = {
      domain: provider.domain,
      listen: { host: "127.0.0.1", port: provider.port },
      publicUrl: provider.url,
      tls: { cert: "cert.pem", key: "key.pem", ca: join("..", "ca.pem") },
      dataDir: "data",
      peers: Object.fromEntries(
        providers.filter((other) => other !== provider).map((other) => [other.domain, other.url]),
      ),
      logLevel: "info",
    };
    await writeFile(provider.configPath, `${JSON.stringify(config, null, 2)}\n`);
  }
  return providers.map(({ home: _home, ...provider }) => provider);
}

/** Whether the provider answers GET /healthz with its domain (no client certificate, the CA as trust root). */
function healthy(provider: DevnetProvider, ca: string): Promise<boolean> {
  return new Promise((resolveHealth) => {
    const outgoing = request(
      {
        host: "127.0.0.1",
        port: provider.port,
        path: "/healthz",
        ca,
        servername: provider.domain,
        agent: false,
        timeout: 2_000,
      },
      (incoming) => {
        let body = "";
        incoming.setEncoding("utf8");
        incoming.on("data", (chunk: string) => {
          body += chunk;
        });
        incoming.on("end", () => {
          try {
            resolveHealth(incoming.statusCode === 200 && JSON.parse(body).domain === provider.domain);
          } catch {
            resolveHealth(false);
          }
        });
      },
    );
    outgoing.on("timeout", () => outgoing.destroy());
    outgoing.on("error", () => resolveHealth(false));
    outgoing.end();
  });
}

const delay = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface Child {
  readonly provider: DevnetProvider;
  readonly process: ChildProcess;
  readonly exited: Promise<number | string>;
}

function startProvider(provider: DevnetProvider, command: ServeCommand): Child {
  const log = openSync(provider.logPath, "a");
  const child = spawn(
    command.execPath,
    [...command.execArgv, command.entry, "serve", "--config", provider.configPath],
    {
      stdio: ["ignore", log, log],
    },
  );
  closeSync(log);
  const exited = new Promise<number | string>((resolveExit) => {
    child.once("exit", (code, signal) => resolveExit(signal ?? code ?? 0));
  });
  return { provider, process: child, exited };
}

/**
 * `mimi-hub devnet`: prepares the network, starts one `serve` process per
 * provider (a direct child, so signals reach it), prints
 * `<domain> <url>` for each as it answers /healthz, then waits. On SIGINT or
 * SIGTERM, or when a provider dies, it sends SIGTERM to the others and
 * waits for them. Returns the exit status: 0 after a requested stop, 1 if a
 * provider failed. Each provider's output goes to `<dir>/<domain>/hub.log`.
 */
export async function runDevnet(options: DevnetOptions, command: ServeCommand, io: DevnetIo): Promise<number> {
  const providers = await prepareDevnet(options);
  const ca = await readFile(caPaths(resolve(options.dir)).certPath, "utf8");
  const children = providers.map((provider) => startProvider(provider, command));
  const firstExit = Promise.race(children.map((child) => child.exited.then((status) => ({ child, status }))));

  let failed: string | undefined;
  let stopping = false;
  const stop = async (): Promise<void> => {
    stopping = true;
    for (const child of children) if (child.process.exitCode === null) child.process.kill("SIGTERM");
    await Promise.all(children.map((child) => child.exited));
  };
  const died = firstExit.then(({ child, status }) => {
    if (!stopping) failed ??= `${child.provider.domain} exited (${status}); see ${child.provider.logPath}`;
  });

  for (const child of children) {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (failed !== undefined) break;
      if (await healthy(child.provider, ca)) {
        io.writeStdout(`${child.provider.domain} ${child.provider.url}\n`);
        break;
      }
      if (Date.now() > deadline) {
        failed = `${child.provider.domain} did not answer /healthz within ${READY_TIMEOUT_MS / 1000} s; see ${child.provider.logPath}`;
        break;
      }
      await delay(READY_POLL_MS);
    }
    if (failed !== undefined) break;
  }
  if (failed === undefined) {
    io.writeStderr(`devnet: ${providers.length} providers ready; logs in <dir>/<domain>/hub.log; Ctrl-C stops them\n`);
    await Promise.race([io.shutdownRequested, died]);
  }
  await stop();
  if (failed !== undefined) {
    io.writeStderr(`devnet: ${failed}\n`);
    return 1;
  }
  return 0;
}
