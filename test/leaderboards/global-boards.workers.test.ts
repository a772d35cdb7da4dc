/**
 * The global boards run over every user of the shared test database, so each test puts its own
 * players far above everyone else (values of a million and more, on a board no other test raises)
 * or checks ranks against a count taken from the database.
 */
import { describe, expect, it } from 'vitest'
import { api, registerPlayer, type ApiResponse, sqlRows } from '../support/api'
import { setUserColumns } from '../support/leaderboards'

const players = (n: number, prefix = 'gb') =>
  Promise.all(Array.from({ length: n }, () => registerPlayer(prefix)))

describe('GET /v1/leaderboards/attributes/:attribute', () => {
  it('ranks the base values, ties sharing a rank, as soon as they change', async () => {
    const field = await players(5)
    const base = 400_000_000 + Math.floor(Math.random() * 1_000) * 100
    const values = [50, 40, 40, 30, 10].map((v) => base + v)
    await Promise.all(field.map((p, i) => setUserColumns(p.id, { attr_artistry: values[i] })))
    const res = await api('/v1/leaderboards/attributes/artistry?limit=5', { token: field[0].token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.board).toBe('attr_artistry')
    const mine = res.body.items.filter((e: any) => field.some((p) => p.id === e.user_id))
    expect(
      mine.map((e: any) => [e.rank, e.value]),
      res.text,
    ).toEqual([
      [1, values[0]],
      [2, values[1]],
      [2, values[2]],
      [4, values[3]],
      [5, values[4]],
    ])
    await setUserColumns(field[4].id, { attr_artistry: base + 60 })
    const after = await api('/v1/leaderboards/attributes/artistry?limit=1', {
      token: field[0].token,
    })
    expect(after.body.items, after.text).toMatchObject([{ rank: 1, user_id: field[4].id }])
  })

  it('pages with next_cursor, ranks continuing across pages', async () => {
    const field = await players(5)
    const base = 300_000_000 + Math.floor(Math.random() * 1_000) * 100
    await Promise.all(
      field.map((p, i) => setUserColumns(p.id, { attr_innovation: base + [9, 7, 7, 5, 3][i] })),
    )
    const whole = await api('/v1/leaderboards/attributes/innovation?limit=5', {
      token: field[0].token,
    })
    const seen: any[] = []
    let cursor: string | null = null
    while (seen.length < 5) {
      const res: ApiResponse = await api(
        `/v1/leaderboards/attributes/innovation?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: field[0].token },
      )
      expect(res.status, res.text).toBe(200)
      seen.push(...res.body.items)
      cursor = res.body.next_cursor
    }
    expect(seen.slice(0, 5), whole.text).toEqual(whole.body.items)
    expect(seen.slice(0, 5).map((e) => e.rank)).toEqual([1, 2, 2, 4, 5])
  })

  it('answers around=me with ranks equal to 1 + the players above', async () => {
    const [me] = await players(1)
    await setUserColumns(me.id, { attr_cunning: 11 })
    const res = await api('/v1/leaderboards/attributes/cunning?around=me&limit=3', {
      token: me.token,
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body.me, res.text).toMatchObject({ user_id: me.id, value: 11 })
    expect(res.body.items.length).toBeGreaterThanOrEqual(1)
    for (const item of res.body.items) {
      const [{ above }] = await sqlRows<{ above: number }>(
        'SELECT count(*)::int AS above FROM users WHERE attr_cunning > $1',
        [item.value],
      )
      expect(item.rank, `${item.username} at ${item.value}: ${res.text}`).toBe(above + 1)
    }
  })

  it('refuses an unknown attribute, a bad limit, a cursor with around and a missing token', async () => {
    const [me] = await players(1)
    for (const path of [
      '/v1/leaderboards/attributes/luck',
      '/v1/leaderboards/attributes/strength?limit=500',
      '/v1/leaderboards/attributes/strength?around=me&cursor=eyJ2IjoxLCJ1IjoiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIn0',
      '/v1/leaderboards/attributes/strength?cursor=eyJ2IjoiMSJ9',
    ]) {
      const res = await api(path, { token: me.token })
      expect(res.status, `${path}: ${res.text}`).toBe(400)
    }
    const anonymous = await api('/v1/leaderboards/attributes/strength')
    expect(anonymous.status, anonymous.text).toBe(401)
  })
})

describe('GET /v1/leaderboards/akashic', () => {
  it("ranks by resonance like the seed's akashic_leaderboard view, with rank and tier", async () => {
    const field = await players(3)
    const base = 200_000_000 + Math.floor(Math.random() * 1_000) * 100
    await Promise.all(
      field.map((p, i) => setUserColumns(p.id, { akashic_resonance: base + [30, 30, 10][i] })),
    )
    const res = await api('/v1/leaderboards/akashic?limit=3', { token: field[0].token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.board).toBe('akashic_resonance')
    const mine = res.body.items.filter((e: any) => field.some((p) => p.id === e.user_id))
    expect(mine, res.text).toHaveLength(3)
    const view = await sqlRows<{ id: string; global_rank: number }>(
      'SELECT id, global_rank::int FROM akashic_leaderboard WHERE id = ANY($1::uuid[])',
      [field.map((p) => p.id)],
    )
    for (const entry of mine) {
      expect(entry, res.text).toMatchObject({ akashic_rank: 100, akashic_rank_title: 'Eternal' })
      expect(entry.rank, res.text).toBe(view.find((v) => v.id === entry.user_id)!.global_rank)
    }
  })

  it('ranks by total essence with by=total_essence', async () => {
    const [a, b] = await players(2)
    const base = 100_000_000 + Math.floor(Math.random() * 1_000) * 100
    await setUserColumns(a.id, { akashic_wisdom: base, akashic_connection: 50 })
    await setUserColumns(b.id, { akashic_resonance: 1, akashic_creativity: base + 100 })
    const res = await api('/v1/leaderboards/akashic?by=total_essence&around=me&limit=1', {
      token: a.token,
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body.board).toBe('akashic_total_essence')
    expect(res.body.me, res.text).toMatchObject({ user_id: a.id, value: base + 50 })
    expect(res.body.items[0], res.text).toMatchObject({ user_id: b.id, value: base + 101 })
  })

  it('answers around=me with me null for a player without essence', async () => {
    const [me] = await players(1)
    const res = await api('/v1/leaderboards/akashic?around=me', { token: me.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ me: null, items: [] })
    const bad = await api('/v1/leaderboards/akashic?by=charm', { token: me.token })
    expect(bad.status, bad.text).toBe(400)
  })
})
