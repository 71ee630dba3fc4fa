/**
 * @mimi-ts/room: MIMI rooms as MLS groups. Room state from the GroupContext's
 * app components, the policy engine that authorizes every change, MIMI
 * identities, the member-side room API, and the Hub's view of the public
 * group state. Runs on ts-mls 1.6.4 with the patch in patches/.
 */
export type { CommittedProposal, ProposalSender } from "./committedProposal.js";
export { mimiAppDataUpdateHandlers, participantListHandler, roomMetadataHandler } from "./componentHandlers.js";
export {
  type CommitAccepted,
  createHubRoom,
  decodeHubRoom,
  encodeHubRoom,
  type Fanout,
  followersOf,
  groupInfoFor,
  type HandleOptions,
  type HubGroupState,
  type HubRoom,
  type HubRoomOptions,
  type HubRoomResult,
  handleSubmitMessage,
  handleUpdate,
  type MembershipChange,
  type ProposalsAccepted,
  type RoomCreation,
  roomCreationOf,
  type SubmitOutcome,
  type UpdateOutcome,
  type UpdateRefused,
  type WelcomeFanout,
} from "./hubRoom.js";
export * from "./identity.js";
export * from "./participants.js";
export * from "./policy.js";
export {
  type AddedLeaf,
  acceptGroupInfo,
  type CommitApplied,
  groupInfoForJoiners,
  type JoinerInformation,
  type Member,
  members,
  type PendingProposal,
  type ProposalAccepted,
  type PublicGroupOptions,
  type PublicGroupResult,
  type PublicGroupState,
  pendingProposals,
  processPublicMessage,
  publicGroupFromGroupInfo,
} from "./publicGroup.js";
export { PublicGroupError, type PublicGroupErrorCode, type PublicGroupErrorDetails } from "./publicGroupErrors.js";
export { decodePublicGroup, encodePublicGroup } from "./publicGroupStorage.js";
export * from "./roomBuilder.js";
export * from "./roomChange.js";
export {
  type GroupView,
  type GroupViewResult,
  groupViewOf,
  type HandshakeRoomChange,
  type LeafMember,
  proposalChangeOf,
  type RoomChangeOptions,
  type RoomChangeResult,
  roomChangeOf,
  type SentProposal,
} from "./roomChanges.js";
export * from "./roomMember.js";
export * from "./roomState.js";
