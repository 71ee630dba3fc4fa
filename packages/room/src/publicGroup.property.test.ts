/**
 * The Hub's view of the group against the members themselves: random
 * sequences of proposals and commits, driven through ts-mls's member API,
 * after each of which the view must hold what every member holds (the
 * harness, test-support/publicGroupWorld.ts, checks the epoch, the
 * GroupContext bytes, the tree hash, the ratchet tree and the pending
 * proposals), and must survive being stored and read back.
 */
import fc from "fast-check";
import {
  appDataDictionaryExtensionType,
  appDataUpdateOf,
  decodeAppDataDictionary,
  type Extension,
  makeAppDataUpdateProposal,
  makeSelfRemoveProposal,
  type Proposal,
  selfRemoveProposalType,
} from "ts-mls";
import { encodeProposal } from "ts-mls/proposal.js";
import { describe, expect, it } from "vitest";
import type { ProposalSender } from "./committedProposal.js";
import { pendingProposals } from "./publicGroup.js";
import { decodePublicGroup, encodePublicGroup } from "./publicGroupStorage.js";
import {
  addOf,
  commit,
  externalJoin,
  type GroupMember,
  hubProposes,
  LOG,
  leafOf,
  memberProposes,
  memberProposesUpdate,
  newClients,
  newMemberProposes,
  OTHER_EXTENSION,
  startWorld,
  TOPIC,
  type World,
} from "./test-support/publicGroupWorld.js";
import { hex } from "./test-support/tsMlsGroup.js";

/** Groups stay this small in the property; publicGroup.scale.test.ts grows one to 100 members. */
const MAX_MEMBERS = 7;

const appData = fc.record({
  component: fc.constantFrom(LOG, TOPIC),
  text: fc.string({ maxLength: 4 }),
  remove: fc.boolean(),
});

const operation = fc.oneof(
  fc.record({ kind: fc.constant("commitEmpty" as const), who: fc.nat() }),
  fc.record({ kind: fc.constant("commitAdds" as const), who: fc.nat(), count: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ kind: fc.constant("commitRemove" as const), who: fc.nat(), target: fc.nat() }),
  fc.record({ kind: fc.constant("commitAppData" as const), who: fc.nat(), update: appData }),
  fc.record({ kind: fc.constant("commitExtensions" as const), who: fc.nat(), value: fc.uint8Array({ maxLength: 3 }) }),
  fc.record({ kind: fc.constant("proposeUpdate" as const), who: fc.nat() }),
  fc.record({ kind: fc.constant("proposeRemove" as const), who: fc.nat(), target: fc.nat() }),
  fc.record({ kind: fc.constant("proposeSelfRemove" as const), who: fc.nat() }),
  fc.record({ kind: fc.constant("proposeAppData" as const), who: fc.nat(), update: appData }),
  fc.record({ kind: fc.constant("proposeAdd" as const), who: fc.nat() }),
  fc.record({ kind: fc.constant("hubAdd" as const) }),
  fc.record({ kind: fc.constant("hubRemove" as const), target: fc.nat() }),
  fc.record({ kind: fc.constant("hubAppData" as const), update: appData }),
  fc.record({ kind: fc.constant("newMemberAdd" as const) }),
  fc.record({
    kind: fc.constant("externalJoin" as const),
    rejoin: fc.option(fc.nat(), { nil: undefined }),
    withSelfRemoves: fc.boolean(),
    text: fc.option(fc.string({ maxLength: 4 }), { nil: undefined }),
  }),
);
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;
interface AppData {
  readonly component: number;
  readonly text: string;
  readonly remove: boolean;
}

const utf8 = new TextEncoder();

function pick<T>(items: readonly T[], n: number): T | undefined {
  return items.length === 0 ? undefined : items[n % items.length];
}

/** Leaves a pending Update, SelfRemove or Remove concerns; a commit may touch each leaf once, and not its committer's. */
function affectedLeaves(world: World): Set<number> {
  const leaves = new Set<number>();
  for (const { proposal, sender } of pendingProposals(world.view)) {
    if (proposal.proposalType === "remove") leaves.add(proposal.remove.removed);
    if (
      (proposal.proposalType === "update" || proposal.proposalType === selfRemoveProposalType) &&
      sender.kind === "member"
    ) {
      leaves.add(sender.leafIndex);
    }
  }
  return leaves;
}

function unaffected(world: World): GroupMember[] {
  const affected = affectedLeaves(world);
  return world.members.filter((m) => !affected.has(leafOf(m)));
}

function isPending(world: World, proposal: Proposal, sender: ProposalSender): boolean {
  const bytes = hex(encodeProposal(proposal));
  return pendingProposals(world.view).some(
    (p) => hex(encodeProposal(p.proposal)) === bytes && JSON.stringify(p.sender) === JSON.stringify(sender),
  );
}

function pendingAdds(world: World): number {
  return pendingProposals(world.view).filter((p) => p.proposal.proposalType === "add").length;
}

function roomFor(world: World, count: number): boolean {
  return world.members.length + pendingAdds(world) + count <= MAX_MEMBERS;
}

/**
 * An AppDataUpdate the next commit can apply (mls-extensions s.4.7): the log
 * takes only updates; the topic a remove only when it has data and nothing
 * else touches it in the commit.
 */
function appDataProposal(world: World, { component, text, remove }: AppData): Proposal | undefined {
  if (component === LOG)
    return makeAppDataUpdateProposal({ componentId: LOG, op: "update", update: utf8.encode(text) });
  const pendingTopic = pendingProposals(world.view).flatMap((p) => {
    const update = appDataUpdateOf(p.proposal);
    return update?.componentId === TOPIC ? [update.op] : [];
  });
  if (!remove) {
    return pendingTopic.includes("remove")
      ? undefined
      : makeAppDataUpdateProposal({ componentId: TOPIC, op: "update", update: utf8.encode(text) });
  }
  const dictionary = world.view.groupContext.extensions.find((e) => e.extensionType === appDataDictionaryExtensionType);
  const hasTopic =
    dictionary !== undefined &&
    (decodeAppDataDictionary(dictionary.extensionData) ?? []).some((c) => c.componentId === TOPIC);
  return hasTopic && pendingTopic.length === 0
    ? makeAppDataUpdateProposal({ componentId: TOPIC, op: "remove" })
    : undefined;
}

/** A GroupContextExtensions proposal (RFC 9420 s.12.1.7) that sets, changes or drops OTHER_EXTENSION and keeps the rest. */
function extensionsProposal(world: World, value: Uint8Array): Proposal {
  const kept = world.view.groupContext.extensions.filter((e) => e.extensionType !== OTHER_EXTENSION);
  const other: Extension[] = value.length === 0 ? [] : [{ extensionType: OTHER_EXTENSION, extensionData: value }];
  return { proposalType: "group_context_extensions", groupContextExtensions: { extensions: [...kept, ...other] } };
}

/** Runs one operation if the group allows it now; otherwise leaves the world as it is. */
async function run(world: World, op: Operation): Promise<World> {
  const committer = (who: number) => pick(unaffected(world), who);
  switch (op.kind) {
    case "commitEmpty": {
      const by = committer(op.who);
      return by === undefined ? world : (await commit(world, by.name)).world;
    }
    case "commitAdds": {
      const by = committer(op.who);
      if (by === undefined || !roomFor(world, op.count)) return world;
      const created = await newClients(world, op.count);
      return (await commit(created.world, by.name, created.clients.map(addOf), created.clients)).world;
    }
    case "commitRemove": {
      const by = committer(op.who);
      const target = pick(
        unaffected(world).filter((m) => m !== by),
        op.target,
      );
      if (by === undefined || target === undefined) return world;
      return (await commit(world, by.name, [{ proposalType: "remove", remove: { removed: leafOf(target) } }])).world;
    }
    case "commitAppData": {
      const by = committer(op.who);
      const proposal = appDataProposal(world, op.update);
      return by === undefined || proposal === undefined ? world : (await commit(world, by.name, [proposal])).world;
    }
    case "commitExtensions": {
      const by = committer(op.who);
      return by === undefined ? world : (await commit(world, by.name, [extensionsProposal(world, op.value)])).world;
    }
    case "proposeUpdate":
    case "proposeSelfRemove": {
      // Someone else must remain to commit it.
      const free = unaffected(world);
      const sender = pick(free, op.who);
      if (sender === undefined || free.length < 2) return world;
      return op.kind === "proposeUpdate"
        ? memberProposesUpdate(world, sender.name)
        : memberProposes(world, sender.name, makeSelfRemoveProposal());
    }
    case "proposeRemove":
    case "hubRemove": {
      const free = unaffected(world);
      const target = pick(free, op.target);
      if (target === undefined || free.length < 2) return world;
      const remove: Proposal = { proposalType: "remove", remove: { removed: leafOf(target) } };
      if (op.kind === "hubRemove") return hubProposes(world, remove);
      const sender = pick(world.members, op.who);
      return sender === undefined ? world : memberProposes(world, sender.name, remove);
    }
    case "proposeAppData":
    case "hubAppData": {
      const proposal = appDataProposal(world, op.update);
      const sender = op.kind === "hubAppData" ? undefined : pick(world.members, op.who);
      const from: ProposalSender =
        sender === undefined ? { kind: "external", senderIndex: 0 } : { kind: "member", leafIndex: leafOf(sender) };
      // The same proposal from the same sender in the same epoch is the same message (Ed25519 signs deterministically), a replay.
      if (proposal === undefined || isPending(world, proposal, from)) return world;
      return sender === undefined ? hubProposes(world, proposal) : memberProposes(world, sender.name, proposal);
    }
    case "proposeAdd":
    case "hubAdd":
    case "newMemberAdd": {
      if (!roomFor(world, 1)) return world;
      const created = await newClients(world, 1);
      const [joiner] = created.clients;
      if (joiner === undefined) return world;
      if (op.kind === "newMemberAdd") return newMemberProposes(created.world, joiner);
      if (op.kind === "hubAdd") return hubProposes(created.world, addOf(joiner), joiner);
      const sender = pick(world.members, op.who);
      return sender === undefined ? world : memberProposes(created.world, sender.name, addOf(joiner), joiner);
    }
    case "externalJoin": {
      const selfRemoving = new Set(
        pendingProposals(world.view)
          .filter((p) => p.proposal.proposalType === selfRemoveProposalType)
          .map((p) => (p.sender.kind === "member" ? p.sender.leafIndex : -1)),
      );
      const extraProposals =
        op.text === undefined
          ? []
          : [makeAppDataUpdateProposal({ componentId: LOG, op: "update", update: utf8.encode(op.text) })];
      if (op.rejoin !== undefined) {
        // A resync removes the joiner's old leaf, which a SelfRemove in the same commit must not remove too.
        const rejoining = pick(
          world.members.filter((m) => !op.withSelfRemoves || !selfRemoving.has(leafOf(m))),
          op.rejoin,
        );
        // ts-mls cannot remove the last leaf of a tree, so someone else must stay.
        const staying = world.members.filter(
          (m) => m !== rejoining && !(op.withSelfRemoves && selfRemoving.has(leafOf(m))),
        );
        if (rejoining === undefined || staying.length === 0) return world;
        return (
          await externalJoin(world, { joiner: rejoining.name, withSelfRemoves: op.withSelfRemoves, extraProposals })
        ).world;
      }
      if (world.members.length + 1 > MAX_MEMBERS) return world;
      const created = await newClients(world, 1);
      const [joiner] = created.clients;
      if (joiner === undefined) return world;
      return (await externalJoin(created.world, { joiner, withSelfRemoves: op.withSelfRemoves, extraProposals })).world;
    }
  }
}

describe("the Hub's view agrees with every member (property)", () => {
  it("after every proposal and commit of any sequence, stored and read back in between", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(operation, { minLength: 4, maxLength: 12 }),
        async (size, operations) => {
          let world = await startWorld(size);
          for (const op of operations) {
            world = await run(world, op);
            const stored = encodePublicGroup(world.view);
            const restored = decodePublicGroup(stored);
            expect(hex(encodePublicGroup(restored))).toBe(hex(stored));
            world = { ...world, view: restored };
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
