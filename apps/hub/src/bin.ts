#!/usr/bin/env node
import { fileURLToPath } from "node:url";
import { runCli } from "./cli.js";

// The first SIGINT or SIGTERM starts a graceful stop; later ones are ignored while it runs
// (Ctrl-C in devnet reaches the providers directly as well as through their parent).
const shutdownRequested = new Promise<string>((resolve) => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => resolve(signal));
});

process.exitCode = await runCli(process.argv.slice(2), {
  writeStdout: (text) => process.stdout.write(text),
  writeStderr: (text) => process.stderr.write(text),
  shutdownRequested,
  serveCommand: { execPath: process.execPath, execArgv: process.execArgv, entry: fileURLToPath(import.meta.url) },
});
