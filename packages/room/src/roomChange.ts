import { CodecError, decode } from "@mimi-ts/codec";
import {
  type AppDataUpdate,
  AppDataUpdateOperation,
  type Claim,
  ComponentId,
  type ParticipantListUpdate,
  participantListUpdate,
  type RoomMetaData,
  roomMetaUpdate,
} from "@mimi-ts/protocol";
import {
  decodeRoomComponent,
  describeComponentId,
  type RoomComponentName,
  type RoomComponentValue,
  type RoomStateError,
  roomComponentName,
} from "./roomState.js";

/**
 * A protocol-neutral description of what one handshake message does to a
 * room, built by the Hub from the commit or proposals it receives, and by a
 * client from the commit it builds or processes. policy.ts authorizes it.
 */

/**
 * Who sends a message, commit or proposal. `claims` are those of its
 * credential (room-policy-03 s.4; for basic credentials see
 * identity.basicCredentialClaims); `userUri` is what the participant list
 * knows it as.
 */
export type Actor =
  /** a client that is a member of the MLS group (a leaf) */
  | {
      readonly kind: "member";
      readonly clientUri: string;
      readonly userUri: string;
      readonly claims: readonly Claim[];
    }
  /** a client joining: the sender of an external commit or of a new_member_proposal Add (RFC 9420 s.12.1.8, s.12.4.3.2) */
  | {
      readonly kind: "newMember";
      readonly clientUri: string;
      readonly userUri: string;
      readonly claims: readonly Claim[];
    }
  /** an entry of the group's external_senders (protocol-06 s.7.4), such as the Hub: userUri is its own URI, e.g. mimi://hub.example */
  | { readonly kind: "external"; readonly userUri: string; readonly claims: readonly Claim[] };

/** A client in the MLS group: its leaf's client URI and the user it belongs to. */
export interface GroupMember {
  readonly clientUri: string;
  readonly userUri: string;
}

/** The policy components other than the participant list and room metadata (room-policy-03 s.3-7). */
export type PolicyComponentName = Exclude<RoomComponentName, "participantList" | "roomMetadata">;

/** An AppDataUpdate of a policy component: its new value, or undefined for `remove`. */
export type PolicyComponentUpdate = {
  [K in PolicyComponentName]: {
    readonly type: "componentUpdate";
    readonly component: K;
    readonly value: RoomComponentValue<K> | undefined;
    readonly proposer?: Actor;
  };
}[PolicyComponentName];

/**
 * One proposal's effect. `proposer` is the proposal's sender when it is not
 * the message's (a proposal committed by reference); absent, the message's
 * sender proposed it.
 */
export type RoomOperation =
  /** MLS Add of a client */
  | { readonly type: "addClient"; readonly clientUri: string; readonly userUri: string; readonly proposer?: Actor }
  /** MLS Remove of a member client */
  | { readonly type: "removeClient"; readonly clientUri: string; readonly userUri: string; readonly proposer?: Actor }
  /** MLS Update: the proposer replaces its own leaf (identity continuity is identity.checkIdentityContinuity's) */
  | { readonly type: "updateClient"; readonly proposer?: Actor }
  /** SelfRemove (mls-extensions s.6.3): the proposer's client leaves */
  | { readonly type: "selfRemove"; readonly proposer?: Actor }
  /** the sender, a new member, adds its own client (external commit or new_member_proposal) */
  | { readonly type: "externalJoin" }
  /** AppDataUpdate of participant_list (protocol-06 s.7.5) */
  | { readonly type: "participantListUpdate"; readonly update: ParticipantListUpdate; readonly proposer?: Actor }
  /** AppDataUpdate of room_metadata (protocol-06 s.7.6): the new value, replacing the old */
  | { readonly type: "metadataUpdate"; readonly metadata: RoomMetaData; readonly proposer?: Actor }
  | PolicyComponentUpdate
  /** AppDataUpdate of any other component: its new data, or undefined for `remove` */
  | {
      readonly type: "otherComponentUpdate";
      readonly componentId: number;
      readonly data: Uint8Array | undefined;
      readonly proposer?: Actor;
    }
  /** GroupContextExtensions (RFC 9420 s.12.1.7) */
  | { readonly type: "groupContextExtensions"; readonly proposer?: Actor }
  /** ReInit (RFC 9420 s.12.1.5) */
  | { readonly type: "reinit"; readonly proposer?: Actor };

export type RoomChange =
  /** a commit: its committer and every proposal it applies, inline or by reference */
  | { readonly kind: "commit"; readonly sender: Actor; readonly operations: readonly RoomOperation[] }
  /** proposals the Hub receives outside a commit, sent together (a HandshakeBundle's proposal and moreProposals) */
  | { readonly kind: "proposals"; readonly sender: Actor; readonly operations: readonly RoomOperation[] }
  /** an application message */
  | { readonly kind: "applicationMessage"; readonly sender: Actor };

export type DescribeResult =
  | { readonly ok: true; readonly operation: RoomOperation }
  | { readonly ok: false; readonly error: RoomStateError };

function describeError(componentId: number, reason: string): DescribeResult {
  const component = describeComponentId(componentId);
  return { ok: false, error: { componentId, component, reason: `${component}: ${reason}` } };
}

function withProposer<T extends object>(operation: T, proposer: Actor | undefined): T {
  return proposer === undefined ? operation : { ...operation, proposer };
}

/**
 * The operation of one AppDataUpdate proposal (mls-extensions s.4.7), its
 * update decoded strictly: ParticipantListUpdate (protocol-06 s.7.5),
 * RoomMetaUpdate (s.7.6), or the policy component's new value. The
 * participant list and the room metadata are updated, never removed.
 */
export function describeAppDataUpdate(update: AppDataUpdate, proposer?: Actor): DescribeResult {
  const { componentId, change } = update;
  const name = roomComponentName(componentId);
  if (name === "participantList" || name === "roomMetadata") {
    if (change.op !== AppDataUpdateOperation.update) {
      return describeError(componentId, "a room's participant list and metadata are updated, never removed");
    }
    try {
      return {
        ok: true,
        operation:
          name === "participantList"
            ? withProposer(
                { type: "participantListUpdate", update: decode(participantListUpdate, change.update) },
                proposer,
              )
            : withProposer({ type: "metadataUpdate", metadata: decode(roomMetaUpdate, change.update) }, proposer),
      };
    } catch (error) {
      if (error instanceof CodecError) return describeError(componentId, error.message);
      throw error;
    }
  }
  if (name === undefined) {
    const data = change.op === AppDataUpdateOperation.update ? change.update : undefined;
    return { ok: true, operation: withProposer({ type: "otherComponentUpdate", componentId, data }, proposer) };
  }
  if (change.op !== AppDataUpdateOperation.update) {
    return {
      ok: true,
      operation: withProposer({ type: "componentUpdate", component: name, value: undefined }, proposer),
    };
  }
  const decoded = decodeRoomComponent(name, change.update);
  if (!decoded.ok) return decoded;
  return {
    ok: true,
    operation: withProposer(
      { type: "componentUpdate", component: name, value: decoded.value } as PolicyComponentUpdate,
      proposer,
    ),
  };
}

/** The component_id an operation updates, if it is an AppDataUpdate. */
export function updatedComponentId(operation: RoomOperation): number | undefined {
  switch (operation.type) {
    case "participantListUpdate":
      return ComponentId.participantList;
    case "metadataUpdate":
      return ComponentId.roomMetadata;
    case "componentUpdate":
      return ComponentId[operation.component];
    case "otherComponentUpdate":
      return operation.componentId;
    default:
      return undefined;
  }
}
