import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { decode, encode } from "./codec.js";
import { ContentError } from "./errors.js";
import { type Json, messageFromJson, messageToJson } from "./json.js";
import { computeMessageId } from "./messageId.js";
import { ExtensionKeys } from "./types.js";

export interface CliIo {
  readStdin(): Promise<Uint8Array>;
  writeStdout(data: string | Uint8Array): void;
  writeStderr(text: string): void;
}

const USAGE = `usage: mimi-content <command> [options]

commands:
  inspect <file|-> [--sender URI --room URI]
      print a MIMI content message (CBOR) as JSON, byte strings as hex, every
      part with its partIndex, and its messageId (content-08 s.3.3) computed
      from extension keys 1 and 2 unless --sender and --room are given
  encode <json-file|->
      turn that JSON back into CBOR on stdout; inspect | encode reproduces
      the input bytes

Invalid input exits with status 1 and one line "error: <field path>: <reason>".`;

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
  if ((command !== "inspect" && command !== "encode") || input === undefined || extra.length > 0) {
    io.writeStderr(`${USAGE}\n`);
    return 2;
  }
  if ((values.sender === undefined) !== (values.room === undefined) || (command === "encode" && values.sender)) {
    io.writeStderr(`error: --sender and --room go together, with inspect\n`);
    return 2;
  }
  try {
    const bytes = input === "-" ? await io.readStdin() : await readInput(input);
    if (command === "inspect") {
      io.writeStdout(`${JSON.stringify(inspect(bytes, values.sender, values.room), null, 2)}\n`);
    } else {
      io.writeStdout(encode(messageFromJson(parseJson(bytes))));
    }
    return 0;
  } catch (error) {
    io.writeStderr(`error: ${describe(error)}\n`);
    return 1;
  }
}

function parseCommandLine(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      sender: { type: "string" },
      room: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function inspect(bytes: Uint8Array, sender: string | undefined, room: string | undefined): Json {
  const message = decode(bytes);
  const senderUri = sender ?? message.extensions.get(ExtensionKeys.senderUri);
  const roomUri = room ?? message.extensions.get(ExtensionKeys.roomUri);
  const messageId =
    typeof senderUri === "string" && typeof roomUri === "string"
      ? computeMessageId(bytes, message.salt, senderUri, roomUri)
      : null;
  return messageToJson(message, messageId);
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ContentError(file, code === "ENOENT" ? "no such file" : `cannot read (${code ?? "unknown error"})`);
  }
}

function parseJson(bytes: Uint8Array): Json {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as Json;
  } catch (error) {
    throw new ContentError("json", (error as Error).message);
  }
}

function describe(error: unknown): string {
  if (error instanceof ContentError) return error.message;
  return `internal: ${error instanceof Error ? error.message : String(error)}`;
}
