import fc from "fast-check";
import { Protocol } from "../../constants.js";
import { KeyMaterialClientCode, KeyMaterialUserCode } from "../../keyMaterial.js";
import { bytes, list, maybe, mlsArbitrary, uri } from "./common.js";
import type { Arbitraries } from "./types.js";

const tbs = fc.record({
  protocol: fc.constant(Protocol.mls10),
  requestingUser: uri,
  targetUser: uri,
  roomId: uri,
  acceptableCiphersuites: list(mlsArbitrary.cipherSuite),
  requiredCapabilities: mlsArbitrary.requiredCapabilities,
  requesterSignatureKey: mlsArbitrary.signaturePublicKey,
  requesterCredential: mlsArbitrary.credential,
});

const clientKeyMaterial = fc.oneof(
  fc.record({
    clientStatus: fc.constant(KeyMaterialClientCode.success),
    clientUri: uri,
    keyPackage: mlsArbitrary.keyPackage,
  }),
  fc.record({ clientStatus: fc.constant(KeyMaterialClientCode.keyMaterialExhausted), clientUri: uri }),
  fc.record({
    clientStatus: fc.constant(KeyMaterialClientCode.nothingCompatible),
    clientUri: uri,
    clientCapabilities: maybe(mlsArbitrary.capabilities),
  }),
);

const userCode = fc.constantFrom(...Object.values(KeyMaterialUserCode));
const withClients = new Set<number>([
  KeyMaterialUserCode.success,
  KeyMaterialUserCode.partialSuccess,
  KeyMaterialUserCode.noCompatibleMaterial,
]);

export const arbitraries: Arbitraries = {
  Protocol: fc.constant(Protocol.mls10),
  IdentifierUri: uri,
  KeyMaterialRequestTBS: tbs,
  KeyMaterialRequest: fc
    .tuple(tbs, bytes(72))
    .map(([fields, keyMaterialRequestSignature]) => ({ ...fields, keyMaterialRequestSignature })),
  ClientKeyMaterial: clientKeyMaterial,
  KeyMaterialResponse: fc
    .record({
      protocol: fc.constant(Protocol.mls10),
      userStatus: userCode,
      userUri: uri,
      clients: list(clientKeyMaterial),
    })
    .map((response) => (withClients.has(response.userStatus) ? response : { ...response, clients: [] })),
};
