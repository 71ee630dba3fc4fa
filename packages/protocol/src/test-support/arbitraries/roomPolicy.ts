import fc from "fast-check";
import { PRIVATE_USE_CAPABILITY_MIN, RoleCapability } from "../../constants.js";
import { PendingProposalStrategy } from "../../operationalPolicy.js";
import { AssetUploadLocation, DownloadPrivacyType, Optionality } from "../../roomPolicy.js";
import { bytes, list, maybe, uint8, uint16, uint32, uint64, uri } from "./common.js";
import type { Arbitraries } from "./types.js";

/** Registered capabilities, private-use ones, and values nobody registered yet: all decode. */
const capabilityType = fc.oneof(
  fc.constantFrom(...Object.values(RoleCapability)),
  fc.integer({ min: PRIVATE_USE_CAPABILITY_MIN, max: 0xffff }),
  uint16,
);

const singleSourceRoleChangeTargets = fc.record({ fromRoleIndex: uint32, targetRoleIndexes: list(uint32) });
const role = fc.record({
  roleIndex: uint32,
  roleName: bytes(20),
  roleDescription: bytes(),
  roleCapabilities: list(capabilityType, 8),
  minimumParticipantsConstraint: uint32,
  maximumParticipantsConstraint: maybe(uint32),
  minimumActiveParticipantsConstraint: uint32,
  maximumActiveParticipantsConstraint: maybe(uint32),
  authorizedRoleChanges: list(singleSourceRoleChangeTargets),
});

const claimId = fc.record({ credentialType: uint16, id: bytes(16) });
const claim = fc.record({ claimId, claimValue: bytes() });
const preAuthRoleEntry = fc.record({ claimset: list(claim), targetRole: role });

const optionality = fc.constantFrom(...Object.values(Optionality));
/** The two cases of a policy select that carry fields (`mandatory`, read required, and optional). */
const permitted = fc.constantFrom(Optionality.required, Optionality.optional);

/** room-policy-03 s.5: one parent Uri exactly when parent-dependent. */
const baseRoomPolicy = fc
  .record({
    fixedMembership: fc.boolean(),
    parentDependent: fc.boolean(),
    parentRoom: uri,
    multiDevice: fc.boolean(),
    maxClients: maybe(uint32),
    maxUsers: maybe(uint32),
    pseudonymsAllowed: fc.boolean(),
    persistentRoom: fc.boolean(),
    discoverable: fc.boolean(),
    policyComponentIds: list(uint16, 6),
  })
  .map(({ parentRoom, ...policy }) => ({ ...policy, parentRoom: policy.parentDependent ? [parentRoom] : [] }));

const joinLink = fc.record({ joinLink: bytes() });

/** room-policy-03 s.6.3: autodetection never mandatory; a proxy listed unless its use is forbidden. */
const linkPreviewPolicy = fc.record({
  autodetectHyperlinksInText: fc.constantFrom(Optionality.optional, Optionality.forbidden),
  sendLinkPreviews: optionality,
  automaticLinkPreviews: optionality,
  proxy: fc.oneof(
    fc.record({ linkPreviewProxyUse: permitted, linkPreviewProxy: fc.array(uri, { minLength: 1, maxLength: 3 }) }),
    fc.record({ linkPreviewProxyUse: fc.constant(Optionality.forbidden) }),
  ),
});

const domainName = fc.record({ domain: bytes(30) });
const providerAssetUploadDomains = fc.record({ provider: domainName, assetUploadDestinations: list(domainName) });
const downloadPrivacyType = fc.constantFrom(...Object.values(DownloadPrivacyType));
const downloadPrivacy = fc.record({
  allowedDownloadTypes: list(downloadPrivacyType),
  forbiddenDownloadTypes: list(downloadPrivacyType),
  defaultDownloadType: downloadPrivacyType,
});
const parameter = fc.record({ parameterName: bytes(12), parameterValue: bytes(12) });
const mediaType = fc.record({ type: bytes(24), parameters: list(parameter) });
const assetPolicy = fc.record({
  assetUploadLocation: fc.constantFrom(...Object.values(AssetUploadLocation)),
  uploadDomains: list(providerAssetUploadDomains),
  downloadPrivacy,
  maxImage: uint64,
  maxAudio: uint64,
  maxVideo: uint64,
  maxAttachment: uint64,
  forbiddenMediaTypes: list(mediaType),
  permittedMediaTypes: maybe(list(mediaType)),
});

const forbidden = <Tag extends string>(tag: Tag) => fc.record({ [tag]: fc.constant(Optionality.forbidden) });
const uriOrNone = fc.oneof(uri, fc.constant(""));

const bot = fc.record({
  name: bytes(20),
  description: bytes(),
  homepage: uriOrNone,
  localClientBot: fc.boolean(),
  botRoleIndex: uint32,
  canTargetMessageInGroup: fc.boolean(),
  perUserContent: fc.boolean(),
});

const extendedCapabilities = fc.record({
  versions: list(uint16),
  cipherSuites: list(uint16),
  extensions: list(uint16),
  proposals: list(uint16),
  credentials: list(uint16),
  wireFormats: list(uint16),
  componentIds: list(uint16),
  safeAadTypes: list(uint16),
  mediaTypes: list(mediaType, 2),
  contentTypes: list(uint8),
});
const pendingProposalPolicy = fc.oneof(
  fc.record({ pendingProposalStrategy: fc.constant(PendingProposalStrategy.unspecified) }),
  fc.record({ pendingProposalStrategy: fc.constant(PendingProposalStrategy.immediateCommit) }),
  fc.record({
    pendingProposalStrategy: fc.constant(PendingProposalStrategy.randomDelay),
    minimumDelayMs: uint64,
    maximumDelayMs: uint64,
  }),
);
const minDefaultMaxTime = fc.record({ minimumTime: uint64, defaultTime: uint64, maximumTime: uint64 });
const appMessagePolicy = fc.record({ epochTolerance: uint8, padToSize: uint16, maxGenerationsSkipahead: uint32 });

/** Generators of the room-policy-03 structs: roles, preauthorization, policy components, operational policy. */
export const arbitraries: Arbitraries = {
  CapabilityType: capabilityType,
  SingleSourceRoleChangeTargets: singleSourceRoleChangeTargets,
  Role: role,
  RoleData: fc.record({ roles: list(role) }),
  ClaimId: claimId,
  Claim: claim,
  PreAuthRoleEntry: preAuthRoleEntry,
  PreAuthData: fc.record({ preauthorizedEntries: list(preAuthRoleEntry) }),
  bool: fc.boolean(),
  BaseRoomPolicy: baseRoomPolicy,
  Optionality: optionality,
  StatusNotificationPolicy: fc.record({ deliveryNotifications: optionality, readReceipts: optionality }),
  JoinLinkPolicy: fc.record({
    onRequest: fc.boolean(),
    joinLink: uriOrNone,
    multiuser: fc.boolean(),
    expiration: uint32,
  }),
  JoinLink: joinLink,
  JoinLinksData: list(joinLink, 5),
  JoinLinksUpdate: fc.record({ removedIndices: list(uint32), addedLinks: list(joinLink) }),
  LinkPreviewPolicy: linkPreviewPolicy,
  AssetUploadLocation: fc.constantFrom(...Object.values(AssetUploadLocation)),
  DomainName: domainName,
  ProviderAssetUploadDomains: providerAssetUploadDomains,
  DownloadPrivacyType: downloadPrivacyType,
  DownloadPrivacy: downloadPrivacy,
  Parameter: parameter,
  MediaType: mediaType,
  AssetPolicy: assetPolicy,
  LoggingPolicy: fc.oneof(
    fc.record({
      logging: permitted,
      loggingClients: list(uri),
      machineReadablePolicy: uriOrNone,
      humanReadablePolicy: uriOrNone,
    }),
    forbidden("logging"),
  ),
  HistoryPolicy: fc.oneof(
    fc.record({
      historySharing: permitted,
      rolesThatCanShare: list(uint32),
      automaticallyShare: fc.boolean(),
      maxTimePeriod: uint32,
    }),
    forbidden("historySharing"),
  ),
  Bot: bot,
  BotPolicy: fc.record({ allowedBots: list(bot) }),
  MessageExpiration: fc.oneof(
    fc.record({
      expiringMessages: permitted,
      minExpirationDuration: uint32,
      maxExpirationDuration: uint32,
      defaultExpirationDuration: maybe(uint32),
    }),
    forbidden("expiringMessages"),
  ),
  ExtendedCapabilities: extendedCapabilities,
  PendingProposalStrategy: fc.constantFrom(...Object.values(PendingProposalStrategy)),
  PendingProposalPolicy: pendingProposalPolicy,
  MinDefaultMaxTime: minDefaultMaxTime,
  AppMessagePolicy: appMessagePolicy,
  OperationalParameters: fc.record({
    mandatoryCapabilities: extendedCapabilities,
    defaultCapabilities: extendedCapabilities,
    forbiddenCapabilities: extendedCapabilities,
    handshakeFormats: list(uint16),
    externalProposalAllowed: fc.boolean(),
    externalCommitAllowed: fc.boolean(),
    pendingProposalPolicy,
    leafNodeUpdateTime: minDefaultMaxTime,
    appMessagePolicy,
    maxKpLifetime: uint64,
    maxCredentialLifetime: uint64,
    resumptionPskLifetime: uint64,
    senderNonceKeypairLifetime: minDefaultMaxTime,
    maxKeypairs: uint32,
    bufferIncomingMessageTime: minDefaultMaxTime,
    maxBufferedMessages: uint32,
  }),
};
