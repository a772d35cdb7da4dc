/**
 * The TypeScript rank tiers against the SQL that stores ranks (`akashic_rank_for_resonance`):
 * every resonance gets the same rank and title, and `next_rank` names the least resonance whose
 * rank is one higher.
 */
import { describe, expect, it } from 'vitest'
import { rankForResonance, rankProgress, RANK_TIERS } from '../../functions/progression/tiers'
import { suitePglite } from '../support/pglite'

const pg = suitePglite('nexus')

/** Ranks and titles of resonance values `from` to `to` as the SQL computes them. */
async function sqlRanks(from: number, to: number) {
  const { rows } = await pg.client.query<{ r: number; rank: number; title: string }>(
    `SELECT g AS r, t.rank, t.title FROM generate_series($1::int, $2::int) g
     CROSS JOIN LATERAL akashic_rank_for_resonance(g) t ORDER BY g`,
    [from, to],
  )
  return rows
}

describe('rankForResonance', () => {
  it('agrees with akashic_rank_for_resonance from -10 to 101,000', async () => {
    const rows = await sqlRanks(-10, 101_000)
    const mismatches = rows.filter((row) => {
      const mine = rankForResonance(row.r)
      return mine.rank !== row.rank || mine.title !== row.title
    })
    expect(mismatches.slice(0, 5)).toEqual([])
  })
})

describe('rankProgress', () => {
  it('puts next_rank at the least resonance whose rank is one higher, up to rank 100', async () => {
    const rows = await sqlRanks(0, 100_001)
    const firstWithRank = new Map<number, number>()
    for (const row of rows) if (!firstWithRank.has(row.rank)) firstWithRank.set(row.rank, row.r)
    for (const r of [0, 9, 10, 99, 100, 159, 999, 1000, 4999, 19_999, 49_999, 99_998, 99_999]) {
      const progress = rankProgress(r)
      expect(progress.next_rank, `at ${r}`).toEqual({
        rank: progress.rank + 1,
        at_resonance: firstWithRank.get(progress.rank + 1),
        resonance_needed: firstWithRank.get(progress.rank + 1)! - r,
      })
    }
    expect(rankProgress(100_000)).toMatchObject({ rank: 100, next_rank: null, next_tier: null })
  })

  it('reports the tier, the next tier and the share of the tier done', () => {
    expect(rankProgress(3000)).toMatchObject({
      title: 'Seeker',
      tier: RANK_TIERS[2],
      next_tier: { title: 'Sage', at_resonance: 5000, resonance_needed: 2000 },
      tier_progress: 0.5,
    })
    expect(rankProgress(-5)).toMatchObject({ rank: 1, tier_progress: 0 })
  })
})
