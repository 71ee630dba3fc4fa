/**
 * Real MLS objects for the tests, made with ts-mls: KeyPackages of MIMI
 * clients, signed KeyMaterialRequests, and the messages of a small group
 * (a Welcome and an application message) to fan out.
 */
import { encode } from "@mimi-ts/codec";
import {
  type FanoutMessage,
  type KeyMaterialRequest,
  keyMaterialRequest,
  keyMaterialRequestTbs,
  keyMaterialRequestToBeSigned,
  mlsMessage,
  Protocol,
  RatchetTreeRepresentation,
  SignatureLabel,
} from "@mimi-ts/protocol";
import { basicCredential } from "@mimi-ts/room";
import {
  type Capabilities,
  type CiphersuiteImpl,
  type ClientState,
  createApplicationMessage,
  createCommit,
  createGroup,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  type KeyPackage,
  type Lifetime,
  type PrivateKeyPackage,
  type RequiredCapabilities,
} from "ts-mls";
import { signWithLabel } from "ts-mls/crypto/signature.js";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";

export const SUITE = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519" as const;
export const OTHER_SUITE = "MLS_128_DHKEMP256_AES128GCM_SHA256_P256" as const;

export const suite: CiphersuiteImpl = await getCiphersuiteImpl(getCiphersuiteFromName(SUITE));
const otherSuite: CiphersuiteImpl = await getCiphersuiteImpl(getCiphersuiteFromName(OTHER_SUITE));

/** Capabilities without ts-mls's random GREASE values, so compatibility is deterministic. */
export function capabilities(extra: Partial<Capabilities> = {}): Capabilities {
  return {
    versions: ["mls10"],
    ciphersuites: [SUITE, OTHER_SUITE],
    extensions: [],
    proposals: [],
    credentials: ["basic"],
    ...extra,
  };
}

export const NO_REQUIREMENTS: RequiredCapabilities = { extensionTypes: [], proposalTypes: [], credentialTypes: [] };

/** A lifetime from `notBefore` to `notAfter`, both in seconds since the epoch. */
export function lifetime(notBefore: number, notAfter: number): Lifetime {
  return { notBefore: BigInt(notBefore), notAfter: BigInt(notAfter) };
}

/** Valid from 2020 to 2100. */
export const LONG_LIFETIME = lifetime(1_577_836_800, 4_102_444_800);

export interface TestKeyPackage {
  readonly publicPackage: KeyPackage;
  readonly privatePackage: PrivateKeyPackage;
  /** the KeyPackage as an MLSMessage, the body form `message/mls` */
  readonly message: Uint8Array;
  readonly ref: Uint8Array;
}

/** A KeyPackage whose credential is `identity` (a client URI). */
export async function makeKeyPackage(
  identity: string,
  options: { lifetime?: Lifetime; capabilities?: Capabilities; cipherSuite?: typeof SUITE | typeof OTHER_SUITE } = {},
): Promise<TestKeyPackage> {
  const implementation = options.cipherSuite === OTHER_SUITE ? otherSuite : suite;
  const { publicPackage, privatePackage } = await generateKeyPackage(
    { credentialType: "basic", identity: new TextEncoder().encode(identity) },
    options.capabilities ?? capabilities(),
    options.lifetime ?? LONG_LIFETIME,
    [],
    implementation,
  );
  const message = encode(mlsMessage, { version: "mls10", wireformat: "mls_key_package", keyPackage: publicPackage });
  return { publicPackage, privatePackage, message, ref: await makeKeyPackageRef(publicPackage, implementation.hash) };
}

export interface Requester {
  readonly clientUri: string;
  readonly signatureKey: Uint8Array;
  readonly signaturePrivateKey: Uint8Array;
}

export async function makeRequester(clientUri: string): Promise<Requester> {
  const keys = await suite.signature.keygen();
  return { clientUri, signatureKey: keys.publicKey, signaturePrivateKey: keys.signKey };
}

/** A KeyMaterialRequest signed by the requester (protocol-06 s.5.2), and its encoding. */
export async function signedKeyMaterialRequest(
  requester: Requester,
  fields: {
    requestingUser: string;
    targetUser: string;
    roomId: string;
    acceptableCiphersuites?: KeyMaterialRequest["acceptableCiphersuites"];
    requiredCapabilities?: RequiredCapabilities;
  },
): Promise<{ request: KeyMaterialRequest; body: Uint8Array }> {
  const unsigned: KeyMaterialRequest = {
    protocol: Protocol.mls10,
    requestingUser: fields.requestingUser,
    targetUser: fields.targetUser,
    roomId: fields.roomId,
    acceptableCiphersuites: fields.acceptableCiphersuites ?? [SUITE],
    requiredCapabilities: fields.requiredCapabilities ?? NO_REQUIREMENTS,
    requesterSignatureKey: requester.signatureKey,
    requesterCredential: basicCredential(requester.clientUri),
    keyMaterialRequestSignature: new Uint8Array(),
  };
  const signature = await signWithLabel(
    requester.signaturePrivateKey,
    SignatureLabel.keyMaterialRequest,
    encode(keyMaterialRequestTbs, keyMaterialRequestToBeSigned(unsigned)),
    suite.signature,
  );
  const request = { ...unsigned, keyMaterialRequestSignature: signature };
  return { request, body: encode(keyMaterialRequest, request) };
}

export interface TestGroup {
  readonly state: ClientState;
  /** the FanoutMessage of the Welcome adding the joiners */
  readonly welcome: FanoutMessage;
}

/**
 * A group created by `creator` (its own KeyPackage) that adds the given
 * KeyPackages in one commit; the Welcome comes as a FanoutMessage.
 */
export async function groupAdding(creator: TestKeyPackage, joiners: readonly KeyPackage[]): Promise<TestGroup> {
  const created = await createGroup(
    new TextEncoder().encode("mimi://a.example/g/clubhouse"),
    creator.publicPackage,
    creator.privatePackage,
    [],
    suite,
  );
  const commit = await createCommit(
    { state: created, cipherSuite: suite },
    { extraProposals: joiners.map((keyPackage) => ({ proposalType: "add" as const, add: { keyPackage } })) },
  );
  if (commit.welcome === undefined) throw new Error("the commit made no Welcome");
  return {
    state: commit.newState,
    welcome: {
      timestamp: 1_700_000_000_000n,
      content: {
        message: { version: "mls10", wireformat: "mls_welcome", welcome: commit.welcome },
        ratchetTreeOption: { representation: RatchetTreeRepresentation.distributionService },
      },
    },
  };
}

/** An application message of the group as a FanoutMessage without frank. */
export async function applicationFanout(state: ClientState, text: string, timestamp: bigint): Promise<FanoutMessage> {
  const sent = await createApplicationMessage(state, new TextEncoder().encode(text), suite);
  return {
    timestamp,
    content: {
      message: { version: "mls10", wireformat: "mls_private_message", privateMessage: sent.privateMessage },
      frank: undefined,
    },
  };
}
