import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { RoomCipherSuite } from "@mimi-ts/room";
import {
  type CiphersuiteName,
  type ExternalSender,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  type Signature,
  type SignatureAlgorithm,
} from "ts-mls";
import { signWithLabel, verifyWithLabel } from "ts-mls/crypto/signature.js";

/** The file of the Hub's signing identity in the data directory. */
export const IDENTITY_FILE = "hub-identity.json";

const FORMAT = "mimi-hub-identity";
const VERSION = 1;

interface SigningKey {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
  readonly signature: Signature;
}

/** The signature scheme of each room cipher suite (RFC 9420 s.17.1), and its implementation. */
async function schemesOfRoomSuites(): Promise<Map<SignatureAlgorithm, Signature>> {
  const schemes = new Map<SignatureAlgorithm, Signature>();
  for (const name of Object.values(RoomCipherSuite)) {
    const scheme = getCiphersuiteFromName(name).signature;
    if (!schemes.has(scheme)) schemes.set(scheme, (await getCiphersuiteImpl(getCiphersuiteFromName(name))).signature);
  }
  return schemes;
}

/** A problem with the identity file; the message names the file and what is wrong. */
export class HubIdentityError extends Error {
  override readonly name = "HubIdentityError";
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

function fromBase64(text: unknown, field: string, file: string): Uint8Array {
  if (typeof text !== "string") throw new HubIdentityError(`${file}: ${field} must be a base64 string`);
  const bytes = Buffer.from(text, "base64");
  if (bytes.length === 0 || bytes.toString("base64") !== text) {
    throw new HubIdentityError(`${file}: ${field} is not canonical base64`);
  }
  return new Uint8Array(bytes);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function onlyFields(value: Record<string, unknown>, known: readonly string[], where: string, file: string): void {
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new HubIdentityError(`${file}: ${where}${unknown} is not a known field`);
}

/**
 * The provider's signing identity as a Hub: one MLS signature key pair per
 * signature scheme of the room cipher suites (Ed25519 for
 * MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519, P-256 for
 * MLS_128_DHKEMP256_AES128GCM_SHA256_P256) and the basic credential
 * `mimi://<domain>`, which @mimi-ts/room's member authentication service
 * accepts for external senders. Rooms hosted here list it in
 * external_senders (RFC 9420 s.12.1.8.1, protocol-06 s.7.4), and it signs
 * GroupInfoResponses (protocol-06 s.5.6).
 *
 * Created once, in `<dataDir>/hub-identity.json` (mode 0600), and kept: the
 * rooms stored here name its public keys, so losing it orphans them.
 */
export class HubIdentity {
  private constructor(
    readonly domain: string,
    private readonly keys: ReadonlyMap<SignatureAlgorithm, SigningKey>,
  ) {}

  /** Reads the identity of `dataDir`, creating it if there is none; refuses one made for another domain. */
  static async load(dataDir: string, domain: string): Promise<HubIdentity> {
    const file = join(dataDir, IDENTITY_FILE);
    const schemes = await schemesOfRoomSuites();
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      text = await HubIdentity.create(dataDir, file, domain, schemes);
    }
    return HubIdentity.parse(text, file, domain, schemes);
  }

  /**
   * Writes a new identity: to a temporary file, then linked to its name,
   * which fails if another process created one meanwhile (that one is kept).
   */
  private static async create(
    dataDir: string,
    file: string,
    domain: string,
    schemes: ReadonlyMap<SignatureAlgorithm, Signature>,
  ): Promise<string> {
    await mkdir(dataDir, { recursive: true });
    const signatureKeys: Record<string, { publicKey: string; privateKey: string }> = {};
    for (const [scheme, signature] of schemes) {
      const { publicKey, signKey } = await signature.keygen();
      signatureKeys[scheme] = { publicKey: base64(publicKey), privateKey: base64(signKey) };
    }
    const text = `${JSON.stringify({ format: FORMAT, version: VERSION, domain, signatureKeys }, null, 2)}\n`;
    const temporary = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    await writeFile(temporary, text, { mode: 0o600, flag: "wx", flush: true });
    try {
      await link(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      return readFile(file, "utf8");
    } finally {
      await unlink(temporary);
    }
    return text;
  }

  private static async parse(
    text: string,
    file: string,
    domain: string,
    schemes: ReadonlyMap<SignatureAlgorithm, Signature>,
  ): Promise<HubIdentity> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new HubIdentityError(`${file}: not JSON`);
    }
    if (!isObject(json)) throw new HubIdentityError(`${file}: must be a JSON object`);
    onlyFields(json, ["format", "version", "domain", "signatureKeys"], "", file);
    if (json.format !== FORMAT || json.version !== VERSION) {
      throw new HubIdentityError(`${file}: must be format "${FORMAT}", version ${VERSION}`);
    }
    if (json.domain !== domain) {
      throw new HubIdentityError(
        `${file} is the identity of ${JSON.stringify(json.domain)}, this provider is ${domain}`,
      );
    }
    const entries = json.signatureKeys;
    if (!isObject(entries)) throw new HubIdentityError(`${file}: signatureKeys must be an object`);
    onlyFields(entries, [...schemes.keys()], "signatureKeys.", file);
    const keys = new Map<SignatureAlgorithm, SigningKey>();
    for (const [scheme, signature] of schemes) {
      const entry = entries[scheme];
      if (!isObject(entry)) throw new HubIdentityError(`${file}: signatureKeys.${scheme} is missing`);
      onlyFields(entry, ["publicKey", "privateKey"], `signatureKeys.${scheme}.`, file);
      const key = {
        publicKey: fromBase64(entry.publicKey, `signatureKeys.${scheme}.publicKey`, file),
        privateKey: fromBase64(entry.privateKey, `signatureKeys.${scheme}.privateKey`, file),
        signature,
      };
      if (!(await HubIdentity.pairs(key))) {
        throw new HubIdentityError(`${file}: signatureKeys.${scheme} is not a key pair of ${scheme}`);
      }
      keys.set(scheme, key);
    }
    return new HubIdentity(domain, keys);
  }

  /** Whether the private key signs what the public key verifies. */
  private static async pairs(key: SigningKey): Promise<boolean> {
    const probe = new TextEncoder().encode("hub identity check");
    try {
      const signed = await signWithLabel(key.privateKey, "HubIdentityCheck", probe, key.signature);
      return await verifyWithLabel(key.publicKey, "HubIdentityCheck", probe, signed, key.signature);
    } catch {
      return false;
    }
  }

  /** The provider URI the credential names, `mimi://<domain>`. */
  get providerUri(): string {
    return `mimi://${this.domain}`;
  }

  /** Whether rooms of this cipher suite can be hosted here (it is a room cipher suite). */
  supports(cipherSuite: string): cipherSuite is CiphersuiteName {
    return (Object.values(RoomCipherSuite) as string[]).includes(cipherSuite);
  }

  /** The Hub as external sender of a room of `cipherSuite`: the key of the suite's signature scheme and the credential. */
  externalSender(cipherSuite: CiphersuiteName): ExternalSender {
    return {
      signaturePublicKey: this.keyFor(cipherSuite).publicKey,
      credential: { credentialType: "basic", identity: new TextEncoder().encode(this.providerUri) },
    };
  }

  /** SignWithLabel (RFC 9420 s.5.1.2) with the key of the suite's signature scheme. */
  sign(cipherSuite: CiphersuiteName, label: string, content: Uint8Array): Promise<Uint8Array> {
    const key = this.keyFor(cipherSuite);
    return signWithLabel(key.privateKey, label, content, key.signature);
  }

  private keyFor(cipherSuite: CiphersuiteName): SigningKey {
    const key = this.supports(cipherSuite) ? this.keys.get(getCiphersuiteFromName(cipherSuite).signature) : undefined;
    if (key === undefined) throw new RangeError(`${cipherSuite} is not a room cipher suite`);
    return key;
  }
}
