import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { temporaryDirectory } from "./test-support/network.js";

const HUB_DIR = fileURLToPath(new URL("..", import.meta.url));
const BIN = fileURLToPath(new URL("./bin.ts", import.meta.url));

/** Whether a TCP port on 127.0.0.1 can be listened on now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A base port with `count` free ports from it, found by trying (the OS gives no consecutive ephemeral ports). */
async function freePorts(count: number): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const free = await Promise.all(Array.from({ length: count }, (_, index) => isFree(base + index)));
    if (free.every(Boolean)) return base;
  }
}

interface Devnet {
  readonly process: ChildProcess;
  readonly lines: string[];
  readonly exit: Promise<number | null>;
  stderr: string;
}

/** Runs `mimi-hub devnet` from source (node with tsx's loader) until it printed `count` ready lines. */
async function startDevnet(dir: string, basePort: number, count: number): Promise<Devnet> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      BIN,
      "devnet",
      "--dir",
      dir,
      "--providers",
      "a.example,b.example",
      "--base-port",
      String(basePort),
    ],
    { cwd: HUB_DIR, stdio: ["ignore", "pipe", "pipe"] },
  );
  const devnet: Devnet = {
    process: child,
    lines: [],
    exit: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
    stderr: "",
  };
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    devnet.stderr += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    let buffer = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      devnet.lines.push(...lines);
      if (devnet.lines.length >= count) resolve();
    });
    devnet.exit.then((code) => reject(new Error(`devnet exited (${code}) early: ${devnet.stderr}`)));
  });
  return devnet;
}

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
beforeAll(async () => {
  directory = await temporaryDirectory();
});
afterAll(async () => {
  await directory?.remove();
});

describe("mimi-hub devnet", () => {
  it("creates the CA and certificates once, prints a ready line per provider, and stops them all on SIGTERM", async () => {
    const dir = join(directory.path, "devnet");
    const basePort = await freePorts(2);
    const first = await startDevnet(dir, basePort, 2);
    expect(first.lines).toEqual([
      `a.example https://127.0.0.1:${basePort}`,
      `b.example https://127.0.0.1:${basePort + 1}`,
    ]);
    const config = await loadConfig(join(dir, "a.example", "config.json"));
    expect(config.peers).toEqual(new Map([["b.example", `https://127.0.0.1:${basePort + 1}`]]));
    expect(config.tls.ca).toBe(join(dir, "ca.pem"));
    const files = ["ca.pem", "ca-key.pem", "a.example/cert.pem", "a.example/key.pem", "b.example/cert.pem"];
    const before = await Promise.all(files.map((file) => readFile(join(dir, file), "utf8")));
    first.process.kill("SIGTERM");
    expect(await first.exit).toBe(0);
    const log = await readFile(join(dir, "a.example", "hub.log"), "utf8");
    expect(log).toMatch(/"msg":"stopped"/);

    const second = await startDevnet(dir, basePort, 2);
    try {
      expect(second.lines).toHaveLength(2);
      const after = await Promise.all(files.map((file) => readFile(join(dir, file), "utf8")));
      expect(after).toEqual(before);
    } finally {
      second.process.kill("SIGINT");
      expect(await second.exit).toBe(0);
    }
  });
});
