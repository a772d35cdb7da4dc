/**
 * Quest sessions on a real multi-connection PostgreSQL: the writes a QuestSession makes
 * (`writeQuestSessionSync`) racing themselves over separate connections, the way a doubled alarm
 * or an object restarted while its previous write was still in flight would, and the per-host
 * session limit under simultaneous openings. Through the production driver path (Neon driver,
 * WebSocket proxy); state checked directly with `pg`.
 *
 * Needs `NEXUS_CONCURRENCY_DATABASE_URL`; without it the suite is skipped with one visible line.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNexusClient } from '../../db/client'
import { questDataSchema } from '../../durable-objects/quest-session/quest-data'
import type { SessionDefinition } from '../../durable-objects/quest-session/rpc'
import {
  writeQuestSessionSync,
  type QuestSyncSnapshot,
} from '../../durable-objects/quest-session/sync'
import { MAX_OPEN_SESSIONS_PER_HOST, recordSession } from '../../functions/quest-sessions/service'
import {
  concurrencyDatabaseUrl,
  createUsers,
  directPool,
  startConcurrencyPostgres,
  type ConcurrencyPostgres,
} from '../support/postgres-server'
import { recordLogs } from '../support/recording-logger'

recordLogs()

const adminUrl = concurrencyDatabaseUrl('quest sessions')

/** Writers racing each other, each on its own connection. */
const WRITERS = 8

const REWARDS = { akashic_resonance: 5, attributes: { wisdom: 1 }, tokens: 10 }

describe.skipIf(!adminUrl)('quest sessions on a real multi-connection PostgreSQL', () => {
  let server: ConcurrencyPostgres
  let pool: pg.Pool

  beforeAll(async () => {
    server = await startConcurrencyPostgres(adminUrl!)
    pool = directPool(server.url, 8)
  })

  afterAll(async () => {
    await pool?.end()
    await server?.close()
  })

  /** Runs `write` on `count` clients of their own, all at once. */
  async function race<T>(
    count: number,
    write: (db: ReturnType<typeof createNexusClient>['db'], i: number) => Promise<T>,
  ) {
    const clients = Array.from({ length: count }, () =>
      createNexusClient(server.url, { wsProxy: server.proxyAddress }),
    )
    try {
      return await Promise.all(clients.map((client, i) => write(client.db, i)))
    } finally {
      await Promise.all(clients.map((client) => client.close()))
    }
  }

  /** A quest and a waiting session of it with `users` as participants. */
  async function session(users: string[]) {
    const { rows: quests } = await pool.query<{ id: string }>(
      `INSERT INTO quests (title, challenge_type, quest_data, rewards) VALUES ('race', 'microgame', '{}', $1)
       RETURNING id`,
      [JSON.stringify(REWARDS)],
    )
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO quest_instances (quest_id, participants, host_user_id) VALUES ($1, $2::uuid[], $3)
       RETURNING id`,
      [quests[0].id, users, users[0]],
    )
    return { questId: quests[0].id, sessionId: rows[0].id }
  }

  /** The snapshot a session object would write at `version`, completed or still running. */
  function snapshot(
    ids: { questId: string; sessionId: string },
    users: string[],
    version: number,
    completed: { scores: number[]; at: number } | null,
  ): QuestSyncSnapshot {
    const started = Date.parse('2026-06-01T10:00:00Z')
    return {
      version,
      session_id: ids.sessionId,
      quest_id: ids.questId,
      quest_title: 'race',
      host_user_id: users[0],
      participants: users,
      status: completed ? 'completed' : 'in_progress',
      state: { status: completed ? 'completed' : 'in_progress', version },
      started_at_ms: started,
      paused_at_ms: null,
      resumed_at_ms: null,
      ended_at_ms: completed?.at ?? null,
      total_pause_duration_seconds: 0,
      last_activity_ms: completed?.at ?? started,
      is_abandoned: false,
      plays_at_start: users.length,
      progress: users.map((userId, i) => ({
        user_id: userId,
        tokens_collected: [],
        puzzles_solved: ['q'],
        npcs_interacted: [],
        score: completed?.scores[i] ?? 0,
        max_possible_score: 100,
        time_taken_seconds: completed ? 60 : null,
        mistakes_made: 0,
        perfect_completion: false,
        challenge_specific_data: {},
        completion_percentage: completed ? 100 : 0,
        current_checkpoint: null,
        started_at_ms: started,
        last_update_ms: completed?.at ?? started,
        completed_at_ms: completed?.at ?? null,
      })),
      completion: completed && {
        record: {
          completed_at_ms: completed.at,
          time_taken_seconds: 60,
          max_possible_score: 100,
          verification_hash: 'f'.repeat(64),
          event_count: 9,
          results: users.map((userId, i) => ({
            user_id: userId,
            score: completed.scores[i],
            mistakes_made: 0,
            perfect_completion: false,
          })),
        },
        is_ranked: true,
        rewards: REWARDS,
        session_type: 'standard',
      },
    }
  }

  /** What a session wrote: completions, rewards, counters. */
  async function written(ids: { questId: string; sessionId: string }, users: string[]) {
    const { rows } = await pool.query(
      `SELECT
         (SELECT count(*)::int FROM challenge_completions WHERE quest_instance_id = $1) AS completions,
         (SELECT array_agg(score ORDER BY score) FROM challenge_completions WHERE quest_instance_id = $1) AS scores,
         (SELECT count(*)::int FROM token_transactions WHERE transaction_type = 'quest_reward'
            AND metadata ->> 'quest_instance_id' = $1::text) AS token_rows,
         (SELECT count(*)::int FROM akashic_transactions WHERE metadata ->> 'quest_instance_id' = $1::text) AS essence_rows,
         (SELECT count(*)::int FROM attribute_transactions WHERE metadata ->> 'quest_instance_id' = $1::text) AS attribute_rows,
         (SELECT sum(tokens)::int FROM user_balances WHERE user_id = ANY($3::uuid[])) AS tokens,
         (SELECT sum(total_quests_completed)::int FROM users WHERE id = ANY($3::uuid[])) AS quests_completed,
         (SELECT play_count FROM quests WHERE id = $2) AS play_count,
         (SELECT completion_count FROM quests WHERE id = $2) AS completion_count,
         (SELECT state_version FROM quest_instances WHERE id = $1) AS state_version,
         (SELECT status FROM quest_instances WHERE id = $1) AS status`,
      [ids.sessionId, ids.questId, users],
    )
    return rows[0]
  }

  it(`writes a completion and its rewards once when ${WRITERS} writers race with the same snapshot`, async () => {
    const users = await createUsers(pool, 'race', 2)
    const ids = await session(users)
    const done = snapshot(ids, users, 7, {
      scores: [60, 40],
      at: Date.parse('2026-06-01T10:01:00Z'),
    })
    const outcomes = await race(WRITERS, (db) => writeQuestSessionSync(db, done))
    expect(
      outcomes.filter((o) => o === 'written'),
      outcomes.join(','),
    ).toHaveLength(1)
    expect(outcomes.filter((o) => o === 'already_written')).toHaveLength(WRITERS - 1)
    expect(await written(ids, users)).toEqual({
      completions: 2,
      scores: [40, 60],
      token_rows: 2,
      essence_rows: 2,
      attribute_rows: 2,
      tokens: 2 * (100 + 10),
      quests_completed: 2,
      play_count: 2,
      completion_count: 2,
      state_version: 7,
      status: 'completed',
    })
  })

  it('keeps the newest version when versions race, and counts the start and the completion once', async () => {
    const users = await createUsers(pool, 'versions', 2)
    const ids = await session(users)
    const running = snapshot(ids, users, 4, null)
    const done = snapshot(ids, users, 9, {
      scores: [10, 20],
      at: Date.parse('2026-06-01T10:02:00Z'),
    })
    // Half the writers carry the older state, half the newer; the order is the race's.
    await race(WRITERS, (db, i) => writeQuestSessionSync(db, i % 2 === 0 ? running : done))
    const after = await written(ids, users)
    expect(after).toMatchObject({
      completions: 2,
      token_rows: 2,
      play_count: 2,
      completion_count: 2,
      state_version: 9,
      status: 'completed',
    })
  })

  it('writes one set of completions when two different completions of one session race', async () => {
    // Two objects can never run one session at once; if they did, Postgres still keeps one.
    const users = await createUsers(pool, 'split', 2)
    const ids = await session(users)
    const first = snapshot(ids, users, 5, {
      scores: [1, 2],
      at: Date.parse('2026-06-01T10:03:00Z'),
    })
    const second = snapshot(ids, users, 6, {
      scores: [3, 4],
      at: Date.parse('2026-06-01T10:03:01Z'),
    })
    await race(WRITERS, (db, i) => writeQuestSessionSync(db, i % 2 === 0 ? first : second))
    const after = await written(ids, users)
    expect(after.completions).toBe(2)
    expect(after.token_rows).toBe(2)
    expect([
      [1, 2],
      [3, 4],
    ]).toContainEqual(after.scores)
  })

  it(`lets a host open at most ${MAX_OPEN_SESSIONS_PER_HOST} sessions when ${WRITERS} openings race`, async () => {
    const [host] = await createUsers(pool, 'host', 1)
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO quests (title, challenge_type, quest_data, rewards) VALUES ('q', 'microgame', '{}', '{}') RETURNING id`,
    )
    const quest_data = questDataSchema.parse({
      objectives: [{ id: 'q', type: 'answer', question: '?', answer: 'yes' }],
    })
    const definition = (): SessionDefinition => ({
      session_id: crypto.randomUUID(),
      quest_id: rows[0].id,
      quest_title: 'q',
      quest_version: 1,
      instance_id: null,
      session_type: 'standard',
      is_ranked: true,
      host: { user_id: host, username: 'host' },
      quest_data,
      rewards: {},
      time_limit_seconds: null,
      min_participants: 1,
      max_participants: 1,
    })
    const outcomes = await race(WRITERS, (db) =>
      recordSession(db, { definition: definition(), instance_template: null }).then(
        () => 'opened',
        (error: { code?: string }) => error.code ?? String(error),
      ),
    )
    expect(
      outcomes.filter((o) => o === 'opened'),
      outcomes.join(','),
    ).toHaveLength(MAX_OPEN_SESSIONS_PER_HOST)
    expect(outcomes.filter((o) => o === 'conflict')).toHaveLength(
      WRITERS - MAX_OPEN_SESSIONS_PER_HOST,
    )
  })
})
