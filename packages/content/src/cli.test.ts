import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { type CliIo, runCli } from "./cli.js";
import { annotatedMessageId, contentVectors, VECTOR_DIR } from "./test-support/vectors.js";

const messages = contentVectors().filter((vector) => !vector.name.startsWith("implied"));

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

describe("mimi-content inspect", () => {
  it.each(messages)("prints $name as JSON with its message ID and part indexes", async ({ name, edn }) => {
    const { status, text, stderr } = await run(["inspect", `${VECTOR_DIR}${name}.cbor`]);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const json = JSON.parse(text);
    expect(json.messageId).toBe(annotatedMessageId(edn) ?? null);
    expect(json.nestedPart.partIndex).toBe(0);
  });

  it("numbers the parts depth-first (the part table of the nested example)", async () => {
    const { text } = await run(["inspect", `${VECTOR_DIR}multipart-3.cbor`]);
    const indexes: number[] = [];
    const walk = (part: { partIndex: number; parts?: unknown[] }) => {
      indexes.push(part.partIndex);
      for (const child of part.parts ?? []) walk(child as typeof part);
    };
    walk(JSON.parse(text).nestedPart);
    expect(indexes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("computes the message ID from --sender and --room when given", async () => {
    const original = `${VECTOR_DIR}original.cbor`;
    const claimed = JSON.parse((await run(["inspect", original])).text).messageId;
    const derived = JSON.parse(
      (await run(["inspect", original, "--sender", "mimi://b.example/u/bob", "--room", "mimi://b.example/r/x"])).text,
    ).messageId;
    expect(derived).toMatch(/^01[0-9a-f]{62}$/);
    expect(derived).not.toBe(claimed);
  });

  it("reads standard input for -", async () => {
    const vector = messages[0];
    if (vector === undefined) throw new Error("no vectors");
    const { status, text } = await run(["inspect", "-"], vector.cbor);
    expect(status).toBe(0);
    expect(JSON.parse(text).salt).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("inspect | encode", () => {
  it.each(messages)("reproduces $name byte for byte", async ({ name, cbor }) => {
    const inspected = await run(["inspect", `${VECTOR_DIR}${name}.cbor`]);
    const encoded = await run(["encode", "-"], inspected.stdout);
    expect(encoded.stderr).toBe("");
    expect(bytesToHex(encoded.stdout)).toBe(bytesToHex(cbor));
  });

  it("accepts contentText in place of content", async () => {
    const inspected = JSON.parse((await run(["inspect", `${VECTOR_DIR}original.cbor`])).text);
    delete inspected.nestedPart.content;
    const encoded = await run(["encode", "-"], Buffer.from(JSON.stringify(inspected)));
    const original = messages.find((vector) => vector.name === "original");
    expect(bytesToHex(encoded.stdout)).toBe(bytesToHex(original?.cbor ?? new Uint8Array()));
  });
});

describe("invalid input", () => {
  const cases: [string, string[], Uint8Array, RegExp][] = [
    [
      "truncated CBOR",
      ["inspect", "-"],
      Uint8Array.from([0x87, 0x50]),
      /^error: mimiContent: length exceeds the input\n$/,
    ],
    [
      "trailing bytes",
      ["inspect", "-"],
      Uint8Array.from([...(messages[0]?.cbor ?? []), 0]),
      /^error: mimiContent: 1 trailing/,
    ],
    [
      "a missing file",
      ["inspect", "/nonexistent/x.cbor"],
      new Uint8Array(),
      /^error: \/nonexistent\/x\.cbor: no such file\n$/,
    ],
    ["JSON that does not parse", ["encode", "-"], Buffer.from("{"), /^error: json: /],
    ["JSON of the wrong shape", ["encode", "-"], Buffer.from("[]"), /^error: message: expected an object\n$/],
    [
      "a salt of the wrong length",
      ["encode", "-"],
      Buffer.from(
        JSON.stringify({
          salt: "00",
          replaces: null,
          topicId: "",
          expires: null,
          inReplyTo: null,
          extensions: [],
          nestedPart: { disposition: 1, language: "", cardinality: "nullpart" },
        }),
      ),
      /^error: salt: must be 16 bytes, found 1\n$/,
    ],
  ];

  it.each(cases)("%s: exit 1 and one error line", async (_name, argv, stdin, message) => {
    const { status, stderr, stdout } = await run(argv, stdin);
    expect(status).toBe(1);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stdout).toHaveLength(0);
  });

  it("usage errors exit 2 with the usage", async () => {
    expect((await run([])).status).toBe(2);
    expect((await run(["frobnicate", "x"])).stderr).toMatch(/^usage: mimi-content/);
    expect((await run(["inspect", "-", "--sender", "x"])).status).toBe(2);
    expect((await run(["--help"])).status).toBe(0);
  });
});

describe("the installed binary", () => {
  const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

  it("is built (pnpm test builds before testing)", () => {
    expect(existsSync(bin)).toBe(true);
  });

  it("prints JSON for a valid file and one error line, no stack trace, for garbage", () => {
    const json = execFileSync(process.execPath, [bin, "inspect", `${VECTOR_DIR}reply.cbor`], { encoding: "utf8" });
    expect(JSON.parse(json).nestedPart.contentType).toBe("text/markdown;variant=GFM-MIMI");
    const garbage = spawnSync(process.execPath, [bin, "inspect", "-"], { input: Buffer.from([0xff, 0x00]) });
    expect(garbage.status).toBe(1);
    expect(garbage.stderr.toString()).toBe("error: mimiContent: expected array, found break\n");
  });
});
