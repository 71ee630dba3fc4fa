import {
  type Codec,
  CodecError,
  enumeration,
  optional,
  refine,
  select,
  struct,
  uint8,
  uint64,
  type ValueOf,
  varOpaque,
  vector,
} from "@mimi-ts/codec";
import type { GroupInfo } from "ts-mls";
import { extensionTypeToNumber } from "ts-mls/extension.js";
import { ExtensionType, Protocol } from "./constants.js";
import { protocol } from "./keyMaterial.js";
import {
  cipherSuite,
  credential,
  externalSender,
  groupInfo,
  hpkeCiphertext,
  hpkePublicKey,
  signaturePublicKey,
} from "./mls.js";
import { publicProposalMessage } from "./mlsMessageKinds.js";
import { ratchetTreeOption } from "./ratchetTreeOptions.js";
import { type StructEntry, structEntry } from "./structEntry.js";

const mls10RequestFields = {
  cipherSuite,
  requestingSignatureKey: signaturePublicKey,
  requestingCredential: credential,
  groupInfoPublicKey: hpkePublicKey,
  /**
   * protocol-06 s.5.6 writes `optional opaque joiningCode<V>` in the TBS but
   * `opaque joiningCode<V>` in the request. The request must be the TBS plus
   * the signature, so both read `optional<opaque joiningCode<V>>` (RFC 9420 s.2.1.1).
   */
  joiningCode: optional(varOpaque()),
} as const;

/** protocol-06 s.5.6: what the requesting client signs, GroupInfoRequest without its signature. */
export const groupInfoRequestTbs = select("GroupInfoRequestTBS", "protocol", protocol, {
  [Protocol.mls10]: mls10RequestFields,
});
export type GroupInfoRequestTbs = ValueOf<typeof groupInfoRequestTbs>;

/** protocol-06 s.5.6: POST /groupInfo/{roomId}, a client asking the hub for what it needs to join externally. */
export const groupInfoRequest = select("GroupInfoRequest", "protocol", protocol, {
  [Protocol.mls10]: {
    ...mls10RequestFields,
    /** SignWithLabel(requestingSignatureKey, "GroupInfoRequestTBS", GroupInfoRequestTBS) */
    signature: varOpaque(),
  },
});
export type GroupInfoRequest = ValueOf<typeof groupInfoRequest>;

/** The TBS a GroupInfoRequest's signature covers. */
export function groupInfoRequestToBeSigned(request: GroupInfoRequest): GroupInfoRequestTbs {
  const { signature: _signature, ...tbs } = request;
  return tbs;
}

/** protocol-06 s.5.6; reserved(0) is not a status. */
export const GroupInfoCode = { success: 1, notAuthorized: 2, noSuchRoom: 3 } as const;
export const groupInfoCode = enumeration("GroupInfoCode", uint8, GroupInfoCode);

/**
 * protocol-06 s.5.6: a proposal the hub accepted in the current epoch. The
 * hub can only have validated and accepted a proposal it can read, so the
 * MLSMessage must be a PublicMessage proposal; both directions enforce it.
 */
export const pendingProposal = struct("PendingProposal", {
  proposal: publicProposalMessage,
  hubAcceptedTime: uint64,
});
export type PendingProposal = ValueOf<typeof pendingProposal>;

function checkNoRatchetTree(info: GroupInfo): GroupInfo {
  const at = info.extensions.findIndex(
    (extension) => extensionTypeToNumber(extension.extensionType) === ExtensionType.ratchetTree,
  );
  if (at >= 0) {
    throw new CodecError("the GroupInfo must not embed a ratchet_tree extension (the tree is in ratchetTreeOption)", {
      field: `extensions[${at}]`,
    });
  }
  return info;
}

/**
 * protocol-06 s.5.6: the plaintext of encrypted_groupinfo_and_tree
 * (EncryptWithLabel(groupInfoPublicKey, "GroupInfo and ratchet_tree
 * encryption", room_id, ...)). The GroupInfo is RFC 9420's struct, not an
 * MLSMessage, and "without embedded ratchet_tree": a ratchet_tree extension
 * is refused in both directions, the tree travels in ratchetTreeOption.
 */
export const groupInfoRatchetTreeTbe = struct("GroupInfoRatchetTreeTBE", {
  groupInfo: refine(groupInfo, checkNoRatchetTree, "GroupInfo"),
  ratchetTreeOption,
  pendingProposals: vector(pendingProposal),
});
export type GroupInfoRatchetTreeTbe = ValueOf<typeof groupInfoRatchetTreeTbe>;

const mls10ResponseFields = {
  cipherSuite,
  hubSender: externalSender,
  encryptedGroupinfoAndTree: hpkeCiphertext,
} as const;

/**
 * protocol-06 s.5.6. The draft's first field is named `version` but its
 * select reads `select (protocol)`: it is the Protocol (the name `version` is
 * kept). The status follows two fields, so the select is the `result` field
 * of an outer struct: `{ version, roomId, result: { status, ... } }`. Only
 * success carries fields (`default: struct{}`), and reserved(0) is not a status.
 * room_id is kept as the draft's `opaque room_id<V>` (it is the HPKE context).
 */
export const groupInfoResponse = struct("GroupInfoResponse", {
  version: protocol,
  roomId: varOpaque(),
  result: select("GroupInfoResult", "status", groupInfoCode, {
    [GroupInfoCode.success]: {
      ...mls10ResponseFields,
      /** SignWithLabel(hub_sender.signature_key, "GroupInfoResponseTBS", GroupInfoResponseTBS) */
      signature: varOpaque(),
    },
    [GroupInfoCode.notAuthorized]: {},
    [GroupInfoCode.noSuchRoom]: {},
  }),
});
export type GroupInfoResponse = ValueOf<typeof groupInfoResponse>;
export type GroupInfoResult = GroupInfoResponse["result"];
/** A GroupInfoResponse whose status is success: the only kind that is signed. */
export type SuccessfulGroupInfoResponse = GroupInfoResponse & {
  result: Extract<GroupInfoResult, { status: typeof GroupInfoCode.success }>;
};

const groupInfoResponseTbsLayout = struct("GroupInfoResponseTBS", {
  version: protocol,
  roomId: varOpaque(),
  status: groupInfoCode,
  ...mls10ResponseFields,
});
type GroupInfoResponseTbsLayout = ValueOf<typeof groupInfoResponseTbsLayout>;

function checkSuccess(tbs: GroupInfoResponseTbsLayout): GroupInfoResponseTbsLayout {
  if (tbs.status !== GroupInfoCode.success) {
    throw new CodecError(`must be success (only a success response is signed), found ${tbs.status}`, {
      struct: "GroupInfoResponseTBS",
      field: "status",
    });
  }
  return tbs;
}

/**
 * protocol-06 s.5.6: what the hub signs, the success GroupInfoResponse
 * without its signature, flat as the draft lays it out: version, room_id,
 * status (always success: no other response is signed, and both directions
 * enforce it), cipher_suite, hub_sender, encrypted_groupinfo_and_tree.
 */
export const groupInfoResponseTbs: Codec<GroupInfoResponseTbsLayout> = refine(
  groupInfoResponseTbsLayout,
  checkSuccess,
  "GroupInfoResponseTBS",
);
export type GroupInfoResponseTbs = ValueOf<typeof groupInfoResponseTbs>;

/** The TBS a success GroupInfoResponse's signature covers. */
export function groupInfoResponseToBeSigned(response: SuccessfulGroupInfoResponse): GroupInfoResponseTbs {
  const { status, cipherSuite, hubSender, encryptedGroupinfoAndTree } = response.result;
  return {
    version: response.version,
    roomId: response.roomId,
    status,
    cipherSuite,
    hubSender,
    encryptedGroupinfoAndTree,
  };
}

export const groupInfoStructs: readonly StructEntry[] = [
  structEntry("GroupInfoRequestTBS", groupInfoRequestTbs, "protocol-06 s.5.6"),
  structEntry("GroupInfoRequest", groupInfoRequest, "protocol-06 s.5.6"),
  structEntry("GroupInfoCode", groupInfoCode, "protocol-06 s.5.6"),
  structEntry("PendingProposal", pendingProposal, "protocol-06 s.5.6"),
  structEntry("GroupInfoRatchetTreeTBE", groupInfoRatchetTreeTbe, "protocol-06 s.5.6"),
  structEntry("GroupInfoResponseTBS", groupInfoResponseTbs, "protocol-06 s.5.6"),
  structEntry("GroupInfoResponse", groupInfoResponse, "protocol-06 s.5.6"),
];
