/**
 * Every code point mimi-ts puts on the wire, in one place, each with the
 * section that defines it. The MLS extension drafts only "suggest" values for
 * their code points; these are the suggested ones.
 */

/** protocol-06 s.5: `enum { reserved(0), mls10(1), (255) } Protocol`. */
export const Protocol = {
  reserved: 0,
  mls10: 1,
} as const;

/** MLS extension types: RFC 9420 s.17.3 and mls-extensions s.7.1 (suggested values). */
export const ExtensionType = {
  applicationId: 0x0001,
  ratchetTree: 0x0002,
  requiredCapabilities: 0x0003,
  externalPub: 0x0004,
  externalSenders: 0x0005,
  /** mls-extensions s.4.6 */
  appDataDictionary: 0x0006,
  /** mls-extensions s.5 */
  supportedWireFormats: 0x0007,
  /** mls-extensions s.5 */
  requiredWireFormats: 0x0008,
} as const;

/** MLS proposal types: RFC 9420 s.17.4 and mls-extensions s.7.2 (suggested values). */
export const ProposalType = {
  add: 0x0001,
  update: 0x0002,
  remove: 0x0003,
  psk: 0x0004,
  reinit: 0x0005,
  externalInit: 0x0006,
  groupContextExtensions: 0x0007,
  /** mls-extensions s.4.7 */
  appDataUpdate: 0x0008,
  /** mls-extensions s.4.8 */
  appEphemeral: 0x0009,
  /** mls-extensions s.6.3 */
  selfRemove: 0x000a,
} as const;

/** MLS credential types: RFC 9420 s.17.5 and mls-extensions s.7.3 (suggested values). */
export const CredentialType = {
  basic: 0x0001,
  x509: 0x0002,
  multi: 0x0003,
  weakMulti: 0x0004,
} as const;

/** MLS wire formats: RFC 9420 s.17.2. */
export const WireFormat = {
  publicMessage: 0x0001,
  privateMessage: 0x0002,
  welcome: 0x0003,
  groupInfo: 0x0004,
  keyPackage: 0x0005,
} as const;

/** MLS content types: RFC 9420 s.6. */
export const ContentType = {
  application: 1,
  proposal: 2,
  commit: 3,
} as const;

/**
 * Application component IDs (mls-extensions s.4.1, registry s.7.5): those of
 * mls-extensions itself, protocol-06 s.10 and room-policy-03 s.10.1.
 */
export const ComponentId = {
  /** mls-extensions s.5: supported / required components */
  appComponents: 0x0001,
  /** mls-extensions s.4.9: SafeAAD framing of authenticated_data */
  safeAad: 0x0002,
  /** mls-extensions s.6.2 */
  contentMediaTypes: 0x0003,
  /** mls-extensions s.6.4 */
  lastResortKeyPackage: 0x0004,
  /** mls-extensions s.6.1 */
  appAck: 0x0005,
  /** protocol-06 s.10.1: FrankAAD in SafeAAD */
  frankAad: 0x0020,
  /** protocol-06 s.10.2 (named franking_signature_key there, franking_agent in s.5.4.1) */
  frankingAgent: 0x0021,
  /** protocol-06 s.10.3, s.7.5 */
  participantList: 0x0022,
  /** protocol-06 s.10.4, s.7.6 */
  roomMetadata: 0x0023,
  /** room-policy-03 s.10.1.1, s.7 */
  mlsOperationalPolicy: 0x0024,
  /** room-policy-03 s.10.1.2, s.3 */
  rolesList: 0x0025,
  /** room-policy-03 s.10.1.3, s.4 */
  preauthList: 0x0026,
  /** room-policy-03 s.10.1.4, s.5 */
  baseRoomPolicy: 0x0027,
  /** room-policy-03 s.10.1.5, s.6.1 */
  statusNotificationPolicy: 0x0028,
  /** room-policy-03 s.10.1.6, s.6.2 */
  joinLinkPolicy: 0x0029,
  /** room-policy-03 s.10.1.7, s.6.2 */
  joinLinks: 0x002a,
  /** room-policy-03 s.10.1.8, s.6.3 */
  linkPreviewPolicy: 0x002b,
  /** room-policy-03 s.10.1.9, s.6.4 */
  assetPolicy: 0x002c,
  /** room-policy-03 s.10.1.10, s.6.5 */
  loggingPolicy: 0x002d,
  /** room-policy-03 s.10.1.11, s.6.6 */
  chatHistoryPolicy: 0x002e,
  /** room-policy-03 s.10.1.12, s.6.7 */
  botPolicy: 0x002f,
  /** room-policy-03 s.10.1.13, s.6.8 */
  messageExpirationPolicy: 0x0030,
} as const;

export type ComponentIdName = keyof typeof ComponentId;

/**
 * room-policy-03 s.10.2: the "MIMI Role Capabilities" registry, every value
 * of Table 1 (those marked reserved there are reserved names, s.8.7).
 * 0xF000-0xFFFF is for private use.
 */
export const RoleCapability = {
  canAddParticipant: 0x0000,
  canRemoveParticipant: 0x0001,
  canAddOwnClient: 0x0002,
  canRemoveOwnClient: 0x0003,
  canOpenJoin: 0x0004,
  canJoinIfPreauthorized: 0x0005,
  canRemoveSelf: 0x0006,
  /** reserved */
  canCreateJoinCode: 0x0007,
  /** reserved */
  canDeleteJoinCode: 0x0008,
  canUseJoinCode: 0x0009,
  canBan: 0x000a,
  canUnBan: 0x000b,
  canKick: 0x000c,
  /** reserved */
  canKnock: 0x000d,
  /** reserved */
  canAcceptKnock: 0x000e,
  canChangeUserRole: 0x000f,
  canChangeOwnRole: 0x0010,
  /** reserved */
  canCreateSubgroup: 0x0011,
  canSendMessage: 0x0100,
  canReceiveMessage: 0x0101,
  canCopyMessage: 0x0102,
  canReportAbuse: 0x0103,
  canReplyToMessage: 0x0104,
  canReactToMessage: 0x0105,
  canEditReaction: 0x0106,
  canDeleteOwnReaction: 0x0107,
  canDeleteOtherReaction: 0x0108,
  canEditOwnMessage: 0x0109,
  canDeleteOwnMessage: 0x010a,
  canDeleteOtherMessage: 0x010b,
  canStartTopic: 0x010c,
  canReplyInTopic: 0x010d,
  canEditOwnTopic: 0x010e,
  canEditOtherTopic: 0x010f,
  /** reserved */
  canSendDirectMessage: 0x0110,
  /** reserved */
  canTargetMessage: 0x0111,
  canUploadImage: 0x0200,
  canUploadAudio: 0x0201,
  canUploadVideo: 0x0202,
  canUploadAttachment: 0x0203,
  canDownloadImage: 0x0204,
  canDownloadAudio: 0x0205,
  canDownloadVideo: 0x0206,
  canDownloadAttachment: 0x0207,
  canSendLink: 0x0208,
  canSendLinkPreview: 0x0209,
  canFollowLink: 0x020a,
  canCopyLink: 0x020b,
  canChangeRoomName: 0x0300,
  canChangeRoomDescription: 0x0301,
  canChangeRoomAvatar: 0x0302,
  canChangeRoomSubject: 0x0303,
  canChangeRoomMood: 0x0304,
  /** reserved */
  canChangeOwnName: 0x0380,
  /** reserved */
  canChangeOwnPresence: 0x0381,
  /** reserved */
  canChangeOwnMood: 0x0382,
  /** reserved */
  canChangeOwnAvatar: 0x0383,
  canStartCall: 0x0400,
  canJoinCall: 0x0401,
  canSendAudio: 0x0402,
  canReceiveAudio: 0x0403,
  canSendVideo: 0x0404,
  canReceiveVideo: 0x0405,
  canShareScreen: 0x0406,
  canViewSharedScreen: 0x0407,
  /** reserved */
  canCreateRoom: 0x0500,
  canDestroyRoom: 0x0501,
  canChangeRoomMembershipStyle: 0x0502,
  canChangeRoleDefinitions: 0x0503,
  canChangePreauthorizedUserList: 0x0504,
  /** reserved */
  canChangeOtherPolicyAttribute: 0x0505,
  /** reserved */
  canChangeMlsOperationalPolicies: 0x0600,
  canSendMLSReinitProposal: 0x0601,
  /** reserved */
  canSendMLSUpdateProposal: 0x0602,
  /** reserved */
  canSendMLSPSKProposal: 0x0603,
  /** reserved */
  canSendMLSExternalProposal: 0x0604,
  /** reserved */
  canSendMLSExternalCommit: 0x0605,
} as const;

/** room-policy-03 s.10.2: the first value of the private use range. */
export const PRIVATE_USE_CAPABILITY_MIN = 0xf000;

/** The signature labels of protocol-06 (used with SignWithLabel, RFC 9420 s.5.1.2). */
export const SignatureLabel = {
  keyMaterialRequest: "KeyMaterialRequestTBS",
  frankingIntegrity: "FrankingIntegrityTBS",
  groupInfoRequest: "GroupInfoRequestTBS",
  groupInfoResponse: "GroupInfoResponseTBS",
  pseudonymousCredential: "PseudonymousCredentialTBS",
} as const;

/** protocol-06 s.5.6: the EncryptWithLabel label of the GroupInfo response. */
export const GROUP_INFO_ENCRYPTION_LABEL = "GroupInfo and ratchet_tree encryption";
