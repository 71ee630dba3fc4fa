import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { CodecError, decode, encode } from "@mimi-ts/codec";
import { hexToBytes } from "@noble/hashes/utils.js";
import { toJson } from "./json.js";
import { structNamed, structs } from "./registry.js";

export interface CliIo {
  readStdin(): Promise<Uint8Array>;
  writeStdout(data: string | Uint8Array): void;
  writeStderr(text: string): void;
}

const USAGE = `usage: mimi-inspect list
       mimi-inspect <Struct> <file|-> [--reencode] [--hex]

  list         every struct name, one a line, as the drafts spell them
  <Struct>     decode the input as that struct and print it as JSON
               (byte strings as hex, 64-bit integers as decimal strings)
  --reencode   write the re-encoded bytes instead (identical to a valid input)
  --hex        the input is hex text rather than binary

Invalid input exits with status 1 and one line "error: <Struct>.<field>: <reason>".`;

/** Runs the CLI; returns the exit status. Never throws, never prints a stack trace. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    io.writeStderr(`error: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { positionals, values } = parsed;
  const [command, input, ...extra] = positionals;
  if (values.help || command === "help") {
    io.writeStdout(`${USAGE}\n`);
    return 0;
  }
  if (command === "list" && input === undefined) {
    io.writeStdout(`${structs.map((entry) => entry.name).join("\n")}\n`);
    return 0;
  }
  if (command === undefined || input === undefined || extra.length > 0) {
    io.writeStderr(`${USAGE}\n`);
    return 2;
  }
  const entry = structNamed(command);
  if (entry === undefined) {
    io.writeStderr(`error: unknown struct ${command} (mimi-inspect list names them)\n`);
    return 2;
  }
  let bytes: Uint8Array;
  try {
    const raw = input === "-" ? await io.readStdin() : await readInput(input);
    bytes = values.hex ? fromHex(raw) : raw;
  } catch (error) {
    io.writeStderr(`error: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    const value = decode(entry.codec, bytes);
    io.writeStdout(values.reencode ? encode(entry.codec, value) : `${JSON.stringify(toJson(value), null, 2)}\n`);
    return 0;
  } catch (error) {
    io.writeStderr(`error: ${error instanceof CodecError ? error.message : `internal: ${String(error)}`}\n`);
    return 1;
  }
}

function parseCommandLine(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      reencode: { type: "boolean" },
      hex: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`${file}: ${code === "ENOENT" ? "no such file" : `cannot read (${code ?? "unknown error"})`}`);
  }
}

function fromHex(raw: Uint8Array): Uint8Array {
  const text = new TextDecoder().decode(raw).replace(/\s+/g, "");
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new Error("input: not an even-length hex string");
  return hexToBytes(text);
}
