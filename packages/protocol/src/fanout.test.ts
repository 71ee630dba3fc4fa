import { decode, encode } from "@mimi-ts/codec";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { decodeFanoutMessages, encodeFanoutMessages, type FanoutMessage, fanoutMessage } from "./fanout.js";
import type { Frank } from "./franking.js";
import { toJson } from "./json.js";
import { RatchetTreeRepresentation } from "./ratchetTreeOptions.js";
import { mls } from "./test-support/mlsFixtures.js";
import {
  bytes,
  expectPinned,
  fixtureHex,
  groupInfoMessageHex,
  keyPackageMessageHex,
  privateCommitMessageHex,
  publicApplicationMessageHex,
  vectorOf,
} from "./test-support/mlsWire.js";
import { codecErrorOf } from "./test-support/wire.js";

const timestamp = 1644387225019n;
const timestampHex = "0000017edd1dcdbb";
const application = fixtureHex("applicationMessage");
const proposal = fixtureHex("proposalMessage");
const commit = fixtureHex("commitMessage");

const frank: Frank = {
  serverFrank: bytes("11".repeat(32)),
  frankingSignatureCiphersuite: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
  frankingIntegritySignature: bytes("2222"),
};
const frankHex = `${"11".repeat(32)} 0001 02 2222`;

const franked: FanoutMessage = { timestamp, content: { message: mls.applicationMessage, frank } };
const frankedHex = `${timestampHex} ${application} 01 ${frankHex}`;
const proposed: FanoutMessage = {
  timestamp,
  content: { message: mls.proposalMessage, moreProposals: [mls.proposalMessage] },
};
const proposedHex = `${timestampHex} ${proposal} ${vectorOf(proposal)}`;
const committed: FanoutMessage = { timestamp, content: { message: mls.commitMessage, externalProposals: [] } };
const committedHex = `${timestampHex} ${commit} 00`;

describe("FanoutMessage (protocol-06 s.5.5)", () => {
  it("application: the timestamp, the PrivateMessage, optional<Frank>", () => {
    expectPinned(fanoutMessage, franked, frankedHex);
    expectPinned(
      fanoutMessage,
      { timestamp: 0n, content: { message: mls.applicationMessage, frank: undefined } },
      `0000000000000000 ${application} 00`,
    );
  });

  it("welcome: the timestamp, the Welcome MLSMessage (wire format 0003), a RatchetTreeOption", () => {
    expectPinned(
      fanoutMessage,
      {
        timestamp,
        content: {
          message: mls.welcomeMessage,
          ratchetTreeOption: { representation: RatchetTreeRepresentation.full, ratchetTree: [mls.node, undefined] },
        },
      },
      // RatchetTreeOption full(1), then optional<Node> ratchet_tree<V>: one present node, one blank
      `${timestampHex} 0001 0003 ${fixtureHex("welcome")} 01 ${vectorOf(`01 ${fixtureHex("ratchetTreeNode")}`, "00")}`,
    );
  });

  it("proposal: the timestamp, the PublicMessage, MLSMessage moreProposals<V>", () => {
    expectPinned(fanoutMessage, proposed, proposedHex);
  });

  it("commit: the timestamp, the PublicMessage, MLSMessage externalProposals<V>", () => {
    expectPinned(fanoutMessage, committed, committedHex);
    expectPinned(
      fanoutMessage,
      { timestamp, content: { message: mls.commitMessage, externalProposals: [mls.proposalMessage] } },
      `${timestampHex} ${commit} ${vectorOf(proposal)}`,
    );
  });

  it.each([
    ["a PublicMessage with application content", publicApplicationMessageHex],
    ["a PrivateMessage with commit content", privateCommitMessageHex],
    ["a GroupInfo", groupInfoMessageHex],
    ["a KeyPackage", keyPackageMessageHex],
  ])("refuses %s as the message", (kind, message) => {
    const error = codecErrorOf(() => decode(fanoutMessage, bytes(`${timestampHex} ${message} 00`)));
    expect(error).toMatchObject({ struct: "FanoutMessage", field: "message", path: "content.message" });
    expect(error.reason).toBe(
      `expected a PrivateMessage application message, a Welcome, or a PublicMessage proposal or commit, found ${kind}`,
    );
  });

  it("refuses anything but PublicMessage proposals among externalProposals and moreProposals", () => {
    const stapled = codecErrorOf(() =>
      decode(fanoutMessage, bytes(`${timestampHex} ${commit} ${vectorOf(fixtureHex("welcomeMessage"))}`)),
    );
    expect(stapled).toMatchObject({ struct: "FanoutMessage", field: "externalProposals[0]" });
    expect(stapled.reason).toBe("expected a PublicMessage proposal, found a Welcome");
    const more = codecErrorOf(() =>
      decode(fanoutMessage, bytes(`${timestampHex} ${proposal} ${vectorOf(proposal, commit)}`)),
    );
    expect(more).toMatchObject({ struct: "FanoutMessage", field: "moreProposals[1]" });
  });

  it("refuses a message cut inside its timestamp", () => {
    const error = codecErrorOf(() => decode(fanoutMessage, bytes("0000017edd")));
    expect(error).toMatchObject({ struct: "FanoutMessage", field: "timestamp", reason: "unexpected end of input" });
  });
});

describe("a /notify body of concatenated FanoutMessages (protocol-06 s.5.5)", () => {
  const body = `${proposedHex} ${committedHex} ${frankedHex}`;

  it("is the messages back to back, with no length prefix", () => {
    expect(bytesToHex(encodeFanoutMessages([proposed, committed, franked]))).toBe(body.replace(/\s/g, ""));
    expect(toJson(decodeFanoutMessages(bytes(body)))).toEqual(toJson([proposed, committed, franked]));
  });

  it("of one message is that message's encoding", () => {
    expect(encodeFanoutMessages([committed])).toEqual(encode(fanoutMessage, committed));
    expect(toJson(decodeFanoutMessages(bytes(committedHex)))).toEqual(toJson([committed]));
  });

  it("refuses a last message cut short, naming its index", () => {
    const whole = bytes(body);
    const error = codecErrorOf(() => decodeFanoutMessages(whole.subarray(0, whole.length - 1)));
    expect(error).toMatchObject({
      struct: "Frank",
      field: "frankingIntegritySignature",
      path: "[2].content.frank.frankingIntegritySignature",
      reason: "length past the end",
    });
  });

  it("refuses bytes after the last message as the start of another", () => {
    const error = codecErrorOf(() => decodeFanoutMessages(bytes(`${body} 00`)));
    expect(error).toMatchObject({ struct: "FanoutMessage", field: "timestamp", path: "[3].timestamp" });
  });

  it("refuses an empty body and an empty list", () => {
    const reason = "a /notify body holds at least one FanoutMessage";
    expect(codecErrorOf(() => decodeFanoutMessages(new Uint8Array(0)))).toMatchObject({ reason });
    expect(codecErrorOf(() => encodeFanoutMessages([]))).toMatchObject({ reason });
  });

  it("refuses to encode a list holding an invalid message, naming its index", () => {
    const invalid: FanoutMessage = {
      timestamp,
      content: { message: mls.proposalMessage, moreProposals: [mls.commitMessage] },
    };
    const error = codecErrorOf(() => encodeFanoutMessages([committed, invalid]));
    expect(error).toMatchObject({
      struct: "FanoutMessage",
      field: "moreProposals[0]",
      path: "[1].content.moreProposals[0]",
    });
  });

  it("counts vector items against one budget for the whole body", () => {
    const twoProposals = bytes(`${proposedHex} ${proposedHex}`);
    expect(decodeFanoutMessages(twoProposals, { maxItems: 2 })).toHaveLength(2);
    const error = codecErrorOf(() => decodeFanoutMessages(twoProposals, { maxItems: 1 }));
    expect(error.path).toBe("[1].content.moreProposals[0]");
    expect(error.reason).toMatch(/too many vector items/);
  });
});
