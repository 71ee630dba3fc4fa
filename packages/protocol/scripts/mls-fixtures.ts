/**
 * Makes the real MLS objects that the protocol vectors embed (KeyPackages,
 * a Commit, a Welcome, a GroupInfo, an application message...) by running
 * one small group with ts-mls, and writes them to vectors/mls-fixtures.json.
 * Keys are random, so this runs once; the file is then fixed and committed.
 *
 *   pnpm --filter @mimi-ts/protocol exec tsx scripts/mls-fixtures.ts
 */
import { writeFileSync } from "node:fs";
import { bytesToHex } from "@noble/hashes/utils.js";
import {
  type Credential,
  createApplicationMessage,
  createCommit,
  createGroup,
  createGroupInfoWithExternalPub,
  createProposal,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  type Proposal,
} from "ts-mls";
import { encodeCapabilities } from "ts-mls/capabilities.js";
import { encodeCredential } from "ts-mls/credential.js";
import { encodeCiphersuite } from "ts-mls/crypto/ciphersuite.js";
import { encodeExternalSender } from "ts-mls/externalSender.js";
import { encodeGroupInfo } from "ts-mls/groupInfo.js";
import { encodeHpkeCiphertext } from "ts-mls/hpkeCiphertext.js";
import { encodeKeyPackage } from "ts-mls/keyPackage.js";
import { encodeNode } from "ts-mls/ratchetTree.js";
import { encodeRequiredCapabilities } from "ts-mls/requiredCapabilities.js";
import { encodeWelcome } from "ts-mls/welcome.js";

const utf8 = new TextEncoder();
const basic = (uri: string): Credential => ({ credentialType: "basic", identity: utf8.encode(uri) });

const suite = await getCiphersuiteImpl(getCiphersuiteFromName("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"));
const alice = await generateKeyPackage(
  basic("mimi://a.example/d/alice/1"),
  defaultCapabilities(),
  defaultLifetime,
  [],
  suite,
);
const bob = await generateKeyPackage(
  basic("mimi://b.example/d/bob/1"),
  defaultCapabilities(),
  defaultLifetime,
  [],
  suite,
);
const hub = await suite.signature.keygen();

let aliceState = await createGroup(
  utf8.encode("mimi://a.example/r/clubhouse"),
  alice.publicPackage,
  alice.privatePackage,
  [],
  suite,
);
const addBob: Proposal = { proposalType: "add", add: { keyPackage: bob.publicPackage } };
const added = await createCommit(
  { state: aliceState, cipherSuite: suite },
  { wireAsPublicMessage: true, extraProposals: [addBob] },
);
aliceState = added.newState;
if (added.welcome === undefined) throw new Error("no Welcome");
let bobState = await joinGroup(
  added.welcome,
  bob.publicPackage,
  bob.privatePackage,
  emptyPskIndex,
  suite,
  aliceState.ratchetTree,
);

const removeProposal = await createProposal(bobState, true, { proposalType: "remove", remove: { removed: 0 } }, suite);
bobState = removeProposal.newState;
const application = await createApplicationMessage(aliceState, utf8.encode("hello"), suite);
const groupInfo = await createGroupInfoWithExternalPub(aliceState, [], suite);
const secret = added.welcome.secrets[0];
if (secret === undefined) throw new Error("no Welcome secrets");
const firstNode = aliceState.ratchetTree[0];
if (firstNode === undefined) throw new Error("empty tree");

const fixtures = {
  description:
    "Real MLS objects (RFC 9420 encodings, made with ts-mls 1.6.4: group mimi://a.example/r/clubhouse, alice adds bob) embedded in the protocol vectors.",
  cipherSuite: bytesToHex(encodeCiphersuite("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519")),
  keyPackageAlice: bytesToHex(encodeKeyPackage(alice.publicPackage)),
  keyPackageBob: bytesToHex(encodeKeyPackage(bob.publicPackage)),
  credential: bytesToHex(encodeCredential(basic("mimi://a.example/d/alice/1"))),
  capabilities: bytesToHex(encodeCapabilities(defaultCapabilities())),
  requiredCapabilities: bytesToHex(
    encodeRequiredCapabilities({ extensionTypes: [], proposalTypes: [], credentialTypes: ["basic"] }),
  ),
  externalSender: bytesToHex(
    encodeExternalSender({ signaturePublicKey: hub.publicKey, credential: basic("mimi://a.example") }),
  ),
  signaturePublicKey: bytesToHex(hub.publicKey),
  hpkePublicKey: bytesToHex(groupInfo.extensions[0]?.extensionData ?? new Uint8Array(32)),
  hpkeCiphertext: bytesToHex(encodeHpkeCiphertext(secret.encryptedGroupSecrets)),
  groupInfo: bytesToHex(encodeGroupInfo(groupInfo)),
  welcome: bytesToHex(encodeWelcome(added.welcome)),
  ratchetTreeNode: bytesToHex(encodeNode(firstNode)),
  commitMessage: bytesToHex(encodeMlsMessage(added.commit)),
  proposalMessage: bytesToHex(encodeMlsMessage(removeProposal.message)),
  applicationMessage: bytesToHex(
    encodeMlsMessage({
      version: "mls10",
      wireformat: "mls_private_message",
      privateMessage: application.privateMessage,
    }),
  ),
  welcomeMessage: bytesToHex(encodeMlsMessage({ version: "mls10", wireformat: "mls_welcome", welcome: added.welcome })),
};

writeFileSync(new URL("../vectors/mls-fixtures.json", import.meta.url), `${JSON.stringify(fixtures, null, 2)}\n`);
console.log("wrote vectors/mls-fixtures.json");
