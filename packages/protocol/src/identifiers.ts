import { type Codec, utf8 } from "@mimi-ts/codec";

/**
 * protocol-06 s.5.2: `struct { opaque uri<V>; } IdentifierUri`, held as its
 * string. The wire form is any UTF-8 text; `parseMimiUri` reads the
 * `mimi://` identifiers of users, devices and rooms.
 */
export const identifierUri: Codec<string> = { ...utf8(), name: "IdentifierUri" };

export type MimiUriKind = "provider" | "user" | "device" | "room";

/** A parsed `mimi://<domain>[/<u|d|r>/<id>...]` identifier. */
export interface MimiUri {
  readonly kind: MimiUriKind;
  /** The provider's domain, lower case. */
  readonly domain: string;
  /** What follows `/u/`, `/d/` or `/r/` (a device id may have several segments); empty for a provider. */
  readonly id: string;
  /** The canonical text of the URI. */
  readonly uri: string;
}

const KIND_BY_SEGMENT: Record<string, MimiUriKind> = { u: "user", d: "device", r: "room" };

/**
 * Reads a MIMI identifier URI: `mimi://a.example` (a provider),
 * `mimi://a.example/u/alice` (a user), `mimi://a.example/d/alice/1` (a
 * device), `mimi://a.example/r/clubhouse` (a room). Returns undefined for
 * anything else, including ports, user info, queries and fragments.
 */
export function parseMimiUri(text: string): MimiUri | undefined {
  const match = /^mimi:\/\/([a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?)(?:\/([udr])\/([^?#\s]+))?$/.exec(text);
  if (match === null) return undefined;
  const domain = (match[1] as string).toLowerCase();
  const segment = match[2];
  const id = match[3] ?? "";
  if (segment === undefined) return { kind: "provider", domain, id: "", uri: `mimi://${domain}` };
  const kind = KIND_BY_SEGMENT[segment] as MimiUriKind;
  if (id.split("/").some((part) => part === "" || part === "." || part === "..")) return undefined;
  if (kind !== "device" && id.includes("/")) return undefined;
  return { kind, domain, id, uri: `mimi://${domain}/${segment}/${id}` };
}
