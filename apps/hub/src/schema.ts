import type { Generated } from "kysely";

/**
 * The tables of the provider's store, as Kysely types. Times are
 * milliseconds since the UNIX epoch, except KeyPackage lifetimes, which are
 * seconds as RFC 9420 s.7.2 writes them. Binary values are BLOBs.
 */
export interface HubDatabase {
  devices: DevicesTable;
  key_packages: KeyPackagesTable;
  key_package_routes: KeyPackageRoutesTable;
  room_followers: RoomFollowersTable;
  processed_notifications: ProcessedNotificationsTable;
  inbox_events: InboxEventsTable;
  outbound_deliveries: OutboundDeliveriesTable;
  hub_rooms: HubRoomsTable;
}

/** Clients registered through the client API. */
export interface DevicesTable {
  /** `mimi://<our domain>/d/<user>/<client>` */
  client_uri: string;
  user_uri: string;
  /** SHA-256 of the bearer token, hex; the token itself is never stored. */
  token_hash: string;
  /** The cursor of the device's newest inbox event (0: none yet). */
  last_cursor: Generated<number>;
  created_at: number;
}

/** KeyPackages uploaded by local devices (protocol-06 s.4.3.1), claimed at most once (s.5.2). */
export interface KeyPackagesTable {
  id: Generated<number>;
  /** RFC 9420 s.5.2 KeyPackageRef */
  ref: Uint8Array;
  client_uri: string;
  /** ts-mls's name of the cipher suite */
  cipher_suite: string;
  /** the KeyPackage struct, RFC 9420 s.10 */
  key_package: Uint8Array;
  /** leaf_node.lifetime, seconds since the epoch (capped at 2^53 - 1) */
  not_before: number;
  not_after: number;
  uploaded_at: number;
  claimed_at: number | null;
  /** the provider (From) whose request claimed it */
  claimed_by_domain: string | null;
  claimed_for_user: string | null;
  claimed_for_room: string | null;
}

/**
 * protocol-06 s.5.2: the KeyPackageRef of every KeyPackage handed out, with
 * the provider to route a Welcome to and, when it is ours, the client.
 */
export interface KeyPackageRoutesTable {
  ref: Uint8Array;
  provider_domain: string;
  client_uri: string;
  room_id: string;
  not_after: number;
  created_at: number;
}

/**
 * Which local devices receive the fan-out of which room: added by a Welcome
 * routed to them, by creating a room, by an accepted handshake they sent;
 * removed at the Hub once a commit removed them (after it reached them).
 */
export interface RoomFollowersTable {
  room_id: string;
  client_uri: string;
  since: number;
}

/** protocol-06 s.5.5: hashes of /notify bodies already processed, per hub and room, for de-duplication. */
export interface ProcessedNotificationsTable {
  hub_domain: string;
  room_id: string;
  /** SHA-256 of the request body */
  body_hash: Uint8Array;
  received_at: number;
}

/** Each device's inbox: an append-only log numbered 1, 2, 3... per device. */
export interface InboxEventsTable {
  client_uri: string;
  cursor: number;
  /** what the payload is: "fanout" (one encoded FanoutMessage) */
  kind: string;
  room_id: string;
  payload: Uint8Array;
  created_at: number;
}

/** POSTs to peers still to be delivered, in id order per (peer, ordering key). */
export interface OutboundDeliveriesTable {
  id: Generated<number>;
  peer_domain: string;
  /** the request path at the peer, percent-encoded, e.g. `/notify/mimi%3A%2F%2Fa.example%2Fr%2Fclubhouse` */
  path: string;
  /** deliveries with the same peer and key are delivered in order (the room ID for fan-out) */
  ordering_key: string;
  body: Uint8Array;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
}

/** The rooms this provider hosts as their Hub (protocol-06 s.4.3.1): one row each, locked while a change is decided. */
export interface HubRoomsTable {
  /** `mimi://<our domain>/r/<id>` */
  room_id: string;
  /** ts-mls's name of the room's cipher suite: which of the Hub's keys is its external sender */
  cipher_suite: string;
  /** the MLS epoch of `state` */
  epoch: number;
  /** @mimi-ts/room's encodeHubRoom: the Hub's view of the group, the epoch's GroupInfo and accepted proposals */
  state: Uint8Array;
  /** the latest accepted timestamp given out in the room; the next is later */
  last_accepted_at: number;
  created_at: number;
  updated_at: number;
}
