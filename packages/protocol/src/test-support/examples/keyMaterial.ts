import { Protocol } from "../../constants.js";
import { KeyMaterialClientCode, type KeyMaterialRequest, KeyMaterialUserCode } from "../../keyMaterial.js";
import { mls } from "../mlsFixtures.js";
import type { Examples } from "./types.js";

const request: KeyMaterialRequest = {
  protocol: Protocol.mls10,
  requestingUser: "mimi://a.example/u/alice",
  targetUser: "mimi://b.example/u/bob",
  roomId: "mimi://a.example/r/clubhouse",
  acceptableCiphersuites: [mls.cipherSuite],
  requiredCapabilities: mls.requiredCapabilities,
  requesterSignatureKey: mls.signaturePublicKey,
  requesterCredential: mls.credential,
  keyMaterialRequestSignature: new Uint8Array(64).fill(0x5a),
};
const { keyMaterialRequestSignature: _signature, ...requestTbs } = request;

const bobsClients = {
  success: {
    clientStatus: KeyMaterialClientCode.success,
    clientUri: "mimi://b.example/d/bob/1",
    keyPackage: mls.keyPackages[1],
  },
  exhausted: { clientStatus: KeyMaterialClientCode.keyMaterialExhausted, clientUri: "mimi://b.example/d/bob/2" },
  incompatible: {
    clientStatus: KeyMaterialClientCode.nothingCompatible,
    clientUri: "mimi://b.example/d/bob/3",
    clientCapabilities: mls.capabilities,
  },
  incompatibleUndisclosed: {
    clientStatus: KeyMaterialClientCode.nothingCompatible,
    clientUri: "mimi://b.example/d/bob/4",
    clientCapabilities: undefined,
  },
};

export const examples: Examples = {
  Protocol: [{ description: "MLS 1.0", value: Protocol.mls10 }],
  IdentifierUri: [{ description: "a user URI", value: "mimi://a.example/u/alice" }],
  KeyMaterialRequest: [{ description: "alice asks for bob's key material for the clubhouse", value: request }],
  KeyMaterialRequestTBS: [{ description: "what alice signs", value: requestTbs }],
  ClientKeyMaterial: [
    { description: "a client with a KeyPackage", value: bobsClients.success },
    { description: "a client out of KeyPackages", value: bobsClients.exhausted },
    { description: "an incompatible client, capabilities disclosed", value: bobsClients.incompatible },
    { description: "an incompatible client, capabilities withheld", value: bobsClients.incompatibleUndisclosed },
  ],
  KeyMaterialResponse: [
    {
      description: "partial success: one KeyPackage, one client exhausted",
      value: {
        protocol: Protocol.mls10,
        userStatus: KeyMaterialUserCode.partialSuccess,
        userUri: "mimi://b.example/u/bob",
        clients: [bobsClients.success, bobsClients.exhausted],
      },
    },
    {
      description: "no consent: no clients listed",
      value: {
        protocol: Protocol.mls10,
        userStatus: KeyMaterialUserCode.noConsent,
        userUri: "mimi://b.example/u/bob",
        clients: [],
      },
    },
  ],
};
