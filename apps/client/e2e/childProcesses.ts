import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface TrackedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
}

/** How long a process may take to stop after SIGTERM before it gets SIGKILL (a guard, not a timing assertion). */
const STOP_GRACE_MS = 30_000;

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Every process a test starts, by PID: `stopAll` (in `afterAll`) ends those
 * still running, whether the test passed or failed.
 */
export class ChildProcesses {
  private readonly tracked = new Set<TrackedProcess>();

  /** `node <script> ...args` with this Node. */
  startNode(script: string, args: readonly string[], options: SpawnOptions): TrackedProcess {
    const child = spawn(process.execPath, [script, ...args], options);
    const exited = new Promise<Exit>((resolve) => {
      // "close", not "exit": the process has ended and its output has been read.
      child.once("close", (code, signal) => resolve({ code, signal }));
      // A process that could not be started emits no close: settle anyway.
      child.once("error", () => resolve({ code: child.exitCode, signal: child.signalCode }));
    });
    const tracked = { child, exited };
    this.tracked.add(tracked);
    void exited.then(() => this.tracked.delete(tracked));
    return tracked;
  }

  /** SIGTERM to every process still running (a devnet stops its providers on it), SIGKILL to any that outlives the grace. */
  async stopAll(): Promise<void> {
    const running = [...this.tracked].filter(({ child }) => isRunning(child));
    for (const { child } of running) child.kill("SIGTERM");
    await Promise.all(
      running.map(async ({ child, exited }) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
