/**
 * Scheduled upkeep of the leaderboards: fold the global boards' bucket deltas (ranks stay exact
 * either way; folding keeps the sums short), and refresh the seed's two materialized views, which
 * nothing in the API serves (the boards are kept at commit) but reports and psql users read.
 */
import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client'

/** What one run did. */
export interface LeaderboardMaintenance {
  bucket_rows_folded: number
  materialized_views_refreshed: boolean
}

/** Folds the bucket counts and refreshes `challenge_leaderboards` and `attribute_leaderboards`. */
export async function maintainLeaderboards(db: Db): Promise<LeaderboardMaintenance> {
  const { rows } = await db.execute<{ folded: number }>(
    sql`SELECT compact_leaderboard_bucket_counts()::int AS folded`,
  )
  await db.execute(sql`SELECT refresh_challenge_leaderboards()`)
  await db.execute(sql`SELECT refresh_attribute_leaderboards()`)
  return { bucket_rows_folded: rows[0]?.folded ?? 0, materialized_views_refreshed: true }
}
