import { enumeration, optional, select, struct, uint8, type ValueOf, varOpaque, vector } from "@mimi-ts/codec";
import { extension, node } from "./mls.js";
import { type StructEntry, structEntry } from "./structEntry.js";

/** ratchet-tree-options-03 s.3; reserved(0) is not a representation. */
export const RatchetTreeRepresentation = { full: 1, httpsUri: 2, outOfBand: 3, distributionService: 4 } as const;

/**
 * ratchet-tree-options-03 s.3. Two readings: the draft's `case httpsUrl`
 * is the enum's `httpsUri`; and `Node ratchet_tree<V>` is read as RFC 9420's
 * ratchet_tree extension, `optional<Node> ratchet_tree<V>`, since a tree
 * with blank nodes cannot be written otherwise.
 */
export const ratchetTreeOption = select(
  "RatchetTreeOption",
  "representation",
  enumeration("RatchetTreeRepresentation", uint8, RatchetTreeRepresentation),
  {
    [RatchetTreeRepresentation.full]: { ratchetTree: vector(optional(node)) },
    [RatchetTreeRepresentation.httpsUri]: { ratchetTreeUrl: varOpaque(), treeSignature: varOpaque() },
    [RatchetTreeRepresentation.outOfBand]: { treeSignature: varOpaque() },
    [RatchetTreeRepresentation.distributionService]: {},
  },
);
export type RatchetTreeOption = ValueOf<typeof ratchetTreeOption>;

/** ratchet-tree-options-03 s.4. */
export const RatchetTreePresence = { noRatchetTree: 0, present: 1, removed: 2, added: 3 } as const;

/** ratchet-tree-options-03 s.4: what a Hub needs, beyond the handshake, to rebuild the GroupInfo. */
export const partialGroupInfo = struct("PartialGroupInfo", {
  ratchetTreePresence: enumeration("RatchetTreePresence", uint8, RatchetTreePresence),
  /** GroupInfo extensions except ratchet_tree */
  groupInfoExtensions: vector(extension),
  signature: varOpaque(),
});
export type PartialGroupInfo = ValueOf<typeof partialGroupInfo>;

/** ratchet-tree-options-03 s.3.1: the ratchet_tree_source_domains GroupContext extension. */
export const domainList = struct("DomainList", { domains: vector(struct("Domain", { domain: varOpaque() })) });
export type DomainList = ValueOf<typeof domainList>;

export const ratchetTreeOptionStructs: readonly StructEntry[] = [
  structEntry("RatchetTreeOption", ratchetTreeOption, "ratchet-tree-options-03 s.3"),
  structEntry("PartialGroupInfo", partialGroupInfo, "ratchet-tree-options-03 s.4"),
  structEntry("DomainList", domainList, "ratchet-tree-options-03 s.3.1"),
];
