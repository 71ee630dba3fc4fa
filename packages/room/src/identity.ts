import { type Claim, CredentialType, parseMimiUri } from "@mimi-ts/protocol";
import type { AuthenticationService, Credential, CredentialBasic } from "ts-mls";

/**
 * MIMI identities in MLS. A MIMI client's credential is an MLS basic
 * credential (RFC 9420 s.5.3) whose identity is the UTF-8 text of its client
 * URI. protocol-06 s.3 names clients `mimi://<domain>/d/<client>` and users
 * `mimi://<domain>/u/<user>` but says nothing of how one leads to the other;
 * the rule here is that a client URI has exactly two segments after `/d/`,
 * `<user>/<client>`, and belongs to the user `mimi://<domain>/u/<user>` of the
 * same domain. `mimi://d.example/d/alice/laptop` is a client of
 * `mimi://d.example/u/alice`; the content draft's
 * `mimi://example.com/d/3b52249d-.../0003` has that shape, while protocol-06
 * Table 1's `mimi://a.example/d/ClientA1` names no user and is refused.
 * Identities must be canonical (`parseMimiUri` gives the same text back, so
 * the domain is lower case): then equal strings are equal identities.
 */
export interface MimiClientIdentity {
  /** `mimi://<domain>/d/<user>/<client>`, canonical */
  readonly clientUri: string;
  /** `mimi://<domain>/u/<user>` */
  readonly userUri: string;
  /** the provider's domain, lower case */
  readonly domain: string;
  /** the user's id within its provider */
  readonly userId: string;
  /** the client's id within its user */
  readonly clientId: string;
}

export type IdentityErrorCode =
  | "not-basic-credential"
  | "identity-not-utf8"
  | "not-a-client-uri"
  | "not-canonical"
  | "client-uri-without-user"
  | "domain-not-allowed"
  | "unknown-client"
  | "signature-key-mismatch"
  | "identity-changed";

/** Why an identity was refused, as data (the policy engine and the Hub report it). */
export interface IdentityError {
  readonly code: IdentityErrorCode;
  readonly reason: string;
}

export type IdentityResult =
  | { readonly ok: true; readonly identity: MimiClientIdentity }
  | { readonly ok: false; readonly error: IdentityError };

function refused(code: IdentityErrorCode, reason: string): IdentityResult {
  return { ok: false, error: { code, reason } };
}

/** Reads a client URI and the user it belongs to (the `<user>/<client>` rule above). */
export function parseClientUri(text: string): IdentityResult {
  const parsed = parseMimiUri(text);
  if (parsed === undefined || parsed.kind !== "device") {
    return refused("not-a-client-uri", `${JSON.stringify(text)} is not a MIMI client URI (mimi://<domain>/d/...)`);
  }
  if (parsed.uri !== text) {
    return refused("not-canonical", `${JSON.stringify(text)} is not canonical; its canonical form is ${parsed.uri}`);
  }
  const segments = parsed.id.split("/");
  const [userId, clientId] = segments;
  if (segments.length !== 2 || userId === undefined || clientId === undefined) {
    return refused(
      "client-uri-without-user",
      `${text} does not name its user: a client URI is mimi://<domain>/d/<user>/<client>`,
    );
  }
  return {
    ok: true,
    identity: {
      clientUri: text,
      userUri: `mimi://${parsed.domain}/u/${userId}`,
      domain: parsed.domain,
      userId,
      clientId,
    },
  };
}

/** The user URI a client URI belongs to, or undefined when it is not a client URI of the `<user>/<client>` shape. */
export function userUriOfClient(clientUri: string): string | undefined {
  const result = parseClientUri(clientUri);
  return result.ok ? result.identity.userUri : undefined;
}

/**
 * `mimi://<domain>/d/<user>/<clientId>` for the user `mimi://<domain>/u/<user>`.
 * Throws RangeError when userUri is not a canonical user URI or clientId is
 * not one URI path segment: both are the caller's own values.
 */
export function buildClientUri(userUri: string, clientId: string): string {
  const user = parseMimiUri(userUri);
  if (user === undefined || user.kind !== "user" || user.uri !== userUri) {
    throw new RangeError(`${JSON.stringify(userUri)} is not a canonical MIMI user URI (mimi://<domain>/u/<user>)`);
  }
  const candidate = `mimi://${user.domain}/d/${user.id}/${clientId}`;
  const result = parseClientUri(candidate);
  if (!result.ok || result.identity.clientId !== clientId) {
    throw new RangeError(`${JSON.stringify(clientId)} is not a client id (one non-empty URI path segment)`);
  }
  return candidate;
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

/** The MIMI identity of an MLS credential: a basic credential whose identity is a client URI. */
export function credentialIdentity(credential: Credential): IdentityResult {
  // ts-mls types custom credentials as Credential too, with a numeric-string credentialType.
  if (credential.credentialType !== "basic") {
    return refused(
      "not-basic-credential",
      `a MIMI credential is a basic credential, found ${String(credential.credentialType)}`,
    );
  }
  let text: string;
  try {
    text = utf8Decoder.decode(credential.identity);
  } catch {
    return refused("identity-not-utf8", "the basic credential's identity is not UTF-8 text, hence no URI");
  }
  return parseClientUri(text);
}

/** The basic credential of a client URI. Throws RangeError when clientUri is not one (see parseClientUri). */
export function basicCredential(clientUri: string): CredentialBasic {
  const result = parseClientUri(clientUri);
  if (!result.ok) throw new RangeError(result.error.reason);
  return { credentialType: "basic", identity: utf8Encoder.encode(clientUri) };
}

export interface MimiAuthenticationOptions {
  /** Accept only clients of these provider domains (compared in lower case). */
  readonly domains?: readonly string[];
  /**
   * The signature key pinned for a client, or undefined when the client is
   * unknown (then refused). When given, the leaf's key must equal it.
   */
  readonly pinnedSignatureKey?: (
    identity: MimiClientIdentity,
  ) => Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}

/** What mimiAuthenticationService decides, with the reason: the credential's identity or why it is refused. */
export async function validateMimiCredential(
  credential: Credential,
  signaturePublicKey: Uint8Array,
  options: MimiAuthenticationOptions = {},
): Promise<IdentityResult> {
  const result = credentialIdentity(credential);
  if (!result.ok) return result;
  const { identity } = result;
  if (options.domains !== undefined && !options.domains.some((domain) => domain.toLowerCase() === identity.domain)) {
    return refused("domain-not-allowed", `clients of ${identity.domain} are not accepted here`);
  }
  if (options.pinnedSignatureKey !== undefined) {
    const pinned = await options.pinnedSignatureKey(identity);
    if (pinned === undefined) return refused("unknown-client", `no signature key is known for ${identity.clientUri}`);
    if (!sameBytes(pinned, signaturePublicKey)) {
      return refused("signature-key-mismatch", `the signature key is not the one pinned for ${identity.clientUri}`);
    }
  }
  return result;
}

/**
 * ts-mls's AuthenticationService for MIMI: accepts only basic credentials
 * carrying a canonical MIMI client URI of the `<user>/<client>` shape,
 * optionally only from some domains and with a pinned signature key.
 */
export function mimiAuthenticationService(options: MimiAuthenticationOptions = {}): AuthenticationService {
  return {
    async validateCredential(credential, signaturePublicKey) {
      return (await validateMimiCredential(credential, signaturePublicKey, options)).ok;
    },
  };
}

/**
 * For a leaf replaced by an Update proposal or a commit's UpdatePath
 * (RFC 9420 s.7.9, s.12.1.2): the new credential must name the same client
 * (hence the same user) as the old one. Returns the identity both carry.
 */
export function checkIdentityContinuity(oldCredential: Credential, newCredential: Credential): IdentityResult {
  const before = credentialIdentity(oldCredential);
  if (!before.ok) return refused(before.error.code, `old credential: ${before.error.reason}`);
  const after = credentialIdentity(newCredential);
  if (!after.ok) return refused(after.error.code, `new credential: ${after.error.reason}`);
  if (after.identity.clientUri !== before.identity.clientUri) {
    return refused(
      "identity-changed",
      `a leaf of ${before.identity.clientUri} may not be replaced by one of ${after.identity.clientUri}`,
    );
  }
  return after;
}

/**
 * room-policy-03 s.4 matches ClaimIds `(credential_type, id)` against the
 * requester's credential, and leaves the claims of each credential type to
 * it. A basic credential carries one URI, so the claims here are read from
 * it: `domain` (the provider's domain, lower case), `user` (the user URI) and
 * `client` (the client URI), each present when the URI has it. ids and values
 * are UTF-8 bytes; credential_type is basic(1). Only canonical URIs give claims.
 */
export const BasicCredentialClaim = { domain: "domain", user: "user", client: "client" } as const;
export type BasicCredentialClaimName = keyof typeof BasicCredentialClaim;

/** One claim of a basic credential, as a preauthorization entry writes it. */
export function basicCredentialClaim(name: BasicCredentialClaimName, value: string): Claim {
  return {
    claimId: { credentialType: CredentialType.basic, id: utf8Encoder.encode(BasicCredentialClaim[name]) },
    claimValue: utf8Encoder.encode(value),
  };
}

/**
 * The claims of a basic credential whose identity is `identityUri`: a client
 * URI gives domain, user and client; a user URI domain and user; a device URI
 * of another shape domain and client; a provider URI (an external sender such
 * as a Hub) its domain. Anything else (a room URI, a non-canonical or non-MIMI
 * URI) gives none.
 */
export function basicCredentialClaims(identityUri: string): Claim[] {
  const client = parseClientUri(identityUri);
  if (client.ok) {
    return [
      basicCredentialClaim("domain", client.identity.domain),
      basicCredentialClaim("user", client.identity.userUri),
      basicCredentialClaim("client", client.identity.clientUri),
    ];
  }
  const parsed = parseMimiUri(identityUri);
  if (parsed === undefined || parsed.uri !== identityUri) return [];
  if (parsed.kind === "user") {
    return [basicCredentialClaim("domain", parsed.domain), basicCredentialClaim("user", parsed.uri)];
  }
  if (parsed.kind === "provider") return [basicCredentialClaim("domain", parsed.domain)];
  if (parsed.kind === "device") {
    return [basicCredentialClaim("domain", parsed.domain), basicCredentialClaim("client", parsed.uri)];
  }
  return [];
}
