import { bytesToHex } from "@noble/hashes/utils.js";
import { type Timestamp, timestampToMillis } from "./derived.js";
import { ContentError } from "./errors.js";
import { MESSAGE_ID_HASH_SHA256 } from "./messageId.js";
import {
  Disposition,
  type Expiration,
  MESSAGE_ID_LENGTH,
  type MessageId,
  type MimiContent,
  type NestedPart,
} from "./types.js";

/** One message as the client received it: decoded content plus the values derived outside it (content-08 s.4.6). */
export interface ReceivedMessage {
  readonly content: MimiContent;
  readonly messageId: MessageId;
  /**
   * The sender's user URI as authenticated by MLS. Never extension key 1 of
   * the content: anyone can write that, and edits are authorized against this (content-08 s.9.3).
   */
  readonly sender: string;
  /** The hub's accepted timestamp (content-08 s.3.4). */
  readonly acceptedAt: Timestamp;
}

export interface ConversationOptions {
  /** Milliseconds since the UNIX epoch; a message whose expiry is at or before `now` is gone. */
  readonly now: number;
  /**
   * When the local user read a message (milliseconds since the epoch), asked
   * with the hex ID of the first instance of a message or reaction; undefined
   * while unread. Drives relative expiration (content-08 s.4.1).
   */
  readonly readAt?: (messageId: string) => number | undefined;
}

/** Why a message had no effect on the conversation. */
export const DropReason = {
  /** The message ID is not 32 octets (content-08 s.3.3). */
  malformedMessageId: "malformed-message-id",
  /** The first octet of the message ID is not SHA-256 (0x01), the only hash algorithm defined (content-08 s.9.1). */
  unknownHashAlgorithm: "unknown-hash-algorithm",
  /** The accepted timestamp does not read as milliseconds since the epoch (see timestampToMillis). */
  invalidTimestamp: "invalid-timestamp",
  /** Another message with this ID came earlier in hub order (content-08 s.9.1). */
  duplicateMessageId: "duplicate-message-id",
  /** An edit, delete or reaction change by someone other than the sender of the message it replaces (content-08 s.9.3). */
  notOriginalSender: "not-original-sender",
  /** An edit, delete or reaction change of a message already deleted (or a reaction already removed). */
  replacedMessageDeleted: "replaced-message-deleted",
  /**
   * A delete or unlike (NullPart body) of a message never received. Legitimate,
   * as it may predate our joining (content-08 s.9.1), but there is nothing to remove.
   */
  replacedMessageUnknown: "replaced-message-unknown",
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

export interface DroppedMessage {
  readonly messageId: string;
  readonly sender: string;
  /** null when the accepted timestamp itself was unreadable. */
  readonly acceptedAt: number | null;
  readonly reason: DropReason;
}

export interface MessageVersion {
  readonly messageId: string;
  readonly acceptedAt: number;
  readonly body: NestedPart;
}

export interface ReplyLink {
  /** The message ID named in `inReplyTo`: a specific version of the target (content-08 s.4.1). */
  readonly messageId: string;
  /**
   * The timeline message that version belongs to, or null when it is not in
   * the timeline: never received (a dangling link, content-08 s.9.1), expired, or the link was cut.
   */
  readonly target: string | null;
  /** Following `inReplyTo` from here led back to this message, so this link is not followed (content-08 s.4.1). */
  readonly loopCut: boolean;
}

export interface Reaction {
  /** The ID of the first instance of the reaction message. */
  readonly messageId: string;
  readonly reactor: string;
  readonly acceptedAt: number;
  /** The current reaction body; a reaction change replaces it. */
  readonly body: NestedPart;
  /** The message ID the reaction names: a specific version of its target (content-08 s.5.5). */
  readonly inReplyTo: string;
  readonly expiresAt: number | null;
}

export interface ReactorReactions {
  readonly reactor: string;
  /** In hub order of each reaction's first instance. */
  readonly reactions: readonly Reaction[];
}

export interface TimelineMessage {
  /** The ID of the first instance received; `replaces` of later edits names it (content-08 s.5.5). */
  readonly messageId: string;
  readonly sender: string;
  readonly acceptedAt: number;
  /** The current NestedPart: the last version's body (a NullPart once deleted). */
  readonly body: NestedPart;
  /** Every version received, oldest first, a delete included as its NullPart. */
  readonly versions: readonly MessageVersion[];
  /** An edit was applied, or the first version received was already a replacement. */
  readonly edited: boolean;
  readonly deleted: boolean;
  /**
   * Non-null when the first version received was itself a replacement of a
   * message never received (content-08 s.9.1): the ID it named.
   */
  readonly replaces: string | null;
  readonly inReplyTo: ReplyLink | null;
  /** Hex of the topicId; empty for no topic. */
  readonly topicId: string;
  /** Grouped by reactor, reactors in hub order of their first reaction; a deleted message keeps its reactions. */
  readonly reactions: readonly ReactorReactions[];
  /** Milliseconds since the epoch; null for no expiry, or relative expiry of an unread message. */
  readonly expiresAt: number | null;
}

export interface ConversationState {
  /** In hub order: accepted timestamp, then lexically lowest message ID (content-08 s.5.11). */
  readonly timeline: readonly TimelineMessage[];
  /** Reactions whose target is no message received (content-08 s.9.1: it may predate our joining), in hub order. */
  readonly danglingReactions: readonly Reaction[];
  /** Messages that had no effect, in hub order (unreadable timestamps first). */
  readonly dropped: readonly DroppedMessage[];
  /** IDs of messages and reactions whose expiry has passed, to delete from local storage (content-08 s.5.8). */
  readonly expired: readonly string[];
  /** The earliest expiry still ahead of `now`, for scheduling the next refresh; null when none. */
  readonly nextExpiry: number | null;
}

interface AcceptedMessage {
  readonly messageId: string;
  readonly sender: string;
  readonly acceptedAt: number;
  readonly content: MimiContent;
}

interface MessageNode {
  readonly kind: "message";
  readonly messageId: string;
  readonly sender: string;
  readonly acceptedAt: number;
  readonly replaces: string | null;
  readonly inReplyTo: string | null;
  readonly topicId: string;
  readonly expires: Expiration | null;
  readonly versions: MessageVersion[];
  edited: boolean;
  deleted: boolean;
  loopCut: boolean;
  /** `inReplyTo` once resolved; stays valid, as an ID once bound to a node is never rebound. */
  resolvedReplyTarget: MessageNode | null;
}

interface ReactionNode {
  readonly kind: "reaction";
  readonly messageId: string;
  readonly reactor: string;
  readonly acceptedAt: number;
  readonly inReplyTo: string;
  readonly expires: Expiration | null;
  body: NestedPart;
  removed: boolean;
}

type Node = MessageNode | ReactionNode;

interface Graph {
  /** Every message ID a node answers to: its first instance and the IDs of its edits. */
  readonly byId: Map<string, Node>;
  /** Nodes begun by a replacement of an unknown message, by sender and the ID it named. */
  readonly orphans: Map<string, Node>;
  /** In hub order of creation. */
  readonly nodes: Node[];
}

/**
 * Folds received messages into conversation state. The input order does not
 * matter: messages are applied in hub order (accepted timestamp, then
 * lexically lowest message ID; content-08 s.4.2, s.5.11).
 */
export function reduceConversation(
  messages: Iterable<ReceivedMessage>,
  options: ConversationOptions,
): ConversationState {
  const dropped: DroppedMessage[] = [];
  const accepted: AcceptedMessage[] = [];
  for (const message of messages) {
    const messageId = bytesToHex(message.messageId);
    const acceptedAt = millisOrNull(message.acceptedAt);
    const idProblem = messageIdProblem(message.messageId);
    if (idProblem !== null) {
      dropped.push({ messageId, sender: message.sender, acceptedAt, reason: idProblem });
    } else if (acceptedAt === null) {
      dropped.push({ messageId, sender: message.sender, acceptedAt, reason: DropReason.invalidTimestamp });
    } else {
      accepted.push({ messageId, sender: message.sender, acceptedAt, content: message.content });
    }
  }
  accepted.sort(compareHubOrder);

  const graph: Graph = { byId: new Map(), orphans: new Map(), nodes: [] };
  const seen = new Set<string>();
  for (const message of accepted) {
    const reason = seen.has(message.messageId) ? DropReason.duplicateMessageId : applyMessage(graph, message);
    seen.add(message.messageId);
    if (reason !== null) {
      dropped.push({ messageId: message.messageId, sender: message.sender, acceptedAt: message.acceptedAt, reason });
    }
  }
  dropped.sort(compareDropped);
  return { ...present(graph, options), dropped };
}

function millisOrNull(timestamp: Timestamp): number | null {
  try {
    return timestampToMillis(timestamp);
  } catch (error) {
    if (error instanceof ContentError) return null;
    throw error;
  }
}

function messageIdProblem(messageId: MessageId): DropReason | null {
  if (messageId.length !== MESSAGE_ID_LENGTH) return DropReason.malformedMessageId;
  if (messageId[0] !== MESSAGE_ID_HASH_SHA256) return DropReason.unknownHashAlgorithm;
  return null;
}

function compareHubOrder(a: { acceptedAt: number; messageId: string }, b: typeof a): number {
  // Equal-length lowercase hex compares like the octets it encodes.
  return a.acceptedAt - b.acceptedAt || compareText(a.messageId, b.messageId);
}

function compareDropped(a: DroppedMessage, b: DroppedMessage): number {
  if (a.acceptedAt !== b.acceptedAt) {
    if (a.acceptedAt === null) return -1;
    if (b.acceptedAt === null) return 1;
    return a.acceptedAt - b.acceptedAt;
  }
  return compareText(a.messageId, b.messageId);
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function applyMessage(graph: Graph, message: AcceptedMessage): DropReason | null {
  const { replaces } = message.content;
  if (replaces === null) {
    addNode(graph, message, null);
    return null;
  }
  const replacedId = bytesToHex(replaces);
  // `replaces` names the first instance (content-08 s.5.5); a later version's ID finds the same message.
  const target = graph.byId.get(replacedId) ?? graph.orphans.get(orphanKey(message.sender, replacedId));
  const body = message.content.nestedPart;
  if (target === undefined) {
    if (body.cardinality === "nullpart") return DropReason.replacedMessageUnknown;
    // We missed the earlier versions, e.g. they predate our joining (content-08 s.9.1):
    // show this version in its own right, and let its sender's later replacements find it.
    graph.orphans.set(orphanKey(message.sender, replacedId), addNode(graph, message, replacedId));
    return null;
  }
  // content-08 s.9.3: only the original sender may edit or delete.
  if ((target.kind === "message" ? target.sender : target.reactor) !== message.sender) {
    return DropReason.notOriginalSender;
  }
  if (target.kind === "message" ? target.deleted : target.removed) return DropReason.replacedMessageDeleted;
  // content-08 s.9.3: only the NestedPart changes; inReplyTo, topicId and expires stay the original's.
  if (target.kind === "reaction") {
    if (body.cardinality === "nullpart") {
      target.removed = true;
    } else {
      target.body = body;
      graph.byId.set(message.messageId, target);
    }
    return null;
  }
  target.versions.push({ messageId: message.messageId, acceptedAt: message.acceptedAt, body });
  if (body.cardinality === "nullpart") {
    target.deleted = true;
  } else {
    target.edited = true;
    graph.byId.set(message.messageId, target);
    // Replies that named this version's ID now reach the target: they may close a loop.
    cutReplyLoop(graph, target);
  }
  return null;
}

function orphanKey(sender: string, replacedId: string): string {
  return `${replacedId} ${sender}`;
}

function addNode(graph: Graph, message: AcceptedMessage, replaces: string | null): Node {
  const { content } = message;
  // Literal objects of one shape each, no spread: the loop walk reads them in a hot loop.
  let node: Node;
  if (content.nestedPart.disposition === Disposition.reaction && content.inReplyTo !== null) {
    node = {
      kind: "reaction",
      messageId: message.messageId,
      reactor: message.sender,
      acceptedAt: message.acceptedAt,
      inReplyTo: bytesToHex(content.inReplyTo),
      expires: content.expires,
      body: content.nestedPart,
      removed: false,
    };
  } else {
    node = {
      kind: "message",
      messageId: message.messageId,
      sender: message.sender,
      acceptedAt: message.acceptedAt,
      expires: content.expires,
      replaces,
      inReplyTo: content.inReplyTo === null ? null : bytesToHex(content.inReplyTo),
      topicId: bytesToHex(content.topicId),
      versions: [{ messageId: message.messageId, acceptedAt: message.acceptedAt, body: content.nestedPart }],
      edited: replaces !== null,
      deleted: false,
      loopCut: false,
      resolvedReplyTarget: null,
    };
  }
  graph.byId.set(message.messageId, node);
  graph.nodes.push(node);
  if (node.kind === "message") cutReplyLoop(graph, node);
  return node;
}

function replyTarget(graph: Graph, node: MessageNode): MessageNode | null {
  if (node.loopCut || node.inReplyTo === null) return null;
  if (node.resolvedReplyTarget === null) {
    const target = graph.byId.get(node.inReplyTo);
    if (target?.kind === "message") node.resolvedReplyTarget = target;
  }
  return node.resolvedReplyTarget;
}

/**
 * content-08 s.4.1: a chain of inReplyTo must not loop. Called whenever
 * `start` becomes reachable under a new ID (it arrived, or an edit added a
 * version ID). The graph was acyclic before, so any new loop passes through
 * `start`: one walk along its chain finds it, in time linear in the chain.
 * The link that leads back to `start` closes the loop and is cut.
 */
function cutReplyLoop(graph: Graph, start: MessageNode): void {
  let current = start;
  for (let next = replyTarget(graph, current); next !== null; next = replyTarget(graph, current)) {
    if (next === start) {
      current.loopCut = true;
      return;
    }
    current = next;
  }
}

/**
 * content-08 s.4.1: absolute expiry is seconds since the epoch; relative is
 * seconds after the local user read the message, so none until it is read.
 */
function expiresAt(expires: Expiration | null, messageId: string, options: ConversationOptions): number | null {
  if (expires === null) return null;
  if (!expires.relative) return expires.time * 1000;
  const readAt = options.readAt?.(messageId);
  return readAt === undefined ? null : readAt + expires.time * 1000;
}

function present(graph: Graph, options: ConversationOptions): Omit<ConversationState, "dropped"> {
  const live = new Map<Node, number | null>();
  const expired: string[] = [];
  for (const node of graph.nodes) {
    if (node.kind === "reaction" && node.removed) continue;
    const at = expiresAt(node.expires, node.messageId, options);
    if (at !== null && at <= options.now) expired.push(node.messageId);
    else live.set(node, at);
  }
  const liveMessage = (id: string): MessageNode | undefined => {
    const node = graph.byId.get(id);
    return node?.kind === "message" && live.has(node) ? node : undefined;
  };

  const reactionsByTarget = new Map<MessageNode, Map<string, Reaction[]>>();
  const danglingReactions: Reaction[] = [];
  for (const [node, at] of live) {
    if (node.kind !== "reaction") continue;
    const reaction: Reaction = {
      messageId: node.messageId,
      reactor: node.reactor,
      acceptedAt: node.acceptedAt,
      body: node.body,
      inReplyTo: node.inReplyTo,
      expiresAt: at,
    };
    if (graph.byId.get(node.inReplyTo)?.kind !== "message") {
      danglingReactions.push(reaction);
      continue;
    }
    const target = liveMessage(node.inReplyTo);
    // A reaction to an expired message goes with it.
    if (target === undefined) continue;
    const byReactor = reactionsByTarget.get(target) ?? new Map<string, Reaction[]>();
    reactionsByTarget.set(target, byReactor);
    const list = byReactor.get(node.reactor) ?? [];
    byReactor.set(node.reactor, list);
    list.push(reaction);
  }

  const timeline: TimelineMessage[] = [];
  for (const [node, at] of live) {
    if (node.kind !== "message") continue;
    const current = node.versions[node.versions.length - 1] as MessageVersion;
    timeline.push({
      messageId: node.messageId,
      sender: node.sender,
      acceptedAt: node.acceptedAt,
      body: current.body,
      versions: node.versions,
      edited: node.edited,
      deleted: node.deleted,
      replaces: node.replaces,
      inReplyTo:
        node.inReplyTo === null
          ? null
          : {
              messageId: node.inReplyTo,
              target: node.loopCut ? null : (liveMessage(node.inReplyTo)?.messageId ?? null),
              loopCut: node.loopCut,
            },
      topicId: node.topicId,
      reactions: Array.from(reactionsByTarget.get(node) ?? [], ([reactor, reactions]) => ({ reactor, reactions })),
      expiresAt: at,
    });
  }

  // Only what is shown can need a refresh: not reactions that went with their message.
  let nextExpiry: number | null = null;
  const shownReactions = [...reactionsByTarget.values()].flatMap((byReactor) => [...byReactor.values()].flat());
  for (const shown of [...timeline, ...shownReactions, ...danglingReactions]) {
    const at = shown.expiresAt;
    if (at !== null && (nextExpiry === null || at < nextExpiry)) nextExpiry = at;
  }
  return { timeline, danglingReactions, expired, nextExpiry };
}
