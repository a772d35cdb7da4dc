/**
 * Idempotent upsert of reference rows through a plain `SqlClient`, parameterized.
 */
import type { SqlClient } from '../sql-client'

/** Reference rows: column name to value. jsonb values are objects; arrays are JS arrays. */
export type SeedRow = Record<string, unknown>

/**
 * Inserts `rows` into `table`; on a conflict over `conflictColumns` updates the other columns only
 * when a value differs, so a second run changes nothing (not even an updated_at). `casts` names
 * the SQL type of columns whose parameter needs one (`jsonb`, `text[]`, enums).
 */
export async function upsertRows(
  client: SqlClient,
  table: string,
  conflictColumns: string[],
  rows: SeedRow[],
  casts: Record<string, string> = {},
): Promise<void> {
  for (const row of rows) {
    const columns = Object.keys(row)
    const placeholders = columns.map((c, i) => `$${i + 1}` + (casts[c] ? `::${casts[c]}` : ''))
    const values = columns.map((c) =>
      casts[c] === 'jsonb' && row[c] !== null ? JSON.stringify(row[c]) : row[c],
    )
    const updates = columns.filter((c) => !conflictColumns.includes(c))
    const onConflict =
      updates.length === 0
        ? 'DO NOTHING'
        : `DO UPDATE SET ${updates.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
           WHERE ROW(${updates.map((c) => `t.${c}`).join(', ')})
             IS DISTINCT FROM ROW(${updates.map((c) => `EXCLUDED.${c}`).join(', ')})`
    await client.query(
      `INSERT INTO ${table} AS t (${columns.join(', ')}) VALUES (${placeholders.join(', ')})
       ON CONFLICT (${conflictColumns.join(', ')}) ${onConflict}`,
      values,
    )
  }
}
