import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decode } from "./codec.js";
import { ContentError } from "./errors.js";
import { analyzeLinks, type LinkInfo } from "./links.js";
import { VECTOR_DIR } from "./test-support/vectors.js";

const MARKDOWN = "text/markdown;variant=GFM-MIMI";
const HTML = "text/html;charset=utf-8";
const ALICE = "mimi://example.com/u/alice-smith";

function only(links: LinkInfo[]): LinkInfo {
  expect(links).toHaveLength(1);
  const [link] = links;
  if (link === undefined) throw new Error("unreachable: length checked");
  return link;
}

function vectorPart(name: string): { contentType: string; content: Uint8Array } {
  const { nestedPart } = decode(readFileSync(join(VECTOR_DIR, name)));
  if (nestedPart.cardinality !== "single") throw new Error(`${name}: expected a single part`);
  return nestedPart;
}

/** The same link written as an HTML anchor, with the text escaped as HTML. */
function htmlAnchor(text: string, target: string): string {
  return `<p><a href="${target}">${text.replaceAll("&", "&amp;").replaceAll("<", "&lt;")}</a></p>`;
}

describe("analyzeLinks: the examples of content-08 s.9.6", () => {
  const matching = [
    ["example.com/foobar", "https://example.com/foobar"],
    ["https://example.com/foobar", "https://example.com/foobar"],
    ["https://example.com:443/foobar", "https://example.com/foobar"],
  ] as const;
  const alerting = [
    ["https://example.com/foobar", "https://spearphishers.example/foobar", false],
    ["https://example.com/foobar", "http://example.com/foobar", true],
  ] as const;

  it.each(matching)("follows [%s](%s) without confirmation", (text, target) => {
    expect(only(analyzeLinks(MARKDOWN, `[${text}](${target})`))).toEqual({
      text,
      target,
      kind: "link",
      textMatchesTarget: true,
      schemeDowngrade: false,
      needsConfirmation: false,
      isImage: false,
    });
  });

  it.each(alerting)("asks before following [%s](%s)", (text, target, schemeDowngrade) => {
    expect(only(analyzeLinks(MARKDOWN, `[${text}](${target})`))).toEqual({
      text,
      target,
      kind: "link",
      textMatchesTarget: false,
      schemeDowngrade,
      needsConfirmation: true,
      isImage: false,
    });
  });

  it("judges the same links written in HTML the same way", () => {
    for (const [text, target] of [...matching, ...alerting]) {
      expect(analyzeLinks(HTML, htmlAnchor(text, target))).toEqual(analyzeLinks(MARKDOWN, `[${text}](${target})`));
    }
  });

  const mentions = [
    ["no rendering preference", `<${ALICE}>`, ALICE, true],
    ["the literal URI", `[${ALICE}](${ALICE})`, ALICE, true],
    ["the canonical handle", `[@AliceSmith](${ALICE})`, "@AliceSmith", false],
    ["the first name", `[Alice](${ALICE})`, "Alice", false],
  ] as const;

  it.each(mentions)("reads a link to a user as a mention with %s: %s", (_, markdown, text, textMatchesTarget) => {
    expect(only(analyzeLinks(MARKDOWN, markdown))).toEqual({
      text,
      target: ALICE,
      kind: "mention",
      textMatchesTarget,
      schemeDowngrade: false,
      needsConfirmation: false,
      userUri: ALICE,
      isImage: false,
    });
  });

  it("treats a link to a user without a member client as an ordinary link", () => {
    const asked: string[] = [];
    const isMember = (userUri: string): boolean => {
      asked.push(userUri);
      return false;
    };
    const links = analyzeLinks(MARKDOWN, mentions.map(([, markdown]) => markdown).join("\n\n"), { isMember });
    expect(asked).toEqual([ALICE, ALICE, ALICE, ALICE]);
    expect(links.map(({ kind, needsConfirmation, userUri }) => ({ kind, needsConfirmation, userUri }))).toEqual([
      { kind: "link", needsConfirmation: false, userUri: undefined },
      { kind: "link", needsConfirmation: false, userUri: undefined },
      { kind: "link", needsConfirmation: true, userUri: undefined },
      { kind: "link", needsConfirmation: true, userUri: undefined },
    ]);
  });

  it("keeps mentions of members", () => {
    const links = analyzeLinks(MARKDOWN, `[Alice](${ALICE}) [Bob](mimi://example.com/u/bob)`, {
      isMember: (userUri) => userUri === ALICE,
    });
    expect(links.map(({ text, kind }) => [text, kind])).toEqual([
      ["Alice", "mention"],
      ["Bob", "link"],
    ]);
  });
});

describe("analyzeLinks: the mention examples of content-08 s.5.4", () => {
  const markdownPart = vectorPart("mention.cbor");
  const htmlPart = vectorPart("mention-html.cbor");

  it("finds Alice's mention in the Markdown message", () => {
    expect(markdownPart.contentType).toMatch(/^text\/markdown/);
    const mention = only(analyzeLinks(markdownPart.contentType, markdownPart.content));
    expect(mention).toMatchObject({ text: "@Alice Smith", target: ALICE, kind: "mention", userUri: ALICE });
    expect(mention.needsConfirmation).toBe(false);
  });

  it("finds the same mention in the HTML message", () => {
    expect(htmlPart.contentType).toMatch(/^text\/html/);
    expect(analyzeLinks(htmlPart.contentType, htmlPart.content)).toEqual(
      analyzeLinks(markdownPart.contentType, markdownPart.content),
    );
  });
});

describe("analyzeLinks: reading the display text", () => {
  it.each([
    ["a different host name", "[example.com](https://example.org)"],
    ["text that is no URL", "[click here](https://example.com/foobar)"],
    ["a different path", "[example.com/FOOBAR](https://example.com/foobar)"],
    ["a different port", "[example.com/foobar](https://example.com:8443/foobar)"],
    ["an https text for an http target, scheme implied", "[example.com/foobar](http://example.com/foobar)"],
    ["an upgrade from http to https", "[http://example.com/foobar](https://example.com/foobar)"],
    ["an invalid target URL", "[https://example.com/](<https://exa mple.com/>)"],
    ["a room URI", "[engineering](mimi://example.com/r/engineering_team)"],
  ])("asks for confirmation: %s", (_, markdown) => {
    const link = only(analyzeLinks(MARKDOWN, markdown));
    expect([link.kind, link.textMatchesTarget, link.needsConfirmation]).toEqual(["link", false, true]);
  });

  it.each([
    ["an upper-case scheme and host", "[HTTPS://EXAMPLE.COM/foobar](https://example.com/foobar)"],
    ["a missing root path", "[example.com](https://example.com/)"],
    ["an explicit port, scheme implied", "[example.com:8443/foobar](https://example.com:8443/foobar)"],
    ["an internationalised host name", "[bücher.example/katalog](https://xn--bcher-kva.example/katalog)"],
    ["whitespace around the text", "[  https://example.com/foobar  ](https://example.com/foobar)"],
    ["nested formatting", "[**example.com**/*foo*~~bar~~](https://example.com/foobar)"],
    ["a code span", "[`https://example.com/foobar`](https://example.com/foobar)"],
    ["an e-mail address", "[alice@example.com](mailto:alice@example.com)"],
    ["an e-mail autolink", "<alice@example.com>"],
    ["a URI autolink", "<https://example.com:443/foobar>"],
    ["an exact relative target", "[docs/readme.md](docs/readme.md)"],
    ["an http text and target", "[http://example.com/foobar](http://example.com/foobar)"],
    ["an http text identical to its target, though it looks like host:port", "[http:8080](http:8080)"],
  ])("follows without confirmation: %s", (_, markdown) => {
    const link = only(analyzeLinks(MARKDOWN, markdown));
    expect([link.textMatchesTarget, link.schemeDowngrade, link.needsConfirmation]).toEqual([true, false, false]);
  });

  it("reports the text as shown and the target as written", () => {
    expect(only(analyzeLinks(MARKDOWN, "[**click**\nhere](https://example.com/a%20b)"))).toMatchObject({
      text: "click here",
      target: "https://example.com/a%20b",
    });
  });

  it("resolves reference-style links: full, collapsed and shortcut, first definition winning", () => {
    const markdown = [
      "[https://example.com/foobar][ref], [example.com/foobar][] and [shortcut].",
      "",
      "[ref]: http://example.com/foobar",
      "[example.com/foobar]: https://example.com/foobar",
      "[shortcut]: https://spearphishers.example/",
      "[ref]: https://example.com/foobar",
    ].join("\n");
    expect(
      analyzeLinks(MARKDOWN, markdown).map(({ text, target, schemeDowngrade, needsConfirmation }) => ({
        text,
        target,
        schemeDowngrade,
        needsConfirmation,
      })),
    ).toEqual([
      {
        text: "https://example.com/foobar",
        target: "http://example.com/foobar",
        schemeDowngrade: true,
        needsConfirmation: true,
      },
      {
        text: "example.com/foobar",
        target: "https://example.com/foobar",
        schemeDowngrade: false,
        needsConfirmation: false,
      },
      { text: "shortcut", target: "https://spearphishers.example/", schemeDowngrade: false, needsConfirmation: true },
    ]);
  });

  it("lists links in document order across blocks", () => {
    const markdown =
      "> [a](https://a.example/)\n\n- [b](https://b.example/)\n\n| c |\n|---|\n| [c](https://c.example/) |";
    expect(analyzeLinks(MARKDOWN, markdown).map(({ text }) => text)).toEqual(["a", "b", "c"]);
  });
});

describe("analyzeLinks: what is and is not a link", () => {
  it("does not see bare URLs: GFM-MIMI has no autolink literals (content-08 s.7.1.1)", () => {
    expect(analyzeLinks(MARKDOWN, "see https://example.com/foobar or www.example.com")).toEqual([]);
  });

  it("does not see links in raw HTML of Markdown, which is shown as text", () => {
    expect(analyzeLinks(MARKDOWN, 'a <a href="https://spearphishers.example/">https://example.com/</a> b')).toEqual([]);
  });

  it("sees Markdown links inside an HTML block, which the reader sees formatted", () => {
    const link = only(analyzeLinks(MARKDOWN, "<div>\n[https://example.com/](https://spearphishers.example/)\n</div>"));
    expect([link.target, link.needsConfirmation]).toEqual(["https://spearphishers.example/", true]);
  });

  it("reports images with remote sources by their alt text, and not cid: parts of the message (content-08 s.4.4)", () => {
    const markdown = [
      "![https://example.com/cat.png](https://example.com/cat.png)",
      "![a cat](https://tracker.example/pixel.gif)",
      "![](https://example.com/dog.png)",
      "![chart](cid:1@local.invalid)",
      "![ref image][img]",
      "",
      "[img]: https://example.com/ref.png",
    ].join("\n");
    expect(
      analyzeLinks(MARKDOWN, markdown).map(({ text, target, isImage, needsConfirmation }) => ({
        text,
        target,
        isImage,
        needsConfirmation,
      })),
    ).toEqual([
      {
        text: "https://example.com/cat.png",
        target: "https://example.com/cat.png",
        isImage: true,
        needsConfirmation: false,
      },
      { text: "a cat", target: "https://tracker.example/pixel.gif", isImage: true, needsConfirmation: true },
      {
        text: "https://example.com/dog.png",
        target: "https://example.com/dog.png",
        isImage: true,
        needsConfirmation: false,
      },
      { text: "ref image", target: "https://example.com/ref.png", isImage: true, needsConfirmation: true },
    ]);
  });

  it("reads an image inside a link as part of the link's text", () => {
    const link = only(
      analyzeLinks(MARKDOWN, "[![example.com](https://img.example/logo.png)/foobar](https://example.com/foobar)"),
    );
    expect([link.text, link.isImage, link.needsConfirmation]).toEqual(["example.com/foobar", false, false]);
  });

  it("never reports an image as a mention", () => {
    const link = only(analyzeLinks(MARKDOWN, `![Alice](${ALICE})`));
    expect([link.kind, link.isImage, link.userUri]).toEqual(["link", true, undefined]);
  });

  it("reads HTML anchors with their rendered text, skipping anchors without href and cid: images", () => {
    const html = [
      '<p><a name="top">anchor</a>',
      '<a href="https://example.com/foobar"><b>example.com</b>/foobar</a>',
      '<a href="https://spearphishers.example/"><img src="cid:2@local.invalid" alt="https://example.com/"></a>',
      '<img src="https://tracker.example/pixel.gif" alt="">',
      '<img src="cid:1@local.invalid" alt="chart"></p>',
    ].join("\n");
    expect(
      analyzeLinks(HTML, html).map(({ text, target, isImage, needsConfirmation }) => ({
        text,
        target,
        isImage,
        needsConfirmation,
      })),
    ).toEqual([
      { text: "example.com/foobar", target: "https://example.com/foobar", isImage: false, needsConfirmation: false },
      { text: "", target: "https://spearphishers.example/", isImage: false, needsConfirmation: true },
      {
        text: "https://tracker.example/pixel.gif",
        target: "https://tracker.example/pixel.gif",
        isImage: true,
        needsConfirmation: false,
      },
    ]);
  });

  it("reads a whole HTML document", () => {
    const html = `<!doctype html><html><head><title>t</title></head><body>${htmlAnchor("Alice", ALICE)}</body></html>`;
    expect(only(analyzeLinks(HTML, html)).kind).toBe("mention");
  });
});

describe("analyzeLinks: content types and bytes", () => {
  it.each([
    "text/markdown",
    "text/markdown; variant=CommonMark",
    "TEXT/Markdown;variant=GFM-MIMI",
    " text/markdown ;charset=UTF-8",
  ])("reads %s as Markdown", (contentType) => {
    expect(only(analyzeLinks(contentType, "[x](https://example.com/)")).target).toBe("https://example.com/");
  });

  it.each(["text/html", 'Text/HTML; charset="UTF-8"'])("reads %s as HTML", (contentType) => {
    expect(only(analyzeLinks(contentType, '<a href="https://example.com/">x</a>')).target).toBe("https://example.com/");
  });

  it.each(["text/plain;charset=utf-8", "application/mimi-content", "image/png", "text/markdown; variant", "text", ""])(
    "finds no links in %j",
    (contentType) => {
      expect(analyzeLinks(contentType, '[x](https://example.com/) <a href="https://example.com/">x</a>')).toEqual([]);
    },
  );

  it("decodes UTF-8 bytes", () => {
    const bytes = new TextEncoder().encode("[bücher.example](https://xn--bcher-kva.example/)");
    expect(only(analyzeLinks(MARKDOWN, bytes)).textMatchesTarget).toBe(true);
  });

  it("rejects bytes that are not UTF-8", () => {
    const invalid = new Uint8Array([0x5b, 0x78, 0x5d, 0xff, 0x28]);
    expect(() => analyzeLinks(MARKDOWN, invalid)).toThrow(ContentError);
    expect(() => analyzeLinks(MARKDOWN, invalid)).toThrow(expect.objectContaining({ path: "content" }));
  });

  it("rejects bytes in another declared charset", () => {
    const bytes = new TextEncoder().encode("<a href='https://example.com/'>x</a>");
    expect(() => analyzeLinks("text/html; charset=iso-8859-1", bytes)).toThrow(
      expect.objectContaining({ name: "ContentError", path: "contentType" }),
    );
  });
});
