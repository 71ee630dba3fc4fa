/**
 * How long the Hub's view of a group takes to apply one commit, against how
 * long a member takes to process the same commit, at 10, 100 and 1000
 * members. Two commits: an empty commit (the committer's UpdatePath, a full
 * path update) and an Add of one client (no UpdatePath). Also the time to
 * start the view from a GroupInfo and the ratchet tree (every leaf's
 * signature, parent hashes, tree hash).
 *
 * Each group is built with one commit adding everyone, as a MIMI member makes
 * it (a PublicMessage, no ratchet_tree extension); the time to create that
 * commit is measured too (three creations from the same state). One member
 * joins from its Welcome and processes the measured commits, which another
 * member makes. Medians of a few runs, in milliseconds, then the figures the
 * issue gives as baselines beside ours. Run: `pnpm bench` (`tsx bench/publicGroup.ts`).
 */
import {
  type ClientState,
  createCommit,
  createGroup,
  createGroupInfoWithExternalPubAndRatchetTree,
  defaultAuthenticationService,
  defaultLifetime,
  defaultLifetimeConfig,
  emptyPskIndex,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  type KeyPackage,
  type MLSMessage,
  type PrivateKeyPackage,
  type Proposal,
  processMessage,
} from "ts-mls";
import {
  acceptGroupInfo,
  type PublicGroupOptions,
  type PublicGroupState,
  processPublicMessage,
  publicGroupFromGroupInfo,
} from "../src/publicGroup.js";

const suite = await getCiphersuiteImpl(getCiphersuiteFromName("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"));
const options: PublicGroupOptions = {
  cipherSuite: suite,
  authService: defaultAuthenticationService,
  appDataUpdateHandlers: new Map(),
  lifetimeConfig: defaultLifetimeConfig,
};
const utf8 = new TextEncoder();

interface Client {
  publicPackage: KeyPackage;
  privatePackage: PrivateKeyPackage;
}

async function clients(count: number, from: number): Promise<Client[]> {
  // Capabilities by hand: defaultCapabilities() adds random GREASE values.
  const capabilities = {
    versions: ["mls10" as const],
    ciphersuites: [suite.name],
    extensions: [],
    proposals: [],
    credentials: ["basic" as const],
  };
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      generateKeyPackage(
        { credentialType: "basic", identity: utf8.encode(`mimi://example.com/d/bench/${from + i}`) },
        capabilities,
        defaultLifetime,
        [],
        suite,
      ),
    ),
  );
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await run();
  return [result, performance.now() - start];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

interface Group {
  committer: ClientState;
  receiver: ClientState;
  view: PublicGroupState;
  created: number;
}

const creations = 3;

/**
 * c0 creates the group and adds everyone else in one commit (timed: the
 * median of three creations from the same state); c1 joins from the Welcome;
 * the view starts from c0's GroupInfo.
 */
async function buildGroup(size: number): Promise<{ group: Group; viewStart: number; createAddAll: number }> {
  const everyone = await clients(size, 0);
  const [first, second, ...rest] = everyone;
  if (first === undefined || second === undefined) throw new Error("a group of at least two");
  const created = await createGroup(
    utf8.encode("mimi://example.com/r/bench"),
    first.publicPackage,
    first.privatePackage,
    [],
    suite,
  );
  const addAll = () =>
    createCommit(
      { state: created, cipherSuite: suite },
      {
        wireAsPublicMessage: true,
        ratchetTreeExtension: false,
        extraProposals: [second, ...rest].map((c) => ({ proposalType: "add", add: { keyPackage: c.publicPackage } })),
      },
    );
  const createTimes: number[] = [];
  let added: Awaited<ReturnType<typeof addAll>> | undefined;
  for (let run = 0; run < creations; run++) {
    const [result, time] = await timed(addAll);
    added = result;
    createTimes.push(time);
  }
  if (added?.welcome === undefined) throw new Error("no Welcome");
  const tree = added.newState.ratchetTree;
  const receiver = await joinGroup(
    added.welcome,
    second.publicPackage,
    second.privatePackage,
    emptyPskIndex,
    suite,
    tree,
  );
  const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(added.newState, [], suite);
  const [view, viewStart] = await timed(() => publicGroupFromGroupInfo(groupInfo, tree, options));
  return {
    group: { committer: added.newState, receiver, view, created: size },
    viewStart,
    createAddAll: median(createTimes),
  };
}

/** The committer commits; the view and the receiving member process the commit; their times. */
async function measureCommit(group: Group, extraProposals: Proposal[]): Promise<[Group, number, number]> {
  const { commit, newState } = await createCommit(
    { state: group.committer, cipherSuite: suite },
    { wireAsPublicMessage: true, extraProposals },
  );
  const [applied, viewTime] = await timed(() => processPublicMessage(group.view, commit, options));
  const [processed, memberTime] = await timed(() =>
    processMessage(asHandshake(commit), group.receiver, emptyPskIndex, () => "accept", suite),
  );
  if (applied.kind !== "commit" || processed.kind !== "newState") throw new Error("not a commit");
  const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(newState, [], suite);
  const view = await acceptGroupInfo(applied.state, groupInfo, options);
  return [{ ...group, committer: newState, receiver: processed.newState, view }, viewTime, memberTime];
}

function asHandshake(message: MLSMessage) {
  if (message.wireformat !== "mls_public_message") throw new Error("not a PublicMessage");
  return message;
}

const runs = (size: number) => (size >= 1000 ? 3 : 7);
const rows: string[][] = [];
let thousand: { createAddAll: number; viewUpdate: number; viewAdd: number } | undefined;
for (const size of [10, 100, 1000]) {
  const built = await buildGroup(size);
  let group = built.group;
  const times = {
    viewUpdate: [] as number[],
    memberUpdate: [] as number[],
    viewAdd: [] as number[],
    memberAdd: [] as number[],
  };
  // One untimed round of each, then the measured ones.
  for (let run = 0; run <= runs(size); run++) {
    const [afterUpdate, viewUpdate, memberUpdate] = await measureCommit(group, []);
    const [newcomer] = await clients(1, group.created);
    if (newcomer === undefined) throw new Error("no client");
    const [afterAdd, viewAdd, memberAdd] = await measureCommit({ ...afterUpdate, created: group.created + 1 }, [
      { proposalType: "add", add: { keyPackage: newcomer.publicPackage } },
    ]);
    group = afterAdd;
    if (run === 0) continue;
    times.viewUpdate.push(viewUpdate);
    times.memberUpdate.push(memberUpdate);
    times.viewAdd.push(viewAdd);
    times.memberAdd.push(memberAdd);
  }
  rows.push([
    String(size),
    ...[times.viewUpdate, times.memberUpdate, times.viewAdd, times.memberAdd].map((t) => median(t).toFixed(1)),
    built.viewStart.toFixed(1),
    built.createAddAll.toFixed(1),
  ]);
  if (size === 1000) {
    thousand = {
      createAddAll: built.createAddAll,
      viewUpdate: median(times.viewUpdate),
      viewAdd: median(times.viewAdd),
    };
  }
}

const header = [
  "members",
  "view: update",
  "member: update",
  "view: add 1",
  "member: add 1",
  "view from GroupInfo",
  "member: create commit adding all",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join("  ");
console.log("Hub's view vs a member, one commit (median ms)");
console.log(line(header));
for (const row of rows) console.log(line(row));

if (thousand !== undefined) {
  console.log();
  console.log("At 1000 members, against the issue's baselines (ts-mls default crypto)");
  const baselines = [
    ["a member creates the commit adding 999 clients", "1600", thousand.createAddAll.toFixed(0)],
    ["the Hub's view applies one commit (update, full path)", "240", thousand.viewUpdate.toFixed(0)],
    ["the Hub's view applies one commit (add 1, no path)", "240", thousand.viewAdd.toFixed(0)],
  ];
  const width = Math.max(...baselines.map(([what]) => what?.length ?? 0));
  console.log(`${"".padEnd(width)}  baseline ms  ours ms`);
  for (const [what, baseline, ours] of baselines) {
    console.log(`${(what ?? "").padEnd(width)}  ${(baseline ?? "").padStart(11)}  ${(ours ?? "").padStart(7)}`);
  }
}
