/**
 * The Hub's view of a group that grows to 100 members: after every commit
 * it agrees with each of them (test-support/publicGroupWorld.ts checks the
 * epoch, GroupContext bytes, tree hash, ratchet tree and pending proposals of
 * every member).
 */
import { makeAppDataUpdateProposal, makeSelfRemoveProposal, type Proposal } from "ts-mls";
import { describe, expect, it } from "vitest";
import { members } from "./publicGroup.js";
import {
  addOf,
  commit,
  externalJoin,
  hubProposes,
  LOG,
  leafOf,
  member,
  memberProposes,
  memberProposesUpdate,
  newClients,
  startWorld,
  TOPIC,
  type World,
} from "./test-support/publicGroupWorld.js";

const utf8 = new TextEncoder();

function appData(componentId: number, text: string): Proposal {
  return makeAppDataUpdateProposal({ componentId, op: "update", update: utf8.encode(text) });
}

async function addClients(world: World, committer: string, count: number): Promise<World> {
  const created = await newClients(world, count);
  return (await commit(created.world, committer, created.clients.map(addOf), created.clients)).world;
}

describe("a group of 100 members", () => {
  it("the view agrees with every member after every commit", { timeout: 300_000 }, async () => {
    let world = await startWorld(2);
    world = await addClients(world, "c0", 8);
    world = await addClients(world, "c3", 40);
    world = await addClients(world, "c27", 50);
    expect(members(world.view)).toHaveLength(100);

    // A member deep in the tree updates its path.
    ({ world } = await commit(world, "c57"));
    // The Hub removes a member; members propose an Update, a SelfRemove and an AppDataUpdate; another commits them.
    world = await hubProposes(world, { proposalType: "remove", remove: { removed: leafOf(member(world, "c10")) } });
    world = await memberProposesUpdate(world, "c33");
    world = await memberProposes(world, "c80", makeSelfRemoveProposal());
    world = await memberProposes(world, "c5", appData(LOG, "c5 was here"));
    ({ world } = await commit(world, "c99", [appData(TOPIC, "a hundred")]));
    expect(members(world.view)).toHaveLength(98);

    // A new client joins by external commit, into the leftmost free leaf.
    const joining = await newClients(world, 1);
    const [newcomer] = joining.clients;
    if (newcomer === undefined) throw new Error("no client");
    const joined = await externalJoin(joining.world, { joiner: newcomer, withSelfRemoves: false, extraProposals: [] });
    world = joined.world;
    expect(joined.result.newMemberLeafIndex).toBe(10);

    // A member rejoins (resync) with another member's pending SelfRemove and an AppDataUpdate.
    world = await memberProposes(world, "c20", makeSelfRemoveProposal());
    const rejoined = await externalJoin(world, {
      joiner: "c42",
      withSelfRemoves: true,
      extraProposals: [appData(LOG, "c42 is back")],
    });
    world = rejoined.world;
    expect([...rejoined.result.removedLeaves]).toEqual([20, 42]);
    expect(members(world.view)).toHaveLength(98);
  });
});
