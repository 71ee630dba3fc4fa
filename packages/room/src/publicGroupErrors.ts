/**
 * Why the Hub's view of a group refused a message, a GroupInfo or stored
 * bytes: a machine-readable code and a human reason. Every exception from
 * ts-mls inside (ValidationError, CryptoVerificationError, CodecError, and
 * any TypeError a malformed structure causes) becomes one of these.
 */
export type PublicGroupErrorCode =
  /** the message or GroupInfo is for another group */
  | "wrongGroup"
  /** the message or GroupInfo is for another epoch; `currentEpoch` is the view's */
  | "wrongEpoch"
  /** the sender is not a member (blank leaf), not a listed external sender, or not the signer of the GroupInfo */
  | "unknownSender"
  /** the signature does not verify with the sender's key */
  | "badSignature"
  /** a proposal is invalid; `proposalRefs` names it when it has a ProposalRef */
  | "invalidProposal"
  /** a commit is invalid; `proposalRefs` names the references it could not resolve, if any */
  | "invalidCommit"
  /** not a PublicMessage holding a proposal or a commit */
  | "notPublicMessage"
  /** a GroupInfo or ratchet tree that does not describe the group as the view has it */
  | "invalidGroupInfo"
  /** stored bytes that are not exactly one encoded view */
  | "invalidEncoding";

export interface PublicGroupErrorDetails {
  readonly currentEpoch?: bigint;
  readonly proposalRefs?: readonly Uint8Array[];
  readonly cause?: unknown;
}

export class PublicGroupError extends Error {
  override readonly name = "PublicGroupError";
  readonly code: PublicGroupErrorCode;
  readonly reason: string;
  /** The view's epoch, for `wrongEpoch`. */
  readonly currentEpoch: bigint | undefined;
  /** The ProposalRefs of the offending proposals, where there are any. */
  readonly proposalRefs: readonly Uint8Array[];

  constructor(code: PublicGroupErrorCode, reason: string, details: PublicGroupErrorDetails = {}) {
    super(`${code}: ${reason}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.reason = reason;
    this.currentEpoch = details.currentEpoch;
    this.proposalRefs = details.proposalRefs ?? [];
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs a step that may throw (ts-mls throws on what it refuses) and turns any
 * exception other than a PublicGroupError into one with `code`, the reason
 * being `context` followed by the exception's message.
 */
export async function refuseOnThrow<T>(
  code: PublicGroupErrorCode,
  context: string,
  step: () => T | Promise<T>,
  details: Omit<PublicGroupErrorDetails, "cause"> = {},
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof PublicGroupError) throw error;
    throw new PublicGroupError(code, `${context}: ${messageOf(error)}`, { ...details, cause: error });
  }
}

/** Turns an error that a ts-mls validator returns (rather than throws) into a PublicGroupError. */
export function refuseIfDefined(
  code: PublicGroupErrorCode,
  context: string,
  error: Error | undefined,
  details: Omit<PublicGroupErrorDetails, "cause"> = {},
): void {
  if (error !== undefined)
    throw new PublicGroupError(code, `${context}: ${error.message}`, { ...details, cause: error });
}
