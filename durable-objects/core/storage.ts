/**
 * A live object's SQLite storage: its tables under a schema version with ordered migrations, and
 * a key/value meta table.
 *
 * The version of each table set is a key in `object_meta` (the one table created outside any
 * migration, since it holds the versions). On construction an object applies every migration
 * above its stored version, each in its own transaction with its version bump, so an object
 * that fails halfway stays at the last version that fully applied. An object created before
 * versions existed has no key (version 0): its migration 1 must be written to adopt the tables
 * it already has (`CREATE TABLE IF NOT EXISTS` of exactly the old DDL), so it reaches version 1
 * without touching its data.
 */

/** The key/value table of every live object (versions, counters, the object's own settings). */
export const META_TABLE = 'object_meta'

/** One step of a table set's schema. */
export interface Migration {
  /** 1, 2, 3, …: applied in this order, each once. */
  version: number
  /** What it does, for the log line. */
  name: string
  /** SQL (several statements allowed), or a function for steps that need to read data. */
  up: string | ((sql: SqlStorage) => void)
}

/** What `migrate` did. */
export interface MigrationResult {
  from: number
  to: number
}

/**
 * Applies the migrations above the version stored under `versionKey`. Throws when the stored
 * version is newer than the last migration (code older than the object's tables must not run on
 * them) or when a migration fails (its transaction is rolled back).
 */
export function migrate(
  storage: DurableObjectStorage,
  versionKey: string,
  migrations: readonly Migration[],
): MigrationResult {
  assertOrdered(migrations)
  const meta = new MetaStore(storage.sql)
  const from = meta.getNumber(versionKey)
  const latest = migrations.length
  if (from > latest) {
    throw new Error(`${versionKey} is ${from}, newer than this code's last migration (${latest})`)
  }
  for (const migration of migrations.slice(from)) {
    storage.transactionSync(() => {
      if (typeof migration.up === 'string') storage.sql.exec(migration.up)
      else migration.up(storage.sql)
      meta.setNumber(versionKey, migration.version)
    })
  }
  return { from, to: latest }
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migration "${migration.name}" has version ${migration.version}, expected ${index + 1}`,
      )
    }
  })
}

/** Key/value settings of one object in `object_meta`; values are text. */
export class MetaStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS ${META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)`)
  }

  /** The value of `key`, or null when unset. */
  get(key: string): string | null {
    const row = this.sql.exec(`SELECT value FROM ${META_TABLE} WHERE key = ?`, key).toArray()[0]
    return row === undefined ? null : String(row.value)
  }

  /** Sets `key` (insert or replace). */
  set(key: string, value: string): void {
    this.sql.exec(
      `INSERT INTO ${META_TABLE} (key, value) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      key,
      value,
    )
  }

  /** The number stored under `key`, or `fallback` when unset. */
  getNumber(key: string, fallback = 0): number {
    const value = this.get(key)
    return value === null ? fallback : Number(value)
  }

  /** Stores a number under `key`. */
  setNumber(key: string, value: number): void {
    this.set(key, String(value))
  }

  /** The JSON value stored under `key`, or `fallback` when unset. */
  getJson<T>(key: string, fallback: T): T {
    const value = this.get(key)
    return value === null ? fallback : (JSON.parse(value) as T)
  }

  /** Stores `value` as JSON under `key`. */
  setJson(key: string, value: unknown): void {
    this.set(key, JSON.stringify(value))
  }
}

/**
 * A dirty-version counter in meta for state kept outside rows (e.g. a room's environment):
 * `bump()` on every change, `pending()` before a sync, `markSynced(version)` once it committed.
 * A change made while a sync is in flight has a higher version and stays pending.
 */
export class VersionCounter {
  private readonly versionKey: string
  private readonly syncedKey: string

  constructor(
    private readonly meta: MetaStore,
    name: string,
  ) {
    this.versionKey = `${name}_version`
    this.syncedKey = `${name}_synced_version`
  }

  /** Records one change. */
  bump(): void {
    this.meta.setNumber(this.versionKey, this.meta.getNumber(this.versionKey) + 1)
  }

  /** The version to sync, or null when Postgres already has the latest. */
  pending(): number | null {
    const version = this.meta.getNumber(this.versionKey)
    return version > this.meta.getNumber(this.syncedKey) ? version : null
  }

  /** Records that Postgres has `version`. */
  markSynced(version: number): void {
    if (version > this.meta.getNumber(this.syncedKey)) this.meta.setNumber(this.syncedKey, version)
  }
}
