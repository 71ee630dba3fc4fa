/**
 * Test helpers for the member API: clients' KeyPackages, a Hub as external
 * sender, delivery of bundles and messages through their wire encodings, and
 * outcome checks that fail the test with the reasons.
 */
import { decode, encode } from "@mimi-ts/codec";
import { type HandshakeBundle, handshakeBundle, mlsMessage } from "@mimi-ts/protocol";
import { type ExternalSender, getCiphersuiteFromName, getCiphersuiteImpl, type MLSMessage } from "ts-mls";
import { encodeGroupContext } from "ts-mls/groupContext.js";
import { expect } from "vitest";
import { buildClientUri } from "../identity.js";
import {
  type ClientKeyPackage,
  newClientKeyPackage,
  type Outcome,
  processHandshake,
  type Room,
  RoomCipherSuite,
  type RoomCipherSuiteName,
} from "../roomMember.js";

export const alice = "mimi://a.example/u/alice";
export const bob = "mimi://b.example/u/bob";
export const cathy = "mimi://c.example/u/cathy";
export const clubhouse = "mimi://a.example/r/clubhouse";
export const hubUri = "mimi://a.example";

/** `clientOf(bob, 2)` is mimi://b.example/d/bob/2. */
export function clientOf(user: string, n: number): string {
  return buildClientUri(user, String(n));
}

export function keyPackage(
  user: string,
  n: number,
  cipherSuite: RoomCipherSuiteName = RoomCipherSuite.x25519,
): Promise<ClientKeyPackage> {
  return newClientKeyPackage(clientOf(user, n), { cipherSuite });
}

export interface Hub {
  readonly sender: ExternalSender;
  readonly signKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** The Hub of a.example: a signature key of the suite and a basic credential naming mimi://a.example. */
export async function newHub(cipherSuite: RoomCipherSuiteName = RoomCipherSuite.x25519): Promise<Hub> {
  const cs = await getCiphersuiteImpl(getCiphersuiteFromName(cipherSuite));
  const keys = await cs.signature.keygen();
  return {
    sender: {
      signaturePublicKey: keys.publicKey,
      credential: { credentialType: "basic", identity: new TextEncoder().encode(hubUri) },
    },
    signKey: keys.signKey,
    publicKey: keys.publicKey,
  };
}

/** The value of a successful outcome; a failed one fails the test with its reasons. */
export function expectOk<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) {
    const { error } = outcome;
    expect.fail(
      error.kind === "refused"
        ? `refused: ${error.refusals.map((refusal) => refusal.reason).join("; ")}`
        : error.reason,
    );
  }
  return outcome;
}

/** The refusal codes of a refused outcome (fails the test otherwise). */
export function refusalCodes(outcome: Outcome<unknown>): string[] {
  if (outcome.ok) return expect.fail("expected a refusal, the operation succeeded");
  if (outcome.error.kind !== "refused") return expect.fail(`expected a refusal, got: ${outcome.error.reason}`);
  return outcome.error.refusals.map((refusal) => refusal.code);
}

/** The reason of an invalid outcome (fails the test otherwise). */
export function invalidReason(outcome: Outcome<unknown>): string {
  if (outcome.ok) return expect.fail("expected the operation to be invalid, it succeeded");
  if (outcome.error.kind !== "invalid") {
    return expect.fail(`expected invalid, got refusals: ${outcome.error.refusals.map((r) => r.code).join(", ")}`);
  }
  return outcome.error.reason;
}

/** A HandshakeBundle as the Hub receives it: encoded and decoded with @mimi-ts/protocol's codec. */
export function overTheWire(bundle: HandshakeBundle): HandshakeBundle {
  return decode(handshakeBundle, encode(handshakeBundle, bundle));
}

/** An MLSMessage through its wire encoding. */
export function messageOverTheWire(message: MLSMessage): MLSMessage {
  return decode(mlsMessage, encode(mlsMessage, message));
}

/** Every room processes the bundle's handshake (with its moreProposals), returning the rooms after it. */
export async function deliver(rooms: readonly Room[], bundle: HandshakeBundle): Promise<Room[]> {
  const received = overTheWire(bundle);
  const more = "moreProposals" in received ? received.moreProposals : [];
  const results: Room[] = [];
  for (const room of rooms) {
    results.push(expectOk(await processHandshake(room, received.proposalOrCommit, more)).room);
  }
  return results;
}

/** The members agree: their GroupContexts have the same RFC 9420 encoding. */
export function expectAgreement(rooms: readonly Room[]): void {
  const [first, ...others] = rooms.map((room) =>
    Buffer.from(encodeGroupContext(room.state.groupContext)).toString("hex"),
  );
  for (const other of others) expect(other).toBe(first);
}
