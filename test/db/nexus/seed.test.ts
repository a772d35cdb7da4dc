import { describe, expect, it } from 'vitest'
import { seedNexus } from '../../../db/seed'
import { suitePglite } from '../../support/pglite'

const pg = suitePglite('nexus', { seed: true })

const TABLES = ['deities', 'deity_blessings', 'assets', 'challenge_templates', 'schema_version']

/** Every seeded row with its system columns: a rewritten row gets a new xmin/ctid. */
async function snapshot(): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {}
  for (const table of TABLES) {
    const { rows } = await pg.client.query<{ r: string }>(
      `SELECT xmin::text || ctid::text || t::text AS r FROM ${table} t ORDER BY 1`,
    )
    result[table] = rows.map((row) => row.r)
  }
  return result
}

describe('seedNexus', () => {
  it('seeds 14 deities, 42 blessings, 16 assets, 4 challenge templates, 6 schema versions', async () => {
    const { rows } = await pg.client.query(
      `SELECT (SELECT count(*)::int FROM deities) AS deities,
              (SELECT count(*)::int FROM deity_blessings) AS blessings,
              (SELECT count(*)::int FROM assets) AS assets,
              (SELECT count(*)::int FROM challenge_templates) AS templates,
              (SELECT count(*)::int FROM schema_version) AS versions`,
    )
    expect(rows[0]).toEqual({ deities: 14, blessings: 42, assets: 16, templates: 4, versions: 6 })
  })

  it('puts 12 deities in the ritual ring and hides Bob and Thoth with their unlocks', async () => {
    const { rows } = await pg.client.query(
      `SELECT deity_name, pantheon, unlock_method, in_ritual_ring, position_x IS NULL AS unplaced
       FROM deities WHERE is_hidden ORDER BY deity_name`,
    )
    expect(rows).toEqual([
      {
        deity_name: 'bob',
        pantheon: 'poqpoq',
        unlock_method: 'special_unlock',
        in_ritual_ring: false,
        unplaced: true,
      },
      {
        deity_name: 'thoth',
        pantheon: 'egyptian',
        unlock_method: 'akashic_tablets',
        in_ritual_ring: false,
        unplaced: true,
      },
    ])
    const ring = await pg.client.query<{ n: number; distinct_positions: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT (position_x, position_z))::int AS distinct_positions
       FROM deities WHERE in_ritual_ring AND NOT is_hidden AND color_hex ~ '^#[0-9A-F]{6}$'`,
    )
    expect(ring.rows[0]).toEqual({ n: 12, distinct_positions: 12 })
  })

  it("gives every deity 3 blessings and Artemis the seed's three", async () => {
    const perDeity = await pg.client.query(
      `SELECT count(*)::int AS n FROM deities d JOIN deity_blessings b ON b.deity_id = d.id
       GROUP BY d.id HAVING count(*) <> 3`,
    )
    expect(perDeity.rows, 'deities without exactly 3 blessings').toEqual([])
    const { rows } = await pg.client.query(
      `SELECT b.display_name, b.primary_attribute, b.primary_bonus, b.secondary_attribute,
              b.secondary_bonus
       FROM deity_blessings b JOIN deities d ON d.id = b.deity_id
       WHERE d.deity_name = 'artemis' ORDER BY b.display_name`,
    )
    expect(rows).toEqual([
      {
        display_name: "Hunter's Precision",
        primary_attribute: 'agility',
        primary_bonus: 8,
        secondary_attribute: 'cunning',
        secondary_bonus: 5,
      },
      {
        display_name: 'Moonlit Grace',
        primary_attribute: 'agility',
        primary_bonus: 9,
        secondary_attribute: 'faith',
        secondary_bonus: 4,
      },
      {
        display_name: "Nature's Embrace",
        primary_attribute: 'endurance',
        primary_bonus: 7,
        secondary_attribute: 'wisdom',
        secondary_bonus: 6,
      },
    ])
  })

  it('registers every asset as CC0 from Poly Haven', async () => {
    const { rows } = await pg.client.query(
      `SELECT license, source, original_author, count(*)::int AS n FROM assets
       GROUP BY license, source, original_author`,
    )
    expect(rows).toEqual([
      { license: 'CC0', source: 'polyhaven', original_author: 'Poly Haven', n: 16 },
    ])
  })

  it('changes nothing when run again', async () => {
    const before = await snapshot()
    await seedNexus(pg.client)
    expect(await snapshot()).toEqual(before)
  })

  it('restores a reference value that was changed', async () => {
    await pg.client.query("UPDATE deities SET color_hex = '#000000' WHERE deity_name = 'zeus'")
    await seedNexus(pg.client)
    const { rows } = await pg.client.query(
      "SELECT color_hex FROM deities WHERE deity_name = 'zeus'",
    )
    expect(rows[0]).toEqual({ color_hex: '#FFD700' })
  })
})
