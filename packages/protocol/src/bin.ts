#!/usr/bin/env node
import { runCli } from "./cli.js";

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

process.exitCode = await runCli(process.argv.slice(2), {
  readStdin,
  writeStdout: (data) => process.stdout.write(data),
  writeStderr: (text) => process.stderr.write(text),
});
