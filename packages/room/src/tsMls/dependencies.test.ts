/**
 * How ts-mls 1.6.4 is installed here: its undeclared @noble/hashes
 * dependency is declared by pnpm-workspace.yaml's packageExtensions, and
 * patches/ts-mls@1.6.4.patch is applied through patchedDependencies, recorded
 * in the lockfile so that a frozen install applies it.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  applyAppDataUpdates,
  createCustomCredential,
  createGroup,
  decodeExternalSenders,
  defaultLifetime,
  encodeExternalSenders,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  makeAppDataUpdateProposal,
  makeSelfRemoveProposal,
  nextGroupContextExtensions,
  nobleCryptoProvider,
  selfRemovedLeaves,
} from "ts-mls";
import { describe, expect, it } from "vitest";
import { basicCredential, capabilities, hex, SUITE } from "../test-support/tsMlsGroup.js";

const repoRoot = new URL("../../../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, repoRoot), "utf8");

describe("ts-mls's dependencies", () => {
  it("resolves @noble/hashes from ts-mls itself (packageExtensions)", () => {
    const tsMlsEntry = createRequire(import.meta.url).resolve("ts-mls");
    expect(() => createRequire(tsMlsEntry).resolve("@noble/hashes/sha2.js")).not.toThrow();
  });

  it("hashes with @noble/hashes through ts-mls's noble provider", async () => {
    const suite = await getCiphersuiteImpl(getCiphersuiteFromName(SUITE), nobleCryptoProvider);
    // FIPS 180-2, appendix B.1: SHA-256("abc").
    expect(hex(await suite.hash.digest(new TextEncoder().encode("abc")))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    // And a group on that provider works.
    const alice = await generateKeyPackage(basicCredential("alice"), capabilities(), defaultLifetime, [], suite);
    const state = await createGroup(new Uint8Array([1]), alice.publicPackage, alice.privatePackage, [], suite);
    expect(state.groupContext.treeHash).toHaveLength(32);
  });
});

describe("the ts-mls patch", () => {
  it("is installed: its exports are there", () => {
    const patched = [
      encodeExternalSenders,
      decodeExternalSenders,
      applyAppDataUpdates,
      nextGroupContextExtensions,
      selfRemovedLeaves,
      makeSelfRemoveProposal,
      makeAppDataUpdateProposal,
      createCustomCredential,
    ];
    for (const exported of patched) expect(typeof exported).toBe("function");
  });

  it("is declared in pnpm-workspace.yaml and recorded in the lockfile with its current hash", () => {
    expect(read("pnpm-workspace.yaml")).toMatch(
      /^patchedDependencies:\n {2}ts-mls@1\.6\.4: patches\/ts-mls@1\.6\.4\.patch$/m,
    );
    const patchHash = createHash("sha256")
      .update(readFileSync(new URL("patches/ts-mls@1.6.4.patch", repoRoot)))
      .digest("hex");
    // pnpm records the SHA-256 of the patch file; a frozen install refuses a lockfile whose hash is stale.
    expect(read("pnpm-lock.yaml")).toContain(`patchedDependencies:\n  ts-mls@1.6.4: ${patchHash}\n`);
    expect(read("pnpm-lock.yaml")).toContain(`ts-mls@1.6.4(patch_hash=${patchHash})`);
  });
});
