/**
 * The "remember" step of a companion turn (memory database only; the Worker calls it after the
 * nexus writes of the turn, never inside them).
 *
 * - **Memories**: the player's message becomes a memory of the pair (companion, player) with a
 *   significance score (`significanceOf`), and each change the companion made to the world
 *   becomes one too ("I set the sky to sunset for you."). Writes go through `createMemory`, so the
 *   tier caps, duplicate detection and memory links of the memory service apply.
 * - **The relationship** (`companion_relationships`; its counts are the statistics trigger's):
 *   `quality_score` moves towards the turn's quality by an exponential moving average
 *   (`QUALITY_SMOOTHING`), `communication_patterns` counts turns, questions and message length,
 *   `conversation_themes` counts the key phrases of the player's messages (the top
 *   `MAX_THEMES` kept).
 * - **`memory_analytics`**: the pair's snapshot of the current hour is refreshed (one row per
 *   pair and hour, decision 95), with the recall time of the turn.
 * - **`memory_capacity`**: when the pair holds more memories than the companion's capacity, the
 *   least valuable ones go (sparse before background before important, then least significant,
 *   oldest first); core memories are never dropped for capacity.
 *
 * All of the relationship and analytics work is one transaction holding the pair's lock (the
 * same lock as memory writes), so concurrent turns of one pair do not lose updates.
 */
import { sql } from 'drizzle-orm'
import type { MemoryDb } from '../../db/client'
import type { Identity } from '../lib/auth'
import type { Embedder } from '../memory/embedder'
import { createMemory, extractKeyPhrases, textArray } from '../memory/service'
import type { ToolCommandOutcome } from './schemas'
import { TOOL_ENVIRONMENT_KEYS } from './tools'

/** Weight of one turn in the relationship's quality (exponential moving average). */
export const QUALITY_SMOOTHING = 0.2
/** Conversation themes kept per relationship. */
export const MAX_THEMES = 20
/** Significance of a memory of something the companion did in the world. */
export const ACTION_MEMORY_SIGNIFICANCE = 0.4

const SELF_DISCLOSURE =
  /\b(my|mine|i am|i'm|im|i was|i have|i've|i love|i like|i hate|i want|i feel|remember|call me|birthday|favourite|favorite)\b/i
const POSITIVE =
  /\b(love|like|happy|glad|great|wonderful|amazing|thanks|thank you|fun|beautiful|enjoy|best|kind)\b/gi
const NEGATIVE =
  /\b(hate|sad|angry|upset|bad|awful|terrible|lonely|afraid|scared|worst|tired|sorry|hurt)\b/gi

/** Significance in [0.05, 0.95]: longer, personal, emotional messages matter more. */
export function significanceOf(text: string): number {
  const words = text.trim().split(/\s+/).filter(Boolean).length
  let score = 0.1 + Math.min(0.25, words / 80)
  if (SELF_DISCLOSURE.test(text)) score += 0.3
  const { intensity } = emotionOf(text)
  score += 0.25 * intensity
  if (/[A-Z][a-z]+/.test(text.slice(1))) score += 0.05 // names and places
  return Math.round(Math.min(0.95, Math.max(0.05, score)) * 1000) / 1000
}

/** Emotional intensity in [0, 1] and valence in [-1, 1], from a small word list. */
export function emotionOf(text: string): { intensity: number; valence: number } {
  const positive = text.match(POSITIVE)?.length ?? 0
  const negative = text.match(NEGATIVE)?.length ?? 0
  const exclaims = Math.min(3, text.match(/!/g)?.length ?? 0)
  const total = positive + negative
  const intensity = Math.min(1, total * 0.25 + exclaims * 0.1)
  const valence = total === 0 ? 0 : (positive - negative) / total
  return { intensity: round3(intensity), valence: round3(valence) }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000

/** The quality of one turn in [0, 1]: mood, engagement, whether memory helped, refusals. */
export function turnQuality(input: {
  message: string
  recalled: number
  outcomes: ToolCommandOutcome[]
}): number {
  const { valence } = emotionOf(input.message)
  let q = 0.5 + 0.25 * valence + 0.1 * Math.min(1, input.message.length / 200)
  if (input.recalled > 0) q += 0.15
  if (input.outcomes.some((o) => o.status === 'refused')) q -= 0.15
  return round3(Math.min(1, Math.max(0, q)))
}

/** A sentence remembering a change made in the world. */
function actionMemory(outcome: ToolCommandOutcome): string {
  const key = TOOL_ENVIRONMENT_KEYS[outcome.tool] ?? outcome.tool
  const what = key
    .replace(/_/g, ' ')
    .replace('sky preset', 'sky')
    .replace('lighting mood', 'lighting')
  return `I set the ${what} to ${outcome.args} for you.`
}

/** What one turn remembered. */
export interface RememberedTurn {
  remembered: Array<{
    memory_id: string
    tier: string
    significance_score: number
    duplicate: boolean
  }>
  relationship: {
    stage: string
    quality_score: number
    trust_level: number
    interaction_count: number
  } | null
}

/** Writes the turn's memories and moves the relationship (see the file comment). */
export async function rememberTurn(
  db: MemoryDb,
  input: {
    actor: Identity
    companionKey: string
    embedder: Embedder
    message: string
    outcomes: ToolCommandOutcome[]
    recalled: number
    recallMs: number
    memoryCapacity: number
    context: Record<string, unknown>
  },
): Promise<RememberedTurn> {
  const { actor, companionKey, embedder } = input
  const remembered: RememberedTurn['remembered'] = []
  const emotion = emotionOf(input.message)
  const writes = [
    {
      content: input.message,
      significance_score: significanceOf(input.message),
      emotional_intensity: emotion.intensity,
      emotional_valence: emotion.valence,
      interaction_context: { ...input.context, role: 'user' },
    },
    ...input.outcomes
      .filter((o) => o.status === 'applied')
      .map((o) => ({
        content: actionMemory(o),
        significance_score: ACTION_MEMORY_SIGNIFICANCE,
        emotional_intensity: 0,
        emotional_valence: 0,
        interaction_context: { ...input.context, role: 'assistant', tool: o.tool },
      })),
  ]
  for (const body of writes) {
    const { memory } = await createMemory(db, {
      actor,
      companion_id: companionKey,
      body,
      embedder,
    })
    remembered.push({
      memory_id: memory.memory_id,
      tier: memory.tier,
      significance_score: memory.significance_score,
      duplicate: memory.duplicate,
    })
  }

  const quality = turnQuality(input)
  const themes = extractKeyPhrases(input.message)
  const question = input.message.trim().endsWith('?') ? 1 : 0
  const relationship = await db.transaction(async (tx) => {
    await tx.execute(
      sql`SELECT pg_advisory_xact_lock(hashtext(${companionKey} || ':' || ${actor.userId}))`,
    )
    const pair = sql`companion_id = ${companionKey} AND user_id = ${actor.userId}::uuid`
    // Capacity: the least valuable memories beyond it go (never core ones).
    await tx.execute(sql`
      DELETE FROM companion_memories WHERE memory_id IN (
        SELECT memory_id FROM companion_memories
        WHERE ${pair} AND tier <> 'core'
        ORDER BY CASE tier WHEN 'sparse' THEN 0 WHEN 'background' THEN 1 ELSE 2 END,
                 significance_score, created_at, memory_id
        LIMIT greatest(0, (SELECT count(*) FROM companion_memories WHERE ${pair})
                          - ${input.memoryCapacity}::int))`)
    const { rows } = await tx.execute<{
      stage: string
      quality_score: number
      trust_level: number
      interaction_count: number
      total_memories: number
      core_memories_count: number
      important_memories_count: number
      background_memories_count: number
      sparse_memories_count: number
      compression_ratio: number | null
      total_storage_bytes: number
    }>(sql`
      UPDATE companion_relationships SET
        quality_score = least(1, greatest(0,
          quality_score * (1 - ${QUALITY_SMOOTHING}::float8) + ${QUALITY_SMOOTHING}::float8 * ${quality}::float8)),
        communication_patterns = jsonb_build_object(
          'turns', coalesce((communication_patterns ->> 'turns')::int, 0) + 1,
          'questions', coalesce((communication_patterns ->> 'questions')::int, 0) + ${question}::int,
          'total_message_chars',
            coalesce((communication_patterns ->> 'total_message_chars')::bigint, 0)
              + ${input.message.length}::int),
        conversation_themes = (
          SELECT coalesce(jsonb_object_agg(theme, n), '{}'::jsonb) FROM (
            SELECT theme, sum(n)::int AS n FROM (
              SELECT key AS theme, value::int AS n
              FROM jsonb_each_text(coalesce(conversation_themes, '{}'::jsonb))
              UNION ALL
              SELECT unnest(${textArray(themes)}::text[]), 1
            ) counted GROUP BY theme ORDER BY sum(n) DESC, theme LIMIT ${MAX_THEMES}
          ) top),
        last_interaction = now(),
        last_updated = now()
      WHERE ${pair}
      RETURNING stage, quality_score, trust_level, interaction_count, total_memories,
        core_memories_count, important_memories_count, background_memories_count,
        sparse_memories_count, compression_ratio, total_storage_bytes::float8 AS total_storage_bytes`)
    const row = rows[0]
    if (!row) return null
    // The pair's snapshot of this hour (decision 95).
    const snapshot = sql`
      total_memories = ${row.total_memories}::int, core_memories = ${row.core_memories_count}::int,
      important_memories = ${row.important_memories_count}::int,
      background_memories = ${row.background_memories_count}::int,
      sparse_memories = ${row.sparse_memories_count}::int,
      avg_compression_ratio = ${row.compression_ratio}::float8,
      total_storage_bytes = ${row.total_storage_bytes}::bigint,
      retrieval_performance_ms = ${input.recallMs}::float8, timestamp = now()`
    const updated = await tx.execute(sql`
      UPDATE memory_analytics SET ${snapshot}
      WHERE id = (SELECT id FROM memory_analytics
                  WHERE companion_id = ${companionKey} AND user_id = ${actor.userId}::uuid
                    AND timestamp >= date_trunc('hour', now())
                  ORDER BY timestamp DESC LIMIT 1)
      RETURNING id`)
    if (updated.rows.length === 0) {
      await tx.execute(sql`
        INSERT INTO memory_analytics (companion_id, user_id, timestamp, total_memories,
          core_memories, important_memories, background_memories, sparse_memories,
          avg_compression_ratio, total_storage_bytes, retrieval_performance_ms)
        VALUES (${companionKey}, ${actor.userId}::uuid, now(), ${row.total_memories}::int,
          ${row.core_memories_count}::int, ${row.important_memories_count}::int,
          ${row.background_memories_count}::int, ${row.sparse_memories_count}::int,
          ${row.compression_ratio}::float8, ${row.total_storage_bytes}::bigint,
          ${input.recallMs}::float8)`)
    }
    return {
      stage: row.stage,
      quality_score: Number(row.quality_score),
      trust_level: Number(row.trust_level),
      interaction_count: Number(row.interaction_count ?? 0),
    }
  })
  return { remembered, relationship }
}
