import { opaque, struct, uint64, type ValueOf, varOpaque } from "@mimi-ts/codec";
import { identifierUri } from "./identifiers.js";
import { cipherSuite, credential, signaturePublicKey } from "./mls.js";
import { type StructEntry, structEntry } from "./structEntry.js";

/** protocol-06 s.5.4.1: the frank_aad SafeAAD component: `uint8 franking_tag[32]`, HMAC-SHA256(salt, application_data). */
export const frankAad = struct("FrankAAD", { frankingTag: opaque(32) });
export type FrankAad = ValueOf<typeof frankAad>;

/**
 * protocol-06 s.5.4.1: the franking_agent GroupContext component (and its
 * FrankingAgentUpdate), shaped like RFC 9420's ExternalSender.
 */
export const frankingAgentData = struct("FrankingAgentData", {
  frankingSignatureKey: signaturePublicKey,
  credential,
});
export type FrankingAgentData = ValueOf<typeof frankingAgentData>;

/** protocol-06 s.5.4: what the Hub returns and fans out with a franked message. */
export const frank = struct("Frank", {
  serverFrank: opaque(32),
  frankingSignatureCiphersuite: cipherSuite,
  frankingIntegritySignature: varOpaque(),
});
export type Frank = ValueOf<typeof frank>;

/** protocol-06 s.5.4.1.2: server_frank = HMAC_SHA256(hub_key, franking_tag || ServerFrankingContext). */
export const serverFrankingContext = struct("ServerFrankingContext", {
  senderUri: identifierUri,
  roomUri: identifierUri,
  acceptedTimestamp: uint64,
});
export type ServerFrankingContext = ValueOf<typeof serverFrankingContext>;

/** protocol-06 s.5.4.1.2: signed by the franking agent with the label "FrankingIntegrityTBS". */
export const frankingIntegrityTbs = struct("FrankingIntegrityTBS", {
  serverFrank: opaque(32),
  frankingSignatureCiphersuite: cipherSuite,
  context: serverFrankingContext,
});
export type FrankingIntegrityTbs = ValueOf<typeof frankingIntegrityTbs>;

export const frankingStructs: readonly StructEntry[] = [
  structEntry("FrankAAD", frankAad, "protocol-06 s.5.4.1"),
  structEntry("FrankingAgentData", frankingAgentData, "protocol-06 s.5.4.1"),
  structEntry("Frank", frank, "protocol-06 s.5.4"),
  structEntry("ServerFrankingContext", serverFrankingContext, "protocol-06 s.5.4.1.2"),
  structEntry("FrankingIntegrityTBS", frankingIntegrityTbs, "protocol-06 s.5.4.1.2"),
];
