import { struct, type ValueOf, varOpaque } from "@mimi-ts/codec";
import { identifierUri } from "./identifiers.js";
import { credential, signaturePublicKey } from "./mls.js";
import { type StructEntry, structEntry } from "./structEntry.js";

/**
 * protocol-06 s.6.1: the draft's `opaque signature_public_key;` has no
 * length, which the presentation language cannot encode; it is read as
 * RFC 9420's SignaturePublicKey, `opaque<V>`.
 */
const tbsFields = {
  clientPseudonym: identifierUri,
  userPseudonym: identifierUri,
  signaturePublicKey,
} as const;

/** protocol-06 s.6.1: the credential of every leaf of a minimal metadata room. */
export const pseudonymousCredential = struct("PseudonymousCredential", {
  ...tbsFields,
  /** the encrypted IdentityLinkTBE */
  identityLinkCiphertext: varOpaque(),
});
export type PseudonymousCredential = ValueOf<typeof pseudonymousCredential>;

/** protocol-06 s.6.1: signed with the real credential's key, label "PseudonymousCredentialTBS". */
export const pseudonymousCredentialTbs = struct("PseudonymousCredentialTBS", tbsFields);
export type PseudonymousCredentialTbs = ValueOf<typeof pseudonymousCredentialTbs>;

/** The TBS a PseudonymousCredential's identity link signs. */
export function pseudonymousCredentialToBeSigned(value: PseudonymousCredential): PseudonymousCredentialTbs {
  const { identityLinkCiphertext: _ciphertext, ...tbs } = value;
  return tbs;
}

/** protocol-06 s.6.1: the plaintext of identity_link_ciphertext, the client's real credential and its signature. */
export const identityLinkTbe = struct("IdentityLinkTBE", {
  /** SignWithLabel(., "PseudonymousCredentialTBS", PseudonymousCredentialTBS) */
  pseudonymousCredentialSignature: varOpaque(),
  clientCredential: credential,
});
export type IdentityLinkTbe = ValueOf<typeof identityLinkTbe>;

export const pseudonymousCredentialStructs: readonly StructEntry[] = [
  structEntry("PseudonymousCredential", pseudonymousCredential, "protocol-06 s.6.1"),
  structEntry("PseudonymousCredentialTBS", pseudonymousCredentialTbs, "protocol-06 s.6.1"),
  structEntry("IdentityLinkTBE", identityLinkTbe, "protocol-06 s.6.1"),
];
