import fc from "fast-check";
import { AppDataUpdateOperation } from "../../appData.js";
import { RatchetTreePresence, RatchetTreeRepresentation } from "../../ratchetTreeOptions.js";
import { bytes, fixedBytes, list, maybe, mlsArbitrary, uint16, uint64, uri } from "./common.js";
import type { Arbitraries } from "./types.js";

const sortedUniqueIds = fc.uniqueArray(uint16, { maxLength: 4 }).map((ids) => [...ids].sort((a, b) => a - b));
const componentData = fc.record({ componentId: uint16, data: bytes() });
const context = fc.record({ senderUri: uri, roomUri: uri, acceptedTimestamp: uint64 });
const frank = fc.record({
  serverFrank: fixedBytes(32),
  frankingSignatureCiphersuite: mlsArbitrary.cipherSuite,
  frankingIntegritySignature: bytes(80),
});

/** Generators of the franking, app data and ratchet tree option structs. */
export const arbitraries: Arbitraries = {
  FrankAAD: fc.record({ frankingTag: fixedBytes(32) }),
  FrankingAgentData: fc.record({
    frankingSignatureKey: mlsArbitrary.signaturePublicKey,
    credential: mlsArbitrary.credential,
  }),
  Frank: frank,
  ServerFrankingContext: context,
  FrankingIntegrityTBS: fc.record({
    serverFrank: fixedBytes(32),
    frankingSignatureCiphersuite: mlsArbitrary.cipherSuite,
    context,
  }),
  ComponentData: componentData,
  AppDataDictionary: fc
    .tuple(sortedUniqueIds, fc.array(bytes(), { minLength: 4, maxLength: 4 }))
    .map(([ids, data]) => ({ componentData: ids.map((componentId, i) => ({ componentId, data: data[i] })) })),
  AppDataUpdate: fc.record({
    componentId: uint16,
    change: fc.oneof(
      fc.record({ op: fc.constant(AppDataUpdateOperation.update), update: bytes() }),
      fc.record({ op: fc.constant(AppDataUpdateOperation.remove) }),
    ),
  }),
  SafeAADItem: fc.record({ componentId: uint16, aadItemData: bytes() }),
  SafeAAD: fc
    .tuple(sortedUniqueIds, fc.array(bytes(), { minLength: 4, maxLength: 4 }))
    .map(([ids, data]) => ({ aadItems: ids.map((componentId, i) => ({ componentId, aadItemData: data[i] })) })),
  ComponentsList: fc.record({ componentIds: list(uint16, 5) }),
  RatchetTreeOption: fc.oneof(
    fc.record({
      representation: fc.constant(RatchetTreeRepresentation.full),
      ratchetTree: list(maybe(mlsArbitrary.node)),
    }),
    fc.record({
      representation: fc.constant(RatchetTreeRepresentation.httpsUri),
      ratchetTreeUrl: bytes(),
      treeSignature: bytes(),
    }),
    fc.record({ representation: fc.constant(RatchetTreeRepresentation.outOfBand), treeSignature: bytes() }),
    fc.record({ representation: fc.constant(RatchetTreeRepresentation.distributionService) }),
  ),
  PartialGroupInfo: fc.record({
    ratchetTreePresence: fc.constantFrom(...Object.values(RatchetTreePresence)),
    groupInfoExtensions: mlsArbitrary.extensions,
    signature: bytes(80),
  }),
  DomainList: fc.record({ domains: list(fc.record({ domain: bytes(20) })) }),
};
