/**
 * Ordered SQL migrations for one database.
 *
 * Every `*.sql` file in `db/migrations/<database>/` is applied once, in file-name order, each in its
 * own transaction, and recorded in `nexus_migrations` with a checksum. Files come from
 * `drizzle-kit generate` (tables) and `drizzle-kit generate --custom` (hand-written functions,
 * triggers and views), so both share one numbered sequence. A second run is a no-op. A failure stops
 * the run with the file's name and the Postgres error; the failing file leaves nothing behind.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DatabaseName, SqlClient } from './sql-client'

/** Directory holding the migrations of each database. */
export const migrationsDir = (database: DatabaseName): string =>
  join(dirname(fileURLToPath(import.meta.url)), 'migrations', database)

/** A migration file that failed; carries the file name and the Postgres error text. */
export class MigrationError extends Error {
  constructor(
    readonly file: string,
    override readonly cause: unknown,
  ) {
    super(`migration ${file} failed: ${describePgError(cause)}`)
    this.name = 'MigrationError'
  }
}

/** Summary of one run. */
export interface MigrationResult {
  database: DatabaseName
  applied: string[]
  skipped: string[]
}

const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS nexus_migrations (
  name text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`

/** Applies the pending migrations of `database` through `client`. */
export async function migrateDatabase(
  client: SqlClient,
  database: DatabaseName,
  dir: string = migrationsDir(database),
): Promise<MigrationResult> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort()
  await client.query(LEDGER_DDL)
  const { rows } = await client.query<{ name: string; checksum: string }>(
    'SELECT name, checksum FROM nexus_migrations',
  )
  const done = new Map(rows.map((r) => [r.name, r.checksum]))
  const result: MigrationResult = { database, applied: [], skipped: [] }

  for (const file of files) {
    const sql = await readFile(join(dir, file), 'utf8')
    const checksum = createHash('sha256').update(sql).digest('hex')
    const previous = done.get(file)
    if (previous !== undefined) {
      if (previous !== checksum) {
        // An applied migration must never change: new behaviour goes in a new file.
        console.warn(`[migrate] ${database}/${file} changed after it was applied; not re-run`)
      }
      result.skipped.push(file)
      continue
    }
    try {
      await client.query('BEGIN')
      // drizzle-kit separates statements with this marker; the simple query protocol runs them all.
      await client.query(sql.replaceAll('--> statement-breakpoint', ''))
      await client.query('INSERT INTO nexus_migrations (name, checksum) VALUES ($1, $2)', [
        file,
        checksum,
      ])
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw new MigrationError(`${database}/${file}`, error)
    }
    result.applied.push(file)
  }
  return result
}

/** Renders a Postgres error with its position details when present. */
export function describePgError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const e = error as Error & { detail?: string; hint?: string; where?: string; code?: string }
  return [
    e.message,
    e.code && `(SQLSTATE ${e.code})`,
    e.detail && `detail: ${e.detail}`,
    e.hint && `hint: ${e.hint}`,
    e.where && `where: ${e.where}`,
  ]
    .filter(Boolean)
    .join(' ')
}
