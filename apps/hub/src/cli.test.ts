import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliIo, runCli } from "./cli.js";
import type { HubConfigDocument } from "./config.js";
import { httpsRequest } from "./test-support/https.js";
import { TestPki, temporaryDirectory } from "./test-support/network.js";

interface Captured {
  readonly io: CliIo;
  readonly stdout: string[];
  readonly stderr: string[];
  /** asks the command to stop, as SIGTERM would */
  stop(): void;
  /** resolves with the first stdout write `pick` maps to a value */
  untilStdout<T>(pick: (text: string) => T | undefined): Promise<T>;
}

function capture(): Captured {
  let stop: (signal: string) => void = () => {};
  const shutdownRequested = new Promise<string>((resolve) => {
    stop = resolve;
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const watchers: ((text: string) => void)[] = [];
  return {
    io: {
      writeStdout: (text) => {
        stdout.push(text);
        for (const watch of watchers) watch(text);
      },
      writeStderr: (text) => stderr.push(text),
      shutdownRequested,
      serveCommand: { execPath: process.execPath, execArgv: [], entry: "unused" },
    },
    stdout,
    stderr,
    stop: () => stop("SIGTERM"),
    untilStdout: (pick) =>
      new Promise((resolve) => {
        watchers.push((text) => {
          const value = pick(text);
          if (value !== undefined) resolve(value);
        });
      }),
  };
}

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let pki: TestPki;
beforeAll(async () => {
  directory = await temporaryDirectory();
  pki = await TestPki.create(directory.path);
});
afterAll(async () => {
  await directory?.remove();
});

describe("mimi-hub", () => {
  it("explains its usage, exiting 2, for missing or unknown commands and options", async () => {
    for (const argv of [
      [],
      ["launch"],
      ["serve"],
      ["serve", "--port", "1"],
      ["devnet", "--base-port", "0"],
      ["devnet", "--providers", "a.example,,b"],
    ]) {
      const { io, stderr } = capture();
      expect(await runCli(argv, io), argv.join(" ")).toBe(2);
      expect(stderr.join("")).toMatch(/^error: .+\nusage: mimi-hub serve --config FILE\n/);
    }
    const { io, stdout } = capture();
    expect(await runCli(["--help"], io)).toBe(0);
    expect(stdout.join("")).toMatch(/^usage: /);
  });

  it("reports an invalid configuration in one message, exiting 1", async () => {
    const file = join(directory.path, "bad.json");
    await writeFile(file, JSON.stringify({ domain: "a.example", listen: { host: "127.0.0.1", port: -1 } }));
    const { io, stderr } = capture();
    expect(await runCli(["serve", "--config", file], io)).toBe(1);
    expect(stderr.join("")).toBe(
      [
        `error: ${file}: invalid configuration`,
        "  listen.port: must be an integer from 0 to 65535 (0: any free port)",
        "  tls: must be an object",
        "  dataDir: must be a non-empty string",
        "",
      ].join("\n"),
    );
  });

  it("serves until asked to stop, logging to stdout", async () => {
    const credentials = await pki.credentials("a.example");
    const document: HubConfigDocument = {
      domain: "a.example",
      listen: { host: "127.0.0.1", port: 0 },
      tls: { cert: credentials.certPath, key: credentials.keyPath, ca: pki.caPath },
      dataDir: "a-data",
    };
    const file = join(directory.path, "a.json");
    await writeFile(file, JSON.stringify(document));
    const captured = capture();
    const listening = captured.untilStdout((text) => {
      const entry = JSON.parse(text) as { msg: string; port: number };
      return entry.msg === "listening" ? entry : undefined;
    });
    const exit = runCli(["serve", "--config", file], captured.io);
    const health = await httpsRequest({ port: (await listening).port, path: "/healthz", ca: pki.caPem });
    expect(JSON.parse(health.text)).toEqual({ ok: true, domain: "a.example" });
    captured.stop();
    expect(await exit).toBe(0);
    const messages = captured.stdout.map((text) => JSON.parse(text).msg);
    expect(messages.slice(-2)).toEqual(["shutting down", "stopped"]);
  });
});
