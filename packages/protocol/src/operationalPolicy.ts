import {
  type Codec,
  enumeration,
  select,
  struct,
  uint8,
  uint16,
  uint32,
  uint64,
  type ValueOf,
  vector,
} from "@mimi-ts/codec";
import { componentId } from "./appData.js";
import { bool, mediaType } from "./roomPolicy.js";
import { type StructEntry, structEntry } from "./structEntry.js";

/**
 * RFC 9420 code points as operational policy lists them: ProtocolVersion,
 * CipherSuite, ExtensionType, ProposalType, CredentialType and WireFormat are
 * uint16 (s.6, s.17), ContentType a uint8 (s.6). Plain integers, not
 * enumerations: a policy may name (or forbid) values this code does not know.
 */
const protocolVersion: Codec<number> = uint16;
const cipherSuite: Codec<number> = uint16;
const extensionType: Codec<number> = uint16;
const proposalType: Codec<number> = uint16;
const credentialType: Codec<number> = uint16;
const wireFormat: Codec<number> = uint16;
const contentType: Codec<number> = uint8;

/**
 * room-policy-03 s.7.1. `WireFormats wire_formats<V>` names no type and is
 * read `WireFormat wire_formats<V>` (uint16 each); ComponentID is uint16
 * (mls-extensions s.4.1); MediaType is mls-extensions s.6.2's.
 */
export const extendedCapabilities = struct("ExtendedCapabilities", {
  versions: vector(protocolVersion),
  cipherSuites: vector(cipherSuite),
  extensions: vector(extensionType),
  proposals: vector(proposalType),
  credentials: vector(credentialType),
  wireFormats: vector(wireFormat),
  componentIds: vector(componentId),
  safeAadTypes: vector(componentId),
  mediaTypes: vector(mediaType),
  contentTypes: vector(contentType),
});
export type ExtendedCapabilities = ValueOf<typeof extendedCapabilities>;

/** room-policy-03 s.7.1. */
export const PendingProposalStrategy = { unspecified: 0, immediateCommit: 1, randomDelay: 2 } as const;
export const pendingProposalStrategy = enumeration("PendingProposalStrategy", uint8, PendingProposalStrategy);
export type PendingProposalStrategy = ValueOf<typeof pendingProposalStrategy>;

/**
 * room-policy-03 s.7.1: when members commit pending proposals; delays in
 * milliseconds. The draft's `case extension:` names no PendingProposalStrategy
 * value, so only the three values of the enum have a case.
 */
export const pendingProposalPolicy = select(
  "PendingProposalPolicy",
  "pendingProposalStrategy",
  pendingProposalStrategy,
  {
    [PendingProposalStrategy.unspecified]: {},
    [PendingProposalStrategy.immediateCommit]: {},
    [PendingProposalStrategy.randomDelay]: { minimumDelayMs: uint64, maximumDelayMs: uint64 },
  },
);
export type PendingProposalPolicy = ValueOf<typeof pendingProposalPolicy>;

/** room-policy-03 s.7.1. */
export const minDefaultMaxTime = struct("MinDefaultMaxTime", {
  minimumTime: uint64,
  defaultTime: uint64,
  maximumTime: uint64,
});
export type MinDefaultMaxTime = ValueOf<typeof minDefaultMaxTime>;

/** room-policy-03 s.7.1. */
export const appMessagePolicy = struct("AppMessagePolicy", {
  epochTolerance: uint8,
  padToSize: uint16,
  maxGenerationsSkipahead: uint32,
});
export type AppMessagePolicy = ValueOf<typeof appMessagePolicy>;

/**
 * room-policy-03 s.7.1: the mls_operational_policy component
 * (ComponentId.mlsOperationalPolicy). `WireFormats handshake_formats<V>` is
 * read `WireFormat handshake_formats<V>` and the misspelled `unit64` as uint64.
 */
export const operationalParameters = struct("OperationalParameters", {
  mandatoryCapabilities: extendedCapabilities,
  defaultCapabilities: extendedCapabilities,
  forbiddenCapabilities: extendedCapabilities,
  handshakeFormats: vector(wireFormat),
  externalProposalAllowed: bool,
  externalCommitAllowed: bool,
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
});
export type OperationalParameters = ValueOf<typeof operationalParameters>;

export const operationalPolicyStructs: readonly StructEntry[] = [
  structEntry("ExtendedCapabilities", extendedCapabilities, "room-policy-03 s.7.1"),
  structEntry("PendingProposalStrategy", pendingProposalStrategy, "room-policy-03 s.7.1"),
  structEntry("PendingProposalPolicy", pendingProposalPolicy, "room-policy-03 s.7.1"),
  structEntry("MinDefaultMaxTime", minDefaultMaxTime, "room-policy-03 s.7.1"),
  structEntry("AppMessagePolicy", appMessagePolicy, "room-policy-03 s.7.1"),
  structEntry("OperationalParameters", operationalParameters, "room-policy-03 s.7.1"),
];
