/**
 * The `mimi` command line of this package's build (`dist/bin.js`), each
 * command a child process with `--home <homes>/<name>`: one home per device.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildProcesses, Exit } from "./childProcesses.js";

export const MIMI_BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

/** How long one command may run before it counts as hung and is killed (a guard, not a timing assertion). */
const COMMAND_GUARD_MS = 120_000;

export interface MimiRun {
  readonly exit: Exit;
  readonly stdout: string;
  readonly stderr: string;
}

export class MimiCommand {
  constructor(
    private readonly processes: ChildProcesses,
    private readonly homes: string,
  ) {}

  /** The home directory of the device `name`. */
  home(name: string): string {
    return join(this.homes, name);
  }

  /** `mimi --home <home of name> ...argv`, whatever its outcome. */
  async run(name: string, ...argv: string[]): Promise<MimiRun> {
    const command = this.processes.startNode(MIMI_BIN, ["--home", this.home(name), ...argv], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: COMMAND_GUARD_MS,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    command.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    command.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const exit = await command.exited;
    return { exit, stdout, stderr };
  }

  /** What a command that must succeed prints; its failure throws with the command line and what it said. */
  async text(name: string, ...argv: string[]): Promise<string> {
    const { exit, stdout, stderr } = await this.run(name, ...argv);
    if (exit.code !== 0 || stderr !== "") {
      throw new Error(`mimi --home ${name} ${argv.join(" ")}: exit ${exit.signal ?? exit.code}: ${stderr}${stdout}`);
    }
    return stdout;
  }

  /** A command that must succeed, with `--json`: its output parsed. */
  async json<T>(name: string, ...argv: string[]): Promise<T> {
    return JSON.parse(await this.text(name, ...argv, "--json")) as T;
  }
}
