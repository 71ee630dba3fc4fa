import { decode, encode } from "@mimi-ts/codec";
import { describe, expect, it } from "vitest";
import { RatchetTreePresence, RatchetTreeRepresentation } from "./ratchetTreeOptions.js";
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
import { codecErrorOf, wire } from "./test-support/wire.js";
import {
  GroupInfoRepresentation,
  groupInfoOption,
  type HandshakeBundle,
  handshakeBundle,
  UpdateResponseCode,
  updateRequest,
  updateRoomResponse,
} from "./update.js";

const commit = fixtureHex("commitMessage");
const proposal = fixtureHex("proposalMessage");

const addBob: HandshakeBundle = {
  proposalOrCommit: mls.commitMessage,
  welcome: mls.welcome,
  groupInfoOption: { representation: GroupInfoRepresentation.full, groupInfo: mls.groupInfo },
  ratchetTreeOption: { representation: RatchetTreeRepresentation.distributionService },
};

describe("HandshakeBundle (protocol-06 s.5.3)", () => {
  it("commit: the MLSMessage, optional<Welcome> (the RFC 9420 struct), GroupInfoOption, RatchetTreeOption", () => {
    const expected = `${commit}01${fixtureHex("welcome")}01${fixtureHex("groupInfo")}04`;
    expectPinned(handshakeBundle, addBob, expected);
  });

  it("commit without a Welcome, with a partial GroupInfo and the tree out of band", () => {
    const value: HandshakeBundle = {
      proposalOrCommit: mls.commitMessage,
      welcome: undefined,
      groupInfoOption: {
        representation: GroupInfoRepresentation.partial,
        partialGroupInfo: {
          ratchetTreePresence: RatchetTreePresence.removed,
          groupInfoExtensions: [],
          signature: bytes("aabb"),
        },
      },
      ratchetTreeOption: { representation: RatchetTreeRepresentation.outOfBand, treeSignature: bytes("ee") },
    };
    // welcome absent | partial: presence removed(2), no extensions, signature<V> | outOfBand, treeSignature<V>
    expectPinned(handshakeBundle, value, `${commit}00 02 02 00 02aabb 03 01ee`);
  });

  it("proposal: the MLSMessage, then MLSMessage moreProposals<V>", () => {
    expectPinned(
      handshakeBundle,
      { proposalOrCommit: mls.proposalMessage, moreProposals: [mls.proposalMessage, mls.proposalMessage] },
      proposal + vectorOf(proposal, proposal),
    );
    expectPinned(handshakeBundle, { proposalOrCommit: mls.proposalMessage, moreProposals: [] }, `${proposal}00`);
  });

  it.each([
    ["a PublicMessage with application content", publicApplicationMessageHex],
    ["a PrivateMessage with application content", fixtureHex("applicationMessage")],
    ["a PrivateMessage with commit content", privateCommitMessageHex],
    ["a Welcome", fixtureHex("welcomeMessage")],
    ["a GroupInfo", groupInfoMessageHex],
    ["a KeyPackage", keyPackageMessageHex],
  ])("refuses %s as proposalOrCommit", (kind, message) => {
    const error = codecErrorOf(() => decode(handshakeBundle, bytes(`${message}00`)));
    expect(error).toMatchObject({ struct: "HandshakeBundle", field: "proposalOrCommit" });
    expect(error.reason).toBe(`expected a PublicMessage proposal or commit, found ${kind}`);
  });

  it.each([
    ["a PublicMessage with commit content", commit],
    ["a PublicMessage with application content", publicApplicationMessageHex],
    ["a PrivateMessage with application content", fixtureHex("applicationMessage")],
    ["a Welcome", fixtureHex("welcomeMessage")],
  ])("refuses %s among moreProposals", (kind, message) => {
    const error = codecErrorOf(() => decode(handshakeBundle, bytes(proposal + vectorOf(proposal, message))));
    expect(error).toMatchObject({ struct: "HandshakeBundle", field: "moreProposals[1]" });
    expect(error.reason).toBe(`expected a PublicMessage proposal, found ${kind}`);
  });

  it("refuses to encode a bundle around anything but a PublicMessage proposal or commit", () => {
    const error = codecErrorOf(() =>
      encode(handshakeBundle, { proposalOrCommit: mls.applicationMessage, moreProposals: [] }),
    );
    expect(error).toMatchObject({ struct: "HandshakeBundle", field: "proposalOrCommit" });
    const inList = codecErrorOf(() =>
      encode(handshakeBundle, { proposalOrCommit: mls.proposalMessage, moreProposals: [mls.welcomeMessage] }),
    );
    expect(inList).toMatchObject({ struct: "HandshakeBundle", field: "moreProposals[0]" });
  });

  it("refuses a missing ratchet tree option after a commit", () => {
    const error = codecErrorOf(() => decode(handshakeBundle, bytes(`${commit}00 01 ${fixtureHex("groupInfo")}`)));
    expect(error).toMatchObject({
      struct: "RatchetTreeOption",
      field: "representation",
      path: "ratchetTreeOption.representation",
      reason: "unexpected end of input",
    });
  });
});

describe("GroupInfoOption (protocol-06 s.5.3)", () => {
  it("full is 01 and the RFC 9420 GroupInfo struct", () => {
    expectPinned(
      groupInfoOption,
      { representation: GroupInfoRepresentation.full, groupInfo: mls.groupInfo },
      `01${fixtureHex("groupInfo")}`,
    );
  });

  it("refuses reserved(0) and unknown representations", () => {
    for (const representation of ["00", "03"]) {
      const error = codecErrorOf(() => decode(groupInfoOption, bytes(`${representation}${fixtureHex("groupInfo")}`)));
      expect(error).toMatchObject({ struct: "GroupInfoOption", field: "representation" });
      expect(error.reason).toBe(`unknown GroupInfoRepresentation value ${Number.parseInt(representation, 16)}`);
    }
  });

  it("refuses a GroupInfo wrapped in an MLSMessage", () => {
    const error = codecErrorOf(() => decode(groupInfoOption, bytes(`01${groupInfoMessageHex}`)));
    expect(error).toMatchObject({ struct: "GroupInfoOption", field: "groupInfo" });
  });
});

describe("UpdateRequest (protocol-06 s.5.3)", () => {
  it("is exactly its HandshakeBundle on the wire (the room's protocol is not sent)", () => {
    const expected = `${commit}01${fixtureHex("welcome")}01${fixtureHex("groupInfo")}04`;
    expectPinned(updateRequest, { bundle: addBob }, expected);
  });

  it("locates errors inside the bundle", () => {
    const error = codecErrorOf(() => decode(updateRequest, bytes(`${fixtureHex("welcomeMessage")}00`)));
    expect(error).toMatchObject({
      struct: "HandshakeBundle",
      field: "proposalOrCommit",
      path: "bundle.proposalOrCommit",
    });
  });
});

describe("UpdateRoomResponse (protocol-06 s.5.3)", () => {
  it("wrongEpoch: code 01, the UTF-8 description<V>, then the 8-byte epoch", () => {
    expectPinned(
      updateRoomResponse,
      { responseCode: UpdateResponseCode.wrongEpoch, errorDescription: "room is at epoch 2", currentEpoch: 2n },
      wire`01 12 ${"room is at epoch 2"} 0000000000000002`,
    );
  });

  it("success: code 00, an empty description, the acceptance time in milliseconds", () => {
    expectPinned(
      updateRoomResponse,
      { responseCode: UpdateResponseCode.success, errorDescription: "", acceptedTimestamp: 1644387225019n },
      "0000 0000017edd1dcdbb",
    );
  });

  it("notAllowed: code 02 and the description, nothing after", () => {
    const hex = wire`02 0b ${"not allowed"}`;
    expectPinned(
      updateRoomResponse,
      { responseCode: UpdateResponseCode.notAllowed, errorDescription: "not allowed" },
      hex,
    );
    expect(codecErrorOf(() => decode(updateRoomResponse, bytes(`${hex}00`))).reason).toBe("1 trailing byte");
  });

  it("invalidProposal: code 03, the description, then ProposalRef invalidProposals<V> (opaque<V> each)", () => {
    const ref1 = "11".repeat(32);
    const ref2 = "22".repeat(32);
    expectPinned(
      updateRoomResponse,
      {
        responseCode: UpdateResponseCode.invalidProposal,
        errorDescription: "é",
        invalidProposals: [bytes(ref1), bytes(ref2)],
      },
      // "é" is two UTF-8 bytes; two 33-byte items make a 66-byte vector, a two-byte length 4042
      `03 02c3a9 4042 20${ref1} 20${ref2}`,
    );
  });

  it("refuses an unknown response code", () => {
    const error = codecErrorOf(() => decode(updateRoomResponse, bytes("0400")));
    expect(error).toMatchObject({ struct: "UpdateRoomResponse", field: "responseCode" });
    expect(error.reason).toBe("unknown UpdateResponseCode value 4");
  });

  it("refuses a description that is not UTF-8", () => {
    const error = codecErrorOf(() => decode(updateRoomResponse, bytes("0201ff")));
    expect(error).toMatchObject({ struct: "UpdateRoomResponse", field: "errorDescription", reason: "invalid UTF-8" });
  });

  it("refuses a success without its timestamp", () => {
    const error = codecErrorOf(() => decode(updateRoomResponse, bytes("0000000000")));
    expect(error).toMatchObject({ struct: "UpdateRoomResponse", field: "acceptedTimestamp" });
  });
});
