import {
  type Codec,
  CodecError,
  type DecodeOptions,
  decode,
  encode,
  optional,
  select,
  struct,
  uint64,
  type ValueOf,
  vector,
} from "@mimi-ts/codec";
import type { MLSMessage } from "ts-mls";
import { frank } from "./franking.js";
import { mlsMessage } from "./mls.js";
import { describeMlsMessage, publicProposalMessage } from "./mlsMessageKinds.js";
import { ratchetTreeOption } from "./ratchetTreeOptions.js";
import { type StructEntry, structEntry } from "./structEntry.js";

/**
 * Reading of `select (message.wire_format)`, whose cases mix wire formats
 * and content types: a PrivateMessage with application content is
 * `application`, a Welcome is `welcome`, a PublicMessage's proposal or commit
 * content is `proposal` or `commit`; anything else is refused. The draft's
 * SemiPrivateMessage alternative is not supported (ts-mls has none).
 */
function fanoutCase(message: MLSMessage): "application" | "welcome" | "proposal" | "commit" {
  switch (message.wireformat) {
    case "mls_private_message":
      if (message.privateMessage.contentType === "application") return "application";
      break;
    case "mls_welcome":
      return "welcome";
    case "mls_public_message": {
      const contentType = message.publicMessage.content.contentType;
      if (contentType !== "application") return contentType;
      break;
    }
  }
  throw new CodecError(
    `expected a PrivateMessage application message, a Welcome, or a PublicMessage proposal or commit, found ${describeMlsMessage(message)}`,
  );
}

/**
 * protocol-06 s.5.5: the message and what travels with it. moreProposals and
 * externalProposals (the hub's replacement proposals stapled to an external
 * commit) must each be a PublicMessage proposal.
 */
const fanoutContent = select(
  "FanoutMessage",
  "message",
  mlsMessage,
  {
    application: { frank: optional(frank) },
    welcome: { ratchetTreeOption },
    proposal: { moreProposals: vector(publicProposalMessage) },
    commit: { externalProposals: vector(publicProposalMessage) },
  },
  fanoutCase,
);

/**
 * protocol-06 s.5.5: what the hub sends to POST /notify/{roomId}. The draft's
 * `select (protocol)` has no protocol field to select on; only mls10 exists,
 * so its layout is the layout. The select on the message follows the
 * timestamp, so it nests one level: `{ timestamp, content: { message, ... } }`.
 */
export const fanoutMessage = struct("FanoutMessage", { timestamp: uint64, content: fanoutContent });
export type FanoutMessage = ValueOf<typeof fanoutMessage>;

/** The error located in the index-th message of a body. */
function atMessage(error: unknown, index: number): unknown {
  if (!(error instanceof CodecError)) return error;
  return new CodecError(error.reason, {
    struct: error.struct,
    field: error.field,
    path: error.path === "" ? `[${index}]` : `[${index}].${error.path}`,
    cause: error.cause,
  });
}

const EMPTY_BODY = "a /notify body holds at least one FanoutMessage";

/** protocol-06 s.5.5: one or more FanoutMessages back to back, with no length prefix. */
const fanoutMessages: Codec<FanoutMessage[]> = {
  name: "FanoutMessages",
  write(writer, messages) {
    if (messages.length === 0) throw new CodecError(EMPTY_BODY);
    messages.forEach((message, index) => {
      try {
        fanoutMessage.write(writer, message);
      } catch (error) {
        throw atMessage(error, index);
      }
    });
  },
  read(reader) {
    if (reader.remaining === 0) throw new CodecError(EMPTY_BODY);
    const messages: FanoutMessage[] = [];
    while (reader.remaining > 0) {
      try {
        messages.push(fanoutMessage.read(reader));
      } catch (error) {
        throw atMessage(error, messages.length);
      }
    }
    return messages;
  },
};

/**
 * Decodes a /notify body: every FanoutMessage in it, as strictly as
 * `decode`. An empty body, or a last message cut short, throws CodecError
 * (whose `path` starts with the message's index, `[2].content.message`).
 */
export function decodeFanoutMessages(bytes: Uint8Array, options?: DecodeOptions): FanoutMessage[] {
  return decode(fanoutMessages, bytes, options);
}

/** Encodes a /notify body: the messages back to back. Throws CodecError for an empty list or an invalid message. */
export function encodeFanoutMessages(messages: readonly FanoutMessage[]): Uint8Array {
  return encode(fanoutMessages, [...messages]);
}

export const fanoutStructs: readonly StructEntry[] = [structEntry("FanoutMessage", fanoutMessage, "protocol-06 s.5.5")];
