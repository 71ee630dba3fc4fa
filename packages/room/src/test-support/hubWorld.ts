/**
 * Test helpers for the Hub's enforcement: outcomes checked with their
 * reasons, fan-out delivered to members through the wire encodings, joins
 * from fanned-out Welcomes, and the agreement of the Hub's view with members.
 */
import { decode, encode } from "@mimi-ts/codec";
import {
  type FanoutMessage,
  fanoutMessage,
  type HandshakeBundle,
  type SubmitMessageRequest,
  submitMessageRequest,
} from "@mimi-ts/protocol";
import type { MLSMessage } from "ts-mls";
import { encodeGroupContext } from "ts-mls/groupContext.js";
import { treeHashRoot } from "ts-mls/treeHash.js";
import { expect } from "vitest";
import type {
  CommitAccepted,
  HubRoom,
  ProposalsAccepted,
  SubmitOutcome,
  UpdateOutcome,
  UpdateRefused,
  WelcomeFanout,
} from "../hubRoom.js";
import { type ClientKeyPackage, joinRoom, processHandshake, type Room } from "../roomMember.js";
import { expectOk, overTheWire } from "./members.js";

export function expectCommitAccepted(outcome: UpdateOutcome): CommitAccepted {
  if (!outcome.accepted) return expect.fail(`the Hub refused the commit: ${outcome.reason}`);
  if (outcome.kind !== "commit") return expect.fail("expected a commit");
  return outcome;
}

export function expectProposalsAccepted(outcome: UpdateOutcome): ProposalsAccepted {
  if (!outcome.accepted) return expect.fail(`the Hub refused the proposals: ${outcome.reason}`);
  if (outcome.kind !== "proposals") return expect.fail("expected proposals");
  return outcome;
}

export function expectRefused(outcome: UpdateOutcome): UpdateRefused {
  if (outcome.accepted) return expect.fail(`the Hub accepted ${outcome.kind}, a refusal was expected`);
  return outcome;
}

/** The refusal codes of the policy engine behind a refused update. */
export function policyCodes(outcome: UpdateOutcome | SubmitOutcome): string[] {
  if (outcome.accepted) return expect.fail("the Hub accepted it, a refusal was expected");
  return outcome.refusals.map((refusal) => refusal.code);
}

/** A FanoutMessage as a follower receives it, through its wire encoding. */
export function fanoutOverTheWire(message: FanoutMessage): FanoutMessage {
  return decode(fanoutMessage, encode(fanoutMessage, message));
}

/** The handshake of a fanned-out proposal or commit, with its moreProposals. */
function handshakeOf(message: FanoutMessage): { message: MLSMessage; moreProposals: MLSMessage[] } {
  const { content } = fanoutOverTheWire(message);
  return { message: content.message, moreProposals: "moreProposals" in content ? content.moreProposals : [] };
}

/** Every room processes a fanned-out handshake. */
export async function deliverFanout(rooms: readonly Room[], message: FanoutMessage): Promise<Room[]> {
  const { message: handshake, moreProposals } = handshakeOf(message);
  const results: Room[] = [];
  for (const room of rooms) results.push(expectOk(await processHandshake(room, handshake, moreProposals)).room);
  return results;
}

/** The Hub receives the bundle through its wire encoding and decides it. */
export function submitOverTheWire(request: SubmitMessageRequest): SubmitMessageRequest {
  return decode(submitMessageRequest, encode(submitMessageRequest, request));
}

export function bundleOverTheWire(bundle: HandshakeBundle): HandshakeBundle {
  return overTheWire(bundle);
}

/** The new clients join from the fanned-out Welcome of their provider. */
export async function joinFromWelcomes(
  welcomes: readonly WelcomeFanout[],
  domain: string,
  keyPackages: readonly ClientKeyPackage[],
): Promise<Room[]> {
  const delivery = welcomes.find((entry) => entry.domain === domain);
  if (delivery === undefined) return expect.fail(`no Welcome for ${domain}`);
  const { content } = fanoutOverTheWire(delivery.message);
  if (content.message.wireformat !== "mls_welcome" || !("ratchetTreeOption" in content)) {
    return expect.fail("not a Welcome");
  }
  const rooms: Room[] = [];
  for (const keyPackage of keyPackages) {
    const { welcome } = content.message;
    rooms.push(expectOk(await joinRoom({ welcome, ratchetTreeOption: content.ratchetTreeOption, keyPackage })).room);
  }
  return rooms;
}

/** The Hub's view and every member have the same GroupContext bytes and the same tree hash. */
export async function expectHubAgrees(hubRoom: HubRoom, rooms: readonly Room[]): Promise<void> {
  const { groupContext, ratchetTree } = hubRoom.group;
  const cs = hubRoom.options.cipherSuite;
  const hubContext = Buffer.from(encodeGroupContext(groupContext)).toString("hex");
  const hubTreeHash = Buffer.from(await treeHashRoot(ratchetTree, cs.hash)).toString("hex");
  for (const room of rooms) {
    expect(Buffer.from(encodeGroupContext(room.state.groupContext)).toString("hex")).toBe(hubContext);
    expect(Buffer.from(await treeHashRoot(room.state.ratchetTree, cs.hash)).toString("hex")).toBe(hubTreeHash);
  }
}

export function hexes(values: readonly Uint8Array[]): string[] {
  return values.map((value) => Buffer.from(value).toString("hex")).sort();
}
