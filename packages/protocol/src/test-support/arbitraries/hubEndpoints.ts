import fc from "fast-check";
import { ConsentOperation } from "../../consent.js";
import { Protocol } from "../../constants.js";
import { GroupInfoCode } from "../../groupInfo.js";
import { FieldSource, IdentifierQueryCode, SearchIdentifierType } from "../../identifierQuery.js";
import { bytes, list, maybe, mlsArbitrary, text, uint8, uint64, uri } from "./common.js";
import { arbitraries as framing } from "./framing.js";
import type { Arbitraries } from "./types.js";

const { AppDataDictionary: appDataDictionary, Frank: frank, RatchetTreeOption: ratchetTreeOption } = framing;
if (appDataDictionary === undefined || frank === undefined || ratchetTreeOption === undefined) {
  throw new Error("framing.ts lost its AppDataDictionary, Frank or RatchetTreeOption generator");
}

const requestTbs = fc.record({
  protocol: fc.constant(Protocol.mls10),
  cipherSuite: mlsArbitrary.cipherSuite,
  requestingSignatureKey: mlsArbitrary.signaturePublicKey,
  requestingCredential: mlsArbitrary.credential,
  groupInfoPublicKey: mlsArbitrary.hpkePublicKey,
  joiningCode: maybe(bytes()),
});
const pendingProposal = fc.record({ proposal: mlsArbitrary.proposalMessage, hubAcceptedTime: uint64 });
const responseHeader = { version: fc.constant(Protocol.mls10), roomId: bytes() };
const signedFields = {
  cipherSuite: mlsArbitrary.cipherSuite,
  hubSender: mlsArbitrary.externalSender,
  encryptedGroupinfoAndTree: mlsArbitrary.hpkeCiphertext,
};

const scope = { requesterUri: uri, targetUri: uri, roomId: maybe(uri) };
const otherOperation = fc.constantFrom(ConsentOperation.cancel, ConsentOperation.request, ConsentOperation.revoke);

const searchValue = text();
const plainSearchType = fc.constantFrom(
  SearchIdentifierType.handle,
  SearchIdentifierType.nick,
  SearchIdentifierType.email,
  SearchIdentifierType.phone,
  SearchIdentifierType.partialName,
  SearchIdentifierType.wholeProfile,
);
const queryElement = fc.oneof(
  fc.record({ searchType: plainSearchType, searchValue }),
  fc.record({ searchType: fc.constant(SearchIdentifierType.oidcStdClaim), claimName: bytes(20), searchValue }),
  fc.record({ searchType: fc.constant(SearchIdentifierType.vcardField), propertyName: bytes(20), searchValue }),
);
const profileField = fc.record({
  fieldSource: fc.constantFrom(...Object.values(FieldSource)),
  fieldName: text(),
  fieldValue: bytes(),
});
const userProfile = fc.record({ stableUri: uri, fields: list(profileField) });
const abusiveMessage = fc.record({ messageContent: bytes(80), frank, acceptedTimestamp: uint64 });

const pseudonymousTbs = fc.record({
  clientPseudonym: uri,
  userPseudonym: uri,
  signaturePublicKey: mlsArbitrary.signaturePublicKey,
});

/** Generators of the structs of protocol-06 s.5.6 to s.5.9 and s.6.1. */
export const arbitraries: Arbitraries = {
  GroupInfoRequestTBS: requestTbs,
  GroupInfoRequest: fc.tuple(requestTbs, bytes(72)).map(([tbs, signature]) => ({ ...tbs, signature })),
  GroupInfoCode: fc.constantFrom(...Object.values(GroupInfoCode)),
  PendingProposal: pendingProposal,
  GroupInfoRatchetTreeTBE: fc.record({
    groupInfo: mlsArbitrary.groupInfo,
    ratchetTreeOption,
    pendingProposals: list(pendingProposal),
  }),
  GroupInfoResponseTBS: fc.record({ ...responseHeader, status: fc.constant(GroupInfoCode.success), ...signedFields }),
  GroupInfoResponse: fc.record({
    ...responseHeader,
    result: fc.oneof(
      fc.record({ status: fc.constant(GroupInfoCode.success), ...signedFields, signature: bytes(72) }),
      fc.record({ status: fc.constantFrom(GroupInfoCode.notAuthorized, GroupInfoCode.noSuchRoom) }),
    ),
  }),
  ConsentOperation: fc.constantFrom(...Object.values(ConsentOperation)),
  ConsentEntry: fc.oneof(
    fc.record({ consentOperation: otherOperation, ...scope, consentExtensions: appDataDictionary }),
    fc.record({
      consentOperation: fc.constant(ConsentOperation.grant),
      ...scope,
      clientKeyPackages: list(mlsArbitrary.keyPackage),
      consentExtensions: appDataDictionary,
    }),
  ),
  ConsentScope: fc.record(scope),
  SearchIdentifierType: fc.constantFrom(...Object.values(SearchIdentifierType)),
  QueryElement: queryElement,
  IdentifierRequest: fc.record({ queryElements: list(queryElement), idRequestExtensions: appDataDictionary }),
  IdentifierQueryCode: fc.constantFrom(...Object.values(IdentifierQueryCode)),
  FieldSource: fc.constantFrom(...Object.values(FieldSource)),
  ProfileField: profileField,
  UserProfile: userProfile,
  IdentifierResponse: fc.record({
    responseCode: fc.constantFrom(...Object.values(IdentifierQueryCode)),
    uri: list(uri),
    foundProfiles: list(userProfile),
    idResponseExtensions: appDataDictionary,
  }),
  AbusiveMessage: abusiveMessage,
  AbuseType: uint8,
  AbuseReport: fc.record({
    reportingUser: uri,
    allegedAbuserUri: uri,
    reasonCode: uint8,
    note: text(40),
    messages: list(abusiveMessage),
    abuseExtensions: appDataDictionary,
  }),
  PseudonymousCredential: fc
    .tuple(pseudonymousTbs, bytes(80))
    .map(([tbs, identityLinkCiphertext]) => ({ ...tbs, identityLinkCiphertext })),
  PseudonymousCredentialTBS: pseudonymousTbs,
  IdentityLinkTBE: fc.record({ pseudonymousCredentialSignature: bytes(72), clientCredential: mlsArbitrary.credential }),
};
