import { beforeAll, describe, expect, it } from 'vitest'
import { suitePglite } from '../../support/pglite'
import { createUser, pgError } from './fixtures'

const pg = suitePglite('nexus', { seed: true })
let artemisId: string
let blessingIds: string[]

beforeAll(async () => {
  const { rows } = await pg.client.query<{ deity_id: string; id: string }>(
    `SELECT b.deity_id, b.id FROM deity_blessings b JOIN deities d ON d.id = b.deity_id
     WHERE d.deity_name = 'artemis' ORDER BY b.blessing_name`,
  )
  artemisId = rows[0].deity_id
  blessingIds = rows.map((r) => r.id)
})

async function bond(userId: string, blessingIndex = 0) {
  const { rows } = await pg.client.query<{ id: string }>(
    'INSERT INTO user_deity_bonds (user_id, deity_id, blessing_id) VALUES ($1, $2, $3) RETURNING id',
    [userId, artemisId, blessingIds[blessingIndex]],
  )
  return rows[0].id
}

async function amplification(bondId: string): Promise<number> {
  const { rows } = await pg.client.query<{ a: number }>(
    'SELECT current_amplification AS a FROM user_deity_bonds WHERE id = $1',
    [bondId],
  )
  return rows[0].a
}

describe('calculate_blessing_amplification', () => {
  it.each([
    [0, 1.0],
    [20, 1.0],
    [21, 1.0125],
    [30, 1.125],
    [40, 1.25],
    [60, 1.5],
    [80, 1.75],
    [100, 2.0],
    [150, 2.0],
  ])('gives faith %i amplification %s', async (faith, expected) => {
    const { rows } = await pg.client.query<{ a: number }>(
      'SELECT calculate_blessing_amplification($1) AS a',
      [faith],
    )
    expect(rows[0].a, `amplification at faith ${faith}`).toBeCloseTo(expected, 10)
  })
})

describe('update_blessing_amplification', () => {
  it('keeps the active bond in step when attr_faith changes', async () => {
    const user = await createUser(pg.client)
    const bondId = await bond(user)
    expect(await amplification(bondId), 'default faith 10').toBe(1.0)
    await pg.client.query('UPDATE users SET attr_faith = 60 WHERE id = $1', [user])
    expect(await amplification(bondId), 'faith 60').toBeCloseTo(1.5, 10)
    await pg.client.query('UPDATE users SET attr_faith = 40 WHERE id = $1', [user])
    expect(await amplification(bondId), 'faith 40').toBeCloseTo(1.25, 10)
  })

  it('leaves inactive bonds alone', async () => {
    const user = await createUser(pg.client)
    const old = await bond(user)
    await pg.client.query('UPDATE user_deity_bonds SET is_active = FALSE WHERE id = $1', [old])
    await pg.client.query('UPDATE users SET attr_faith = 100 WHERE id = $1', [user])
    expect(await amplification(old), 'inactive bond').toBe(1.0)
  })

  it('starts a new bond from the current faith', async () => {
    const user = await createUser(pg.client, { attr_faith: 80 })
    const bondId = await bond(user)
    const { rows } = await pg.client.query(
      'SELECT faith_at_bonding, current_amplification FROM user_deity_bonds WHERE id = $1',
      [bondId],
    )
    expect(rows[0]).toEqual({ faith_at_bonding: 80, current_amplification: 1.75 })
  })
})

describe('user_deity_bonds', () => {
  it('rejects a second active bond for the same user', async () => {
    const user = await createUser(pg.client)
    await bond(user, 0)
    const error = await pgError(bond(user, 1))
    expect(error.code, error.message).toBe('23505')
    expect(error.constraint).toBe('idx_deity_bonds_user_active_unique')
  })

  it('allows a new bond once the old one is inactive', async () => {
    const user = await createUser(pg.client)
    const first = await bond(user, 0)
    await pg.client.query('UPDATE user_deity_bonds SET is_active = FALSE WHERE id = $1', [first])
    await bond(user, 1)
    const { rows } = await pg.client.query(
      'SELECT count(*)::int AS n FROM user_deity_bonds WHERE user_id = $1',
      [user],
    )
    expect(rows[0]).toEqual({ n: 2 })
  })
})

describe('award_attributes', () => {
  it('adds to the attributes and returns the new values and rank', async () => {
    const user = await createUser(pg.client, { akashic_resonance: 150 })
    const { rows } = await pg.client.query<{ r: Record<string, unknown> }>(
      `SELECT award_attributes($1, p_strength => 3, p_faith => 50, p_innovation => -2,
                               p_source_type => 'quest') AS r`,
      [user],
    )
    expect(rows[0].r).toEqual({
      user_id: user,
      attr_strength: 13,
      attr_agility: 10,
      attr_endurance: 10,
      attr_magic: 10,
      attr_wisdom: 10,
      attr_cunning: 10,
      attr_leadership: 10,
      attr_faith: 60,
      attr_charisma: 10,
      attr_creativity: 10,
      attr_artistry: 10,
      attr_innovation: 8,
      akashic_rank: 11,
    })
  })

  it('writes one audit row per non-zero amount', async () => {
    const user = await createUser(pg.client)
    const source = crypto.randomUUID()
    await pg.client.query(
      `SELECT award_attributes($1, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 5, 'blessing', $2, '{"x":true}')`,
      [user, source],
    )
    const { rows } = await pg.client.query(
      `SELECT attribute_name, amount_change, source_type, source_id, metadata
       FROM attribute_transactions WHERE user_id = $1 ORDER BY attribute_name`,
      [user],
    )
    expect(rows).toEqual([
      {
        attribute_name: 'innovation',
        amount_change: 5,
        source_type: 'blessing',
        source_id: source,
        metadata: { x: true },
      },
      {
        attribute_name: 'strength',
        amount_change: 1,
        source_type: 'blessing',
        source_id: source,
        metadata: { x: true },
      },
      {
        attribute_name: 'wisdom',
        amount_change: 2,
        source_type: 'blessing',
        source_id: source,
        metadata: { x: true },
      },
    ])
  })

  it('moves the amplification of the active bond when it awards faith', async () => {
    const user = await createUser(pg.client)
    const bondId = await bond(user)
    await pg.client.query('SELECT award_attributes($1, p_faith => 30)', [user])
    expect(await amplification(bondId), 'faith 10 + 30 = 40').toBeCloseTo(1.25, 10)
  })

  it('raises no_data_found for an unknown user and writes nothing', async () => {
    const unknown = crypto.randomUUID()
    const error = await pgError(pg.client.query('SELECT award_attributes($1, 1, 1, 1)', [unknown]))
    expect(error.code, error.message).toBe('P0002')
    const { rows } = await pg.client.query(
      'SELECT count(*)::int AS n FROM attribute_transactions WHERE user_id = $1',
      [unknown],
    )
    expect(rows[0]).toEqual({ n: 0 })
  })
})

describe('attribute_leaderboards', () => {
  it('ranks every attribute and the total after a refresh', async () => {
    const champion = await createUser(pg.client, { attr_strength: 10_000, attr_magic: 9_000 })
    await pg.client.query('SELECT refresh_attribute_leaderboards()')
    const { rows } = await pg.client.query<Record<string, unknown>>(
      'SELECT * FROM attribute_leaderboards WHERE id = $1',
      [champion],
    )
    expect(rows.length, 'one row for the user').toBe(1)
    const row = rows[0]
    const ranks = [
      'strength',
      'agility',
      'endurance',
      'magic',
      'wisdom',
      'cunning',
      'leadership',
      'faith',
      'charisma',
      'creativity',
      'artistry',
      'innovation',
    ].map((a) => `${a}_rank`)
    for (const column of [...ranks, 'overall_rank']) {
      expect(row, `column ${column}`).toHaveProperty(column)
    }
    expect(Number(row.strength_rank)).toBe(1)
    expect(Number(row.magic_rank)).toBe(1)
    expect(Number(row.overall_rank)).toBe(1)
    expect(row.total_attributes).toBe(10_000 + 9_000 + 10 * 10)
  })
})
