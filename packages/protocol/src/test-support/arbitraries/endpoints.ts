import fc from "fast-check";
import { Protocol } from "../../constants.js";
import { SubmitResponseCode } from "../../submitMessage.js";
import { GroupInfoRepresentation, UpdateResponseCode } from "../../update.js";
import { bytes, list, maybe, mlsArbitrary, text, uint64, uri } from "./common.js";
import { arbitraries as framing } from "./framing.js";
import type { Arbitraries } from "./types.js";

/** The generator of another group's struct, which must exist. */
function generatorOf(group: Arbitraries, name: string): fc.Arbitrary<unknown> {
  const arbitrary = group[name];
  if (arbitrary === undefined) throw new Error(`no generator for ${name}`);
  return arbitrary;
}

const frank = generatorOf(framing, "Frank");
const ratchetTreeOption = generatorOf(framing, "RatchetTreeOption");
const partialGroupInfo = generatorOf(framing, "PartialGroupInfo");

const groupInfoOption = fc.oneof(
  fc.record({ representation: fc.constant(GroupInfoRepresentation.full), groupInfo: mlsArbitrary.groupInfo }),
  fc.record({ representation: fc.constant(GroupInfoRepresentation.partial), partialGroupInfo }),
);

const moreProposals = list(mlsArbitrary.proposalMessage);

const handshakeBundle = fc.oneof(
  fc.record({
    proposalOrCommit: mlsArbitrary.commitMessage,
    welcome: maybe(mlsArbitrary.welcome),
    groupInfoOption,
    ratchetTreeOption,
  }),
  fc.record({ proposalOrCommit: mlsArbitrary.proposalMessage, moreProposals }),
);

const updateRoomResponse = fc.oneof(
  fc.record({
    responseCode: fc.constant(UpdateResponseCode.success),
    errorDescription: text(),
    acceptedTimestamp: uint64,
  }),
  fc.record({
    responseCode: fc.constant(UpdateResponseCode.wrongEpoch),
    errorDescription: text(),
    currentEpoch: uint64,
  }),
  fc.record({ responseCode: fc.constant(UpdateResponseCode.notAllowed), errorDescription: text() }),
  fc.record({
    responseCode: fc.constant(UpdateResponseCode.invalidProposal),
    errorDescription: text(),
    invalidProposals: list(bytes(64)),
  }),
);

const submitResult = fc.oneof(
  fc.record({ statusCode: fc.constant(SubmitResponseCode.accepted), acceptedTimestamp: uint64, frank: maybe(frank) }),
  fc.record({ statusCode: fc.constant(SubmitResponseCode.notAllowed) }),
  fc.record({ statusCode: fc.constant(SubmitResponseCode.epochTooOld), currentEpoch: uint64 }),
);

const fanoutContent = fc.oneof(
  fc.record({ message: mlsArbitrary.applicationMessage, frank: maybe(frank) }),
  fc.record({ message: mlsArbitrary.welcomeMessage, ratchetTreeOption }),
  fc.record({ message: mlsArbitrary.proposalMessage, moreProposals }),
  fc.record({ message: mlsArbitrary.commitMessage, externalProposals: moreProposals }),
);

/** Generators of the endpoint structs: protocol-06 s.5.3 (update), s.5.4 (submitMessage), s.5.5 (notify). */
export const arbitraries: Arbitraries = {
  HandshakeBundle: handshakeBundle,
  GroupInfoRepresentation: fc.constantFrom(...Object.values(GroupInfoRepresentation)),
  GroupInfoOption: groupInfoOption,
  UpdateRequest: fc.record({ bundle: handshakeBundle }),
  UpdateResponseCode: fc.constantFrom(...Object.values(UpdateResponseCode)),
  UpdateRoomResponse: updateRoomResponse,
  SubmitMessageRequest: fc.record({
    protocol: fc.constant(Protocol.mls10),
    appMessage: mlsArbitrary.applicationMessage,
    sendingUri: uri,
  }),
  SubmitResponseCode: fc.constantFrom(...Object.values(SubmitResponseCode)),
  SubmitMessageResponse: fc.record({ protocol: fc.constant(Protocol.mls10), result: submitResult }),
  FanoutMessage: fc.record({ timestamp: uint64, content: fanoutContent }),
};
