import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { CodecError, decode as decodeCodec, encode as encodeCodec } from "@mimi-ts/codec";
import {
  ContentError,
  computeMessageId,
  decode as decodeContent,
  decodeDerivedValues,
  encodeDerivedValues,
  type MessageDerivedValues,
  type MimiContent,
} from "@mimi-ts/content";
import { keyPackage as keyPackageCodec } from "@mimi-ts/protocol";
import {
  decodeRoom,
  encodeRoom,
  parseClientUri,
  type Room,
  RoomCipherSuite,
  type RoomCipherSuiteName,
  type SignatureKeyPair,
} from "@mimi-ts/room";
import type { KeyPackage } from "ts-mls";
import { ClientError } from "./errors.js";
import { ensurePrivateDirectory, readTextIfExists, writeFileAtomically } from "./files.js";
import { JsonReader, toBase64, toHex } from "./strictJson.js";

/**
 * The device's state in its home directory (see README "State directory"):
 *
 * - `device.json`: the provider, the identity, the bearer token, the
 *   signature key pair, the event cursor, and the private parts of the
 *   KeyPackages published and not yet used;
 * - `rooms/<SHA-256 of the room URI, hex>.json`: one per room, its MLS state
 *   (@mimi-ts/room's encodeRoom), the cursor of the last event applied to
 *   it, the digests of the messages this device sent lately (to recognize
 *   copies the Hub sends back), and the message log.
 *
 * Every file is JSON with a `format` and a `version`, written atomically with
 * mode 0600, and read strictly: unknown or missing fields, wrong types,
 * non-canonical base64 and MLS or MIMI content that does not decode are
 * errors naming the file and the field.
 */

export const DEVICE_FILE = "device.json";
export const ROOMS_DIRECTORY = "rooms";
const DEVICE_FORMAT = "mimi-client-device";
const ROOM_FORMAT = "mimi-client-room";
const STATE_VERSION = 1;

/** A KeyPackage this device published: the public part and the private keys a Welcome needs. */
export interface StoredKeyPackage {
  /** RFC 9420 s.5.2 KeyPackageRef, as the Welcome names it */
  readonly ref: Uint8Array;
  readonly publicPackage: KeyPackage;
  readonly initPrivateKey: Uint8Array;
  readonly hpkePrivateKey: Uint8Array;
}

export interface DeviceState {
  /** the provider's https base URL */
  readonly providerUrl: string;
  /** the PEM file of the CA the provider's certificate chains to; undefined: the system's trust store */
  readonly caFile: string | undefined;
  readonly clientUri: string;
  readonly userUri: string;
  /** the bearer token of the provider's client API */
  readonly token: string;
  readonly cipherSuite: RoomCipherSuiteName;
  /** the device's MLS signature key pair: every KeyPackage and leaf of this device carries it */
  readonly signatureKeyPair: SignatureKeyPair;
  /** the id of the last inbox event whose effects are stored */
  readonly cursor: number;
  readonly keyPackages: readonly StoredKeyPackage[];
}

/** A MIMI content message of the room, as received (or sent) with the values derived outside it (content-08 s.4.6). */
export interface LoggedMessage {
  /** the content as it travelled (CBOR) */
  readonly encoded: Uint8Array;
  readonly content: MimiContent;
  readonly derived: MessageDerivedValues;
}

/** A handshake or message this device sent, which the Hub may fan out back to it (protocol-06 s.5.5). */
export interface SentDigest {
  /** SHA-256 of the MLSMessage, hex */
  readonly digest: string;
  /** the Hub's accepted timestamp, milliseconds since the epoch */
  readonly acceptedAt: number;
}

export interface RoomRecord {
  readonly roomUri: string;
  /** the cursor of the last inbox event applied to this room (0: none), so a replayed event is not applied twice */
  readonly appliedCursor: number;
  readonly room: Room;
  /** what this device sent and no later event of the room has passed yet */
  readonly recentlySent: readonly SentDigest[];
  readonly messages: readonly LoggedMessage[];
}

const cipherSuites: readonly string[] = Object.values(RoomCipherSuite);

function encodeDevice(state: DeviceState): string {
  return `${JSON.stringify(
    {
      format: DEVICE_FORMAT,
      version: STATE_VERSION,
      providerUrl: state.providerUrl,
      caFile: state.caFile ?? null,
      clientUri: state.clientUri,
      userUri: state.userUri,
      token: state.token,
      cipherSuite: state.cipherSuite,
      signatureKeyPair: {
        publicKey: toBase64(state.signatureKeyPair.publicKey),
        signKey: toBase64(state.signatureKeyPair.signKey),
      },
      cursor: state.cursor,
      keyPackages: state.keyPackages.map((stored) => ({
        ref: toHex(stored.ref),
        keyPackage: toBase64(encodeCodec(keyPackageCodec, stored.publicPackage)),
        initPrivateKey: toBase64(stored.initPrivateKey),
        hpkePrivateKey: toBase64(stored.hpkePrivateKey),
      })),
    },
    null,
    2,
  )}\n`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function decodeDevice(text: string, source: string): DeviceState {
  const json: JsonReader = new JsonReader(source);
  const fields = json.object(json.parse(text), "", [
    "format",
    "version",
    "providerUrl",
    "caFile",
    "clientUri",
    "userUri",
    "token",
    "cipherSuite",
    "signatureKeyPair",
    "cursor",
    "keyPackages",
  ]);
  json.literal(fields.format, "format", DEVICE_FORMAT);
  json.literal(fields.version, "version", STATE_VERSION);
  const clientUri = json.text(fields.clientUri, "clientUri");
  const identity = parseClientUri(clientUri);
  if (!identity.ok) json.fail("clientUri", identity.error.reason);
  const userUri = json.literal(json.text(fields.userUri, "userUri"), "userUri", identity.identity.userUri);
  const cipherSuite = json.text(fields.cipherSuite, "cipherSuite");
  if (!cipherSuites.includes(cipherSuite)) json.fail("cipherSuite", `not a room cipher suite: ${cipherSuite}`);
  const keys = json.object(fields.signatureKeyPair, "signatureKeyPair", ["publicKey", "signKey"]);
  const signatureKeyPair = {
    publicKey: json.base64(keys.publicKey, "signatureKeyPair.publicKey"),
    signKey: json.base64(keys.signKey, "signatureKeyPair.signKey"),
  };
  const keyPackages = json.array(fields.keyPackages, "keyPackages").map((entry, index): StoredKeyPackage => {
    const path = `keyPackages[${index}]`;
    const stored = json.object(entry, path, ["ref", "keyPackage", "initPrivateKey", "hpkePrivateKey"]);
    let publicPackage: KeyPackage;
    try {
      publicPackage = decodeCodec(keyPackageCodec, json.base64(stored.keyPackage, `${path}.keyPackage`));
    } catch (error) {
      if (error instanceof CodecError) json.fail(`${path}.keyPackage`, error.message);
      throw error;
    }
    if (!sameBytes(publicPackage.leafNode.signaturePublicKey, signatureKeyPair.publicKey)) {
      json.fail(`${path}.keyPackage`, "its leaf's signature key is not the device's");
    }
    return {
      ref: json.hex(stored.ref, `${path}.ref`, 32),
      publicPackage,
      initPrivateKey: json.base64(stored.initPrivateKey, `${path}.initPrivateKey`),
      hpkePrivateKey: json.base64(stored.hpkePrivateKey, `${path}.hpkePrivateKey`),
    };
  });
  return {
    providerUrl: json.text(fields.providerUrl, "providerUrl"),
    caFile: json.textOrNull(fields.caFile, "caFile") ?? undefined,
    clientUri,
    userUri,
    token: json.text(fields.token, "token"),
    cipherSuite: cipherSuite as RoomCipherSuiteName,
    signatureKeyPair,
    cursor: json.count(fields.cursor, "cursor"),
    keyPackages,
  };
}

function encodeRoomRecord(record: RoomRecord): string {
  return `${JSON.stringify(
    {
      format: ROOM_FORMAT,
      version: STATE_VERSION,
      roomUri: record.roomUri,
      appliedCursor: record.appliedCursor,
      room: toBase64(encodeRoom(record.room)),
      recentlySent: record.recentlySent,
      messages: record.messages.map((message) => ({
        content: toBase64(message.encoded),
        derived: toBase64(encodeDerivedValues(message.derived)),
      })),
    },
    null,
    2,
  )}\n`;
}

function decodeRoomRecord(text: string, source: string): RoomRecord {
  const json: JsonReader = new JsonReader(source);
  const fields = json.object(json.parse(text), "", [
    "format",
    "version",
    "roomUri",
    "appliedCursor",
    "room",
    "recentlySent",
    "messages",
  ]);
  json.literal(fields.format, "format", ROOM_FORMAT);
  json.literal(fields.version, "version", STATE_VERSION);
  const roomUri = json.text(fields.roomUri, "roomUri");
  const decoded = decodeRoom(json.base64(fields.room, "room"));
  if (!decoded.ok) {
    json.fail("room", decoded.error.kind === "invalid" ? decoded.error.reason : "the stored room is refused");
  }
  const recentlySent = json.array(fields.recentlySent, "recentlySent").map((entry, index): SentDigest => {
    const path = `recentlySent[${index}]`;
    const sent = json.object(entry, path, ["digest", "acceptedAt"]);
    json.hex(sent.digest, `${path}.digest`, 32);
    return { digest: sent.digest as string, acceptedAt: json.count(sent.acceptedAt, `${path}.acceptedAt`) };
  });
  const messages = json.array(fields.messages, "messages").map((entry, index): LoggedMessage => {
    const path = `messages[${index}]`;
    const message = json.object(entry, path, ["content", "derived"]);
    const encoded = json.base64(message.content, `${path}.content`);
    let content: MimiContent;
    let derived: MessageDerivedValues;
    try {
      content = decodeContent(encoded);
      derived = decodeDerivedValues(json.base64(message.derived, `${path}.derived`));
    } catch (error) {
      if (error instanceof ContentError) json.fail(path, error.message);
      throw error;
    }
    if (derived.roomUrl !== roomUri) json.fail(`${path}.derived`, `names the room ${derived.roomUrl}`);
    const messageId = computeMessageId(encoded, content.salt, derived.senderUserUrl, roomUri);
    if (!sameBytes(messageId, derived.messageId)) json.fail(`${path}.derived`, "the message ID is not the content's");
    return { encoded, content, derived };
  });
  return {
    roomUri,
    appliedCursor: json.count(fields.appliedCursor, "appliedCursor"),
    room: decoded.room,
    recentlySent,
    messages,
  };
}

/** The file name of a room: room URIs hold characters file systems refuse, and may be long. */
function roomFileName(roomUri: string): string {
  return `${createHash("sha256").update(roomUri, "utf8").digest("hex")}.json`;
}

/** Reads and writes the state files of one home directory. */
export class StateStore {
  constructor(readonly home: string) {}

  private get devicePath(): string {
    return join(this.home, DEVICE_FILE);
  }

  private get roomsDirectory(): string {
    return join(this.home, ROOMS_DIRECTORY);
  }

  roomPath(roomUri: string): string {
    return join(this.roomsDirectory, roomFileName(roomUri));
  }

  /** Creates the home directory (mode 0700) if needed. */
  async create(): Promise<void> {
    await ensurePrivateDirectory(this.home);
  }

  async hasDevice(): Promise<boolean> {
    return (await readTextIfExists(this.devicePath)) !== undefined;
  }

  async readDevice(): Promise<DeviceState> {
    const text = await readTextIfExists(this.devicePath);
    if (text === undefined) throw new ClientError(`no device in ${this.home}: register one first (mimi register)`);
    return decodeDevice(text, this.devicePath);
  }

  async writeDevice(state: DeviceState): Promise<void> {
    await writeFileAtomically(this.devicePath, encodeDevice(state));
  }

  /** The room's record, or undefined when this device has never been in it. */
  async readRoom(roomUri: string): Promise<RoomRecord | undefined> {
    const path = this.roomPath(roomUri);
    const text = await readTextIfExists(path);
    if (text === undefined) return undefined;
    const record = decodeRoomRecord(text, path);
    if (record.roomUri !== roomUri)
      throw new ClientError(`${path}: roomUri: expected ${roomUri}, found ${record.roomUri}`);
    return record;
  }

  async writeRoom(record: RoomRecord): Promise<void> {
    await ensurePrivateDirectory(this.roomsDirectory);
    await writeFileAtomically(this.roomPath(record.roomUri), encodeRoomRecord(record));
  }

  /** Every room this device has a record of, by room URI. */
  async listRooms(): Promise<RoomRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.roomsDirectory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new ClientError(`cannot list ${this.roomsDirectory}: ${(error as NodeJS.ErrnoException).code}`);
    }
    const records: RoomRecord[] = [];
    for (const name of names.filter((entry) => entry.endsWith(".json")).sort()) {
      const path = join(this.roomsDirectory, name);
      const text = await readTextIfExists(path);
      if (text === undefined) continue;
      const record = decodeRoomRecord(text, path);
      if (roomFileName(record.roomUri) !== name) {
        throw new ClientError(`${path}: roomUri: ${record.roomUri} belongs in ${roomFileName(record.roomUri)}`);
      }
      records.push(record);
    }
    return records.sort((a, b) => (a.roomUri < b.roomUri ? -1 : a.roomUri > b.roomUri ? 1 : 0));
  }
}
