import { struct } from "@mimi-ts/codec";
import {
  type GroupInfoRequest,
  type GroupInfoResponse,
  groupInfo,
  type HandshakeBundle,
  type KeyMaterialRequest,
  type KeyMaterialResponse,
  type RatchetTreeOption,
  ratchetTreeOption,
  type SubmitMessageRequest,
  type SubmitMessageResponse,
  type UpdateRoomResponse,
} from "@mimi-ts/protocol";
import type { CiphersuiteName, ExternalSender, GroupInfo } from "ts-mls";

/** What the Hub needs to start following a new room (protocol-06 s.3.1): its first GroupInfo and ratchet tree. */
export interface RoomCreation {
  /** the GroupInfo of epoch 0, signed by the creator (without a ratchet_tree extension) */
  readonly groupInfo: GroupInfo;
  /** the full tree (ratchet-tree-options-03 `full`) */
  readonly ratchetTreeOption: RatchetTreeOption;
}

/**
 * RoomCreation on the wire, the body apps/hub's client API takes to create a
 * room (provider-local):
 *
 *   struct {
 *     GroupInfo group_info;
 *     RatchetTreeOption ratchet_tree_option;
 *   } RoomCreation;
 */
export const roomCreationCodec = struct("RoomCreation", { groupInfo, ratchetTreeOption });

/**
 * The room endpoints as a device reaches them through its own provider
 * (protocol-06 s.5.2-s.5.6, relayed by the provider to the room's Hub).
 * Everything signed is signed by the client before it is handed over, and
 * everything encrypted to the client is decrypted by it: a transport moves
 * protocol structs and holds no keys. Methods return the Hub's protocol
 * answer, refusals included; a request that gets no protocol answer (the
 * provider unreachable or answering an HTTP error) throws ClientError.
 */
export interface RoomTransport {
  /**
   * The Hub's external sender for a room of `cipherSuite` to be created at
   * `roomUri` (its signature key for the suite's signature scheme and its
   * basic credential `mimi://<hub domain>`), which the room lists in
   * external_senders (protocol-06 s.7.4).
   */
  hubExternalSender(roomUri: string, cipherSuite: CiphersuiteName): Promise<ExternalSender>;
  /** Hands a new room to its Hub (protocol-06 s.3.1; provider-local, the draft defines no endpoint). Throws ClientError when refused. */
  createRoom(roomUri: string, creation: RoomCreation): Promise<void>;
  /** protocol-06 s.5.3: a commit (with its Welcome, GroupInfo and tree) or proposals, for the Hub to accept and fan out. */
  sendHandshake(roomUri: string, bundle: HandshakeBundle): Promise<UpdateRoomResponse>;
  /** protocol-06 s.5.4: an application message for the Hub to fan out. */
  submitMessage(roomUri: string, request: SubmitMessageRequest): Promise<SubmitMessageResponse>;
  /** protocol-06 s.5.6: the GroupInfo, tree and pending proposals for an external join, encrypted to the request's key. */
  fetchGroupInfo(roomUri: string, request: GroupInfoRequest): Promise<GroupInfoResponse>;
  /** protocol-06 s.5.2: one KeyPackage of each client of `request.targetUser`, claimed for `request.roomId`. */
  claimKeyMaterial(request: KeyMaterialRequest): Promise<KeyMaterialResponse>;
}
