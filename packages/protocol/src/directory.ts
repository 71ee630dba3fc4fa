/**
 * protocol-06 s.5.1: the directory document a provider serves at
 * /.well-known/mimi-protocol-directory, a JSON object giving, for each
 * endpoint, an https URL template (RFC 6570 level 1) with the one variable
 * that endpoint takes.
 */

/** protocol-06 s.5.1: where a provider's directory is found. */
export const DIRECTORY_WELL_KNOWN_PATH = "/.well-known/mimi-protocol-directory";

/** protocol-06 s.5.1: each endpoint of the directory and the variable its template takes. */
export const ENDPOINT_VARIABLES = {
  keyMaterial: "targetUser",
  update: "roomId",
  notify: "roomId",
  submitMessage: "roomId",
  groupInfo: "roomId",
  requestConsent: "targetUser",
  updateConsent: "requesterUser",
  identifierQuery: "domain",
  reportAbuse: "roomId",
  proxyDownload: "downloadUrl",
} as const;

export type MimiEndpoint = keyof typeof ENDPOINT_VARIABLES;

/** A checked directory: every endpoint's URL template. */
export type MimiDirectory = { readonly [E in MimiEndpoint]: string };

const ENDPOINTS = Object.keys(ENDPOINT_VARIABLES) as MimiEndpoint[];

/** A directory (or a template in it, or a value for it) that cannot be used; `field` names the member. */
export class DirectoryError extends Error {
  override readonly name = "DirectoryError";
  readonly field: string;
  readonly reason: string;

  constructor(field: string, reason: string) {
    super(field === "" ? reason : `${field}: ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

/** A template split into literals and the names of its expressions. */
type TemplatePart = { readonly literal: string } | { readonly variable: string };

// RFC 6570 s.2.3: varname = varchar *( ["."] varchar ), varchar = ALPHA / DIGIT / "_" / pct-encoded.
const VARCHAR = "(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})";
const VARNAME = new RegExp(`^${VARCHAR}+(?:\\.${VARCHAR}+)*$`);
// RFC 6570 s.2.2: the operators of levels 2 and 3, and those reserved for future extensions.
const OPERATORS = "+#./;?&=,!@|";
// RFC 6570 s.2.1: the ASCII characters a literal may hold ("%" only as pct-encoded, checked apart).
const LITERAL_ASCII = /^[!#$&()*+,\-./0-9:;=?@A-Z[\]_a-z~]$/;

/** RFC 6570 s.2.1 (RFC 3987): ucschar or iprivate, the non-ASCII code points a literal may hold. */
function isUcsCharOrPrivate(codePoint: number): boolean {
  if (codePoint < 0xa0 || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return false;
  if (codePoint >= 0xfdd0 && codePoint <= 0xfdef) return false;
  if (codePoint <= 0xffff) return codePoint < 0xfff0;
  return (codePoint & 0xfffe) !== 0xfffe;
}

function checkLiteral(field: string, literal: string): void {
  for (let at = 0; at < literal.length; ) {
    const codePoint = literal.codePointAt(at) as number;
    const char = String.fromCodePoint(codePoint);
    if (char === "%") {
      if (!/^%[0-9A-Fa-f]{2}$/.test(literal.slice(at, at + 3))) {
        throw new DirectoryError(field, "a % in a literal must start a pct-encoded octet (RFC 6570 s.2.1)");
      }
      at += 3;
      continue;
    }
    if (codePoint < 0x80 ? !LITERAL_ASCII.test(char) : !isUcsCharOrPrivate(codePoint)) {
      throw new DirectoryError(field, `invalid character ${JSON.stringify(char)} in a literal (RFC 6570 s.2.1)`);
    }
    at += char.length;
  }
}

/** Splits an RFC 6570 level 1 template (literals and `{name}` expressions), refusing anything else. */
function parseTemplate(field: string, template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let at = 0;
  while (at < template.length) {
    const open = template.indexOf("{", at);
    const literal = template.slice(at, open < 0 ? template.length : open);
    checkLiteral(field, literal);
    if (literal !== "") parts.push({ literal });
    if (open < 0) break;
    const close = template.indexOf("}", open);
    if (close < 0) throw new DirectoryError(field, "unclosed expression");
    const expression = template.slice(open + 1, close);
    if (expression !== "" && OPERATORS.includes(expression.charAt(0))) {
      throw new DirectoryError(field, `operator ${expression.charAt(0)} in {${expression}} is beyond RFC 6570 level 1`);
    }
    if (expression.includes(",")) {
      throw new DirectoryError(field, `several variables in {${expression}} are beyond RFC 6570 level 1`);
    }
    if (expression.endsWith("*") || expression.includes(":")) {
      throw new DirectoryError(field, `a modifier in {${expression}} is beyond RFC 6570 level 1`);
    }
    if (!VARNAME.test(expression)) throw new DirectoryError(field, `invalid expression {${expression}}`);
    parts.push({ variable: expression });
    at = close + 1;
  }
  return parts;
}

/**
 * Checks one endpoint's template: RFC 6570 level 1, exactly one expression,
 * naming the endpoint's variable, after the https scheme and host, so that
 * no value can change where the request goes.
 */
function checkTemplate(endpoint: MimiEndpoint, template: string): TemplatePart[] {
  const parts = parseTemplate(endpoint, template);
  const expected = ENDPOINT_VARIABLES[endpoint];
  const variables = parts.flatMap((part) => ("variable" in part ? [part.variable] : []));
  if (variables.length !== 1 || variables[0] !== expected) {
    const found = variables.length === 0 ? "none" : variables.map((name) => `{${name}}`).join(", ");
    throw new DirectoryError(endpoint, `must have exactly one expression, {${expected}}; found ${found}`);
  }
  const first = parts[0];
  const prefix = first !== undefined && "literal" in first ? first.literal : "";
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(prefix)?.[1];
  if (scheme === undefined) throw new DirectoryError(endpoint, "not an absolute URL");
  if (scheme.toLowerCase() !== "https") throw new DirectoryError(endpoint, `must be an https URL, not ${scheme}:`);
  if (!/^https:\/\/[^/?#]+[/?#]/i.test(prefix)) {
    throw new DirectoryError(endpoint, `{${expected}} must come after the host`);
  }
  if (!URL.canParse(expand(parts, "x"))) throw new DirectoryError(endpoint, "not a URL");
  return parts;
}

/**
 * RFC 6570 s.3.2.2 simple string expansion of a level 1 template: the value
 * as UTF-8 with every byte outside the unreserved set (ALPHA DIGIT - . _ ~)
 * percent-encoded; literals copied, non-ASCII ones (the only characters
 * outside printable ASCII a checked literal holds) percent-encoded (s.3.1).
 */
function expand(parts: readonly TemplatePart[], value: string): string {
  const encodedValue = encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return parts
    .map((part) =>
      "variable" in part ? encodedValue : part.literal.replace(/[^ -~]+/g, (run) => encodeURIComponent(run)),
    )
    .join("");
}

/**
 * Reads a directory document (the parsed JSON): an object with every endpoint
 * as an https URL template of RFC 6570 level 1 holding exactly the endpoint's
 * variable after the host. Members it does not know are ignored (like ACME's
 * directory, RFC 8555 s.7.1.1, the document can grow). Throws DirectoryError.
 *
 * The draft's example writes `.../v1/update{roomId}` without a slash: valid,
 * and accepted as written (it expands to `.../v1/updatemimi%3A...`).
 */
export function parseDirectory(json: unknown): MimiDirectory {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new DirectoryError("", "the directory must be a JSON object");
  }
  const document = json as Record<string, unknown>;
  const directory: Partial<Record<MimiEndpoint, string>> = {};
  for (const endpoint of ENDPOINTS) {
    const template = Object.hasOwn(document, endpoint) ? document[endpoint] : undefined;
    if (template === undefined) throw new DirectoryError(endpoint, "missing");
    if (typeof template !== "string") throw new DirectoryError(endpoint, "must be a string");
    checkTemplate(endpoint, template);
    directory[endpoint] = template;
  }
  return directory as MimiDirectory;
}

/**
 * The URL of `endpoint` for `value` (a room ID, user URI, domain or download
 * URL), percent-encoded as RFC 6570 simple expansion does: a `mimi://` URI
 * becomes one path segment. Throws DirectoryError if the template is not one
 * parseDirectory accepts or the value is not well-formed Unicode.
 */
export function expandEndpoint(directory: MimiDirectory, endpoint: MimiEndpoint, value: string): string {
  const parts = checkTemplate(endpoint, directory[endpoint]);
  if (!value.isWellFormed()) throw new DirectoryError(endpoint, "the value has a lone surrogate");
  return expand(parts, value);
}

/**
 * The standard directory of a provider whose endpoints live under `baseUrl`
 * (an https URL without query or fragment): `<baseUrl>/<endpoint>/{<variable>}`
 * for each endpoint, as in the draft's example (with `update/{roomId}`).
 */
export function directoryFor(baseUrl: string): MimiDirectory {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new DirectoryError("baseUrl", "not a URL");
  }
  if (url.protocol !== "https:") throw new DirectoryError("baseUrl", `must be an https URL, not ${url.protocol}`);
  if (baseUrl.includes("?") || baseUrl.includes("#")) {
    throw new DirectoryError("baseUrl", "must have no query or fragment");
  }
  const base = baseUrl.replace(/\/+$/, "");
  const document = Object.fromEntries(
    ENDPOINTS.map((endpoint) => [endpoint, `${base}/${endpoint}/{${ENDPOINT_VARIABLES[endpoint]}}`]),
  );
  try {
    return parseDirectory(document);
  } catch (error) {
    if (error instanceof DirectoryError) throw new DirectoryError("baseUrl", error.reason);
    throw error;
  }
}
