/**
 * The QuestSession's SQLite tables: their migrations and row types.
 *
 * - `participants`: everyone who joined (`left_at_ms` set once they left), their mistakes, and
 *   their movement track when the session tracks positions itself (no instance).
 * - `objectives`: each objective's live state (open, completed, failed), progress and attempts.
 * - `credits`: what each player was credited with, once: a reached location, a collected object
 *   (the primary key makes an object collectable once), an interaction, a right answer.
 * - `events`: the session's event log, each row chained to the previous one by SHA-256; the head
 *   at completion is the completion's verification hash.
 * - meta keys (`object_meta`): `definition` (what the session runs, fixed at opening), `state`
 *   (status and timing), `completion` (decided once), the `session` dirty-version counter; the
 *   core keeps `batch_seq`, `sync_failures` and the schema versions there too.
 */
import type { Migration } from '../core/storage'

/** The session's migrations, in order. */
export const QUEST_SESSION_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'participants, objectives, credits and the event log',
    up: `
      CREATE TABLE participants (
        user_id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        joined_at_ms INTEGER NOT NULL,
        left_at_ms INTEGER,
        mistakes INTEGER NOT NULL DEFAULT 0,
        track TEXT
      );
      CREATE TABLE objectives (
        objective_id TEXT PRIMARY KEY,
        ordinal INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        completed_by TEXT,
        completed_at_ms INTEGER
      );
      CREATE TABLE credits (
        objective_id TEXT NOT NULL,
        object_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        points INTEGER NOT NULL,
        at_ms INTEGER NOT NULL,
        PRIMARY KEY (objective_id, object_id)
      );
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        user_id TEXT,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        hash TEXT NOT NULL
      );
    `,
  },
]

/** A `participants` row. */
export interface ParticipantRow {
  user_id: string
  username: string
  joined_at_ms: number
  left_at_ms: number | null
  mistakes: number
  /** JSON `MovementTrack`, for sessions without an instance. */
  track: string | null
}

/** An `objectives` row. */
export interface ObjectiveRow {
  objective_id: string
  ordinal: number
  status: 'open' | 'completed' | 'failed'
  attempts: number
  completed_by: string | null
  completed_at_ms: number | null
}

/** A `credits` row; `object_id` is '' for objectives completed in one step. */
export interface CreditRow {
  objective_id: string
  object_id: string
  user_id: string
  points: number
  at_ms: number
}
