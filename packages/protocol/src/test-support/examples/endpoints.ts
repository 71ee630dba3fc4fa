import type { MLSMessage } from "ts-mls";
import { getCiphersuiteFromName, getCiphersuiteImpl } from "ts-mls";
import { makeProposalRef } from "ts-mls/authenticatedContent.js";
import { Protocol } from "../../constants.js";
import type { FanoutMessage } from "../../fanout.js";
import type { Frank } from "../../franking.js";
import { RatchetTreePresence, RatchetTreeRepresentation } from "../../ratchetTreeOptions.js";
import { type SubmitMessageRequest, type SubmitMessageResponse, SubmitResponseCode } from "../../submitMessage.js";
import {
  type GroupInfoOption,
  GroupInfoRepresentation,
  type HandshakeBundle,
  UpdateResponseCode,
  type UpdateRoomResponse,
} from "../../update.js";
import { mls } from "../mlsFixtures.js";
import type { Examples } from "./types.js";

const acceptedAt = 1644387225019n;

/**
 * The ProposalRef (RFC 9420 s.5.2) of bob's Remove proposal, the one
 * PublicMessage proposal of the fixtures, in the fixtures' cipher suite.
 */
async function proposalRef(message: MLSMessage): Promise<Uint8Array> {
  if (message.wireformat !== "mls_public_message") throw new Error("not a PublicMessage");
  const suite = await getCiphersuiteImpl(getCiphersuiteFromName("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"));
  const { content, auth } = message.publicMessage;
  return makeProposalRef({ wireformat: "mls_public_message", content, auth }, suite.hash);
}
const removeRef = await proposalRef(mls.proposalMessage);

const fullGroupInfo: GroupInfoOption = { representation: GroupInfoRepresentation.full, groupInfo: mls.groupInfo };
const partialGroupInfo: GroupInfoOption = {
  representation: GroupInfoRepresentation.partial,
  partialGroupInfo: {
    ratchetTreePresence: RatchetTreePresence.noRatchetTree,
    groupInfoExtensions: mls.groupInfo.extensions,
    signature: mls.groupInfo.signature,
  },
};

const addBob: HandshakeBundle = {
  proposalOrCommit: mls.commitMessage,
  welcome: mls.welcome,
  groupInfoOption: fullGroupInfo,
  ratchetTreeOption: { representation: RatchetTreeRepresentation.distributionService },
};
const commitWithoutWelcome: HandshakeBundle = {
  proposalOrCommit: mls.commitMessage,
  welcome: undefined,
  groupInfoOption: partialGroupInfo,
  ratchetTreeOption: {
    representation: RatchetTreeRepresentation.outOfBand,
    treeSignature: new Uint8Array(64).fill(0x45),
  },
};
const removeWithMore: HandshakeBundle = { proposalOrCommit: mls.proposalMessage, moreProposals: [mls.proposalMessage] };
const removeAlone: HandshakeBundle = { proposalOrCommit: mls.proposalMessage, moreProposals: [] };

const updateResponses: { description: string; value: UpdateRoomResponse }[] = [
  {
    description: "success: accepted at the time of protocol-06 s.5.4.1.1's example",
    value: { responseCode: UpdateResponseCode.success, errorDescription: "", acceptedTimestamp: acceptedAt },
  },
  {
    description: "wrong epoch: the hub is at epoch 2",
    value: { responseCode: UpdateResponseCode.wrongEpoch, errorDescription: "room is at epoch 2", currentEpoch: 2n },
  },
  {
    description: "not allowed, with a description",
    value: { responseCode: UpdateResponseCode.notAllowed, errorDescription: "bob has not consented to join" },
  },
  {
    description: "invalid proposal: bob's Remove proposal, by its ProposalRef",
    value: {
      responseCode: UpdateResponseCode.invalidProposal,
      errorDescription: "bob may not remove alice",
      invalidProposals: [removeRef],
    },
  },
];

const submitRequest: SubmitMessageRequest = {
  protocol: Protocol.mls10,
  appMessage: mls.applicationMessage,
  sendingUri: "mimi://a.example/u/alice",
};

const frank: Frank = {
  serverFrank: new Uint8Array(32).fill(0x11),
  frankingSignatureCiphersuite: mls.cipherSuite,
  frankingIntegritySignature: new Uint8Array(64).fill(0x22),
};

const submitResponses: { description: string; value: SubmitMessageResponse }[] = [
  {
    description: "accepted and franked",
    value: {
      protocol: Protocol.mls10,
      result: { statusCode: SubmitResponseCode.accepted, acceptedTimestamp: acceptedAt, frank },
    },
  },
  {
    description: "accepted, no franking tag in the message",
    value: {
      protocol: Protocol.mls10,
      result: { statusCode: SubmitResponseCode.accepted, acceptedTimestamp: acceptedAt, frank: undefined },
    },
  },
  {
    description: "not allowed",
    value: { protocol: Protocol.mls10, result: { statusCode: SubmitResponseCode.notAllowed } },
  },
  {
    description: "epoch too old: the hub is at epoch 2",
    value: { protocol: Protocol.mls10, result: { statusCode: SubmitResponseCode.epochTooOld, currentEpoch: 2n } },
  },
];

const fanouts: { description: string; value: FanoutMessage }[] = [
  {
    description: "alice's application message with its frank",
    value: { timestamp: acceptedAt, content: { message: mls.applicationMessage, frank } },
  },
  {
    description: "an application message the hub did not frank",
    value: { timestamp: acceptedAt, content: { message: mls.applicationMessage, frank: undefined } },
  },
  {
    description: "the Welcome for bob; the ratchet tree is fetched from the distribution service",
    value: {
      timestamp: acceptedAt,
      content: {
        message: mls.welcomeMessage,
        ratchetTreeOption: { representation: RatchetTreeRepresentation.distributionService },
      },
    },
  },
  {
    description: "bob's Remove proposal with the proposals sent with it",
    value: { timestamp: acceptedAt, content: { message: mls.proposalMessage, moreProposals: [mls.proposalMessage] } },
  },
  {
    description: "alice's commit adding bob, nothing stapled",
    value: { timestamp: acceptedAt, content: { message: mls.commitMessage, externalProposals: [] } },
  },
  {
    description: "the commit with a proposal stapled (bob's: the fixtures hold no hub proposal)",
    value: { timestamp: acceptedAt, content: { message: mls.commitMessage, externalProposals: [mls.proposalMessage] } },
  },
];

/** Examples of the endpoint structs: protocol-06 s.5.3 (update), s.5.4 (submitMessage), s.5.5 (notify). */
export const examples: Examples = {
  HandshakeBundle: [
    { description: "alice's commit adding bob, with bob's Welcome and the full GroupInfo", value: addBob },
    {
      description: "the same commit, its Welcome left out, a partial GroupInfo, the tree out of band",
      value: commitWithoutWelcome,
    },
    {
      description: "bob's Remove proposal with one more proposal (itself, as the fixtures hold one)",
      value: removeWithMore,
    },
    { description: "a proposal alone", value: removeAlone },
  ],
  GroupInfoRepresentation: [
    { description: "full", value: GroupInfoRepresentation.full },
    { description: "partial", value: GroupInfoRepresentation.partial },
  ],
  GroupInfoOption: [
    { description: "alice's whole GroupInfo", value: fullGroupInfo },
    { description: "the GroupInfo's extensions and signature, for the hub to rebuild it", value: partialGroupInfo },
  ],
  UpdateRequest: [{ description: "alice adds bob to the clubhouse", value: { bundle: addBob } }],
  UpdateResponseCode: Object.entries(UpdateResponseCode).map(([name, value]) => ({ description: name, value })),
  UpdateRoomResponse: updateResponses,
  SubmitMessageRequest: [{ description: 'alice\'s "hello" to the clubhouse', value: submitRequest }],
  SubmitResponseCode: Object.entries(SubmitResponseCode).map(([name, value]) => ({ description: name, value })),
  SubmitMessageResponse: submitResponses,
  FanoutMessage: fanouts,
};
