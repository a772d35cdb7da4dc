/**
 * Memory tiers and relationship stages: which tier a memory enters, how full tiers push their least
 * significant memory down, and when a user-companion relationship advances.
 *
 * Tier from significance (when the writer names no tier): ≥ 0.8 core, ≥ 0.5 important, ≥ 0.2
 * background, else sparse. Caps per (companion, user) come from `memory_tier_config.max_memories`
 * (seed: core 50, important 200, background 500, sparse unlimited); a tier missing from the table
 * falls back to the seed's value, so an unseeded database still enforces the caps.
 *
 * Demotion: while a tier holds more than its cap, its least significant memory (ties: least
 * recently accessed, then oldest) moves one tier down, core → important → background → sparse.
 * Into important/background it keeps whatever embedding it has (compression by age is the
 * compression job's work); into sparse it loses every embedding (`sparse_only`). The caller holds
 * the pair's advisory lock, so counts cannot move under the cascade.
 */
import { sql } from 'drizzle-orm'
import type { MemoryClient } from '../../db/client'
import { MEMORY_TIERS as SEED_TIERS } from '../../db/seed/memory-tiers'
import type { MemoryTier } from './schemas'

type Db = MemoryClient['db']
/** A drizzle transaction on the memory database. */
export type MemoryTx = Parameters<Parameters<Db['transaction']>[0]>[0]

/** Lowest significance of each tier, most significant first. */
export const TIER_SIGNIFICANCE_THRESHOLDS: ReadonlyArray<{ tier: MemoryTier; min: number }> = [
  { tier: 'core', min: 0.8 },
  { tier: 'important', min: 0.5 },
  { tier: 'background', min: 0.2 },
  { tier: 'sparse', min: 0 },
]

/** The tier a memory of `significance` (0..1) enters when none is named. */
export function tierForSignificance(significance: number): MemoryTier {
  return TIER_SIGNIFICANCE_THRESHOLDS.find((t) => significance >= t.min)?.tier ?? 'sparse'
}

/** The tier a full tier pushes its least significant memory into. */
export const NEXT_TIER: Record<MemoryTier, MemoryTier | null> = {
  core: 'important',
  important: 'background',
  background: 'sparse',
  sparse: null,
}

/** True when memories of `tier` keep an embedding. */
export const tierStoresEmbedding = (tier: MemoryTier): boolean => tier !== 'sparse'

/** Caps per tier and (companion, user); `null` is unlimited. */
export type TierCaps = Record<MemoryTier, number | null>

/** The seed's caps, used for tiers `memory_tier_config` does not list. */
export const SEED_TIER_CAPS: TierCaps = Object.fromEntries(
  SEED_TIERS.map((t) => [t.tier, t.maxMemories]),
) as TierCaps

/** Reads the caps from `memory_tier_config`, falling back to the seed per missing tier. */
export async function readTierCaps(db: Db | MemoryTx): Promise<TierCaps> {
  const { rows } = await db.execute<{ tier: MemoryTier; max_memories: number | null }>(
    sql`SELECT tier, max_memories FROM memory_tier_config`,
  )
  const caps = { ...SEED_TIER_CAPS }
  for (const row of rows) caps[row.tier] = row.max_memories
  return caps
}

/** One memory moved down by the cascade. */
export interface Demotion {
  memory_id: string
  from: MemoryTier
  to: MemoryTier
}

/**
 * Moves memories of the pair down until every tier from `fromTier` on is within its cap. Returns
 * the moves in order. Run inside the transaction that holds the pair's advisory lock.
 */
export async function enforceTierCaps(
  tx: MemoryTx,
  pair: { companionId: string; userId: string },
  fromTier: MemoryTier,
  caps: TierCaps,
): Promise<Demotion[]> {
  const { rows } = await tx.execute<{ tier: MemoryTier; n: number }>(sql`
    SELECT tier, count(*)::int AS n FROM companion_memories
    WHERE companion_id = ${pair.companionId} AND user_id = ${pair.userId}::uuid
    GROUP BY tier`)
  const counts = Object.fromEntries(MEMORY_TIERS_ORDER.map((t) => [t, 0])) as Record<
    MemoryTier,
    number
  >
  for (const row of rows) counts[row.tier] = Number(row.n)

  const moves: Demotion[] = []
  for (let tier: MemoryTier | null = fromTier; tier; tier = NEXT_TIER[tier]) {
    const cap = caps[tier]
    const next = NEXT_TIER[tier]
    if (cap === null || next === null || counts[tier] <= cap) continue
    const excess = counts[tier] - cap
    const moved = await demote(tx, pair, tier, next, excess)
    for (const memoryId of moved) moves.push({ memory_id: memoryId, from: tier, to: next })
    counts[tier] -= moved.length
    counts[next] += moved.length
  }
  return moves
}

const MEMORY_TIERS_ORDER: MemoryTier[] = ['core', 'important', 'background', 'sparse']

/** Moves the `count` least significant memories of `tier` to `next`; returns their ids. */
async function demote(
  tx: MemoryTx,
  pair: { companionId: string; userId: string },
  tier: MemoryTier,
  next: MemoryTier,
  count: number,
): Promise<string[]> {
  const toSparse = !tierStoresEmbedding(next)
  const { rows } = await tx.execute<{ memory_id: string }>(sql`
    WITH victims AS (
      SELECT memory_id FROM companion_memories
      WHERE companion_id = ${pair.companionId} AND user_id = ${pair.userId}::uuid
        AND tier = ${tier}::memory_tier_enum
      ORDER BY significance_score ASC, last_accessed ASC NULLS FIRST, created_at ASC, memory_id
      LIMIT ${count}
    )
    UPDATE companion_memories m SET
      tier = ${next}::memory_tier_enum,
      full_embedding = CASE WHEN ${toSparse} THEN NULL ELSE m.full_embedding END,
      compressed_embedding = CASE WHEN ${toSparse} THEN NULL ELSE m.compressed_embedding END,
      quantized_embedding = CASE WHEN ${toSparse} THEN NULL ELSE m.quantized_embedding END,
      pca_model_id = CASE WHEN ${toSparse} THEN NULL ELSE m.pca_model_id END,
      pq_model_id = CASE WHEN ${toSparse} THEN NULL ELSE m.pq_model_id END,
      compression_type = CASE WHEN ${toSparse} THEN 'sparse_only'::compression_type_enum
                              ELSE m.compression_type END,
      compressed_size = CASE WHEN ${toSparse} THEN 0 ELSE m.compressed_size END,
      compression_ratio = CASE WHEN ${toSparse} THEN NULL ELSE m.compression_ratio END,
      quality_metric = CASE WHEN ${toSparse} THEN NULL ELSE m.quality_metric END
    FROM victims v WHERE m.memory_id = v.memory_id
    RETURNING m.memory_id`)
  return rows.map((r) => r.memory_id)
}

/** Stages of a relationship, in order. */
export const RELATIONSHIP_STAGES = ['stranger', 'acquaintance', 'friend', 'close_friend'] as const
export type RelationshipStage = (typeof RELATIONSHIP_STAGES)[number]

/**
 * What each stage needs: interactions (memory writes, duplicates included) and trust (the mean
 * significance of the pair's memories). Checked from the closest stage down.
 */
export const STAGE_REQUIREMENTS: ReadonlyArray<{
  stage: RelationshipStage
  minInteractions: number
  minTrust: number
}> = [
  { stage: 'close_friend', minInteractions: 50, minTrust: 0.6 },
  { stage: 'friend', minInteractions: 15, minTrust: 0.4 },
  { stage: 'acquaintance', minInteractions: 3, minTrust: 0 },
  { stage: 'stranger', minInteractions: 0, minTrust: 0 },
]

/** The stage `interactions` and `trust` earn. */
export function stageFor(interactions: number, trust: number): RelationshipStage {
  return (
    STAGE_REQUIREMENTS.find((s) => interactions >= s.minInteractions && trust >= s.minTrust)
      ?.stage ?? 'stranger'
  )
}

/** The later of two stages: a relationship advances, it never falls back. */
export function laterStage(a: RelationshipStage, b: RelationshipStage): RelationshipStage {
  return RELATIONSHIP_STAGES.indexOf(a) >= RELATIONSHIP_STAGES.indexOf(b) ? a : b
}
