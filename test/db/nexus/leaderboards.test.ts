/**
 * The leaderboard tables of migrations 0020 and 0021 against the queries they replace: after any
 * mix of inserts, verifications, corrections and deletions, the kept boards equal what the naive
 * window functions compute from the source rows.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { suitePglite } from '../../support/pglite'
import { createQuest, createUser } from './fixtures'

const pg = suitePglite('nexus')

/** Entries of every board of `questId` as the naive query computes them from completions. */
async function naiveQuestBoards(questId: string) {
  const { rows } = await pg.client.query(
    `WITH counted AS (
       SELECT c.*, p.period, leaderboard_period_start(p.period, c.completed_at) AS period_start
       FROM challenge_completions c
       CROSS JOIN (VALUES ('all_time'), ('weekly'), ('daily')) AS p (period)
       WHERE c.quest_id = $1 AND c.completion_verified AND c.is_ranked_attempt),
     best AS (
       SELECT DISTINCT ON (period, period_start, user_id) *
       FROM counted
       ORDER BY period, period_start, user_id, score DESC, time_taken_seconds, completed_at, id)
     SELECT period, period_start::text, user_id, id AS completion_id,
       row_number() OVER (PARTITION BY period, period_start
                          ORDER BY score DESC, time_taken_seconds, completed_at, user_id DESC)::int
         AS rank
     FROM best ORDER BY 1, 2, 5`,
    [questId],
  )
  return rows
}

/** The kept entries of `questId` with their rank as the API reads it (bucket counts). */
async function keptQuestBoards(questId: string) {
  const { rows } = await pg.client.query(
    `SELECT e.period, e.period_start::text, e.user_id, e.completion_id,
       quest_leaderboard_rank(e.quest_id, e.period, e.period_start, e.score, e.neg_time_taken,
                              e.neg_completed_us, e.user_id) AS rank
     FROM quest_leaderboard_entries e WHERE e.quest_id = $1 ORDER BY 1, 2, 5`,
    [questId],
  )
  return rows
}

/** Bucket counters of `questId` that differ from a count of its entries. */
async function bucketDrift(questId: string) {
  const { rows } = await pg.client.query(
    `SELECT * FROM (
       SELECT period, period_start, leaderboard_bucket(score) AS bucket, count(*)::int AS entries
       FROM quest_leaderboard_entries WHERE quest_id = $1 GROUP BY 1, 2, 3) counted
     FULL JOIN (SELECT period, period_start, bucket, entries FROM quest_leaderboard_buckets
                WHERE quest_id = $1 AND entries <> 0) kept USING (period, period_start, bucket)
     WHERE counted.entries IS DISTINCT FROM kept.entries`,
    [questId],
  )
  return rows
}

const completionArb = fc.record({
  user: fc.integer({ min: 0, max: 5 }),
  // Scores on both sides of bucket edges (exact below 100, 10 wide from 100, 100 wide from 1,000).
  score: fc.constantFrom(0, 5, 99, 100, 105, 109, 110, 990, 999, 1000, 1050, 1099, 1100),
  time: fc.integer({ min: 1, max: 3 }),
  // Minutes after a Sunday 22:00 UTC: crosses a day and a week boundary.
  minute: fc.integer({ min: 0, max: 300 }),
  verified: fc.boolean(),
  ranked: fc.boolean(),
})

const changeArb = fc.oneof(
  fc.record({ kind: fc.constant('verify' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('unrank' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('rescore' as const), index: fc.nat(), score: fc.nat(1200) }),
  fc.record({ kind: fc.constant('delete' as const), index: fc.nat() }),
)

describe('quest_leaderboard_entries', () => {
  it('equals the naive best-per-player ranking after inserts, updates and deletes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(completionArb, { minLength: 1, maxLength: 25 }),
        fc.array(changeArb, { maxLength: 6 }),
        async (completions, changes) => {
          const questId = await createQuest(pg.client)
          const users = await Promise.all(Array.from({ length: 6 }, () => createUser(pg.client)))
          const ids: string[] = []
          // Several rows per statement, as a bulk insert would: the statement trigger sees them all.
          for (let i = 0; i < completions.length; i += 5) {
            const chunk = completions.slice(i, i + 5)
            const { rows } = await pg.client.query<{ id: string }>(
              `INSERT INTO challenge_completions
                 (quest_id, user_id, score, time_taken_seconds, completed_at,
                  completion_verified, is_ranked_attempt)
               SELECT $1, u, s, t, timestamptz '2026-03-08T22:00:00Z' + make_interval(mins => m)
                        + make_interval(secs => (n + $8) / 1000.0), v, r
               FROM unnest($2::uuid[], $3::int[], $4::int[], $5::int[], $6::bool[], $7::bool[])
                 WITH ORDINALITY AS x (u, s, t, m, v, r, n)
               RETURNING id`,
              [
                questId,
                chunk.map((c) => users[c.user]),
                chunk.map((c) => c.score),
                chunk.map((c) => c.time),
                chunk.map((c) => c.minute),
                chunk.map((c) => c.verified),
                chunk.map((c) => c.ranked),
                i,
              ],
            )
            ids.push(...rows.map((r) => r.id))
          }
          const deleted = new Set<string>()
          for (const change of changes) {
            const id = ids[change.index % ids.length]
            if (deleted.has(id)) continue
            if (change.kind === 'delete') deleted.add(id)
            const statement = {
              verify: 'UPDATE challenge_completions SET completion_verified = TRUE WHERE id = $1',
              unrank: 'UPDATE challenge_completions SET is_ranked_attempt = FALSE WHERE id = $1',
              rescore: 'UPDATE challenge_completions SET score = $2 WHERE id = $1',
              delete: 'DELETE FROM challenge_completions WHERE id = $1',
            }[change.kind]
            await pg.client.query(statement, change.kind === 'rescore' ? [id, change.score] : [id])
          }
          expect(await keptQuestBoards(questId)).toEqual(await naiveQuestBoards(questId))
          expect(await bucketDrift(questId)).toEqual([])
        },
      ),
      { numRuns: 25 },
    )
  })

  it('is rebuilt from the completions by rebuild_quest_leaderboards()', async () => {
    const questId = await createQuest(pg.client)
    const user = await createUser(pg.client)
    await pg.client.query(
      `INSERT INTO challenge_completions
         (quest_id, user_id, score, time_taken_seconds, completion_verified)
       VALUES ($1, $2, 10, 5, TRUE)`,
      [questId, user],
    )
    const before = await keptQuestBoards(questId)
    await pg.client.query('DELETE FROM quest_leaderboard_entries WHERE quest_id = $1', [questId])
    await pg.client.query('SELECT rebuild_quest_leaderboards()')
    expect(await keptQuestBoards(questId)).toEqual(before)
    expect(await bucketDrift(questId)).toEqual([])
    expect(before.map((r) => r.period).sort()).toEqual(['all_time', 'daily', 'weekly'])
  })
})

const BOARDS: Record<string, string> = {
  akashic_resonance: 'CASE WHEN akashic_resonance > 0 THEN akashic_resonance END',
  akashic_total_essence: `CASE WHEN akashic_resonance + akashic_wisdom + akashic_creativity
    + akashic_connection > 0 THEN akashic_resonance + akashic_wisdom + akashic_creativity
    + akashic_connection END`,
  attr_faith: 'attr_faith',
  attr_total: `attr_strength + attr_agility + attr_endurance + attr_magic + attr_wisdom
    + attr_cunning + attr_leadership + attr_faith + attr_charisma + attr_creativity
    + attr_artistry + attr_innovation`,
}

/** Users whose global rank differs from RANK() over the users table, per board. */
async function globalRankMismatches(userIds: string[]) {
  const mismatches: Record<string, number> = {}
  for (const [board, value] of Object.entries(BOARDS)) {
    const { rows } = await pg.client.query<{ bad: number }>(
      `WITH truth AS (
         SELECT id, v, RANK() OVER (ORDER BY v DESC) AS r
         FROM (SELECT id, ${value} AS v FROM users) u WHERE v IS NOT NULL),
       kept AS (
         SELECT e.user_id AS id, e.value AS v, global_leaderboard_rank($1, e.value) AS r
         FROM global_leaderboard_entries e WHERE e.board = $1)
       SELECT count(*)::int AS bad
       FROM truth FULL JOIN kept USING (id)
       WHERE (truth.id = ANY($2::uuid[]) OR kept.id = ANY($2::uuid[]))
         AND (truth.v IS DISTINCT FROM kept.v OR truth.r IS DISTINCT FROM kept.r)`,
      [board, userIds],
    )
    if (rows[0].bad > 0) mismatches[board] = rows[0].bad
  }
  return mismatches
}

describe('global_leaderboard_entries and leaderboard_bucket_counts', () => {
  it('rank every user as RANK() does, on every board, through updates, deletes and compaction', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            user: fc.integer({ min: 0, max: 11 }),
            resonance: fc.integer({ min: -50, max: 250_000 }),
            wisdom: fc.integer({ min: 0, max: 3000 }),
            faith: fc.integer({ min: 0, max: 130 }),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        fc.boolean(),
        async (updates, deleteOne) => {
          const users = await Promise.all(Array.from({ length: 12 }, () => createUser(pg.client)))
          for (const u of updates) {
            await pg.client.query(
              `UPDATE users SET akashic_resonance = $2, akashic_wisdom = $3, attr_faith = $4
               WHERE id = $1`,
              [users[u.user], u.resonance, u.wisdom, u.faith],
            )
          }
          if (deleteOne) {
            await pg.client.query('DELETE FROM user_balances WHERE user_id = $1', [users[0]])
            await pg.client.query('DELETE FROM users WHERE id = $1', [users[0]])
          }
          expect(await globalRankMismatches(users)).toEqual({})
          await pg.client.query('SELECT compact_leaderboard_bucket_counts()')
          expect(await globalRankMismatches(users)).toEqual({})
        },
      ),
      { numRuns: 15 },
    )
    const { rows } = await pg.client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT board, bucket FROM leaderboard_bucket_counts
       GROUP BY board, bucket HAVING count(*) > 1) d`,
    )
    expect(rows[0].n, 'one row per bucket after the last compaction').toBe(0)
  })

  it('buckets keep two significant digits, and every value lies in [bucket, next bucket)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: -1000n, max: 9_000_000_000_000n }), async (value) => {
        const { rows } = await pg.client.query<{ b: string; n: string; b2: string }>(
          `SELECT leaderboard_bucket($1)::text AS b, leaderboard_next_bucket($1)::text AS n,
             leaderboard_bucket(leaderboard_next_bucket($1) - 1)::text AS b2`,
          [value.toString()],
        )
        const [b, n] = [BigInt(rows[0].b), BigInt(rows[0].n)]
        expect(b <= value && value < n).toBe(true)
        expect(BigInt(rows[0].b2), 'the last value before the next bucket is in this one').toBe(b)
        if (value >= 100n) expect((n - b) * 10n <= b).toBe(true)
      }),
      { numRuns: 300 },
    )
  })
})
