#!/usr/bin/env node
/**
 * mimi-sim: `mimi-sim [--members N] [--seed S]` runs one room in-process
 * (sim.ts) and prints one JSON line, the SimulationReport. Errors are one
 * `error: ...` line on stderr, with exit status 1.
 */
import { parseArgs } from "node:util";
import { MINIMUM_MEMBERS, runSimulation } from "./sim.js";

const DEFAULT_MEMBERS = 10;
const DEFAULT_SEED = 1;

function integerOption(name: string, text: string | undefined, fallback: number, minimum: number, maximum: number) {
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text)) throw new Error(`--${name} must be a whole number, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value < minimum || value > maximum) throw new Error(`--${name} must be between ${minimum} and ${maximum}`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { members: { type: "string" }, seed: { type: "string" } },
    strict: true,
    allowPositionals: false,
  });
  const members = integerOption("members", values.members, DEFAULT_MEMBERS, MINIMUM_MEMBERS, 10_000);
  const seed = integerOption("seed", values.seed, DEFAULT_SEED, 0, 0xffffffff);
  const report = await runSimulation({ members, seed });
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message.replace(/\s*\n\s*/g, " ")}\n`);
  process.exitCode = 1;
});
