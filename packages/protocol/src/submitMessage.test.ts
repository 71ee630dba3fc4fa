import { decode, encode } from "@mimi-ts/codec";
import { describe, expect, it } from "vitest";
import { Protocol } from "./constants.js";
import type { Frank } from "./franking.js";
import { SubmitResponseCode, submitMessageRequest, submitMessageResponse } from "./submitMessage.js";
import { mls } from "./test-support/mlsFixtures.js";
import {
  bytes,
  expectPinned,
  fixtureHex,
  groupInfoMessageHex,
  privateCommitMessageHex,
  publicApplicationMessageHex,
} from "./test-support/mlsWire.js";
import { codecErrorOf, wire } from "./test-support/wire.js";

const application = fixtureHex("applicationMessage");
const alice = "mimi://a.example/u/alice";

const frank: Frank = {
  serverFrank: bytes("11".repeat(32)),
  frankingSignatureCiphersuite: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
  frankingIntegritySignature: bytes("2222"),
};
/** server_frank[32], CipherSuite 0x0001, franking_integrity_signature<V> */
const frankHex = `${"11".repeat(32)} 0001 02 2222`;

describe("SubmitMessageRequest (protocol-06 s.5.4)", () => {
  it("is protocol mls10, the PrivateMessage, then the sender's IdentifierUri<V>", () => {
    expectPinned(
      submitMessageRequest,
      { protocol: Protocol.mls10, appMessage: mls.applicationMessage, sendingUri: alice },
      `01 ${application} ${wire`18 ${alice}`}`,
    );
  });

  it("refuses protocols other than mls10", () => {
    for (const protocol of [0, 2]) {
      const error = codecErrorOf(() =>
        decode(submitMessageRequest, bytes(`0${protocol} ${application} ${wire`18 ${alice}`}`)),
      );
      expect(error).toMatchObject({ struct: "SubmitMessageRequest", field: "protocol" });
      expect(error.reason).toBe(`unknown Protocol value ${protocol}`);
    }
  });

  it.each([
    ["a PublicMessage with proposal content", fixtureHex("proposalMessage")],
    ["a PublicMessage with application content", publicApplicationMessageHex],
    ["a PrivateMessage with commit content", privateCommitMessageHex],
    ["a Welcome", fixtureHex("welcomeMessage")],
    ["a GroupInfo", groupInfoMessageHex],
  ])("refuses %s as appMessage", (kind, message) => {
    const error = codecErrorOf(() => decode(submitMessageRequest, bytes(`01 ${message} ${wire`18 ${alice}`}`)));
    expect(error).toMatchObject({ struct: "SubmitMessageRequest", field: "appMessage" });
    expect(error.reason).toBe(`expected a PrivateMessage with application content, found ${kind}`);
  });

  it("refuses to encode a PublicMessage as appMessage", () => {
    const error = codecErrorOf(() =>
      encode(submitMessageRequest, { protocol: Protocol.mls10, appMessage: mls.commitMessage, sendingUri: alice }),
    );
    expect(error).toMatchObject({ struct: "SubmitMessageRequest", field: "appMessage" });
  });

  it("refuses a request without its sendingUri", () => {
    const error = codecErrorOf(() => decode(submitMessageRequest, bytes(`01 ${application}`)));
    expect(error).toMatchObject({ struct: "SubmitMessageRequest", field: "sendingUri" });
  });
});

describe("SubmitMessageResponse (protocol-06 s.5.4)", () => {
  it("accepted (the draft's `case success`): protocol, 00, the 8-byte timestamp, optional<Frank>", () => {
    expectPinned(
      submitMessageResponse,
      {
        protocol: Protocol.mls10,
        result: { statusCode: SubmitResponseCode.accepted, acceptedTimestamp: 1644387225019n, frank },
      },
      `01 00 0000017edd1dcdbb 01 ${frankHex}`,
    );
    expectPinned(
      submitMessageResponse,
      {
        protocol: Protocol.mls10,
        result: { statusCode: SubmitResponseCode.accepted, acceptedTimestamp: 1n, frank: undefined },
      },
      "01 00 0000000000000001 00",
    );
  });

  it("notAllowed carries nothing", () => {
    expectPinned(
      submitMessageResponse,
      { protocol: Protocol.mls10, result: { statusCode: SubmitResponseCode.notAllowed } },
      "01 01",
    );
    expect(codecErrorOf(() => decode(submitMessageResponse, bytes("01 01 00"))).reason).toBe("1 trailing byte");
  });

  it("epochTooOld carries the current epoch", () => {
    expectPinned(
      submitMessageResponse,
      { protocol: Protocol.mls10, result: { statusCode: SubmitResponseCode.epochTooOld, currentEpoch: 0x0102n } },
      "01 02 0000000000000102",
    );
  });

  it("refuses an unknown status code", () => {
    const error = codecErrorOf(() => decode(submitMessageResponse, bytes("01 03")));
    expect(error).toMatchObject({ struct: "SubmitMessageResponse", field: "statusCode", path: "result.statusCode" });
    expect(error.reason).toBe("unknown SubmitResponseCode value 3");
  });

  it("refuses a frank presence octet other than 0 or 1", () => {
    const error = codecErrorOf(() => decode(submitMessageResponse, bytes(`01 00 0000000000000001 02 ${frankHex}`)));
    expect(error).toMatchObject({ struct: "SubmitMessageResponse", field: "frank", path: "result.frank" });
  });

  it("refuses protocols other than mls10", () => {
    const error = codecErrorOf(() => decode(submitMessageResponse, bytes("00 01")));
    expect(error).toMatchObject({ struct: "SubmitMessageResponse", field: "protocol" });
  });

  it("writes a frank's 32-byte server_frank exactly", () => {
    const short = { ...frank, serverFrank: bytes("11") };
    const error = codecErrorOf(() =>
      encode(submitMessageResponse, {
        protocol: Protocol.mls10,
        result: { statusCode: SubmitResponseCode.accepted, acceptedTimestamp: 1n, frank: short },
      }),
    );
    expect(error).toMatchObject({ struct: "Frank", field: "serverFrank", path: "result.frank.serverFrank" });
  });
});
