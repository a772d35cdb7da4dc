/**
 * The InstanceRoom's SQLite tables: their migrations and row types.
 *
 * - `players`: last known state of every player who joined, `session_id` set while connected;
 *   `version` is bumped on each change and `synced_version` records what Postgres has.
 * - `sessions`: socket sessions (open, or closed and not yet deleted from `active_sessions`).
 * - `block_pairs`, `sanctions`: what `social.ts` keeps of blocks and moderation (version 4).
 * - `companions`: the companions present with their owners (`companions.ts`, version 5).
 * - `chat`: chat and emotes by room seq; rows up to the `chat_synced_through` meta key are in
 *   Postgres and are kept as history (CHAT_HISTORY_MESSAGES) for the chat history RPC.
 * - meta keys (`object_meta`): `instance_id`, `metadata` (area bounds), `environment`, the
 *   environment's dirty-version counter, `chat_synced_through`; the core keeps `batch_seq`,
 *   `sync_failures` and the schema versions there too.
 */
import type { Migration } from '../core/storage'

/**
 * The DDL of rooms created before schema versions existed, unchanged: `IF NOT EXISTS` makes it a
 * no-op on those rooms, which thereby adopt version 1 with their data untouched.
 */
export const LEGACY_ROOM_TABLES = `
  CREATE TABLE IF NOT EXISTS room_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS players (
    user_id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    session_id TEXT,
    zone TEXT NOT NULL,
    position TEXT NOT NULL,
    velocity TEXT NOT NULL,
    rotation TEXT NOT NULL,
    activity TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    version INTEGER NOT NULL,
    synced_version INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    zone TEXT NOT NULL,
    connected_at_ms INTEGER NOT NULL,
    heartbeat_at_ms INTEGER NOT NULL,
    closed_at_ms INTEGER,
    version INTEGER NOT NULL,
    synced_version INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS chat (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    username TEXT NOT NULL,
    message_type TEXT NOT NULL,
    scope TEXT NOT NULL,
    zone TEXT NOT NULL,
    text TEXT NOT NULL,
    sent_at_ms INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS batches (seq INTEGER PRIMARY KEY, events TEXT NOT NULL);
`

/** The room's migrations, in order. */
export const ROOM_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'the tables of unversioned rooms', up: LEGACY_ROOM_TABLES },
  {
    version: 2,
    name: "room_meta moves into the core's object_meta",
    up: `
      INSERT OR REPLACE INTO object_meta (key, value) SELECT key, value FROM room_meta;
      DROP TABLE room_meta;
    `,
  },
  {
    version: 3,
    // A client resuming across the change would get events it cannot read; with the ring empty
    // it gets a fresh welcome instead (batch_seq is kept, so seqs stay increasing).
    name: 'forget batches stored with the camelCase protocol',
    up: 'DELETE FROM batches',
  },
  {
    version: 4,
    name: 'block pairs, sanctions and the active character (issue 15)',
    up: `
      CREATE TABLE block_pairs (
        user_id TEXT NOT NULL,
        other_id TEXT NOT NULL,
        PRIMARY KEY (user_id, other_id)
      );
      CREATE TABLE sanctions (
        user_id TEXT PRIMARY KEY,
        muted_until_ms INTEGER,
        ban_refused_until_ms INTEGER,
        updated_at_ms INTEGER NOT NULL
      );
      ALTER TABLE players ADD COLUMN character TEXT;
    `,
  },
  {
    version: 5,
    name: 'companions following their owners (issue 14, companions.ts)',
    up: `
      CREATE TABLE companions (
        companion_id TEXT PRIMARY KEY,
        owner_id TEXT NOT NULL,
        name TEXT NOT NULL,
        appearance TEXT NOT NULL,
        behavior_state TEXT NOT NULL,
        position TEXT NOT NULL,
        zone TEXT NOT NULL
      );
      CREATE INDEX companions_owner ON companions (owner_id);
    `,
  },
]

/** A `players` row. */
export interface PlayerRow {
  user_id: string
  username: string
  session_id: string | null
  zone: string
  position: string
  velocity: string
  rotation: string
  activity: string
  updated_at_ms: number
  version: number
  synced_version: number
  /** The active character as JSON, or null (schema version 4). */
  character: string | null
}

/** A `sessions` row. */
export interface SessionRow {
  session_id: string
  user_id: string
  zone: string
  connected_at_ms: number
  heartbeat_at_ms: number
  closed_at_ms: number | null
  version: number
  synced_version: number
}

/** A `chat` row. */
export interface ChatRow {
  seq: number
  message_id: string
  user_id: string
  username: string
  message_type: string
  scope: string
  zone: string
  text: string
  sent_at_ms: number
}
