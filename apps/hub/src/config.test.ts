import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, type HubConfigDocument, loadConfig, parseConfig } from "./config.js";
import { temporaryDirectory } from "./test-support/network.js";

const VALID: HubConfigDocument = {
  domain: "a.example",
  listen: { host: "127.0.0.1", port: 7443 },
  tls: { cert: "a.example/cert.pem", key: "a.example/key.pem", ca: "/etc/mimi/ca.pem" },
  dataDir: "a.example/data",
  peers: { "b.example": "https://127.0.0.1:7444/", "c.example": "https://c.example/mimi" },
  logLevel: "debug",
};

function problemsOf(json: unknown): readonly string[] {
  try {
    parseConfig(json, { baseDir: "/srv/devnet", source: "config.json" });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("the configuration was accepted");
}

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
beforeAll(async () => {
  directory = await temporaryDirectory();
});
afterAll(async () => {
  await directory.remove();
});

describe("parseConfig", () => {
  it("reads a full configuration, resolving relative paths against the file's directory", () => {
    const config = parseConfig(VALID, { baseDir: "/srv/devnet", source: "config.json" });
    expect(config).toEqual({
      domain: "a.example",
      listen: { host: "127.0.0.1", port: 7443 },
      publicUrl: "https://a.example:7443",
      tls: { cert: "/srv/devnet/a.example/cert.pem", key: "/srv/devnet/a.example/key.pem", ca: "/etc/mimi/ca.pem" },
      dataDir: "/srv/devnet/a.example/data",
      peers: new Map([
        ["b.example", "https://127.0.0.1:7444"],
        ["c.example", "https://c.example/mimi"],
      ]),
      logLevel: "debug",
    });
  });

  it("defaults peers, log level and the public URL (no port for 443)", () => {
    const { peers: _peers, logLevel: _logLevel, ...minimal } = VALID;
    const config = parseConfig({ ...minimal, listen: { host: "0.0.0.0", port: 443 } }, { baseDir: "/", source: "x" });
    expect(config.peers.size).toBe(0);
    expect(config.logLevel).toBe("info");
    expect(config.publicUrl).toBe("https://a.example");
    expect(
      parseConfig({ ...VALID, publicUrl: "https://mimi.a.example/v1" }, { baseDir: "/", source: "x" }).publicUrl,
    ).toBe("https://mimi.a.example/v1");
  });

  it("lists every problem, each naming its field", () => {
    expect(
      problemsOf({
        domain: "A.Example",
        listen: { host: "", port: 70000 },
        tls: { cert: "c.pem", key: 3 },
        peers: { "a.example": "https://x", "b.example": "http://b.example", "not a domain": "https://x" },
        logLevel: "loud",
        extra: true,
      }),
    ).toEqual([
      "extra: unknown field",
      'domain: "A.Example" is not a lower-case domain name',
      "listen.host: must be a non-empty string",
      "listen.port: must be an integer from 0 to 65535 (0: any free port)",
      "tls.key: must be a non-empty string",
      "tls.ca: must be a non-empty string",
      "dataDir: must be a non-empty string",
      'peers["b.example"]: must be an https URL, not http:',
      'peers["not a domain"] (the key): "not a domain" is not a lower-case domain name',
      "logLevel: must be one of trace, debug, info, warn, error, fatal, silent",
    ]);
  });

  it("refuses our own domain as a peer, unknown nested fields, and non-objects", () => {
    expect(problemsOf({ ...VALID, peers: { "a.example": "https://127.0.0.1:1" } })).toEqual([
      'peers["a.example"]: is this provider\'s own domain',
    ]);
    expect(problemsOf({ ...VALID, listen: { host: "h", port: 1, tls: true } })).toEqual(["listen.tls: unknown field"]);
    expect(problemsOf({ ...VALID, publicUrl: "https://a.example?x=1" })).toEqual([
      "publicUrl: must have no query or fragment",
    ]);
    expect(problemsOf([])).toEqual(["(top level): must be an object"]);
    expect(problemsOf({ ...VALID, peers: [] })).toEqual([
      "peers: must be an object mapping domains to https base URLs",
    ]);
  });
});

describe("loadConfig", () => {
  it("reads a JSON file relative to its own directory", async () => {
    const file = join(directory.path, "a.json");
    await writeFile(file, JSON.stringify(VALID));
    const config = await loadConfig(file);
    expect(config.dataDir).toBe(join(directory.path, "a.example/data"));
  });

  it("says clearly when the file is missing or not JSON", async () => {
    await expect(loadConfig(join(directory.path, "missing.json"))).rejects.toThrow(
      /missing\.json: invalid configuration\n {2}cannot read the file: ENOENT/,
    );
    const file = join(directory.path, "broken.json");
    await writeFile(file, "{ domain: ");
    await expect(loadConfig(file)).rejects.toThrow(/broken\.json: invalid configuration\n {2}not JSON: /);
  });
});
