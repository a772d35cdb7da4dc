import { randomUUID } from 'node:crypto'
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateDatabase, migrationsDir } from '../../../db/migrate'
import type { SqlClient } from '../../../db/sql-client'
import { openPglite, pgliteSqlClient } from '../../../scripts/lib/embedded-postgres'

/** The migration that adds `memory_analytics.user_id` and backfills it. */
const USER_COLUMN_MIGRATION = '0004_memory_analytics_user.sql'

let db: PGlite
let client: SqlClient

/** Inserts a memory of `userId` with `companionId`, created at `createdAt`. */
async function insertMemory(companionId: string, userId: string, createdAt: string) {
  await client.query(
    `INSERT INTO companion_memories (companion_id, user_id, content, tier, significance_score,
       conversation_hash, key_phrases, emotional_intensity, emotional_valence, created_at)
     VALUES ($1, $2, 'a memory', 'background', 0.3, md5(random()::text), '{}', 0.5, 0, $3)`,
    [companionId, userId, createdAt],
  )
}

/** Inserts a companion-wide snapshot (the only kind before the migration) and returns its id. */
async function insertSnapshot(companionId: string | null, at: string | null): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO memory_analytics (companion_id, timestamp, total_memories)
     VALUES ($1, $2, 1) RETURNING id`,
    [companionId, at],
  )
  return rows[0].id
}

const userOf = async (snapshotId: string) =>
  (
    await client.query<{ user_id: string | null }>(
      'SELECT user_id FROM memory_analytics WHERE id = $1',
      [snapshotId],
    )
  ).rows[0]?.user_id

describe(`migration ${USER_COLUMN_MIGRATION}`, () => {
  const alice = randomUUID()
  const bob = randomUUID()
  const snapshots: Record<string, string> = {}

  beforeAll(async () => {
    // The database as it was before the migration: every earlier memory migration applied.
    const earlier = await mkdtemp(join(tmpdir(), 'memory-migrations-'))
    try {
      for (const file of await readdir(migrationsDir('memory'))) {
        if (file.endsWith('.sql') && file < USER_COLUMN_MIGRATION) {
          await copyFile(join(migrationsDir('memory'), file), join(earlier, file))
        }
      }
      db = await openPglite()
      client = pgliteSqlClient(db)
      await migrateDatabase(client, 'memory', earlier)
    } finally {
      await rm(earlier, { recursive: true })
    }

    const onlyAlice = `c-${randomUUID().slice(0, 8)}`
    await insertMemory(onlyAlice, alice, '2026-01-01T00:00:00Z')
    await insertMemory(onlyAlice, alice, '2026-01-02T00:00:00Z')
    snapshots.onlyAlice = await insertSnapshot(onlyAlice, '2026-01-03T00:00:00Z')

    const shared = `c-${randomUUID().slice(0, 8)}`
    await insertMemory(shared, alice, '2026-01-01T00:00:00Z')
    await insertMemory(shared, bob, '2026-01-02T00:00:00Z')
    snapshots.shared = await insertSnapshot(shared, '2026-01-03T00:00:00Z')

    // Bob's memory came after the snapshot: at the time, the companion knew only Alice.
    const bobLater = `c-${randomUUID().slice(0, 8)}`
    await insertMemory(bobLater, alice, '2026-01-01T00:00:00Z')
    snapshots.bobLater = await insertSnapshot(bobLater, '2026-01-02T00:00:00Z')
    await insertMemory(bobLater, bob, '2026-01-05T00:00:00Z')

    snapshots.noMemories = await insertSnapshot(
      `c-${randomUUID().slice(0, 8)}`,
      '2026-01-03T00:00:00Z',
    )
    snapshots.noCompanion = await insertSnapshot(null, '2026-01-03T00:00:00Z')
    snapshots.noTime = await insertSnapshot(bobLater, null)

    const result = await migrateDatabase(client, 'memory')
    // The migration under test comes first; later ones follow it.
    expect(result.applied[0], JSON.stringify(result)).toBe(USER_COLUMN_MIGRATION)
  })

  afterAll(() => db?.close())

  it('attributes a snapshot to the one user whose memories it covered', async () => {
    expect(await userOf(snapshots.onlyAlice)).toBe(alice)
    expect(await userOf(snapshots.bobLater)).toBe(alice)
  })

  it('leaves a snapshot over several users companion-wide', async () => {
    expect(await userOf(snapshots.shared)).toBeNull()
  })

  it('leaves a snapshot companion-wide when nothing tells whose it was', async () => {
    expect(await userOf(snapshots.noMemories)).toBeNull()
    expect(await userOf(snapshots.noCompanion)).toBeNull()
    expect(await userOf(snapshots.noTime)).toBeNull()
  })

  it('indexes the user column, so a forget finds the rows without a scan', async () => {
    const { rows } = await client.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes
       WHERE tablename = 'memory_analytics' AND indexname = 'idx_memory_analytics_user'`,
    )
    expect(rows[0]?.indexdef, JSON.stringify(rows)).toMatch(/\(user_id\)/)
  })
})
