import type { Element, ElementContent, Root as HastRoot, RootContent as HastRootContent, Properties, Text } from "hast";
import { toHtml } from "hast-util-to-html";
import type { Nodes, Root } from "mdast";
import { fromMarkdown } from "mdast-util-from-markdown";
import { gfmStrikethroughFromMarkdown } from "mdast-util-gfm-strikethrough";
import { gfmTableFromMarkdown } from "mdast-util-gfm-table";
import { gfmTaskListItemFromMarkdown } from "mdast-util-gfm-task-list-item";
import { toHast } from "mdast-util-to-hast";
import { gfmStrikethrough } from "micromark-extension-gfm-strikethrough";
import { gfmTable } from "micromark-extension-gfm-table";
import { gfmTaskListItem } from "micromark-extension-gfm-task-list-item";

const GFM_MIMI_SYNTAX = [gfmTable(), gfmTaskListItem(), gfmStrikethrough()];
const GFM_MIMI_TREE = [gfmTableFromMarkdown(), gfmTaskListItemFromMarkdown(), gfmStrikethroughFromMarkdown()];
/** micromark's raw HTML constructs, switched off to read tags as the text they are displayed as. */
const NO_RAW_HTML = { disable: { null: ["htmlFlow", "htmlText"] } };

/**
 * Parses GFM-MIMI (content-08 s.7.1.1): CommonMark plus exactly the GFM
 * extensions tables, task list items and strikethrough.
 *
 * Deliberately absent: the GFM autolink literal extension (content-08 s.7.1.1
 * removes it, so a bare `www.example.com` or `https://example.com` stays
 * text), footnotes and every other extension. CommonMark's own autolinks
 * (`<https://example.com>`) are core syntax, not that extension, and stay:
 * the draft's mention examples are written `<mimi://example.com/u/alice-smith>`
 * (content-08 s.9.6).
 *
 * The tree may contain `html` nodes: a received message can break the No HTML
 * rule. Displays and link analysis read {@link parseGfmMimiForDisplay}.
 */
export function parseGfmMimi(markdown: string): Root {
  return fromMarkdown(markdown, { extensions: GFM_MIMI_SYNTAX, mdastExtensions: GFM_MIMI_TREE });
}

/**
 * The tree a receiver displays (content-08 s.7.1.1: "Any HTML tag in a
 * received message is rendered as plain text"): GFM-MIMI read with raw HTML
 * switched off, so a tag is text and the Markdown around and inside an HTML
 * block is formatted. One parse, whatever the input.
 *
 * A message displays the same whether or not its sender applied the No HTML
 * rule: this is the tree of {@link escapeHtmlTags}'s output, up to source
 * positions, with one exception. CommonMark allows `&lt;` but not `<` inside
 * an autolink or an angle-bracketed link destination, so escaping a tag can
 * complete one begun by an earlier `<` on its line (`<mailto:a@b.example<b>`
 * escapes to an autolink); read unescaped, both stay text.
 */
export function parseGfmMimiForDisplay(markdown: string): Root {
  return fromMarkdown(markdown, { extensions: [...GFM_MIMI_SYNTAX, NO_RAW_HTML], mdastExtensions: GFM_MIMI_TREE });
}

/**
 * Parse-and-escape rounds before {@link escapeHtmlTags} stops looking for the
 * exact set of tags. Each round is a full parse; an input like
 * `"<div>\n".repeat(n)` reveals one HTML block per round, so unbounded rounds
 * cost O(n^2) (10 kB took 45 s). A message without raw HTML takes one round,
 * a few lines of pasted HTML about one round each.
 */
const EXACT_ESCAPING_ROUNDS = 8;

/**
 * The No HTML extension (content-08 s.7.1.1), applied before sending: the `<`
 * opening every HTML tag (GFM s.6.10: open and closing tags, comments,
 * processing instructions, declarations, CDATA) and every HTML block becomes
 * `&lt;`; every other character is kept. Code spans, code blocks and
 * autolinks contain no tags and are unchanged. The result parses without a
 * single `html` node, so applying the function again changes nothing.
 *
 * Escaping the start of an HTML block turns the block into Markdown, which can
 * reveal tags inside it, so the message is parsed again until no tag is left.
 * After {@link EXACT_ESCAPING_ROUNDS} rounds, every `<` that the display tree
 * reads as text is escaped at once instead: some of those open no tag, but
 * `&lt;` displays as the same `<`, so only the bytes differ, not the display.
 */
export function escapeHtmlTags(markdown: string): string {
  let text = markdown;
  for (let round = 0; round < EXACT_ESCAPING_ROUNDS; round++) {
    const tagStarts = htmlTagStarts(text, parseGfmMimi(text));
    if (tagStarts.length === 0) return text;
    text = escapeAt(text, tagStarts);
  }
  return escapeAt(text, lessThansDisplayedAsText(text));
}

/** `text` with the `<` at each offset (ascending) replaced by `&lt;`. */
function escapeAt(text: string, offsets: readonly number[]): string {
  let escaped = "";
  let copiedUpTo = 0;
  for (const offset of offsets) {
    escaped += `${text.slice(copiedUpTo, offset)}&lt;`;
    copiedUpTo = offset + 1;
  }
  return escaped + text.slice(copiedUpTo);
}

/** Offsets of the `<` opening each `html` node, ascending. */
function htmlTagStarts(text: string, tree: Root): number[] {
  const starts: number[] = [];
  const visit = (node: Nodes): void => {
    if (node.type === "html") {
      // An HTML block's position includes its indentation; its value starts
      // with `<` after that whitespace.
      const start = text.indexOf("<", node.position?.start.offset ?? 0);
      if (start < 0) throw new Error(`html node without "<": ${JSON.stringify(node.value)}`);
      starts.push(start);
    } else if ("children" in node) {
      for (const child of node.children) visit(child);
    }
  };
  visit(tree);
  return starts;
}

/**
 * Offsets of every `<` written literally in a text node of the display tree,
 * ascending: everything that could open a tag, and nothing in code, autolinks,
 * link destinations or backslash escapes (`\<`), whose meaning `&lt;` would change.
 */
function lessThansDisplayedAsText(text: string): number[] {
  const offsets: number[] = [];
  const visit = (node: Nodes): void => {
    if (node.type === "text") {
      const end = node.position?.end.offset ?? 0;
      for (let at = node.position?.start.offset ?? end; at < end; at++) {
        if (text[at] === "\\" && ASCII_PUNCTUATION.test(text[at + 1] ?? "")) at++;
        else if (text[at] === "<") offsets.push(at);
      }
    } else if ("children" in node) {
      for (const child of node.children) visit(child);
    }
  };
  visit(parseGfmMimiForDisplay(text));
  return offsets;
}

/** Characters a backslash escapes (CommonMark s.2.4). */
const ASCII_PUNCTUATION = /^[!-/:-@[-`{-~]$/;

/** Link schemes a rendered message may navigate to. */
const LINKABLE_PROTOCOLS: ReadonlySet<string> = new Set(["http:", "https:", "mailto:", "mimi:"]);
const MIMI_USER_PATH = /^\/u\/[^/]+$/;

/** Parses an absolute URL the way a browser would, or returns undefined. */
export function parseAbsoluteUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Whether `url` is a content ID URI, which references a part of the same message (content-08 s.4.4). */
export function isPartReference(url: string): boolean {
  return parseAbsoluteUrl(url)?.protocol === "cid:";
}

/**
 * The user URI when `target` is `mimi://<domain>/u/<user>` (the MIMI user
 * handle a mention links to, content-08 s.9.6), else undefined. The domain
 * is lower-cased: WHATWG URL keeps the case of hosts of non-special schemes,
 * but domain names compare case-insensitively.
 */
export function mimiUserUri(target: string): string | undefined {
  const url = parseAbsoluteUrl(target);
  if (
    url === undefined ||
    url.protocol !== "mimi:" ||
    url.hostname === "" ||
    url.port !== "" ||
    url.username !== "" ||
    url.password !== "" ||
    url.search !== "" ||
    url.hash !== "" ||
    !MIMI_USER_PATH.test(url.pathname)
  ) {
    return undefined;
  }
  return `mimi://${url.hostname.toLowerCase()}${url.pathname}`;
}

export interface RenderGfmMimiOptions {
  /**
   * Whether the user has a member client in the group the message was sent
   * in. A link to a user for whom this returns false is an ordinary link, not
   * a mention (content-08 s.9.6). Without it every user link is a mention.
   */
  readonly isMember?: (userUri: string) => boolean;
}

/**
 * Renders GFM-MIMI as HTML that is safe to insert into a page:
 * - HTML tags in the message show as text (content-08 s.7.1.1);
 * - links keep their href only for http, https, mailto and mimi; other links
 *   render as their text;
 * - images render as `<img>` only for `cid:` part references (content-08
 *   s.4.4). Any other image would load a remote resource and reveal the
 *   reader's IP address, so it becomes a link to its URL labelled with its
 *   alt text (or its plain label inside a link, where a link cannot nest);
 * - a link to `mimi://<domain>/u/<user>` is a mention (content-08 s.9.6):
 *   `class="mimi-mention"` and `data-mimi-user` holding the user URI;
 * - task list items are disabled checkboxes.
 */
export function renderGfmMimi(markdown: string, options: RenderGfmMimiOptions = {}): string {
  const hast = toHast(parseGfmMimiForDisplay(markdown));
  const root: HastRoot = hast.type === "root" ? hast : { type: "root", children: [hast] };
  const html = toHtml({ type: "root", children: safeNodes(root.children, false, options) });
  // hast-util-to-html escapes `<` in text but not in attribute values, where
  // it is valid and inert (a code block's language, a title, an alt text).
  // Escape it there as well, so that every `<` of the output opens a tag and
  // a check as naive as `includes("<script")` holds. The serializer
  // double-quotes every value and escapes `"` inside it.
  return html.replace(TAG_WITH_QUOTED_VALUES, (tag) => `<${tag.slice(1).replaceAll("<", "&#x3C;")}`);
}

const TAG_WITH_QUOTED_VALUES = /<[^"<>]*(?:"[^"]*"[^"<>]*)*>/g;

/** Rewrites links and images as described at {@link renderGfmMimi}. */
function safeNodes<T extends HastRootContent>(
  nodes: readonly T[],
  insideLink: boolean,
  options: RenderGfmMimiOptions,
): Array<T | ElementContent> {
  const result: Array<T | ElementContent> = [];
  for (const node of nodes) {
    if (node.type !== "element") {
      result.push(node);
    } else if (node.tagName === "a") {
      result.push(...safeLink(node, insideLink, options));
    } else if (node.tagName === "img") {
      result.push(...safeImage(node, insideLink));
    } else {
      result.push({ ...node, children: safeNodes(node.children, insideLink, options) });
    }
  }
  return result;
}

function safeLink(link: Element, insideLink: boolean, options: RenderGfmMimiOptions): ElementContent[] {
  const url = linkableUrl(link.properties.href);
  if (url === undefined) return safeNodes(link.children, insideLink, options);
  const userUri = mimiUserUri(url.href);
  const isMention = userUri !== undefined && (options.isMember?.(userUri) ?? true);
  const properties: Properties = isMention
    ? { ...link.properties, href: url.href, className: ["mimi-mention"], dataMimiUser: userUri }
    : { ...link.properties, href: url.href };
  return [{ ...link, properties, children: safeNodes(link.children, true, options) }];
}

function safeImage(image: Element, insideLink: boolean): ElementContent[] {
  const source = typeof image.properties.src === "string" ? image.properties.src : "";
  if (isPartReference(source)) return [image];
  const alt = image.properties.alt;
  const label: Text = { type: "text", value: typeof alt === "string" && alt !== "" ? alt : source };
  const url = linkableUrl(source);
  if (insideLink || url === undefined) return [label];
  const properties = image.properties.title === undefined ? {} : { title: image.properties.title };
  return [{ type: "element", tagName: "a", properties: { ...properties, href: url.href }, children: [label] }];
}

function linkableUrl(href: unknown): URL | undefined {
  if (typeof href !== "string") return undefined;
  const url = parseAbsoluteUrl(href);
  return url !== undefined && LINKABLE_PROTOCOLS.has(url.protocol) ? url : undefined;
}
