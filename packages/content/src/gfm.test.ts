import fc from "fast-check";
import type { Element, Nodes as HastNodes } from "hast";
import { fromHtml } from "hast-util-from-html";
import { toText } from "hast-util-to-text";
import type { Nodes, Root } from "mdast";
import { describe, expect, it } from "vitest";
import { escapeHtmlTags, mimiUserUri, parseGfmMimi, parseGfmMimiForDisplay, renderGfmMimi } from "./gfm.js";

function mdastTypes(markdown: string): string[] {
  const types: string[] = [];
  const visit = (node: Nodes): void => {
    types.push(node.type);
    if ("children" in node) for (const child of node.children) visit(child);
  };
  visit(parseGfmMimi(markdown));
  return types;
}

function htmlNodeCount(markdown: string): number {
  return mdastTypes(markdown).filter((type) => type === "html").length;
}

/** True when `escaped` is `original` with some `<` written as `&lt;` and nothing else changed. */
function isLtEscapingOf(original: string, escaped: string): boolean {
  let at = 0;
  for (const character of original) {
    if (character === "<" && escaped.startsWith("&lt;", at)) {
      at += 4;
    } else if (escaped.startsWith(character, at)) {
      at += character.length;
    } else {
      return false;
    }
  }
  return at === escaped.length;
}

function rendered(markdown: string, options: Parameters<typeof renderGfmMimi>[1] = {}) {
  return fromHtml(renderGfmMimi(markdown, options), { fragment: true });
}

function elements(node: HastNodes, tagName?: string): Element[] {
  const found: Element[] = [];
  const visit = (current: HastNodes): void => {
    if (current.type === "element" && (tagName === undefined || current.tagName === tagName)) found.push(current);
    if ("children" in current) for (const child of current.children) visit(child);
  };
  visit(node);
  return found;
}

/** Pieces of Markdown, HTML and URL syntax that attacks and parser edge cases are made of. */
const SYNTAX_PIECES = [
  "<",
  ">",
  "/",
  "!",
  "?",
  "-",
  "--",
  "=",
  '"',
  "'",
  "&",
  ";",
  "#",
  "[",
  "]",
  "(",
  ")",
  "`",
  "```",
  "~",
  "~~",
  "*",
  "_",
  "|",
  "\\",
  ":",
  "@",
  " ",
  "   ",
  "\t",
  "\n",
  "\r\n",
  "\n\n",
  "> ",
  "- ",
  "1. ",
  "    ",
  "- [ ] ",
  "- [x] ",
  "---",
  "|---|",
  "a",
  "x y",
  "div",
  "script",
  "<div>",
  "</div>",
  "<b>",
  "</b>",
  "<pre>",
  "</pre>",
  "<textarea>",
  "<style>",
  "<script>",
  "</script>",
  "<svg onload=alert(1)>",
  "<img src=x onerror=alert(1)>",
  '<a href="javascript:alert(1)">',
  "<iframe src=//evil.example>",
  "<!--",
  "-->",
  "<?",
  "?>",
  "<!DOCTYPE html>",
  "<![CDATA[",
  "]]>",
  "&lt;",
  "&#60;",
  "&#x3C;",
  "&#9;",
  "](",
  "![",
  "[x]: ",
  "[x]",
  "https://",
  "http://",
  "www.example.com",
  "example.com",
  "javascript:",
  "JaVaScRiPt:",
  "java\tscript:",
  "vbscript:",
  "data:text/html,<script>alert(1)</script>",
  "cid:1@local.invalid",
  "mimi://example.com/u/alice",
  "mailto:alice@example.com",
  " onclick=alert(1)",
  ' "title"',
];

const markdownish = fc.oneof(
  fc.array(fc.constantFrom(...SYNTAX_PIECES), { maxLength: 40 }).map((pieces) => pieces.join("")),
  fc.string({ maxLength: 80 }),
);

/** HTML that reveals one more block or tag each time the one before it is escaped. */
const htmlChain = fc
  .tuple(
    fc.constantFrom("<div>\n", "<!--\n", "<pre>\n", "<script>\n", "  <p>\n", "> <div>\n", "<a href=x", "<b title='"),
    fc.integer({ min: 1, max: 30 }),
    markdownish,
  )
  .map(([piece, count, tail]) => piece.repeat(count) + tail);

describe("parseGfmMimi (content-08 s.7.1.1)", () => {
  it("parses the three GFM extensions MIMI allows: tables, task list items, strikethrough", () => {
    const types = mdastTypes("| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] open\n\n~~gone~~");
    expect(types).toContain("table");
    expect(types).toContain("tableCell");
    expect(types).toContain("delete");
    const tree = parseGfmMimi("- [x] done\n- [ ] open\n- plain");
    const list = tree.children[0];
    expect(list?.type === "list" && list.children.map((item) => item.checked)).toEqual([true, false, null]);
  });

  it("does not turn bare URLs or e-mail addresses into links: no autolink literal extension", () => {
    const types = mdastTypes("see www.example.com, https://example.com/foobar and alice@example.com");
    expect(types).toEqual(["root", "paragraph", "text"]);
  });

  it("keeps CommonMark autolinks, which the draft's mention examples use", () => {
    const tree = parseGfmMimi("<mimi://example.com/u/alice-smith> <https://example.com>");
    const paragraph = tree.children[0];
    const links = paragraph?.type === "paragraph" ? paragraph.children.filter((node) => node.type === "link") : [];
    expect(links.map((link) => link.url)).toEqual(["mimi://example.com/u/alice-smith", "https://example.com"]);
  });

  it("has no footnotes", () => {
    const types = mdastTypes("Claim[^1].\n\n[^1]: Source.");
    expect(types.filter((type) => type.startsWith("footnote"))).toEqual([]);
  });

  it("keeps raw HTML as html nodes, for the No HTML rule to act on", () => {
    expect(htmlNodeCount("a <b>bold</b> c")).toBe(2);
    expect(htmlNodeCount("<div>\nblock\n</div>")).toBe(1);
  });
});

describe("escapeHtmlTags: the No HTML extension (content-08 s.7.1.1)", () => {
  it.each([
    ["an open and a closing tag", "a <b>bold</b> c", "a &lt;b>bold&lt;/b> c"],
    [
      "attributes",
      'x <a href="https://example.com" onclick="f()">y',
      'x &lt;a href="https://example.com" onclick="f()">y',
    ],
    ["a self-closing tag", "line<br/>break", "line&lt;br/>break"],
    ["a comment", "x <!-- note --> y", "x &lt;!-- note --> y"],
    ["a processing instruction", "x <?php echo 1; ?> y", "x &lt;?php echo 1; ?> y"],
    ["a declaration", "x <!DOCTYPE html> y", "x &lt;!DOCTYPE html> y"],
    ["a CDATA section", "x <![CDATA[ a < b ]]> y", "x &lt;![CDATA[ a < b ]]> y"],
    ["a tag inside a table cell", "| a |\n|---|\n| <i>x</i> |", "| a |\n|---|\n| &lt;i>x&lt;/i> |"],
    ["a tag in a list item", "- <span>a</span>", "- &lt;span>a&lt;/span>"],
    ["a tag in strikethrough", "~~<u>x</u>~~", "~~&lt;u>x&lt;/u>~~"],
  ])("escapes %s", (_, markdown, expected) => {
    expect(escapeHtmlTags(markdown)).toBe(expected);
  });

  it.each([
    ["a script block", "<script>alert(1)</script>", "&lt;script>alert(1)&lt;/script>"],
    ["a div block and the closing tag it exposes", "<div>\n*hi*\n</div>", "&lt;div>\n*hi*\n&lt;/div>"],
    ["a comment block and the tag inside it", "<!--\nsee <b>\n-->", "&lt;!--\nsee &lt;b>\n-->"],
    [
      "an indented block",
      "   <table><tr><td>x</td></tr></table>",
      "   &lt;table>&lt;tr>&lt;td>x&lt;/td>&lt;/tr>&lt;/table>",
    ],
    ["a block in a block quote", "> <div>\n> quoted\n> </div>", "> &lt;div>\n> quoted\n> &lt;/div>"],
    ["a block after a tab in a block quote", ">\t<div>", ">\t&lt;div>"],
    ["a pre block", "<pre>\n<b>x</b>\n</pre>", "&lt;pre>\n&lt;b>x&lt;/b>\n&lt;/pre>"],
  ])("escapes %s", (_, markdown, expected) => {
    expect(escapeHtmlTags(markdown)).toBe(expected);
  });

  it.each([
    ["a code span", "`<b>` and ``<!-- x -->``"],
    ["a fenced code block", "```html\n<b>bold</b>\n```"],
    ["an indented code block", "    <div>code</div>"],
    ["an autolink", "<https://x.example> <mimi://a.example/u/alice> <alice@example.com>"],
    ["a link destination in angle brackets", "[a](<https://example.com/a b>)"],
    ["a backslash-escaped bracket", "\\<b>not a tag\\</b>"],
    ["text that is no tag", "a < b, 1 <2, <3, <>, a <b, <foo bar=>, <-->"],
    ["an already escaped tag", "&lt;b>bold&lt;/b>"],
  ])("leaves %s unchanged", (_, markdown) => {
    expect(escapeHtmlTags(markdown)).toBe(markdown);
  });

  it("leaves no html node, only ever turns `<` into `&lt;`, and is idempotent", () => {
    fc.assert(
      fc.property(fc.oneof(markdownish, htmlChain), (markdown) => {
        const escaped = escapeHtmlTags(markdown);
        expect(htmlNodeCount(escaped)).toBe(0);
        expect(isLtEscapingOf(markdown, escaped)).toBe(true);
        expect(escapeHtmlTags(escaped)).toBe(escaped);
      }),
      { numRuns: 1000 },
    );
  });

  // How long this takes (it was quadratic once) is measured by `pnpm bench`, not here.
  it("escapes completely when every escape reveals another block", () => {
    for (const piece of ["<div>\n", "<!--\n", "<a href=x"]) {
      const markdown = `${piece.repeat(2000)}<b> a < b`;
      const escaped = escapeHtmlTags(markdown);
      expect(htmlNodeCount(escaped)).toBe(0);
      expect(isLtEscapingOf(markdown, escaped)).toBe(true);
      expect(renderGfmMimi(escaped)).toBe(renderGfmMimi(markdown));
    }
  });

  it("leaves code, autolinks and backslash escapes alone even when escaping every `<` read as text", () => {
    const kept = " `<c>` \\<d> <https://x.example> [e](<f g>)";
    const escaped = escapeHtmlTags(`${"<div>\n".repeat(12)}<b>${kept}`);
    expect(escaped).toBe(`${"&lt;div>\n".repeat(12)}&lt;b>${kept}`);
  });

  it("changes nothing in Markdown without raw HTML", () => {
    fc.assert(
      fc.property(markdownish, (markdown) => {
        fc.pre(htmlNodeCount(markdown) === 0);
        expect(escapeHtmlTags(markdown)).toBe(markdown);
      }),
      { numRuns: 500 },
    );
  });
});

/**
 * CommonMark forbids `<` inside an autolink and an angle-bracketed link
 * destination, but allows `&lt;`: escaping a tag can complete one of those
 * begun by an earlier `<` on the same line, which the display of the
 * unescaped message reads as text.
 */
const LESS_THAN_BEFORE_ANOTHER_ON_ITS_LINE = /<[^<>\n\r]*</;

describe("parseGfmMimiForDisplay", () => {
  const withoutPositions = (tree: Root): unknown =>
    JSON.parse(JSON.stringify(tree, (key, value: unknown) => (key === "position" ? undefined : value)));

  it("reads HTML as text and the Markdown inside an HTML block as Markdown", () => {
    expect(withoutPositions(parseGfmMimiForDisplay("<div>\n*hi*\n</div>"))).toEqual({
      type: "root",
      children: [
        {
          type: "paragraph",
          children: [
            { type: "text", value: "<div>\n" },
            { type: "emphasis", children: [{ type: "text", value: "hi" }] },
            { type: "text", value: "\n</div>" },
          ],
        },
      ],
    });
  });

  it("differs from the escaped message where escaping completes an autolink or destination", () => {
    for (const markdown of ["<mailto:alice@example.com<b>", "[a](<x<b>)"]) {
      const linksIn = (tree: Root): number => JSON.stringify(tree).split('"type":"link"').length - 1;
      expect(linksIn(parseGfmMimiForDisplay(markdown))).toBe(0);
      expect(linksIn(parseGfmMimi(escapeHtmlTags(markdown)))).toBe(1);
    }
  });

  it("is the tree of the escaped message, up to source positions", () => {
    fc.assert(
      fc.property(fc.oneof(markdownish, htmlChain), (markdown) => {
        fc.pre(!LESS_THAN_BEFORE_ANOTHER_ON_ITS_LINE.test(markdown));
        expect(withoutPositions(parseGfmMimiForDisplay(markdown))).toEqual(
          withoutPositions(parseGfmMimi(escapeHtmlTags(markdown))),
        );
      }),
      { numRuns: 500 },
    );
  });
});

describe("mimiUserUri", () => {
  it("recognises mimi://<domain>/u/<user>", () => {
    expect(mimiUserUri("mimi://example.com/u/alice-smith")).toBe("mimi://example.com/u/alice-smith");
    expect(mimiUserUri("MIMI://Example.COM/u/alice-smith")).toBe("mimi://example.com/u/alice-smith");
  });

  it.each([
    "mimi://example.com/r/engineering_team",
    "mimi://example.com/u/",
    "mimi://example.com/u/alice/devices",
    "mimi://example.com/u/alice?x=1",
    "mimi://example.com/u/alice#x",
    "mimi://example.com:8080/u/alice",
    "mimi://bob@example.com/u/alice",
    "mimi:///u/alice",
    "https://example.com/u/alice",
    "not a url",
  ])("rejects %s", (target) => {
    expect(mimiUserUri(target)).toBeUndefined();
  });
});

describe("renderGfmMimi", () => {
  it("renders the allowed extensions: strikethrough, tables, task list items as disabled checkboxes", () => {
    const tree = rendered("~~gone~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [ ] open\n- [x] done");
    expect(elements(tree, "del").map((element) => toText(element))).toEqual(["gone"]);
    expect(elements(tree, "th").map((element) => toText(element))).toEqual(["a", "b"]);
    expect(elements(tree, "td").map((element) => toText(element))).toEqual(["1", "2"]);
    const checkboxes = elements(tree, "input");
    expect(checkboxes.map((input) => input.properties.type)).toEqual(["checkbox", "checkbox"]);
    expect(checkboxes.map((input) => input.properties.disabled)).toEqual([true, true]);
    expect(checkboxes.map((input) => input.properties.checked === true)).toEqual([false, true]);
  });

  it("shows HTML tags as text", () => {
    const inline = rendered('a <b onclick="steal()">bold</b> c');
    expect(elements(inline, "b")).toEqual([]);
    expect(toText(inline)).toBe('a <b onclick="steal()">bold</b> c');
    const script = rendered("<script>alert(1)</script>");
    expect(elements(script, "script")).toEqual([]);
    expect(toText(script)).toBe("<script>alert(1)</script>");
  });

  it("formats the Markdown inside an HTML block, as the sender's escaping would have", () => {
    const tree = rendered("<div>\n*hi*\n</div>");
    expect(elements(tree, "div")).toEqual([]);
    expect(elements(tree, "em").map((element) => toText(element))).toEqual(["hi"]);
    expect(toText(tree)).toBe("<div> hi </div>");
  });

  it("renders a received message exactly as its escaped form", () => {
    fc.assert(
      fc.property(fc.oneof(markdownish, htmlChain), (markdown) => {
        fc.pre(!LESS_THAN_BEFORE_ANOTHER_ON_ITS_LINE.test(markdown));
        expect(renderGfmMimi(markdown)).toBe(renderGfmMimi(escapeHtmlTags(markdown)));
      }),
      { numRuns: 300 },
    );
  });

  it("escapes `<` in attribute values as well, keeping their values", () => {
    const html = renderGfmMimi('```<script>\nx\n```\n\n[a](https://example.com/ "<b>t</b>")');
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<b>");
    const tree = fromHtml(html, { fragment: true });
    expect(elements(tree, "code").map((code) => code.properties.className)).toEqual([["language-<script>"]]);
    expect(elements(tree, "a").map((link) => link.properties.title)).toEqual(["<b>t</b>"]);
  });

  it("does not link bare URLs", () => {
    expect(elements(rendered("www.example.com and https://example.com/foobar"), "a")).toEqual([]);
  });

  it.each([
    "https://example.com/foobar",
    "http://example.com/foobar",
    "mailto:alice@example.com",
    "mimi://example.com/r/engineering_team",
  ])("links %s", (target) => {
    const links = elements(rendered(`[label](${target} "title")`), "a");
    expect(links.map((link) => [link.properties.href, link.properties.title, toText(link)])).toEqual([
      [new URL(target).href, "title", "label"],
    ]);
  });

  it.each([
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "java&#9;script:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,hi",
    "file:///etc/passwd",
    "ftp://example.com/file",
    "relative/path",
    "//evil.example/",
    "#top",
  ])("renders a link to %s as its text only", (target) => {
    const tree = rendered(`before [label](${target}) after`);
    expect(elements(tree, "a")).toEqual([]);
    expect(toText(tree)).toBe("before label after");
  });

  it("applies the scheme rule to reference-style links", () => {
    const tree = rendered("[bad][1] and [good][2]\n\n[1]: javascript:alert(1)\n[2]: https://example.com/");
    expect(elements(tree, "a").map((link) => [toText(link), link.properties.href])).toEqual([
      ["good", "https://example.com/"],
    ]);
    expect(toText(tree)).toBe("bad and good");
  });

  it("shows cid: images (message parts, content-08 s.4.4) as images", () => {
    const images = elements(rendered("![chart](cid:1@local.invalid)"), "img");
    expect(images.map((image) => [image.properties.src, image.properties.alt])).toEqual([
      ["cid:1@local.invalid", "chart"],
    ]);
  });

  it("links other images by their alt text instead of loading them", () => {
    const tree = rendered('![a cat](https://img.example/cat.png "Cat") ![](https://img.example/dog.png)');
    expect(elements(tree, "img")).toEqual([]);
    expect(elements(tree, "a").map((link) => [link.properties.href, link.properties.title, toText(link)])).toEqual([
      ["https://img.example/cat.png", "Cat", "a cat"],
      ["https://img.example/dog.png", undefined, "https://img.example/dog.png"],
    ]);
  });

  it("shows an image with an unlinkable source as its alt text", () => {
    const tree = rendered("![pic](javascript:alert(1)) ![pic2][ref]\n\n[ref]: data:image/png;base64,AAAA");
    expect(elements(tree, "img")).toEqual([]);
    expect(elements(tree, "a")).toEqual([]);
    expect(toText(tree)).toBe("pic pic2");
  });

  it("shows a remote image inside a link as text of that one link", () => {
    const tree = rendered("[![logo](https://img.example/logo.png) home](https://example.com/)");
    expect(elements(tree, "img")).toEqual([]);
    expect(elements(tree, "a").map((link) => [link.properties.href, toText(link)])).toEqual([
      ["https://example.com/", "logo home"],
    ]);
  });

  it("marks links to users as mentions (content-08 s.9.6)", () => {
    const markdown =
      "<mimi://example.com/u/alice-smith> [Bob](mimi://example.com/u/bob) [eng](mimi://example.com/r/eng)";
    const links = elements(rendered(markdown), "a");
    expect(links.map((link) => [link.properties.className, link.properties.dataMimiUser])).toEqual([
      [["mimi-mention"], "mimi://example.com/u/alice-smith"],
      [["mimi-mention"], "mimi://example.com/u/bob"],
      [undefined, undefined],
    ]);
  });

  it("renders a link to a user who is not a member as an ordinary link", () => {
    const asked: string[] = [];
    const isMember = (userUri: string): boolean => {
      asked.push(userUri);
      return userUri === "mimi://example.com/u/alice-smith";
    };
    const links = elements(
      rendered("[Alice](mimi://example.com/u/alice-smith) [Eve](mimi://example.com/u/eve)", { isMember }),
      "a",
    );
    expect(asked).toEqual(["mimi://example.com/u/alice-smith", "mimi://example.com/u/eve"]);
    expect(links.map((link) => [toText(link), link.properties.href, link.properties.className])).toEqual([
      ["Alice", "mimi://example.com/u/alice-smith", ["mimi-mention"]],
      ["Eve", "mimi://example.com/u/eve", undefined],
    ]);
  });

  it("never emits active content, whatever the input", () => {
    const displayElements = new Set(
      "p br hr em strong del code pre blockquote ul ol li input h1 h2 h3 h4 h5 h6 table thead tbody tr th td a img".split(
        " ",
      ),
    );
    const linkable = new Set(["http:", "https:", "mailto:", "mimi:"]);
    fc.assert(
      fc.property(fc.oneof(markdownish, htmlChain), (markdown) => {
        const html = renderGfmMimi(markdown);
        for (const [tagStart, tagName = ""] of html.matchAll(/<\/?([^\s/>]*)/g)) {
          expect(displayElements, tagStart).toContain(tagName);
        }
        for (const element of elements(fromHtml(html, { fragment: true }))) {
          expect(displayElements).toContain(element.tagName);
          for (const property of Object.keys(element.properties)) {
            expect(property.toLowerCase()).not.toMatch(/^(on|style$|srcdoc$|formaction$)/);
          }
          if (element.tagName === "a") expect(linkable).toContain(new URL(String(element.properties.href)).protocol);
          if (element.tagName === "img") expect(new URL(String(element.properties.src)).protocol).toBe("cid:");
          if (element.tagName === "input") {
            expect([element.properties.type, element.properties.disabled]).toEqual(["checkbox", true]);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
