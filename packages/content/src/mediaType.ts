/**
 * Media types as carried in the contentType field of SinglePart and
 * ExternalPart (content-08 s.4.4 {8}): `type/subtype *(; name=value)`.
 */
export interface MediaType {
  /** Lower-cased. */
  readonly type: string;
  /** Lower-cased. */
  readonly subtype: string;
  /** Names lower-cased; values unquoted, case preserved. */
  readonly parameters: ReadonlyMap<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;
const WHITESPACE = /^[ \t]*/;

/**
 * Parses `type/subtype` with optional parameters (RFC 9110 s.8.3.1 syntax,
 * values as token or quoted-string). Returns undefined for anything else,
 * including a parameter given twice, since its meaning would be ambiguous.
 */
export function parseMediaType(text: string): MediaType | undefined {
  let rest = skipWhitespace(text);
  const type = TOKEN.exec(rest)?.[0];
  if (type === undefined) return undefined;
  rest = rest.slice(type.length);
  if (!rest.startsWith("/")) return undefined;
  rest = rest.slice(1);
  const subtype = TOKEN.exec(rest)?.[0];
  if (subtype === undefined) return undefined;
  rest = skipWhitespace(rest.slice(subtype.length));

  const parameters = new Map<string, string>();
  while (rest.length > 0) {
    if (!rest.startsWith(";")) return undefined;
    rest = skipWhitespace(rest.slice(1));
    // RFC 9110 allows empty parameters (`text/plain;;charset=utf-8` or a trailing `;`).
    if (rest.length === 0 || rest.startsWith(";")) continue;
    const name = TOKEN.exec(rest)?.[0];
    if (name === undefined) return undefined;
    rest = rest.slice(name.length);
    if (!rest.startsWith("=")) return undefined;
    rest = rest.slice(1);
    const value = rest.startsWith('"') ? readQuotedString(rest) : readToken(rest);
    if (value === undefined) return undefined;
    const key = name.toLowerCase();
    if (parameters.has(key)) return undefined;
    parameters.set(key, value.value);
    rest = skipWhitespace(rest.slice(value.length));
  }
  return { type: type.toLowerCase(), subtype: subtype.toLowerCase(), parameters };
}

/**
 * True when `candidate` (a part's type) satisfies `supported` (a receiver's
 * entry): type and subtype equal ignoring case, and every parameter of the
 * entry present in the candidate with an equal value. Extra parameters of the
 * candidate are ignored. `charset` values compare ignoring case (RFC 2046
 * s.4.1.2); other values compare exactly.
 */
export function mediaTypeMatches(candidate: MediaType, supported: MediaType): boolean {
  if (candidate.type !== supported.type || candidate.subtype !== supported.subtype) return false;
  for (const [name, wanted] of supported.parameters) {
    const given = candidate.parameters.get(name);
    if (given === undefined) return false;
    const equal = name === "charset" ? given.toLowerCase() === wanted.toLowerCase() : given === wanted;
    if (!equal) return false;
  }
  return true;
}

/** Types whose content is text that can carry `cid:` URIs: `text/*` and `+xml` structured syntax (RFC 6839). */
export function isTextualMediaType(mediaType: MediaType): boolean {
  return mediaType.type === "text" || mediaType.subtype.endsWith("+xml");
}

function skipWhitespace(text: string): string {
  return text.slice(WHITESPACE.exec(text)?.[0].length ?? 0);
}

function readToken(text: string): { value: string; length: number } | undefined {
  const token = TOKEN.exec(text)?.[0];
  return token === undefined ? undefined : { value: token, length: token.length };
}

function readQuotedString(text: string): { value: string; length: number } | undefined {
  let value = "";
  for (let i = 1; i < text.length; i++) {
    const char = text.charAt(i);
    if (char === '"') return { value, length: i + 1 };
    if (char === "\\") {
      i++;
      if (i === text.length) return undefined;
      value += text.charAt(i);
    } else {
      value += char;
    }
  }
  return undefined;
}
