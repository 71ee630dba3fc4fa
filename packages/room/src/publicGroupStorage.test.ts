/**
 * The Hub's view of a group as stored bytes: read back exactly, and nothing
 * else read at all.
 */
import fc from "fast-check";
import { createCommit, makeAppDataUpdateProposal, makeSelfRemoveProposal } from "ts-mls";
import { decodeGroupContext, encodeGroupContext } from "ts-mls/groupContext.js";
import { describe, expect, it } from "vitest";
import { pendingProposals, processPublicMessage } from "./publicGroup.js";
import { PublicGroupError } from "./publicGroupErrors.js";
import { decodePublicGroup, encodePublicGroup } from "./publicGroupStorage.js";
import {
  hubProposes,
  LOG,
  member,
  memberProposes,
  newClients,
  newMemberProposes,
  startWorld,
  viewOptions,
  type World,
} from "./test-support/publicGroupWorld.js";
import { hex, suite, wire } from "./test-support/tsMlsGroup.js";

/** A view at epoch 1 with a GroupInfo and proposals from a member, the Hub and a new member pending. */
async function viewWithPending(): Promise<World> {
  let world = await startWorld(3);
  world = await memberProposes(world, "c1", makeSelfRemoveProposal());
  world = await hubProposes(
    world,
    makeAppDataUpdateProposal({ componentId: LOG, op: "update", update: new Uint8Array([1, 2]) }),
  );
  const created = await newClients(world, 1);
  const [c3] = created.clients;
  if (c3 === undefined) throw new Error("no client");
  return newMemberProposes(created.world, c3);
}

const world = await viewWithPending();

function invalidEncoding(bytes: Uint8Array): PublicGroupError {
  try {
    decodePublicGroup(bytes);
  } catch (error) {
    if (error instanceof PublicGroupError && error.code === "invalidEncoding") return error;
    throw error;
  }
  throw new Error("the bytes were read as a view");
}

describe("encodePublicGroup / decodePublicGroup", () => {
  it("reads back the view, pending proposals (with sender and message) and GroupInfo included", async () => {
    const bytes = encodePublicGroup(world.view);
    const restored = decodePublicGroup(bytes);
    expect(hex(encodePublicGroup(restored))).toBe(hex(bytes));
    expect(hex(encodeGroupContext(restored.groupContext))).toBe(hex(encodeGroupContext(world.view.groupContext)));
    expect(pendingProposals(restored).map((p) => [hex(p.ref), p.sender, p.proposal])).toEqual(
      pendingProposals(world.view).map((p) => [hex(p.ref), p.sender, p.proposal]),
    );
    expect(pendingProposals(restored).map((p) => p.sender.kind)).toEqual(["member", "external", "newMemberProposal"]);
    expect(restored.groupInfo?.signature).toEqual(world.view.groupInfo?.signature);

    // The restored view goes on as the original: the same commit gives the same next epoch.
    const created = await createCommit(
      { state: member(world, "c0").state, cipherSuite: suite },
      { wireAsPublicMessage: true },
    );
    const fromOriginal = await processPublicMessage(world.view, wire(created.commit), viewOptions);
    const fromRestored = await processPublicMessage(restored, wire(created.commit), viewOptions);
    expect(hex(encodeGroupContext(fromRestored.state.groupContext))).toBe(
      hex(encodeGroupContext(fromOriginal.state.groupContext)),
    );
    expect(hex(encodeGroupContext(fromRestored.state.groupContext))).toBe(
      hex(encodeGroupContext(created.newState.groupContext)),
    );
    // Without a GroupInfo (after a commit) too.
    const again = decodePublicGroup(encodePublicGroup(fromRestored.state));
    expect(again.groupInfo).toBeUndefined();
  });

  it("refuses trailing bytes, every truncation and an unknown format", () => {
    const bytes = encodePublicGroup(world.view);
    expect(invalidEncoding(new Uint8Array([...bytes, 0])).reason).toMatch(/trailing/);
    for (let length = 0; length < bytes.length; length += 97) invalidEncoding(bytes.subarray(0, length));
    invalidEncoding(bytes.subarray(0, bytes.length - 1));
    const format2 = bytes.slice();
    format2[0] = 2;
    expect(invalidEncoding(format2).reason).toMatch(/format 2/);
  });

  it("refuses an encoding ts-mls reads but does not write (a group id length in two bytes)", () => {
    const bytes = encodePublicGroup(world.view);
    // format (1 byte), version (2), cipher_suite (2), then group_id<V>: a one-byte length.
    const groupIdLength = bytes[5] ?? 0;
    expect(groupIdLength).toBeLessThan(64);
    const nonMinimal = new Uint8Array([...bytes.subarray(0, 5), 0x40, groupIdLength, ...bytes.subarray(6)]);
    expect(decodeGroupContext(nonMinimal, 1)).toBeDefined();
    expect(invalidEncoding(nonMinimal).reason).toMatch(/canonical/);
  });

  it("refuses stored proposals of another epoch or stored twice, and a GroupInfo of another epoch", () => {
    const [first] = pendingProposals(world.view);
    if (first === undefined || first.message.wireformat !== "mls_public_message") throw new Error("no proposal");
    const pm = first.message.publicMessage;
    const stale = {
      ...first,
      message: { ...first.message, publicMessage: { ...pm, content: { ...pm.content, epoch: 0n } } },
    };
    invalidEncoding(encodePublicGroup({ ...world.view, pendingProposals: [stale] }));
    invalidEncoding(encodePublicGroup({ ...world.view, pendingProposals: [first, first] }));
    const groupInfo = world.view.groupInfo;
    if (groupInfo === undefined) throw new Error("no GroupInfo");
    invalidEncoding(
      encodePublicGroup({
        ...world.view,
        groupInfo: { ...groupInfo, groupContext: { ...groupInfo.groupContext, epoch: 5n } },
      }),
    );
  });

  it("reads any changed byte as an error or as exactly those bytes (property)", () => {
    const bytes = encodePublicGroup(world.view);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (position, flip) => {
        const changed = bytes.slice();
        const i = position % changed.length;
        changed[i] = (changed[i] ?? 0) ^ flip;
        let restored: ReturnType<typeof decodePublicGroup> | undefined;
        try {
          restored = decodePublicGroup(changed);
        } catch (error) {
          expect(error).toBeInstanceOf(PublicGroupError);
          return;
        }
        expect(hex(encodePublicGroup(restored))).toBe(hex(changed));
      }),
      { numRuns: 300 },
    );
  });
});
