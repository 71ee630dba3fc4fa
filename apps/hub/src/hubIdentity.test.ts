import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SignatureLabel } from "@mimi-ts/protocol";
import { RoomCipherSuite } from "@mimi-ts/room";
import { getCiphersuiteFromName, getCiphersuiteImpl } from "ts-mls";
import { verifyWithLabel } from "ts-mls/crypto/signature.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HubIdentity, HubIdentityError, IDENTITY_FILE } from "./hubIdentity.js";
import { temporaryDirectory } from "./test-support/network.js";

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;

beforeAll(async () => {
  directory = await temporaryDirectory();
});

afterAll(async () => {
  await directory?.remove();
});

const utf8 = new TextEncoder();

describe("the Hub's signing identity", () => {
  it("is created once in the data directory, readable by the owner only, and the same after a restart", async () => {
    const dataDir = join(directory.path, "once");
    const first = await HubIdentity.load(dataDir, "a.example");
    expect((await stat(join(dataDir, IDENTITY_FILE))).mode & 0o777).toBe(0o600);
    const again = await HubIdentity.load(dataDir, "a.example");
    for (const suite of Object.values(RoomCipherSuite)) {
      expect(again.externalSender(suite)).toEqual(first.externalSender(suite));
    }
  });

  it("names the provider in a basic credential, with an Ed25519 and a P-256 key, and signs with the suite's", async () => {
    const identity = await HubIdentity.load(join(directory.path, "keys"), "a.example");
    const ed25519 = identity.externalSender(RoomCipherSuite.x25519);
    const p256 = identity.externalSender(RoomCipherSuite.p256);
    expect(ed25519.credential).toEqual({ credentialType: "basic", identity: utf8.encode("mimi://a.example") });
    expect(p256.credential).toEqual(ed25519.credential);
    expect(ed25519.signaturePublicKey).toHaveLength(32);
    expect(p256.signaturePublicKey).not.toEqual(ed25519.signaturePublicKey);
    for (const [suite, sender] of [
      [RoomCipherSuite.x25519, ed25519],
      [RoomCipherSuite.p256, p256],
    ] as const) {
      const content = utf8.encode("GroupInfoResponseTBS bytes");
      const signature = await identity.sign(suite, SignatureLabel.groupInfoResponse, content);
      const scheme = (await getCiphersuiteImpl(getCiphersuiteFromName(suite))).signature;
      const verified = await verifyWithLabel(
        sender.signaturePublicKey,
        SignatureLabel.groupInfoResponse,
        content,
        signature,
        scheme,
      );
      expect(verified, suite).toBe(true);
    }
    expect(identity.supports("MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448")).toBe(false);
    expect(() => identity.externalSender("MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448")).toThrow(RangeError);
  });

  it("refuses an identity made for another domain, and one whose keys do not pair", async () => {
    const dataDir = join(directory.path, "foreign");
    await HubIdentity.load(dataDir, "a.example");
    const file = join(dataDir, IDENTITY_FILE);
    await expect(HubIdentity.load(dataDir, "b.example")).rejects.toThrow(
      `${file} is the identity of "a.example", this provider is b.example`,
    );
    const json = JSON.parse(await readFile(file, "utf8"));
    const other = JSON.parse(await readFile(join(directory.path, "once", IDENTITY_FILE), "utf8"));
    json.signatureKeys.Ed25519.publicKey = other.signatureKeys.Ed25519.publicKey;
    await writeFile(file, JSON.stringify(json));
    const mismatched = await HubIdentity.load(dataDir, "a.example").catch((error: unknown) => error);
    expect(mismatched).toBeInstanceOf(HubIdentityError);
    expect((mismatched as Error).message).toBe(`${file}: signatureKeys.Ed25519 is not a key pair of Ed25519`);
    await writeFile(file, JSON.stringify({ ...json, extra: 1 }));
    await expect(HubIdentity.load(dataDir, "a.example")).rejects.toThrow(`${file}: extra is not a known field`);
  });
});
