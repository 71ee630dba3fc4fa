import {
  type Codec,
  CodecError,
  enumeration,
  optional,
  refine,
  select,
  struct,
  transform,
  uint8,
  uint32,
  uint64,
  type ValueOf,
  varOpaque,
  vector,
} from "@mimi-ts/codec";
import { componentId } from "./appData.js";
import { uri } from "./roomMetadata.js";
import { type StructEntry, structEntry } from "./structEntry.js";

/**
 * room-policy-03 s.5: `enum { false(0), true(1) } bool`, a uint8 held as a
 * boolean. Like RFC 9420's optional<T> presence octet, only 0 and 1 decode.
 */
export const bool: Codec<boolean> = transform(
  enumeration("bool", uint8, { false: 0, true: 1 }),
  {
    decode: (octet) => octet === 1,
    encode: (value: boolean) => {
      if (typeof value !== "boolean") throw new CodecError(`expected a boolean, found ${typeof value}`);
      return value ? 1 : 0;
    },
  },
  "bool",
);

/**
 * room-policy-03 s.6.1. The selects of s.6.3-6.8 write `case mandatory:`,
 * which names no value of this enum: it is read as required(1).
 */
export const Optionality = { optional: 0, required: 1, forbidden: 2 } as const;
export const optionality = enumeration("Optionality", uint8, Optionality);
export type Optionality = ValueOf<typeof optionality>;

/**
 * room-policy-03 s.5 (the struct's field is spelled `parent_dependant`, the
 * text `parent_dependent`). Readings: `Uri parent_room<V>` stays a vector of
 * Uri, since "otherwise the field is zero-length"; `optional uint32` is
 * `optional<uint32>`; `Component policy_component_ids<V>` holds ComponentIDs
 * (uint16, mls-extensions s.4.1).
 */
const baseRoomPolicyLayout = struct("BaseRoomPolicy", {
  fixedMembership: bool,
  parentDependent: bool,
  parentRoom: vector(uri),
  multiDevice: bool,
  maxClients: optional(uint32),
  maxUsers: optional(uint32),
  pseudonymsAllowed: bool,
  persistentRoom: bool,
  discoverable: bool,
  policyComponentIds: vector(componentId),
});

/** room-policy-03 s.5: the check both directions make on a BaseRoomPolicy. */
function checkParentRoom(policy: ValueOf<typeof baseRoomPolicyLayout>): ValueOf<typeof baseRoomPolicyLayout> {
  const expected = policy.parentDependent ? 1 : 0;
  if (policy.parentRoom.length !== expected) {
    throw new CodecError(
      policy.parentDependent
        ? `a parent-dependent room must name its parent room (one Uri), found ${policy.parentRoom.length}`
        : `must be zero-length unless the room is parent-dependent, found ${policy.parentRoom.length} Uris`,
      { struct: "BaseRoomPolicy", field: "parentRoom" },
    );
  }
  return policy;
}

/**
 * room-policy-03 s.5: the data of the base_room_policy component
 * (ComponentId.baseRoomPolicy), also BaseRoomUpdate. "If parent-dependent is
 * true, the parent_room MUST be set with the room ID of the parent.
 * Otherwise the field is zero-length": both directions require exactly one
 * Uri when parentDependent is true and none otherwise.
 */
export const baseRoomPolicy: Codec<ValueOf<typeof baseRoomPolicyLayout>> = refine(
  baseRoomPolicyLayout,
  checkParentRoom,
  "BaseRoomPolicy",
);
export type BaseRoomPolicy = ValueOf<typeof baseRoomPolicy>;

/** room-policy-03 s.6.1: the status_notification_policy component. */
export const statusNotificationPolicy = struct("StatusNotificationPolicy", {
  deliveryNotifications: optionality,
  readReceipts: optionality,
});
export type StatusNotificationPolicy = ValueOf<typeof statusNotificationPolicy>;

/** room-policy-03 s.6.2: the join_link_policy component; expiration is in seconds. */
export const joinLinkPolicy = struct("JoinLinkPolicy", {
  onRequest: bool,
  joinLink: uri,
  multiuser: bool,
  expiration: uint32,
});
export type JoinLinkPolicy = ValueOf<typeof joinLinkPolicy>;

/** room-policy-03 s.6.2: `opaque join_link;` has no length, and is read `opaque join_link<V>`. */
export const joinLink = struct("JoinLink", { joinLink: varOpaque() });
export type JoinLink = ValueOf<typeof joinLink>;

/** room-policy-03 s.6.2: `JoinLink JoinLinksData<V>`, the join_links component: a bare vector, no enclosing struct. */
export const joinLinksData: Codec<JoinLink[]> = { ...vector(joinLink), name: "JoinLinksData" };
export type JoinLinksData = ValueOf<typeof joinLinksData>;

/** room-policy-03 s.6.2: the update of the join_links component. */
export const joinLinksUpdate = struct("JoinLinksUpdate", {
  removedIndices: vector(uint32),
  addedLinks: vector(joinLink),
});
export type JoinLinksUpdate = ValueOf<typeof joinLinksUpdate>;

/**
 * room-policy-03 s.6.3: the select's tag, link_preview_proxy_use, is the
 * fourth field, so the select is a field (`proxy`) after the first three,
 * in wire order. Named like the struct, so its errors read LinkPreviewPolicy.
 */
const linkPreviewProxy = select("LinkPreviewPolicy", "linkPreviewProxyUse", optionality, {
  [Optionality.required]: { linkPreviewProxy: vector(uri) },
  [Optionality.optional]: { linkPreviewProxy: vector(uri) },
  [Optionality.forbidden]: {},
});

const linkPreviewPolicyLayout = struct("LinkPreviewPolicy", {
  autodetectHyperlinksInText: optionality,
  sendLinkPreviews: optionality,
  automaticLinkPreviews: optionality,
  proxy: linkPreviewProxy,
});

/** room-policy-03 s.6.3: the two MUSTs the struct's own bytes can break. */
function checkLinkPreviewPolicy(
  policy: ValueOf<typeof linkPreviewPolicyLayout>,
): ValueOf<typeof linkPreviewPolicyLayout> {
  if (policy.autodetectHyperlinksInText === Optionality.required) {
    throw new CodecError("must not be mandatory (required)", {
      struct: "LinkPreviewPolicy",
      field: "autodetectHyperlinksInText",
    });
  }
  if (policy.proxy.linkPreviewProxyUse !== Optionality.forbidden && policy.proxy.linkPreviewProxy.length === 0) {
    throw new CodecError("must include the URI of a link preview proxy unless its use is forbidden", {
      struct: "LinkPreviewPolicy",
      field: "proxy.linkPreviewProxy",
    });
  }
  return policy;
}

/**
 * room-policy-03 s.6.3: the link_preview_policy component. Both directions
 * enforce its MUSTs: autodetect_hyperlinks_in_text is not mandatory, and
 * link_preview_proxy holds a URI when its use is mandatory or optional.
 */
export const linkPreviewPolicy: Codec<ValueOf<typeof linkPreviewPolicyLayout>> = refine(
  linkPreviewPolicyLayout,
  checkLinkPreviewPolicy,
  "LinkPreviewPolicy",
);
export type LinkPreviewPolicy = ValueOf<typeof linkPreviewPolicy>;

/** room-policy-03 s.6.4. */
export const AssetUploadLocation = { unspecified: 0, localProvider: 1, hub: 2 } as const;
export const assetUploadLocation = enumeration("AssetUploadLocation", uint8, AssetUploadLocation);
export type AssetUploadLocation = ValueOf<typeof assetUploadLocation>;

/** room-policy-03 s.6.4: `struct { opaque domain<V>; } DomainName`. */
export const domainName = struct("DomainName", { domain: varOpaque() });
export type DomainName = ValueOf<typeof domainName>;

/** room-policy-03 s.6.4: where the clients of one provider may upload assets. */
export const providerAssetUploadDomains = struct("ProviderAssetUploadDomains", {
  provider: domainName,
  assetUploadDestinations: vector(domainName),
});
export type ProviderAssetUploadDomains = ValueOf<typeof providerAssetUploadDomains>;

/** room-policy-03 s.6.4; the mechanisms of protocol-06 s.5.10.1-5.10.3. */
export const DownloadPrivacyType = { direct: 0, hubProxy: 1, ohttp: 2 } as const;
export const downloadPrivacyType = enumeration("DownloadPrivacyType", uint8, DownloadPrivacyType);
export type DownloadPrivacyType = ValueOf<typeof downloadPrivacyType>;

/** room-policy-03 s.6.4. */
export const downloadPrivacy = struct("DownloadPrivacy", {
  allowedDownloadTypes: vector(downloadPrivacyType),
  forbiddenDownloadTypes: vector(downloadPrivacyType),
  defaultDownloadType: downloadPrivacyType,
});
export type DownloadPrivacy = ValueOf<typeof downloadPrivacy>;

/** mls-extensions s.6.2: a media type parameter, without RFC 2045 quoting. */
export const parameter = struct("Parameter", { parameterName: varOpaque(), parameterValue: varOpaque() });
export type Parameter = ValueOf<typeof parameter>;

/**
 * mls-extensions s.6.2: `struct { opaque type<V>; Parameter parameters<V>; }`
 * ("type/subtype" and its parameters; the field was `media_type` before).
 * Bytes, as declared.
 */
export const mediaType = struct("MediaType", { type: varOpaque(), parameters: vector(parameter) });
export type MediaType = ValueOf<typeof mediaType>;

/**
 * room-policy-03 s.6.4: the asset_policy component; sizes in bytes.
 * `optional<MediaType> permitted_media_types<V>` is read as an optional
 * vector, `optional<MediaType permitted_media_types<V>>`: absent means no
 * allow-list, present (even empty) is one.
 */
export const assetPolicy = struct("AssetPolicy", {
  assetUploadLocation,
  uploadDomains: vector(providerAssetUploadDomains),
  downloadPrivacy,
  maxImage: uint64,
  maxAudio: uint64,
  maxVideo: uint64,
  maxAttachment: uint64,
  forbiddenMediaTypes: vector(mediaType),
  permittedMediaTypes: optional(vector(mediaType)),
});
export type AssetPolicy = ValueOf<typeof assetPolicy>;

const loggingFields = { loggingClients: vector(uri), machineReadablePolicy: uri, humanReadablePolicy: uri } as const;

/**
 * room-policy-03 s.6.5: the logging_policy component (`case mandatory` is
 * required). The policy URIs may be empty ("optionally contain pointers").
 */
export const loggingPolicy = select("LoggingPolicy", "logging", optionality, {
  [Optionality.required]: loggingFields,
  [Optionality.optional]: loggingFields,
  [Optionality.forbidden]: {},
});
export type LoggingPolicy = ValueOf<typeof loggingPolicy>;

const historyFields = { rolesThatCanShare: vector(uint32), automaticallyShare: bool, maxTimePeriod: uint32 } as const;

/** room-policy-03 s.6.6: the chat_history_policy component (`case mandatory` is required); maxTimePeriod in seconds. */
export const historyPolicy = select("HistoryPolicy", "historySharing", optionality, {
  [Optionality.required]: historyFields,
  [Optionality.optional]: historyFields,
  [Optionality.forbidden]: {},
});
export type HistoryPolicy = ValueOf<typeof historyPolicy>;

/** room-policy-03 s.6.7: name and description are `opaque`, with no encoding stated, so bytes. */
export const bot = struct("Bot", {
  name: varOpaque(),
  description: varOpaque(),
  homepage: uri,
  localClientBot: bool,
  botRoleIndex: uint32,
  canTargetMessageInGroup: bool,
  perUserContent: bool,
});
export type Bot = ValueOf<typeof bot>;

/** room-policy-03 s.6.7: the bot_policy component. */
export const botPolicy = struct("BotPolicy", { allowedBots: vector(bot) });
export type BotPolicy = ValueOf<typeof botPolicy>;

const expirationFields = {
  minExpirationDuration: uint32,
  maxExpirationDuration: uint32,
  /** `optional uint32` read as `optional<uint32>` */
  defaultExpirationDuration: optional(uint32),
} as const;

/**
 * room-policy-03 s.6.8: the message_expiration_policy component (`case
 * mandatory` is required); durations in seconds. The text says a forbidden
 * policy has zero durations, but its select case is `struct {}`: nothing
 * follows the tag.
 */
export const messageExpiration = select("MessageExpiration", "expiringMessages", optionality, {
  [Optionality.required]: expirationFields,
  [Optionality.optional]: expirationFields,
  [Optionality.forbidden]: {},
});
export type MessageExpiration = ValueOf<typeof messageExpiration>;

export const roomPolicyStructs: readonly StructEntry[] = [
  structEntry("bool", bool, "room-policy-03 s.5"),
  structEntry("BaseRoomPolicy", baseRoomPolicy, "room-policy-03 s.5"),
  structEntry("Optionality", optionality, "room-policy-03 s.6.1"),
  structEntry("StatusNotificationPolicy", statusNotificationPolicy, "room-policy-03 s.6.1"),
  structEntry("JoinLinkPolicy", joinLinkPolicy, "room-policy-03 s.6.2"),
  structEntry("JoinLink", joinLink, "room-policy-03 s.6.2"),
  structEntry("JoinLinksData", joinLinksData, "room-policy-03 s.6.2"),
  structEntry("JoinLinksUpdate", joinLinksUpdate, "room-policy-03 s.6.2"),
  structEntry("LinkPreviewPolicy", linkPreviewPolicy, "room-policy-03 s.6.3"),
  structEntry("AssetUploadLocation", assetUploadLocation, "room-policy-03 s.6.4"),
  structEntry("DomainName", domainName, "room-policy-03 s.6.4"),
  structEntry("ProviderAssetUploadDomains", providerAssetUploadDomains, "room-policy-03 s.6.4"),
  structEntry("DownloadPrivacyType", downloadPrivacyType, "room-policy-03 s.6.4"),
  structEntry("DownloadPrivacy", downloadPrivacy, "room-policy-03 s.6.4"),
  structEntry("Parameter", parameter, "mls-extensions s.6.2"),
  structEntry("MediaType", mediaType, "mls-extensions s.6.2"),
  structEntry("AssetPolicy", assetPolicy, "room-policy-03 s.6.4"),
  structEntry("LoggingPolicy", loggingPolicy, "room-policy-03 s.6.5"),
  structEntry("HistoryPolicy", historyPolicy, "room-policy-03 s.6.6"),
  structEntry("Bot", bot, "room-policy-03 s.6.7"),
  structEntry("BotPolicy", botPolicy, "room-policy-03 s.6.7"),
  structEntry("MessageExpiration", messageExpiration, "room-policy-03 s.6.8"),
];
