import { type NestedPart, type ReceivedMessage, reduceConversation } from "@mimi-ts/content";
import type { LoggedMessage } from "./state.js";

/** A reaction to a message: who reacted, with what (the reaction's text, an emoji). */
export interface ConversationReaction {
  /** the ID of the reaction message */
  readonly messageId: string;
  readonly reactor: string;
  readonly text: string | null;
}

/** One message of a room's conversation, after edits, deletes and reactions (content-08 s.5). */
export interface ConversationMessage {
  /** hex ID of the message's first instance: the ID to reply to, react to, edit or delete */
  readonly messageId: string;
  /** the sender's user URI, as MLS authenticated it */
  readonly sender: string;
  /** the current body's text; null when deleted or when it has no text part */
  readonly text: string | null;
  /** the message answered: its first instance's ID when this device has it, else the ID the reply names */
  readonly inReplyTo: string | null;
  readonly reactions: readonly ConversationReaction[];
  readonly edited: boolean;
  readonly deleted: boolean;
  /** the Hub's accepted timestamp of the first instance, milliseconds since the epoch */
  readonly acceptedAt: number;
}

const utf8 = new TextDecoder();

/** The text of a body: a text/* single part, or the first one found in a multipart. */
export function bodyText(part: NestedPart): string | null {
  switch (part.cardinality) {
    case "single":
      return /^text\//i.test(part.contentType) ? utf8.decode(part.content) : null;
    case "multi":
      for (const inner of part.parts) {
        const text = bodyText(inner);
        if (text !== null) return text;
      }
      return null;
    case "external":
    case "nullpart":
      return null;
  }
}

/**
 * The conversation of a message log: @mimi-ts/content's reduceConversation
 * (hub order, edits and deletes by their sender only, reactions and
 * unlikes, expiry at `now`), flattened for display.
 */
export function conversationOf(log: readonly LoggedMessage[], now: number): ConversationMessage[] {
  const received: ReceivedMessage[] = log.map((entry) => ({
    content: entry.content,
    messageId: entry.derived.messageId,
    sender: entry.derived.senderUserUrl,
    acceptedAt: entry.derived.hubAcceptedTimestamp,
  }));
  return reduceConversation(received, { now }).timeline.map((message) => ({
    messageId: message.messageId,
    sender: message.sender,
    text: message.deleted ? null : bodyText(message.body),
    inReplyTo: message.inReplyTo === null ? null : (message.inReplyTo.target ?? message.inReplyTo.messageId),
    reactions: message.reactions.flatMap(({ reactions }) =>
      reactions.map((reaction) => ({
        messageId: reaction.messageId,
        reactor: reaction.reactor,
        text: bodyText(reaction.body),
      })),
    ),
    edited: message.edited,
    deleted: message.deleted,
    acceptedAt: message.acceptedAt,
  }));
}
