import { hexToBytes } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { CborFloat, CborSimple, CborTag, type CborValue } from "./cborValue.js";
import { decode, encode } from "./codec.js";
import { ContentError } from "./errors.js";
import type { MimiContent, NestedPart } from "./types.js";

/**
 * Documents assembled from hex pieces (RFC 8949 s.3): each case swaps one
 * field of a valid document for a piece that breaks one rule.
 */
const text = (value: string): string => {
  const bytes = new TextEncoder().encode(value);
  if (bytes.length >= 24) throw new Error("test helper handles short text only");
  return (0x60 + bytes.length).toString(16) + Buffer.from(bytes).toString("hex");
};
const nullPart = `8301${text("")}00`;
const singlePart = (content = "41ff") => `8501${text("")}01${text("text/plain")}${content}`;
const valid = {
  salt: `50${"11".repeat(16)}`,
  replaces: "f6",
  topicId: "40",
  expires: "f6",
  inReplyTo: "f6",
  extensions: "a0",
  nestedPart: nullPart,
};
type Field = keyof typeof valid;
const doc = (overrides: Partial<Record<Field, string>> = {}, tail = ""): Uint8Array =>
  hexToBytes(
    `87${Object.entries({ ...valid, ...overrides })
      .map(([, piece]) => piece)
      .join("")}${tail}`,
  );

function rejection(bytes: Uint8Array): ContentError {
  try {
    decode(bytes);
  } catch (error) {
    if (error instanceof ContentError) return error;
    throw error;
  }
  throw new Error("decode accepted the document");
}

describe("decode accepts", () => {
  it("the minimal valid document", () => {
    const message = decode(doc());
    expect(message.nestedPart).toEqual({ disposition: 1, language: "", cardinality: "nullpart" });
    expect(message.extensions.size).toBe(0);
  });

  it("every disposition 0..255 and every part semantics", () => {
    expect(decode(doc({ nestedPart: `8318ff${text("")}00` })).nestedPart.disposition).toBe(255);
    for (const [code, name] of ["chooseOne", "singleUnit", "processAll"].entries()) {
      const part = decode(doc({ nestedPart: `8501${text("")}030${code}82${singlePart()}${nullPart}` })).nestedPart;
      expect(part.cardinality === "multi" && part.partSemantics).toBe(name);
    }
  });

  it("large extension values (the 4095-octet limit of the s.4.3 snippet was dropped)", () => {
    const big = "x".repeat(5000);
    const bytes = encode({ ...decode(doc()), extensions: new Map([[3, big]]) });
    expect(decode(bytes).extensions.get(3)).toBe(big);
  });

  it("extension depth of exactly 4 (the example of content-08 s.6.3)", () => {
    const value: CborValue = [
      [hexToBytes("1234"), new CborTag(32, "http://example.com")],
      [hexToBytes("3456"), 5771],
    ];
    const bytes = encode({ ...decode(doc()), extensions: new Map<number | string, CborValue>([[256, value]]) });
    expect(decode(bytes).extensions.get(256)).toEqual(value);
  });

  it("NestedPart depth of exactly 4 (the nesting of multipart-3)", () => {
    const level4 = `8501${text("")}0300` + `82${singlePart()}${nullPart}`;
    const level3 = `8501${text("")}0300` + `82${level4}${nullPart}`;
    const level2 = `8501${text("")}0300` + `82${level3}${nullPart}`;
    expect(() => decode(doc({ nestedPart: level2 }))).not.toThrow();
  });
});

describe("decode rejects, naming the field", () => {
  const cases: [string, Uint8Array, string, RegExp][] = [
    ["a top-level map", hexToBytes("a0"), "mimiContent", /expected array/],
    ["6 items", hexToBytes(`86${Object.values(valid).slice(0, 6).join("")}`), "mimiContent", /7 items/],
    ["trailing bytes", doc({}, "00"), "mimiContent", /1 trailing byte/],
    ["two documents", doc({}, Buffer.from(doc()).toString("hex")), "mimiContent", /trailing/],
    ["a cut-off document", doc().subarray(0, doc().length - 1), "nestedPart", /length exceeds/],
    ["an array longer than the input", doc().subarray(0, 1), "mimiContent", /length exceeds/],
    ["a salt cut short", doc().subarray(0, 10), "salt", /length exceeds/],
    ["empty input", new Uint8Array(0), "mimiContent", /end of input/],
    ["a 15-octet salt", doc({ salt: `4f${"11".repeat(15)}` }), "salt", /16 bytes/],
    ["a text salt", doc({ salt: text("x") }), "salt", /expected byte string, found text string/],
    ["a 31-octet replaces", doc({ replaces: `581f${"00".repeat(31)}` }), "replaces", /32 bytes/],
    ["a 33-octet inReplyTo", doc({ inReplyTo: `5821${"00".repeat(33)}` }), "inReplyTo", /32 bytes/],
    ["a null topicId", doc({ topicId: "f6" }), "topicId", /expected byte string, found null/],
    ["expires of 3 items", doc({ expires: "83f40000" }), "expires", /2 items/],
    ["expires.relative not a bool", doc({ expires: "820000" }), "expires.relative", /expected boolean/],
    ["expires.time beyond 32 bits", doc({ expires: "82f41b0000000100000000" }), "expires.time", /exceeds/],
    ["a non-shortest integer", doc({ nestedPart: `831801${text("")}00` }), "nestedPart.disposition", /shortest/],
    ["a non-shortest length", doc({ topicId: "5800" }), "topicId", /shortest/],
    ["an indefinite-length byte string", doc({ topicId: "5fff" }), "topicId", /indefinite/],
    ["an indefinite-length array", doc({ nestedPart: `9f01${text("")}00ff` }), "nestedPart", /indefinite/],
    ["a length past the end", doc({ topicId: "5a7fffffff" }), "topicId", /length exceeds/],
    ["reserved additional information", doc({ topicId: "5c" }), "topicId", /reserved/],
    ["disposition 256", doc({ nestedPart: `83190100${text("")}00` }), "nestedPart.disposition", /exceeds 255/],
    ["cardinality 4", doc({ nestedPart: `8301${text("")}04` }), "nestedPart.cardinality", /unknown cardinality 4/],
    ["a single part of 4 items", doc({ nestedPart: `8401${text("")}01${text("a")}` }), "nestedPart", /5 items/],
    ["a null part of 4 items", doc({ nestedPart: `8401${text("")}0000` }), "nestedPart", /3 items/],
    ["a NestedPart of 2 items", doc({ nestedPart: `8201${text("")}` }), "nestedPart", /at least 3/],
    [
      "part semantics 3",
      doc({ nestedPart: `8501${text("")}0303${`82${nullPart}${nullPart}`}` }),
      "nestedPart.partSemantics",
      /unknown part semantics 3/,
    ],
    [
      "a multipart of one part",
      doc({ nestedPart: `8501${text("")}0300${`81${nullPart}`}` }),
      "nestedPart.parts",
      /at least 2 parts/,
    ],
    [
      "a bad part deep inside",
      doc({ nestedPart: `8501${text("")}0302${`82${nullPart}8501${text("")}01${text("a")}f6`}` }),
      "nestedPart.parts[1].content",
      /expected byte string, found null/,
    ],
    [
      "a contentType that is not text",
      doc({ nestedPart: `8501${text("")}0302${`82${nullPart}8501${text("")}0141ff41ff`}` }),
      "nestedPart.parts[1].contentType",
      /expected text string/,
    ],
    ["invalid UTF-8 in a language", doc({ nestedPart: "830162c328" + "00" }), "nestedPart.language", /UTF-8/],
    ["an overlong UTF-8 encoding", doc({ nestedPart: "830162c0af" + "00" }), "nestedPart.language", /UTF-8/],
    ["a UTF-16 surrogate encoded in UTF-8", doc({ nestedPart: "830163eda080" + "00" }), "nestedPart.language", /UTF-8/],
    ["a map key that is not int or text", doc({ extensions: "a14100f6" }), "extensions.key[0]", /integer or a text/],
    ["an empty text key", doc({ extensions: `a1${text("")}00` }), "extensions.key[0]", /1\.\.255 octets/],
    ["a 256-octet text key", doc({ extensions: `a1790100${"61".repeat(256)}00` }), "extensions.key[0]", /1\.\.255/],
    ["an integer key beyond 2^53-1", doc({ extensions: "a11b002000000000000000" }), "extensions.key[0]", /exceeds/],
    [
      "a negative key below -(2^53-1)",
      doc({ extensions: `a13b${"001fffffffffffff"}00` }),
      "extensions.key[0]",
      /below/,
    ],
    ["duplicate keys", doc({ extensions: "a203000300" }), "extensions.key[1]", /duplicate/],
    ["unsorted keys", doc({ extensions: "a204000300" }), "extensions.key[1]", /order/],
    ["text keys sorted before integers", doc({ extensions: `a2${text("a")}000300` }), "extensions.key[1]", /order/],
    ["key 1 holding an integer", doc({ extensions: "a10100" }), "extensions[1]", /text string/],
    ["key 2 holding bytes", doc({ extensions: "a10240" }), "extensions[2]", /text string/],
    ["extension depth 5", doc({ extensions: "a1038181818100" }), "extensions[3][0][0][0]", /deeper than 4/],
    ["a tag beyond depth 4", doc({ extensions: "a103818181c100" }), "extensions[3][0][0][0]", /deeper than 4/],
    ["a NaN that is not f97e00", doc({ extensions: "a103f97e01" }), "extensions[3]", /NaN/],
    ["a single-width NaN", doc({ extensions: "a103fa7fc00000" }), "extensions[3]", /NaN/],
    ["a float that fits half width", doc({ extensions: "a103fa3fc00000" }), "extensions[3]", /shortest/],
    ["a double that fits single width", doc({ extensions: "a103fb3ff8000000000000" }), "extensions[3]", /shortest/],
    ["simple value 24 in two bytes", doc({ extensions: "a103f818" }), "extensions[3]", /simple value 24/],
    ["a stray break", doc({ extensions: "a103ff" }), "extensions[3]", /break/],
    ["a bignum that fits 64 bits", doc({ extensions: "a103c24101" }), "extensions[3]", /fits a plain integer/],
    [
      "a bignum with a leading zero",
      doc({ extensions: `a103c2490001${"00".repeat(7)}` }),
      "extensions[3]",
      /leading zero/,
    ],
    ["a nested map with a float key", doc({ extensions: "a103a1f93c0000" }), "extensions[3].key[0]", /map key/],
    ["a nested map out of order", doc({ extensions: "a103a202000100" }), "extensions[3].key[1]", /order/],
  ];

  it.each(cases)("%s", (_description, bytes, path, reason) => {
    const error = rejection(bytes);
    expect(error.path).toBe(path);
    expect(error.reason).toMatch(reason);
    expect(error.message).toBe(`${path}: ${error.reason}`);
  });

  it("NestedPart depth 5", () => {
    let part = `8501${text("")}0300` + `82${nullPart}${nullPart}`;
    for (let level = 0; level < 4; level++) part = `8501${text("")}0300` + `82${part}${nullPart}`;
    const error = rejection(doc({ nestedPart: part }));
    expect(error.path).toBe("nestedPart.parts[0].parts[0].parts[0].parts[0]");
    expect(error.reason).toMatch(/deeper than 4/);
  });

  it("anything that is not bytes", () => {
    expect(() => decode("87" as unknown as Uint8Array)).toThrow(ContentError);
  });
});

describe("encode", () => {
  const base = decode(doc());
  const single = (content: Uint8Array): NestedPart => ({
    disposition: 1,
    language: "",
    cardinality: "single",
    contentType: "text/plain",
    content,
  });

  it("writes deterministic CBOR: extension map sorted by encoded key", () => {
    const extensions = new Map<number | string, CborValue>([
      ["b", 1],
      [-1, 2],
      [24, 3],
      ["a", 4],
      [1, "mimi://a.example/u/alice"],
    ]);
    const decoded = decode(encode({ ...base, extensions }));
    expect([...decoded.extensions.keys()]).toEqual([1, 24, -1, "a", "b"]);
  });

  it("writes floats in the shortest width and NaN as f97e00", () => {
    const floats = [1.5, 100000.5, 1.1, Number.NaN, -0, Number.POSITIVE_INFINITY, 2 ** -24];
    const widths = [3, 5, 9, 3, 3, 3, 3];
    floats.forEach((value, i) => {
      const bytes = encode({ ...base, extensions: new Map([[3, new CborFloat(value)]]) });
      // The same document as doc(), plus one map entry: key 3 (one byte) and the float.
      expect(bytes.length - doc().length - 1).toBe(widths[i]);
      expect(decode(bytes).extensions.get(3)).toEqual(new CborFloat(value));
    });
  });

  it("round-trips bignums, simple values and undefined", () => {
    const values: CborValue[] = [
      1n << 70n,
      -(1n << 70n),
      (1n << 64n) - 1n,
      new CborSimple(99),
      undefined,
      new CborSimple(0),
    ];
    for (const value of values) {
      const bytes = encode({ ...base, extensions: new Map([[3, value]]) });
      const extensions = decode(bytes).extensions;
      expect(extensions.has(3)).toBe(true);
      expect(extensions.get(3)).toEqual(value);
    }
  });

  const refusals: [string, MimiContent, string][] = [
    ["a short salt", { ...base, salt: new Uint8Array(15) }, "salt"],
    ["a short replaces", { ...base, replaces: new Uint8Array(31) }, "replaces"],
    ["expires.time beyond 32 bits", { ...base, expires: { relative: true, time: 2 ** 32 } }, "expires.time"],
    ["a fractional expires.time", { ...base, expires: { relative: true, time: 1.5 } }, "expires.time"],
    [
      "disposition 256",
      { ...base, nestedPart: { ...single(new Uint8Array()), disposition: 256 } },
      "nestedPart.disposition",
    ],
    ["an empty text key", { ...base, extensions: new Map([["", 1]]) }, "extensions.key[0]"],
    ["an unsafe integer value", { ...base, extensions: new Map([[3, 2 ** 53]]) }, "extensions[3]"],
    ["a non-integer number", { ...base, extensions: new Map([[3, 0.5]]) }, "extensions[3]"],
    ["key 1 holding a number", { ...base, extensions: new Map([[1, 5]]) }, "extensions[1]"],
    ["a lone surrogate", { ...base, extensions: new Map([[3, "\ud800"]]) }, "extensions[3]"],
    ["extension depth 5", { ...base, extensions: new Map([[3, [[[[1]]]]]]) }, "extensions[3][0][0][0]"],
    ["simple value 24", { ...base, extensions: new Map([[3, new CborSimple(24)]]) }, "extensions[3]"],
    ["a bignum tag", { ...base, extensions: new Map([[3, new CborTag(2, new Uint8Array(9))]]) }, "extensions[3]"],
    [
      "duplicate byte-string keys in a nested map",
      {
        ...base,
        extensions: new Map([
          [
            3,
            new Map([
              [new Uint8Array([1]), 1],
              [new Uint8Array([1]), 2],
            ]),
          ],
        ]),
      },
      "extensions[3][h'01']",
    ],
    [
      "a multipart of one part",
      {
        ...base,
        nestedPart: {
          disposition: 1,
          language: "",
          cardinality: "multi",
          partSemantics: "chooseOne",
          parts: [single(new Uint8Array())],
        },
      },
      "nestedPart.parts",
    ],
    [
      "an unknown cardinality",
      { ...base, nestedPart: { disposition: 1, language: "", cardinality: "double" } as unknown as NestedPart },
      "nestedPart.cardinality",
    ],
  ];

  it.each(refusals)("refuses %s", (_description, message, path) => {
    let thrown: unknown;
    try {
      encode(message);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ContentError);
    expect((thrown as ContentError).path).toBe(path);
  });
});
