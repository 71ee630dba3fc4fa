import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hexToBytes } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { type CliIo, runCli } from "./cli.js";
import { structs } from "./registry.js";

async function run(argv: string[], stdin: Uint8Array = new Uint8Array()) {
  const stdout: (string | Uint8Array)[] = [];
  let stderr = "";
  const io: CliIo = {
    readStdin: async () => stdin,
    writeStdout: (data) => stdout.push(data),
    writeStderr: (text) => {
      stderr += text;
    },
  };
  const status = await runCli(argv, io);
  const bytes = Buffer.concat(stdout.map((chunk) => (typeof chunk === "string" ? Buffer.from(chunk) : chunk)));
  return { status, stdout: bytes, text: bytes.toString("utf8"), stderr };
}

const vectorDir = fileURLToPath(new URL("../vectors/", import.meta.url));
const vectors = readdirSync(vectorDir)
  .filter((file) => file.endsWith(".json") && file !== "mls-fixtures.json")
  .flatMap((file) => {
    const parsed = JSON.parse(readFileSync(vectorDir + file, "utf8")) as {
      struct: string;
      vectors: { hex: string; value: unknown }[];
    };
    return parsed.vectors.map((vector) => ({ struct: parsed.struct, ...vector }));
  });

describe("mimi-inspect", () => {
  it("lists every struct name, one a line", async () => {
    const { status, text } = await run(["list"]);
    expect(status).toBe(0);
    expect(text.trimEnd().split("\n")).toEqual(structs.map((entry) => entry.name));
    expect(text).toMatch(/^KeyMaterialRequest$/m);
    expect(text).toMatch(/^SafeAAD$/m);
  });

  it.each(vectors)("decodes a $struct vector to its published value, and re-encodes it exactly", async (vector) => {
    const bytes = hexToBytes(vector.hex);
    const decoded = await run([vector.struct, "-"], bytes);
    expect(decoded.stderr).toBe("");
    expect(JSON.parse(decoded.text)).toEqual(vector.value);
    const reencoded = await run([vector.struct, "-", "--reencode"], bytes);
    expect(Buffer.from(reencoded.stdout).toString("hex")).toBe(vector.hex);
  });

  it("reads hex input with --hex", async () => {
    const vector = vectors[0];
    if (vector === undefined) throw new Error("no vectors");
    const { status, text } = await run([vector.struct, "-", "--hex"], new TextEncoder().encode(vector.hex));
    expect(status).toBe(0);
    expect(JSON.parse(text)).toEqual(vector.value);
  });

  it("answers invalid input with one line naming struct and field, status 1", async () => {
    const { status, stderr, stdout } = await run(["KeyMaterialRequest", "-"], Uint8Array.from([0x01, 0x05, 0x61]));
    expect(status).toBe(1);
    expect(stderr).toBe("error: KeyMaterialRequest.requestingUser: length past the end\n");
    expect(stdout).toHaveLength(0);
  });

  it("refuses unknown structs, missing files and bad hex", async () => {
    expect((await run(["NoSuchStruct", "-"])).status).toBe(2);
    const missing = await run(["Frank", "/nonexistent/frank.bin"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe("error: /nonexistent/frank.bin: no such file\n");
    expect((await run(["Frank", "-", "--hex"], new TextEncoder().encode("abc"))).stderr).toMatch(/^error: input: /);
    expect((await run([])).status).toBe(2);
  });
});

describe("the installed binary", () => {
  const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

  it("is built (pnpm test builds before testing)", () => {
    expect(existsSync(bin)).toBe(true);
  });

  it("prints the list and one error line without a stack trace", () => {
    expect(execFileSync(process.execPath, [bin, "list"], { encoding: "utf8" })).toMatch(/^FrankAAD$/m);
    const garbage = spawnSync(process.execPath, [bin, "FrankAAD", "-"], { input: Buffer.from([0x01]) });
    expect(garbage.status).toBe(1);
    expect(garbage.stderr.toString()).toBe("error: FrankAAD.frankingTag: unexpected end of input\n");
  });
});
