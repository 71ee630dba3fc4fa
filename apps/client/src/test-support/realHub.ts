/**
 * A real provider (apps/hub's startHub) on 127.0.0.1 with an ephemeral port,
 * certificates from a test CA in a temporary directory, and a peer
 * provider's mutual-TLS requests to it (as the Hub of a room calls a
 * follower, protocol-06 s.4.1).
 */
import { writeFile } from "node:fs/promises";
import type { IncomingHttpHeaders } from "node:http";
import { request } from "node:https";
import { join } from "node:path";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  createLogger,
  issueProviderCertificate,
  parseConfig,
  type RunningHub,
  startHub,
} from "@mimi-ts/hub";

export interface TestProvider {
  readonly hub: RunningHub;
  readonly caPath: string;
  readonly ca: CertificateAuthority;
  readonly caPem: string;
}

/** A CA in `dir` (`ca.pem`) and a provider for `domain` using it, silent. */
export async function startTestProvider(dir: string, domain: string): Promise<TestProvider> {
  const ca = await createCertificateAuthority("client test CA");
  const caPem = ca.certificate.toString("pem");
  const caPath = join(dir, "ca.pem");
  await writeFile(caPath, caPem);
  const issued = await issueProviderCertificate(ca, domain);
  await writeFile(join(dir, `${domain}.pem`), issued.certificatePem);
  await writeFile(join(dir, `${domain}-key.pem`), issued.privateKeyPem);
  const config = parseConfig(
    {
      domain,
      listen: { host: "127.0.0.1", port: 0 },
      publicUrl: `https://${domain}`,
      tls: { cert: `${domain}.pem`, key: `${domain}-key.pem`, ca: "ca.pem" },
      dataDir: `${domain}-data`,
      peers: {},
      logLevel: "silent",
    },
    { baseDir: dir, source: "test" },
  );
  const hub = await startHub(config, { logger: createLogger(domain, "silent") });
  return { hub, caPath, ca, caPem };
}

export interface PeerAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A peer provider: its certificate from the test CA, and POSTs with mutual TLS to the provider under test. */
export class TestPeer {
  private constructor(
    readonly domain: string,
    private readonly target: TestProvider,
    private readonly targetDomain: string,
    private readonly cert: string,
    private readonly key: string,
  ) {}

  static async create(domain: string, target: TestProvider, targetDomain: string): Promise<TestPeer> {
    const issued = await issueProviderCertificate(target.ca, domain);
    return new TestPeer(domain, target, targetDomain, issued.certificatePem, issued.privateKeyPem);
  }

  post(path: string, body: Uint8Array): Promise<PeerAnswer> {
    return new Promise((resolve, reject) => {
      const outgoing = request(
        {
          host: "127.0.0.1",
          port: this.target.hub.port,
          method: "POST",
          path,
          ca: this.target.caPem,
          cert: this.cert,
          key: this.key,
          agent: false,
          headers: {
            host: this.targetDomain,
            from: `mimi@${this.domain}`,
            "content-type": "application/octet-stream",
            "content-length": String(body.length),
          },
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
          incoming.on("end", () =>
            resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks) }),
          );
          incoming.on("error", reject);
        },
      );
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  }
}
