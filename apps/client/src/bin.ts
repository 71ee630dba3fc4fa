#!/usr/bin/env node
import { homedir } from "node:os";
import { join } from "node:path";
import { runCli } from "./cli.js";

process.exitCode = await runCli(process.argv.slice(2), {
  writeStdout: (text) => process.stdout.write(text),
  writeStderr: (text) => process.stderr.write(text),
  defaultHome: join(homedir(), ".mimi"),
});
