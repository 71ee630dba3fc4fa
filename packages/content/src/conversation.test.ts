import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bytesToHex } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode } from "./codec.js";
import {
  type ConversationState,
  DropReason,
  type ReceivedMessage,
  reduceConversation,
  type TimelineMessage,
} from "./conversation.js";
import { extendedTimeFromMillis } from "./derived.js";
import { messageIdOf } from "./messageId.js";
import { annotatedTimestamp, VECTOR_DIR } from "./test-support/vectors.js";
import { Disposition, type Expiration, type MessageId, type MimiContent, type NestedPart } from "./types.js";

const ALICE = "mimi://example.com/u/alice-smith";
const BOB = "mimi://example.com/u/bob-jones";
const CATHY = "mimi://example.com/u/cathy-washington";
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

/** A vector message as received: ID computed from its bytes, timestamp from the `# timestamp` comment of its .edn. */
function vector(name: string, sender: string, acceptedAt?: number): ReceivedMessage {
  const encoded = new Uint8Array(readFileSync(join(VECTOR_DIR, `${name}.cbor`)));
  const content = decode(encoded);
  const stamp = annotatedTimestamp(readFileSync(join(VECTOR_DIR, `${name}.edn`), "utf8"));
  if (stamp === undefined) throw new Error(`${name}.edn gives no timestamp`);
  return { content, messageId: messageIdOf(content, { encoded }), sender, acceptedAt: acceptedAt ?? stamp };
}

function hexId(message: ReceivedMessage): string {
  return bytesToHex(message.messageId);
}

function text(part: NestedPart): string {
  if (part.cardinality !== "single") throw new Error(`expected a single part, found ${part.cardinality}`);
  return fromUtf8.decode(part.content);
}

/** A crafted message ID: `hashAlg` then `n` big-endian in the last four octets. */
function id(n: number, hashAlg = 0x01, length = 32): MessageId {
  const bytes = new Uint8Array(length);
  bytes[0] = hashAlg;
  new DataView(bytes.buffer).setUint32(length - 4, n);
  return bytes;
}

function hex(n: number): string {
  return bytesToHex(id(n));
}

function textPart(value: string, disposition: number = Disposition.render): NestedPart {
  return {
    disposition,
    language: "",
    cardinality: "single",
    contentType: "text/plain;charset=utf-8",
    content: utf8.encode(value),
  };
}

function nullPart(disposition: number = Disposition.render): NestedPart {
  return { disposition, language: "", cardinality: "nullpart" };
}

interface Fields {
  replaces?: number;
  inReplyTo?: number;
  topicId?: string;
  expires?: Expiration;
  body?: NestedPart;
}

/** A crafted message with ID `id(n)`. */
function message(n: number, sender: string, acceptedAt: number, fields: Fields = {}): ReceivedMessage {
  const content: MimiContent = {
    salt: new Uint8Array(16),
    replaces: fields.replaces === undefined ? null : id(fields.replaces),
    topicId: utf8.encode(fields.topicId ?? ""),
    expires: fields.expires ?? null,
    inReplyTo: fields.inReplyTo === undefined ? null : id(fields.inReplyTo),
    extensions: new Map(),
    nestedPart: fields.body ?? textPart(`message ${n}`),
  };
  return { content, messageId: id(n), sender, acceptedAt };
}

function reaction(n: number, sender: string, acceptedAt: number, target: number, emoji = "\u2764"): ReceivedMessage {
  return message(n, sender, acceptedAt, { inReplyTo: target, body: textPart(emoji, Disposition.reaction) });
}

function entry(state: ConversationState, messageId: string): TimelineMessage {
  const found = state.timeline.find((candidate) => candidate.messageId === messageId);
  if (found === undefined) throw new Error(`${messageId} is not in the timeline`);
  return found;
}

const FAR_FUTURE = Date.UTC(2100, 0, 1);

describe("the conversation of the content-08 examples", () => {
  const original = vector("original", ALICE);
  const reply = vector("reply", BOB);
  const like = vector("reaction", CATHY);
  const mention = vector("mention", CATHY);
  const edit = vector("edit", BOB);
  const deletion = vector("delete", BOB);
  const unlike = vector("unlike", CATHY);
  const expiring = vector("expiring", ALICE);
  const beforeExpiry = 1644389403227 + 1000;

  it("shows the original, the reply as edited by Bob, Cathy's heart and her mention, in hub order", () => {
    const state = reduceConversation([expiring, edit, mention, like, reply, original], { now: beforeExpiry });

    expect(state.timeline.map((m) => m.messageId)).toEqual([original, reply, mention, expiring].map(hexId));
    expect(state.dropped).toEqual([]);
    expect(state.danglingReactions).toEqual([]);

    const first = entry(state, hexId(original));
    expect(first.sender).toBe(ALICE);
    expect(first.acceptedAt).toBe(1644387225019);
    expect(text(first.body)).toBe("Hi everyone, we just shipped release 2.0. __Good  work__!");
    expect(first.inReplyTo).toBeNull();
    expect(first.edited).toBe(false);
    expect(first.reactions).toHaveLength(1);
    expect(first.reactions[0]?.reactor).toBe(CATHY);
    expect(first.reactions[0]?.reactions.map((r) => [r.messageId, text(r.body), r.inReplyTo])).toEqual([
      [hexId(like), "\u2764", hexId(original)],
    ]);

    const edited = entry(state, hexId(reply));
    expect(edited.sender).toBe(BOB);
    expect(text(edited.body)).toBe("Right on! _Congratulations_ y'all!");
    expect(edited.edited).toBe(true);
    expect(edited.deleted).toBe(false);
    expect(edited.versions.map((v) => [v.messageId, v.acceptedAt, text(v.body)])).toEqual([
      [hexId(reply), 1644387237492, "Right on! _Congratulations_ 'all!"],
      [hexId(edit), 1644387248621, "Right on! _Congratulations_ y'all!"],
    ]);
    expect(edited.inReplyTo).toEqual({ messageId: hexId(original), target: hexId(original), loopCut: false });

    expect(entry(state, hexId(mention)).inReplyTo?.target).toBe(hexId(original));
    expect(entry(state, hexId(expiring)).expiresAt).toBe(1644390004 * 1000);
    expect(state.nextExpiry).toBe(1644390004 * 1000);
  });

  it("applies the delete before the edit, which share a timestamp, as the delete's ID is lexically lower", () => {
    // Both are accepted at 1644387248621; 0x011d... sorts before 0x0140... (content-08 s.5.11).
    expect(hexId(deletion) < hexId(edit)).toBe(true);
    const state = reduceConversation([unlike, edit, deletion, mention, like, reply, original], { now: beforeExpiry });

    const deleted = entry(state, hexId(reply));
    expect(deleted.deleted).toBe(true);
    expect(deleted.edited).toBe(false);
    expect(deleted.body.cardinality).toBe("nullpart");
    expect(deleted.versions.map((v) => v.messageId)).toEqual([hexId(reply), hexId(deletion)]);
    expect(state.dropped).toEqual([
      { messageId: hexId(edit), sender: BOB, acceptedAt: 1644387248621, reason: DropReason.replacedMessageDeleted },
    ]);
    // Cathy's unlike removed her heart.
    expect(entry(state, hexId(original)).reactions).toEqual([]);
    expect(state.timeline.map((m) => m.messageId)).toEqual([original, reply, mention].map(hexId));
  });

  it("keeps every version when Bob deletes his reply after editing it", () => {
    const laterDeletion = vector("delete", BOB, 1644387249000);
    const state = reduceConversation([laterDeletion, edit, reply, original], { now: beforeExpiry });
    const deleted = entry(state, hexId(reply));
    expect(deleted.versions.map((v) => v.messageId)).toEqual([reply, edit, laterDeletion].map(hexId));
    expect(deleted.edited).toBe(true);
    expect(deleted.deleted).toBe(true);
    expect(deleted.body.cardinality).toBe("nullpart");
    expect(deleted.inReplyTo?.target).toBe(hexId(original));
  });

  it("rejects the edit, delete and unlike when MLS says someone else sent them, whatever extension key 1 claims", () => {
    const forgedEdit = vector("edit", CATHY);
    const forgedDeletion = vector("delete", ALICE, 1644387249000);
    const forgedUnlike = vector("unlike", BOB);
    const state = reduceConversation([original, reply, like, forgedEdit, forgedDeletion, forgedUnlike], {
      now: beforeExpiry,
    });
    const untouched = entry(state, hexId(reply));
    expect(text(untouched.body)).toBe("Right on! _Congratulations_ 'all!");
    expect(untouched.versions).toHaveLength(1);
    expect(untouched.edited || untouched.deleted).toBe(false);
    expect(entry(state, hexId(original)).reactions.map((r) => r.reactor)).toEqual([CATHY]);
    expect(state.dropped.map((d) => [d.messageId, d.sender, d.reason])).toEqual([
      [hexId(forgedEdit), CATHY, DropReason.notOriginalSender],
      [hexId(forgedDeletion), ALICE, DropReason.notOriginalSender],
      [hexId(forgedUnlike), BOB, DropReason.notOriginalSender],
    ]);
  });

  it("drops the expiring message at its absolute time, with its reactions", () => {
    const vpnExpiry = 1644390004 * 1000;
    const ack = reaction(1, BOB, 1644389500000, 0);
    // Point the crafted reaction at the expiring vector; it would expire a minute after it.
    const ackToVpn: ReceivedMessage = {
      ...ack,
      content: { ...ack.content, inReplyTo: expiring.messageId, expires: { relative: false, time: 1644390064 } },
    };
    const live = reduceConversation([original, expiring, ackToVpn], { now: vpnExpiry - 1 });
    expect(entry(live, hexId(expiring)).reactions.map((r) => r.reactor)).toEqual([BOB]);
    expect(live.nextExpiry).toBe(vpnExpiry);
    expect(live.expired).toEqual([]);

    const gone = reduceConversation([original, expiring, ackToVpn], { now: vpnExpiry });
    expect(gone.timeline.map((m) => m.messageId)).toEqual([hexId(original)]);
    expect(gone.expired).toEqual([hexId(expiring)]);
    expect(gone.danglingReactions).toEqual([]);
    expect(gone.nextExpiry).toBeNull();
  });
});

describe("hub order", () => {
  it("sorts by accepted timestamp, then by lexically lowest message ID, whatever the input order", () => {
    const state = reduceConversation(
      [message(3, ALICE, 20), message(9, BOB, 10), message(2, CATHY, 20), message(1, ALICE, 30)],
      { now: 0 },
    );
    expect(state.timeline.map((m) => m.messageId)).toEqual([hex(9), hex(2), hex(3), hex(1)]);
  });

  it("reads RFC 9581 extended time", () => {
    const extended: ReceivedMessage = { ...message(2, BOB, 0), acceptedAt: extendedTimeFromMillis(1500) };
    const state = reduceConversation([extended, message(1, ALICE, 0)], { now: 0 });
    expect(state.timeline.map((m) => [m.messageId, m.acceptedAt])).toEqual([
      [hex(1), 0],
      [hex(2), 1500],
    ]);
  });

  it("gives the same state for every order of the input", () => {
    const senders = [ALICE, BOB, CATHY];
    const pool = 12; // references range over more IDs than there are messages: some dangle, some point forward
    const draft = fc.record({
      sender: fc.constantFrom(...senders),
      at: fc.integer({ min: -1, max: 6 }),
      hashAlg: fc.constantFrom(0x01, 0x01, 0x01, 0x01, 0x02),
      replaces: fc.option(fc.nat(pool - 1), { freq: 2 }),
      inReplyTo: fc.option(fc.nat(pool - 1)),
      body: fc.constantFrom("text", "reaction", "null", "null-reaction"),
      expires: fc.option(fc.record({ relative: fc.boolean(), time: fc.nat(8) }), { freq: 3 }),
      duplicateAt: fc.option(fc.integer({ min: 0, max: 6 }), { freq: 4 }),
    });
    const conversation = fc.array(draft, { maxLength: 10 }).map((drafts) =>
      drafts.flatMap((d, n): ReceivedMessage[] => {
        const body = {
          text: textPart(`m${n}`),
          reaction: textPart(`r${n}`, Disposition.reaction),
          null: nullPart(),
          "null-reaction": nullPart(Disposition.reaction),
        }[d.body];
        const crafted = message(n, d.sender, d.at * 1000, {
          ...(d.replaces === null ? {} : { replaces: d.replaces }),
          ...(d.inReplyTo === null ? {} : { inReplyTo: d.inReplyTo }),
          ...(d.expires === null ? {} : { expires: d.expires }),
          body,
        });
        const received = { ...crafted, messageId: id(n, d.hashAlg) };
        return d.duplicateAt === null ? [received] : [received, { ...received, acceptedAt: d.duplicateAt * 1000 }];
      }),
    );
    const withShuffle = conversation.chain((messages) =>
      fc.tuple(fc.constant(messages), fc.shuffledSubarray(messages, { minLength: messages.length })),
    );
    fc.assert(
      fc.property(withShuffle, fc.integer({ min: 0, max: 9000 }), ([messages, shuffled], now) => {
        const options = { now, readAt: (messageId: string) => (messageId.endsWith("1") ? undefined : 2000) };
        expect(reduceConversation(shuffled, options)).toEqual(reduceConversation(messages, options));
      }),
      { numRuns: 500 },
    );
  });
});

describe("edits and deletes", () => {
  it("resolves an edit naming a later version to the same message, and keeps the original's inReplyTo and topicId", () => {
    const state = reduceConversation(
      [
        message(1, ALICE, 10),
        message(2, ALICE, 20, { inReplyTo: 1, topicId: "pizza" }),
        message(3, ALICE, 30, { replaces: 2, body: textPart("v2") }),
        // Naming version 3 rather than the first instance, with other inReplyTo and topicId.
        message(4, ALICE, 40, { replaces: 3, inReplyTo: 9, topicId: "other", body: textPart("v3") }),
      ],
      { now: 0 },
    );
    expect(state.timeline.map((m) => m.messageId)).toEqual([hex(1), hex(2)]);
    const edited = entry(state, hex(2));
    expect(edited.versions.map((v) => v.messageId)).toEqual([hex(2), hex(3), hex(4)]);
    expect(text(edited.body)).toBe("v3");
    expect(edited.inReplyTo).toEqual({ messageId: hex(1), target: hex(1), loopCut: false });
    expect(edited.topicId).toBe(bytesToHex(utf8.encode("pizza")));
    expect(edited.replaces).toBeNull();
  });

  it("rejects an edit by someone else even when it names a later version", () => {
    const state = reduceConversation(
      [
        message(1, ALICE, 10),
        message(2, ALICE, 20, { replaces: 1, body: textPart("v2") }),
        message(3, BOB, 30, { replaces: 2, body: textPart("hijacked") }),
        message(4, BOB, 40, { replaces: 1, body: nullPart() }),
      ],
      { now: 0 },
    );
    expect(text(entry(state, hex(1)).body)).toBe("v2");
    expect(state.dropped.map((d) => [d.messageId, d.reason])).toEqual([
      [hex(3), DropReason.notOriginalSender],
      [hex(4), DropReason.notOriginalSender],
    ]);
  });

  it("does not edit or delete a deleted message again", () => {
    const state = reduceConversation(
      [
        message(1, ALICE, 10),
        message(2, ALICE, 20, { replaces: 1, body: nullPart() }),
        message(3, ALICE, 30, { replaces: 1, body: textPart("back") }),
        message(4, ALICE, 40, { replaces: 1, body: nullPart() }),
      ],
      { now: 0 },
    );
    expect(entry(state, hex(1)).versions.map((v) => v.messageId)).toEqual([hex(1), hex(2)]);
    expect(state.dropped.map((d) => [d.messageId, d.reason])).toEqual([
      [hex(3), DropReason.replacedMessageDeleted],
      [hex(4), DropReason.replacedMessageDeleted],
    ]);
  });
});

describe("reactions", () => {
  it("groups reactions by reactor, who may have several, and attaches a reaction to a later version to the message", () => {
    const state = reduceConversation(
      [
        message(1, ALICE, 10),
        message(2, ALICE, 20, { replaces: 1, body: textPart("edited") }),
        reaction(3, BOB, 30, 1, "\u{1F44D}"),
        reaction(4, CATHY, 40, 2, "\u{1F389}"),
        reaction(5, BOB, 50, 2, "\u{1F355}"),
      ],
      { now: 0 },
    );
    expect(state.timeline.map((m) => m.messageId)).toEqual([hex(1)]);
    const { reactions } = entry(state, hex(1));
    expect(reactions.map((group) => [group.reactor, group.reactions.map((r) => [text(r.body), r.inReplyTo])])).toEqual([
      [
        BOB,
        [
          ["\u{1F44D}", hex(1)],
          ["\u{1F355}", hex(2)],
        ],
      ],
      [CATHY, [["\u{1F389}", hex(2)]]],
    ]);
  });

  it("changes a reaction replaced by a new reaction body, removes it on unlike, and lets only the reactor do either", () => {
    const state = reduceConversation(
      [
        message(1, ALICE, 10),
        reaction(2, BOB, 20, 1, "\u{1F44D}"),
        reaction(3, CATHY, 30, 1, "\u{1F44D}"),
        message(4, BOB, 40, { replaces: 2, inReplyTo: 1, body: textPart("\u{1F44E}", Disposition.reaction) }),
        message(5, CATHY, 50, { replaces: 3, inReplyTo: 1, body: nullPart(Disposition.reaction) }),
        message(6, ALICE, 60, { replaces: 4, inReplyTo: 1, body: nullPart(Disposition.reaction) }),
      ],
      { now: 0 },
    );
    const { reactions } = entry(state, hex(1));
    expect(reactions.map((group) => [group.reactor, group.reactions.map((r) => [r.messageId, text(r.body)])])).toEqual([
      [BOB, [[hex(2), "\u{1F44E}"]]],
    ]);
    expect(state.dropped.map((d) => [d.messageId, d.reason])).toEqual([[hex(6), DropReason.notOriginalSender]]);
  });

  it("treats a reaction-disposition message without inReplyTo as an ordinary message", () => {
    const state = reduceConversation([message(1, ALICE, 10, { body: textPart("\u2764", Disposition.reaction) })], {
      now: 0,
    });
    expect(state.timeline.map((m) => m.messageId)).toEqual([hex(1)]);
  });
});

describe("references to unknown messages (content-08 s.9.1)", () => {
  it("keeps replies and reactions to unknown messages as dangling links", () => {
    const state = reduceConversation([message(1, ALICE, 10, { inReplyTo: 99 }), reaction(2, BOB, 20, 98)], { now: 0 });
    expect(entry(state, hex(1)).inReplyTo).toEqual({ messageId: hex(99), target: null, loopCut: false });
    expect(state.danglingReactions.map((r) => [r.messageId, r.reactor, r.inReplyTo])).toEqual([[hex(2), BOB, hex(98)]]);
    expect(state.dropped).toEqual([]);
  });

  it("links a reply to a target that the hub ordered after it", () => {
    const state = reduceConversation([message(1, ALICE, 10, { inReplyTo: 2 }), message(2, BOB, 20)], { now: 0 });
    expect(entry(state, hex(1)).inReplyTo?.target).toBe(hex(2));
  });

  it("shows an edit of an unknown message in its own right, and applies its sender's later edits of that message to it", () => {
    const state = reduceConversation(
      [
        message(1, ALICE, 10, { replaces: 90, body: textPart("seen second") }),
        message(2, ALICE, 20, { replaces: 90, body: textPart("seen third") }),
        message(3, BOB, 30, { replaces: 90, body: textPart("Bob's claim") }),
        message(4, BOB, 40, { replaces: 91, body: nullPart() }),
      ],
      { now: 0 },
    );
    expect(state.timeline.map((m) => [m.messageId, m.sender, m.replaces, m.edited, text(m.body)])).toEqual([
      [hex(1), ALICE, hex(90), true, "seen third"],
      [hex(3), BOB, hex(90), true, "Bob's claim"],
    ]);
    expect(entry(state, hex(1)).versions.map((v) => v.messageId)).toEqual([hex(1), hex(2)]);
    expect(state.dropped.map((d) => [d.messageId, d.reason])).toEqual([[hex(4), DropReason.replacedMessageUnknown]]);
  });
});

describe("dropped messages (content-08 s.9.1)", () => {
  it("drops duplicate message IDs, keeping the earliest in hub order", () => {
    const first = message(1, ALICE, 10);
    const state = reduceConversation([{ ...first, acceptedAt: 50 }, first, first], { now: 0 });
    expect(state.timeline.map((m) => [m.messageId, m.acceptedAt])).toEqual([[hex(1), 10]]);
    expect(state.dropped).toEqual([
      { messageId: hex(1), sender: ALICE, acceptedAt: 10, reason: DropReason.duplicateMessageId },
      { messageId: hex(1), sender: ALICE, acceptedAt: 50, reason: DropReason.duplicateMessageId },
    ]);
  });

  it("drops message IDs of an unknown hash algorithm or length, and unreadable timestamps", () => {
    const state = reduceConversation(
      [
        { ...message(1, ALICE, 10), messageId: id(1, 0x02) },
        { ...message(2, ALICE, 20), messageId: id(2, 0x01, 31) },
        message(3, BOB, -5),
        message(4, CATHY, 40),
      ],
      { now: 0 },
    );
    expect(state.timeline.map((m) => m.messageId)).toEqual([hex(4)]);
    expect(state.dropped).toEqual([
      { messageId: hex(3), sender: BOB, acceptedAt: null, reason: DropReason.invalidTimestamp },
      { messageId: bytesToHex(id(1, 0x02)), sender: ALICE, acceptedAt: 10, reason: DropReason.unknownHashAlgorithm },
      { messageId: bytesToHex(id(2, 0x01, 31)), sender: ALICE, acceptedAt: 20, reason: DropReason.malformedMessageId },
    ]);
  });
});

describe("reply loops (content-08 s.4.1)", () => {
  it("cuts a message replying to itself", () => {
    const state = reduceConversation([message(1, ALICE, 10, { inReplyTo: 1 })], { now: 0 });
    expect(entry(state, hex(1)).inReplyTo).toEqual({ messageId: hex(1), target: null, loopCut: true });
  });

  it("cuts the link leading back to the message that closes a loop", () => {
    // 1 -> 3 (unknown yet), 2 -> 1, then 3 -> 2 closes 3 -> 2 -> 1 -> 3.
    const state = reduceConversation(
      [
        message(1, ALICE, 10, { inReplyTo: 3 }),
        message(2, BOB, 20, { inReplyTo: 1 }),
        message(3, CATHY, 30, { inReplyTo: 2 }),
      ],
      { now: 0 },
    );
    expect(state.timeline.map((m) => [m.messageId, m.inReplyTo?.target, m.inReplyTo?.loopCut])).toEqual([
      [hex(1), null, true],
      [hex(2), hex(1), false],
      [hex(3), hex(2), false],
    ]);
  });

  it("cuts a loop closed by an edit whose ID a reply named before it arrived", () => {
    // 1 -> 3 (unknown), 2 -> 1; then 3 edits 2, so 1 -> 3 reaches 2: 2 -> 1 -> 2.
    const state = reduceConversation(
      [
        message(1, ALICE, 10, { inReplyTo: 3 }),
        message(2, BOB, 20, { inReplyTo: 1 }),
        message(3, BOB, 30, { replaces: 2, body: textPart("edited") }),
      ],
      { now: 0 },
    );
    expect(entry(state, hex(1)).inReplyTo).toEqual({ messageId: hex(3), target: null, loopCut: true });
    expect(entry(state, hex(2)).inReplyTo).toEqual({ messageId: hex(1), target: hex(1), loopCut: false });
  });

  it("cuts only the closing link of a long chain", () => {
    const length = 2000;
    const chain = Array.from({ length }, (_, n) => message(n, ALICE, n, { inReplyTo: (n + length - 1) % length }));
    const state = reduceConversation(chain.reverse(), { now: 0 });
    const cut = state.timeline.filter((m) => m.inReplyTo?.loopCut);
    // 1999 arrives last; walking from it, 1999 -> 1998 -> ... -> 0 -> 1999: message 0's link leads back.
    expect(cut.map((m) => m.messageId)).toEqual([hex(0)]);
    expect(entry(state, hex(1999)).inReplyTo?.target).toBe(hex(1998));
  });
});

describe("expiry (content-08 s.4.1)", () => {
  it("keeps a relatively expiring message until read, then drops it with its reactions that long after reading", () => {
    const thirtySeconds: Expiration = { relative: true, time: 30 };
    const messages = [message(1, ALICE, 10, { expires: thirtySeconds }), reaction(2, BOB, 20, 1), message(3, BOB, 30)];

    const unread = reduceConversation(messages, { now: FAR_FUTURE });
    expect(entry(unread, hex(1)).expiresAt).toBeNull();
    expect(unread.nextExpiry).toBeNull();

    const readAt = (messageId: string) => (messageId === hex(1) ? 5000 : undefined);
    const read = reduceConversation(messages, { now: 34_999, readAt });
    expect(entry(read, hex(1)).expiresAt).toBe(35_000);
    expect(read.nextExpiry).toBe(35_000);

    const gone = reduceConversation(messages, { now: 35_000, readAt });
    expect(gone.timeline.map((m) => m.messageId)).toEqual([hex(3)]);
    expect(gone.expired).toEqual([hex(1)]);
    expect(gone.danglingReactions).toEqual([]);
    expect(gone.nextExpiry).toBeNull();
  });

  it("expires reactions on their own and reports the earliest expiry ahead", () => {
    const state = reduceConversation(
      [
        message(1, ALICE, 10, { expires: { relative: false, time: 100 } }),
        message(2, BOB, 20, {
          inReplyTo: 1,
          body: textPart("\u{1F44D}", Disposition.reaction),
          expires: { relative: false, time: 60 },
        }),
        message(3, CATHY, 30, {
          inReplyTo: 1,
          body: textPart("\u{1F44E}", Disposition.reaction),
          expires: { relative: false, time: 40 },
        }),
      ],
      { now: 40_000 },
    );
    expect(state.expired).toEqual([hex(3)]);
    expect(entry(state, hex(1)).reactions.map((group) => group.reactor)).toEqual([BOB]);
    expect(state.nextExpiry).toBe(60_000);
  });

  it("drops a reply's link to an expired message but keeps the reply", () => {
    const state = reduceConversation(
      [message(1, ALICE, 10, { expires: { relative: false, time: 1 } }), message(2, BOB, 20, { inReplyTo: 1 })],
      { now: 1000 },
    );
    expect(state.timeline.map((m) => m.messageId)).toEqual([hex(2)]);
    expect(entry(state, hex(2)).inReplyTo).toEqual({ messageId: hex(1), target: null, loopCut: false });
  });
});
