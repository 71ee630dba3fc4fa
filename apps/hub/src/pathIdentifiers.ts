import { type MimiUriKind, parseMimiUri } from "@mimi-ts/protocol";
import { HttpError } from "./httpErrors.js";

/**
 * The identifier after `prefix` in a request path, e.g. the room of
 * `/notify/{roomId}`. Two spellings are read: the standard directory's
 * expansion, the whole URI percent-encoded into one segment
 * (`/notify/mimi%3A%2F%2Fa.example%2Fr%2Fclubhouse`, protocol-06 s.5.1), and
 * the draft's s.3 flows, the URI without its scheme
 * (`/notify/a.example/r/clubhouse`). Returns the canonical URI; throws
 * HttpError 400 unless the identifier is a MIMI URI of `kind`.
 */
export function identifierFromPath(rawPath: string, prefix: string, kind: MimiUriKind): string {
  const rest = rawPath.startsWith(prefix) ? rawPath.slice(prefix.length) : "";
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    throw new HttpError(400, `the path after ${prefix} is not valid percent-encoding`);
  }
  const uri = decoded.startsWith("mimi://") ? decoded : `mimi://${decoded}`;
  const parsed = parseMimiUri(uri);
  if (parsed === undefined || parsed.kind !== kind) {
    throw new HttpError(400, `the path after ${prefix} must be a MIMI ${kind} URI, found ${JSON.stringify(decoded)}`);
  }
  return parsed.uri;
}
