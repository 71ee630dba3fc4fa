import { describe, expect, it } from "vitest";
import { decode, encode, type ValueOf } from "./codec.js";
import { CodecError } from "./errors.js";
import { uint8 } from "./integers.js";
import { select } from "./select.js";
import { hex, thrownBy, toHex } from "./test-support/hex.js";
import {
  fanoutMessage,
  keyMaterialRequest,
  keyMaterialResponse,
  Protocol,
  protocol,
  SubmitResponseCode,
  submitMessageResponse,
  WireFormat,
} from "./test-support/mimi.js";

const utf8Hex = (text: string) => toHex(new TextEncoder().encode(text));
/** An IdentifierUri shorter than 64 bytes: a one-byte length, then the text. */
const uriHex = (text: string) => `${text.length.toString(16).padStart(2, "0")}${utf8Hex(text)}`;
const byteLength = (hexText: string) => hexText.replaceAll(" ", "").length / 2;

const request: ValueOf<typeof keyMaterialRequest> = {
  protocol: Protocol.mls10,
  requestingUser: "mimi://a.example/u/alice",
  targetUser: "mimi://b.example/u/bob",
  roomId: "mimi://a.example/r/clubhouse",
  acceptableCiphersuites: [1, 3],
  requesterSignatureKey: hex("a1a2"),
  keyMaterialRequestSignature: hex("5151"),
};

const requestHex = [
  "01",
  `18${utf8Hex(request.requestingUser)}`,
  `16${utf8Hex(request.targetUser)}`,
  `1c${utf8Hex(request.roomId)}`,
  "04 0001 0003",
  "02 a1a2",
  "02 5151",
].join("");

describe("select", () => {
  it("reads the tag, then its variant's fields (protocol-06 s.5.2 KeyMaterialRequest)", () => {
    const bytes = encode(keyMaterialRequest, request);
    expect(toHex(bytes)).toBe(requestHex.replaceAll(" ", ""));
    expect(decode(keyMaterialRequest, bytes)).toEqual(request);
  });

  it("prints the CLI's message for a length past the end", () => {
    const truncated = hex(`01 18${utf8Hex("mimi://a.example")}`);
    const error = thrownBy(() => decode(keyMaterialRequest, truncated));
    expect(String((error as Error).message)).toBe("KeyMaterialRequest.requestingUser: length past the end");
    expect(error).toMatchObject({ struct: "KeyMaterialRequest", field: "requestingUser", path: "requestingUser" });
  });

  it("rejects an unknown tag, and a known tag with no variant, in both directions", () => {
    expect(() => decode(keyMaterialRequest, hex("02"))).toThrow(
      "KeyMaterialRequest.protocol: unknown Protocol value 2",
    );
    expect(() => decode(keyMaterialRequest, hex("00"))).toThrow("KeyMaterialRequest.protocol: no variant for 0");
    expect(() => encode(keyMaterialRequest, { ...request, protocol: 0 as 1 })).toThrow(
      "KeyMaterialRequest.protocol: no variant for 0",
    );
    expect(() => encode(keyMaterialRequest, { ...request, protocol: 9 as 1 })).toThrow("unknown Protocol value 9");
  });

  it("nests, with empty variants (protocol-06 s.5.4 SubmitMessageResponse)", () => {
    const accepted = {
      protocol: Protocol.mls10,
      result: { statusCode: SubmitResponseCode.accepted, acceptedTimestamp: 1_700_000_000_000n, frank: undefined },
    } as const;
    expect(toHex(encode(submitMessageResponse, accepted))).toBe("01 00 0000018bcfe56800 00".replaceAll(" ", ""));
    const notAllowed = { protocol: Protocol.mls10, result: { statusCode: SubmitResponseCode.notAllowed } } as const;
    expect(toHex(encode(submitMessageResponse, notAllowed))).toBe("0101");
    expect(decode(submitMessageResponse, hex("0101"))).toEqual(notAllowed);

    const tooOld = decode(submitMessageResponse, hex("01 02 0000000000000007"));
    // The value is a discriminated union: this compiles only because the tag narrows it.
    if (tooOld.result.statusCode !== SubmitResponseCode.epochTooOld) throw new Error("wrong variant");
    expect(tooOld.result.currentEpoch).toBe(7n);

    expect(() => decode(submitMessageResponse, hex("01 02 00000007"))).toThrow(
      "SubmitResult.currentEpoch: unexpected end of input",
    );
  });

  it("locates errors in a vector of selects by index and field (protocol-06 s.5.2 KeyMaterialResponse)", () => {
    const clients = [
      `02 ${uriHex("mimi:c0")} 00`, // nothingCompatible, no capabilities
      `01 ${uriHex("mimi:c1")}`, // keyMaterialExhausted
      `00 ${uriHex("mimi:c2")} 0002 ffcd`, // success, but the KeyPackage decoder returns undefined
    ].join("");
    const bytes = hex(`01 00 ${uriHex("mimi:u")} ${byteLength(clients).toString(16)} ${clients}`);
    const error = thrownBy(() => decode(keyMaterialResponse, bytes));
    expect(error).toBeInstanceOf(CodecError);
    expect(error).toMatchObject({
      struct: "ClientKeyMaterial",
      field: "keyPackage",
      path: "clients[2].keyPackage",
      message: "ClientKeyMaterial.keyPackage: invalid KeyPackage",
    });
  });

  it("chooses the variant from part of a field with caseOf (protocol-06 s.5.5 FanoutMessage)", () => {
    const welcome = {
      timestamp: 5n,
      content: { message: { wireFormat: WireFormat.welcome, body: hex("0a0b") }, ratchetTreeOption: 1 },
    };
    const bytes = encode(fanoutMessage, welcome);
    expect(toHex(bytes)).toBe("0000000000000005 0003020a0b 01".replaceAll(" ", ""));
    expect(decode(fanoutMessage, bytes)).toEqual(welcome);

    const proposal = {
      timestamp: 6n,
      content: {
        message: { wireFormat: WireFormat.publicMessage, body: hex("01") },
        moreProposals: [{ wireFormat: WireFormat.publicMessage, body: hex("02") }],
      },
    };
    expect(decode(fanoutMessage, encode(fanoutMessage, proposal))).toEqual(proposal);
    expect(() => decode(fanoutMessage, hex("0000000000000005 0003020a0b"))).toThrow(
      "FanoutContent.ratchetTreeOption: unexpected end of input",
    );
    expect(() => decode(fanoutMessage, hex("0000000000000005 0009020a0b"))).toThrow(
      "FanoutContent.message: invalid MLSMessage",
    );
  });

  it("turns an exception from caseOf into a CodecError on the tag field", () => {
    const picky = select("Picky", "kind", uint8, { one: {} }, (kind): "one" => {
      if (kind !== 1) throw new TypeError(`cannot classify ${kind}`);
      return "one";
    });
    expect(() => decode(picky, hex("02"))).toThrow("Picky.kind: TypeError: cannot classify 2");
    expect(() => encode(picky, { kind: 3 })).toThrow("Picky.kind: TypeError: cannot classify 3");
    expect(decode(picky, hex("01"))).toEqual({ kind: 1 });
  });

  it("refuses a variant field that repeats the tag field", () => {
    expect(() => select("Dup", "protocol", protocol, { [Protocol.mls10]: { protocol: uint8 } })).toThrow(
      "Dup.protocol: a variant field repeats the tag field",
    );
  });
});

// The value type a select infers, checked by the compiler.
const typed: ValueOf<typeof submitMessageResponse> = {
  protocol: Protocol.mls10,
  result: { statusCode: SubmitResponseCode.epochTooOld, currentEpoch: 1n },
};
const mistyped: ValueOf<typeof submitMessageResponse> = {
  protocol: Protocol.mls10,
  // @ts-expect-error: currentEpoch belongs to the epochTooOld variant only
  result: { statusCode: SubmitResponseCode.notAllowed, currentEpoch: 1n },
};
void [typed, mistyped];
