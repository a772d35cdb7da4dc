import { beforeAll, describe, expect, it } from 'vitest'
import { suitePglite } from '../../support/pglite'
import { createQuest, createUser } from './fixtures'

const pg = suitePglite('nexus')

const T0 = Date.parse('2026-03-02T10:00:00Z')
const minutes = (n: number) => new Date(T0 + n * 60_000).toISOString()

interface Completion {
  label: string
  user: number
  score: number
  time: number
  at: number
  ranked?: boolean
  /** Verified by default: only verified completions are ranked and marked (decision 44). */
  verified?: boolean
  /** The session the completion comes from (none by default). */
  session?: string
}

async function insertCompletion(questId: string, userId: string, c: Completion) {
  const { rows } = await pg.client.query<{ id: string; rank_at_completion: number | null }>(
    `INSERT INTO challenge_completions
       (quest_id, user_id, score, time_taken_seconds, completed_at, is_ranked_attempt,
        completion_verified, quest_instance_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, rank_at_completion`,
    [
      questId,
      userId,
      c.score,
      c.time,
      minutes(c.at),
      c.ranked ?? true,
      c.verified ?? true,
      c.session ?? null,
    ],
  )
  return rows[0]
}

describe('mark_high_scores', () => {
  // 20 completions by 5 users. Top 10% = 2 rows. B and C tie A on score; B and C beat A on time;
  // B beats C on date. u3's best is a score tie broken by time, u4's a score+time tie broken by date.
  const completions: Completion[] = [
    { label: 'A', user: 0, score: 1000, time: 60, at: 0 },
    { label: 'u3-slow', user: 3, score: 900, time: 30, at: 1 },
    { label: 'u4-late', user: 4, score: 800, time: 30, at: 6 },
    { label: 'u0-2', user: 0, score: 700, time: 10, at: 3 },
    { label: 'u1-2', user: 1, score: 600, time: 10, at: 4 },
    { label: 'u2-2', user: 2, score: 500, time: 10, at: 5 },
    { label: 'u3-fast', user: 3, score: 900, time: 20, at: 7 },
    { label: 'u4-early', user: 4, score: 800, time: 30, at: 5 },
    { label: 'u0-3', user: 0, score: 400, time: 10, at: 8 },
    { label: 'u1-3', user: 1, score: 300, time: 10, at: 9 },
    { label: 'u2-3', user: 2, score: 200, time: 10, at: 10 },
    { label: 'u3-3', user: 3, score: 100, time: 10, at: 11 },
    { label: 'u4-3', user: 4, score: 100, time: 10, at: 12 },
    { label: 'u0-4', user: 0, score: 50, time: 10, at: 13 },
    { label: 'u1-4', user: 1, score: 40, time: 10, at: 14 },
    { label: 'u2-4', user: 2, score: 30, time: 10, at: 15 },
    { label: 'u3-4', user: 3, score: 20, time: 10, at: 16 },
    { label: 'u4-4', user: 4, score: 10, time: 10, at: 17 },
    { label: 'C', user: 2, score: 1000, time: 50, at: 2 },
    { label: 'B', user: 1, score: 1000, time: 50, at: 1 },
  ]

  let marks: Map<string, { is_high_score: boolean; is_personal_best: boolean }>
  let ranks: Map<string, number | null>

  beforeAll(async () => {
    const questId = await createQuest(pg.client)
    const users = await Promise.all([0, 1, 2, 3, 4].map(() => createUser(pg.client)))
    const ids = new Map<string, string>()
    ranks = new Map()
    for (const c of completions) {
      const row = await insertCompletion(questId, users[c.user], c)
      ids.set(row.id, c.label)
      ranks.set(c.label, row.rank_at_completion)
    }
    const { rows } = await pg.client.query<{
      id: string
      is_high_score: boolean
      is_personal_best: boolean
    }>(
      'SELECT id, is_high_score, is_personal_best FROM challenge_completions WHERE quest_id = $1',
      [questId],
    )
    expect(rows.length, 'completions stored').toBe(20)
    marks = new Map(rows.map((r) => [ids.get(r.id)!, r]))
  })

  it('marks exactly the top 10% of the quest as high scores, ties broken by time then date', () => {
    const high = [...marks].filter(([, m]) => m.is_high_score).map(([label]) => label)
    expect(high.sort(), 'high scores').toEqual(['B', 'C'])
  })

  it('marks one personal best per user and quest, ties broken by time then date', () => {
    const best = [...marks].filter(([, m]) => m.is_personal_best).map(([label]) => label)
    expect(best.sort(), 'personal bests').toEqual(['A', 'B', 'C', 'u3-fast', 'u4-early'])
  })

  it('records the rank each completion took when it was written', () => {
    expect(ranks.get('A'), 'first completion').toBe(1)
    expect(ranks.get('u3-fast'), 'only A ahead: 900 in 20 s beats 900 in 30 s').toBe(2)
    expect(ranks.get('u4-early'), 'A, u3-fast, u3-slow ahead').toBe(4)
    expect(ranks.get('C'), 'beats A on time').toBe(1)
    expect(ranks.get('B'), 'ties C on score and time, earlier date').toBe(1)
  })
})

describe('verified completions only (decision 44)', () => {
  async function marksOf(questId: string) {
    const { rows } = await pg.client.query<{
      score: number
      is_high_score: boolean
      is_personal_best: boolean
      rank_at_completion: number | null
    }>(
      `SELECT score, is_high_score, is_personal_best, rank_at_completion
       FROM challenge_completions WHERE quest_id = $1 ORDER BY score DESC`,
      [questId],
    )
    return rows.map((r) => [r.score, r.is_high_score, r.is_personal_best, r.rank_at_completion])
  }

  it('never ranks or marks an unverified completion, nor lets it displace a verified one', async () => {
    const questId = await createQuest(pg.client)
    const [cheat, honest] = [await createUser(pg.client), await createUser(pg.client)]
    await insertCompletion(questId, honest, { label: 'h', user: 0, score: 100, time: 60, at: 0 })
    await insertCompletion(questId, cheat, {
      label: 'c',
      user: 0,
      score: 9999,
      time: 1,
      at: 1,
      verified: false,
    })
    expect(await marksOf(questId)).toEqual([
      [9999, false, false, null],
      [100, true, true, 1],
    ])
  })

  it('ranks and marks a completion when it is verified later', async () => {
    const questId = await createQuest(pg.client)
    const [a, b] = [await createUser(pg.client), await createUser(pg.client)]
    await insertCompletion(questId, a, { label: 'a', user: 0, score: 100, time: 60, at: 0 })
    const late = await insertCompletion(questId, b, {
      label: 'b',
      user: 0,
      score: 200,
      time: 60,
      at: 1,
      verified: false,
    })
    await pg.client.query(
      'UPDATE challenge_completions SET completion_verified = TRUE WHERE id = $1',
      [late.id],
    )
    expect(await marksOf(questId)).toEqual([
      [200, true, true, 1],
      [100, false, true, 1],
    ])
  })
})

describe('increment_quest_play_counts', () => {
  it('counts a completion of a session as a completion only: its play was counted at the start', async () => {
    const questId = await createQuest(pg.client)
    const user = await createUser(pg.client)
    const { rows: sessions } = await pg.client.query<{ id: string }>(
      `INSERT INTO quest_instances (quest_id, participants) VALUES ($1, ARRAY[$2::uuid]) RETURNING id`,
      [questId, user],
    )
    await insertCompletion(questId, user, {
      label: 's',
      user: 0,
      score: 1,
      time: 1,
      at: 0,
      session: sessions[0].id,
    })
    const { rows } = await pg.client.query(
      'SELECT play_count, completion_count FROM quests WHERE id = $1',
      [questId],
    )
    expect(rows[0]).toEqual({ play_count: 0, completion_count: 1 })
  })

  it('counts a completion without a session as a play and a completion of its quest', async () => {
    const questId = await createQuest(pg.client)
    const user = await createUser(pg.client)
    await insertCompletion(questId, user, { label: 'x', user: 0, score: 1, time: 1, at: 0 })
    await insertCompletion(questId, user, { label: 'y', user: 0, score: 2, time: 1, at: 30 })
    const { rows } = await pg.client.query(
      'SELECT play_count, completion_count, last_played FROM quests WHERE id = $1',
      [questId],
    )
    expect(rows[0]).toEqual({
      play_count: 2,
      completion_count: 2,
      last_played: new Date(minutes(30)),
    })
  })
})

describe('refresh_challenge_leaderboards_if_due', () => {
  async function lastRefresh(): Promise<Date> {
    const { rows } = await pg.client.query<{ refreshed_at: Date }>(
      "SELECT refreshed_at FROM materialized_view_refreshes WHERE view_name = 'challenge_leaderboards'",
    )
    return rows[0].refreshed_at
  }
  async function setLastRefresh(ago: string) {
    await pg.client.query(
      `UPDATE materialized_view_refreshes SET refreshed_at = now() - $1::interval
       WHERE view_name = 'challenge_leaderboards'`,
      [ago],
    )
  }
  async function refreshIfDue(): Promise<boolean> {
    const { rows } = await pg.client.query<{ refreshed: boolean }>(
      'SELECT refresh_challenge_leaderboards_if_due() AS refreshed',
    )
    return rows[0].refreshed
  }
  async function onBoard(completionId: string): Promise<boolean> {
    const { rows } = await pg.client.query(
      'SELECT 1 FROM challenge_leaderboards WHERE completion_id = $1',
      [completionId],
    )
    return rows.length === 1
  }

  it('refreshes at most once per 5 minutes and records when it ran', async () => {
    await setLastRefresh('6 minutes')
    const before = Date.now()
    expect(await refreshIfDue(), 'last refresh 6 minutes ago').toBe(true)
    expect((await lastRefresh()).getTime(), 'refreshed_at recorded').toBeGreaterThanOrEqual(
      before - 1000,
    )
    expect(await refreshIfDue(), 'just refreshed').toBe(false)
    await setLastRefresh('4 minutes 59 seconds')
    expect(await refreshIfDue(), 'last refresh under 5 minutes ago').toBe(false)
    await setLastRefresh('5 minutes')
    expect(await refreshIfDue(), 'last refresh exactly 5 minutes ago').toBe(true)
  })

  it('shows a new verified completion only after a refresh that was due', async () => {
    const questId = await createQuest(pg.client)
    const user = await createUser(pg.client)
    await setLastRefresh('1 minute')
    // The insert trigger tries a refresh; it is not due.
    const row = await insertCompletion(questId, user, {
      label: 'v',
      user: 0,
      score: 10,
      time: 5,
      at: 0,
      verified: true,
    })
    expect(await onBoard(row.id), 'before the refresh is due').toBe(false)
    await setLastRefresh('10 minutes')
    expect(await refreshIfDue()).toBe(true)
    expect(await onBoard(row.id), 'after the refresh').toBe(true)
  })

  // Decision 52: the completion INSERT no longer pays for the refresh (the scheduled handler does).
  it('is never refreshed by a completion insert, even when due', async () => {
    const questId = await createQuest(pg.client)
    const user = await createUser(pg.client)
    await setLastRefresh('1 hour')
    const row = await insertCompletion(questId, user, {
      label: 'w',
      user: 0,
      score: 10,
      time: 5,
      at: 0,
      verified: true,
    })
    expect(await onBoard(row.id), 'the insert refreshed the view').toBe(false)
    expect(await refreshIfDue(), 'the refresh was still due after the insert').toBe(true)
    expect(await onBoard(row.id), 'after the due refresh').toBe(true)
  })

  it('leaves unverified and unranked attempts off the leaderboard', async () => {
    const questId = await createQuest(pg.client)
    const user = await createUser(pg.client)
    const unverified = await insertCompletion(questId, user, {
      label: 'u',
      user: 0,
      score: 10,
      time: 5,
      at: 0,
      verified: false,
    })
    const unranked = await insertCompletion(questId, user, {
      label: 'r',
      user: 0,
      score: 10,
      time: 5,
      at: 1,
      verified: true,
      ranked: false,
    })
    await pg.client.query('SELECT refresh_challenge_leaderboards()')
    expect(await onBoard(unverified.id), 'unverified').toBe(false)
    expect(await onBoard(unranked.id), 'unranked').toBe(false)
    expect(unranked.rank_at_completion, 'unranked attempts have no rank').toBeNull()
  })
})

describe('challenge_leaderboards', () => {
  it('ranks a quest globally by score, then time, then date', async () => {
    const questId = await createQuest(pg.client)
    const [a, b] = [await createUser(pg.client), await createUser(pg.client)]
    const slow = await insertCompletion(questId, a, {
      label: 's',
      user: 0,
      score: 50,
      time: 90,
      at: 0,
      verified: true,
    })
    const fast = await insertCompletion(questId, b, {
      label: 'f',
      user: 0,
      score: 50,
      time: 30,
      at: 1,
      verified: true,
    })
    await pg.client.query('SELECT refresh_challenge_leaderboards()')
    const { rows } = await pg.client.query<{ completion_id: string; global_rank: string }>(
      'SELECT completion_id, global_rank, weekly_rank, daily_rank FROM challenge_leaderboards WHERE quest_id = $1 ORDER BY global_rank',
      [questId],
    )
    expect(rows.map((r) => r.completion_id)).toEqual([fast.id, slow.id])
    expect(rows.map((r) => Number(r.global_rank))).toEqual([1, 2])
    const buckets = await pg.client.query(
      'SELECT DISTINCT week_start, day_start FROM challenge_leaderboards WHERE quest_id = $1',
      [questId],
    )
    expect(buckets.rows, 'UTC week and day of 2026-03-02 10:00Z (a Monday)').toEqual([
      { week_start: new Date('2026-03-02T00:00:00Z'), day_start: new Date('2026-03-02T00:00:00Z') },
    ])
  })
})
