import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect, type Transaction } from "kysely";
import { Migrator } from "kysely/migration";
import { hubMigrationProvider } from "./migrations.js";
import type { HubDatabase, HubRoomsTable } from "./schema.js";

function hubRoomOfRow(row: HubRoomsTable): StoredHubRoom {
  return {
    roomId: row.room_id,
    cipherSuite: row.cipher_suite,
    epoch: row.epoch,
    state: row.state,
    lastAcceptedAt: row.last_accepted_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface DeviceRecord {
  readonly clientUri: string;
  readonly userUri: string;
  readonly createdAt: number;
}

export interface NewKeyPackage {
  readonly ref: Uint8Array;
  readonly clientUri: string;
  readonly cipherSuite: string;
  readonly keyPackage: Uint8Array;
  /** seconds since the epoch */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly uploadedAt: number;
}

export interface StoredKeyPackage extends NewKeyPackage {
  readonly id: number;
}

export interface KeyPackageClaim {
  readonly claimedAt: number;
  readonly byDomain: string;
  readonly forUser: string;
  readonly forRoom: string;
}

export interface KeyPackageRoute {
  readonly ref: Uint8Array;
  /** where a Welcome for this KeyPackage goes: our domain for our own clients */
  readonly providerDomain: string;
  readonly clientUri: string;
  readonly roomId: string;
  /** seconds since the epoch */
  readonly notAfter: number;
  readonly createdAt: number;
}

export interface NewInboxEvent {
  readonly kind: string;
  readonly roomId: string;
  readonly payload: Uint8Array;
  readonly createdAt: number;
}

export interface InboxEvent extends NewInboxEvent {
  readonly cursor: number;
}

export interface NewDelivery {
  readonly peerDomain: string;
  readonly path: string;
  readonly orderingKey: string;
  readonly body: Uint8Array;
}

export interface OutboundDelivery extends NewDelivery {
  readonly id: number;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
  readonly createdAt: number;
}

/** A room this provider hosts, as stored. */
export interface StoredHubRoom {
  readonly roomId: string;
  readonly cipherSuite: string;
  readonly epoch: number;
  /** @mimi-ts/room's encodeHubRoom */
  readonly state: Uint8Array;
  readonly lastAcceptedAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** The file of a store in its data directory. */
export const STORE_FILE = "hub.sqlite";

/**
 * Everything the provider must not lose, behind one interface (ARCHITECTURE.md
 * "Storage and scale"): the queries are Kysely's, so the same code can run on
 * SQLite (here: better-sqlite3, WAL, foreign keys on) or PostgreSQL. Methods
 * that write several rows run in one transaction; `transaction` groups
 * several calls, e.g. a state change and the deliveries it causes.
 */
export class HubStore {
  private readonly db: Kysely<HubDatabase>;

  private constructor(db: Kysely<HubDatabase>) {
    this.db = db;
  }

  /** Opens (creating it if needed) the store of `dataDir` and brings its schema up to date. */
  static async open(dataDir: string): Promise<HubStore> {
    await mkdir(dataDir, { recursive: true });
    const sqlite = new Database(join(dataDir, STORE_FILE));
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("foreign_keys = ON");
    sqlite.pragma("busy_timeout = 5000");
    const db = new Kysely<HubDatabase>({ dialect: new SqliteDialect({ database: sqlite }) });
    const { error } = await new Migrator({ db, provider: hubMigrationProvider }).migrateToLatest();
    if (error !== undefined) {
      await db.destroy();
      throw new Error(`cannot migrate the store in ${dataDir}: ${String(error)}`, { cause: error });
    }
    return new HubStore(db);
  }

  /** Closes the database; the store cannot be used afterwards. */
  async close(): Promise<void> {
    await this.db.destroy();
  }

  /**
   * Runs `work` in one transaction: all its writes happen or none. Inside,
   * `work` must use the store it is given. Nested calls join the outer transaction.
   */
  async transaction<T>(work: (store: HubStore) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this);
    return this.db.transaction().execute((trx: Transaction<HubDatabase>) => work(new HubStore(trx)));
  }

  // --- devices

  /** Adds a device; false when its client URI (or token hash) is already taken. */
  async insertDevice(device: DeviceRecord & { readonly tokenHash: string }): Promise<boolean> {
    const result = await this.db
      .insertInto("devices")
      .values({
        client_uri: device.clientUri,
        user_uri: device.userUri,
        token_hash: device.tokenHash,
        created_at: device.createdAt,
      })
      .onConflict((conflict) => conflict.doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 1n;
  }

  async deviceByTokenHash(tokenHash: string): Promise<DeviceRecord | undefined> {
    const row = await this.db
      .selectFrom("devices")
      .select(["client_uri", "user_uri", "created_at"])
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : { clientUri: row.client_uri, userUri: row.user_uri, createdAt: row.created_at };
  }

  /** The devices of a user, in client URI order. */
  async devicesOfUser(userUri: string): Promise<DeviceRecord[]> {
    const rows = await this.db
      .selectFrom("devices")
      .select(["client_uri", "user_uri", "created_at"])
      .where("user_uri", "=", userUri)
      .orderBy("client_uri")
      .execute();
    return rows.map((row) => ({ clientUri: row.client_uri, userUri: row.user_uri, createdAt: row.created_at }));
  }

  // --- KeyPackages

  /** Stores a KeyPackage; false when one with the same KeyPackageRef is already stored (claimed or not). */
  async insertKeyPackage(keyPackage: NewKeyPackage): Promise<boolean> {
    const result = await this.db
      .insertInto("key_packages")
      .values({
        ref: keyPackage.ref,
        client_uri: keyPackage.clientUri,
        cipher_suite: keyPackage.cipherSuite,
        key_package: keyPackage.keyPackage,
        not_before: keyPackage.notBefore,
        not_after: keyPackage.notAfter,
        uploaded_at: keyPackage.uploadedAt,
      })
      .onConflict((conflict) => conflict.column("ref").doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 1n;
  }

  /** A client's unclaimed KeyPackages valid at `nowSeconds`, oldest upload first. */
  async availableKeyPackages(clientUri: string, nowSeconds: number): Promise<StoredKeyPackage[]> {
    const rows = await this.db
      .selectFrom("key_packages")
      .select(["id", "ref", "client_uri", "cipher_suite", "key_package", "not_before", "not_after", "uploaded_at"])
      .where("client_uri", "=", clientUri)
      .where("claimed_at", "is", null)
      .where("not_before", "<=", nowSeconds)
      .where("not_after", ">=", nowSeconds)
      .orderBy("id")
      .execute();
    return rows.map((row) => ({
      id: row.id,
      ref: row.ref,
      clientUri: row.client_uri,
      cipherSuite: row.cipher_suite,
      keyPackage: row.key_package,
      notBefore: row.not_before,
      notAfter: row.not_after,
      uploadedAt: row.uploaded_at,
    }));
  }

  /**
   * Marks a KeyPackage claimed, if nobody has claimed it yet. The condition
   * is part of the UPDATE, so of two concurrent claims exactly one gets true,
   * on SQLite as on PostgreSQL (protocol-06 s.5.2: never in two responses).
   */
  async claimKeyPackage(id: number, claim: KeyPackageClaim): Promise<boolean> {
    const result = await this.db
      .updateTable("key_packages")
      .set({
        claimed_at: claim.claimedAt,
        claimed_by_domain: claim.byDomain,
        claimed_for_user: claim.forUser,
        claimed_for_room: claim.forRoom,
      })
      .where("id", "=", id)
      .where("claimed_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  // --- KeyPackageRef routing (protocol-06 s.5.2, s.5.5)

  /** Remembers where a handed-out KeyPackage's Welcome goes; a ref already known keeps its first route. */
  async recordKeyPackageRoute(route: KeyPackageRoute): Promise<void> {
    await this.db
      .insertInto("key_package_routes")
      .values({
        ref: route.ref,
        provider_domain: route.providerDomain,
        client_uri: route.clientUri,
        room_id: route.roomId,
        not_after: route.notAfter,
        created_at: route.createdAt,
      })
      .onConflict((conflict) => conflict.column("ref").doNothing())
      .execute();
  }

  async keyPackageRoute(ref: Uint8Array): Promise<KeyPackageRoute | undefined> {
    const row = await this.db.selectFrom("key_package_routes").selectAll().where("ref", "=", ref).executeTakeFirst();
    return row === undefined
      ? undefined
      : {
          ref: row.ref,
          providerDomain: row.provider_domain,
          clientUri: row.client_uri,
          roomId: row.room_id,
          notAfter: row.not_after,
          createdAt: row.created_at,
        };
  }

  // --- room followers

  /** Makes a local device receive a room's fan-out (no change if it already does). */
  async addRoomFollower(roomId: string, clientUri: string, since: number): Promise<void> {
    await this.db
      .insertInto("room_followers")
      .values({ room_id: roomId, client_uri: clientUri, since })
      .onConflict((conflict) => conflict.columns(["room_id", "client_uri"]).doNothing())
      .execute();
  }

  /** Stops a local device receiving a room's fan-out. */
  async removeRoomFollower(roomId: string, clientUri: string): Promise<void> {
    await this.db
      .deleteFrom("room_followers")
      .where("room_id", "=", roomId)
      .where("client_uri", "=", clientUri)
      .execute();
  }

  /** The local devices following a room, in client URI order. */
  async roomFollowers(roomId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom("room_followers")
      .select("client_uri")
      .where("room_id", "=", roomId)
      .orderBy("client_uri")
      .execute();
    return rows.map((row) => row.client_uri);
  }

  // --- rooms hosted here (protocol-06 s.4.3.1)

  /** Stores a new hosted room; false when a room with its ID exists already. */
  async insertHubRoom(room: StoredHubRoom): Promise<boolean> {
    const result = await this.db
      .insertInto("hub_rooms")
      .values({
        room_id: room.roomId,
        cipher_suite: room.cipherSuite,
        epoch: room.epoch,
        state: room.state,
        last_accepted_at: room.lastAcceptedAt,
        created_at: room.createdAt,
        updated_at: room.updatedAt,
      })
      .onConflict((conflict) => conflict.column("room_id").doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 1n;
  }

  /** A hosted room as it is now, for reading only (a GroupInfo request): no lock is taken. */
  async hubRoom(roomId: string): Promise<StoredHubRoom | undefined> {
    const row = await this.db.selectFrom("hub_rooms").selectAll().where("room_id", "=", roomId).executeTakeFirst();
    return row === undefined ? undefined : hubRoomOfRow(row);
  }

  /**
   * Inside a transaction: a hosted room's row, locked until the transaction
   * ends, so that the changes of one room are decided one at a time, each on
   * the state the previous one stored (protocol-06 s.5.3: one commit per
   * epoch). With several connections (PostgreSQL) the lock is the row's,
   * `SELECT ... FOR UPDATE`; SQLite has one connection, on which Kysely runs
   * one transaction at a time, so there the transaction itself holds it.
   */
  async lockHubRoom(roomId: string): Promise<StoredHubRoom | undefined> {
    if (!this.db.isTransaction) throw new Error("lockHubRoom must run inside a transaction");
    const rowLocks = this.db.getExecutor().adapter.supportsMultipleConnections !== false;
    const row = await this.db
      .selectFrom("hub_rooms")
      .selectAll()
      .where("room_id", "=", roomId)
      .$if(rowLocks, (query) => query.forUpdate())
      .executeTakeFirst();
    return row === undefined ? undefined : hubRoomOfRow(row);
  }

  /** Replaces a hosted room's state after an accepted change. */
  async updateHubRoom(
    roomId: string,
    change: { readonly epoch: number; readonly state: Uint8Array; readonly lastAcceptedAt: number },
    now: number,
  ): Promise<void> {
    await this.db
      .updateTable("hub_rooms")
      .set({ epoch: change.epoch, state: change.state, last_accepted_at: change.lastAcceptedAt, updated_at: now })
      .where("room_id", "=", roomId)
      .executeTakeFirstOrThrow();
  }

  /** Records the accepted timestamp of a change that leaves a hosted room's state as it is (a message). */
  async recordHubRoomAcceptance(roomId: string, acceptedAt: number): Promise<void> {
    await this.db
      .updateTable("hub_rooms")
      .set({ last_accepted_at: acceptedAt, updated_at: acceptedAt })
      .where("room_id", "=", roomId)
      .executeTakeFirstOrThrow();
  }

  // --- /notify de-duplication (protocol-06 s.5.5)

  /** Records a /notify body's hash; false when the same hub already sent the same body for the room. */
  async recordNotification(
    hubDomain: string,
    roomId: string,
    bodyHash: Uint8Array,
    receivedAt: number,
  ): Promise<boolean> {
    const result = await this.db
      .insertInto("processed_notifications")
      .values({ hub_domain: hubDomain, room_id: roomId, body_hash: bodyHash, received_at: receivedAt })
      .onConflict((conflict) => conflict.doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 1n;
  }

  // --- inboxes

  /** Appends an event to a device's inbox and returns its cursor: one more than the device's previous one. */
  async appendInboxEvent(clientUri: string, event: NewInboxEvent): Promise<number> {
    return this.transaction(async (store) => {
      const row = await store.db
        .updateTable("devices")
        .set((eb) => ({ last_cursor: eb("last_cursor", "+", 1) }))
        .where("client_uri", "=", clientUri)
        .returning("last_cursor")
        .executeTakeFirst();
      if (row === undefined) throw new Error(`no device ${clientUri}`);
      await store.db
        .insertInto("inbox_events")
        .values({
          client_uri: clientUri,
          cursor: row.last_cursor,
          kind: event.kind,
          room_id: event.roomId,
          payload: event.payload,
          created_at: event.createdAt,
        })
        .execute();
      return row.last_cursor;
    });
  }

  /** A device's events after `cursor`, in order, at most `limit`. */
  async inboxEventsAfter(clientUri: string, cursor: number, limit: number): Promise<InboxEvent[]> {
    const rows = await this.db
      .selectFrom("inbox_events")
      .select(["cursor", "kind", "room_id", "payload", "created_at"])
      .where("client_uri", "=", clientUri)
      .where("cursor", ">", cursor)
      .orderBy("cursor")
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      cursor: row.cursor,
      kind: row.kind,
      roomId: row.room_id,
      payload: row.payload,
      createdAt: row.created_at,
    }));
  }

  // --- outbound delivery queue

  /** Queues a POST to a peer, due at once; returns its id (ids order the deliveries of a lane). */
  async enqueueDelivery(delivery: NewDelivery, now: number): Promise<number> {
    const row = await this.db
      .insertInto("outbound_deliveries")
      .values({
        peer_domain: delivery.peerDomain,
        path: delivery.path,
        ordering_key: delivery.orderingKey,
        body: delivery.body,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /**
   * The first delivery of every lane (peer and ordering key) if it is due at
   * `now`, in id order. Later deliveries of a lane wait behind its first.
   */
  async dueDeliveryHeads(now: number): Promise<OutboundDelivery[]> {
    const rows = await this.db
      .selectFrom("outbound_deliveries")
      .selectAll()
      .where("id", "in", (eb) =>
        eb
          .selectFrom("outbound_deliveries")
          .select((inner) => inner.fn.min("id").as("id"))
          .groupBy(["peer_domain", "ordering_key"]),
      )
      .where("next_attempt_at", "<=", now)
      .orderBy("id")
      .execute();
    return rows.map((row) => ({
      id: row.id,
      peerDomain: row.peer_domain,
      path: row.path,
      orderingKey: row.ordering_key,
      body: row.body,
      attempts: row.attempts,
      nextAttemptAt: row.next_attempt_at,
      lastError: row.last_error,
      createdAt: row.created_at,
    }));
  }

  /** When the next lane head is due, or undefined when nothing is queued. */
  async nextDeliveryAt(): Promise<number | undefined> {
    const row = await this.db
      .selectFrom("outbound_deliveries")
      .select((eb) => eb.fn.min("next_attempt_at").as("next"))
      .where("id", "in", (eb) =>
        eb
          .selectFrom("outbound_deliveries")
          .select((inner) => inner.fn.min("id").as("id"))
          .groupBy(["peer_domain", "ordering_key"]),
      )
      .executeTakeFirst();
    return row?.next ?? undefined;
  }

  /** Removes a delivered delivery. */
  async deliveryDone(id: number): Promise<void> {
    await this.db.deleteFrom("outbound_deliveries").where("id", "=", id).execute();
  }

  /** Records a failed attempt and when to try again. */
  async deliveryFailed(
    id: number,
    failure: { attempts: number; nextAttemptAt: number; lastError: string },
  ): Promise<void> {
    await this.db
      .updateTable("outbound_deliveries")
      .set({ attempts: failure.attempts, next_attempt_at: failure.nextAttemptAt, last_error: failure.lastError })
      .where("id", "=", id)
      .execute();
  }
}
