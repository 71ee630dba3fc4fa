import {
  ComponentId,
  ContentType,
  CredentialType,
  ExtensionType,
  ProposalType,
  RoleCapability,
  WireFormat,
} from "../../constants.js";
import {
  type ExtendedCapabilities,
  type OperationalParameters,
  PendingProposalStrategy,
} from "../../operationalPolicy.js";
import type { Claim, PreAuthData, PreAuthRoleEntry } from "../../preauth.js";
import type { Role, RoleData } from "../../roles.js";
import {
  type AssetPolicy,
  AssetUploadLocation,
  type BaseRoomPolicy,
  type Bot,
  DownloadPrivacyType,
  type LinkPreviewPolicy,
  type MediaType,
  Optionality,
} from "../../roomPolicy.js";
import type { Examples } from "./types.js";

const text = (value: string) => new TextEncoder().encode(value);

/** A role of room-policy-03 Appendix A.1, with an empty description. */
function cooperativeRole(
  roleIndex: number,
  name: string,
  capabilities: number[],
  constraints: Pick<
    Role,
    | "minimumParticipantsConstraint"
    | "maximumParticipantsConstraint"
    | "minimumActiveParticipantsConstraint"
    | "maximumActiveParticipantsConstraint"
  >,
  changes: [from: number, to: number[]][],
): Role {
  return {
    roleIndex,
    roleName: text(name),
    roleDescription: new Uint8Array(),
    roleCapabilities: capabilities,
    ...constraints,
    authorizedRoleChanges: changes.map(([fromRoleIndex, targetRoleIndexes]) => ({ fromRoleIndex, targetRoleIndexes })),
  };
}

const inactive = {
  minimumParticipantsConstraint: 0,
  maximumParticipantsConstraint: undefined,
  minimumActiveParticipantsConstraint: 0,
  maximumActiveParticipantsConstraint: 0,
};
const unconstrained = { ...inactive, maximumActiveParticipantsConstraint: undefined };

const ordinaryUserCapabilities = [
  RoleCapability.canAddParticipant,
  RoleCapability.canRemoveParticipant,
  RoleCapability.canAddOwnClient,
  RoleCapability.canRemoveOwnClient,
  RoleCapability.canRemoveSelf,
  RoleCapability.canSendMessage,
  RoleCapability.canReceiveMessage,
  RoleCapability.canCopyMessage,
  RoleCapability.canReportAbuse,
  RoleCapability.canReplyToMessage,
  RoleCapability.canReactToMessage,
  RoleCapability.canDeleteOwnReaction,
  RoleCapability.canEditOwnMessage,
  RoleCapability.canDeleteOwnMessage,
  RoleCapability.canStartTopic,
  RoleCapability.canReplyInTopic,
  RoleCapability.canEditOwnTopic,
  RoleCapability.canUploadImage,
  RoleCapability.canUploadVideo,
  RoleCapability.canUploadAudio,
  RoleCapability.canUploadAttachment,
  RoleCapability.canDownloadImage,
  RoleCapability.canDownloadVideo,
  RoleCapability.canDownloadAudio,
  RoleCapability.canDownloadAttachment,
  RoleCapability.canSendLink,
  RoleCapability.canSendLinkPreview,
  RoleCapability.canFollowLink,
  RoleCapability.canCopyLink,
  RoleCapability.canChangeRoomName,
  RoleCapability.canChangeRoomAvatar,
  RoleCapability.canChangeRoomSubject,
  RoleCapability.canChangeRoomMood,
  RoleCapability.canChangeOwnName,
  RoleCapability.canChangeOwnPresence,
  RoleCapability.canChangeOwnMood,
  RoleCapability.canChangeOwnAvatar,
];
// A.1 also lists canRevokeVoice and canGrantVoice, which the s.10.2 registry has no value for.
const groupAdminCapabilities = [
  ...ordinaryUserCapabilities,
  RoleCapability.canBan,
  RoleCapability.canUnBan,
  RoleCapability.canKick,
  RoleCapability.canChangeUserRole,
  RoleCapability.canDeleteOtherMessage,
  RoleCapability.canEditOtherTopic,
  RoleCapability.canChangeRoomDescription,
];
const superAdminCapabilities = [
  ...groupAdminCapabilities,
  RoleCapability.canChangeRoomMembershipStyle,
  RoleCapability.canChangePreauthorizedUserList,
  RoleCapability.canDestroyRoom,
];

const noRole = cooperativeRole(0, "no_role", [], inactive, []);
const banned = cooperativeRole(1, "banned", [], inactive, []);
const ordinaryUser = cooperativeRole(2, "ordinary_user", ordinaryUserCapabilities, unconstrained, [
  [0, [2]],
  [2, [0]],
]);
const groupAdmin = cooperativeRole(
  3,
  "group_admin",
  groupAdminCapabilities,
  { ...unconstrained, minimumParticipantsConstraint: 1 },
  [
    [0, [1, 2, 3]],
    [1, [0, 2, 3]],
    [2, [0, 1, 3]],
    [3, [0, 1, 2]],
  ],
);
const superAdmin = cooperativeRole(4, "super_admin", superAdminCapabilities, unconstrained, [
  [0, [1, 2, 3, 4]],
  [1, [0, 2, 3, 4]],
  [2, [0, 1, 3, 4]],
  [3, [0, 1, 2, 4]],
  [4, [0, 1, 2, 3]],
]);
const policyEnforcer = cooperativeRole(
  5,
  "policy_enforcer",
  [
    RoleCapability.canRemoveParticipant,
    RoleCapability.canChangeUserRole,
    RoleCapability.canBan,
    RoleCapability.canUnBan,
    RoleCapability.canChangeRoleDefinitions,
    RoleCapability.canChangePreauthorizedUserList,
    RoleCapability.canChangeMlsOperationalPolicies,
    RoleCapability.canDestroyRoom,
    RoleCapability.canSendMLSReinitProposal,
  ],
  { ...inactive, minimumParticipantsConstraint: 1, maximumParticipantsConstraint: 2 },
  [
    [0, [1]],
    [1, [0]],
    [2, [0, 1]],
    [3, [0, 1]],
    [4, [0, 1]],
  ],
);

/** room-policy-03 Appendix A.1: a cooperatively administered room. */
const cooperativeRoom: RoleData = { roles: [noRole, banned, ordinaryUser, groupAdmin, superAdmin, policyEnforcer] };

/** X.509 attribute OIDs (DER content bytes): organizationalUnitName 2.5.4.11 and countryName 2.5.4.6. */
const organizationalUnit = { credentialType: CredentialType.x509, id: Uint8Array.of(0x55, 0x04, 0x0b) };
const country = { credentialType: CredentialType.x509, id: Uint8Array.of(0x55, 0x04, 0x06) };

const inHumanResources: Claim = { claimId: organizationalUnit, claimValue: text("Human Resources") };
const inFrance: Claim = { claimId: country, claimValue: text("FR") };

/** room-policy-03 s.4's employee benefits room: HR staff moderate, employees in France participate. */
const hrModerators: PreAuthRoleEntry = { claimset: [inHumanResources, inFrance], targetRole: groupAdmin };
const employees: PreAuthRoleEntry = { claimset: [inFrance], targetRole: ordinaryUser };
const benefitsRoom: PreAuthData = { preauthorizedEntries: [hrModerators, employees] };

const standaloneRoom: BaseRoomPolicy = {
  fixedMembership: false,
  parentDependent: false,
  parentRoom: [],
  multiDevice: true,
  maxClients: undefined,
  maxUsers: 500,
  pseudonymsAllowed: false,
  persistentRoom: true,
  discoverable: true,
  policyComponentIds: [ComponentId.rolesList, ComponentId.preauthList, ComponentId.statusNotificationPolicy],
};
const callOfGroupDm: BaseRoomPolicy = {
  fixedMembership: true,
  parentDependent: true,
  parentRoom: ["mimi://a.example/r/Rl33FWLCYWOwxHrYnpWDQg"],
  multiDevice: false,
  maxClients: 8,
  maxUsers: 8,
  pseudonymsAllowed: true,
  persistentRoom: false,
  discoverable: false,
  policyComponentIds: [ComponentId.rolesList],
};

const joinLink = { joinLink: text("https://a.example/join/Zm9vYmFy") };

const proxiedPreviews: LinkPreviewPolicy = {
  autodetectHyperlinksInText: Optionality.optional,
  sendLinkPreviews: Optionality.optional,
  automaticLinkPreviews: Optionality.required,
  proxy: { linkPreviewProxyUse: Optionality.required, linkPreviewProxy: ["https://preview.a.example/"] },
};
const noPreviews: LinkPreviewPolicy = {
  autodetectHyperlinksInText: Optionality.forbidden,
  sendLinkPreviews: Optionality.forbidden,
  automaticLinkPreviews: Optionality.forbidden,
  proxy: { linkPreviewProxyUse: Optionality.forbidden },
};

const charsetUtf8 = { parameterName: text("charset"), parameterValue: text("UTF-8") };
const textPlain: MediaType = { type: text("text/plain"), parameters: [charsetUtf8] };
const imagePng: MediaType = { type: text("image/png"), parameters: [] };
const executable: MediaType = { type: text("application/x-msdownload"), parameters: [] };

const localUploads = {
  provider: { domain: text("a.example") },
  assetUploadDestinations: [{ domain: text("assets.a.example") }, { domain: text("cdn.a.example") }],
};
const privateDownloads = {
  allowedDownloadTypes: [DownloadPrivacyType.hubProxy, DownloadPrivacyType.ohttp],
  forbiddenDownloadTypes: [DownloadPrivacyType.direct],
  defaultDownloadType: DownloadPrivacyType.ohttp,
};
const megabyte = 1_000_000n;
const openAssets: AssetPolicy = {
  assetUploadLocation: AssetUploadLocation.localProvider,
  uploadDomains: [localUploads, { provider: { domain: text("b.example") }, assetUploadDestinations: [] }],
  downloadPrivacy: privateDownloads,
  maxImage: 10n * megabyte,
  maxAudio: 20n * megabyte,
  maxVideo: 100n * megabyte,
  maxAttachment: 50n * megabyte,
  forbiddenMediaTypes: [executable],
  permittedMediaTypes: undefined,
};
const allowListedAssets: AssetPolicy = {
  ...openAssets,
  assetUploadLocation: AssetUploadLocation.hub,
  uploadDomains: [
    { provider: { domain: text("hub.example") }, assetUploadDestinations: [{ domain: text("hub.example") }] },
  ],
  permittedMediaTypes: [textPlain, imagePng],
};

const pokerBot: Bot = {
  name: text("Poker"),
  description: text("Deals each player their own hand"),
  homepage: "https://poker.example/",
  localClientBot: false,
  botRoleIndex: 2,
  canTargetMessageInGroup: true,
  perUserContent: true,
};
const translatorBot: Bot = {
  name: text("Translator"),
  description: text("Translates messages on this device"),
  homepage: "https://translate.example/",
  localClientBot: true,
  botRoleIndex: 0,
  canTargetMessageInGroup: false,
  perUserContent: false,
};

const mimiCapabilities: ExtendedCapabilities = {
  versions: [1],
  cipherSuites: [1, 3],
  extensions: [ExtensionType.appDataDictionary, ExtensionType.requiredWireFormats],
  proposals: [ProposalType.appDataUpdate, ProposalType.selfRemove],
  credentials: [CredentialType.basic, CredentialType.x509],
  wireFormats: [WireFormat.publicMessage, WireFormat.privateMessage],
  componentIds: [ComponentId.participantList, ComponentId.roomMetadata, ComponentId.rolesList],
  safeAadTypes: [ComponentId.frankAad],
  mediaTypes: [textPlain, { type: text("message/mimi"), parameters: [] }],
  contentTypes: [ContentType.application, ContentType.proposal, ContentType.commit],
};
const noCapabilities: ExtendedCapabilities = {
  versions: [],
  cipherSuites: [],
  extensions: [],
  proposals: [],
  credentials: [],
  wireFormats: [],
  componentIds: [],
  safeAadTypes: [],
  mediaTypes: [],
  contentTypes: [],
};
const randomDelay = {
  pendingProposalStrategy: PendingProposalStrategy.randomDelay,
  minimumDelayMs: 100n,
  maximumDelayMs: 5_000n,
} as const;
const day = 86_400n;
const operationalParameters: OperationalParameters = {
  mandatoryCapabilities: mimiCapabilities,
  defaultCapabilities: noCapabilities,
  forbiddenCapabilities: { ...noCapabilities, cipherSuites: [2], proposals: [ProposalType.reinit] },
  handshakeFormats: [WireFormat.publicMessage],
  externalProposalAllowed: true,
  externalCommitAllowed: false,
  pendingProposalPolicy: randomDelay,
  leafNodeUpdateTime: { minimumTime: 3_600n, defaultTime: day, maximumTime: 7n * day },
  appMessagePolicy: { epochTolerance: 2, padToSize: 256, maxGenerationsSkipahead: 1_000 },
  maxKpLifetime: 90n * day,
  maxCredentialLifetime: 365n * day,
  resumptionPskLifetime: 0n,
  senderNonceKeypairLifetime: { minimumTime: 0n, defaultTime: 60n, maximumTime: 3_600n },
  maxKeypairs: 100,
  bufferIncomingMessageTime: { minimumTime: 0n, defaultTime: 5_000n, maximumTime: 60_000n },
  maxBufferedMessages: 500,
};

/** room-policy-03: roles (s.3), preauthorization (s.4), base policy (s.5), other components (s.6), operational (s.7). */
export const examples: Examples = {
  CapabilityType: [
    { description: "canSendMessage", value: RoleCapability.canSendMessage },
    { description: "a private-use capability", value: 0xf000 },
  ],
  SingleSourceRoleChangeTargets: [
    {
      description: "a group_admin may move a participant to any other role (A.1)",
      value: groupAdmin.authorizedRoleChanges[3],
    },
  ],
  Role: [
    { description: "A.1 ordinary_user", value: ordinaryUser },
    {
      description: "a moderator role with a description and a cap of 5 active participants",
      value: {
        ...groupAdmin,
        roleIndex: 6,
        roleName: text("moderator"),
        roleDescription: text("Keeps the conversation civil"),
        maximumActiveParticipantsConstraint: 5,
      },
    },
  ],
  RoleData: [{ description: "A.1: a cooperatively administered room", value: cooperativeRoom }],
  ClaimId: [{ description: "the X.509 organizationalUnitName attribute", value: organizationalUnit }],
  Claim: [{ description: "organizationalUnitName is Human Resources", value: inHumanResources }],
  PreAuthRoleEntry: [{ description: "HR staff in France may join as group_admin", value: hrModerators }],
  PreAuthData: [
    { description: "an employee benefits room (s.4)", value: benefitsRoom },
    { description: "no preauthorized users", value: { preauthorizedEntries: [] } },
  ],
  bool: [
    { description: "false", value: false },
    { description: "true", value: true },
  ],
  BaseRoomPolicy: [
    { description: "a persistent, discoverable room of at most 500 users", value: standaloneRoom },
    { description: "a call room dependent on a Group DM", value: callOfGroupDm },
  ],
  Optionality: [
    { description: "optional", value: Optionality.optional },
    { description: "required", value: Optionality.required },
    { description: "forbidden", value: Optionality.forbidden },
  ],
  StatusNotificationPolicy: [
    {
      description: "delivery notifications required, read receipts optional",
      value: { deliveryNotifications: Optionality.required, readReceipts: Optionality.optional },
    },
  ],
  JoinLinkPolicy: [
    {
      description: "multi-user links valid for a week",
      value: { onRequest: false, joinLink: "https://a.example/join", multiuser: true, expiration: 604_800 },
    },
  ],
  JoinLink: [{ description: "a join link", value: joinLink }],
  JoinLinksData: [
    { description: "two active join links", value: [joinLink, { joinLink: text("https://a.example/join/YmF6") }] },
    { description: "no active join links", value: [] },
  ],
  JoinLinksUpdate: [
    {
      description: "the first link is revoked and a new one added",
      value: { removedIndices: [0], addedLinks: [{ joinLink: text("https://a.example/join/cXV4") }] },
    },
  ],
  LinkPreviewPolicy: [
    { description: "previews through a mandatory proxy", value: proxiedPreviews },
    { description: "no link previews at all", value: noPreviews },
  ],
  AssetUploadLocation: [{ description: "localProvider", value: AssetUploadLocation.localProvider }],
  DomainName: [{ description: "a provider domain", value: { domain: text("a.example") } }],
  ProviderAssetUploadDomains: [{ description: "a.example uploads to two hosts", value: localUploads }],
  DownloadPrivacyType: [{ description: "ohttp", value: DownloadPrivacyType.ohttp }],
  DownloadPrivacy: [{ description: "through the hub only, by default over OHTTP", value: privateDownloads }],
  Parameter: [{ description: "charset=UTF-8", value: charsetUtf8 }],
  MediaType: [
    { description: "text/plain;charset=UTF-8", value: textPlain },
    { description: "image/png", value: imagePng },
  ],
  AssetPolicy: [
    { description: "local uploads, executables forbidden, no allow-list", value: openAssets },
    { description: "uploads to the hub, only plain text and PNG", value: allowListedAssets },
  ],
  LoggingPolicy: [
    {
      description: "mandatory logging by one client",
      value: {
        logging: Optionality.required,
        loggingClients: ["mimi://a.example/d/compliance/1"],
        machineReadablePolicy: "https://a.example/logging.json",
        humanReadablePolicy: "https://a.example/logging.html",
      },
    },
    { description: "logging forbidden", value: { logging: Optionality.forbidden } },
  ],
  HistoryPolicy: [
    {
      description: "admins may share a week of history",
      value: {
        historySharing: Optionality.optional,
        rolesThatCanShare: [3, 4],
        automaticallyShare: false,
        maxTimePeriod: 604_800,
      },
    },
    { description: "history sharing forbidden", value: { historySharing: Optionality.forbidden } },
  ],
  Bot: [{ description: "a poker bot dealing private hands", value: pokerBot }],
  BotPolicy: [{ description: "a poker bot and a local translator", value: { allowedBots: [pokerBot, translatorBot] } }],
  MessageExpiration: [
    {
      description: "required, between an hour and a week, a day by default",
      value: {
        expiringMessages: Optionality.required,
        minExpirationDuration: 3_600,
        maxExpirationDuration: 604_800,
        defaultExpirationDuration: 86_400,
      },
    },
    {
      description: "optional, no default",
      value: {
        expiringMessages: Optionality.optional,
        minExpirationDuration: 60,
        maxExpirationDuration: 2_592_000,
        defaultExpirationDuration: undefined,
      },
    },
    { description: "forbidden", value: { expiringMessages: Optionality.forbidden } },
  ],
  ExtendedCapabilities: [
    { description: "what a MIMI room needs", value: mimiCapabilities },
    { description: "nothing", value: noCapabilities },
  ],
  PendingProposalStrategy: [{ description: "random_delay", value: PendingProposalStrategy.randomDelay }],
  PendingProposalPolicy: [
    { description: "commit after a random delay of 0.1 to 5 s", value: randomDelay },
    { description: "commit at once", value: { pendingProposalStrategy: PendingProposalStrategy.immediateCommit } },
    { description: "unspecified", value: { pendingProposalStrategy: PendingProposalStrategy.unspecified } },
  ],
  MinDefaultMaxTime: [
    {
      description: "leaf updates: an hour to a week, daily by default",
      value: operationalParameters.leafNodeUpdateTime,
    },
  ],
  AppMessagePolicy: [
    { description: "two epochs late, 256-byte padding", value: operationalParameters.appMessagePolicy },
  ],
  OperationalParameters: [{ description: "a MIMI room's operational policy", value: operationalParameters }],
};
