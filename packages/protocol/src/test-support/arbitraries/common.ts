import fc from "fast-check";
import { mls } from "../mlsFixtures.js";

/** Building blocks for generating wire struct values. */
export const bytes = (maxLength = 40) => fc.uint8Array({ maxLength });
export const fixedBytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
export const text = (maxLength = 20) => fc.string({ unit: "grapheme", maxLength });
export const uri = fc.oneof(
  fc.webUrl(),
  fc.constantFrom(
    "mimi://a.example/u/alice",
    "mimi://b.example/d/bob/1",
    "mimi://hub.example/r/Rl33FWLCYWOwxHrYnpWDQg",
  ),
);
export const uint8 = fc.integer({ min: 0, max: 0xff });
export const uint16 = fc.integer({ min: 0, max: 0xffff });
export const uint32 = fc.integer({ min: 0, max: 0xffffffff });
export const uint64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
export const list = <T>(item: fc.Arbitrary<T>, maxLength = 3) => fc.array(item, { maxLength });
export const maybe = <T>(item: fc.Arbitrary<T>) => fc.option(item, { nil: undefined });

/** MLS objects: the real ones of the fixtures (generating valid MLS objects is ts-mls's job, not ours). */
export const mlsArbitrary = {
  cipherSuite: fc.constant(mls.cipherSuite),
  keyPackage: fc.constantFrom(...mls.keyPackages),
  credential: fc.constant(mls.credential),
  capabilities: fc.constant(mls.capabilities),
  requiredCapabilities: fc.constant(mls.requiredCapabilities),
  externalSender: fc.constant(mls.externalSender),
  hpkeCiphertext: fc.constant(mls.hpkeCiphertext),
  groupInfo: fc.constant(mls.groupInfo),
  welcome: fc.constant(mls.welcome),
  node: fc.constant(mls.node),
  extensions: fc.constantFrom([], mls.groupInfo.extensions),
  handshakeMessage: fc.constantFrom(mls.commitMessage, mls.proposalMessage),
  proposalMessage: fc.constant(mls.proposalMessage),
  commitMessage: fc.constant(mls.commitMessage),
  applicationMessage: fc.constant(mls.applicationMessage),
  welcomeMessage: fc.constant(mls.welcomeMessage),
  anyMessage: fc.constantFrom(mls.commitMessage, mls.proposalMessage, mls.applicationMessage, mls.welcomeMessage),
  signaturePublicKey: bytes(64),
  hpkePublicKey: bytes(64),
};
