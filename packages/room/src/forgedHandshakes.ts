/**
 * Handshakes as a client that skips its own policy checks would send them:
 * valid MLS, built with ts-mls directly from a member's state, so that the
 * Hub's enforcement (hubRoom.ts) is what refuses them. The simulation
 * (sim.ts) uses them to try violations; they never change the member's room.
 */
import {
  type AppDataUpdate,
  AppDataUpdateOperation,
  GroupInfoRepresentation,
  type HandshakeBundle,
  type RatchetTreeOption,
  RatchetTreeRepresentation,
} from "@mimi-ts/protocol";
import {
  type CiphersuiteImpl,
  type ClientState,
  createCommit,
  createGroupInfoWithExternalPub,
  createProposal,
  type GroupInfo,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroupExternal,
  type MLSMessage,
  makeAppDataUpdateProposal,
  type Proposal,
} from "ts-mls";
import { defaultClientConfig } from "ts-mls/clientConfig.js";
import { extendRatchetTree, stripBlankNodes } from "ts-mls/ratchetTree.js";
import { mimiAppDataUpdateHandlers } from "./componentHandlers.js";
import { type ClientKeyPackage, memberAuthenticationService, type Room } from "./roomMember.js";

function cipherSuiteOf(state: Pick<ClientState, "groupContext">): Promise<CiphersuiteImpl> {
  return getCiphersuiteImpl(getCiphersuiteFromName(state.groupContext.cipherSuite));
}

/** A @mimi-ts/protocol AppDataUpdate (roomBuilder's bodies) as a ts-mls proposal. */
export function appDataUpdateProposal(update: AppDataUpdate): Proposal {
  const { componentId, change } = update;
  return makeAppDataUpdateProposal(
    change.op === AppDataUpdateOperation.update
      ? { componentId, op: "update", update: change.update }
      : { componentId, op: "remove" },
  );
}

export interface ForgedCommitOptions {
  /** commit the member's pending proposals by reference too; default true */
  readonly includePending?: boolean;
}

/** A commit of `proposals` by value as a HandshakeBundle: PublicMessage, Welcome, full GroupInfo and tree. */
export async function forgedCommit(
  room: Room,
  proposals: readonly Proposal[],
  options: ForgedCommitOptions = {},
): Promise<HandshakeBundle> {
  const cs = await cipherSuiteOf(room.state);
  const state = options.includePending === false ? { ...room.state, unappliedProposals: {} } : room.state;
  const created = await createCommit(
    { state, cipherSuite: cs },
    { wireAsPublicMessage: true, extraProposals: [...proposals], ratchetTreeExtension: false },
  );
  return {
    proposalOrCommit: created.commit,
    welcome: created.welcome,
    groupInfoOption: {
      representation: GroupInfoRepresentation.full,
      groupInfo: await createGroupInfoWithExternalPub(created.newState, [], cs),
    },
    ratchetTreeOption: {
      representation: RatchetTreeRepresentation.full,
      ratchetTree: stripBlankNodes(created.newState.ratchetTree),
    },
  };
}

/** `proposals` as PublicMessages from the member, sent together (the first with the others as moreProposals). */
export async function forgedProposals(room: Room, proposals: readonly Proposal[]): Promise<HandshakeBundle> {
  const cs = await cipherSuiteOf(room.state);
  let state = room.state;
  const messages: MLSMessage[] = [];
  for (const proposal of proposals) {
    const sent = await createProposal(state, true, proposal, cs);
    state = sent.newState;
    messages.push(sent.message);
  }
  const [first, ...moreProposals] = messages;
  if (first === undefined) throw new RangeError("no proposal to send");
  return { proposalOrCommit: first, moreProposals };
}

/** An external commit by a new client (RFC 9420 s.12.4.3.2) from the Hub's GroupInfo and full tree. */
export async function forgedExternalJoin(
  groupInfo: GroupInfo,
  ratchetTreeOption: RatchetTreeOption,
  keyPackage: ClientKeyPackage,
): Promise<HandshakeBundle> {
  if (ratchetTreeOption.representation !== RatchetTreeRepresentation.full) {
    throw new RangeError("an external join needs the full tree");
  }
  const cs = await cipherSuiteOf(groupInfo);
  const joined = await joinGroupExternal(
    groupInfo,
    keyPackage.publicPackage,
    keyPackage.privatePackage,
    false,
    cs,
    extendRatchetTree(ratchetTreeOption.ratchetTree),
    {
      ...defaultClientConfig,
      authService: memberAuthenticationService(),
      appDataUpdateHandlers: mimiAppDataUpdateHandlers,
    },
  );
  return {
    proposalOrCommit: { version: "mls10", wireformat: "mls_public_message", publicMessage: joined.publicMessage },
    welcome: undefined,
    groupInfoOption: {
      representation: GroupInfoRepresentation.full,
      groupInfo: await createGroupInfoWithExternalPub(joined.newState, [], cs),
    },
    ratchetTreeOption: {
      representation: RatchetTreeRepresentation.full,
      ratchetTree: stripBlankNodes(joined.newState.ratchetTree),
    },
  };
}
