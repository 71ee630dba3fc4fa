import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode } from "./codec.js";
import { ContentError } from "./errors.js";
import {
  type CidReference,
  indexParts,
  planRendering,
  REQUIRED_MEDIA_TYPES,
  type ReceiverCapabilities,
  type RenderPlan,
  type SkippedPart,
} from "./render.js";
import { VECTOR_DIR } from "./test-support/vectors.js";
import {
  Disposition,
  type ExternalPart,
  type MimiContent,
  type MultiPart,
  type NestedPart,
  type NullPart,
  type PartSemanticsName,
  type SinglePart,
} from "./types.js";

function vector(name: string): MimiContent {
  return decode(new Uint8Array(readFileSync(join(VECTOR_DIR, `${name}.cbor`))));
}

interface PartOptions {
  readonly disposition?: number;
  readonly language?: string;
}

function single(contentType: string, content = "", options: PartOptions = {}): SinglePart {
  return {
    cardinality: "single",
    disposition: options.disposition ?? Disposition.render,
    language: options.language ?? "",
    contentType,
    content: new TextEncoder().encode(content),
  };
}

function external(contentType: string, options: PartOptions = {}): ExternalPart {
  return {
    cardinality: "external",
    disposition: options.disposition ?? Disposition.render,
    language: options.language ?? "",
    contentType,
    url: "https://example.com/x",
    expires: 0,
    size: 0n,
    encAlg: 0,
    key: new Uint8Array(),
    nonce: new Uint8Array(),
    aad: new Uint8Array(),
    hashAlg: 0,
    contentHash: new Uint8Array(),
    description: "",
    filename: "",
  };
}

function multi(partSemantics: PartSemanticsName, parts: NestedPart[], options: PartOptions = {}): MultiPart {
  return {
    cardinality: "multi",
    disposition: options.disposition ?? Disposition.render,
    language: options.language ?? "",
    partSemantics,
    parts,
  };
}

function nullPart(): NullPart {
  return { cardinality: "nullpart", disposition: Disposition.unspecified, language: "" };
}

const processedIndexes = (plan: RenderPlan) => plan.processed.map((p) => p.partIndex);

/** Skipped parts as `[partIndex, reason, the index the reason points at]` for compact expectations. */
function skips(plan: RenderPlan): [number, SkippedPart["reason"], number?][] {
  return plan.skipped.map((skip) => {
    switch (skip.reason) {
      case "notChosen":
        return [skip.partIndex, skip.reason, skip.chooseOneIndex];
      case "incompleteUnit":
        return [skip.partIndex, skip.reason, skip.singleUnitIndex];
      case "referenced":
        return [skip.partIndex, skip.reason, skip.embeddedIn];
      default:
        return [skip.partIndex, skip.reason];
    }
  });
}

function referencesOf(plan: RenderPlan, partIndex: number): readonly CidReference[] {
  const entry = plan.processed.find((p) => p.partIndex === partIndex);
  if (entry === undefined) throw new Error(`part ${partIndex} was not processed`);
  return entry.references;
}

describe("indexParts", () => {
  // content-08 Appendix "Complicated Nested Example": the part index table, with
  // the depth read from its indentation (root at level 1, as in s.6.3).
  const NESTING_EXAMPLE_TABLE = [
    { partIndex: 0, depth: 1, description: "choose either GIF or PNG", shape: "multi chooseOne" },
    { partIndex: 1, depth: 2, description: "(with GIF) process all", shape: "multi processAll" },
    { partIndex: 2, depth: 3, description: "choose either English or French", shape: "multi chooseOne" },
    { partIndex: 3, depth: 4, description: "English", shape: "single text/html;charset=utf-8 en" },
    { partIndex: 4, depth: 4, description: "French", shape: "single text/html;charset=utf-8 fr" },
    { partIndex: 5, depth: 3, description: "GIF", shape: "single image/gif " },
    { partIndex: 6, depth: 2, description: "(with PNG) process all", shape: "multi processAll" },
    { partIndex: 7, depth: 3, description: "choose either English or French", shape: "multi chooseOne" },
    { partIndex: 8, depth: 4, description: "English", shape: "single text/html;charset=utf-8 en" },
    { partIndex: 9, depth: 4, description: "French", shape: "single text/html;charset=utf-8 fr" },
    { partIndex: 10, depth: 3, description: "PNG", shape: "single image/png " },
  ];

  function shapeOf(part: NestedPart): string {
    switch (part.cardinality) {
      case "multi":
        return `multi ${part.partSemantics}`;
      case "single":
      case "external":
        return `${part.cardinality} ${part.contentType} ${part.language}`;
      case "nullpart":
        return "nullpart";
    }
  }

  it("numbers the multipart-3 vector as the appendix table does", () => {
    const indexed = indexParts(vector("multipart-3"));
    expect(indexed.map((p) => ({ partIndex: p.partIndex, depth: p.depth, shape: shapeOf(p.part) }))).toEqual(
      NESTING_EXAMPLE_TABLE.map(({ partIndex, depth, shape }) => ({ partIndex, depth, shape })),
    );
  });

  it("gives each part its field path", () => {
    const paths = indexParts(vector("multipart-3")).map((p) => p.path);
    expect(paths[0]).toBe("nestedPart");
    expect(paths[4]).toBe("nestedPart.parts[0].parts[0].parts[1]");
    expect(paths[5]).toBe("nestedPart.parts[0].parts[1]");
    expect(paths[9]).toBe("nestedPart.parts[1].parts[0].parts[1]");
    expect(paths[10]).toBe("nestedPart.parts[1].parts[1]");
  });

  it("indexes a bare NestedPart like the body of a message", () => {
    const message = vector("multipart-3");
    expect(indexParts(message.nestedPart)).toEqual(indexParts(message));
    expect(indexParts(single("text/plain;charset=utf-8"))).toHaveLength(1);
  });
});

describe("planRendering on the draft's vectors", () => {
  it("multipart-1: a MIMI-only receiver renders the GFM-MIMI alternative", () => {
    const plan = planRendering(vector("multipart-1"), { supportedTypes: [] });
    expect(processedIndexes(plan)).toEqual([1]);
    expect(skips(plan)).toEqual([[2, "unsupportedType"]]);
    expect(plan.renderable).toBe(true);
  });

  it("multipart-1: a same-vendor receiver prefers its proprietary format over the sender's order", () => {
    const plan = planRendering(vector("multipart-1"), {
      supportedTypes: ["application/vnd.examplevendor-fancy-im-message"],
    });
    expect(processedIndexes(plan)).toEqual([2]);
    expect(skips(plan)).toEqual([[1, "notChosen", 0]]);
  });

  it("multipart-2: every reaction of a processAll is processed, as a reaction", () => {
    const plan = planRendering(vector("multipart-2"), { supportedTypes: [] });
    expect(processedIndexes(plan)).toEqual([1, 2, 3]);
    expect(plan.processed.map((p) => p.effectiveDisposition)).toEqual([
      Disposition.reaction,
      Disposition.reaction,
      Disposition.reaction,
    ]);
    expect(plan.skipped).toEqual([]);
  });

  it("multipart-3: html + png in French renders French HTML 9 with PNG 10 embedded, not processed again", () => {
    const plan = planRendering(vector("multipart-3"), {
      supportedTypes: ["text/html", "image/png"],
      languages: ["fr"],
    });
    expect(processedIndexes(plan)).toEqual([9]);
    expect(plan.processed[0]?.path).toBe("nestedPart.parts[1].parts[0].parts[1]");
    expect(plan.processed[0]?.effectiveLanguage).toBe("fr");
    expect(referencesOf(plan, 9)).toEqual([
      { uri: "cid:10@local.invalid", from: 9, target: 10, status: "embedded", supported: true },
    ]);
    expect(skips(plan)).toEqual([
      [3, "notChosen", 2],
      [4, "notChosen", 0],
      [5, "unsupportedType"],
      [8, "notChosen", 7],
      [10, "referenced", 9],
    ]);
  });

  it("multipart-3: gif but no html renders the GIF alone, inline", () => {
    const plan = planRendering(vector("multipart-3"), { supportedTypes: ["image/gif"] });
    expect(processedIndexes(plan)).toEqual([5]);
    expect(plan.processed[0]?.effectiveDisposition).toBe(Disposition.inline);
    expect(skips(plan)).toEqual([
      [3, "unsupportedType"],
      [4, "unsupportedType"],
      [8, "unsupportedType"],
      [9, "unsupportedType"],
      [10, "unsupportedType"],
    ]);
  });

  it("multipart-3: neither html nor an image type leaves nothing to render", () => {
    const plan = planRendering(vector("multipart-3"), { supportedTypes: [] });
    expect(plan.processed).toEqual([]);
    expect(plan.renderable).toBe(false);
    expect(plan.skipped.map((s) => s.reason)).toEqual(Array(6).fill("unsupportedType"));
  });

  it("multipart-3: html only renders one HTML part, its missing image reported as unsupported", () => {
    const plan = planRendering(vector("multipart-3"), { supportedTypes: ["text/html"], languages: ["en"] });
    expect(processedIndexes(plan)).toEqual([3]);
    expect(referencesOf(plan, 3)).toEqual([
      { uri: "cid:5@local.invalid", from: 3, target: 5, status: "embedded", supported: false },
    ]);
    // The GIF is handled inside the HTML part (as a fallback), so it is reported as referenced.
    expect(skips(plan)).toEqual([
      [4, "notChosen", 2],
      [5, "referenced", 3],
      [8, "notChosen", 0],
      [9, "notChosen", 7],
      [10, "unsupportedType"],
    ]);
  });

  it("multipart-3: with every type supported, the receiver's image preference picks the branch", () => {
    const preferPng = planRendering(vector("multipart-3"), {
      supportedTypes: ["text/html", "image/png", "image/gif"],
      languages: ["en"],
    });
    expect(processedIndexes(preferPng)).toEqual([8]);
    expect(referencesOf(preferPng, 8).map((r) => [r.target, r.status])).toEqual([[10, "embedded"]]);

    const preferGif = planRendering(vector("multipart-3"), {
      supportedTypes: ["text/html", "image/gif", "image/png"],
      languages: ["en"],
    });
    expect(processedIndexes(preferGif)).toEqual([3]);
    expect(referencesOf(preferGif, 3).map((r) => [r.target, r.status])).toEqual([[5, "embedded"]]);
  });

  it("multipart-3: without a language match the sender's order picks English", () => {
    for (const languages of [[], ["de"]]) {
      const plan = planRendering(vector("multipart-3"), { supportedTypes: ["text/html", "image/png"], languages });
      expect(processedIndexes(plan)).toEqual([8]);
    }
  });

  it("multipart-3: a regional receiver language matches the part's primary tag", () => {
    const plan = planRendering(vector("multipart-3"), {
      supportedTypes: ["text/html", "image/png"],
      languages: ["fr-CA", "en"],
    });
    expect(processedIndexes(plan)).toEqual([9]);
  });

  it("conferencing: an external session URL without a content type is processed as a session", () => {
    const plan = planRendering(vector("conferencing"), { supportedTypes: [] });
    expect(processedIndexes(plan)).toEqual([0]);
    expect(plan.processed[0]?.part.cardinality).toBe("external");
    expect(plan.processed[0]?.effectiveDisposition).toBe(Disposition.session);
    expect(plan.processed[0]?.references).toEqual([]);
  });

  it("accepts the body alone", () => {
    const message = vector("multipart-3");
    const receiver = { supportedTypes: ["text/html", "image/png"], languages: ["fr"] };
    expect(planRendering(message.nestedPart, receiver)).toEqual(planRendering(message, receiver));
  });
});

describe("planRendering: part semantics", () => {
  it("singleUnit renders all parts or none", () => {
    const unit = multi("singleUnit", [single("text/html", '<img src="cid:2@local.invalid">'), single("image/png")]);
    const without = planRendering(unit, { supportedTypes: ["text/html"] });
    expect(without.processed).toEqual([]);
    expect(without.renderable).toBe(false);
    expect(skips(without)).toEqual([
      [1, "incompleteUnit", 0],
      [2, "unsupportedType"],
    ]);

    const withPng = planRendering(unit, { supportedTypes: ["text/html", "image/png"] });
    expect(processedIndexes(withPng)).toEqual([1]);
    expect(skips(withPng)).toEqual([[2, "referenced", 1]]);
  });

  it("singleUnit ignores a NullPart member", () => {
    const plan = planRendering(multi("singleUnit", [single("text/plain;charset=utf-8"), nullPart()]), {
      supportedTypes: [],
    });
    expect(processedIndexes(plan)).toEqual([1]);
    expect(skips(plan)).toEqual([[2, "nullPart"]]);
  });

  it("singleUnit accepts a processAll member that renders only part of its parts", () => {
    const body = multi("singleUnit", [
      single("text/plain;charset=utf-8"),
      multi("processAll", [single("image/png"), single("image/webp")]),
    ]);
    const plan = planRendering(body, { supportedTypes: ["image/png"] });
    expect(processedIndexes(plan)).toEqual([1, 3]);
    expect(skips(plan)).toEqual([[4, "unsupportedType"]]);
  });

  it("processAll renders what it can and reports the rest", () => {
    const body = multi("processAll", [single("image/png"), single("video/mp4"), nullPart(), single("image/gif")]);
    const plan = planRendering(body, { supportedTypes: ["image/gif", "image/png"] });
    expect(processedIndexes(plan)).toEqual([1, 4]);
    expect(skips(plan)).toEqual([
      [2, "unsupportedType"],
      [3, "nullPart"],
    ]);
  });

  it("chooseOne falls back to another alternative when one selects nothing", () => {
    const body = multi("chooseOne", [
      multi("singleUnit", [single("text/html"), single("image/webp")]),
      single("text/plain;charset=utf-8"),
    ]);
    const plan = planRendering(body, { supportedTypes: ["text/html"] });
    expect(processedIndexes(plan)).toEqual([4]);
    expect(skips(plan)).toEqual([
      [2, "incompleteUnit", 1],
      [3, "unsupportedType"],
    ]);
  });

  it("chooseOne with no renderable alternative renders nothing", () => {
    const body = multi("chooseOne", [single("video/mp4"), nullPart()]);
    const plan = planRendering(body, { supportedTypes: [] });
    expect(plan.renderable).toBe(false);
    expect(skips(plan)).toEqual([
      [1, "unsupportedType"],
      [2, "nullPart"],
    ]);
  });

  it("chooseOne ranks language first, then the receiver's type order, then the sender's order", () => {
    const body = multi("chooseOne", [
      single("text/plain;charset=utf-8", "", { language: "en" }),
      single("text/html", "", { language: "de" }),
      single("text/markdown;variant=GFM-MIMI", "", { language: "de" }),
      single("text/plain;charset=utf-8", "", { language: "de" }),
    ]);
    const pick = (receiver: ReceiverCapabilities) => processedIndexes(planRendering(body, receiver));
    expect(pick({ supportedTypes: ["text/html"], languages: ["en", "de"] })).toEqual([1]);
    expect(pick({ supportedTypes: ["text/html"], languages: ["de", "en"] })).toEqual([2]);
    // Required types rank after listed ones, in the order of REQUIRED_MEDIA_TYPES.
    expect(pick({ supportedTypes: [], languages: ["de"] })).toEqual([4]);
    expect(pick({ supportedTypes: ["text/markdown;variant=GFM-MIMI"], languages: ["de"] })).toEqual([3]);
    // Nothing to tell the de alternatives from the en one but the sender's order.
    expect(pick({ supportedTypes: [], languages: ["fr"] })).toEqual([1]);
  });

  it("chooseOne takes a language from the enclosing MultiPart", () => {
    const body = multi("chooseOne", [
      multi("processAll", [single("text/plain;charset=utf-8"), single("image/png")], { language: "en" }),
      multi("processAll", [single("text/plain;charset=utf-8"), single("image/png")], { language: "fr" }),
    ]);
    const plan = planRendering(body, { supportedTypes: ["image/png"], languages: ["fr"] });
    expect(processedIndexes(plan)).toEqual([5, 6]);
    expect(plan.processed.map((p) => p.effectiveLanguage)).toEqual(["fr", "fr"]);
  });

  it("chooseOne matches any tag of a comma-separated language list", () => {
    const body = multi("chooseOne", [
      single("text/plain;charset=utf-8", "", { language: "en" }),
      single("text/plain;charset=utf-8", "", { language: "de, FR" }),
    ]);
    expect(processedIndexes(planRendering(body, { supportedTypes: [], languages: ["fr"] }))).toEqual([2]);
  });

  it("chooseOne prefers the alternative that loses fewer parts", () => {
    const body = multi("chooseOne", [
      multi("processAll", [single("text/html"), single("image/webp")]),
      multi("processAll", [single("text/html"), single("image/png")]),
    ]);
    const plan = planRendering(body, { supportedTypes: ["text/html", "image/png"] });
    expect(processedIndexes(plan)).toEqual([5, 6]);
    expect(skips(plan)).toEqual([
      [2, "notChosen", 0],
      [3, "unsupportedType"],
    ]);
  });

  it("a NullPart body has nothing to render", () => {
    const plan = planRendering(nullPart(), { supportedTypes: [] });
    expect(plan.renderable).toBe(false);
    expect(skips(plan)).toEqual([[0, "nullPart"]]);
  });
});

describe("planRendering: dispositions", () => {
  it("reads unknown dispositions 9..255 as render (content-08 s.9.1)", () => {
    for (const disposition of [9, 200, 255]) {
      const plan = planRendering(single("text/plain;charset=utf-8", "", { disposition }), { supportedTypes: [] });
      expect(plan.processed[0]?.effectiveDisposition).toBe(Disposition.render);
    }
  });

  it("takes an unspecified disposition from the enclosing part and keeps explicit ones", () => {
    const body = multi(
      "processAll",
      [
        single("text/plain;charset=utf-8", "", { disposition: Disposition.unspecified }),
        single("image/png", "", { disposition: Disposition.inline }),
      ],
      { disposition: Disposition.reaction },
    );
    const plan = planRendering(body, { supportedTypes: ["image/png"] });
    expect(plan.processed.map((p) => p.effectiveDisposition)).toEqual([Disposition.reaction, Disposition.inline]);
  });

  it("leaves unspecified when no enclosing part specifies one", () => {
    const plan = planRendering(single("text/plain;charset=utf-8", "", { disposition: Disposition.unspecified }), {
      supportedTypes: [],
    });
    expect(plan.processed[0]?.effectiveDisposition).toBe(Disposition.unspecified);
  });

  it("treats an external part without a content type as unsupported unless it is a session", () => {
    for (const disposition of [Disposition.render, Disposition.attachment, Disposition.unspecified]) {
      const plan = planRendering(external("", { disposition }), { supportedTypes: [] });
      expect(skips(plan)).toEqual([[0, "unsupportedType"]]);
    }
    const inherited = multi("processAll", [external("", { disposition: Disposition.unspecified }), nullPart()], {
      disposition: Disposition.session,
    });
    expect(processedIndexes(planRendering(inherited, { supportedTypes: [] }))).toEqual([1]);
  });

  it("ranks a session URL after every listed type in a chooseOne", () => {
    const body = multi("chooseOne", [
      external("", { disposition: Disposition.session }),
      single("application/sdp", "", { disposition: Disposition.session }),
    ]);
    expect(processedIndexes(planRendering(body, { supportedTypes: ["application/sdp"] }))).toEqual([2]);
    expect(processedIndexes(planRendering(body, { supportedTypes: [] }))).toEqual([1]);
  });

  it("processes an external part by its media type, without scanning it for references", () => {
    const plan = planRendering(multi("processAll", [external("image/png"), single("image/png")]), {
      supportedTypes: ["image/png"],
    });
    expect(processedIndexes(plan)).toEqual([1, 2]);
    expect(plan.processed.every((p) => p.references.length === 0)).toBe(true);
  });
});

describe("planRendering: media types", () => {
  it("supports the MIMI-required types by default (content-08 s.7.1)", () => {
    expect(REQUIRED_MEDIA_TYPES).toEqual([
      "application/mimi-content",
      "text/plain;charset=utf-8",
      "text/markdown;variant=GFM-MIMI",
    ]);
    const body = multi("processAll", [
      single("application/mimi-content"),
      single("text/plain; charset=UTF-8"),
      single("text/markdown;variant=GFM-MIMI;charset=utf-8"),
      single("text/markdown;variant=CommonMark"),
      single("text/plain"),
    ]);
    const plan = planRendering(body, { supportedTypes: [] });
    expect(processedIndexes(plan)).toEqual([1, 2, 3]);
    // No charset parameter: the required entry asks for charset=utf-8.
    expect(skips(plan)).toEqual([
      [4, "unsupportedType"],
      [5, "unsupportedType"],
    ]);
  });

  it("can leave the required types out", () => {
    const body = multi("processAll", [single("text/plain;charset=utf-8"), single("image/png")]);
    const plan = planRendering(body, { supportedTypes: ["image/png"], includeRequiredTypes: false });
    expect(processedIndexes(plan)).toEqual([2]);
  });

  it("treats an unparsable content type as unsupported", () => {
    const plan = planRendering(multi("processAll", [single(""), single("text plain")]), { supportedTypes: [] });
    expect(plan.renderable).toBe(false);
  });

  it("rejects a receiver entry that is not a media type, naming it", () => {
    const attempt = () => planRendering(single("image/png"), { supportedTypes: ["image/png", "png"] });
    expect(attempt).toThrow(ContentError);
    expect(attempt).toThrow("supportedTypes[1]");
  });
});

describe("planRendering: cid references (content-08 s.4.4)", () => {
  const html = "text/html;charset=utf-8";
  const receiver: ReceiverCapabilities = { supportedTypes: ["text/html", "image/png", "image/svg+xml"] };

  it("embeds a later part and then skips it, whatever its disposition", () => {
    const body = multi("processAll", [
      single(html, '<img src="cid:2@local.invalid">'),
      single("image/png", "", { disposition: Disposition.attachment }),
    ]);
    const plan = planRendering(body, receiver);
    expect(processedIndexes(plan)).toEqual([1]);
    expect(skips(plan)).toEqual([[2, "referenced", 1]]);
  });

  it("does not process again a part processed earlier", () => {
    const body = multi("processAll", [single("image/png"), single(html, '<img src="cid:1@local.invalid">')]);
    const plan = planRendering(body, receiver);
    expect(processedIndexes(plan)).toEqual([1, 2]);
    expect(referencesOf(plan, 2)).toEqual([
      { uri: "cid:1@local.invalid", from: 2, target: 1, status: "alreadyProcessed" },
    ]);
  });

  it("lets only the first of two referencing parts embed a shared part", () => {
    const body = multi("processAll", [
      single(html, '<img src="cid:3@local.invalid">'),
      single(html, '<img src="cid:3@local.invalid">'),
      single("image/png"),
    ]);
    const plan = planRendering(body, receiver);
    expect(processedIndexes(plan)).toEqual([1, 2]);
    expect(referencesOf(plan, 1).map((r) => r.status)).toEqual(["embedded"]);
    expect(referencesOf(plan, 2).map((r) => r.status)).toEqual(["alreadyProcessed"]);
    expect(skips(plan)).toEqual([[3, "referenced", 1]]);
  });

  it("marks references out of range or to a null or multi part as invalid", () => {
    const body = multi("processAll", [
      single(html, "cid:0@local.invalid cid:3@local.invalid cid:4@local.invalid cid:99@local.invalid"),
      multi("chooseOne", [nullPart(), single("image/png")]),
    ]);
    const plan = planRendering(body, receiver);
    expect(referencesOf(plan, 1)).toEqual([
      { uri: "cid:0@local.invalid", from: 1, target: 0, status: "invalid", problem: "notSingleOrExternal" },
      { uri: "cid:3@local.invalid", from: 1, target: 3, status: "invalid", problem: "notSingleOrExternal" },
      { uri: "cid:4@local.invalid", from: 1, target: 4, status: "embedded", supported: true },
      { uri: "cid:99@local.invalid", from: 1, target: 99, status: "invalid", problem: "outOfRange" },
    ]);
  });

  it("reports a self-reference as already processed", () => {
    const plan = planRendering(single(html, "cid:0@local.invalid"), receiver);
    expect(referencesOf(plan, 0).map((r) => r.status)).toEqual(["alreadyProcessed"]);
  });

  it("matches cid URIs ignoring case, once per target, and only whole URIs", () => {
    const body = multi("processAll", [
      single(
        html,
        "CID:2@LOCAL.INVALID cid:2@local.invalid xcid:3@local.invalid cid:3@local.invalidity cid:3@local.invalid.example cid:4@local.invalid.",
      ),
      single("image/png"),
      single("image/png"),
      single("image/png"),
    ]);
    const plan = planRendering(body, receiver);
    expect(referencesOf(plan, 1).map((r) => [r.uri, r.target])).toEqual([
      ["CID:2@LOCAL.INVALID", 2],
      ["cid:4@local.invalid", 4],
    ]);
    expect(processedIndexes(plan)).toEqual([1, 3]);
  });

  it("scans text and +xml parts only", () => {
    const body = multi("processAll", [
      single("application/octet-stream", "cid:4@local.invalid"),
      single("image/svg+xml", '<image href="cid:4@local.invalid"/>'),
      single("text/plain;charset=utf-8", "see cid:4@local.invalid"),
      single("image/png"),
    ]);
    const plan = planRendering(body, { supportedTypes: ["application/octet-stream", "image/svg+xml", "image/png"] });
    expect(processedIndexes(plan)).toEqual([1, 2, 3]);
    expect(referencesOf(plan, 1)).toEqual([]);
    expect(referencesOf(plan, 2).map((r) => r.status)).toEqual(["embedded"]);
    expect(referencesOf(plan, 3).map((r) => r.status)).toEqual(["alreadyProcessed"]);
  });

  it("follows references inside an embedded part, and not inside an unsupported one", () => {
    const body = multi("processAll", [
      single(html, '<img src="cid:2@local.invalid">'),
      single("image/svg+xml", '<image href="cid:3@local.invalid"/>'),
      single("image/png"),
    ]);
    const plan = planRendering(body, receiver);
    expect(processedIndexes(plan)).toEqual([1]);
    expect(referencesOf(plan, 1)).toEqual([
      { uri: "cid:2@local.invalid", from: 1, target: 2, status: "embedded", supported: true },
      { uri: "cid:3@local.invalid", from: 2, target: 3, status: "embedded", supported: true },
    ]);
    expect(skips(plan)).toEqual([
      [2, "referenced", 1],
      [3, "referenced", 1],
    ]);

    const withoutSvg = planRendering(body, { supportedTypes: ["text/html", "image/png"] });
    expect(processedIndexes(withoutSvg)).toEqual([1, 3]);
    expect(referencesOf(withoutSvg, 1).map((r) => [r.target, r.status])).toEqual([[2, "embedded"]]);
  });

  it("handles selected parts only: a reference from a part not chosen embeds nothing", () => {
    const body = multi("processAll", [
      multi("chooseOne", [single("text/plain;charset=utf-8", "hi"), single(html, '<img src="cid:4@local.invalid">')]),
      single("image/png"),
    ]);
    const plan = planRendering(body, { supportedTypes: ["text/plain;charset=utf-8", "text/html", "image/png"] });
    expect(processedIndexes(plan)).toEqual([2, 4]);
    expect(skips(plan)).toEqual([[3, "notChosen", 1]]);
  });
});

describe("planRendering: properties", () => {
  const TYPE_POOL = [
    "text/plain;charset=utf-8",
    "text/markdown;variant=GFM-MIMI",
    "text/html",
    "image/png",
    "image/gif",
    "application/x-unknown",
  ];
  const header = fc.record({
    disposition: fc.constantFrom(0, 1, 2, 4, 6, 7, 200),
    language: fc.constantFrom("", "en", "fr", "de,fr"),
  });
  const cidContent = fc
    .array(fc.nat({ max: 24 }), { maxLength: 3 })
    .map((targets) => targets.map((n) => `<img src="cid:${n}@local.invalid">`).join(" "));
  const leaf: fc.Arbitrary<NestedPart> = fc.oneof(
    fc
      .tuple(header, fc.constantFrom(...TYPE_POOL), cidContent)
      .map(([h, contentType, content]) => single(contentType, content, h)),
    fc.tuple(header, fc.constantFrom("", ...TYPE_POOL)).map(([h, contentType]) => external(contentType, h)),
    header.map((h) => ({ ...nullPart(), ...h })),
  );
  const nested = (depth: number): fc.Arbitrary<NestedPart> =>
    depth === 4
      ? leaf
      : fc.oneof(
          leaf,
          fc
            .tuple(
              header,
              fc.constantFrom<PartSemanticsName>("chooseOne", "singleUnit", "processAll"),
              fc.array(nested(depth + 1), { minLength: 2, maxLength: 3 }),
            )
            .map(([h, semantics, parts]) => multi(semantics, parts, h)),
        );
  const receiverArb = fc.record({
    supportedTypes: fc.shuffledSubarray(TYPE_POOL.slice(2)),
    languages: fc.shuffledSubarray(["fr", "en", "de"]),
  });

  it("processes each part at most once, and only supported single and external parts", () => {
    fc.assert(
      fc.property(nested(1), receiverArb, (body, receiver) => {
        const plan = planRendering(body, receiver);
        const indexes = processedIndexes(plan);
        expect(new Set(indexes).size).toBe(indexes.length);
        // In document order, as content-08 s.4.4 handles them.
        expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
        const understood = new Set([...receiver.supportedTypes, ...REQUIRED_MEDIA_TYPES]);
        for (const { part: processed, effectiveDisposition } of plan.processed) {
          const sessionUri =
            processed.cardinality === "external" &&
            processed.contentType === "" &&
            effectiveDisposition === Disposition.session;
          expect(understood.has(processed.contentType) || sessionUri).toBe(true);
        }
        expect(plan.renderable).toBe(indexes.length > 0);
      }),
    );
  });

  it("accounts for every non-multi part exactly once, and never processes an embedded one", () => {
    fc.assert(
      fc.property(nested(1), receiverArb, (body, receiver) => {
        const plan = planRendering(body, receiver);
        const accounted = [...processedIndexes(plan), ...plan.skipped.map((s) => s.partIndex)].sort((a, b) => a - b);
        const leaves = indexParts(body)
          .filter((p) => p.part.cardinality !== "multi")
          .map((p) => p.partIndex);
        expect(accounted).toEqual(leaves);
        const processed = new Set(processedIndexes(plan));
        for (const entry of plan.processed) {
          for (const reference of entry.references) {
            if (reference.status === "embedded") expect(processed.has(reference.target)).toBe(false);
          }
        }
      }),
    );
  });
});
