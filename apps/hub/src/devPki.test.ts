import { X509Certificate } from "node:crypto";
import { statSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  caPaths,
  createCertificateAuthority,
  ensureCertificateAuthority,
  ensureProviderCertificate,
  issueProviderCertificate,
} from "./devPki.js";
import { temporaryDirectory } from "./test-support/network.js";

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
beforeEach(async () => {
  directory = await temporaryDirectory();
});
afterEach(async () => {
  await directory.remove();
});

describe("development PKI", () => {
  it("creates the CA once and reads it back afterwards", async () => {
    const first = await ensureCertificateAuthority(directory.path);
    expect(first.created).toBe(true);
    const { certPath, keyPath } = caPaths(directory.path);
    const pem = await readFile(certPath, "utf8");
    const again = await ensureCertificateAuthority(directory.path);
    expect(again.created).toBe(false);
    expect(await readFile(certPath, "utf8")).toBe(pem);
    expect(again.certificate.toString("pem")).toBe(first.certificate.toString("pem"));
    const ca = new X509Certificate(pem);
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect((statSync(keyPath).mode & 0o777).toString(8)).toBe("600");
  });

  it("refuses a CA certificate whose key is gone", async () => {
    await ensureCertificateAuthority(directory.path);
    await rm(caPaths(directory.path).keyPath);
    await expect(ensureCertificateAuthority(directory.path)).rejects.toThrow(
      /ca-key\.pem is missing while its pair exists/,
    );
  });

  it("issues a provider certificate for TLS server and client use, naming the domain and 127.0.0.1", async () => {
    const ca = await createCertificateAuthority();
    const issued = await issueProviderCertificate(ca, "a.example");
    const certificate = new X509Certificate(issued.certificatePem);
    expect(certificate.verify(new X509Certificate(ca.certificate.toString("pem")).publicKey)).toBe(true);
    expect(certificate.ca).toBe(false);
    expect(certificate.checkHost("a.example")).toBe("a.example");
    expect(certificate.checkHost("b.example")).toBeUndefined();
    expect(certificate.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(certificate.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
  });

  it("keeps a provider certificate on later runs, and reissues one the CA did not issue", async () => {
    const ca = await ensureCertificateAuthority(directory.path);
    const paths = { certPath: join(directory.path, "a", "cert.pem"), keyPath: join(directory.path, "a", "key.pem") };
    expect(await ensureProviderCertificate(ca, "a.example", paths)).toEqual({ created: true });
    const pem = await readFile(paths.certPath, "utf8");
    expect(await ensureProviderCertificate(ca, "a.example", paths)).toEqual({ created: false });
    expect(await readFile(paths.certPath, "utf8")).toBe(pem);

    const foreign = await issueProviderCertificate(await createCertificateAuthority("another CA"), "a.example");
    await writeFile(paths.certPath, foreign.certificatePem);
    expect(await ensureProviderCertificate(ca, "a.example", paths)).toEqual({ created: true });
    expect(await ensureProviderCertificate(ca, "b.example", paths)).toEqual({ created: true });
  });
});
