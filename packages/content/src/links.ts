import type { Nodes as HastNodes } from "hast";
import { fromHtml } from "hast-util-from-html";
import { toText } from "hast-util-to-text";
import type { Nodes as MdastNodes } from "mdast";
import { toString as mdastToString } from "mdast-util-to-string";
import { ContentError } from "./errors.js";
import { isPartReference, mimiUserUri, parseAbsoluteUrl, parseGfmMimiForDisplay } from "./gfm.js";
import { parseMediaType } from "./mediaType.js";

/** One link of a message as a reader meets it, judged by content-08 s.9.6. */
export interface LinkInfo {
  /**
   * The display text, as shown: whitespace runs collapsed to one space and
   * trimmed. For an image, its alt text, or its URL when the alt text is empty.
   */
  readonly text: string;
  /** The link target as written in the content, after resolving a reference-style link. */
  readonly target: string;
  /**
   * "mention": the target is a `mimi://<domain>/u/<user>` user URI (and
   * `isMember`, when given, accepts the user). Its text is only a rendering
   * hint, so a mention never needs confirmation.
   */
  readonly kind: "link" | "mention";
  /** The text equals the target, or both read as the same URL after WHATWG normalisation. */
  readonly textMatchesTarget: boolean;
  /** The text reads as an https URL, explicitly or by implication, while the target is http. */
  readonly schemeDowngrade: boolean;
  /** Following the link should ask the user first: a link whose text does not match its target. */
  readonly needsConfirmation: boolean;
  /** Mentions only: the user URI, domain lower-cased. */
  readonly userUri?: string;
  /**
   * The link is an image whose source is not a `cid:` part reference.
   * A reader that does not load remote images (see `renderGfmMimi`) shows it as
   * a link to its source labelled with its alt text; `cid:` images are parts of
   * the message itself and are not reported.
   */
  readonly isImage: boolean;
}

export interface AnalyzeLinksOptions {
  /** Whether the user has a member client in the group (content-08 s.9.6). Without it, every user link is a mention. */
  readonly isMember?: (userUri: string) => boolean;
}

interface DisplayedLink {
  readonly text: string;
  readonly target: string;
  readonly isImage: boolean;
}

/**
 * A display text that starts with its scheme: `http:` or `https:`, or any
 * `scheme:` not followed by a digit, which would be `host:port` without one.
 */
const EXPLICIT_SCHEME = /^(?:https?:|[a-z][a-z\d+.-]*:(?!\d))/i;
const WHITESPACE_RUN = /[\t\n\f\r ]+/g;

/**
 * The links and mentions of a `text/markdown` (any variant, read as GFM-MIMI
 * the way `renderGfmMimi` displays it) or `text/html` body part, in document
 * order, each judged by content-08 s.9.6. Other (or malformed) content types
 * have none. Byte content must be UTF-8, and a charset parameter, if any,
 * must say so; anything else is a ContentError.
 */
export function analyzeLinks(
  contentType: string,
  content: Uint8Array | string,
  options: AnalyzeLinksOptions = {},
): LinkInfo[] {
  const mediaType = parseMediaType(contentType);
  if (mediaType?.type !== "text" || (mediaType.subtype !== "markdown" && mediaType.subtype !== "html")) return [];
  const charset = mediaType.parameters.get("charset")?.toLowerCase();
  if (typeof content !== "string" && charset !== undefined && charset !== "utf-8") {
    throw new ContentError("contentType", `unsupported charset ${JSON.stringify(charset)}, expected UTF-8`);
  }
  const text = typeof content === "string" ? content : decodeUtf8(content);
  const links = mediaType.subtype === "markdown" ? markdownLinks(text) : htmlLinks(text);
  return links.map((link) => judge(link, options));
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ContentError("content", "not valid UTF-8");
  }
}

function markdownLinks(markdown: string): DisplayedLink[] {
  const tree = parseGfmMimiForDisplay(markdown);
  // CommonMark: the first definition of a label wins.
  const definitions = new Map<string, string>();
  const collectDefinitions = (node: MdastNodes): void => {
    if (node.type === "definition" && !definitions.has(node.identifier)) definitions.set(node.identifier, node.url);
    if ("children" in node) for (const child of node.children) collectDefinitions(child);
  };
  collectDefinitions(tree);

  const links: DisplayedLink[] = [];
  const addImage = (alt: string | null | undefined, source: string): void => {
    if (isPartReference(source)) return;
    links.push({ text: alt || source, target: source, isImage: true });
  };
  const visit = (node: MdastNodes): void => {
    // Link text cannot hold links, and an image inside a link is shown as
    // its alt text (renderGfmMimi), so children of links are not visited.
    switch (node.type) {
      case "link":
        links.push({ text: mdastToString(node), target: node.url, isImage: false });
        return;
      case "linkReference": {
        const target = definitions.get(node.identifier);
        if (target !== undefined) links.push({ text: mdastToString(node), target, isImage: false });
        return;
      }
      case "image":
        addImage(node.alt, node.url);
        return;
      case "imageReference": {
        const source = definitions.get(node.identifier);
        if (source !== undefined) addImage(node.alt, source);
        return;
      }
    }
    if ("children" in node) for (const child of node.children) visit(child);
  };
  visit(tree);
  return links;
}

function htmlLinks(html: string): DisplayedLink[] {
  const links: DisplayedLink[] = [];
  const visit = (node: HastNodes): void => {
    if (node.type === "element") {
      const { href, src, alt } = node.properties;
      if (node.tagName === "a" && typeof href === "string") {
        links.push({ text: toText(node), target: href, isImage: false });
        return;
      }
      if (node.tagName === "img" && typeof src === "string" && !isPartReference(src)) {
        links.push({ text: typeof alt === "string" && alt !== "" ? alt : src, target: src, isImage: true });
      }
    }
    if ("children" in node) for (const child of node.children) visit(child);
  };
  visit(fromHtml(html, { fragment: true }));
  return links;
}

function judge(link: DisplayedLink, options: AnalyzeLinksOptions): LinkInfo {
  const text = link.text.replace(WHITESPACE_RUN, " ").trim();
  const targetUrl = parseAbsoluteUrl(link.target);
  const textUrl = readAsUrl(text, targetUrl);
  // content-08 s.9.6: text and target "match exactly or are canonically equivalent".
  const textMatchesTarget =
    text === link.target || (textUrl !== undefined && targetUrl !== undefined && textUrl.href === targetUrl.href);
  const schemeDowngrade = textUrl?.protocol === "https:" && targetUrl?.protocol === "http:";
  const userUri = link.isImage ? undefined : mimiUserUri(link.target);
  const isMention = userUri !== undefined && (options.isMember?.(userUri) ?? true);
  return {
    text,
    target: link.target,
    kind: isMention ? "mention" : "link",
    textMatchesTarget,
    schemeDowngrade,
    // A scheme downgrade is always a mismatch: an http target equal to its
    // text starts with `http:`, so the text does not read as https.
    needsConfirmation: !isMention && !textMatchesTarget,
    ...(isMention ? { userUri } : {}),
    isImage: link.isImage,
  };
}

/**
 * The URL a reader takes the display text for. Text without a scheme, such
 * as `example.com/foobar` (content-08 s.9.6), reads as https, or as mailto
 * when the target is an e-mail address (`alice@example.com`).
 */
function readAsUrl(text: string, target: URL | undefined): URL | undefined {
  if (EXPLICIT_SCHEME.test(text)) return parseAbsoluteUrl(text);
  return parseAbsoluteUrl(target?.protocol === "mailto:" ? `mailto:${text}` : `https://${text}`);
}
