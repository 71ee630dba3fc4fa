import { ContentError } from "./errors.js";
import { isTextualMediaType, type MediaType, mediaTypeMatches, parseMediaType } from "./mediaType.js";
import {
  Disposition,
  type ExternalPart,
  type MimiContent,
  type NestedPart,
  type NullPart,
  type SinglePart,
} from "./types.js";

/**
 * content-08 s.7.1: every MIMI client MUST be able to receive these, so
 * {@link planRendering} treats them as supported unless told otherwise.
 */
export const REQUIRED_MEDIA_TYPES: readonly string[] = [
  "application/mimi-content",
  "text/plain;charset=utf-8",
  "text/markdown;variant=GFM-MIMI",
];

/** One part of a body with its implied part index (content-08 s.4.4). */
export interface IndexedPart {
  /** Zero-based, depth-first pre-order; the root is 0. */
  readonly partIndex: number;
  /** Nesting level as counted by content-08 s.6.3 and MAX_PART_DEPTH: the root is level 1. */
  readonly depth: number;
  /** Field path in the message, e.g. `nestedPart.parts[1].parts[0]`. */
  readonly path: string;
  readonly part: NestedPart;
}

/** What a receiver can process. */
export interface ReceiverCapabilities {
  /**
   * Media types the receiver processes, most preferred first. A part matches
   * an entry when type and subtype match and it carries every parameter of
   * the entry with an equal value (see mediaTypeMatches).
   */
  readonly supportedTypes: readonly string[];
  /** RFC 5646 language tags, most preferred first. */
  readonly languages?: readonly string[];
  /**
   * Default true: {@link REQUIRED_MEDIA_TYPES} are supported too, ranked
   * after `supportedTypes`. False leaves exactly `supportedTypes`.
   */
  readonly includeRequiredTypes?: boolean;
}

interface ReferenceFields {
  /** The URI as written in the content, e.g. `cid:10@local.invalid`. */
  readonly uri: string;
  /** Index of the part whose content contains the URI. */
  readonly from: number;
  /** The part index named by the URI. */
  readonly target: number;
}

/** The target is handled here, as part of the processed part, and will not be processed on its own. */
export interface EmbeddedReference extends ReferenceFields {
  readonly status: "embedded";
  /** Whether the receiver supports the target's media type; if not, it can only show a fallback. */
  readonly supported: boolean;
}

/** The target was already processed or embedded earlier (or is the referencing part itself): do not process it again. */
export interface AlreadyProcessedReference extends ReferenceFields {
  readonly status: "alreadyProcessed";
}

/** content-08 s.4.4: a `cid:` URI MUST only reference a SinglePart or ExternalPart. */
export interface InvalidReference extends ReferenceFields {
  readonly status: "invalid";
  readonly problem: "outOfRange" | "notSingleOrExternal";
}

export type CidReference = EmbeddedReference | AlreadyProcessedReference | InvalidReference;

export interface ProcessedPart {
  readonly partIndex: number;
  readonly path: string;
  readonly part: SinglePart | ExternalPart;
  /**
   * The part's disposition, with unknown values (9..255) read as `render`
   * (content-08 s.9.1) and `unspecified` taken from the nearest enclosing
   * part that specifies one, since a MultiPart's disposition covers its set of
   * parts (content-08 s.4.4).
   */
  readonly effectiveDisposition: number;
  /** The part's language, or when empty that of the nearest enclosing part that has one. */
  readonly effectiveLanguage: string;
  /**
   * `cid:N@local.invalid` references in the content (textual types only) and,
   * transitively, in the supported parts it embeds, in the order met.
   */
  readonly references: readonly CidReference[];
}

export type SkipReason =
  | { readonly reason: "nullPart" }
  | { readonly reason: "unsupportedType" }
  /** Another alternative of the chooseOne part at `chooseOneIndex` was chosen. */
  | { readonly reason: "notChosen"; readonly chooseOneIndex: number }
  /** A sibling part of the singleUnit part at `singleUnitIndex` is not understood, so none is processed. */
  | { readonly reason: "incompleteUnit"; readonly singleUnitIndex: number }
  /** A `cid:` reference handled as part of the processed part at `embeddedIn` covers it. */
  | { readonly reason: "referenced"; readonly embeddedIn: number };

export type SkippedPart = SkipReason & {
  readonly partIndex: number;
  readonly path: string;
  readonly part: NullPart | SinglePart | ExternalPart;
};

export interface RenderPlan {
  /** Every part of the body, indexed by part index. */
  readonly parts: readonly IndexedPart[];
  /** Parts to process, in this order. */
  readonly processed: readonly ProcessedPart[];
  /**
   * Every NullPart, SinglePart and ExternalPart not processed, by part index.
   * MultiParts are structure and appear in neither list.
   */
  readonly skipped: readonly SkippedPart[];
  /** False when nothing can be processed: show a placeholder (or nothing, for a NullPart). */
  readonly renderable: boolean;
}

/** Lists every part of a body with its implied part index, depth and field path (content-08 s.4.4). */
export function indexParts(root: MimiContent | NestedPart): IndexedPart[] {
  const parts: IndexedPart[] = [];
  const visit = (part: NestedPart, depth: number, path: string): void => {
    parts.push({ partIndex: parts.length, depth, path, part });
    if (part.cardinality === "multi") {
      for (const [i, child] of part.parts.entries()) visit(child, depth + 1, `${path}.parts[${i}]`);
    }
  };
  visit(bodyOf(root), 1, "nestedPart");
  return parts;
}

interface Leaf {
  readonly partIndex: number;
  readonly path: string;
  readonly part: SinglePart | ExternalPart;
  readonly mediaType: MediaType | undefined;
  readonly effectiveDisposition: number;
  readonly effectiveLanguage: string;
  /** Position of the first receiver language it matches; the number of receiver languages when none. */
  readonly languageRank: number;
  /** Position in the receiver's preference list of the first entry it matches; undefined: unsupported. */
  readonly typeRank: number | undefined;
}

interface SupportedLeaf extends Leaf {
  readonly typeRank: number;
}

/** What a (sub)tree contributes: its selected parts in document order, and how many parts it lost. */
interface Selection {
  readonly selected: readonly SupportedLeaf[];
  /** Single and external parts dropped as unsupported or as members of an incomplete singleUnit. */
  readonly lost: number;
}

interface Inherited {
  readonly disposition: number;
  readonly language: string;
}

/**
 * Decides which parts of a body a receiver processes, and how (content-08 s.4.4):
 *
 * - chooseOne picks one alternative whose selection is not empty, preferring,
 *   in order: the best match of the receiver's `languages`; fewer parts lost
 *   for lack of support; the receiver's `supportedTypes` order (comparing the
 *   alternatives' best-ranked types first, then their next); the sender's order.
 * - singleUnit selects all of its parts, or none if one of them is not
 *   understood (NullParts, having nothing to understand, do not count).
 * - processAll selects every part it can.
 * - A SinglePart or ExternalPart is selected when its media type is supported;
 *   an ExternalPart with an empty contentType and the `session` disposition is
 *   a URI to join a session (content-08 s.4.4, "Conferencing" example) and is
 *   selected too, ranked after every listed type.
 *
 * The selected parts are then handled in order, each skipping the parts that
 * an earlier one already referenced through `cid:N@local.invalid`, whatever
 * its disposition, so that no part is processed twice.
 *
 * Throws ContentError when an entry of `receiver.supportedTypes` is not a media type.
 */
export function planRendering(message: MimiContent | NestedPart, receiver: ReceiverCapabilities): RenderPlan {
  const supportedTypes = receiverMediaTypes(receiver);
  const languages = (receiver.languages ?? []).map((tag) => tag.trim().toLowerCase()).filter((tag) => tag !== "");
  const leaves = new Map<number, Leaf>();
  const dropped: SkippedPart[] = [];
  let nextIndex = 0;

  const describeLeaf = (partIndex: number, path: string, part: SinglePart | ExternalPart, own: Inherited): Leaf => {
    const mediaType = parseMediaType(part.contentType);
    const isSessionUri =
      part.cardinality === "external" && part.contentType.trim() === "" && own.disposition === Disposition.session;
    const rank = mediaType === undefined ? -1 : supportedTypes.findIndex((entry) => mediaTypeMatches(mediaType, entry));
    let typeRank: number | undefined;
    if (rank >= 0) typeRank = rank;
    else if (isSessionUri) typeRank = supportedTypes.length;
    return {
      partIndex,
      path,
      part,
      mediaType,
      effectiveDisposition: own.disposition,
      effectiveLanguage: own.language,
      languageRank: languageRank(own.language, languages),
      typeRank,
    };
  };

  // Visits parts in the same depth-first pre-order as indexParts, so the counter is the part index.
  const select = (part: NestedPart, path: string, enclosing: Inherited): Selection => {
    const partIndex = nextIndex++;
    const own: Inherited = {
      disposition: effectiveDisposition(part.disposition, enclosing.disposition),
      language: part.language.trim() === "" ? enclosing.language : part.language,
    };
    if (part.cardinality === "nullpart") {
      dropped.push({ reason: "nullPart", partIndex, path, part });
      return { selected: [], lost: 0 };
    }
    if (part.cardinality !== "multi") {
      const leaf = describeLeaf(partIndex, path, part, own);
      leaves.set(partIndex, leaf);
      const { typeRank } = leaf;
      if (typeRank !== undefined) return { selected: [{ ...leaf, typeRank }], lost: 0 };
      dropped.push({ reason: "unsupportedType", partIndex, path, part });
      return { selected: [], lost: 1 };
    }

    const children = part.parts.map((child, i) => select(child, `${path}.parts[${i}]`, own));
    const selected = children.flatMap((child) => child.selected);
    const lost = children.reduce((sum, child) => sum + child.lost, 0);
    switch (part.partSemantics) {
      case "processAll":
        return { selected, lost };
      case "singleUnit": {
        // A part with nothing selected but something lost was not understood (content-08 s.4.4).
        if (!children.some((child) => child.selected.length === 0 && child.lost > 0)) return { selected, lost };
        for (const leaf of selected) {
          dropped.push({ ...leafSkip(leaf), reason: "incompleteUnit", singleUnitIndex: partIndex });
        }
        return { selected: [], lost: lost + selected.length };
      }
      case "chooseOne": {
        const [chosen, ...others] = children
          .map((child, senderPosition) => ({ child, senderPosition }))
          .filter(({ child }) => child.selected.length > 0)
          .map(({ child, senderPosition }) => ({ child, key: alternativeKey(child, senderPosition) }))
          .sort((a, b) => compareKeys(a.key, b.key));
        if (chosen === undefined) return { selected: [], lost };
        for (const other of others) {
          for (const leaf of other.child.selected) {
            dropped.push({ ...leafSkip(leaf), reason: "notChosen", chooseOneIndex: partIndex });
          }
        }
        return chosen.child;
      }
    }
  };

  const root = select(bodyOf(message), "nestedPart", { disposition: Disposition.unspecified, language: "" });
  const partCount = nextIndex;

  // content-08 s.4.4: handle the selected parts in order, skipping any part
  // already referenced by a previously handled part, regardless of disposition.
  const handledBy = new Map<number, number>();
  const processed: ProcessedPart[] = [];
  const skipped: SkippedPart[] = [];
  for (const leaf of root.selected) {
    const embeddedIn = handledBy.get(leaf.partIndex);
    if (embeddedIn !== undefined) {
      skipped.push({ ...leafSkip(leaf), reason: "referenced", embeddedIn });
      continue;
    }
    handledBy.set(leaf.partIndex, leaf.partIndex);
    processed.push({
      partIndex: leaf.partIndex,
      path: leaf.path,
      part: leaf.part,
      effectiveDisposition: leaf.effectiveDisposition,
      effectiveLanguage: leaf.effectiveLanguage,
      references: resolveReferences(leaf, partCount, leaves, handledBy),
    });
  }
  for (const skip of dropped) {
    const embeddedIn = handledBy.get(skip.partIndex);
    skipped.push(embeddedIn === undefined ? skip : { ...leafSkip(skip), reason: "referenced", embeddedIn });
  }
  skipped.sort((a, b) => a.partIndex - b.partIndex);
  return { parts: indexParts(message), processed, skipped, renderable: processed.length > 0 };
}

function leafSkip(
  leaf: Pick<SkippedPart, "partIndex" | "path" | "part">,
): Pick<SkippedPart, "partIndex" | "path" | "part"> {
  return { partIndex: leaf.partIndex, path: leaf.path, part: leaf.part };
}

/**
 * Resolves the `cid:` references made by a processed part, following
 * references inside the supported parts it embeds, and marks every embedded
 * part as handled by it.
 */
function resolveReferences(
  processedLeaf: Leaf,
  partCount: number,
  leaves: ReadonlyMap<number, Leaf>,
  handledBy: Map<number, number>,
): CidReference[] {
  const references: CidReference[] = [];
  const toScan = [processedLeaf];
  for (let leaf = toScan.shift(); leaf !== undefined; leaf = toScan.shift()) {
    const from = leaf.partIndex;
    for (const { uri, target } of findCidReferences(leaf)) {
      const targetLeaf = leaves.get(target);
      if (target >= partCount) {
        references.push({ uri, from, target, status: "invalid", problem: "outOfRange" });
      } else if (targetLeaf === undefined) {
        references.push({ uri, from, target, status: "invalid", problem: "notSingleOrExternal" });
      } else if (handledBy.has(target)) {
        references.push({ uri, from, target, status: "alreadyProcessed" });
      } else {
        handledBy.set(target, processedLeaf.partIndex);
        const supported = targetLeaf.typeRank !== undefined;
        references.push({ uri, from, target, status: "embedded", supported });
        if (supported) toScan.push(targetLeaf);
      }
    }
  }
  return references;
}

// content-08 s.4.4: `cid:` partIndex `@local.invalid` (RFC 2392 URIs are case-insensitive in
// scheme and domain). The lookarounds keep `xcid:` or `@local.invalid.example` from matching.
const CID_URI = /(?<![A-Za-z0-9+.-])cid:(\d+)@local\.invalid(?![A-Za-z0-9-]|\.[A-Za-z0-9])/gi;
const utf8 = new TextDecoder();

/** Distinct `cid:` references in a textual SinglePart; ExternalPart content is not at hand. */
function findCidReferences(leaf: Leaf): { uri: string; target: number }[] {
  if (leaf.part.cardinality !== "single" || leaf.mediaType === undefined || !isTextualMediaType(leaf.mediaType)) {
    return [];
  }
  const found = new Map<number, string>();
  for (const match of utf8.decode(leaf.part.content).matchAll(CID_URI)) {
    const target = Number(match[1]);
    if (!found.has(target)) found.set(target, match[0]);
  }
  return [...found].map(([target, uri]) => ({ uri, target }));
}

function bodyOf(root: MimiContent | NestedPart): NestedPart {
  return "nestedPart" in root ? root.nestedPart : root;
}

function receiverMediaTypes(receiver: ReceiverCapabilities): MediaType[] {
  const entries = [...receiver.supportedTypes];
  if (receiver.includeRequiredTypes !== false) entries.push(...REQUIRED_MEDIA_TYPES);
  return entries.map((entry, i) => {
    const mediaType = parseMediaType(entry);
    if (mediaType === undefined) {
      throw new ContentError(`supportedTypes[${i}]`, `not a media type: ${JSON.stringify(entry)}`);
    }
    return mediaType;
  });
}

function effectiveDisposition(disposition: number, enclosing: number): number {
  // content-08 s.9.1: an unknown disposition is treated as if it were `render`.
  if (disposition > Disposition.preview) return Disposition.render;
  return disposition === Disposition.unspecified ? enclosing : disposition;
}

/**
 * Position of the first receiver language matched by one of the part's tags
 * (a comma-separated list, content-08 s.4.4). A tag matches a receiver
 * language when equal ignoring case or when one is a prefix of the other at a
 * subtag boundary (`fr` and `fr-CA` match both ways).
 */
function languageRank(language: string, languages: readonly string[]): number {
  const tags = language
    .split(",")
    .map((tag) => tag.trim().toLowerCase())
    .filter((tag) => tag !== "");
  const rank = languages.findIndex((wanted) =>
    tags.some((tag) => tag === wanted || tag.startsWith(`${wanted}-`) || wanted.startsWith(`${tag}-`)),
  );
  return rank >= 0 ? rank : languages.length;
}

interface AlternativeKey {
  readonly languageRank: number;
  readonly lost: number;
  /** Type ranks of the selected parts, best first. */
  readonly typeRanks: readonly number[];
  readonly senderPosition: number;
}

function alternativeKey(selection: Selection, senderPosition: number): AlternativeKey {
  return {
    languageRank: selection.selected.reduce(
      (best, leaf) => Math.min(best, leaf.languageRank),
      Number.POSITIVE_INFINITY,
    ),
    lost: selection.lost,
    typeRanks: selection.selected.map((leaf) => leaf.typeRank).sort((a, b) => a - b),
    senderPosition,
  };
}

function compareKeys(a: AlternativeKey, b: AlternativeKey): number {
  if (a.languageRank !== b.languageRank) return a.languageRank - b.languageRank;
  if (a.lost !== b.lost) return a.lost - b.lost;
  for (const [i, rank] of a.typeRanks.entries()) {
    const otherRank = b.typeRanks[i];
    if (otherRank === undefined) break;
    if (rank !== otherRank) return rank - otherRank;
  }
  return a.senderPosition - b.senderPosition;
}
