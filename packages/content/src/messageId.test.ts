import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { original } from "./builders.js";
import { encode } from "./codec.js";
import { ContentError } from "./errors.js";
import { computeMessageId, MESSAGE_ID_HASH_SHA256, messageIdOf } from "./messageId.js";
import { randomSalt, saltFromBaseSecret } from "./salt.js";

describe("message IDs (content-08 s.3.3)", () => {
  it("hash length-prefixed sender and room, the message and the salt again", () => {
    const message = original("hi", { senderUri: "mimi://a.example/u/alice", roomUri: "mimi://a.example/r/club" });
    const bytes = encode(message);
    const utf8 = new TextEncoder();
    const sender = utf8.encode("mimi://a.example/u/alice");
    const room = utf8.encode("mimi://a.example/r/club");
    const input = Uint8Array.from([0, sender.length, ...sender, 0, room.length, ...room, ...bytes, ...message.salt]);
    const expected = `01${bytesToHex(sha256(input)).slice(0, 62)}`;
    expect(bytesToHex(messageIdOf(message))).toBe(expected);
    expect(messageIdOf(message)[0]).toBe(MESSAGE_ID_HASH_SHA256);
  });

  it("take sender and room from the caller when given (derived from MLS, not from the message)", () => {
    const message = original("hi", { senderUri: "mimi://a.example/u/alice", roomUri: "mimi://a.example/r/club" });
    const claimed = messageIdOf(message);
    const derived = messageIdOf(message, {
      senderUri: "mimi://b.example/u/mallory",
      roomUri: "mimi://a.example/r/club",
    });
    expect(bytesToHex(derived)).not.toBe(bytesToHex(claimed));
  });

  it("need a sender and a room", () => {
    expect(() => messageIdOf(original("no extensions"))).toThrow(ContentError);
    expect(() => computeMessageId(new Uint8Array(), new Uint8Array(16), "x".repeat(65536), "r")).toThrow(/65535/);
  });
});

describe("salts (content-08 s.9.2)", () => {
  it("are 16 random octets", () => {
    expect(randomSalt()).toHaveLength(16);
    expect(bytesToHex(randomSalt())).not.toBe(bytesToHex(randomSalt()));
  });

  it("can be derived from an MLS-exported salt_base_secret and a nonce", () => {
    const secret = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(16).fill(9);
    const salt = saltFromBaseSecret(secret, nonce);
    expect(salt).toHaveLength(16);
    expect(bytesToHex(salt)).toBe(bytesToHex(saltFromBaseSecret(secret, nonce)));
    expect(bytesToHex(saltFromBaseSecret(secret))).not.toBe(bytesToHex(saltFromBaseSecret(secret)));
    expect(() => saltFromBaseSecret(new Uint8Array(8), nonce)).toThrow(ContentError);
  });
});
