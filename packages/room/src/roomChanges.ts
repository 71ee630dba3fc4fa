import { CodecError, decode } from "@mimi-ts/codec";
import {
  type AppDataDictionary,
  type AppDataUpdate,
  AppDataUpdateOperation,
  appDataDictionary,
  ExtensionType,
  parseMimiUri,
} from "@mimi-ts/protocol";
import {
  appDataUpdateOf,
  appDataUpdateProposalType,
  type Credential,
  decodeExternalSenders,
  type ExternalSender,
  type GroupContext,
  MlsError,
  type Proposal,
  type RatchetTree,
  selfRemoveProposalType,
} from "ts-mls";
import { extensionTypeToNumber } from "ts-mls/extension.js";
import type { CommittedProposal, ProposalSender } from "./committedProposal.js";
import { basicCredentialClaims, credentialIdentity, type MimiClientIdentity } from "./identity.js";
import type { Refusal, RoomSnapshot } from "./policy.js";
import {
  type Actor,
  describeAppDataUpdate,
  type GroupMember,
  type RoomChange,
  type RoomOperation,
} from "./roomChange.js";
import { emptyRoomState, type RoomState, readRoomState } from "./roomState.js";

/**
 * From MLS to the policy engine: the RoomChange (roomChange.ts) of a commit
 * or of proposals, read from the group as it is before them. The Hub's view
 * of the group and a member's ts-mls state give the same GroupView, so both
 * authorize the same change.
 */

/** A client in the MLS group, with its leaf. */
export interface LeafMember extends GroupMember {
  readonly leafIndex: number;
}

/**
 * What the mapping reads: the room (the GroupContext's app components), its
 * clients by leaf, and the external_senders extension (RFC 9420 s.12.1.8.1).
 * A RoomSnapshot, so authorize takes it as it is.
 */
export interface GroupView extends RoomSnapshot {
  readonly members: readonly LeafMember[];
  readonly externalSenders: readonly ExternalSender[];
}

export type GroupViewResult =
  | { readonly ok: true; readonly view: GroupView }
  | { readonly ok: false; readonly reason: string };

function extensionsOfType(groupContext: GroupContext, extensionType: number) {
  return groupContext.extensions.filter((entry) => extensionTypeToNumber(entry.extensionType) === extensionType);
}

/**
 * The GroupView of a group: its room state from the app_data_dictionary
 * (strictly, roomState.readRoomState; none is the empty room), every leaf's
 * MIMI client identity (identity.credentialIdentity), and its external
 * senders. Refused: a leaf that is not a MIMI client, an unreadable
 * component, an extension present twice or not decoding.
 */
export function groupViewOf(groupContext: GroupContext, ratchetTree: RatchetTree): GroupViewResult {
  const dictionaries = extensionsOfType(groupContext, ExtensionType.appDataDictionary);
  const senders = extensionsOfType(groupContext, ExtensionType.externalSenders);
  if (dictionaries.length > 1 || senders.length > 1) {
    return { ok: false, reason: "the GroupContext holds an extension type twice (RFC 9420 s.13.4)" };
  }
  let room: RoomState = emptyRoomState;
  const [dictionary] = dictionaries;
  if (dictionary !== undefined) {
    const read = readDictionary(dictionary.extensionData);
    if (!read.ok) return read;
    room = read.room;
  }
  let externalSenders: ExternalSender[] = [];
  const [sendersExtension] = senders;
  if (sendersExtension !== undefined) {
    const decoded = decodeExternalSenders(sendersExtension.extensionData);
    if (decoded === undefined) return { ok: false, reason: "external_senders does not decode (RFC 9420 s.12.1.8.1)" };
    externalSenders = decoded;
  }
  const members: LeafMember[] = [];
  for (let nodeIndex = 0; nodeIndex < ratchetTree.length; nodeIndex += 2) {
    const node = ratchetTree[nodeIndex];
    if (node?.nodeType !== "leaf") continue;
    const leafIndex = nodeIndex / 2;
    const identity = credentialIdentity(node.leaf.credential);
    if (!identity.ok) return { ok: false, reason: `leaf ${leafIndex}: ${identity.error.reason}` };
    members.push({ leafIndex, clientUri: identity.identity.clientUri, userUri: identity.identity.userUri });
  }
  return { ok: true, view: { room, members, externalSenders } };
}

function readDictionary(
  extensionData: Uint8Array,
): { readonly ok: true; readonly room: RoomState } | { readonly ok: false; readonly reason: string } {
  let dictionary: AppDataDictionary;
  try {
    dictionary = decode(appDataDictionary, extensionData);
  } catch (error) {
    if (error instanceof CodecError) return { ok: false, reason: `app_data_dictionary: ${error.message}` };
    throw error;
  }
  const read = readRoomState(dictionary);
  return read.ok ? { ok: true, room: read.state } : { ok: false, reason: read.error.reason };
}

/** A proposal and who sent it, as received outside a commit. */
export type SentProposal = Pick<CommittedProposal, "proposal" | "sender">;

export interface RoomChangeOptions {
  /**
   * The credential of the commit's UpdatePath leaf node, when it has one.
   * For an external commit it names the joiner and is required; for a
   * member's commit it must name the committer's client (RFC 9420 s.5.3.1).
   */
  readonly pathCredential?: Credential;
}

/** The RoomChange of a commit or of proposals. */
export type HandshakeRoomChange = Extract<RoomChange, { readonly kind: "commit" | "proposals" }>;

/** The change, or why MLS input has no RoomChange (refusals coded malformed-change, each naming its proposal). */
export type RoomChangeResult =
  | { readonly ok: true; readonly change: HandshakeRoomChange }
  | { readonly ok: false; readonly refusals: readonly Refusal[] };

function problem(section: string, reason: string, operation?: number): Refusal {
  return { code: "malformed-change", section, reason, ...(operation === undefined ? {} : { operation }) };
}

/** A member or a joiner: an actor with a client. */
type ClientActor = Exclude<Actor, { readonly kind: "external" }>;

function clientActor(
  kind: "member" | "newMember",
  identity: Pick<MimiClientIdentity, "clientUri" | "userUri">,
): ClientActor {
  return {
    kind,
    clientUri: identity.clientUri,
    userUri: identity.userUri,
    claims: basicCredentialClaims(identity.clientUri),
  };
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * An external sender acts under the canonical MIMI URI its basic credential
 * names (protocol-06 s.7.4: the Hub's, a follower provider's), with the
 * claims identity.basicCredentialClaims gives that URI.
 */
function externalActor(sender: ExternalSender): Actor | string {
  const { credential } = sender;
  if (credential.credentialType !== "basic") {
    return "an external sender's credential must be a basic credential naming its MIMI URI";
  }
  let text: string;
  try {
    text = utf8Decoder.decode(credential.identity);
  } catch {
    return "an external sender's credential identity is not UTF-8";
  }
  const uri = parseMimiUri(text);
  if (uri === undefined || uri.uri !== text)
    return `external sender ${JSON.stringify(text)} is not a canonical MIMI URI`;
  return { kind: "external", userUri: text, claims: basicCredentialClaims(text) };
}

function identityOf(credential: Credential, what: string, operation: number | undefined): ClientActor | Refusal {
  const result = credentialIdentity(credential);
  if (!result.ok) return problem("RFC 9420 s.5.3", `${what}: ${result.error.reason}`, operation);
  return clientActor("newMember", result.identity);
}

function isRefusal<T extends object>(value: T | Refusal): value is Refusal {
  return "code" in value && "section" in value;
}

/** The actor of a proposal's sender; a new_member_proposal's sender is the client of its own Add. */
function senderActor(
  view: GroupView,
  sender: ProposalSender,
  proposal: Proposal,
  joiner: Actor | undefined,
  operation: number | undefined,
): Actor | Refusal {
  switch (sender.kind) {
    case "member": {
      const member = view.members.find((entry) => entry.leafIndex === sender.leafIndex);
      if (member === undefined) {
        return problem("RFC 9420 s.6", `the sender, leaf ${sender.leafIndex}, is not a member`, operation);
      }
      return clientActor("member", member);
    }
    case "external": {
      const entry = view.externalSenders[sender.senderIndex];
      if (entry === undefined) {
        return problem(
          "RFC 9420 s.12.1.8.1",
          `sender_index ${sender.senderIndex} is not among the group's ${view.externalSenders.length} external senders`,
          operation,
        );
      }
      const actor = externalActor(entry);
      return typeof actor === "string" ? problem("RFC 9420 s.12.1.8.1", actor, operation) : actor;
    }
    case "newMemberProposal":
      if (proposal.proposalType !== "add") {
        return problem("RFC 9420 s.12.1.8", "a new_member_proposal sender proposes only its own Add", operation);
      }
      return identityOf(proposal.add.keyPackage.leafNode.credential, "the new member's KeyPackage", operation);
    case "newMemberCommit":
      return joiner ?? problem("RFC 9420 s.12.4.3.2", "an external commit's joiner is not known", operation);
  }
}

function toProtocolUpdate(update: NonNullable<ReturnType<typeof appDataUpdateOf>>): AppDataUpdate {
  return update.op === "update"
    ? { componentId: update.componentId, change: { op: AppDataUpdateOperation.update, update: update.update } }
    : { componentId: update.componentId, change: { op: AppDataUpdateOperation.remove } };
}

function withProposer(operation: RoomOperation, proposer: Actor | undefined): RoomOperation {
  return proposer === undefined || operation.type === "externalJoin" ? operation : { ...operation, proposer };
}

/**
 * One proposal's operation. `actor` sent it; `proposer` is set when it is
 * not the change's sender. A new member's own Add is its external join when
 * it sends the change, and an Add it proposed when someone else commits it.
 */
function operationOf(
  view: GroupView,
  proposal: Proposal,
  actor: Actor,
  proposer: Actor | undefined,
  operation: number,
): RoomOperation | Refusal {
  switch (proposal.proposalType) {
    case "add": {
      const added = identityOf(proposal.add.keyPackage.leafNode.credential, "the added KeyPackage", operation);
      if (isRefusal(added)) return added;
      if (actor.kind === "newMember" && proposer === undefined && added.clientUri === actor.clientUri) {
        return { type: "externalJoin" };
      }
      return withProposer({ type: "addClient", clientUri: added.clientUri, userUri: added.userUri }, proposer);
    }
    case "remove": {
      const removed = view.members.find((entry) => entry.leafIndex === proposal.remove.removed);
      if (removed === undefined) {
        return problem(
          "RFC 9420 s.12.1.3",
          `Remove of leaf ${proposal.remove.removed}, which is not a member`,
          operation,
        );
      }
      return withProposer({ type: "removeClient", clientUri: removed.clientUri, userUri: removed.userUri }, proposer);
    }
    case "update": {
      const next = identityOf(proposal.update.leafNode.credential, "the Update's leaf node", operation);
      if (isRefusal(next)) return next;
      if (actor.kind === "member" && next.clientUri !== actor.clientUri) {
        return problem(
          "RFC 9420 s.5.3.1",
          `an Update of ${actor.clientUri}'s leaf may not carry the credential of ${next.clientUri}`,
          operation,
        );
      }
      return withProposer({ type: "updateClient" }, proposer);
    }
    case "external_init":
      return { type: "externalJoin" };
    case "group_context_extensions":
      return withProposer({ type: "groupContextExtensions" }, proposer);
    case "reinit":
      return withProposer({ type: "reinit" }, proposer);
    case "psk":
      return problem(
        "room-policy-03 s.8.7",
        "a PreSharedKey proposal has no room operation (canSendMLSPSKProposal is reserved)",
        operation,
      );
    default:
      break;
  }
  if (proposal.proposalType === selfRemoveProposalType) return withProposer({ type: "selfRemove" }, proposer);
  if (proposal.proposalType === appDataUpdateProposalType) {
    let update: ReturnType<typeof appDataUpdateOf>;
    try {
      update = appDataUpdateOf(proposal);
    } catch (error) {
      if (!(error instanceof MlsError)) throw error;
      return problem("mls-extensions s.4.7", `the AppDataUpdate does not decode: ${error.message}`, operation);
    }
    if (update === undefined) return problem("mls-extensions s.4.7", "not an AppDataUpdate", operation);
    const described = describeAppDataUpdate(toProtocolUpdate(update), proposer);
    return described.ok ? described.operation : problem("mls-extensions s.4.7", described.error.reason, operation);
  }
  return problem("RFC 9420 s.12.1", `proposal type ${proposal.proposalType} has no room operation`, operation);
}

interface Attributed {
  readonly proposal: Proposal;
  readonly sender: ProposalSender;
  /** whether the operation names its proposer (it is not the change's sender's) */
  readonly attributed: boolean;
}

function operationsOf(
  view: GroupView,
  entries: readonly Attributed[],
  joiner: Actor | undefined,
  refusals: Refusal[],
): RoomOperation[] {
  const operations: RoomOperation[] = [];
  entries.forEach((entry, index) => {
    const actor = senderActor(view, entry.sender, entry.proposal, joiner, index);
    if (isRefusal(actor)) {
      refusals.push(actor);
      return;
    }
    const operation = operationOf(view, entry.proposal, actor, entry.attributed ? actor : undefined, index);
    if (isRefusal(operation)) refusals.push(operation);
    else operations.push(operation);
  });
  return operations;
}

function result(change: HandshakeRoomChange, refusals: readonly Refusal[]): RoomChangeResult {
  return refusals.length === 0 ? { ok: true, change } : { ok: false, refusals };
}

/**
 * The RoomChange of a commit: its committer (a member, or the joiner of an
 * external commit, named by `options.pathCredential`) and its proposals in
 * commit order, each proposal committed by reference carrying its own
 * proposer. Every proposal that cannot be mapped (a credential that is not a
 * MIMI client, a leaf that is not a member, an AppDataUpdate that does not
 * decode, an unknown sender, a proposal type without a room operation) is a
 * refusal naming its index; nothing throws on malformed input.
 */
export function roomChangeOf(
  view: GroupView,
  committed: readonly CommittedProposal[],
  committer: ProposalSender,
  options: RoomChangeOptions = {},
): RoomChangeResult {
  const refusals: Refusal[] = [];
  let sender: Actor | undefined;
  let joiner: Actor | undefined;
  const path = options.pathCredential;
  if (committer.kind === "member") {
    const member = view.members.find((entry) => entry.leafIndex === committer.leafIndex);
    if (member === undefined) {
      refusals.push(problem("RFC 9420 s.6", `the committer, leaf ${committer.leafIndex}, is not a member`));
    } else {
      sender = clientActor("member", member);
      if (path !== undefined) {
        const next = credentialIdentity(path);
        if (!next.ok || next.identity.clientUri !== member.clientUri) {
          refusals.push(
            problem(
              "RFC 9420 s.5.3.1",
              `the commit's UpdatePath leaf must keep ${member.clientUri}'s identity: ${next.ok ? `found ${next.identity.clientUri}` : next.error.reason}`,
            ),
          );
        }
      }
    }
  } else if (committer.kind === "newMemberCommit") {
    if (path === undefined) {
      refusals.push(problem("RFC 9420 s.12.4.3.2", "an external commit carries the joiner's leaf in its UpdatePath"));
    } else {
      const actor = identityOf(path, "the joiner's leaf node", undefined);
      if (isRefusal(actor)) refusals.push(actor);
      else joiner = sender = actor;
    }
  } else {
    refusals.push(problem("RFC 9420 s.12.4", `a ${committer.kind} sender cannot commit`));
  }
  const operations = operationsOf(
    view,
    committed.map((entry) => ({ proposal: entry.proposal, sender: entry.sender, attributed: entry.byReference })),
    joiner,
    refusals,
  );
  if (sender === undefined) return { ok: false, refusals };
  return result({ kind: "commit", sender, operations }, refusals);
}

/** Members and external senders are named; every new_member_proposal sender is a different joiner. */
function sameSender(a: ProposalSender, b: ProposalSender): boolean {
  if (a.kind === "member" && b.kind === "member") return a.leafIndex === b.leafIndex;
  return a.kind === "external" && b.kind === "external" && a.senderIndex === b.senderIndex;
}

/**
 * The RoomChange of proposals received outside a commit and sent together
 * (a HandshakeBundle's proposal and moreProposals, protocol-06 s.5.3): its
 * sender is the first proposal's; a proposal from another sender carries its
 * proposer. `pending` are the proposals already accepted in this epoch, which
 * a commit will carry with these (protocol-06 s.7.1: the Hub validates new
 * events against the room with the accepted ones applied); they come first,
 * each with its proposer.
 */
export function proposalChangeOf(
  view: GroupView,
  proposals: readonly SentProposal[],
  pending: readonly SentProposal[] = [],
): RoomChangeResult {
  const [first] = proposals;
  if (first === undefined) return { ok: false, refusals: [problem("protocol-06 s.5.3", "no proposal to describe")] };
  const refusals: Refusal[] = [];
  const sender = senderActor(view, first.sender, first.proposal, undefined, pending.length);
  const operations = operationsOf(
    view,
    [
      ...pending.map((entry) => ({ ...entry, attributed: true })),
      ...proposals.map((entry) => ({
        ...entry,
        attributed: entry !== first && !sameSender(entry.sender, first.sender),
      })),
    ],
    undefined,
    refusals,
  );
  if (isRefusal(sender)) return { ok: false, refusals };
  return result({ kind: "proposals", sender, operations }, refusals);
}
