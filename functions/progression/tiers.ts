/**
 * Akashic rank tiers and the progress from a resonance total to the next rank and tier. The rank
 * itself is computed in Postgres (`akashic_rank_for_resonance`, db/README decision 8) and stored on
 * users by trigger; this is its TypeScript twin for the progress figures, tested against the SQL.
 */

/** One tier: its resonance range (max null: open-ended) and the ranks it spans. */
export interface RankTier {
  title: string
  min_resonance: number
  max_resonance: number | null
  min_rank: number
  max_rank: number
}

/** The 7 tiers, lowest first (decision 8: half-open reading of the seed's ranges). */
export const RANK_TIERS: readonly RankTier[] = [
  { title: 'Newcomer', min_resonance: 0, max_resonance: 99, min_rank: 1, max_rank: 10 },
  { title: 'Explorer', min_resonance: 100, max_resonance: 999, min_rank: 11, max_rank: 25 },
  { title: 'Seeker', min_resonance: 1000, max_resonance: 4999, min_rank: 26, max_rank: 50 },
  { title: 'Sage', min_resonance: 5000, max_resonance: 19999, min_rank: 51, max_rank: 75 },
  { title: 'Master', min_resonance: 20000, max_resonance: 49999, min_rank: 76, max_rank: 90 },
  { title: 'Elder', min_resonance: 50000, max_resonance: 99999, min_rank: 91, max_rank: 99 },
  { title: 'Eternal', min_resonance: 100000, max_resonance: null, min_rank: 100, max_rank: 100 },
]

const tierIndexOf = (resonance: number) => {
  const r = Math.max(resonance, 0)
  return RANK_TIERS.findIndex((t) => r >= t.min_resonance && (t.max_resonance ?? r) >= r)
}

/** Rank (1-100) and title of a resonance total (negative counts as 0), as the SQL computes it. */
export function rankForResonance(resonance: number): { rank: number; title: string } {
  const tier = RANK_TIERS[tierIndexOf(resonance)]
  if (tier.max_resonance === null) return { rank: tier.min_rank, title: tier.title }
  const span = tier.max_rank - tier.min_rank + 1
  const width = tier.max_resonance - tier.min_resonance + 1
  const rank =
    tier.min_rank + Math.floor(((Math.max(resonance, 0) - tier.min_resonance) * span) / width)
  return { rank, title: tier.title }
}

/** Where a resonance total stands: its tier, the next rank and tier, and progress through the tier. */
export function rankProgress(resonance: number) {
  const index = tierIndexOf(resonance)
  const tier = RANK_TIERS[index]
  const { rank, title } = rankForResonance(resonance)
  const current = Math.max(resonance, 0)
  const nextTier = RANK_TIERS[index + 1]
  let nextRankAt: number | null = null
  if (tier.max_resonance !== null) {
    // The least resonance whose rank is rank + 1: within the tier, the formula's inverse; past the
    // tier's last rank, the next tier's first resonance.
    const span = tier.max_rank - tier.min_rank + 1
    const width = tier.max_resonance - tier.min_resonance + 1
    const step = rank - tier.min_rank + 1
    const within = tier.min_resonance + Math.ceil((step * width) / span)
    nextRankAt = rank < tier.max_rank ? within : nextTier.min_resonance
  }
  const toward = (at: number | null) =>
    at === null ? null : { at_resonance: at, resonance_needed: at - resonance }
  return {
    rank,
    title,
    tier,
    next_rank: nextRankAt === null ? null : { rank: rank + 1, ...toward(nextRankAt)! },
    next_tier: nextTier ? { title: nextTier.title, ...toward(nextTier.min_resonance)! } : null,
    tier_progress:
      tier.max_resonance === null
        ? 1
        : (current - tier.min_resonance) / (tier.max_resonance + 1 - tier.min_resonance),
  }
}
