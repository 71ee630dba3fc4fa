import type { Credential } from "ts-mls";
import { type AbuseReport, AbuseType, type AbusiveMessage } from "../../abuse.js";
import { type ConsentEntry, ConsentOperation, type ConsentScope } from "../../consent.js";
import { Protocol } from "../../constants.js";
import {
  GroupInfoCode,
  type GroupInfoRatchetTreeTbe,
  type GroupInfoRequest,
  type GroupInfoResponse,
  type GroupInfoResponseTbs,
  type PendingProposal,
} from "../../groupInfo.js";
import {
  FieldSource,
  IdentifierQueryCode,
  type IdentifierRequest,
  type IdentifierResponse,
  type ProfileField,
  type QueryElement,
  SearchIdentifierType,
  type UserProfile,
} from "../../identifierQuery.js";
import type { IdentityLinkTbe, PseudonymousCredential } from "../../pseudonymousCredential.js";
import { RatchetTreeRepresentation } from "../../ratchetTreeOptions.js";
import { mls } from "../mlsFixtures.js";
import type { Examples } from "./types.js";

const text = new TextEncoder();
const room = "mimi://a.example/r/clubhouse";
const noExtensions = { componentData: [] };
/** mls-extensions s.7.5: component IDs 0x8000 to 0xFFFF are for private use. */
const PRIVATE_USE_COMPONENT = 0x8000;

// s.5.6: cathy's new device joins the clubhouse (hosted by a.example) by external commit.
const cathysDevice: Credential = { credentialType: "basic", identity: text.encode("mimi://c.example/d/cathy/2") };
const cathysRequest: GroupInfoRequest = {
  protocol: Protocol.mls10,
  cipherSuite: mls.cipherSuite,
  requestingSignatureKey: new Uint8Array(32).fill(0xc2),
  requestingCredential: cathysDevice,
  groupInfoPublicKey: new Uint8Array(32).fill(0xc3),
  joiningCode: undefined,
  signature: new Uint8Array(64).fill(0xc4),
};
const { signature: _requestSignature, ...cathysRequestTbs } = cathysRequest;
const withJoiningCode: GroupInfoRequest = {
  ...cathysRequest,
  joiningCode: text.encode("J8K2-PQ7X"),
  signature: new Uint8Array(64).fill(0xc5),
};

const pending: PendingProposal = { proposal: mls.proposalMessage, hubAcceptedTime: 1644387225019n };
const successResponse: GroupInfoResponse = {
  version: Protocol.mls10,
  roomId: text.encode(room),
  result: {
    status: GroupInfoCode.success,
    cipherSuite: mls.cipherSuite,
    hubSender: mls.externalSender,
    encryptedGroupinfoAndTree: mls.hpkeCiphertext,
    signature: new Uint8Array(64).fill(0xa1),
  },
};
const successTbs: GroupInfoResponseTbs = {
  version: Protocol.mls10,
  roomId: text.encode(room),
  status: GroupInfoCode.success,
  cipherSuite: mls.cipherSuite,
  hubSender: mls.externalSender,
  encryptedGroupinfoAndTree: mls.hpkeCiphertext,
};
const withTree: GroupInfoRatchetTreeTbe = {
  groupInfo: mls.groupInfo,
  ratchetTreeOption: { representation: RatchetTreeRepresentation.full, ratchetTree: [mls.node, undefined, mls.node] },
  pendingProposals: [pending],
};
const rebuiltTree: GroupInfoRatchetTreeTbe = {
  groupInfo: mls.groupInfo,
  ratchetTreeOption: { representation: RatchetTreeRepresentation.distributionService },
  pendingProposals: [],
};

// s.5.7: alice (a.example) and bob (b.example).
const clubhouseScope: ConsentScope = {
  requesterUri: "mimi://a.example/u/alice",
  targetUri: "mimi://b.example/u/bob",
  roomId: room,
};
const consent = {
  request: { consentOperation: ConsentOperation.request, ...clubhouseScope, consentExtensions: noExtensions },
  cancel: { consentOperation: ConsentOperation.cancel, ...clubhouseScope, consentExtensions: noExtensions },
  grant: {
    consentOperation: ConsentOperation.grant,
    ...clubhouseScope,
    clientKeyPackages: [...mls.keyPackages],
    consentExtensions: noExtensions,
  },
  emptyGrant: {
    consentOperation: ConsentOperation.grant,
    requesterUri: "mimi://b.example/u/bob",
    targetUri: "mimi://a.example/u/alice",
    roomId: undefined,
    clientKeyPackages: [],
    consentExtensions: noExtensions,
  },
  revoke: {
    consentOperation: ConsentOperation.revoke,
    requesterUri: "mimi://a.example/u/alice",
    targetUri: "mimi://b.example/u/bob",
    roomId: undefined,
    consentExtensions: { componentData: [{ componentId: PRIVATE_USE_COMPONENT, data: text.encode("denied") }] },
  },
} satisfies Record<string, ConsentEntry>;

// s.5.8: Xavier, Yolanda and Zach at provider XYZ.
const handleQuery: QueryElement = { searchType: SearchIdentifierType.handle, searchValue: "im:yolanda@xyz.example" };
const givenName: QueryElement = {
  searchType: SearchIdentifierType.oidcStdClaim,
  claimName: text.encode("given_name"),
  searchValue: "Xavier",
};
const organization: QueryElement = {
  searchType: SearchIdentifierType.vcardField,
  propertyName: text.encode("ORG"),
  searchValue: "XYZ Sales",
};
const yolandasName: ProfileField = {
  fieldSource: FieldSource.oidcStdClaim,
  fieldName: "name",
  fieldValue: text.encode("Yolanda Ybarra"),
};
const yolandasOrganization: ProfileField = {
  fieldSource: FieldSource.vcardField,
  fieldName: "ORG",
  fieldValue: text.encode("XYZ Consulting"),
};
const yolanda: UserProfile = {
  stableUri: "mimi://xyz.example/u/4f9d2c71",
  fields: [yolandasName, yolandasOrganization],
};

// s.5.9: bob reports a franked message alice sent to the clubhouse.
const abusive: AbusiveMessage = {
  messageContent: text.encode("(the MIMI content message as delivered)"),
  frank: {
    serverFrank: new Uint8Array(32).fill(0x11),
    frankingSignatureCiphersuite: mls.cipherSuite,
    frankingIntegritySignature: new Uint8Array(64).fill(0x22),
  },
  acceptedTimestamp: 1644387225019n,
};
const report: AbuseReport = {
  reportingUser: "mimi://b.example/u/bob",
  allegedAbuserUri: "mimi://a.example/u/alice",
  reasonCode: AbuseType.unspecified,
  note: "unsolicited links, again",
  messages: [abusive],
  abuseExtensions: noExtensions,
};

// s.6.1: alice's device in a minimal metadata room.
const pseudonymous: PseudonymousCredential = {
  clientPseudonym: "mimi://a.example/d/0b7e4d2a-3c51-4f7e-9a0c-5d2f1e8b6c94",
  userPseudonym: "mimi://a.example/u/9c2f6a11-7d84-4b3e-a5f0-2e6b8c1d4a77",
  signaturePublicKey: mls.signaturePublicKey,
  identityLinkCiphertext: new Uint8Array(48).fill(0x6e),
};
const { identityLinkCiphertext: _ciphertext, ...pseudonymousTbs } = pseudonymous;
const identityLink: IdentityLinkTbe = {
  pseudonymousCredentialSignature: new Uint8Array(64).fill(0x6f),
  clientCredential: mls.credential,
};

/** Examples of the structs of protocol-06 s.5.6 to s.5.9 and s.6.1. */
export const examples: Examples = {
  GroupInfoRequestTBS: [{ description: "what cathy's new device signs", value: cathysRequestTbs }],
  GroupInfoRequest: [
    { description: "cathy's new device asks the hub for the clubhouse's GroupInfo", value: cathysRequest },
    { description: "the same request with a joining code", value: withJoiningCode },
  ],
  GroupInfoCode: [
    { description: "success", value: GroupInfoCode.success },
    { description: "not authorized", value: GroupInfoCode.notAuthorized },
    { description: "no such room", value: GroupInfoCode.noSuchRoom },
  ],
  PendingProposal: [{ description: "bob's Remove proposal, accepted by the hub", value: pending }],
  GroupInfoRatchetTreeTBE: [
    { description: "the GroupInfo, the full tree and one pending proposal", value: withTree },
    { description: "the GroupInfo, a tree to rebuild, no pending proposals", value: rebuiltTree },
  ],
  GroupInfoResponseTBS: [{ description: "what the hub signs for cathy", value: successTbs }],
  GroupInfoResponse: [
    { description: "the hub's answer to cathy, encrypted to her groupInfoPublicKey", value: successResponse },
    {
      description: "not authorized",
      value: { version: Protocol.mls10, roomId: text.encode(room), result: { status: GroupInfoCode.notAuthorized } },
    },
    {
      description: "no such room",
      value: {
        version: Protocol.mls10,
        roomId: text.encode("mimi://a.example/r/nowhere"),
        result: { status: GroupInfoCode.noSuchRoom },
      },
    },
  ],
  ConsentOperation: [
    { description: "cancel", value: ConsentOperation.cancel },
    { description: "request", value: ConsentOperation.request },
    { description: "grant", value: ConsentOperation.grant },
    { description: "revoke", value: ConsentOperation.revoke },
  ],
  ConsentEntry: [
    { description: "alice asks bob's consent for the clubhouse", value: consent.request },
    { description: "alice cancels that request", value: consent.cancel },
    { description: "bob grants it, with two KeyPackages (the fixtures' two, alice's and bob's)", value: consent.grant },
    { description: "alice grants bob consent in any room, with no KeyPackages", value: consent.emptyGrant },
    { description: "bob revokes alice's consent everywhere, with an extension", value: consent.revoke },
  ],
  ConsentScope: [
    { description: "alice and bob, the clubhouse only", value: clubhouseScope },
    { description: "alice and bob, any room", value: { ...clubhouseScope, roomId: undefined } },
  ],
  SearchIdentifierType: [
    { description: "handle", value: SearchIdentifierType.handle },
    { description: "OIDC standard claim", value: SearchIdentifierType.oidcStdClaim },
  ],
  QueryElement: [
    { description: "yolanda's exact handle", value: handleQuery },
    { description: "the OIDC given_name Xavier", value: givenName },
    { description: "the vCard ORG XYZ Sales", value: organization },
  ],
  IdentifierRequest: [
    {
      description: "a handle query",
      value: { queryElements: [handleQuery], idRequestExtensions: noExtensions } satisfies IdentifierRequest,
    },
    {
      description: "given_name and ORG must both match",
      value: {
        queryElements: [givenName, organization],
        idRequestExtensions: noExtensions,
      } satisfies IdentifierRequest,
    },
  ],
  IdentifierQueryCode: [
    { description: "success", value: IdentifierQueryCode.success },
    { description: "unsupported field", value: IdentifierQueryCode.unsupportedField },
  ],
  FieldSource: [
    { description: "an OIDC standard claim", value: FieldSource.oidcStdClaim },
    { description: "a vCard property", value: FieldSource.vcardField },
  ],
  ProfileField: [
    { description: "yolanda's OIDC name", value: yolandasName },
    { description: "yolanda's vCard ORG", value: yolandasOrganization },
  ],
  UserProfile: [{ description: "yolanda's searchable profile", value: yolanda }],
  IdentifierResponse: [
    {
      description: "yolanda found by her handle",
      value: {
        responseCode: IdentifierQueryCode.success,
        uri: ["mimi://xyz.example/u/4f9d2c71"],
        foundProfiles: [yolanda],
        idResponseExtensions: noExtensions,
      } satisfies IdentifierResponse,
    },
    {
      description: "zach is not searchable: not found",
      value: {
        responseCode: IdentifierQueryCode.notFound,
        uri: [],
        foundProfiles: [],
        idResponseExtensions: noExtensions,
      } satisfies IdentifierResponse,
    },
  ],
  AbusiveMessage: [{ description: "one franked message alice sent", value: abusive }],
  AbuseType: [{ description: "unspecified (the draft's reserved(0))", value: AbuseType.unspecified }],
  AbuseReport: [
    { description: "bob reports alice, with one franked message", value: report },
    {
      description: "a report with no messages, an empty note and a private-use extension",
      value: {
        reportingUser: "mimi://b.example/u/bob",
        allegedAbuserUri: "mimi://a.example/u/alice",
        reasonCode: AbuseType.unspecified,
        note: "",
        messages: [],
        abuseExtensions: { componentData: [{ componentId: PRIVATE_USE_COMPONENT, data: new Uint8Array([0]) }] },
      } satisfies AbuseReport,
    },
  ],
  PseudonymousCredential: [{ description: "alice's device under pseudonyms", value: pseudonymous }],
  PseudonymousCredentialTBS: [{ description: "what alice's real credential signs", value: pseudonymousTbs }],
  IdentityLinkTBE: [{ description: "alice's real credential and her signature", value: identityLink }],
};
