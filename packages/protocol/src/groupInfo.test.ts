import { decode, encode } from "@mimi-ts/codec";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { Credential, GroupInfo } from "ts-mls";
import { encodeGroupInfo } from "ts-mls/groupInfo.js";
import { describe, expect, it } from "vitest";
import { Protocol } from "./constants.js";
import {
  GroupInfoCode,
  type GroupInfoRequest,
  type GroupInfoResponse,
  groupInfoRatchetTreeTbe,
  groupInfoRequest,
  groupInfoRequestTbs,
  groupInfoRequestToBeSigned,
  groupInfoResponse,
  groupInfoResponseTbs,
  groupInfoResponseToBeSigned,
  pendingProposal,
  type SuccessfulGroupInfoResponse,
} from "./groupInfo.js";
import { RatchetTreeRepresentation } from "./ratchetTreeOptions.js";
import { mls } from "./test-support/mlsFixtures.js";
import { fixtureHex } from "./test-support/mlsWire.js";
import { codecErrorOf, hex, wire } from "./test-support/wire.js";

const cathy: Credential = { credentialType: "basic", identity: new TextEncoder().encode("mimi://c.example/d/cathy/2") };
const request: GroupInfoRequest = {
  protocol: Protocol.mls10,
  cipherSuite: mls.cipherSuite,
  requestingSignatureKey: new Uint8Array(32).fill(0xc2),
  requestingCredential: cathy,
  groupInfoPublicKey: new Uint8Array(32).fill(0xc3),
  joiningCode: undefined,
  signature: new Uint8Array(64).fill(0xc4),
};

// protocol 01, cipher_suite 0001 (MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519),
// requestingSignatureKey <V> of 32, requestingCredential (basic 0001, identity <V> of 26),
// groupInfoPublicKey <V> of 32.
const requestHead = `${wire`01 0001 20`}${"c2".repeat(32)}${wire`0001 1a ${"mimi://c.example/d/cathy/2"} 20`}${"c3".repeat(32)}`;
const signatureHex = `4040${"c4".repeat(64)}`;

describe("GroupInfoRequest and its TBS (protocol-06 s.5.6)", () => {
  it("writes an absent joiningCode as optional<opaque<V>>: one 00 octet, in the request as in the TBS", () => {
    expect(bytesToHex(encode(groupInfoRequest, request))).toBe(`${requestHead}00${signatureHex}`);
    expect(bytesToHex(encode(groupInfoRequestTbs, groupInfoRequestToBeSigned(request)))).toBe(`${requestHead}00`);
  });

  it("writes a present joiningCode as 01 then opaque<V>", () => {
    const withCode = { ...request, joiningCode: new TextEncoder().encode("J8K2-PQ7X") };
    const code = wire`01 09 ${"J8K2-PQ7X"}`;
    expect(bytesToHex(encode(groupInfoRequest, withCode))).toBe(`${requestHead}${code}${signatureHex}`);
    expect(bytesToHex(encode(groupInfoRequestTbs, groupInfoRequestToBeSigned(withCode)))).toBe(`${requestHead}${code}`);
    expect(decode(groupInfoRequest, hex(`${requestHead}${code}${signatureHex}`))).toEqual(withCode);
  });

  it("leaves the signature out of the TBS and nothing else", () => {
    const { signature: _signature, ...rest } = request;
    expect(groupInfoRequestToBeSigned(request)).toEqual(rest);
  });

  it("refuses a joiningCode written as a bare opaque<V> (no presence octet)", () => {
    const error = codecErrorOf(() =>
      decode(groupInfoRequest, hex(`${requestHead}${wire`09 ${"J8K2-PQ7X"}`}${signatureHex}`)),
    );
    expect([error.struct, error.field]).toEqual(["GroupInfoRequest", "joiningCode"]);
    expect(error.reason).toBe("presence octet must be 0 or 1, found 9");
  });

  it("refuses protocol reserved(0)", () => {
    const error = codecErrorOf(() => decode(groupInfoRequest, hex(`00${requestHead.slice(2)}00${signatureHex}`)));
    expect([error.struct, error.field, error.reason]).toEqual([
      "GroupInfoRequest",
      "protocol",
      "unknown Protocol value 0",
    ]);
  });
});

const room = "mimi://a.example/r/clubhouse";
const success: SuccessfulGroupInfoResponse = {
  version: Protocol.mls10,
  roomId: new TextEncoder().encode(room),
  result: {
    status: GroupInfoCode.success,
    cipherSuite: mls.cipherSuite,
    hubSender: mls.externalSender,
    encryptedGroupinfoAndTree: mls.hpkeCiphertext,
    signature: new Uint8Array(64).fill(0xa1),
  },
};
// version 01, room_id <V> of 28, status
const responseHead = wire`01 1c ${room}`;
const signedHex = `0001${fixtureHex("externalSender")}${fixtureHex("hpkeCiphertext")}`;

describe("GroupInfoResponse and its TBS (protocol-06 s.5.6)", () => {
  it("lays out version, room_id, status success, then the mls10 fields and the signature", () => {
    const expected = `${responseHead}01${signedHex}4040${"a1".repeat(64)}`;
    expect(bytesToHex(encode(groupInfoResponse, success))).toBe(expected);
    expect(decode(groupInfoResponse, hex(expected))).toEqual(success);
  });

  it("carries nothing after notAuthorized and noSuchRoom", () => {
    for (const status of [GroupInfoCode.notAuthorized, GroupInfoCode.noSuchRoom]) {
      const value: GroupInfoResponse = { version: Protocol.mls10, roomId: success.roomId, result: { status } };
      const expected = `${responseHead}0${status}`;
      expect(bytesToHex(encode(groupInfoResponse, value))).toBe(expected);
      expect(decode(groupInfoResponse, hex(expected))).toEqual(value);
      const error = codecErrorOf(() => decode(groupInfoResponse, hex(`${expected}${signedHex}`)));
      expect(error.reason).toMatch(/trailing bytes/);
    }
  });

  it("refuses status reserved(0) and unknown statuses", () => {
    for (const status of ["00", "04"]) {
      const error = codecErrorOf(() => decode(groupInfoResponse, hex(`${responseHead}${status}`)));
      expect([error.struct, error.field, error.path]).toEqual(["GroupInfoResult", "status", "result.status"]);
      expect(error.reason).toBe(`unknown GroupInfoCode value ${Number.parseInt(status, 16)}`);
    }
  });

  it("signs the success response without its signature, flat: version, room_id, status, then the mls10 fields", () => {
    const tbs = groupInfoResponseToBeSigned(success);
    expect(tbs).toEqual({
      version: Protocol.mls10,
      roomId: success.roomId,
      status: GroupInfoCode.success,
      cipherSuite: mls.cipherSuite,
      hubSender: mls.externalSender,
      encryptedGroupinfoAndTree: mls.hpkeCiphertext,
    });
    expect(bytesToHex(encode(groupInfoResponseTbs, tbs))).toBe(`${responseHead}01${signedHex}`);
  });

  it("refuses a TBS whose status is not success, both ways", () => {
    const tbs = { ...groupInfoResponseToBeSigned(success), status: GroupInfoCode.notAuthorized };
    const encoding = codecErrorOf(() => encode(groupInfoResponseTbs, tbs));
    expect([encoding.struct, encoding.field]).toEqual(["GroupInfoResponseTBS", "status"]);
    const decoding = codecErrorOf(() => decode(groupInfoResponseTbs, hex(`${responseHead}02${signedHex}`)));
    expect([decoding.struct, decoding.field]).toEqual(["GroupInfoResponseTBS", "status"]);
  });
});

const acceptedAt = 0x0000018bcfe56800n;

describe("PendingProposal (protocol-06 s.5.6)", () => {
  it("is the MLSMessage then the uint64 hub_accepted_time", () => {
    const expected = `${fixtureHex("proposalMessage")}0000018bcfe56800`;
    const value = { proposal: mls.proposalMessage, hubAcceptedTime: acceptedAt };
    expect(bytesToHex(encode(pendingProposal, value))).toBe(expected);
    expect(decode(pendingProposal, hex(expected))).toEqual(value);
  });

  it("refuses anything but a PublicMessage proposal, both ways", () => {
    for (const [name, message] of [
      ["commitMessage", mls.commitMessage],
      ["applicationMessage", mls.applicationMessage],
      ["welcomeMessage", mls.welcomeMessage],
    ] as const) {
      const decoding = codecErrorOf(() => decode(pendingProposal, hex(`${fixtureHex(name)}0000018bcfe56800`)));
      expect([decoding.struct, decoding.field]).toEqual(["PendingProposal", "proposal"]);
      expect(decoding.reason).toMatch(/^expected a PublicMessage proposal, found a /);
      const encoding = codecErrorOf(() => encode(pendingProposal, { proposal: message, hubAcceptedTime: acceptedAt }));
      expect([encoding.struct, encoding.field]).toEqual(["PendingProposal", "proposal"]);
    }
  });
});

describe("GroupInfoRatchetTreeTBE (protocol-06 s.5.6)", () => {
  it("is the GroupInfo struct, the RatchetTreeOption, then pending_proposals<V>", () => {
    const value = {
      groupInfo: mls.groupInfo,
      ratchetTreeOption: { representation: RatchetTreeRepresentation.full, ratchetTree: [mls.node] },
      pendingProposals: [{ proposal: mls.proposalMessage, hubAcceptedTime: acceptedAt }],
    };
    // full(1), ratchet_tree<V> of 246 (01 + a 245-byte node), pending_proposals<V> of 161 (153 + 8)
    const expected =
      `${fixtureHex("groupInfo")}0140f601${fixtureHex("ratchetTreeNode")}` +
      `40a1${fixtureHex("proposalMessage")}0000018bcfe56800`;
    expect(bytesToHex(encode(groupInfoRatchetTreeTbe, value))).toBe(expected);
    expect(decode(groupInfoRatchetTreeTbe, hex(expected))).toEqual(value);
  });

  it("may have no pending proposals", () => {
    const value = {
      groupInfo: mls.groupInfo,
      ratchetTreeOption: { representation: RatchetTreeRepresentation.distributionService },
      pendingProposals: [],
    };
    expect(bytesToHex(encode(groupInfoRatchetTreeTbe, value))).toBe(`${fixtureHex("groupInfo")}0400`);
  });

  it("refuses a GroupInfo that embeds the ratchet_tree, both ways", () => {
    const embedded: GroupInfo = {
      ...mls.groupInfo,
      extensions: [...mls.groupInfo.extensions, { extensionType: "ratchet_tree", extensionData: new Uint8Array([0]) }],
    };
    const bytes = `${bytesToHex(encodeGroupInfo(embedded))}0400`;
    const decoding = codecErrorOf(() => decode(groupInfoRatchetTreeTbe, hex(bytes)));
    expect([decoding.struct, decoding.field]).toEqual(["GroupInfoRatchetTreeTBE", "groupInfo.extensions[1]"]);
    const value = {
      groupInfo: embedded,
      ratchetTreeOption: { representation: RatchetTreeRepresentation.distributionService },
      pendingProposals: [],
    };
    const encoding = codecErrorOf(() => encode(groupInfoRatchetTreeTbe, value));
    expect([encoding.struct, encoding.field]).toEqual(["GroupInfoRatchetTreeTBE", "groupInfo.extensions[1]"]);
  });
});
