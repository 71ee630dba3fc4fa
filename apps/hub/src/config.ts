import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { DirectoryError, directoryFor, parseMimiUri } from "@mimi-ts/protocol";

/** pino's levels, from the most to the least verbose, and `silent`. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One provider's configuration, checked, with every path absolute. */
export interface HubConfig {
  /** The provider's domain, the host of its MIMI URIs (`mimi://a.example/...`), lower case. */
  readonly domain: string;
  /** Where the HTTPS server listens; port 0 picks a free port. */
  readonly listen: { readonly host: string; readonly port: number };
  /** The https base URL peers reach this provider at: the directory (protocol-06 s.5.1) is built on it. */
  readonly publicUrl: string;
  /** PEM files: this provider's certificate (TLS server and client), its private key, and the CA peers must chain to. */
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string };
  /** The directory holding `hub.sqlite`. */
  readonly dataDir: string;
  /** Peer provider domain → its https base URL (routing is by configuration, not DNS). */
  readonly peers: ReadonlyMap<string, string>;
  readonly logLevel: LogLevel;
}

/** A configuration that cannot be used; the message lists every problem, one a line, each naming its field. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(`${source}: invalid configuration\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
    this.problems = problems;
  }
}

/** The configuration file's JSON shape (paths relative to the file's directory, or absolute). */
export interface HubConfigDocument {
  domain: string;
  listen: { host: string; port: number };
  publicUrl?: string;
  tls: { cert: string; key: string; ca: string };
  dataDir: string;
  peers?: Record<string, string>;
  logLevel?: LogLevel;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Collects problems instead of stopping at the first, so one run shows everything to fix. */
class Checker {
  readonly problems: string[] = [];

  object(value: unknown, field: string, known: readonly string[]): JsonObject | undefined {
    if (!isObject(value)) {
      this.problems.push(`${field === "" ? "(top level)" : field}: must be an object`);
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) this.problems.push(`${field === "" ? key : `${field}.${key}`}: unknown field`);
    }
    return value;
  }

  string(value: unknown, field: string): string | undefined {
    if (typeof value !== "string" || value === "") {
      this.problems.push(`${field}: must be a non-empty string`);
      return undefined;
    }
    return value;
  }

  domain(value: unknown, field: string): string | undefined {
    const text = this.string(value, field);
    if (text === undefined) return undefined;
    const parsed = parseMimiUri(`mimi://${text}`);
    if (parsed === undefined || parsed.domain !== text) {
      this.problems.push(`${field}: ${JSON.stringify(text)} is not a lower-case domain name`);
      return undefined;
    }
    return text;
  }

  httpsBaseUrl(value: unknown, field: string): string | undefined {
    const text = this.string(value, field);
    if (text === undefined) return undefined;
    try {
      directoryFor(text);
    } catch (error) {
      if (!(error instanceof DirectoryError)) throw error;
      this.problems.push(`${field}: ${error.reason}`);
      return undefined;
    }
    return text.replace(/\/+$/, "");
  }
}

const TOP_LEVEL = ["domain", "listen", "publicUrl", "tls", "dataDir", "peers", "logLevel"] as const;

/**
 * Checks a parsed configuration document. Relative paths are resolved
 * against `baseDir` (the configuration file's directory). Unknown fields are
 * errors: a misspelt optional field would otherwise be silently ignored.
 * Throws ConfigError naming `source`.
 */
export function parseConfig(json: unknown, options: { baseDir: string; source: string }): HubConfig {
  const check = new Checker();
  const root = check.object(json, "", TOP_LEVEL);
  if (root === undefined) throw new ConfigError(options.source, check.problems);
  const path = (value: unknown, field: string) => {
    const text = check.string(value, field);
    return text === undefined ? undefined : resolve(options.baseDir, text);
  };

  const domain = check.domain(root.domain, "domain");

  const listenObject = check.object(root.listen, "listen", ["host", "port"]);
  const host = listenObject === undefined ? undefined : check.string(listenObject.host, "listen.host");
  let port: number | undefined;
  if (listenObject !== undefined) {
    const value = listenObject.port;
    if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 65535) port = value;
    else check.problems.push("listen.port: must be an integer from 0 to 65535 (0: any free port)");
  }

  const tlsObject = check.object(root.tls, "tls", ["cert", "key", "ca"]);
  const tls =
    tlsObject === undefined
      ? undefined
      : {
          cert: path(tlsObject.cert, "tls.cert"),
          key: path(tlsObject.key, "tls.key"),
          ca: path(tlsObject.ca, "tls.ca"),
        };

  const dataDir = path(root.dataDir, "dataDir");

  let publicUrl: string | undefined;
  if (root.publicUrl !== undefined) publicUrl = check.httpsBaseUrl(root.publicUrl, "publicUrl");
  else if (domain !== undefined && port !== undefined) publicUrl = `https://${domain}${port === 443 ? "" : `:${port}`}`;

  const peers = new Map<string, string>();
  if (root.peers !== undefined) {
    if (!isObject(root.peers)) check.problems.push("peers: must be an object mapping domains to https base URLs");
    for (const [peer, url] of Object.entries(isObject(root.peers) ? root.peers : {})) {
      const field = `peers[${JSON.stringify(peer)}]`;
      const peerDomain = check.domain(peer, `${field} (the key)`);
      const baseUrl = check.httpsBaseUrl(url, field);
      if (peerDomain !== undefined && peerDomain === domain)
        check.problems.push(`${field}: is this provider's own domain`);
      else if (peerDomain !== undefined && baseUrl !== undefined) peers.set(peerDomain, baseUrl);
    }
  }

  let logLevel: LogLevel = "info";
  if (root.logLevel !== undefined) {
    if (LOG_LEVELS.includes(root.logLevel as LogLevel)) logLevel = root.logLevel as LogLevel;
    else check.problems.push(`logLevel: must be one of ${LOG_LEVELS.join(", ")}`);
  }

  if (
    check.problems.length > 0 ||
    domain === undefined ||
    host === undefined ||
    port === undefined ||
    tls?.cert === undefined ||
    tls.key === undefined ||
    tls.ca === undefined ||
    dataDir === undefined ||
    publicUrl === undefined
  ) {
    throw new ConfigError(options.source, check.problems);
  }
  return {
    domain,
    listen: { host, port },
    publicUrl,
    tls: { cert: tls.cert, key: tls.key, ca: tls.ca },
    dataDir,
    peers,
    logLevel,
  };
}

/** Reads and checks a JSON configuration file. Throws ConfigError (also for unreadable files and invalid JSON). */
export async function loadConfig(file: string): Promise<HubConfig> {
  const absolute = resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (error) {
    throw new ConfigError(file, [`cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [`not JSON: ${(error as Error).message}`]);
  }
  return parseConfig(json, { baseDir: dirname(absolute), source: file });
}
