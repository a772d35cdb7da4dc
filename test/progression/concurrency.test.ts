/**
 * Progression and leaderboards under concurrent transactions, on a real multi-connection
 * PostgreSQL (the embedded PGlite runs one transaction at a time and could never show a lost
 * unlock or a deadlock): requests go through the whole app (`app.request`), rows are checked
 * directly with `pg`.
 *
 * Needs `NEXUS_CONCURRENCY_DATABASE_URL` (`.ci/run` sets it); without it the suite is skipped with
 * one visible line.
 */
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../functions/app'
import { seedNexus } from '../../db/seed'
import {
  concurrencyDatabaseUrl,
  createUsers,
  directPool,
  startConcurrencyPostgres,
  type ConcurrencyPostgres,
} from '../support/postgres-server'
import { issueAccessToken, type Role } from '../../functions/lib/auth'
import { getConfig } from '../../functions/lib/env'
import { recordLogs } from '../support/recording-logger'
import { replySender, tally, unexpected, type Reply } from '../support/http-replies'

recordLogs()

const adminUrl = concurrencyDatabaseUrl('progression')

/** How long the randomized award and completion load runs. */
const LOAD_DURATION_MS = 8_000
const LOAD_WORKERS = 8
const LOAD_USERS = 16

describe.skipIf(!adminUrl)('progression on a real multi-connection PostgreSQL', () => {
  const app = createApp()
  let server: ConcurrencyPostgres
  let pool: pg.Pool
  let send: ReturnType<typeof replySender>

  beforeAll(async () => {
    server = await startConcurrencyPostgres(adminUrl!)
    pool = directPool(server.url, 20)
    send = replySender(app, server.env)
    const client = await pool.connect()
    try {
      await seedNexus(client)
    } finally {
      client.release()
    }
  })

  afterAll(async () => {
    await pool?.end()
    await server?.close()
  })

  const tokenFor = async (userId: string, roles: Role[]) =>
    (
      await issueAccessToken(
        { userId, username: `user_${userId.slice(0, 8)}`, roles },
        getConfig(server.env),
      )
    ).token

  const award = (token: string, body: Record<string, unknown>) =>
    send('POST', '/v1/admin/progression/awards', token, {
      body: { transaction_type: 'manual', ...body },
      idempotencyKey: randomUUID(),
    })

  describe('Thoth under concurrent discoveries', () => {
    it('unlocks exactly once when 13 tablets (and repeats) are awarded at the same moment', async () => {
      const players = await createUsers(pool, 'thoth', 4)
      const [serviceUser] = await createUsers(pool, 'svc', 1)
      const token = await tokenFor(serviceUser, ['service'])
      const requests: Promise<Reply>[] = []
      for (const player of players) {
        for (let n = 1; n <= 13; n++) {
          requests.push(award(token, { user_id: player, tablets: [{ tablet_number: n }] }))
        }
        for (let repeat = 0; repeat < 6; repeat++) {
          const n = 1 + Math.floor(Math.random() * 13)
          requests.push(award(token, { user_id: player, tablets: [{ tablet_number: n }] }))
        }
      }
      const replies = await Promise.all(requests)
      expect(unexpected(replies, [201])).toBe('none')
      for (const player of players) {
        const mine = replies.filter((r) => r.json.user_id === player)
        const unlocking = mine.filter((r) => r.json.unlocked.thoth)
        expect(unlocking.length, `awards reporting the unlock for ${player}`).toBe(1)
        expect(unlocking[0].json.tablets.found).toBe(13)
        const fresh = mine.flatMap((r) => r.json.tablets.new).sort((a: number, b: number) => a - b)
        expect(fresh, 'each tablet new exactly once').toEqual(
          Array.from({ length: 13 }, (_, i) => i + 1),
        )
      }
      const { rows } = await pool.query(
        `SELECT u.id, u.thoth_unlocked, u.akashic_tablets_collected AS tablets,
           (SELECT count(*)::int FROM hidden_deity_discoveries h
            WHERE h.user_id = u.id AND h.deity_name = 'thoth') AS discoveries
         FROM users u WHERE u.id = ANY($1::uuid[])`,
        [players],
      )
      for (const row of rows) {
        expect(row, row.id).toMatchObject({
          thoth_unlocked: true,
          tablets: Array.from({ length: 13 }, (_, i) => i + 1),
          discoveries: 1,
        })
      }
      console.log(
        `[concurrency] thoth: ${replies.length} parallel awards for ${players.length} players, ${JSON.stringify(tally(replies))}, one unlock each`,
      )
    })

    it('unlocks when 13 transactions insert the tablets directly and overlap', async () => {
      // No service and no row lock taken beforehand: only the trigger orders the discoverers.
      // Each transaction holds its insert open a moment, so all 13 are in flight together.
      const [player] = await createUsers(pool, 'raw', 1)
      const results = await Promise.allSettled(
        Array.from({ length: 13 }, async (_, i) => {
          const client = await pool.connect()
          try {
            await client.query('BEGIN')
            await client.query(
              'INSERT INTO akashic_tablet_discoveries (user_id, tablet_number) VALUES ($1, $2)',
              [player, i + 1],
            )
            await client.query('SELECT pg_sleep(0.05)')
            await client.query('COMMIT')
          } catch (error) {
            await client.query('ROLLBACK').catch(() => undefined)
            throw error
          } finally {
            client.release()
          }
        }),
      )
      const failures = results.filter((r) => r.status === 'rejected')
      expect(failures.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([])
      const { rows } = await pool.query(
        `SELECT thoth_unlocked, cardinality(akashic_tablets_collected) AS tablets,
           (SELECT count(*)::int FROM hidden_deity_discoveries
            WHERE user_id = $1 AND deity_name = 'thoth') AS discoveries
         FROM users WHERE id = $1`,
        [player],
      )
      expect(rows[0]).toEqual({ thoth_unlocked: true, tablets: 13, discoveries: 1 })
    })
  })

  describe('POST /v1/deities/:id/bond under concurrency', () => {
    it('leaves exactly one active bond after 12 parallel bonds with different blessings', async () => {
      const [player] = await createUsers(pool, 'bond', 1)
      const token = await tokenFor(player, ['player'])
      const { rows: blessings } = await pool.query<{ deity_id: string; id: string }>(
        `SELECT b.deity_id, b.id FROM deity_blessings b JOIN deities d ON d.id = b.deity_id
         WHERE d.min_rank_required = 1 AND NOT d.is_hidden`,
      )
      expect(blessings.length).toBeGreaterThanOrEqual(6)
      const replies = await Promise.all(
        Array.from({ length: 12 }, (_, i) => {
          const b = blessings[i % blessings.length]
          return send('POST', `/v1/deities/${b.deity_id}/bond`, token, {
            body: { blessing_id: b.id },
          })
        }),
      )
      expect(unexpected(replies, [200, 201])).toBe('none')
      const { rows } = await pool.query<{ active: number; total: number }>(
        `SELECT count(*) FILTER (WHERE is_active)::int AS active, count(*)::int AS total
         FROM user_deity_bonds WHERE user_id = $1`,
        [player],
      )
      expect(rows[0].active).toBe(1)
      expect(rows[0].total, 'one bond per 201').toBe(replies.filter((r) => r.status === 201).length)
    })
  })

  describe('leaderboards under randomized concurrent load', () => {
    it('keeps every global rank equal to RANK() and the quest board equal to the naive ranking', async () => {
      const players = await createUsers(pool, 'load', LOAD_USERS)
      const [serviceUser] = await createUsers(pool, 'svc', 1)
      const token = await tokenFor(serviceUser, ['service'])
      const { rows: quests } = await pool.query<{ id: string }>(
        `INSERT INTO quests (title, challenge_type, quest_data, rewards)
         VALUES ('load', 'microgame', '{}', '{}') RETURNING id`,
      )
      const questId = quests[0].id
      const deadline = Date.now() + LOAD_DURATION_MS
      const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]
      const replies: Reply[] = []
      const errors: string[] = []
      let completions = 0

      await Promise.all(
        Array.from({ length: LOAD_WORKERS }, async (_, worker) => {
          while (Date.now() < deadline) {
            const roll = Math.random()
            try {
              if (roll < 0.5) {
                replies.push(
                  await award(token, {
                    user_id: pick(players),
                    essences: { resonance: Math.floor(Math.random() * 3000) - 500 },
                    attributes: { faith: Math.floor(Math.random() * 40), magic: 1 },
                  }),
                )
              } else if (roll < 0.95) {
                await pool.query(
                  `INSERT INTO challenge_completions
                     (quest_id, user_id, score, time_taken_seconds, completion_verified)
                   VALUES ($1, $2, $3, $4, TRUE)`,
                  [questId, pick(players), Math.floor(Math.random() * 50) * 10, 1 + (worker % 5)],
                )
                completions += 1
              } else {
                await pool.query('SELECT compact_leaderboard_bucket_counts()')
              }
            } catch (error) {
              errors.push(String(error))
            }
          }
        }),
      )

      expect(errors.slice(0, 5), 'no statement failed (no deadlock, no lost row)').toEqual([])
      expect(unexpected(replies, [201])).toBe('none')
      const { rows: mismatched } = await pool.query(
        `WITH truth AS (
           SELECT id, akashic_resonance AS v, RANK() OVER (ORDER BY akashic_resonance DESC) AS r
           FROM users WHERE akashic_resonance > 0
         ), faith AS (
           SELECT id, attr_faith AS v, RANK() OVER (ORDER BY attr_faith DESC) AS r FROM users
         )
         SELECT 'akashic_resonance' AS board, t.id FROM truth t
         WHERE t.r IS DISTINCT FROM global_leaderboard_rank('akashic_resonance', t.v)
         UNION ALL
         SELECT 'attr_faith', f.id FROM faith f
         WHERE f.r IS DISTINCT FROM global_leaderboard_rank('attr_faith', f.v)`,
      )
      expect(mismatched).toEqual([])
      // Every player's all-time entry is their best, and its rank (bucket counts) is its position.
      const { rows: board } = await pool.query(
        `WITH best AS (
           SELECT DISTINCT ON (user_id) user_id, id, score, time_taken_seconds, completed_at
           FROM challenge_completions WHERE quest_id = $1 AND completion_verified
           ORDER BY user_id, score DESC, time_taken_seconds, completed_at, id),
         naive AS (
           SELECT user_id, id, row_number() OVER (
             ORDER BY score DESC, time_taken_seconds, completed_at, user_id DESC)::int AS rank
           FROM best),
         kept AS (
           SELECT user_id, completion_id AS id,
             quest_leaderboard_rank(quest_id, period, period_start, score, neg_time_taken,
                                    neg_completed_us, user_id) AS rank
           FROM quest_leaderboard_entries WHERE quest_id = $1 AND period = 'all_time')
         SELECT * FROM naive FULL JOIN kept USING (user_id)
         WHERE naive.id IS DISTINCT FROM kept.id OR naive.rank IS DISTINCT FROM kept.rank`,
        [questId],
      )
      expect(board).toEqual([])
      console.log(
        `[concurrency] leaderboards: ${replies.length} awards and ${completions} completions from ${LOAD_WORKERS} workers in ${LOAD_DURATION_MS / 1000} s; ranks equal RANK() and the naive best`,
      )
    })
  })
})
