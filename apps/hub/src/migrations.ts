import type { Kysely } from "kysely";
import type { Migration, MigrationProvider } from "kysely/migration";

/**
 * The store's schema, as versioned migrations run in name order at start
 * (Kysely records the applied ones in `kysely_migration`). A released
 * migration is never edited: changes come as a new, later one; there are no
 * down steps (a development store is reset by deleting its file). The column
 * types are SQLite's; a PostgreSQL store would get `bytea` for `blob` and an
 * identity column for `autoIncrement` in its own variant of these steps.
 */
const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("devices")
      .addColumn("client_uri", "text", (column) => column.primaryKey())
      .addColumn("user_uri", "text", (column) => column.notNull())
      .addColumn("token_hash", "text", (column) => column.notNull().unique())
      .addColumn("last_cursor", "integer", (column) => column.notNull().defaultTo(0))
      .addColumn("created_at", "integer", (column) => column.notNull())
      .execute();
    await db.schema.createIndex("devices_by_user").on("devices").column("user_uri").execute();

    await db.schema
      .createTable("key_packages")
      .addColumn("id", "integer", (column) => column.primaryKey().autoIncrement())
      .addColumn("ref", "blob", (column) => column.notNull().unique())
      .addColumn("client_uri", "text", (column) =>
        column.notNull().references("devices.client_uri").onDelete("cascade"),
      )
      .addColumn("cipher_suite", "text", (column) => column.notNull())
      .addColumn("key_package", "blob", (column) => column.notNull())
      .addColumn("not_before", "integer", (column) => column.notNull())
      .addColumn("not_after", "integer", (column) => column.notNull())
      .addColumn("uploaded_at", "integer", (column) => column.notNull())
      .addColumn("claimed_at", "integer")
      .addColumn("claimed_by_domain", "text")
      .addColumn("claimed_for_user", "text")
      .addColumn("claimed_for_room", "text")
      .execute();
    await db.schema
      .createIndex("key_packages_by_client")
      .on("key_packages")
      .columns(["client_uri", "claimed_at", "id"])
      .execute();

    await db.schema
      .createTable("key_package_routes")
      .addColumn("ref", "blob", (column) => column.primaryKey())
      .addColumn("provider_domain", "text", (column) => column.notNull())
      .addColumn("client_uri", "text", (column) => column.notNull())
      .addColumn("room_id", "text", (column) => column.notNull())
      .addColumn("not_after", "integer", (column) => column.notNull())
      .addColumn("created_at", "integer", (column) => column.notNull())
      .execute();

    await db.schema
      .createTable("room_followers")
      .addColumn("room_id", "text", (column) => column.notNull())
      .addColumn("client_uri", "text", (column) =>
        column.notNull().references("devices.client_uri").onDelete("cascade"),
      )
      .addColumn("since", "integer", (column) => column.notNull())
      .addPrimaryKeyConstraint("room_followers_pk", ["room_id", "client_uri"])
      .execute();

    await db.schema
      .createTable("processed_notifications")
      .addColumn("hub_domain", "text", (column) => column.notNull())
      .addColumn("room_id", "text", (column) => column.notNull())
      .addColumn("body_hash", "blob", (column) => column.notNull())
      .addColumn("received_at", "integer", (column) => column.notNull())
      .addPrimaryKeyConstraint("processed_notifications_pk", ["hub_domain", "room_id", "body_hash"])
      .execute();

    await db.schema
      .createTable("inbox_events")
      .addColumn("client_uri", "text", (column) =>
        column.notNull().references("devices.client_uri").onDelete("cascade"),
      )
      .addColumn("cursor", "integer", (column) => column.notNull())
      .addColumn("kind", "text", (column) => column.notNull())
      .addColumn("room_id", "text", (column) => column.notNull())
      .addColumn("payload", "blob", (column) => column.notNull())
      .addColumn("created_at", "integer", (column) => column.notNull())
      .addPrimaryKeyConstraint("inbox_events_pk", ["client_uri", "cursor"])
      .execute();

    await db.schema
      .createTable("outbound_deliveries")
      .addColumn("id", "integer", (column) => column.primaryKey().autoIncrement())
      .addColumn("peer_domain", "text", (column) => column.notNull())
      .addColumn("path", "text", (column) => column.notNull())
      .addColumn("ordering_key", "text", (column) => column.notNull())
      .addColumn("body", "blob", (column) => column.notNull())
      .addColumn("attempts", "integer", (column) => column.notNull().defaultTo(0))
      .addColumn("next_attempt_at", "integer", (column) => column.notNull())
      .addColumn("last_error", "text")
      .addColumn("created_at", "integer", (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex("outbound_deliveries_by_lane")
      .on("outbound_deliveries")
      .columns(["peer_domain", "ordering_key", "id"])
      .execute();
  },
};

/** The rooms hosted here (the Hub role, protocol-06 s.5.3-5.6). */
const hubRooms: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("hub_rooms")
      .addColumn("room_id", "text", (column) => column.primaryKey())
      .addColumn("cipher_suite", "text", (column) => column.notNull())
      .addColumn("epoch", "integer", (column) => column.notNull())
      .addColumn("state", "blob", (column) => column.notNull())
      .addColumn("last_accepted_at", "integer", (column) => column.notNull())
      .addColumn("created_at", "integer", (column) => column.notNull())
      .addColumn("updated_at", "integer", (column) => column.notNull())
      .execute();
  },
};

/** Every migration, keyed by a name that sorts in the order they apply. */
export const HUB_MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0001_initial": initial,
  "0002_hub_rooms": hubRooms,
};

export const hubMigrationProvider: MigrationProvider = {
  async getMigrations() {
    return HUB_MIGRATIONS;
  },
};
