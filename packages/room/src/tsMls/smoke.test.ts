/**
 * A broad pass over ts-mls's ordinary operations, to show the patch keeps
 * them working: create a group, add members (Welcome with the ratchet_tree
 * extension), application messages, an Update proposal committed by another
 * member, a Remove, an external join, and agreement on the GroupContext.
 * Every message goes through its wire encoding.
 */
import {
  type ClientState,
  createApplicationMessage,
  createCommit,
  createGroup,
  createProposal,
  emptyPskIndex,
  joinGroup,
  joinGroupExternal,
} from "ts-mls";
import { describe, expect, it } from "vitest";
import {
  groupContextBytes,
  hex,
  newMember,
  publishedGroupInfo,
  receive,
  receiveApplication,
  suite,
  updateProposal,
  welcomeOf,
  withLeafKey,
} from "../test-support/tsMlsGroup.js";

const utf8 = new TextEncoder();

async function say(from: ClientState, text: string, to: ClientState[]): Promise<[ClientState, ClientState[]]> {
  const sent = await createApplicationMessage(from, utf8.encode(text), suite);
  const message = {
    version: "mls10" as const,
    wireformat: "mls_private_message" as const,
    privateMessage: sent.privateMessage,
  };
  const receivers: ClientState[] = [];
  for (const state of to) {
    const received = await receiveApplication(state, message);
    expect(received.text).toBe(text);
    receivers.push(received.state);
  }
  return [sent.newState, receivers];
}

describe("ts-mls ordinary operations", () => {
  it("create, add, message, update, remove, external join: every member ends with the same GroupContext", async () => {
    const [alice, bob, carol, dave] = await Promise.all(["alice", "bob", "carol", "dave"].map((n) => newMember(n)));
    if (!alice || !bob || !carol || !dave) throw new Error("members");

    let a = await createGroup(utf8.encode("smoke"), alice.publicPackage, alice.privatePackage, [], suite);
    const add = await createCommit(
      { state: a, cipherSuite: suite },
      {
        ratchetTreeExtension: true,
        extraProposals: [
          { proposalType: "add", add: { keyPackage: bob.publicPackage } },
          { proposalType: "add", add: { keyPackage: carol.publicPackage } },
        ],
      },
    );
    a = add.newState;
    const welcome = welcomeOf(add.welcome);
    let b = await joinGroup(welcome, bob.publicPackage, bob.privatePackage, emptyPskIndex, suite);
    let c = await joinGroup(welcome, carol.publicPackage, carol.privatePackage, emptyPskIndex, suite);
    expect(hex(groupContextBytes(b))).toBe(hex(groupContextBytes(a)));
    expect(hex(groupContextBytes(c))).toBe(hex(groupContextBytes(a)));

    let others: ClientState[];
    [a, others] = await say(a, "hello from alice", [b, c]);
    [b, c] = others as [ClientState, ClientState];
    [b, others] = await say(b, "hello from bob", [a, c]);
    [a, c] = others as [ClientState, ClientState];

    // Bob proposes an Update (PublicMessage), Alice commits it by reference.
    const update = await updateProposal(b);
    const proposed = await createProposal(b, true, update.proposal, suite);
    b = withLeafKey(proposed.newState, update.hpkePrivateKey);
    a = await receive(a, proposed.message);
    c = await receive(c, proposed.message);
    const updateCommit = await createCommit({ state: a, cipherSuite: suite });
    a = updateCommit.newState;
    b = await receive(b, updateCommit.commit);
    c = await receive(c, updateCommit.commit);
    expect(a.groupContext.epoch).toBe(2n);
    expect(hex(groupContextBytes(b))).toBe(hex(groupContextBytes(a)));
    expect(hex(groupContextBytes(c))).toBe(hex(groupContextBytes(a)));
    [c, others] = await say(c, "after the update", [a, b]);
    [a, b] = others as [ClientState, ClientState];

    // Alice removes Carol; Carol learns it.
    const remove = await createCommit(
      { state: a, cipherSuite: suite },
      { extraProposals: [{ proposalType: "remove", remove: { removed: c.privatePath.leafIndex } }] },
    );
    a = remove.newState;
    b = await receive(b, remove.commit);
    c = await receive(c, remove.commit);
    expect(c.groupActiveState.kind).toBe("removedFromGroup");
    expect(hex(groupContextBytes(b))).toBe(hex(groupContextBytes(a)));

    // Dave joins with an external commit from a GroupInfo that went over the wire.
    const joined = await joinGroupExternal(
      await publishedGroupInfo(a),
      dave.publicPackage,
      dave.privatePackage,
      false,
      suite,
    );
    let d = joined.newState;
    const externalCommit = {
      version: "mls10" as const,
      wireformat: "mls_public_message" as const,
      publicMessage: joined.publicMessage,
    };
    a = await receive(a, externalCommit);
    b = await receive(b, externalCommit);
    expect(d.privatePath.leafIndex).toBe(2);
    expect(hex(groupContextBytes(a))).toBe(hex(groupContextBytes(d)));
    expect(hex(groupContextBytes(b))).toBe(hex(groupContextBytes(d)));

    [d, others] = await say(d, "hello from dave", [a, b]);
    [a, b] = others as [ClientState, ClientState];
    [a, others] = await say(a, "welcome dave", [b, d]);
    expect(a.groupContext.epoch).toBe(4n);
  });
});
