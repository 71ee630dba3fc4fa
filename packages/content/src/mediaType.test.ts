import { describe, expect, it } from "vitest";
import { isTextualMediaType, type MediaType, mediaTypeMatches, parseMediaType } from "./mediaType.js";

function parsed(text: string): MediaType {
  const mediaType = parseMediaType(text);
  if (mediaType === undefined) throw new Error(`test setup: ${text} should parse`);
  return mediaType;
}

describe("parseMediaType", () => {
  it("lower-cases type, subtype and parameter names but keeps values", () => {
    const mediaType = parsed("Text/Markdown; Variant=GFM-MIMI");
    expect(mediaType.type).toBe("text");
    expect(mediaType.subtype).toBe("markdown");
    expect([...mediaType.parameters]).toEqual([["variant", "GFM-MIMI"]]);
  });

  it("unquotes quoted-string values, including escaped characters", () => {
    expect(parsed('text/plain;charset="utf-8"').parameters.get("charset")).toBe("utf-8");
    expect(parsed('application/x-test;name="a \\"b\\";c"').parameters.get("name")).toBe('a "b";c');
  });

  it("accepts whitespace around semicolons and empty parameters", () => {
    const mediaType = parsed("  text/plain ;  charset=utf-8 ;; format=flowed ; ");
    expect([...mediaType.parameters]).toEqual([
      ["charset", "utf-8"],
      ["format", "flowed"],
    ]);
  });

  it.each([
    "",
    "text",
    "text/",
    "/plain",
    "text/plain/extra",
    "text /plain",
    "text/plain;charset",
    "text/plain;charset=",
    'text/plain;charset="utf-8',
    "text/plain;charset=utf 8",
    "text/plain;charset=utf-8;CHARSET=latin1",
    "image/png garbage",
  ])("rejects %j", (text) => {
    expect(parseMediaType(text)).toBeUndefined();
  });
});

describe("mediaTypeMatches", () => {
  const matches = (candidate: string, supported: string) => mediaTypeMatches(parsed(candidate), parsed(supported));

  it("compares type and subtype ignoring case", () => {
    expect(matches("IMAGE/PNG", "image/png")).toBe(true);
    expect(matches("image/png", "image/gif")).toBe(false);
    expect(matches("image/png", "text/png")).toBe(false);
  });

  it("requires every parameter of the supported entry, ignoring extra ones on the part", () => {
    expect(matches("text/html;charset=utf-8", "text/html")).toBe(true);
    expect(matches("text/plain", "text/plain;charset=utf-8")).toBe(false);
    expect(matches("text/plain;format=flowed;charset=utf-8", "text/plain;charset=utf-8")).toBe(true);
  });

  it("compares charset values ignoring case, other values exactly", () => {
    expect(matches("text/plain;CHARSET=UTF-8", "text/plain;charset=utf-8")).toBe(true);
    expect(matches("text/plain;charset=us-ascii", "text/plain;charset=utf-8")).toBe(false);
    expect(matches("text/markdown;variant=GFM-MIMI", "text/markdown;variant=GFM-MIMI")).toBe(true);
    expect(matches("text/markdown;variant=gfm-mimi", "text/markdown;variant=GFM-MIMI")).toBe(false);
    expect(matches("text/markdown;variant=CommonMark", "text/markdown;variant=GFM-MIMI")).toBe(false);
  });
});

describe("isTextualMediaType", () => {
  it.each([
    ["text/html;charset=utf-8", true],
    ["text/markdown;variant=GFM-MIMI", true],
    ["image/svg+xml", true],
    ["application/xhtml+xml", true],
    ["image/png", false],
    ["application/json", false],
    ["application/mimi-content", false],
  ])("%s -> %s", (text, textual) => {
    expect(isTextualMediaType(parsed(text))).toBe(textual);
  });
});
