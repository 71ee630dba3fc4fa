import { readFileSync } from "node:fs";
import { decode } from "@mimi-ts/codec";
import { hexToBytes } from "@noble/hashes/utils.js";
import {
  capabilities,
  cipherSuite,
  credential,
  externalSender,
  groupInfo,
  hpkeCiphertext,
  keyPackage,
  mlsMessage,
  node,
  requiredCapabilities,
  welcome,
} from "../mls.js";

/**
 * Real MLS objects made by scripts/mls-fixtures.ts (one small ts-mls group),
 * decoded with this package's codecs, for examples and property tests.
 */
const raw = JSON.parse(readFileSync(new URL("../../vectors/mls-fixtures.json", import.meta.url), "utf8")) as Record<
  string,
  string
>;
const bytes = (name: string): Uint8Array => {
  const hex = raw[name];
  if (hex === undefined) throw new Error(`no MLS fixture ${name}`);
  return hexToBytes(hex);
};

export const mls = {
  cipherSuite: decode(cipherSuite, bytes("cipherSuite")),
  keyPackages: [decode(keyPackage, bytes("keyPackageAlice")), decode(keyPackage, bytes("keyPackageBob"))],
  credential: decode(credential, bytes("credential")),
  capabilities: decode(capabilities, bytes("capabilities")),
  requiredCapabilities: decode(requiredCapabilities, bytes("requiredCapabilities")),
  externalSender: decode(externalSender, bytes("externalSender")),
  signaturePublicKey: bytes("signaturePublicKey"),
  hpkePublicKey: bytes("hpkePublicKey"),
  hpkeCiphertext: decode(hpkeCiphertext, bytes("hpkeCiphertext")),
  groupInfo: decode(groupInfo, bytes("groupInfo")),
  welcome: decode(welcome, bytes("welcome")),
  node: decode(node, bytes("ratchetTreeNode")),
  commitMessage: decode(mlsMessage, bytes("commitMessage")),
  proposalMessage: decode(mlsMessage, bytes("proposalMessage")),
  applicationMessage: decode(mlsMessage, bytes("applicationMessage")),
  welcomeMessage: decode(mlsMessage, bytes("welcomeMessage")),
};
