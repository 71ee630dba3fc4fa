import { CodecError, decode, encode } from "@mimi-ts/codec";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { Protocol } from "./constants.js";
import {
  clientKeyMaterial,
  KeyMaterialClientCode,
  type KeyMaterialRequest,
  KeyMaterialUserCode,
  keyMaterialRequest,
  keyMaterialRequestTbs,
  keyMaterialRequestToBeSigned,
  keyMaterialResponse,
} from "./keyMaterial.js";
import { capabilities, credential, requiredCapabilities } from "./mls.js";
import { mls } from "./test-support/mlsFixtures.js";

const hex = (text: string) => bytesToHex(new TextEncoder().encode(text));
const uri = (text: string) => (text.length < 64 ? text.length.toString(16).padStart(2, "0") : "") + hex(text);

const request: KeyMaterialRequest = {
  protocol: Protocol.mls10,
  requestingUser: "mimi://a.example/u/alice",
  targetUser: "mimi://b.example/u/bob",
  roomId: "mimi://a.example/r/clubhouse",
  acceptableCiphersuites: ["MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"],
  requiredCapabilities: mls.requiredCapabilities,
  requesterSignatureKey: hexToBytes("aabb"),
  requesterCredential: mls.credential,
  keyMaterialRequestSignature: hexToBytes("cc"),
};

describe("KeyMaterialRequest (protocol-06 s.5.2)", () => {
  it("lays out protocol, the three URIs, then the mls10 fields in order", () => {
    const expected =
      "01" +
      uri(request.requestingUser) +
      uri(request.targetUser) +
      uri(request.roomId) +
      "020001" + // acceptableCiphersuites<V>: one uint16
      bytesToHex(encode(requiredCapabilities, mls.requiredCapabilities)) +
      "02aabb" +
      bytesToHex(encode(credential, mls.credential)) +
      "01cc";
    expect(bytesToHex(encode(keyMaterialRequest, request))).toBe(expected);
  });

  it("signs everything but the signature", () => {
    const tbs = keyMaterialRequestToBeSigned(request);
    const requestBytes = bytesToHex(encode(keyMaterialRequest, request));
    expect(requestBytes.startsWith(bytesToHex(encode(keyMaterialRequestTbs, tbs)))).toBe(true);
    expect(requestBytes.endsWith("01cc")).toBe(true);
  });

  it("refuses protocol reserved(0) and unknown protocols", () => {
    const bytes = encode(keyMaterialRequest, request);
    for (const value of [0, 2]) {
      const changed = Uint8Array.from(bytes);
      changed[0] = value;
      expect(() => decode(keyMaterialRequest, changed)).toThrow(new RegExp(`unknown Protocol value ${value}`));
    }
  });
});

describe("KeyMaterialResponse (protocol-06 s.5.2)", () => {
  it("has a KeyPackage only for success and optional capabilities only for nothingCompatible", () => {
    const exhausted = { clientStatus: KeyMaterialClientCode.keyMaterialExhausted, clientUri: "mimi://b.example/d/1" };
    expect(bytesToHex(encode(clientKeyMaterial, exhausted))).toBe(`01${uri(exhausted.clientUri)}`);
    const withheld = {
      clientStatus: KeyMaterialClientCode.nothingCompatible,
      clientUri: "mimi://b.example/d/1",
      clientCapabilities: undefined,
    };
    expect(bytesToHex(encode(clientKeyMaterial, withheld))).toBe(`02${uri(withheld.clientUri)}00`);
    const disclosed = { ...withheld, clientCapabilities: mls.capabilities };
    expect(bytesToHex(encode(clientKeyMaterial, disclosed))).toBe(
      `02${uri(withheld.clientUri)}01${bytesToHex(encode(capabilities, mls.capabilities))}`,
    );
  });

  it("refuses clients for user codes that must not list them", () => {
    const client = { clientStatus: KeyMaterialClientCode.keyMaterialExhausted, clientUri: "mimi://b.example/d/1" };
    const response = {
      protocol: Protocol.mls10,
      userStatus: KeyMaterialUserCode.userUnknown,
      userUri: "mimi://b.example/u/bob",
      clients: [client],
    };
    expect(() => encode(keyMaterialResponse, response)).toThrow(/clients must be empty/);
    const allowed = encode(keyMaterialResponse, { ...response, userStatus: KeyMaterialUserCode.partialSuccess });
    const forged = Uint8Array.from(allowed);
    forged[1] = KeyMaterialUserCode.userUnknown;
    let error: unknown;
    try {
      decode(keyMaterialResponse, forged);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).message).toBe(
      "KeyMaterialResponse.clients: clients must be empty unless userStatus is success, partialSuccess or noCompatibleMaterial",
    );
  });
});
