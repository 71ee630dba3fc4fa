/**
 * A group of ts-mls members, the Hub (an external sender, RFC 9420
 * s.12.1.8.1) and the Hub's view of the group, driven through ts-mls's member
 * API. Every message goes through its wire encoding to the view and to every
 * member; after every commit the view must agree with every member on the
 * epoch, the GroupContext bytes, the tree hash and the ratchet tree, and
 * after every proposal on the pending proposals.
 *
 * What the view reports about a commit is checked against what the members
 * see: who joined at which leaf, who learnt it was removed, which proposals
 * the committer included and who had proposed them.
 */
import { ComponentId, ExtensionType } from "@mimi-ts/protocol";
import {
  type AppDataUpdateHandler,
  type AppDataUpdateHandlers,
  type ClientState,
  createCommit,
  createGroup,
  createProposal,
  defaultAuthenticationService,
  defaultLifetime,
  defaultLifetimeConfig,
  type Extension,
  emptyPskIndex,
  encodeExternalSenders,
  generateKeyPackage,
  generateKeyPackageWithKey,
  joinGroup,
  joinGroupExternal,
  type KeyPackage,
  type MLSMessage,
  type PrivateKeyPackage,
  type Proposal,
  proposeAddExternal,
  proposeExternal,
  selfRemoveProposalType,
} from "ts-mls";
import { encodeGroupContext } from "ts-mls/groupContext.js";
import { encodeProposal } from "ts-mls/proposal.js";
import { encodeRatchetTree } from "ts-mls/ratchetTree.js";
import { treeHashRoot } from "ts-mls/treeHash.js";
import { base64ToBytes } from "ts-mls/util/byteArray.js";
import { expect } from "vitest";
import type { ProposalSender } from "../committedProposal.js";
import {
  acceptGroupInfo,
  type CommitApplied,
  groupInfoForJoiners,
  members,
  type ProposalAccepted,
  type PublicGroupOptions,
  type PublicGroupState,
  pendingProposals,
  processPublicMessage,
  publicGroupFromGroupInfo,
} from "../publicGroup.js";
import {
  basicCredential,
  capabilities,
  config,
  hex,
  publicMessage,
  publishedGroupInfo,
  receive,
  suite,
  updateProposal,
  welcomeOf,
  wire,
  withLeafKey,
} from "./tsMlsGroup.js";

const utf8 = new TextEncoder();

/** Two components with this test's own logic (MIMI's component ids serve as labels): updates append, or the last wins. */
export const LOG = ComponentId.participantList;
export const TOPIC = ComponentId.roomMetadata;
/** A GroupContext extension of no meaning, for GroupContextExtensions proposals to change. */
export const OTHER_EXTENSION = 0xff0a;

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const append: AppDataUpdateHandler = (current, updates) => concat(current ?? new Uint8Array(), ...updates);
const lastWins: AppDataUpdateHandler = (_current, updates) => updates.at(-1);
export const handlers: AppDataUpdateHandlers = new Map([
  [LOG, append],
  [TOPIC, lastWins],
]);

export const clientConfig = config({ appDataUpdateHandlers: handlers });

export const viewOptions: PublicGroupOptions = {
  cipherSuite: suite,
  authService: defaultAuthenticationService,
  appDataUpdateHandlers: handlers,
  lifetimeConfig: defaultLifetimeConfig,
};

/** A client that is not (yet) a member. */
export interface Client {
  readonly name: string;
  readonly publicPackage: KeyPackage;
  readonly privatePackage: PrivateKeyPackage;
}

export interface GroupMember {
  readonly name: string;
  readonly state: ClientState;
  /**
   * The HPKE private key of the member's pending Update (ts-mls leaves it to
   * the application): installed when a commit includes the Update, dropped
   * when an external commit discards it.
   */
  readonly pendingLeafKey?: Uint8Array;
}

export interface World {
  readonly members: readonly GroupMember[];
  readonly view: PublicGroupState;
  readonly hub: { readonly publicKey: Uint8Array; readonly signKey: Uint8Array };
  /** Clients whose KeyPackage is in a pending Add. */
  readonly invited: readonly Client[];
  /** Who proposed each pending proposal, by ProposalRef (hex), as the proposer's side knows it. */
  readonly proposers: ReadonlyMap<string, ProposalSender>;
  readonly clientsCreated: number;
}

/** Capabilities with app_data_dictionary and OTHER_EXTENSION, AppDataUpdate and SelfRemove, without GREASE. */
const clientCapabilities = { ...capabilities(), extensions: [ExtensionType.appDataDictionary, OTHER_EXTENSION] };

async function client(name: string): Promise<Client> {
  const { publicPackage, privatePackage } = await generateKeyPackage(
    basicCredential(name),
    clientCapabilities,
    defaultLifetime,
    [],
    suite,
  );
  return { name, publicPackage, privatePackage };
}

/** New clients, named c<n> in creation order. */
export async function newClients(world: World, count: number): Promise<{ world: World; clients: Client[] }> {
  const clients = await Promise.all(Array.from({ length: count }, (_, i) => client(`c${world.clientsCreated + i}`)));
  return { world: { ...world, clientsCreated: world.clientsCreated + count }, clients };
}

export function addOf(c: Client): Proposal {
  return { proposalType: "add", add: { keyPackage: c.publicPackage } };
}

export function member(world: World, name: string): GroupMember {
  const found = world.members.find((m) => m.name === name);
  if (found === undefined) throw new Error(`${name} is not a member`);
  return found;
}

export function leafOf(m: GroupMember): number {
  return m.state.privatePath.leafIndex;
}

export function externalSendersExtension(hubPublicKey: Uint8Array): Extension {
  return {
    extensionType: "external_senders",
    extensionData: encodeExternalSenders([{ signaturePublicKey: hubPublicKey, credential: basicCredential("hub") }]),
  };
}

/**
 * A group of `size` clients c0..: c0 creates it with the Hub among its
 * external senders, the view starts from c0's GroupInfo of epoch 0, and c0
 * adds the others in one commit.
 */
export async function startWorld(size: number): Promise<World> {
  const hub = await suite.signature.keygen();
  const [creator, ...others] = await Promise.all(Array.from({ length: size }, (_, i) => client(`c${i}`)));
  if (creator === undefined) throw new Error("a group needs a member");
  const state = await createGroup(
    utf8.encode("mimi://example.com/r/public-group"),
    creator.publicPackage,
    creator.privatePackage,
    [externalSendersExtension(hub.publicKey)],
    suite,
    clientConfig,
  );
  const view = await publicGroupFromGroupInfo(await publishedGroupInfo(state), state.ratchetTree, viewOptions);
  const world: World = {
    members: [{ name: creator.name, state }],
    view,
    hub,
    invited: [],
    proposers: new Map(),
    clientsCreated: size,
  };
  await expectAgreement(world);
  return others.length === 0 ? world : (await commit(world, creator.name, others.map(addOf), others)).world;
}

/** The view and every member agree on the epoch, GroupContext, tree hash, tree and pending proposals. */
export async function expectAgreement(world: World): Promise<void> {
  const { view } = world;
  const context = hex(encodeGroupContext(view.groupContext));
  const tree = hex(encodeRatchetTree(view.ratchetTree));
  const treeHash = hex(await treeHashRoot(view.ratchetTree, suite.hash));
  const pending = pendingProposals(view)
    .map((p) => hex(p.ref))
    .sort();
  for (const m of world.members) {
    expect(m.state.groupContext.epoch, m.name).toBe(view.groupContext.epoch);
    expect(hex(encodeGroupContext(m.state.groupContext)), m.name).toBe(context);
    expect(hex(m.state.groupContext.treeHash), m.name).toBe(treeHash);
    expect(hex(encodeRatchetTree(m.state.ratchetTree)), m.name).toBe(tree);
    expect(pendingRefs(m.state), m.name).toEqual(pending);
  }
  expect(members(view).map((m) => m.leafIndex)).toEqual(world.members.map(leafOf).sort((a, b) => a - b));
}

function pendingRefs(state: ClientState): string[] {
  return Object.keys(state.unappliedProposals)
    .map((ref) => hex(base64ToBytes(ref)))
    .sort();
}

/** The ProposalRef a member added to its pending proposals. */
function newPendingRef(before: ClientState, after: ClientState): string {
  const known = new Set(pendingRefs(before));
  const added = pendingRefs(after).filter((ref) => !known.has(ref));
  if (added.length !== 1) throw new Error(`expected one new pending proposal, found ${added.length}`);
  return added[0] as string;
}

async function deliverProposal(
  world: World,
  message: MLSMessage,
  skip: string | undefined,
): Promise<{ result: ProposalAccepted; members: GroupMember[] }> {
  const result = await processPublicMessage(world.view, wire(message), viewOptions);
  if (result.kind !== "proposal") throw new Error("expected a proposal");
  const delivered = await Promise.all(
    world.members.map(async (m) => (m.name === skip ? m : { ...m, state: await receive(m.state, message) })),
  );
  return { result, members: delivered };
}

/** A member proposes; the view and the other members receive it. */
export async function memberProposes(world: World, name: string, proposal: Proposal, invite?: Client): Promise<World> {
  const proposer = member(world, name);
  const sent = await createProposal(proposer.state, true, proposal, suite);
  return recordProposal(world, sent.message, proposer, { ...proposer, state: sent.newState }, invite);
}

/** A member proposes an Update of its own leaf (RFC 9420 s.12.1.2). */
export async function memberProposesUpdate(world: World, name: string): Promise<World> {
  const proposer = member(world, name);
  const update = await updateProposal(proposer.state);
  const sent = await createProposal(proposer.state, true, update.proposal, suite);
  return recordProposal(world, sent.message, proposer, {
    name,
    state: sent.newState,
    pendingLeafKey: update.hpkePrivateKey,
  });
}

async function recordProposal(
  world: World,
  message: MLSMessage,
  proposer: GroupMember,
  proposerAfter: GroupMember,
  invite?: Client,
): Promise<World> {
  const ref = newPendingRef(proposer.state, proposerAfter.state);
  const { result, members: delivered } = await deliverProposal(world, message, proposer.name);
  const sender: ProposalSender = { kind: "member", leafIndex: leafOf(proposer) };
  expect(result.sender).toEqual(sender);
  expect(hex(result.ref)).toBe(ref);
  const next: World = {
    ...world,
    view: result.state,
    members: delivered.map((m) => (m.name === proposer.name ? proposerAfter : m)),
    invited: invite === undefined ? world.invited : [...world.invited, invite],
    proposers: new Map([...world.proposers, [ref, sender]]),
  };
  await expectAgreement(next);
  return next;
}

function currentGroupInfo(world: World) {
  const joining = groupInfoForJoiners(world.view);
  if (joining === undefined) throw new Error("the view has no GroupInfo for this epoch");
  return joining;
}

/** The Hub proposes as external sender 0. */
export async function hubProposes(world: World, proposal: Proposal, invite?: Client): Promise<World> {
  const message = await proposeExternal(
    currentGroupInfo(world).groupInfo,
    proposal,
    world.hub.publicKey,
    world.hub.signKey,
    suite,
  );
  return recordNonMemberProposal(world, message, { kind: "external", senderIndex: 0 }, invite);
}

/** A client proposes its own Add as a new member (RFC 9420 s.12.1.8). */
export async function newMemberProposes(world: World, joiner: Client): Promise<World> {
  const message = await proposeAddExternal(
    currentGroupInfo(world).groupInfo,
    joiner.publicPackage,
    joiner.privatePackage,
    suite,
  );
  return recordNonMemberProposal(world, message, { kind: "newMemberProposal" }, joiner);
}

async function recordNonMemberProposal(
  world: World,
  message: MLSMessage,
  sender: ProposalSender,
  invite: Client | undefined,
): Promise<World> {
  const { result, members: delivered } = await deliverProposal(world, message, undefined);
  const [before, after] = [world.members[0], delivered[0]];
  if (before === undefined || after === undefined) throw new Error("the group has no member");
  const ref = newPendingRef(before.state, after.state);
  expect(result.sender).toEqual(sender);
  expect(hex(result.ref)).toBe(ref);
  const next: World = {
    ...world,
    view: result.state,
    members: delivered,
    invited: invite === undefined ? world.invited : [...world.invited, invite],
    proposers: new Map([...world.proposers, [ref, sender]]),
  };
  await expectAgreement(next);
  return next;
}

/**
 * A member commits every pending proposal by reference and `extraProposals`
 * by value; the view and the other members process it, the added clients
 * join from the Welcome, and the committer's GroupInfo of the new epoch goes
 * to the view.
 */
export async function commit(
  world: World,
  committerName: string,
  extraProposals: Proposal[] = [],
  newlyInvited: Client[] = [],
): Promise<{ world: World; result: CommitApplied }> {
  const committer = member(world, committerName);
  const created = await createCommit(
    { state: committer.state, cipherSuite: suite },
    { wireAsPublicMessage: true, ratchetTreeExtension: true, extraProposals },
  );
  const result = await processPublicMessage(world.view, wire(created.commit), viewOptions);
  if (result.kind !== "commit") throw new Error("expected a commit");

  expect(result.committer).toEqual({ kind: "member", leafIndex: leafOf(committer) });
  const byReference = result.committed.filter((c) => c.byReference);
  expect(byReference.map((c) => hex(c.ref ?? new Uint8Array())).sort()).toEqual(pendingRefs(committer.state));
  for (const c of byReference) expect(c.sender).toEqual(world.proposers.get(hex(c.ref ?? new Uint8Array())));
  const byValue = result.committed.filter((c) => !c.byReference);
  expect(byValue.map((c) => hex(encodeProposal(c.proposal)))).toEqual(
    extraProposals.map((p) => hex(encodeProposal(p))),
  );
  for (const c of byValue) expect(c.sender).toEqual(result.committer);

  const others = await Promise.all(
    world.members
      .filter((m) => m.name !== committerName)
      .map(async (m) => ({
        name: m.name,
        leaf: leafOf(m),
        // A member commit includes every pending proposal, so a pending Update's key is now the leaf's.
        state: await receive(
          m.pendingLeafKey === undefined ? m.state : withLeafKey(m.state, m.pendingLeafKey),
          created.commit,
        ),
      })),
  );
  const joined = await joinFromWelcome([...world.invited, ...newlyInvited], result, created.welcome);
  const next: World = {
    ...world,
    members: [
      { name: committerName, state: created.newState },
      ...others
        .filter((m) => m.state.groupActiveState.kind !== "removedFromGroup")
        .map(({ name, state }) => ({ name, state })),
      ...joined,
    ],
    view: await acceptGroupInfo(result.state, await publishedGroupInfo(created.newState), viewOptions),
    invited: [],
    proposers: new Map(),
  };
  // The members that learnt they were removed are the removed leaves.
  expect([...result.removedLeaves].sort((a, b) => a - b)).toEqual(
    others
      .filter((m) => m.state.groupActiveState.kind === "removedFromGroup")
      .map((m) => m.leaf)
      .sort((a, b) => a - b),
  );
  // Every client added by value joined.
  expect(newlyInvited.every((c) => joined.some((j) => j.name === c.name))).toBe(true);
  await expectAgreement(next);
  return { world: next, result };
}

/** The clients whose Adds were committed join from the Welcome, at the leaves the view reported. */
async function joinFromWelcome(
  candidates: readonly Client[],
  result: CommitApplied,
  welcome: Parameters<typeof welcomeOf>[0],
): Promise<GroupMember[]> {
  if (result.addedLeaves.length === 0) return [];
  const received = welcomeOf(welcome);
  return Promise.all(
    result.addedLeaves.map(async ({ leafIndex, keyPackage }) => {
      const invited = candidates.find(
        (c) => hex(c.publicPackage.leafNode.signaturePublicKey) === hex(keyPackage.leafNode.signaturePublicKey),
      );
      if (invited === undefined) throw new Error(`leaf ${leafIndex} was added for a client nobody invited`);
      const state = await joinGroup(
        received,
        invited.publicPackage,
        invited.privatePackage,
        emptyPskIndex,
        suite,
        undefined,
        undefined,
        clientConfig,
      );
      expect(state.privatePath.leafIndex, invited.name).toBe(leafIndex);
      return { name: invited.name, state };
    }),
  );
}

export interface ExternalJoin {
  /** a new client, or the name of a member rejoining (resync: its old leaf is removed) */
  readonly joiner: Client | string;
  /** include the pending SelfRemoves by reference (mls-extensions s.6.3) */
  readonly withSelfRemoves: boolean;
  /** AppDataUpdate proposals by value (mls-extensions s.4.7) */
  readonly extraProposals: Proposal[];
}

/**
 * A client joins by external commit from the view's GroupInfo and tree
 * (RFC 9420 s.12.4.3.2); the view and the members process it; the joiner's
 * GroupInfo of the new epoch goes to the view.
 */
export async function externalJoin(
  world: World,
  { joiner, withSelfRemoves, extraProposals }: ExternalJoin,
): Promise<{ world: World; result: CommitApplied }> {
  const { groupInfo, ratchetTree } = currentGroupInfo(world);
  const rejoining = typeof joiner === "string" ? member(world, joiner) : undefined;
  const joining = typeof joiner === "string" ? await rejoiningClient(member(world, joiner)) : joiner;
  const selfRemoveProposals = withSelfRemoves
    ? pendingProposals(world.view)
        .filter((p) => p.proposal.proposalType === selfRemoveProposalType)
        .map((p) => p.message)
    : [];
  const joined = await joinGroupExternal(
    groupInfo,
    joining.publicPackage,
    joining.privatePackage,
    rejoining !== undefined,
    suite,
    ratchetTree,
    clientConfig,
    undefined,
    { selfRemoveProposals, extraProposals },
  );
  const message = publicMessage(joined.publicMessage);
  const result = await processPublicMessage(world.view, wire(message), viewOptions);
  if (result.kind !== "commit") throw new Error("expected a commit");
  expect(result.committer).toEqual({ kind: "newMemberCommit" });
  expect(result.newMemberLeafIndex).toBe(joined.newState.privatePath.leafIndex);
  expect(result.committed.filter((c) => c.byReference).map((c) => hex(c.ref ?? new Uint8Array()))).toEqual(
    pendingProposals(world.view)
      .filter((p) => selfRemoveProposals.includes(p.message))
      .map((p) => hex(p.ref)),
  );
  const others = await Promise.all(
    world.members.map(async (m) => ({ name: m.name, leaf: leafOf(m), state: await receive(m.state, message) })),
  );
  expect([...result.removedLeaves].sort((a, b) => a - b)).toEqual(
    others
      .filter((m) => m.state.groupActiveState.kind === "removedFromGroup")
      .map((m) => m.leaf)
      .sort((a, b) => a - b),
  );
  const next: World = {
    ...world,
    members: [
      ...others
        .filter((m) => m.state.groupActiveState.kind !== "removedFromGroup")
        .map(({ name, state }) => ({ name, state })),
      { name: joining.name, state: joined.newState },
    ],
    view: await acceptGroupInfo(result.state, await publishedGroupInfo(joined.newState), viewOptions),
    invited: [],
    proposers: new Map(),
  };
  await expectAgreement(next);
  return { world: next, result };
}

/** A member's new KeyPackage with its signature key, which is how ts-mls finds the leaf a resync removes. */
async function rejoiningClient(m: GroupMember): Promise<Client> {
  const leaf = m.state.ratchetTree[leafOf(m) * 2];
  if (leaf?.nodeType !== "leaf") throw new Error(`${m.name} has no leaf`);
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey(
    leaf.leaf.credential,
    clientCapabilities,
    defaultLifetime,
    [],
    { signKey: m.state.signaturePrivateKey, publicKey: leaf.leaf.signaturePublicKey },
    suite,
  );
  return { name: m.name, publicPackage, privatePackage };
}
