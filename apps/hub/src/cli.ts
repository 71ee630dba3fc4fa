import { parseArgs } from "node:util";
import { loadConfig } from "./config.js";
import { runDevnet, type ServeCommand } from "./devnet.js";
import { createLogger } from "./logger.js";
import { startHub } from "./server.js";

export interface CliIo {
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  /** resolves with the signal's name when the user asks to stop (SIGINT, SIGTERM) */
  readonly shutdownRequested: Promise<string>;
  /** how devnet starts `mimi-hub serve` */
  readonly serveCommand: ServeCommand;
}

const USAGE = `usage: mimi-hub serve --config FILE
       mimi-hub devnet [--dir .devnet] [--providers a.example,b.example,c.example] [--base-port 7443]

  serve    run one provider from a JSON configuration (see apps/hub/README.md);
           SIGINT or SIGTERM stop it gracefully
  devnet   create (once) a development CA, certificates and configurations,
           run one provider per domain on 127.0.0.1:<base-port + i>, print
           "<domain> <url>" as each answers /healthz; Ctrl-C stops them all`;

class UsageError extends Error {}

function parseCommandLine(argv: readonly string[]) {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string" },
      dir: { type: "string" },
      providers: { type: "string" },
      "base-port": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  return { positionals, values };
}

function basePortOf(text: string | undefined): number {
  const port = Number(text ?? "7443");
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`--base-port must be a port number, not ${text}`);
  return port;
}

function providersOf(text: string | undefined): string[] {
  const providers = (text ?? "a.example,b.example,c.example").split(",").map((domain) => domain.trim());
  if (providers.some((domain) => domain === "") || new Set(providers).size !== providers.length) {
    throw new UsageError("--providers must be distinct domains separated by commas");
  }
  return providers;
}

async function serve(configPath: string, io: CliIo): Promise<number> {
  const config = await loadConfig(configPath);
  const logger = createLogger(config.domain, config.logLevel, { write: (line: string) => io.writeStdout(line) });
  const hub = await startHub(config, { logger });
  const signal = await io.shutdownRequested;
  logger.info({ signal }, "shutting down");
  await hub.close();
  return 0;
}

/** Runs the CLI; returns the exit status (2: usage, 1: failure). Errors are printed as `error: <message>`, never as stack traces. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const { positionals, values } = parseCommandLine(argv);
    const [command, ...extra] = positionals;
    if (values.help) {
      io.writeStdout(`${USAGE}\n`);
      return 0;
    }
    if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
    if (command === "serve") {
      if (values.config === undefined) throw new UsageError("serve needs --config FILE");
      return await serve(values.config, io);
    }
    if (command === "devnet") {
      const options = {
        dir: values.dir ?? ".devnet",
        providers: providersOf(values.providers),
        basePort: basePortOf(values["base-port"]),
      };
      return await runDevnet(options, io.serveCommand, io);
    }
    throw new UsageError(command === undefined ? "a command is needed" : `unknown command ${command}`);
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
      io.writeStderr(`error: ${(error as Error).message}\n${USAGE}\n`);
      return 2;
    }
    io.writeStderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
