import { AppDataUpdateOperation } from "../../appData.js";
import { ComponentId } from "../../constants.js";
import { RatchetTreePresence, RatchetTreeRepresentation } from "../../ratchetTreeOptions.js";
import { mls } from "../mlsFixtures.js";
import type { Examples } from "./types.js";

const frank = {
  serverFrank: new Uint8Array(32).fill(0x11),
  frankingSignatureCiphersuite: mls.cipherSuite,
  frankingIntegritySignature: new Uint8Array(64).fill(0x22),
};
const context = {
  senderUri: "mimi://b.example/u/alice",
  roomUri: "mimi://hub.example/r/Rl33FWLCYWOwxHrYnpWDQg",
  acceptedTimestamp: 1644387225019n,
};
const componentData = { componentId: ComponentId.participantList, data: new Uint8Array([0x00]) };

/** Examples of the franking, app data and ratchet tree option structs. */
export const examples: Examples = {
  FrankAAD: [{ description: "a franking tag", value: { frankingTag: new Uint8Array(32).fill(0x33) } }],
  FrankingAgentData: [
    {
      description: "the hub's franking key",
      value: { frankingSignatureKey: mls.signaturePublicKey, credential: mls.credential },
    },
  ],
  Frank: [{ description: "a frank", value: frank }],
  ServerFrankingContext: [{ description: "the context of protocol-06 s.5.4.1.1's example", value: context }],
  FrankingIntegrityTBS: [
    {
      description: "what the franking agent signs",
      value: { serverFrank: frank.serverFrank, frankingSignatureCiphersuite: mls.cipherSuite, context },
    },
  ],
  ComponentData: [{ description: "an empty participant list", value: componentData }],
  AppDataDictionary: [
    {
      description: "safe_aad (empty list) and an empty participant list, sorted by component id",
      value: {
        componentData: [{ componentId: ComponentId.safeAad, data: new Uint8Array([0x00]) }, componentData],
      },
    },
    { description: "no components", value: { componentData: [] } },
  ],
  AppDataUpdate: [
    {
      description: "an update of the room metadata",
      value: {
        componentId: ComponentId.roomMetadata,
        change: { op: AppDataUpdateOperation.update, update: new Uint8Array([1, 2, 3]) },
      },
    },
    {
      description: "removing the link preview policy",
      value: { componentId: ComponentId.linkPreviewPolicy, change: { op: AppDataUpdateOperation.remove } },
    },
  ],
  SafeAADItem: [
    { description: "a frank_aad item", value: { componentId: ComponentId.frankAad, aadItemData: new Uint8Array(32) } },
  ],
  SafeAAD: [
    {
      description: "authenticated_data carrying a franking tag",
      value: { aadItems: [{ componentId: ComponentId.frankAad, aadItemData: new Uint8Array(32).fill(0x33) }] },
    },
  ],
  ComponentsList: [
    {
      description: "the required components of a MIMI room",
      value: { componentIds: [ComponentId.safeAad, ComponentId.participantList, ComponentId.roomMetadata] },
    },
  ],
  RatchetTreeOption: [
    {
      description: "the full tree: one leaf then a blank",
      value: { representation: RatchetTreeRepresentation.full, ratchetTree: [mls.node, undefined, mls.node] },
    },
    {
      description: "a tree to download",
      value: {
        representation: RatchetTreeRepresentation.httpsUri,
        ratchetTreeUrl: new TextEncoder().encode("https://hub.example/tree/abc"),
        treeSignature: new Uint8Array(64).fill(0x44),
      },
    },
    {
      description: "a tree sent out of band",
      value: { representation: RatchetTreeRepresentation.outOfBand, treeSignature: new Uint8Array(64).fill(0x45) },
    },
    {
      description: "a tree the distribution service rebuilds",
      value: { representation: RatchetTreeRepresentation.distributionService },
    },
  ],
  PartialGroupInfo: [
    {
      description: "the GroupInfo's external_pub extension and signature",
      value: {
        ratchetTreePresence: RatchetTreePresence.noRatchetTree,
        groupInfoExtensions: mls.groupInfo.extensions,
        signature: mls.groupInfo.signature,
      },
    },
  ],
  DomainList: [
    {
      description: "two domains trees may come from",
      value: {
        domains: [
          { domain: new TextEncoder().encode("hub.example") },
          { domain: new TextEncoder().encode("a.example") },
        ],
      },
    },
  ],
};
