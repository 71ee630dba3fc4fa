import { enumeration, select, struct, uint8, utf8, type ValueOf, varOpaque, vector } from "@mimi-ts/codec";
import { appDataDictionary } from "./appData.js";
import { identifierUri } from "./identifiers.js";
import { type StructEntry, structEntry } from "./structEntry.js";

/** protocol-06 s.5.8; reserved(0) is not a search type. */
export const SearchIdentifierType = {
  handle: 1,
  nick: 2,
  email: 3,
  phone: 4,
  partialName: 5,
  wholeProfile: 6,
  oidcStdClaim: 7,
  vcardField: 8,
} as const;
export const searchIdentifierType = enumeration("SearchIdentifierType", uint8, SearchIdentifierType);

/** protocol-06 s.5.8: `opaque searchValue<V>`, "a UTF8 string": decoded as text, invalid UTF-8 is refused. */
const searchValue = utf8();

/**
 * protocol-06 s.5.8. The draft's `select(type)` is `select (searchType)`:
 * oidcStdClaim names the OIDC claim and vcardField the vCard property
 * (both opaque as written), other types carry only the search value.
 */
export const queryElement = select("QueryElement", "searchType", searchIdentifierType, {
  [SearchIdentifierType.handle]: { searchValue },
  [SearchIdentifierType.nick]: { searchValue },
  [SearchIdentifierType.email]: { searchValue },
  [SearchIdentifierType.phone]: { searchValue },
  [SearchIdentifierType.partialName]: { searchValue },
  [SearchIdentifierType.wholeProfile]: { searchValue },
  [SearchIdentifierType.oidcStdClaim]: { claimName: varOpaque(), searchValue },
  [SearchIdentifierType.vcardField]: { propertyName: varOpaque(), searchValue },
});
export type QueryElement = ValueOf<typeof queryElement>;

/** protocol-06 s.5.8: POST /identifierQuery/{domain}; every element must match (AND). */
export const identifierRequest = struct("IdentifierRequest", {
  queryElements: vector(queryElement),
  idRequestExtensions: appDataDictionary,
});
export type IdentifierRequest = ValueOf<typeof identifierRequest>;

/** protocol-06 s.5.8. */
export const IdentifierQueryCode = {
  success: 0,
  notFound: 1,
  ambiguous: 2,
  forbidden: 3,
  unsupportedField: 4,
} as const;
export const identifierQueryCode = enumeration("IdentifierQueryCode", uint8, IdentifierQueryCode);

/** protocol-06 s.5.8: where a profile field's name comes from; reserved(0) and every other value are refused. */
export const FieldSource = { oidcStdClaim: 7, vcardField: 8 } as const;
export const fieldSource = enumeration("FieldSource", uint8, FieldSource);

/** protocol-06 s.5.8. `string fieldName` is read as `opaque fieldName<V>` holding UTF-8. */
export const profileField = struct("ProfileField", {
  fieldSource,
  fieldName: utf8(),
  fieldValue: varOpaque(),
});
export type ProfileField = ValueOf<typeof profileField>;

/** protocol-06 s.5.8. */
export const userProfile = struct("UserProfile", {
  stableUri: identifierUri,
  fields: vector(profileField),
});
export type UserProfile = ValueOf<typeof userProfile>;

/** protocol-06 s.5.8. `IdentifierUri uri<V>` is a vector of IdentifierUri. */
export const identifierResponse = struct("IdentifierResponse", {
  responseCode: identifierQueryCode,
  uri: vector(identifierUri),
  foundProfiles: vector(userProfile),
  idResponseExtensions: appDataDictionary,
});
export type IdentifierResponse = ValueOf<typeof identifierResponse>;

export const identifierQueryStructs: readonly StructEntry[] = [
  structEntry("SearchIdentifierType", searchIdentifierType, "protocol-06 s.5.8"),
  structEntry("QueryElement", queryElement, "protocol-06 s.5.8"),
  structEntry("IdentifierRequest", identifierRequest, "protocol-06 s.5.8"),
  structEntry("IdentifierQueryCode", identifierQueryCode, "protocol-06 s.5.8"),
  structEntry("FieldSource", fieldSource, "protocol-06 s.5.8"),
  structEntry("ProfileField", profileField, "protocol-06 s.5.8"),
  structEntry("UserProfile", userProfile, "protocol-06 s.5.8"),
  structEntry("IdentifierResponse", identifierResponse, "protocol-06 s.5.8"),
];
