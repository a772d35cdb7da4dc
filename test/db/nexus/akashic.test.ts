import { describe, expect, it } from 'vitest'
import { suitePglite } from '../../support/pglite'
import { createUser, pgError } from './fixtures'

const pg = suitePglite('nexus')

async function userRow(id: string) {
  const { rows } = await pg.client.query<Record<string, unknown>>(
    'SELECT * FROM users WHERE id = $1',
    [id],
  )
  return rows[0]
}

describe('create_user_balance', () => {
  it('gives a new user a balance row with 100 tokens and total_earned 100', async () => {
    const id = await createUser(pg.client)
    const { rows } = await pg.client.query(
      'SELECT tokens, premium_tokens, total_earned, total_spent FROM user_balances WHERE user_id = $1',
      [id],
    )
    expect(rows, `balance rows for ${id}`).toEqual([
      { tokens: 100, premium_tokens: 0, total_earned: 100, total_spent: 0 },
    ])
  })
})

describe('update_akashic_rank_title', () => {
  const expected: Array<[resonance: number, rank: number, title: string]> = [
    [0, 1, 'Newcomer'],
    [99, 10, 'Newcomer'],
    [100, 11, 'Explorer'],
    [999, 25, 'Explorer'],
    [1000, 26, 'Seeker'],
    [4999, 50, 'Seeker'],
    [5000, 51, 'Sage'],
    [19999, 75, 'Sage'],
    [20000, 76, 'Master'],
    [49999, 90, 'Master'],
    [50000, 91, 'Elder'],
    [99999, 99, 'Elder'],
    [100000, 100, 'Eternal'],
    [250000, 100, 'Eternal'],
  ]

  it.each(expected)('gives resonance %i rank %i (%s) on insert', async (resonance, rank, title) => {
    const id = await createUser(pg.client, { akashic_resonance: resonance })
    const row = await userRow(id)
    expect(
      { rank: row.akashic_rank, title: row.akashic_rank_title },
      `rank for resonance ${resonance}`,
    ).toEqual({ rank, title })
  })

  it.each(expected)('gives resonance %i rank %i (%s) on update', async (resonance, rank, title) => {
    const id = await createUser(pg.client)
    await pg.client.query('UPDATE users SET akashic_resonance = $2 WHERE id = $1', [id, resonance])
    const row = await userRow(id)
    expect(
      { rank: row.akashic_rank, title: row.akashic_rank_title },
      `rank for resonance ${resonance}`,
    ).toEqual({ rank, title })
  })

  it('sets last_rank_up when the rank rises and not when it stays or falls', async () => {
    const id = await createUser(pg.client)
    expect((await userRow(id)).last_rank_up, 'new user').toBeNull()
    await pg.client.query('UPDATE users SET akashic_resonance = 5 WHERE id = $1', [id])
    expect((await userRow(id)).last_rank_up, 'resonance 5 is still rank 1').toBeNull()
    await pg.client.query('UPDATE users SET akashic_resonance = 150 WHERE id = $1', [id])
    const risen = (await userRow(id)).last_rank_up
    expect(risen, 'rank 1 -> 11').toBeInstanceOf(Date)
    await pg.client.query(
      "UPDATE users SET akashic_resonance = 20, last_rank_up = '2000-01-01Z' WHERE id = $1",
      [id],
    )
    expect((await userRow(id)).last_rank_up, 'a falling rank keeps the stamp').toEqual(
      new Date('2000-01-01T00:00:00Z'),
    )
  })

  it('overrides a rank written directly', async () => {
    const id = await createUser(pg.client, { akashic_resonance: 1000 })
    await pg.client.query(
      "UPDATE users SET akashic_rank = 99, akashic_rank_title = 'Elder' WHERE id = $1",
      [id],
    )
    const row = await userRow(id)
    expect([row.akashic_rank, row.akashic_rank_title]).toEqual([26, 'Seeker'])
  })
})

describe('award_akashic_essence', () => {
  it('adds the amounts and returns the new totals, rank and title', async () => {
    const id = await createUser(pg.client, { akashic_resonance: 50 })
    const { rows } = await pg.client.query<{ r: Record<string, unknown> }>(
      'SELECT award_akashic_essence($1, 60, 7, 0, 3, \'quest\', NULL, \'{"note":"t"}\') AS r',
      [id],
    )
    expect(rows[0].r, 'returned JSON').toEqual({
      user_id: id,
      akashic_resonance: 110,
      akashic_wisdom: 7,
      akashic_creativity: 0,
      akashic_connection: 3,
      akashic_rank: 11,
      akashic_rank_title: 'Explorer',
    })
    const row = await userRow(id)
    expect(
      [row.akashic_resonance, row.akashic_wisdom, row.akashic_creativity, row.akashic_connection],
      'stored totals',
    ).toEqual([110, 7, 0, 3])
  })

  it('writes one audit row per non-zero amount', async () => {
    const id = await createUser(pg.client)
    const sourceId = crypto.randomUUID()
    await pg.client.query(
      "SELECT award_akashic_essence($1, 25, 0, 4, -2, 'donation', $2, '{\"k\":1}')",
      [id, sourceId],
    )
    const { rows } = await pg.client.query(
      `SELECT essence_type, amount, transaction_type, source_type, source_id, metadata
       FROM akashic_transactions WHERE user_id = $1 ORDER BY essence_type`,
      [id],
    )
    expect(rows, 'audit rows').toEqual([
      {
        essence_type: 'connection',
        amount: -2,
        transaction_type: 'donation',
        source_type: 'donation',
        source_id: sourceId,
        metadata: { k: 1 },
      },
      {
        essence_type: 'creativity',
        amount: 4,
        transaction_type: 'donation',
        source_type: 'donation',
        source_id: sourceId,
        metadata: { k: 1 },
      },
      {
        essence_type: 'resonance',
        amount: 25,
        transaction_type: 'donation',
        source_type: 'donation',
        source_id: sourceId,
        metadata: { k: 1 },
      },
    ])
  })

  it('uses the defaults: only resonance, source type manual', async () => {
    const id = await createUser(pg.client)
    await pg.client.query('SELECT award_akashic_essence($1, 5)', [id])
    const { rows } = await pg.client.query(
      'SELECT essence_type, amount, source_type FROM akashic_transactions WHERE user_id = $1',
      [id],
    )
    expect(rows).toEqual([{ essence_type: 'resonance', amount: 5, source_type: 'manual' }])
  })

  it('raises no_data_found for an unknown user and writes nothing', async () => {
    const unknown = crypto.randomUUID()
    const error = await pgError(
      pg.client.query('SELECT award_akashic_essence($1, 10, 10, 10, 10)', [unknown]),
    )
    expect(error.code, error.message).toBe('P0002')
    expect(error.message).toContain(unknown)
    const { rows } = await pg.client.query(
      'SELECT count(*)::int AS n FROM akashic_transactions WHERE user_id = $1',
      [unknown],
    )
    expect(rows[0], 'audit rows for the unknown user').toEqual({ n: 0 })
  })
})

describe('akashic_leaderboard', () => {
  it('ranks users with resonance by resonance and leaves out those without', async () => {
    const top = await createUser(pg.client, { akashic_resonance: 9_000_000, display_name: 'Top' })
    const second = await createUser(pg.client, { akashic_resonance: 8_000_000 })
    const none = await createUser(pg.client)
    const { rows } = await pg.client.query<{ id: string; global_rank: string | number }>(
      'SELECT id, global_rank, display_name FROM akashic_leaderboard WHERE id = ANY($1::uuid[])',
      [[top, second, none]],
    )
    expect(rows.map((r) => [r.id, Number(r.global_rank)])).toEqual([
      [top, 1],
      [second, 2],
    ])
  })
})
