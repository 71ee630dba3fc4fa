import { parseArgs } from "node:util";
import { type Json, toJson } from "@mimi-ts/protocol";
import type { RoomInfo } from "@mimi-ts/room";
import { Client, type ClientOptions, MAX_KEY_PACKAGES_PER_UPLOAD, type SyncResult } from "./client.js";
import type { ConversationMessage } from "./conversation.js";
import { StateStore } from "./state.js";

export interface CliIo {
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  /** the state directory when --home is not given (the bin passes ~/.mimi) */
  readonly defaultHome: string;
  /** how the SDK reaches the provider and the room endpoints; default both over HTTPS */
  readonly clientOptions?: ClientOptions;
}

const OPTIONS = {
  home: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  provider: { type: "string" },
  user: { type: "string" },
  ca: { type: "string" },
  "client-id": { type: "string" },
  "authorizing-home": { type: "string" },
  count: { type: "string" },
  wait: { type: "string" },
  name: { type: "string" },
  role: { type: "string" },
  "reply-to": { type: "string" },
} as const;

type OptionName = keyof typeof OPTIONS;
type OptionValues = { readonly [K in OptionName]?: (typeof OPTIONS)[K]["type"] extends "boolean" ? boolean : string };

/** Options every command takes. */
const GLOBAL_OPTIONS: readonly OptionName[] = ["home", "json", "help"];

/** What a command prints: JSON with --json, else lines for people. */
interface Output {
  readonly json: Json;
  readonly text: string;
}

interface Invocation {
  readonly home: string;
  readonly args: readonly string[];
  readonly options: OptionValues;
  readonly clientOptions: ClientOptions;
}

interface Command {
  /** one or two words: `sync`, `room add` */
  readonly name: string;
  /** the arguments and options after the name */
  readonly synopsis: string;
  readonly description: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly options: readonly OptionName[];
  run(invocation: Invocation): Promise<Output>;
}

/** A command line that cannot be run: exit status 2. */
class UsageError extends Error {}

function integerOption(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(text)}`);
  }
  return value;
}

function required(value: string | undefined, name: string): string {
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

function argument(invocation: Invocation, index: number): string {
  // minArgs guarantees it; the check keeps the type honest.
  const value = invocation.args[index];
  if (value === undefined) throw new UsageError(`argument ${index + 1} is missing`);
  return value;
}

const open = (invocation: Invocation) => Client.open(invocation.home, invocation.clientOptions);

function iso(millis: number): string {
  return new Date(millis).toISOString();
}

function changeOutput(result: { roomUri: string; epoch: bigint; acceptedAt: number }, verb: string): Output {
  return {
    json: { roomUri: result.roomUri, epoch: result.epoch.toString(), acceptedAt: iso(result.acceptedAt) },
    text: `${verb} ${result.roomUri} (epoch ${result.epoch})`,
  };
}

function sentOutput(result: { roomUri: string; messageId: string; acceptedAt: number }): Output {
  return {
    json: { roomUri: result.roomUri, messageId: result.messageId, acceptedAt: iso(result.acceptedAt) },
    text: result.messageId,
  };
}

function syncText(result: SyncResult): string {
  const lines = [
    ...result.joined.map((roomUri) => `joined ${roomUri}`),
    ...result.removedFrom.map((roomUri) => `removed from ${roomUri}`),
    ...result.rejected.map((event) => `rejected event ${event.cursor} (${event.roomUri}): ${event.reason}`),
    `cursor ${result.cursor}: ${result.events} events, ${result.messages} messages, ${result.handshakes} handshakes`,
  ];
  return lines.join("\n");
}

function messageJson(message: ConversationMessage): Json {
  return {
    messageId: message.messageId,
    sender: message.sender,
    text: message.text,
    inReplyTo: message.inReplyTo,
    reactions: message.reactions.map((entry) => ({
      messageId: entry.messageId,
      reactor: entry.reactor,
      text: entry.text,
    })),
    edited: message.edited,
    deleted: message.deleted,
    acceptedAt: iso(message.acceptedAt),
  };
}

function messageLine(message: ConversationMessage): string {
  const flags = [message.edited && !message.deleted ? " (edited)" : "", message.deleted ? "[deleted]" : ""];
  const reply = message.inReplyTo === null ? "" : ` ↩ ${message.inReplyTo}`;
  const reactions =
    message.reactions.length === 0
      ? ""
      : ` [${message.reactions.map((entry) => `${entry.text ?? "?"} ${entry.reactor}`).join(", ")}]`;
  return `${iso(message.acceptedAt)} ${message.messageId} ${message.sender}${reply}: ${message.text ?? ""}${flags.join("")}${reactions}`;
}

function roomInfoJson(info: RoomInfo): Json {
  return {
    roomUri: info.roomUri ?? null,
    epoch: info.epoch.toString(),
    active: info.active,
    self: info.self === undefined ? null : { ...info.self },
    metadata: toJson(info.metadata),
    participants: info.participants.map((participant) => ({
      userUri: participant.userUri,
      roleIndex: participant.roleIndex,
      roleName: participant.roleName ?? null,
      clients: [...participant.clients],
    })),
    members: info.members.map((member) => ({ ...member })),
    pendingProposals: info.pendingProposals,
  };
}

function roomInfoText(info: RoomInfo): string {
  const name = info.metadata?.roomName ? ` "${info.metadata.roomName}"` : "";
  return [
    `room ${info.roomUri ?? "(no room URI)"}${name}, epoch ${info.epoch}${info.active ? "" : ", this device is no longer a member"}`,
    "participants:",
    ...info.participants.map(
      (participant) =>
        `  ${participant.userUri} ${participant.roleName ?? "role"} (${participant.roleIndex}): ${participant.clients.join(", ") || "no clients"}`,
    ),
    "members:",
    ...info.members.map((member) => `  leaf ${member.leafIndex} ${member.clientUri}`),
    `pending proposals: ${info.pendingProposals}`,
  ].join("\n");
}

const COMMANDS: readonly Command[] = [
  {
    name: "register",
    synopsis: "--provider URL --user USER_URI [--ca FILE] [--client-id ID] [--authorizing-home DIR]",
    description:
      "Registers a new device of USER_URI (mimi://<domain>/u/<user>) at the provider and creates its state in the home directory. " +
      "The client URI is mimi://<domain>/d/<user>/<ID>, ID being 16 random hex digits unless --client-id gives it. " +
      "--ca is the PEM file of the CA the provider's certificate chains to (a devnet's ca.pem). " +
      "A user's further devices need --authorizing-home, the home of a device the user already has.",
    minArgs: 0,
    maxArgs: 0,
    options: ["provider", "user", "ca", "client-id", "authorizing-home"],
    async run(invocation) {
      const { options } = invocation;
      const authorizingHome = options["authorizing-home"];
      const authorizingToken =
        authorizingHome === undefined ? undefined : (await new StateStore(authorizingHome).readDevice()).token;
      const client = await Client.register(
        {
          home: invocation.home,
          provider: required(options.provider, "provider"),
          userUri: required(options.user, "user"),
          ...(options.ca === undefined ? {} : { ca: options.ca }),
          ...(options["client-id"] === undefined ? {} : { clientId: options["client-id"] }),
          ...(authorizingToken === undefined ? {} : { authorizingToken }),
        },
        invocation.clientOptions,
      );
      return {
        json: { clientUri: client.clientUri, userUri: client.userUri, provider: client.providerUrl },
        text: `registered ${client.clientUri} at ${client.providerUrl}`,
      };
    },
  },
  {
    name: "keypackages publish",
    synopsis: "[--count N]",
    description: `Generates N KeyPackages (default 10, at most ${MAX_KEY_PACKAGES_PER_UPLOAD}), keeps their private keys and uploads them, so others can add this device to rooms.`,
    minArgs: 0,
    maxArgs: 0,
    options: ["count"],
    async run(invocation) {
      const count = integerOption(invocation.options.count ?? "10", "count", 1, MAX_KEY_PACKAGES_PER_UPLOAD);
      const result = await (await open(invocation)).publishKeyPackages(count);
      return {
        json: { keyPackageRefs: [...result.keyPackageRefs], stored: result.stored, available: result.available },
        text: `published ${result.keyPackageRefs.length} KeyPackages (${result.available} waiting for a Welcome)`,
      };
    },
  },
  {
    name: "sync",
    synopsis: "[--wait SECONDS]",
    description:
      "Reads the device's inbox from where the last sync stopped and applies it: joins rooms from Welcomes, applies commits and proposals, logs messages. " +
      "Returns once the inbox has been quiet for half a second and SECONDS (default 0) have passed.",
    minArgs: 0,
    maxArgs: 0,
    options: ["wait"],
    async run(invocation) {
      const wait = invocation.options.wait ?? "0";
      if (!/^\d+(\.\d+)?$/.test(wait)) {
        throw new UsageError(`--wait must be a number of seconds, not ${JSON.stringify(wait)}`);
      }
      const result = await (await open(invocation)).sync({ waitSeconds: Number(wait) });
      return {
        json: {
          cursor: result.cursor,
          events: result.events,
          joined: [...result.joined],
          removedFrom: [...result.removedFrom],
          handshakes: result.handshakes,
          messages: result.messages,
          rejected: result.rejected.map((event) => ({ ...event })),
        },
        text: syncText(result),
      };
    },
  },
  {
    name: "rooms",
    synopsis: "",
    description: "Lists the rooms this device has state for.",
    minArgs: 0,
    maxArgs: 0,
    options: [],
    async run(invocation) {
      const rooms = await (await open(invocation)).rooms();
      return {
        json: rooms.map((room) => ({
          roomUri: room.roomUri,
          name: room.name ?? null,
          epoch: room.epoch.toString(),
          active: room.active,
          messages: room.messages,
        })),
        text: rooms
          .map(
            (room) =>
              `${room.roomUri} epoch ${room.epoch}, ${room.messages} messages${room.active ? "" : ", left"}${room.name ? `: ${room.name}` : ""}`,
          )
          .join("\n"),
      };
    },
  },
  {
    name: "messages",
    synopsis: "ROOM_URI",
    description:
      "Shows the room's conversation in hub order: each message's ID, accepted time, sender, text, what it replies to, edits, deletes and reactions.",
    minArgs: 1,
    maxArgs: 1,
    options: [],
    async run(invocation) {
      const messages = await (await open(invocation)).messages(argument(invocation, 0));
      return { json: messages.map(messageJson), text: messages.map(messageLine).join("\n") };
    },
  },
  {
    name: "room info",
    synopsis: "ROOM_URI",
    description:
      "Shows the room as this device sees it: metadata, epoch, participants with roles and clients, MLS members.",
    minArgs: 1,
    maxArgs: 1,
    options: [],
    async run(invocation) {
      const info = await (await open(invocation)).roomInfo(argument(invocation, 0));
      return { json: roomInfoJson(info), text: roomInfoText(info) };
    },
  },
  {
    name: "room create",
    synopsis: "[ROOM_URI] [--name NAME]",
    description:
      "Creates a room hosted by this device's provider, with this user as super admin. ROOM_URI defaults to mimi://<domain>/r/<16 random hex digits>.",
    minArgs: 0,
    maxArgs: 1,
    options: ["name"],
    async run(invocation) {
      const roomUri = invocation.args[0];
      const name = invocation.options.name;
      const created = await (await open(invocation)).createRoom({
        ...(roomUri === undefined ? {} : { roomUri }),
        ...(name === undefined ? {} : { name }),
      });
      return { json: { roomUri: created.roomUri }, text: `created ${created.roomUri}` };
    },
  },
  {
    name: "room add",
    synopsis: "ROOM_URI USER_URI... [--role N]",
    description:
      "Adds users and each of their clients with a KeyPackage, in one commit. --role is the role index (default 2, ordinary user; 3 group admin, 4 super admin).",
    minArgs: 2,
    maxArgs: Number.POSITIVE_INFINITY,
    options: ["role"],
    async run(invocation) {
      const [roomUri, ...users] = invocation.args as [string, ...string[]];
      const role = invocation.options.role;
      const result = await (await open(invocation)).addUsers(
        roomUri,
        users,
        role === undefined ? {} : { roleIndex: integerOption(role, "role", 0, 0xffffffff) },
      );
      return changeOutput(result, "added to");
    },
  },
  {
    name: "room remove",
    synopsis: "ROOM_URI USER_URI...",
    description: "Removes users and all their clients, in one commit.",
    minArgs: 2,
    maxArgs: Number.POSITIVE_INFINITY,
    options: [],
    async run(invocation) {
      const [roomUri, ...users] = invocation.args as [string, ...string[]];
      return changeOutput(await (await open(invocation)).removeUsers(roomUri, users), "removed from");
    },
  },
  {
    name: "room leave",
    synopsis: "ROOM_URI",
    description:
      "Proposes this device's removal, the user's other devices' and the user's own from the room; another member commits it (room commit).",
    minArgs: 1,
    maxArgs: 1,
    options: [],
    async run(invocation) {
      return changeOutput(await (await open(invocation)).leave(argument(invocation, 0)), "leaving");
    },
  },
  {
    name: "room commit",
    synopsis: "ROOM_URI",
    description: "Commits the room's pending proposals (someone's leave, say).",
    minArgs: 1,
    maxArgs: 1,
    options: [],
    async run(invocation) {
      return changeOutput(await (await open(invocation)).commitPending(argument(invocation, 0)), "committed");
    },
  },
  {
    name: "room join",
    synopsis: "ROOM_URI",
    description:
      "Joins by external commit, with the GroupInfo the Hub gives: for a new device of a participant, or where the room's policy lets the user join.",
    minArgs: 1,
    maxArgs: 1,
    options: [],
    async run(invocation) {
      return changeOutput(await (await open(invocation)).join(argument(invocation, 0)), "joined");
    },
  },
  {
    name: "send",
    synopsis: "ROOM_URI TEXT [--reply-to MESSAGE_ID]",
    description:
      "Sends TEXT (GFM-MIMI Markdown) to the room, as a reply to MESSAGE_ID when given; prints the message ID.",
    minArgs: 2,
    maxArgs: 2,
    options: ["reply-to"],
    async run(invocation) {
      const replyTo = invocation.options["reply-to"];
      const client = await open(invocation);
      const sent = await client.send(
        argument(invocation, 0),
        argument(invocation, 1),
        replyTo === undefined ? {} : { replyTo },
      );
      return sentOutput(sent);
    },
  },
  {
    name: "react",
    synopsis: "ROOM_URI MESSAGE_ID EMOJI",
    description: "Reacts to a message; prints the reaction's message ID.",
    minArgs: 3,
    maxArgs: 3,
    options: [],
    async run(invocation) {
      const client = await open(invocation);
      return sentOutput(await client.react(argument(invocation, 0), argument(invocation, 1), argument(invocation, 2)));
    },
  },
  {
    name: "edit",
    synopsis: "ROOM_URI MESSAGE_ID TEXT",
    description: "Replaces the text of one of your messages; prints the edit's message ID.",
    minArgs: 3,
    maxArgs: 3,
    options: [],
    async run(invocation) {
      const client = await open(invocation);
      return sentOutput(await client.edit(argument(invocation, 0), argument(invocation, 1), argument(invocation, 2)));
    },
  },
  {
    name: "delete",
    synopsis: "ROOM_URI MESSAGE_ID",
    description: "Deletes one of your messages; prints the delete's message ID.",
    minArgs: 2,
    maxArgs: 2,
    options: [],
    async run(invocation) {
      const client = await open(invocation);
      return sentOutput(await client.delete(argument(invocation, 0), argument(invocation, 1)));
    },
  },
];

const GROUPS = ["room", "keypackages"];

function commandUsage(command: Command): string {
  return `usage: mimi [--home DIR] ${command.name}${command.synopsis === "" ? "" : ` ${command.synopsis}`} [--json]`;
}

function commandHelp(command: Command): string {
  return `${commandUsage(command)}\n\n${command.description}\n`;
}

const OVERVIEW = `usage: mimi [--home DIR] <command> [arguments] [--json]

The MIMI reference client. Its state lives in --home DIR (default ~/.mimi).

${COMMANDS.map((command) => `  ${command.name}${command.synopsis === "" ? "" : ` ${command.synopsis}`}`).join("\n")}

Every command takes --json (print JSON) and --help. Exit status: 0 done, 1 failed, 2 bad command line.
`;

function findCommand(positionals: readonly string[]): { command: Command; args: string[] } {
  const [first, second, ...rest] = positionals;
  if (first === undefined) throw new UsageError("a command is needed");
  if (GROUPS.includes(first)) {
    const command = COMMANDS.find((candidate) => candidate.name === `${first} ${second}`);
    if (command === undefined) {
      const names = COMMANDS.filter((candidate) => candidate.name.startsWith(`${first} `)).map((c) => c.name);
      throw new UsageError(
        `${second === undefined ? `${first} needs a subcommand` : `unknown command ${first} ${second}`}: ${names.join(", ")}`,
      );
    }
    return { command, args: rest };
  }
  const command = COMMANDS.find((candidate) => candidate.name === first);
  if (command === undefined) throw new UsageError(`unknown command ${first}`);
  return { command, args: second === undefined ? [] : [second, ...rest] };
}

function render(output: Output, json: boolean): string {
  if (json) return `${JSON.stringify(output.json, null, 2)}\n`;
  return output.text === "" ? "" : `${output.text}\n`;
}

/**
 * Runs the `mimi` command line; returns the exit status: 0 done, 1 failed
 * (one `error: <message>` line), 2 bad command line. Never prints a stack trace.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let command: Command | undefined;
  try {
    const { positionals, values } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    const options = values as OptionValues;
    if (positionals.length === 0 && options.help === true) {
      io.writeStdout(OVERVIEW);
      return 0;
    }
    const found = findCommand(positionals);
    command = found.command;
    if (options.help === true) {
      io.writeStdout(commandHelp(command));
      return 0;
    }
    const allowed = new Set<string>([...GLOBAL_OPTIONS, ...command.options]);
    const stray = Object.keys(options).find((name) => !allowed.has(name));
    if (stray !== undefined) throw new UsageError(`--${stray} is not an option of ${command.name}`);
    if (found.args.length < command.minArgs || found.args.length > command.maxArgs) {
      throw new UsageError(`${command.name} takes ${command.synopsis === "" ? "no arguments" : command.synopsis}`);
    }
    const output = await command.run({
      home: options.home ?? io.defaultHome,
      args: found.args,
      options,
      clientOptions: io.clientOptions ?? {},
    });
    io.writeStdout(render(output, options.json === true));
    return 0;
  } catch (error) {
    const parseError = (error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS") === true;
    if (error instanceof UsageError || parseError) {
      const hint = command === undefined ? "mimi --help" : `mimi ${command.name} --help`;
      io.writeStderr(`error: ${(error as Error).message}; see ${hint}\n`);
      return 2;
    }
    // A ClientError says what failed; anything else is shown by its message alone, never its stack.
    const message = error instanceof Error ? error.message : String(error);
    io.writeStderr(`error: ${message.split("\n")[0]}\n`);
    return 1;
  }
}
