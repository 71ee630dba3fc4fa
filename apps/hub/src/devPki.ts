import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import * as x509 from "@peculiar/x509";

/**
 * A development PKI for `mimi-hub devnet` and the tests: one CA, and one
 * certificate per provider naming its domain (protocol-06 s.4.1: the TLS
 * certificates authenticate the provider domains, RFC 6125) and 127.0.0.1,
 * usable as TLS server and client certificate. ECDSA P-256 with SHA-256.
 * Not for production: the CA key sits unencrypted beside its certificate.
 */

// Node's WebCrypto, typed by @types/node rather than the DOM library x509's types expect.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** A provider certificate with less validity left than this is issued again. */
const RENEW_BEFORE_MS = 7 * DAY_MS;

export interface CertificateAuthority {
  readonly certificate: x509.X509Certificate;
  readonly privateKey: CryptoKey;
}

export interface IssuedCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface ValidityOptions {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
  return (await webcrypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(pem), KEY_ALGORITHM, true, [
    "sign",
  ])) as CryptoKey;
}

function validity(options: ValidityOptions, years: number): { notBefore: Date; notAfter: Date } {
  const notBefore = options.notBefore ?? new Date(Date.now() - DAY_MS);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + years * 365 * DAY_MS);
  return { notBefore, notAfter };
}

/** A new self-signed CA, in memory. */
export async function createCertificateAuthority(
  name = "mimi-ts development CA",
  options: ValidityOptions = {},
): Promise<CertificateAuthority> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: new x509.Name([{ CN: [name] }]),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validity(options, 10),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, privateKey: keys.privateKey };
}

/** A provider certificate for `domain` (dNSName) and 127.0.0.1 (iPAddress), for TLS servers and clients. */
export async function issueProviderCertificate(
  ca: CertificateAuthority,
  domain: string,
  options: ValidityOptions = {},
): Promise<IssuedCertificate> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.create({
    subject: new x509.Name([{ CN: [domain] }]),
    issuer: ca.certificate.subjectName,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validity(options, 2),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: domain },
        { type: "ip", value: "127.0.0.1" },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
    ],
  });
  return { certificatePem: certificate.toString("pem"), privateKeyPem: await privateKeyPem(keys.privateKey) };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Writes a file, creating its directory; private keys are readable by their owner only. */
async function writePem(path: string, pem: string, secret: boolean): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, pem, { mode: secret ? 0o600 : 0o644 });
}

/** Where the development CA lives in a devnet directory. */
export function caPaths(dir: string): { readonly certPath: string; readonly keyPath: string } {
  return { certPath: join(dir, "ca.pem"), keyPath: join(dir, "ca-key.pem") };
}

/**
 * The development CA of `dir` (`ca.pem`, its key beside it in `ca-key.pem`),
 * created on the first call and read back on later ones.
 */
export async function ensureCertificateAuthority(dir: string): Promise<CertificateAuthority & { created: boolean }> {
  const { certPath, keyPath } = caPaths(dir);
  const [certificatePem, keyPem] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (certificatePem !== undefined && keyPem !== undefined) {
    return {
      certificate: new x509.X509Certificate(certificatePem),
      privateKey: await importPrivateKey(keyPem),
      created: false,
    };
  }
  if (certificatePem !== undefined || keyPem !== undefined) {
    const missing = certificatePem === undefined ? certPath : keyPath;
    throw new Error(`${missing} is missing while its pair exists: restore it, or remove both to create a new CA`);
  }
  const ca = await createCertificateAuthority();
  await writePem(keyPath, await privateKeyPem(ca.privateKey), true);
  await writePem(certPath, ca.certificate.toString("pem"), false);
  return { ...ca, created: true };
}

/** Whether a PEM certificate was issued by `ca`, names `domain`, and stays valid for a while. */
async function isUsable(pem: string, ca: CertificateAuthority, domain: string, now: Date): Promise<boolean> {
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(pem);
  } catch {
    return false;
  }
  if (certificate.notAfter.getTime() - now.getTime() < RENEW_BEFORE_MS || certificate.notBefore > now) return false;
  const san = certificate.getExtension(x509.SubjectAlternativeNameExtension);
  if (san === null || !san.names.items.some((name) => name.type === "dns" && name.value === domain)) return false;
  return certificate.verify({ publicKey: ca.certificate.publicKey, signatureOnly: true });
}

/**
 * The certificate and key of `domain` at the given paths: kept when they
 * exist, were issued by `ca`, name the domain and are not about to expire;
 * issued (again) otherwise.
 */
export async function ensureProviderCertificate(
  ca: CertificateAuthority,
  domain: string,
  paths: { readonly certPath: string; readonly keyPath: string },
): Promise<{ created: boolean }> {
  const [certificatePem, keyPem] = await Promise.all([readIfExists(paths.certPath), readIfExists(paths.keyPath)]);
  if (
    certificatePem !== undefined &&
    keyPem !== undefined &&
    (await isUsable(certificatePem, ca, domain, new Date()))
  ) {
    return { created: false };
  }
  const issued = await issueProviderCertificate(ca, domain);
  await writePem(paths.keyPath, issued.privateKeyPem, true);
  await writePem(paths.certPath, issued.certificatePem, false);
  return { created: true };
}
