/**
 * In-process Postgres for SQL behaviour tests: a fresh in-memory PGlite (with pgvector), migrated,
 * and optionally seeded with the reference data.
 */
import type { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll } from 'vitest'
import { migrateDatabase } from '../../db/migrate'
import { seedMemory, seedNexus } from '../../db/seed'
import type { DatabaseName, SqlClient } from '../../db/sql-client'
import { openPglite, pgliteSqlClient } from '../../scripts/lib/embedded-postgres'

/** A migrated in-memory database and the client tests query it through. */
export interface MigratedPglite {
  db: PGlite
  client: SqlClient
  close(): Promise<void>
}

/** Opens an in-memory PGlite, applies `database`'s migrations and, when `seed` is set, its seed. */
export async function migratedPglite(
  database: DatabaseName,
  options: { seed?: boolean } = {},
): Promise<MigratedPglite> {
  const db = await openPglite()
  const client = pgliteSqlClient(db)
  await migrateDatabase(client, database)
  if (options.seed) await (database === 'nexus' ? seedNexus(client) : seedMemory(client))
  return { db, client, close: () => db.close() }
}

/**
 * One migrated database for a test file: opened by a `beforeAll` hook, closed by an `afterAll`
 * hook. The object returned is filled in when the hook runs, so read its fields inside tests (or
 * in hooks registered after this call).
 */
export function suitePglite(
  database: DatabaseName,
  options: { seed?: boolean } = {},
): MigratedPglite {
  const pg = {} as MigratedPglite
  beforeAll(async () => {
    Object.assign(pg, await migratedPglite(database, options))
  })
  afterAll(async () => {
    await pg.close?.()
  })
  return pg
}
