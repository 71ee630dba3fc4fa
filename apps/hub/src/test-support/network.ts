import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Clock } from "../clock.js";
import { type HubConfig, parseConfig } from "../config.js";
import type { BackoffPolicy } from "../deliveryQueue.js";
import { type CertificateAuthority, createCertificateAuthority, issueProviderCertificate } from "../devPki.js";
import { createLogger } from "../logger.js";
import { type RunningHub, startHub } from "../server.js";

/** A temporary directory, removed by the returned function. */
export async function temporaryDirectory(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "mimi-hub-test-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface ProviderCredentials {
  readonly domain: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** A CA and certificates in a directory, as devnet makes them. */
export class TestPki {
  readonly caPath: string;

  private constructor(
    readonly dir: string,
    readonly ca: CertificateAuthority,
    readonly caPem: string,
  ) {
    this.caPath = join(dir, "ca.pem");
  }

  static async create(dir: string): Promise<TestPki> {
    const ca = await createCertificateAuthority("test CA");
    const pki = new TestPki(dir, ca, ca.certificate.toString("pem"));
    await writeFile(pki.caPath, pki.caPem);
    return pki;
  }

  /** A provider certificate for `domain` issued by this CA (or by `issuer`), written to the directory. */
  async credentials(
    domain: string,
    options: { issuer?: CertificateAuthority; notBefore?: Date; notAfter?: Date; name?: string } = {},
  ): Promise<ProviderCredentials> {
    const issued = await issueProviderCertificate(options.issuer ?? this.ca, domain, {
      ...(options.notBefore === undefined ? {} : { notBefore: options.notBefore }),
      ...(options.notAfter === undefined ? {} : { notAfter: options.notAfter }),
    });
    const name = options.name ?? domain;
    const certPath = join(this.dir, `${name}.pem`);
    const keyPath = join(this.dir, `${name}-key.pem`);
    await writeFile(certPath, issued.certificatePem);
    await writeFile(keyPath, issued.privateKeyPem);
    return { domain, certPath, keyPath, certPem: issued.certificatePem, keyPem: issued.privateKeyPem };
  }
}

/** Collects a logger's JSON lines. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString("utf8").split("\n")) if (line !== "") this.lines.push(JSON.parse(line));
    callback();
  }
}

export interface TestHub extends RunningHub {
  readonly config: HubConfig;
  readonly credentials: ProviderCredentials;
  readonly logs: LogCapture;
}

/** A provider on 127.0.0.1 with an ephemeral port, its data in `<pki.dir>/<domain>-data` unless given. */
export async function startTestHub(
  pki: TestPki,
  domain: string,
  options: {
    peers?: Record<string, string>;
    clock?: Clock;
    keepaliveMs?: number;
    dataDir?: string;
    credentials?: ProviderCredentials;
    port?: number;
    backoff?: BackoffPolicy;
  } = {},
): Promise<TestHub> {
  const credentials = options.credentials ?? (await pki.credentials(domain));
  const config = parseConfig(
    {
      domain,
      listen: { host: "127.0.0.1", port: options.port ?? 0 },
      publicUrl: `https://${domain}`,
      tls: { cert: credentials.certPath, key: credentials.keyPath, ca: pki.caPath },
      dataDir: options.dataDir ?? join(pki.dir, `${domain}-data`),
      peers: options.peers ?? {},
      logLevel: "info",
    },
    { baseDir: pki.dir, source: "test" },
  );
  const logs = new LogCapture();
  const hub = await startHub(config, {
    logger: createLogger(domain, "info", logs),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.keepaliveMs === undefined ? {} : { keepaliveMs: options.keepaliveMs }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
  });
  return { ...hub, close: () => hub.close(), config, credentials, logs };
}
