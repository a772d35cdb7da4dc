import { describe, expect, it } from 'vitest'
import { api, registerPlayer, sqlRows, tokenFor } from '../support/api'
import { createQuest, insertCompletions } from '../support/leaderboards'

/** Registers `n` players. */
const players = (n: number, prefix = 'lb') =>
  Promise.all(Array.from({ length: n }, () => registerPlayer(prefix)))

const board = (questId: string, token: string, query = '') =>
  api(`/v1/quests/${questId}/leaderboard${query}`, { token })

const DAY_MS = 86_400_000
/** Monday 00:00 UTC of the week containing `at`. */
const weekStart = (at: Date) => {
  const midnight = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate())
  return new Date(midnight - ((at.getUTCDay() + 6) % 7) * DAY_MS)
}

describe('GET /v1/quests/:id/leaderboard', () => {
  it('lists each player once at their best: score desc, then time asc, then earlier', async () => {
    const [a, b, c, d] = await players(4)
    const questId = await createQuest()
    const t = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString()
    await insertCompletions(questId, [
      { user_id: a.id, score: 900, time: 60, at: t(50) },
      { user_id: a.id, score: 1000, time: 90, at: t(40) }, // a's best
      { user_id: b.id, score: 1000, time: 80, at: t(30) }, // beats a on time
      { user_id: c.id, score: 1000, time: 80, at: t(35) }, // beats b on date
      { user_id: d.id, score: 5000, time: 10, at: t(20), verified: false }, // not verified
      { user_id: d.id, score: 4000, time: 10, at: t(19), ranked: false }, // not ranked
      { user_id: d.id, score: 10, time: 10, at: t(18) },
    ])
    const res = await board(questId, a.token)
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({
      quest_id: questId,
      period: 'all_time',
      period_start: null,
      next_cursor: null,
    })
    expect(
      res.body.items.map((e: any) => [e.rank, e.username, e.score, e.time_taken_seconds]),
    ).toEqual([
      [1, c.username, 1000, 80],
      [2, b.username, 1000, 80],
      [3, a.username, 1000, 90],
      [4, d.username, 10, 10],
    ])
    expect(res.body).not.toHaveProperty('me')
  })

  it('counts a completion in the ranks as soon as it commits', async () => {
    const [a, b] = await players(2)
    const questId = await createQuest()
    await insertCompletions(questId, [{ user_id: a.id, score: 50, time: 30 }])
    const before = await api(`/v1/users/${b.id}/rank?quest_id=${questId}`, { token: a.token })
    expect(before.body.rank, before.text).toBeNull()
    await insertCompletions(questId, [{ user_id: b.id, score: 60, time: 30 }])
    const after = await api(`/v1/users/${b.id}/rank?quest_id=${questId}`, { token: a.token })
    expect(after.status, after.text).toBe(200)
    expect(after.body.rank, after.text).toBe(1)
    const top = await board(questId, a.token)
    expect(
      top.body.items.map((e: any) => e.user_id),
      top.text,
    ).toEqual([b.id, a.id])
  })

  it('follows a completion verified later, and one deleted (the next best takes its place)', async () => {
    const [a, b] = await players(2)
    const questId = await createQuest()
    const [late, , bBest] = await insertCompletions(questId, [
      { user_id: a.id, score: 500, time: 10, verified: false },
      { user_id: a.id, score: 100, time: 10 },
      { user_id: b.id, score: 300, time: 10 },
    ])
    const scores = async () =>
      (await board(questId, a.token)).body.items.map((e: any) => [e.user_id, e.score])
    expect(await scores()).toEqual([
      [b.id, 300],
      [a.id, 100],
    ])
    await sqlRows('UPDATE challenge_completions SET completion_verified = TRUE WHERE id = $1', [
      late,
    ])
    expect(await scores()).toEqual([
      [a.id, 500],
      [b.id, 300],
    ])
    await sqlRows('DELETE FROM challenge_completions WHERE id = ANY($1::uuid[])', [[late, bBest]])
    expect(await scores()).toEqual([[a.id, 100]])
  })

  it('pages through the board with next_cursor, ranks continuing across pages', async () => {
    const field = await players(7, 'pg')
    const questId = await createQuest()
    await insertCompletions(
      questId,
      field.map((p, i) => ({ user_id: p.id, score: 100 + (i % 3) * 10, time: 20 + i })),
    )
    const seen: any[] = []
    let cursor: string | null = null
    do {
      const res = await board(
        questId,
        field[0].token,
        `?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      )
      expect(res.status, res.text).toBe(200)
      expect(res.body.items.length, res.text).toBeLessThanOrEqual(3)
      seen.push(...res.body.items)
      cursor = res.body.next_cursor
    } while (cursor)
    expect(seen.map((e) => e.rank)).toEqual([1, 2, 3, 4, 5, 6, 7])
    const whole = await board(questId, field[0].token)
    expect(seen, whole.text).toEqual(whole.body.items)
  })

  it('answers around=me with your entry and the rows above and below it', async () => {
    const field = await players(9, 'ar')
    const questId = await createQuest()
    // Scores 900, 800, …, 100: field[i] is rank i + 1.
    await insertCompletions(
      questId,
      field.map((p, i) => ({ user_id: p.id, score: 900 - i * 100, time: 30 })),
    )
    const me = field[4]
    const res = await board(questId, me.token, '?around=me&limit=2')
    expect(res.status, res.text).toBe(200)
    expect(res.body.me, res.text).toMatchObject({ rank: 5, user_id: me.id, score: 500 })
    expect(res.body.items.map((e: any) => [e.rank, e.user_id])).toEqual(
      [2, 3, 4, 5, 6].map((rank) => [rank + 1, field[rank].id]),
    )
    const top = await board(questId, field[0].token, '?around=me&limit=3')
    expect(
      top.body.items.map((e: any) => e.rank),
      top.text,
    ).toEqual([1, 2, 3, 4])
    const bottom = await board(questId, field[8].token, '?around=me')
    expect(
      bottom.body.items.map((e: any) => e.rank),
      bottom.text,
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('answers around=me with me null and no rows when you have no entry', async () => {
    const [a, outsider] = await players(2)
    const questId = await createQuest()
    await insertCompletions(questId, [{ user_id: a.id, score: 10, time: 10 }])
    const res = await board(questId, outsider.token, '?around=me')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ items: [], me: null, next_cursor: null })
  })

  it("keeps last week's and yesterday's final standings readable with period_start", async () => {
    const [a, b] = await players(2)
    const questId = await createQuest()
    const now = new Date()
    const thisWeek = weekStart(now)
    const lastWeek = new Date(thisWeek.getTime() - 7 * DAY_MS)
    const yesterday = new Date(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - DAY_MS,
    )
    await insertCompletions(questId, [
      {
        user_id: a.id,
        score: 700,
        time: 10,
        at: new Date(lastWeek.getTime() + 3_600_000).toISOString(),
      },
      {
        user_id: b.id,
        score: 600,
        time: 10,
        at: new Date(lastWeek.getTime() + 7_200_000).toISOString(),
      },
      {
        user_id: b.id,
        score: 50,
        time: 10,
        at: new Date(yesterday.getTime() + 60_000).toISOString(),
      },
      { user_id: a.id, score: 20, time: 10, at: new Date(Date.now() - 1000).toISOString() },
    ])
    const archived = await board(
      questId,
      a.token,
      `?period=weekly&period_start=${lastWeek.toISOString().slice(0, 10)}`,
    )
    expect(archived.status, archived.text).toBe(200)
    expect(archived.body).toMatchObject({
      period: 'weekly',
      period_start: lastWeek.toISOString(),
      period_end: thisWeek.toISOString(),
    })
    expect(archived.body.items.map((e: any) => [e.user_id, e.score])).toEqual([
      [a.id, 700],
      [b.id, 600],
    ])
    const daily = await board(
      questId,
      a.token,
      `?period=daily&period_start=${yesterday.toISOString()}`,
    )
    expect(
      daily.body.items.map((e: any) => [e.user_id, e.score]),
      daily.text,
    ).toEqual([[b.id, 50]])
    const today = await board(questId, a.token, '?period=daily')
    expect(
      today.body.items.map((e: any) => [e.user_id, e.score]),
      today.text,
    ).toEqual([[a.id, 20]])
    const allTime = await board(questId, a.token, '?period=all_time')
    expect(
      allTime.body.items.map((e: any) => [e.user_id, e.score]),
      allTime.text,
    ).toEqual([
      [a.id, 700],
      [b.id, 600],
    ])
  })

  it.each([
    ['an unknown period', '?period=monthly'],
    ['a period_start on all_time', '?period_start=2026-03-02'],
    ['a weekly period_start that is not a Monday', '?period=weekly&period_start=2026-03-03'],
    [
      'a daily period_start that is not midnight',
      '?period=daily&period_start=2026-03-03T10:00:00Z',
    ],
    ['a period that has not begun', '?period=daily&period_start=2999-01-01'],
    ['an impossible date', '?period=daily&period_start=2026-02-31'],
    ['limit 0', '?limit=0'],
    ['limit 101', '?limit=101'],
    ['around=me with more than 50 rows', '?around=me&limit=51'],
    ['around=you', '?around=you'],
    ['a forged cursor', '?cursor=eyJzIjoiYWJjIn0'],
    [
      'a cursor with a score out of range',
      `?cursor=${encodeURIComponent(btoa(JSON.stringify({ s: 2 ** 40, t: 0, c: 0, u: crypto.randomUUID() })))}`,
    ],
    [
      'a cursor with around=me',
      '?around=me&cursor=eyJzIjoxLCJ0IjoxLCJjIjoxLCJ1IjoiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIn0',
    ],
  ])('refuses %s with 400', async (_, query) => {
    const [a] = await players(1)
    const questId = await createQuest()
    const res = await board(questId, a.token, query)
    expect(res.status, res.text).toBe(400)
    expect(res.body.error.code).toBe('validation_error')
  })

  it('accepts an upper-case quest id and refuses a malformed one', async () => {
    const [a] = await players(1)
    const questId = await createQuest()
    await insertCompletions(questId, [{ user_id: a.id, score: 1, time: 1 }])
    const upper = await board(questId.toUpperCase(), a.token)
    expect(upper.status, upper.text).toBe(200)
    expect(upper.body.quest_id).toBe(questId)
    const bad = await board('not-a-uuid', a.token)
    expect(bad.status, bad.text).toBe(400)
  })

  it('answers 404 for an unknown quest, and for a draft or private quest of someone else', async () => {
    const [owner, other] = await players(2)
    const unknown = await board(crypto.randomUUID(), other.token)
    expect(unknown.status, unknown.text).toBe(404)
    for (const quest of [{ status: 'draft' }, { isPublic: false }]) {
      const questId = await createQuest({ creatorId: owner.id, ...quest })
      const hidden = await board(questId, other.token)
      expect(hidden.status, hidden.text).toBe(404)
      const own = await board(questId, owner.token)
      expect(own.status, own.text).toBe(200)
      const moderator = await board(questId, await tokenFor(other, ['moderator']))
      expect(moderator.status, moderator.text).toBe(200)
    }
  })

  it('refuses a request without a token', async () => {
    const questId = await createQuest()
    const res = await api(`/v1/quests/${questId}/leaderboard`)
    expect(res.status, res.text).toBe(401)
  })
})

describe('GET /v1/users/:id/rank', () => {
  it("answers a player's rank and entry on a quest's board, null without an entry", async () => {
    const [a, b, viewer] = await players(3)
    const questId = await createQuest()
    await insertCompletions(questId, [
      { user_id: a.id, score: 80, time: 10 },
      { user_id: b.id, score: 90, time: 10 },
    ])
    const res = await api(`/v1/users/${a.id.toUpperCase()}/rank?quest_id=${questId}`, {
      token: viewer.token,
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({
      user_id: a.id,
      quest_id: questId,
      period: 'all_time',
      rank: 2,
      entry: { rank: 2, score: 80, user_id: a.id },
    })
    const none = await api(`/v1/users/${viewer.id}/rank?quest_id=${questId}&period=weekly`, {
      token: viewer.token,
    })
    expect(none.body, none.text).toMatchObject({ rank: null, entry: null, period: 'weekly' })
  })

  it('answers every global board without quest_id', async () => {
    const [a] = await players(1)
    const res = await api(`/v1/users/${a.id}/rank`, { token: a.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.boards.akashic_resonance, res.text).toEqual({ rank: null, value: null })
    expect(res.body.boards.attr_strength.value, res.text).toBe(10)
    expect(res.body.boards.attr_strength.rank, res.text).toBeGreaterThanOrEqual(1)
    expect(Object.keys(res.body.boards)).toHaveLength(15)
  })

  it('answers 404 for an unknown user or quest, 400 for malformed ids', async () => {
    const [a] = await players(1)
    const questId = await createQuest()
    const cases: [string, number][] = [
      [`/v1/users/${crypto.randomUUID()}/rank?quest_id=${questId}`, 404],
      [`/v1/users/${crypto.randomUUID()}/rank`, 404],
      [`/v1/users/${a.id}/rank?quest_id=${crypto.randomUUID()}`, 404],
      [`/v1/users/${a.id}/rank?quest_id=nope`, 400],
      [`/v1/users/nope/rank`, 400],
      [`/v1/users/${a.id}/rank?period_start=2026-03-02`, 400],
    ]
    for (const [path, status] of cases) {
      const res = await api(path, { token: a.token })
      expect(res.status, `${path}: ${res.text}`).toBe(status)
    }
  })

  it("hides the rank on someone else's private quest", async () => {
    const [owner, other] = await players(2)
    const questId = await createQuest({ creatorId: owner.id, isPublic: false })
    await insertCompletions(questId, [{ user_id: owner.id, score: 5, time: 5 }])
    const res = await api(`/v1/users/${owner.id}/rank?quest_id=${questId}`, { token: other.token })
    expect(res.status, res.text).toBe(404)
  })
})

describe('GET /v1/users/:id/personal-bests', () => {
  it("lists a player's best of each quest, newest first, with its current rank", async () => {
    const [a, rival, viewer] = await players(3)
    const [q1, q2, q3] = await Promise.all([createQuest(), createQuest(), createQuest()])
    const ago = (m: number) => new Date(Date.now() - m * 60_000).toISOString()
    await insertCompletions(q1, [
      { user_id: a.id, score: 10, time: 5, at: ago(30) },
      { user_id: a.id, score: 20, time: 5, at: ago(20) },
      { user_id: rival.id, score: 30, time: 5, at: ago(25) },
    ])
    await insertCompletions(q2, [{ user_id: a.id, score: 7, time: 5, at: ago(10) }])
    await insertCompletions(q3, [{ user_id: a.id, score: 7, time: 5, at: ago(5), verified: false }])
    const first = await api(`/v1/users/${a.id}/personal-bests?limit=1`, { token: viewer.token })
    expect(first.status, first.text).toBe(200)
    expect(first.body.items, first.text).toMatchObject([{ quest_id: q2, rank: 1, score: 7 }])
    const second = await api(
      `/v1/users/${a.id}/personal-bests?limit=1&cursor=${first.body.next_cursor}`,
      { token: viewer.token },
    )
    expect(second.body.items, second.text).toMatchObject([{ quest_id: q1, rank: 2, score: 20 }])
    expect(second.body.next_cursor).toBeNull()
  })

  it('leaves out quests the viewer may not see, and 404s an unknown user', async () => {
    const [owner, viewer] = await players(2)
    const secret = await createQuest({ creatorId: owner.id, status: 'draft' })
    await insertCompletions(secret, [{ user_id: owner.id, score: 1, time: 1 }])
    const seen = await api(`/v1/users/${owner.id}/personal-bests`, { token: viewer.token })
    expect(seen.body.items, seen.text).toEqual([])
    const own = await api(`/v1/users/${owner.id}/personal-bests`, { token: owner.token })
    expect(
      own.body.items.map((e: any) => e.quest_id),
      own.text,
    ).toEqual([secret])
    const unknown = await api(`/v1/users/${crypto.randomUUID()}/personal-bests`, {
      token: viewer.token,
    })
    expect(unknown.status, unknown.text).toBe(404)
    const forged = await api(`/v1/users/${owner.id}/personal-bests?cursor=abc`, {
      token: viewer.token,
    })
    expect(forged.status, forged.text).toBe(400)
  })
})
