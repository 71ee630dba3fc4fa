/**
 * Test helpers for the ts-mls patch tests: deterministic capabilities (ts-mls's
 * defaultCapabilities() adds random GREASE values), members, and delivery of
 * every message through its wire encoding, so the tests exercise the decoders
 * as a real peer would.
 */
import { ExtensionType, ProposalType } from "@mimi-ts/protocol";
import {
  type Capabilities,
  type CiphersuiteImpl,
  type ClientConfig,
  type ClientState,
  type Credential,
  createCommit,
  createGroup,
  createGroupInfoWithExternalPubAndRatchetTree,
  decodeMlsMessage,
  defaultLifetime,
  type Extension,
  emptyPskIndex,
  encodeMlsMessage,
  type GroupInfo,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  type IncomingMessageCallback,
  joinGroup,
  type KeyPackage,
  type MLSMessage,
  type PrivateKeyPackage,
  type Proposal,
  type PublicMessage,
  processMessage,
  type Welcome,
} from "ts-mls";
import { defaultClientConfig } from "ts-mls/clientConfig.js";
import { signWithLabel } from "ts-mls/crypto/signature.js";
import { encodeGroupContext } from "ts-mls/groupContext.js";
import { encodeLeafNodeTBS, type LeafNodeUpdate } from "ts-mls/leafNode.js";

export const SUITE = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519" as const;

export const suite: CiphersuiteImpl = await getCiphersuiteImpl(getCiphersuiteFromName(SUITE));

const utf8 = new TextEncoder();

export function basicCredential(name: string): Credential {
  return { credentialType: "basic", identity: utf8.encode(`mimi://example.com/u/${name}`) };
}

/**
 * Capabilities without GREASE: app_data_dictionary (mls-extensions s.4.6)
 * among the extensions, AppDataUpdate and SelfRemove (s.7.2) among the
 * proposals.
 */
export function capabilities(credentials: Capabilities["credentials"] = ["basic"]): Capabilities {
  return {
    versions: ["mls10"],
    ciphersuites: [SUITE],
    extensions: [ExtensionType.appDataDictionary],
    proposals: [ProposalType.appDataUpdate, ProposalType.selfRemove],
    credentials,
  };
}

export interface Member {
  name: string;
  publicPackage: KeyPackage;
  privatePackage: PrivateKeyPackage;
}

export async function newMember(
  name: string,
  credential: Credential = basicCredential(name),
  caps: Capabilities = capabilities(),
): Promise<Member> {
  const { publicPackage, privatePackage } = await generateKeyPackage(credential, caps, defaultLifetime, [], suite);
  return { name, publicPackage, privatePackage };
}

export function config(overrides: Partial<ClientConfig> = {}): ClientConfig {
  return { ...defaultClientConfig, ...overrides };
}

/** Encodes and decodes a message, as sending it to a peer would. */
export function wire(message: MLSMessage): MLSMessage {
  const decoded = decodeMlsMessage(encodeMlsMessage(message), 0);
  if (decoded === undefined) throw new Error("ts-mls could not decode its own message");
  return decoded[0];
}

/** A Welcome from a commit, through the wire. */
export function welcomeOf(welcome: Welcome | undefined): Welcome {
  if (welcome === undefined) throw new Error("the commit has no Welcome");
  const message = wire({ version: "mls10", wireformat: "mls_welcome", welcome });
  if (message.wireformat !== "mls_welcome") throw new Error("not a Welcome");
  return message.welcome;
}

/** Processes a handshake message (through the wire) and returns the new state. */
export async function receive(
  state: ClientState,
  message: MLSMessage,
  callback: IncomingMessageCallback = () => "accept",
): Promise<ClientState> {
  const received = wire(message);
  if (received.wireformat !== "mls_public_message" && received.wireformat !== "mls_private_message") {
    throw new Error(`not a handshake message: ${received.wireformat}`);
  }
  const result = await processMessage(received, state, emptyPskIndex, callback, suite);
  if (result.kind !== "newState") throw new Error("expected a handshake message");
  return result.newState;
}

/** Processes an application message (through the wire) and returns its content and the new state. */
export async function receiveApplication(
  state: ClientState,
  message: MLSMessage,
): Promise<{ text: string; state: ClientState }> {
  const received = wire(message);
  if (received.wireformat !== "mls_private_message") throw new Error("not a PrivateMessage");
  const result = await processMessage(received, state, emptyPskIndex, () => "accept", suite);
  if (result.kind !== "applicationMessage") throw new Error("expected an application message");
  return { text: new TextDecoder().decode(result.message), state: result.newState };
}

/** The RFC 9420 encoding of a member's GroupContext. */
export function groupContextBytes(state: ClientState): Uint8Array {
  return encodeGroupContext(state.groupContext);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/**
 * Checks that a promise rejects with an error of the given class whose
 * message matches, and returns the error (throws, failing the test, otherwise).
 */
export async function rejectsWith(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  message: RegExp,
): Promise<Error> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  if (!(error instanceof type) || !message.test(error.message)) {
    throw new Error(`expected a ${type.name} matching ${message}, got ${String(error)}`);
  }
  return error;
}

/**
 * A group of the given members: the first creates it (with `extensions`) and
 * adds the others in one commit; they join from the Welcome, whose GroupInfo
 * carries the ratchet tree. Every member uses `clientConfig`.
 */
export async function startGroup(
  members: readonly Member[],
  options: { extensions?: Extension[]; clientConfig?: ClientConfig } = {},
): Promise<ClientState[]> {
  const [creator, ...others] = members;
  if (creator === undefined) throw new Error("a group needs a member");
  const clientConfig = options.clientConfig ?? config();
  const created = await createGroup(
    utf8.encode("mimi://example.com/r/test"),
    creator.publicPackage,
    creator.privatePackage,
    options.extensions ?? [],
    suite,
    clientConfig,
  );
  if (others.length === 0) return [created];
  const added = await createCommit(
    { state: created, cipherSuite: suite },
    {
      ratchetTreeExtension: true,
      extraProposals: others.map((m) => ({ proposalType: "add", add: { keyPackage: m.publicPackage } })),
    },
  );
  const welcome = welcomeOf(added.welcome);
  const joined = await Promise.all(
    others.map((m) =>
      joinGroup(welcome, m.publicPackage, m.privatePackage, emptyPskIndex, suite, undefined, undefined, clientConfig),
    ),
  );
  return [added.newState, ...joined];
}

/** A GroupInfo with external_pub and the ratchet tree, through the wire, for an external join. */
export async function publishedGroupInfo(state: ClientState): Promise<GroupInfo> {
  const message = wire({
    version: "mls10",
    wireformat: "mls_group_info",
    groupInfo: await createGroupInfoWithExternalPubAndRatchetTree(state, [], suite),
  });
  if (message.wireformat !== "mls_group_info") throw new Error("not a GroupInfo");
  return message.groupInfo;
}

/** Wraps a PublicMessage as an MLSMessage. */
export function publicMessage(message: PublicMessage): MLSMessage {
  return { version: "mls10", wireformat: "mls_public_message", publicMessage: message };
}

/** RFC 9420 s.12.1.2: an Update proposal with a fresh HPKE key, signed with the group id and leaf index. */
export async function updateProposal(state: ClientState): Promise<{ proposal: Proposal; hpkePrivateKey: Uint8Array }> {
  const leafIndex = state.privatePath.leafIndex;
  const current = state.ratchetTree[leafIndex * 2];
  if (current?.nodeType !== "leaf") throw new Error("no own leaf");
  const keys = await suite.hpke.generateKeyPair();
  const tbs = {
    leafNodeSource: "update" as const,
    hpkePublicKey: await suite.hpke.exportPublicKey(keys.publicKey),
    signaturePublicKey: current.leaf.signaturePublicKey,
    credential: current.leaf.credential,
    capabilities: current.leaf.capabilities,
    extensions: current.leaf.extensions,
    groupId: state.groupContext.groupId,
    leafIndex,
  };
  const signature = await signWithLabel(
    state.signaturePrivateKey,
    "LeafNodeTBS",
    encodeLeafNodeTBS(tbs),
    suite.signature,
  );
  const leafNode: LeafNodeUpdate = {
    leafNodeSource: "update",
    hpkePublicKey: tbs.hpkePublicKey,
    signaturePublicKey: tbs.signaturePublicKey,
    credential: tbs.credential,
    capabilities: tbs.capabilities,
    extensions: tbs.extensions,
    signature,
  };
  return {
    proposal: { proposalType: "update", update: { leafNode } },
    hpkePrivateKey: await suite.hpke.exportPrivateKey(keys.privateKey),
  };
}

/** Stores the HPKE private key of a member's Update leaf, which ts-mls leaves to the application. */
export function withLeafKey(state: ClientState, hpkePrivateKey: Uint8Array): ClientState {
  const leafNode = state.privatePath.leafIndex * 2;
  return {
    ...state,
    privatePath: {
      ...state.privatePath,
      privateKeys: { ...state.privatePath.privateKeys, [leafNode]: hpkePrivateKey },
    },
  };
}
