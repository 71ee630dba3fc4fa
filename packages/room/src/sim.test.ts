import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runSimulation, simulationPhases } from "./sim.js";

const run = promisify(execFile);
const bin = fileURLToPath(new URL("../dist/simBin.js", import.meta.url));

/** The installed mimi-sim (`pnpm test` builds before testing). */
function simBin(args: readonly string[]) {
  return run(process.execPath, [bin, ...args], { encoding: "utf8" });
}

describe("runSimulation", () => {
  it("runs the plan for 4 users: the Hub matches every member after every epoch and refuses every violation", async () => {
    const report = await runSimulation({ members: 4, seed: 2 });
    // The plan (sim.ts): batches of ceil(4 / 4) = 1 user, so 4 commits adding users; then one commit
    // each for the roles, the metadata and the removals, and two for the re-join (list, external commit).
    expect(report.epochs).toBe(4 + 5);
    expect(report.hubMatchedMembers).toBe(report.epochs);
    // One violation per phase after creation.
    expect(report.violationsAttempted).toBe(simulationPhases.length - 1);
    expect(report.rejectedAsExpected).toBe(report.violationsAttempted);
    expect(report.messages).toBe(3);
    expect(Object.keys(report.ms)).toEqual([...simulationPhases]);
    expect(report).toMatchObject({ members: 4, seed: 2 });
  });

  it("with 9 users adds them in 3 batches of 3", async () => {
    const report = await runSimulation({ members: 9, seed: 5 });
    expect(report.epochs).toBe(3 + 5);
    expect(report.hubMatchedMembers).toBe(report.epochs);
    expect(report.rejectedAsExpected).toBe(report.violationsAttempted);
  });

  it("refuses fewer than 3 users and a seed that is not a uint32", async () => {
    await expect(runSimulation({ members: 2, seed: 1 })).rejects.toThrow(RangeError);
    await expect(runSimulation({ members: 3, seed: -1 })).rejects.toThrow(RangeError);
    await expect(runSimulation({ members: 3, seed: 2 ** 32 })).rejects.toThrow(RangeError);
  });
});

describe("mimi-sim", () => {
  it("prints exactly one JSON line", async () => {
    const { stdout, stderr } = await simBin(["--members", "3", "--seed", "9"]);
    expect(stderr).toBe("");
    const lines = stdout.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe("");
    const report = JSON.parse(lines[0] ?? "");
    expect(report).toMatchObject({ members: 3, seed: 9, epochs: 3 + 5, hubMatchedMembers: 3 + 5 });
    expect(report.rejectedAsExpected).toBe(report.violationsAttempted);
  });

  it.each([
    [["--members", "2"], "error: --members must be between 3 and 10000\n"],
    [["--members", "ten"], 'error: --members must be a whole number, got "ten"\n'],
    [["--seed", "4294967296"], "error: --seed must be between 0 and 4294967295\n"],
    [["--rounds", "3"], /^error: [^\n]*'--rounds'[^\n]*\n$/],
    [["3"], /^error: [^\n]*'3'[^\n]*\n$/],
  ])("%j: one error line on stderr, exit status 1", async (args, message) => {
    const failed = await simBin(args).then(
      () => expect.fail("mimi-sim succeeded"),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe("");
    if (typeof message === "string") expect(failed.stderr).toBe(message);
    else expect(failed.stderr).toMatch(message);
  });
});
