/**
 * mls-extensions s.4.6-4.7: the app_data_dictionary GroupContext extension
 * and the AppDataUpdate proposal (type 8), which ts-mls 1.6.4 carried as an
 * opaque custom proposal and skipped when applying a commit.
 */
import { decode, encode } from "@mimi-ts/codec";
import {
  AppDataUpdateOperation,
  appDataDictionary,
  ComponentId,
  ExtensionType,
  ProposalType,
  appDataUpdate as protocolAppDataUpdate,
} from "@mimi-ts/protocol";
import fc from "fast-check";
import {
  type AppDataUpdate,
  type AppDataUpdateHandler,
  type AppDataUpdateHandlers,
  appDataUpdateOf,
  applyAppDataUpdates,
  type ClientState,
  createCommit,
  createGroupInfoWithExternalPub,
  createProposal,
  decodeAppDataUpdate,
  type Extension,
  emptyPskIndex,
  encodeAppDataUpdate,
  encodeExternalSenders,
  joinGroupExternal,
  makeAppDataUpdateProposal,
  nextGroupContextExtensions,
  type Proposal,
  proposeExternal,
  ValidationError,
} from "ts-mls";
import { applyProposals } from "ts-mls/clientState.js";
import { encodeProposal } from "ts-mls/proposal.js";
import { encodeRequiredCapabilities } from "ts-mls/requiredCapabilities.js";
import { toLeafIndex } from "ts-mls/treemath.js";
import { describe, expect, it } from "vitest";
import {
  basicCredential,
  config,
  groupContextBytes,
  hex,
  newMember,
  publicMessage,
  publishedGroupInfo,
  receive,
  rejectsWith,
  startGroup,
  suite,
} from "../test-support/tsMlsGroup.js";

const utf8 = new TextEncoder();

/**
 * Three components with this test's own logic (MIMI's component ids serve as
 * labels): a log (updates append), a topic (the last update wins), a strict one.
 */
const LOG = ComponentId.participantList;
const TOPIC = ComponentId.roomMetadata;
const STRICT = ComponentId.rolesList;

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
const handlers: AppDataUpdateHandlers = new Map([
  [LOG, append],
  [TOPIC, lastWins],
  // The application refuses an empty update.
  [STRICT, (_current, updates) => (updates.some((u) => u.length === 0) ? undefined : updates.at(-1))],
]);

const update = (componentId: number, text: string): AppDataUpdate => ({
  componentId,
  op: "update",
  update: utf8.encode(text),
});
const remove = (componentId: number): AppDataUpdate => ({ componentId, op: "remove" });

/** app_data_dictionary extension data, written with @mimi-ts/protocol's codec. */
function dictionary(entries: [number, string][]): Uint8Array {
  return encode(appDataDictionary, {
    componentData: entries.map(([componentId, text]) => ({ componentId, data: utf8.encode(text) })),
  });
}

function dictionaryExtension(entries: [number, string][]): Extension {
  return { extensionType: ExtensionType.appDataDictionary, extensionData: dictionary(entries) };
}

/** The dictionary of a GroupContext as [component id, text] pairs, decoded by @mimi-ts/protocol. */
function entriesOf(extensions: Extension[]): [number, string][] | undefined {
  const found = extensions.find((e) => e.extensionType === ExtensionType.appDataDictionary);
  if (found === undefined) return undefined;
  return decode(appDataDictionary, found.extensionData).componentData.map((c) => [
    c.componentId,
    new TextDecoder().decode(c.data),
  ]);
}

const otherExtension: Extension = { extensionType: 0xff0a, extensionData: utf8.encode("other") };

function requiredCapabilities(proposalTypes: number[]): Extension {
  return {
    extensionType: "required_capabilities",
    extensionData: encodeRequiredCapabilities({
      extensionTypes: [ExtensionType.appDataDictionary],
      proposalTypes,
      credentialTypes: [],
    }),
  };
}

describe("AppDataUpdate on the wire (mls-extensions s.4.7)", () => {
  it("encodes as @mimi-ts/protocol's AppDataUpdate and decodes back", () => {
    const bytes = encode(protocolAppDataUpdate, {
      componentId: TOPIC,
      change: { op: AppDataUpdateOperation.update, update: utf8.encode("hi") },
    });
    expect(hex(encodeAppDataUpdate(update(TOPIC, "hi")))).toBe(hex(bytes));
    expect(decodeAppDataUpdate(bytes, 0)).toEqual([update(TOPIC, "hi"), bytes.length]);
    const removal = encode(protocolAppDataUpdate, {
      componentId: TOPIC,
      change: { op: AppDataUpdateOperation.remove },
    });
    expect(hex(encodeAppDataUpdate(remove(TOPIC)))).toBe(hex(removal));
    expect(decodeAppDataUpdate(removal, 0)).toEqual([remove(TOPIC), 3]);
  });

  it("does not decode invalid(0) or unknown operations", () => {
    expect(decodeAppDataUpdate(new Uint8Array([0x00, 0x23, 0x00]), 0)).toBeUndefined();
    expect(decodeAppDataUpdate(new Uint8Array([0x00, 0x23, 0x03]), 0)).toBeUndefined();
  });

  it("is the proposal body itself: proposal type 8, then the struct, no length prefix", () => {
    const body = encodeAppDataUpdate(update(TOPIC, "hi"));
    const proposal = makeAppDataUpdateProposal(update(TOPIC, "hi"));
    expect(proposal.proposalType).toBe(ProposalType.appDataUpdate);
    expect(hex(encodeProposal(proposal))).toBe(`0008${hex(body)}`);
    // A body that is not an AppDataUpdate cannot be sent.
    expect(() => encodeProposal({ proposalType: 8, proposalData: new Uint8Array([0x00, 0x23]) })).toThrow(
      ValidationError,
    );
  });
});

describe("applyAppDataUpdates (mls-extensions s.4.7)", () => {
  it("adds app_data_dictionary at the end when absent, entries sorted by component id", () => {
    const result = applyAppDataUpdates([otherExtension], [update(TOPIC, "t"), update(LOG, "l")], handlers);
    expect(result[0]).toBe(otherExtension);
    expect(result).toHaveLength(2);
    expect(hex(result[1]?.extensionData ?? new Uint8Array())).toBe(
      hex(
        dictionary([
          [LOG, "l"],
          [TOPIC, "t"],
        ]),
      ),
    );
  });

  it("gives a component's handler its data and all its updates in commit order", () => {
    const calls: [string | undefined, string[]][] = [];
    const recording: AppDataUpdateHandlers = new Map([
      [
        LOG,
        (current: Uint8Array | undefined, updates: Uint8Array[]) => {
          const text = (b: Uint8Array) => new TextDecoder().decode(b);
          calls.push([current && text(current), updates.map(text)]);
          return utf8.encode("new");
        },
      ],
      [TOPIC, lastWins],
    ]);
    const before = [dictionaryExtension([[LOG, "old"]])];
    const result = applyAppDataUpdates(before, [update(LOG, "a"), update(TOPIC, "t"), update(LOG, "b")], recording);
    expect(calls).toEqual([["old", ["a", "b"]]]);
    expect(entriesOf(result)).toEqual([
      [LOG, "new"],
      [TOPIC, "t"],
    ]);
  });

  it("removes an entry with a single remove", () => {
    const before = [
      dictionaryExtension([
        [LOG, "l"],
        [TOPIC, "t"],
      ]),
    ];
    expect(entriesOf(applyAppDataUpdates(before, [remove(LOG)], handlers))).toEqual([[TOPIC, "t"]]);
    expect(entriesOf(applyAppDataUpdates(before, [remove(LOG), remove(TOPIC)], handlers))).toEqual([]);
  });

  it("refuses every other list", () => {
    const before = [dictionaryExtension([[LOG, "l"]])];
    const invalid: AppDataUpdate[][] = [
      [remove(TOPIC)], // no state to remove
      [remove(LOG), remove(LOG)],
      [remove(LOG), update(LOG, "x")],
      [update(LOG, "x"), remove(LOG)],
      [update(0x7777, "x")], // a component the application does not know
      [remove(0x7777)],
      [update(STRICT, "")], // the application considers it invalid
    ];
    for (const updates of invalid) {
      expect(() => applyAppDataUpdates(before, updates, handlers)).toThrow(ValidationError);
    }
  });

  it("agrees with a model of the rules on any list (property)", () => {
    const components = [LOG, TOPIC];
    const appending: AppDataUpdateHandlers = new Map(components.map((id) => [id, append]));
    const op = fc.oneof(
      fc.record({
        componentId: fc.constantFrom(...components),
        op: fc.constant("update" as const),
        update: fc.uint8Array({ maxLength: 4 }),
      }),
      fc.record({ componentId: fc.constantFrom(...components), op: fc.constant("remove" as const) }),
    );
    const initial = fc
      .subarray(components)
      .chain((present) => fc.tuple(...present.map((id) => fc.tuple(fc.constant(id), fc.uint8Array({ maxLength: 4 })))));
    fc.assert(
      fc.property(initial, fc.array(op, { maxLength: 6 }), (start, updates) => {
        const before: Extension[] =
          start.length === 0
            ? []
            : [
                {
                  extensionType: ExtensionType.appDataDictionary,
                  extensionData: encode(appDataDictionary, {
                    componentData: start.map(([componentId, data]) => ({ componentId, data })),
                  }),
                },
              ];
        // The model: per component, one remove of present data, or only updates.
        const model = new Map<number, Uint8Array>(start);
        let valid = true;
        for (const id of components) {
          const mine = updates.filter((u) => u.componentId === id);
          if (mine.length === 0) continue;
          if (mine.every((u) => u.op === "update")) {
            model.set(id, concat(model.get(id) ?? new Uint8Array(), ...mine.map((u) => u.update)));
          } else if (mine.length === 1 && model.has(id)) {
            model.delete(id);
          } else {
            valid = false;
          }
        }
        if (!valid) {
          expect(() => applyAppDataUpdates(before, updates, appending)).toThrow(ValidationError);
          return;
        }
        const after = applyAppDataUpdates(before, updates, appending);
        if (updates.length === 0) {
          expect(after).toEqual(before);
          return;
        }
        const expected = [...model.entries()]
          .sort(([x], [y]) => x - y)
          .map(([componentId, data]) => ({ componentId, data }));
        expect(after).toHaveLength(1);
        expect(hex(after[0]?.extensionData ?? new Uint8Array())).toBe(
          hex(encode(appDataDictionary, { componentData: expected })),
        );
      }),
    );
  });
});

describe("nextGroupContextExtensions: GroupContextExtensions, then AppDataUpdates (mls-extensions s.4.7)", () => {
  it("applies the GroupContextExtensions proposal first", () => {
    const current = [dictionaryExtension([[LOG, "l"]])];
    const proposed = [otherExtension, dictionaryExtension([[LOG, "l"]])];
    const result = nextGroupContextExtensions(current, proposed, [update(LOG, "+")], handlers);
    expect(result[0]).toBe(otherExtension);
    expect(entriesOf(result)).toEqual([[LOG, "l+"]]);
  });

  it("lets a GroupContextExtensions proposal set the dictionary unless app_data_update is required", () => {
    const current = [requiredCapabilities([]), dictionaryExtension([[LOG, "l"]])];
    const proposed = [requiredCapabilities([]), dictionaryExtension([[LOG, "changed"]])];
    expect(entriesOf(nextGroupContextExtensions(current, proposed, [], handlers))).toEqual([[LOG, "changed"]]);

    const required = requiredCapabilities([ProposalType.appDataUpdate]);
    const guarded = [required, dictionaryExtension([[LOG, "l"]])];
    for (const change of [
      [required, dictionaryExtension([[LOG, "changed"]])], // modify
      [required], // remove
    ]) {
      expect(() => nextGroupContextExtensions(guarded, change, [], handlers)).toThrow(ValidationError);
    }
    // add
    expect(() => nextGroupContextExtensions([required], [required, dictionaryExtension([])], [], handlers)).toThrow(
      ValidationError,
    );
    // other extensions may change, and AppDataUpdates still apply
    const result = nextGroupContextExtensions(
      guarded,
      [required, otherExtension, dictionaryExtension([[LOG, "l"]])],
      [update(LOG, "+")],
      handlers,
    );
    expect(result[1]).toBe(otherExtension);
    expect(entriesOf(result)).toEqual([[LOG, "l+"]]);
  });
});

describe("AppDataUpdate proposals in a group", () => {
  const clientConfig = config({ appDataUpdateHandlers: handlers });

  async function twoMembers(extensions: Extension[] = []): Promise<[ClientState, ClientState]> {
    const members = await Promise.all(["alice", "bob"].map((n) => newMember(n)));
    return (await startGroup(members, { extensions, clientConfig })) as [ClientState, ClientState];
  }

  it("commit by value without an UpdatePath; both members reach the same GroupContext", async () => {
    let [a, b] = await twoMembers();
    const proposals = [update(LOG, "a"), update(TOPIC, "t"), update(LOG, "b")].map(makeAppDataUpdateProposal);
    const commit = await createCommit(
      { state: a, cipherSuite: suite },
      { wireAsPublicMessage: true, extraProposals: proposals },
    );
    if (commit.commit.wireformat !== "mls_public_message") throw new Error("not a PublicMessage");
    const content = commit.commit.publicMessage.content;
    if (content.contentType !== "commit") throw new Error("not a commit");
    expect(content.commit.path).toBeUndefined();
    // An observer of the PublicMessage applies the same rules with the exported functions.
    const observed = nextGroupContextExtensions(
      a.groupContext.extensions,
      undefined,
      content.commit.proposals.flatMap((p) => {
        const found = p.proposalOrRefType === "proposal" ? appDataUpdateOf(p.proposal) : undefined;
        return found === undefined ? [] : [found];
      }),
      handlers,
    );
    a = commit.newState;
    b = await receive(b, commit.commit);
    expect(hex(groupContextBytes(b))).toBe(hex(groupContextBytes(a)));
    expect(observed).toEqual(a.groupContext.extensions);
    expect(entriesOf(a.groupContext.extensions)).toEqual([
      [LOG, "ab"],
      [TOPIC, "t"],
    ]);

    // A second commit changes the existing entries.
    const second = await createCommit(
      { state: a, cipherSuite: suite },
      { extraProposals: [update(LOG, "c"), remove(TOPIC)].map(makeAppDataUpdateProposal) },
    );
    a = second.newState;
    b = await receive(b, second.commit);
    expect(hex(groupContextBytes(b))).toBe(hex(groupContextBytes(a)));
    expect(entriesOf(b.groupContext.extensions)).toEqual([[LOG, "abc"]]);
  });

  it("commit by reference, proposed by a member and by an external sender", async () => {
    const hub = await suite.signature.keygen();
    const externalSenders: Extension = {
      extensionType: "external_senders",
      extensionData: encodeExternalSenders([{ signaturePublicKey: hub.publicKey, credential: basicCredential("hub") }]),
    };
    let [a, b] = await twoMembers([externalSenders]);
    const byBob = await createProposal(b, true, makeAppDataUpdateProposal(update(LOG, "bob")), suite);
    b = byBob.newState;
    a = await receive(a, byBob.message);
    const byHub = await proposeExternal(
      await createGroupInfoWithExternalPub(a, [], suite),
      makeAppDataUpdateProposal(update(TOPIC, "from the hub")),
      hub.publicKey,
      hub.signKey,
      suite,
    );
    a = await receive(a, byHub);
    b = await receive(b, byHub);
    const commit = await createCommit({ state: a, cipherSuite: suite });
    a = commit.newState;
    b = await receive(b, commit.commit);
    expect(hex(groupContextBytes(b))).toBe(hex(groupContextBytes(a)));
    expect(entriesOf(a.groupContext.extensions)).toEqual([
      [LOG, "bob"],
      [TOPIC, "from the hub"],
    ]);
  });

  it("is refused by a receiver whose application does not know the component", async () => {
    const [a, b] = await twoMembers();
    // Bob's application knows only the topic component.
    const narrowBob: ClientState = {
      ...b,
      clientConfig: config({ appDataUpdateHandlers: new Map([[TOPIC, lastWins]]) }),
    };
    const commit = await createCommit(
      { state: a, cipherSuite: suite },
      { extraProposals: [makeAppDataUpdateProposal(update(LOG, "x"))] },
    );
    await rejectsWith(
      receive(narrowBob, commit.commit),
      ValidationError,
      /component 34, which the application does not know/,
    );
    // Without any handlers, a commit with an AppDataUpdate cannot even be created.
    const noHandlers: ClientState = { ...a, clientConfig: config() };
    await rejectsWith(
      createCommit(
        { state: noHandlers, cipherSuite: suite },
        { extraProposals: [makeAppDataUpdateProposal(update(TOPIC, "x"))] },
      ),
      ValidationError,
      /component 35, which the application does not know/,
    );
  });

  it("commit with a GroupContextExtensions proposal: other extensions first, then the AppDataUpdates", async () => {
    let [a, b] = await twoMembers();
    const first = await createCommit(
      { state: a, cipherSuite: suite },
      { extraProposals: [makeAppDataUpdateProposal(update(LOG, "l"))] },
    );
    a = first.newState;
    b = await receive(b, first.commit);
    const gce: Proposal = {
      proposalType: "group_context_extensions",
      groupContextExtensions: { extensions: [otherExtension, ...a.groupContext.extensions] },
    };
    const commit = await createCommit(
      { state: a, cipherSuite: suite },
      { wireAsPublicMessage: true, extraProposals: [gce, makeAppDataUpdateProposal(update(LOG, "+"))] },
    );
    // RFC 9420 s.17.4: a GroupContextExtensions proposal requires an UpdatePath.
    if (commit.commit.wireformat !== "mls_public_message") throw new Error("not a PublicMessage");
    const content = commit.commit.publicMessage.content;
    expect(content.contentType === "commit" && content.commit.path !== undefined).toBe(true);
    a = commit.newState;
    b = await receive(b, commit.commit);
    expect(hex(groupContextBytes(b))).toBe(hex(groupContextBytes(a)));
    expect(a.groupContext.extensions[0]).toEqual(otherExtension);
    expect(entriesOf(a.groupContext.extensions)).toEqual([[LOG, "l+"]]);
  });

  it("refuses a GroupContextExtensions proposal that changes app_data_dictionary when app_data_update is required", async () => {
    const required = requiredCapabilities([ProposalType.appDataUpdate]);
    const [a] = await twoMembers([required, dictionaryExtension([[LOG, "l"]])]);
    const gce: Proposal = {
      proposalType: "group_context_extensions",
      groupContextExtensions: { extensions: [required, dictionaryExtension([[LOG, "changed"]])] },
    };
    await rejectsWith(
      createCommit({ state: a, cipherSuite: suite }, { extraProposals: [gce] }),
      ValidationError,
      /cannot add, remove or modify app_data_dictionary/,
    );
  });

  it("needs an UpdatePath only when another proposal does (RFC 9420 s.17.4, mls-extensions s.7.2)", async () => {
    const [a] = await twoMembers();
    const carol = await newMember("carol");
    const needsPath = async (proposals: Proposal[]) =>
      (
        await applyProposals(
          a,
          proposals.map((proposal) => ({ proposalOrRefType: "proposal", proposal })),
          toLeafIndex(a.privatePath.leafIndex),
          emptyPskIndex,
          true,
          suite,
        )
      ).needsUpdatePath;
    const appData = makeAppDataUpdateProposal(update(LOG, "x"));
    const add: Proposal = { proposalType: "add", add: { keyPackage: carol.publicPackage } };
    const gce: Proposal = {
      proposalType: "group_context_extensions",
      groupContextExtensions: { extensions: [otherExtension] },
    };
    expect(await needsPath([appData])).toBe(false);
    expect(await needsPath([appData, appData, add])).toBe(false);
    expect(await needsPath([])).toBe(true);
    expect(await needsPath([gce])).toBe(true);
    expect(await needsPath([gce, appData])).toBe(true);
  });

  it("refuses to add a member that does not support the app_data_dictionary the commit creates", async () => {
    const [a] = await twoMembers();
    const dave = await newMember("dave", basicCredential("dave"), {
      versions: ["mls10"],
      ciphersuites: [suite.name],
      extensions: [],
      proposals: [],
      credentials: ["basic"],
    });
    await rejectsWith(
      createCommit(
        { state: a, cipherSuite: suite },
        {
          extraProposals: [
            { proposalType: "add", add: { keyPackage: dave.publicPackage } },
            makeAppDataUpdateProposal(update(LOG, "x")),
          ],
        },
      ),
      ValidationError,
      /support extension in the new GroupContext/,
    );
  });

  it("may be included by value in an external commit", async () => {
    let [a, b] = await twoMembers();
    const dave = await newMember("dave");
    const joined = await joinGroupExternal(
      await publishedGroupInfo(a),
      dave.publicPackage,
      dave.privatePackage,
      false,
      suite,
      undefined,
      clientConfig,
      undefined,
      { extraProposals: [makeAppDataUpdateProposal(update(TOPIC, "dave was here"))] },
    );
    const commit = publicMessage(joined.publicMessage);
    a = await receive(a, commit);
    b = await receive(b, commit);
    expect(hex(groupContextBytes(a))).toBe(hex(groupContextBytes(joined.newState)));
    expect(hex(groupContextBytes(b))).toBe(hex(groupContextBytes(joined.newState)));
    expect(entriesOf(a.groupContext.extensions)).toEqual([[TOPIC, "dave was here"]]);
  });
});
