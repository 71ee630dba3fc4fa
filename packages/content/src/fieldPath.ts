import { bytesToHex } from "@noble/hashes/utils.js";
import type { CborKey } from "./cborValue.js";
import { ContentError } from "./errors.js";

/** A path segment naming the value of a map entry. */
export class KeySegment {
  constructor(readonly key: CborKey) {}
}

/** A field name, an array index, or a map key. */
export type PathSegment = string | number | KeySegment;

/**
 * Where a reader or writer is inside a document, for error messages such as
 * `nestedPart.parts[1].contentType` or `extensions["x"][0]`. Kept as a stack
 * of segments and turned into text only when an error is raised, so valid
 * input costs no string building.
 */
export class FieldPath {
  private readonly segments: PathSegment[] = [];

  enter(segment: PathSegment): void {
    this.segments.push(segment);
  }

  leave(): void {
    this.segments.pop();
  }

  /** An error at `field` of the current position, or at the current position itself. */
  error(field: PathSegment | undefined, reason: string): ContentError {
    let text = "";
    const segments = field === undefined ? this.segments : [...this.segments, field];
    for (const segment of segments) {
      if (typeof segment === "number") text += `[${segment}]`;
      else if (segment instanceof KeySegment) text += `[${keyLabel(segment.key)}]`;
      else text += text === "" ? segment : `.${segment}`;
    }
    return new ContentError(text, reason);
  }
}

/** How a map key appears in a field path: `[1]`, `["name"]`, `[h'00ff']`. */
export function keyLabel(key: CborKey): string {
  if (typeof key === "string") return JSON.stringify(key);
  if (key instanceof Uint8Array) return `h'${bytesToHex(key)}'`;
  return String(key);
}
