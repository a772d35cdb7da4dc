/**
 * Row builders for nexus SQL tests: each call creates fresh rows with random ids and names.
 */
import { randomUUID } from 'node:crypto'
import type { SqlClient } from '../../../db/sql-client'

/** Inserts a user (column overrides allowed) and returns its id. */
export async function createUser(
  client: SqlClient,
  columns: Record<string, unknown> = {},
): Promise<string> {
  const values = { username: `user_${randomUUID()}`, ...columns }
  const names = Object.keys(values)
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO users (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})
     RETURNING id`,
    Object.values(values),
  )
  return rows[0].id
}

/** Inserts a quest and returns its id. */
export async function createQuest(client: SqlClient): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO quests (title, challenge_type, quest_data, rewards)
     VALUES ($1, 'microgame', '{}', '{}') RETURNING id`,
    [`quest_${randomUUID()}`],
  )
  return rows[0].id
}

/** Inserts an asset and returns its id. */
export async function createAsset(
  client: SqlClient,
  columns: Record<string, unknown> = {},
): Promise<string> {
  const name = `asset_${randomUUID()}`
  const values = {
    asset_name: name,
    category: 'prop',
    glb_path: `/assets/test/${name}.glb`,
    license: 'CC0',
    source: 'polyhaven',
    original_author: 'Poly Haven',
    display_name: 'Test Asset',
    ...columns,
  }
  const names = Object.keys(values)
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO assets (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})
     RETURNING id`,
    Object.values(values),
  )
  return rows[0].id
}

/** Runs `query` and returns its Postgres error (SQLSTATE `code`, `constraint`), or fails. */
export async function pgError(
  promise: Promise<unknown>,
): Promise<{ code?: string; constraint?: string; message: string }> {
  try {
    await promise
  } catch (error) {
    return error as { code?: string; constraint?: string; message: string }
  }
  throw new Error('expected the statement to fail, but it succeeded')
}
