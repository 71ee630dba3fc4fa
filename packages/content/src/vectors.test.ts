import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { decode, encode } from "./codec.js";
import { decodeDerivedValues, encodeDerivedValues, timestampToMillis } from "./derived.js";
import { messageIdOf } from "./messageId.js";
import {
  annotatedDerivedMessageId,
  annotatedMessageId,
  annotatedTimestamp,
  contentVectors,
} from "./test-support/vectors.js";
import { ExtensionKeys } from "./types.js";

const vectors = contentVectors();
const messages = vectors.filter((vector) => !vector.name.startsWith("implied"));

describe("the working group's content examples", () => {
  it("are all here", () => {
    expect(messages.map((vector) => vector.name)).toEqual([
      "attachment",
      "conferencing",
      "delete",
      "edit",
      "expiring",
      "mention-html",
      "mention",
      "multipart-1",
      "multipart-2",
      "multipart-3",
      "original",
      "reaction",
      "reply",
      "unlike",
    ]);
  });

  it.each(messages)("$name decodes and re-encodes byte for byte", ({ cbor }) => {
    expect(bytesToHex(encode(decode(cbor)))).toBe(bytesToHex(cbor));
  });

  const annotated = messages.filter((vector) => annotatedMessageId(vector.edn) !== undefined);

  it("14 examples annotate their message ID", () => {
    expect(annotated).toHaveLength(14);
  });

  it.each(annotated)("$name yields the message ID of its annotation", ({ cbor, edn }) => {
    expect(bytesToHex(messageIdOf(decode(cbor), { encoded: cbor }))).toBe(annotatedMessageId(edn));
    expect(bytesToHex(messageIdOf(decode(cbor)))).toBe(annotatedMessageId(edn));
  });
});

describe("the implied-fields example", () => {
  const implied = vectors.find((vector) => vector.name === "implied-original");
  const original = vectors.find((vector) => vector.name === "original");
  if (implied === undefined || original === undefined) throw new Error("vectors missing");
  const values = decodeDerivedValues(implied.cbor);
  const message = decode(original.cbor);

  it("decodes as MessageDerivedValues of the original message", () => {
    expect(values.senderUserUrl).toBe(message.extensions.get(ExtensionKeys.senderUri));
    expect(values.roomUrl).toBe(message.extensions.get(ExtensionKeys.roomUri));
    expect(timestampToMillis(values.hubAcceptedTimestamp)).toBe(annotatedTimestamp(original.edn));
    expect(values.senderLeafIndex).toBe(4);
    expect(values.senderClientUrl).toMatch(/^mimi:\/\/example\.com\/d\//);
  });

  it("annotates the original's message ID; its CBOR still carries a stale one (see vectors/README.md)", () => {
    const computed = bytesToHex(messageIdOf(message));
    expect(annotatedDerivedMessageId(implied.edn)).toBe(computed);
    expect(bytesToHex(values.messageId)).not.toBe(computed);
  });

  it("re-encodes byte for byte", () => {
    expect(bytesToHex(encodeDerivedValues(values))).toBe(bytesToHex(implied.cbor));
  });
});
