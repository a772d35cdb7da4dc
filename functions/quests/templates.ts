/**
 * Challenge templates: listing them, and instantiating a quest from a template's generation rules
 * with a seedable random, so the same template, seed and difficulty give the same quest.
 *
 * The rules are the seed's `template_structure` shape: `variable_slots` (each slot becomes
 * objectives), `reward_scaling` and `time_limit_seconds_range`. Slot types a session can run:
 * - `random_zone`: reach the centre of one of the area's 9 zones (`radius`, default 10 m);
 * - `random_location`: reach a random point of the area (`radius`, default 5 m);
 * - `common_item`: collect `quantity_range` of an item from `items` (a pool of item ids), placed
 *   at random points, with half as many again as spares;
 * - `friendly_npc`: interact with an NPC from `npcs`, standing at a random point;
 * - `quiz_question`: `count_range` questions drawn from `questions` (`{question, options?, answer}`).
 * The area is `area` (`{min_x, max_x, min_z, max_z}`), by default the 300 m square of an instance.
 * A template with no such slot (the seed's match-3, colouring and image quiz are client-side
 * microgames a session cannot judge) cannot be instantiated (409).
 *
 * Random numbers come from pure-rand's xoroshiro128+ seeded with a 32-bit FNV-1a hash of the
 * template id and the seed, so generation never depends on the clock or on Math.random.
 */
import { and, desc, eq, sql, type SQL } from 'drizzle-orm'
import { uniformInt } from 'pure-rand/distribution/uniformInt'
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator'
import { z } from 'zod'
import type { Db } from '../../db/client'
import { challengeTemplates, type ChallengeTemplate } from '../../db/schema/nexus'
import { DEFAULT_AREA_METERS } from '../../durable-objects/instance-room/config'
import {
  questDataSchema,
  type Objective,
  type QuestData,
  type QuestRewards,
} from '../../durable-objects/quest-session/quest-data'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp as iso } from '../lib/time'
import type { Identity } from '../lib/auth'
import type { CreateQuestBody, InstantiateTemplateBody } from './schemas'
import { createQuest, isStaff } from './service'

/** What a template's generation produces: the body of a new quest. */
export interface GeneratedQuest {
  quest_data: QuestData
  rewards: QuestRewards
  time_limit_seconds: number | null
  min_participants: number
  max_participants: number
}

const range = z.tuple([z.number().int().min(0), z.number().int().min(0)]).refine(([a, b]) => a <= b)
const pool = (item: z.ZodType) => z.array(item).min(1).max(200)
const slugPool = pool(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/))

/** The parts of `template_structure` generation reads; anything else is ignored. */
const generationRulesSchema = z.object({
  variable_slots: z
    .record(
      z.string(),
      z.union([
        z.object({
          type: z.literal('random_zone'),
          radius: z.number().positive().max(100).optional(),
        }),
        z.object({
          type: z.literal('random_location'),
          radius: z.number().positive().max(100).optional(),
        }),
        z.object({
          type: z.literal('common_item'),
          quantity_range: range.optional(),
          items: slugPool.optional(),
        }),
        z.object({ type: z.literal('friendly_npc'), npcs: slugPool.optional() }),
        z.object({
          type: z.literal('quiz_question'),
          count_range: range.optional(),
          questions: pool(
            z.object({
              question: z.string().min(1).max(1000),
              options: z.array(z.string().min(1).max(200)).min(2).max(10).optional(),
              answer: z.string().min(1).max(200),
            }),
          ),
        }),
        // Slots of other types (the seed's microgames) generate nothing.
        z.object({ type: z.string() }),
      ]),
    )
    .optional(),
  area: z
    .object({ min_x: z.number(), max_x: z.number(), min_z: z.number(), max_z: z.number() })
    .refine((a) => a.min_x < a.max_x && a.min_z < a.max_z)
    .optional(),
  time_limit_seconds_range: range.optional(),
  participants: z
    .object({ min: z.number().int().min(1).max(50), max: z.number().int().min(1).max(50) })
    .refine((p) => p.min <= p.max)
    .optional(),
  reward_scaling: z
    .object({
      base_resonance: z.number().min(0).max(10_000).optional(),
      base_tokens: z.number().min(0).max(10_000).optional(),
      difficulty_multiplier: z.number().min(1).max(10).optional(),
    })
    .optional(),
})

const DEFAULT_ITEMS = ['moon_flower', 'star_shard', 'river_stone']
const DEFAULT_NPCS = ['wandering_sage', 'lost_merchant', 'forest_keeper']

/** A 32-bit FNV-1a hash: the generator's seed from the template id and the caller's seed. */
export function seedOf(text: string): number {
  let hash = 0x811c9dc5
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193)
  }
  return hash | 0
}

/**
 * Generates a quest from `structure` for `difficulty` (1–5) with the random stream of `seed`.
 * Null when the structure has no slot a session can run.
 */
export function generateQuest(
  structure: unknown,
  options: { templateId: string; seed: string; difficulty: number },
): GeneratedQuest | null {
  const parsed = generationRulesSchema.safeParse(structure)
  if (!parsed.success) return null
  const rules = parsed.data
  const rng = xoroshiro128plus(seedOf(`${options.templateId}:${options.seed}`))
  const half = DEFAULT_AREA_METERS / 2
  const area = rules.area ?? { min_x: -half, max_x: half, min_z: -half, max_z: half }
  // Positions on a decimetre grid, so they are exact in JSON and identical for a seed.
  const between = (low: number, high: number) =>
    uniformInt(rng, Math.ceil(low * 10), Math.floor(high * 10)) / 10
  const point = () => ({
    x: between(area.min_x, area.max_x),
    y: 0,
    z: between(area.min_z, area.max_z),
  })
  const pick = <T>(items: readonly T[]) => items[uniformInt(rng, 0, items.length - 1)]
  const inRange = ([low, high]: readonly [number, number]) => uniformInt(rng, low, high)

  const objectives: Objective[] = []
  let generated = 0
  const nextId = (kind: string) => `${kind}_${++generated}`
  for (const [name, slot] of Object.entries(rules.variable_slots ?? {}).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  )) {
    objectives.push(...slotObjectives(name, slot, { rng, area, point, pick, inRange, nextId }))
  }
  if (objectives.length === 0) return null

  const difficulty = options.difficulty
  const scaling = rules.reward_scaling ?? {}
  const multiplier = (scaling.difficulty_multiplier ?? 1) ** (difficulty - 1)
  const rewards: QuestRewards = {}
  if (scaling.base_resonance) {
    rewards.akashic_resonance = Math.min(10_000, Math.round(scaling.base_resonance * multiplier))
  }
  if (scaling.base_tokens) {
    rewards.tokens = Math.min(10_000, Math.round(scaling.base_tokens * multiplier))
  }
  // Harder quests get less time: from the top of the range at difficulty 1 to the bottom at 5.
  const limits = rules.time_limit_seconds_range
  const timeLimit =
    limits === undefined
      ? null
      : Math.max(10, Math.round(limits[1] - ((limits[1] - limits[0]) * (difficulty - 1)) / 4))
  const participants = rules.participants ?? { min: 1, max: 4 }
  // A template whose pools hold something a quest cannot (a quiz answer not among its options)
  // generates nothing rather than a quest no session could run.
  const questData = questDataSchema.safeParse({ objectives })
  if (!questData.success) return null
  return {
    quest_data: questData.data,
    rewards,
    time_limit_seconds: timeLimit,
    min_participants: participants.min,
    max_participants: participants.max,
  }

  function slotObjectives(
    name: string,
    slot: { type: string } & Record<string, unknown>,
    tools: {
      rng: RandomGenerator
      area: { min_x: number; max_x: number; min_z: number; max_z: number }
      point: () => { x: number; y: number; z: number }
      pick: <T>(items: readonly T[]) => T
      inRange: (r: readonly [number, number]) => number
      nextId: (kind: string) => string
    },
  ): Objective[] {
    const description = name.replaceAll('_', ' ')
    switch (slot.type) {
      case 'random_zone': {
        const column = tools.inRange([0, 2])
        const row = tools.inRange([0, 2])
        const width = (tools.area.max_x - tools.area.min_x) / 3
        const depth = (tools.area.max_z - tools.area.min_z) / 3
        return [
          objective({
            id: tools.nextId('reach'),
            type: 'reach_location',
            description,
            location: {
              x: round(tools.area.min_x + width * (column + 0.5)),
              y: 0,
              z: round(tools.area.min_z + depth * (row + 0.5)),
            },
            radius: (slot.radius as number | undefined) ?? 10,
          }),
        ]
      }
      case 'random_location':
        return [
          objective({
            id: tools.nextId('reach'),
            type: 'reach_location',
            description,
            location: tools.point(),
            radius: (slot.radius as number | undefined) ?? 5,
          }),
        ]
      case 'common_item': {
        const quantity = Math.max(
          1,
          tools.inRange((slot.quantity_range as [number, number]) ?? [3, 5]),
        )
        const itemId = tools.pick((slot.items as string[] | undefined) ?? DEFAULT_ITEMS)
        const placed = quantity + Math.ceil(quantity / 2)
        return [
          objective({
            id: tools.nextId('collect'),
            type: 'collect_items',
            description,
            item_id: itemId,
            quantity,
            objects: Array.from({ length: placed }, (_, i) => ({
              object_id: `${itemId}_${i + 1}`,
              position: tools.point(),
            })),
          }),
        ]
      }
      case 'friendly_npc': {
        const npc = tools.pick((slot.npcs as string[] | undefined) ?? DEFAULT_NPCS)
        return [
          objective({
            id: tools.nextId('talk'),
            type: 'interact',
            description,
            target_id: npc,
            position: tools.point(),
          }),
        ]
      }
      case 'quiz_question': {
        const questions = [
          ...(slot.questions as { question: string; answer: string; options?: string[] }[]),
        ]
        const count = Math.min(
          questions.length,
          Math.max(1, tools.inRange((slot.count_range as [number, number]) ?? [1, 1])),
        )
        const chosen: typeof questions = []
        for (let i = 0; i < count; i++) {
          chosen.push(questions.splice(tools.inRange([0, questions.length - 1]), 1)[0])
        }
        return chosen.map((q) =>
          objective({
            id: tools.nextId('quiz'),
            type: 'answer',
            description,
            question: q.question,
            ...(q.options ? { options: q.options } : {}),
            answer: q.answer,
          }),
        )
      }
      default:
        return []
    }
  }
}

/** An objective as generation writes it; defaults are applied by the quest data schema. */
const objective = (fields: Record<string, unknown>) => fields as unknown as Objective

const round = (value: number) => Math.round(value * 10) / 10

/** The API representation of a template. */
export function templateResource(row: ChallengeTemplate) {
  return {
    id: row.id,
    name: row.name,
    description: row.description ?? null,
    challenge_type: row.challengeType,
    category: row.category ?? null,
    template_structure: row.templateStructure as Record<string, unknown>,
    requires_user_uploads: row.requiresUserUploads ?? false,
    complexity_level: row.complexityLevel ?? null,
    default_difficulty: row.defaultDifficulty ?? null,
    supports_difficulty_scaling: row.supportsDifficultyScaling !== false,
    is_official: row.isOfficial ?? false,
    is_public: row.isPublic !== false,
    times_instantiated: row.timesInstantiated ?? 0,
    created_at: iso(row.createdAt),
    last_used: iso(row.lastUsed),
    /** Whether a quest session can run what this template generates. */
    instantiable:
      generateQuest(row.templateStructure, { templateId: row.id, seed: 'probe', difficulty: 1 }) !==
      null,
  }
}

/** Templates visible to everyone (public), and the caller's own; staff see all. */
function visibleTemplates(actor: Identity): SQL | undefined {
  if (isStaff(actor)) return undefined
  return sql`(${challengeTemplates.isPublic} IS NOT FALSE OR ${challengeTemplates.createdBy} = ${actor.userId}::uuid)`
}

/** Templates the caller may see, newest first. */
export async function listTemplates(
  db: Db,
  input: {
    actor: Identity
    challenge_type?: string
    category?: string
    limit: number
    cursor?: TimestampIdCursor
  },
) {
  const createdAt = sql`coalesce(${challengeTemplates.createdAt}, 'epoch'::timestamptz)`
  const rows = await db
    .select({ template: challengeTemplates, cursorT: cursorTimestamp(createdAt) })
    .from(challengeTemplates)
    .where(
      and(
        visibleTemplates(input.actor),
        input.challenge_type
          ? eq(challengeTemplates.challengeType, input.challenge_type)
          : undefined,
        input.category ? eq(challengeTemplates.category, input.category) : undefined,
        afterTimestampId(createdAt, challengeTemplates.id, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(createdAt), desc(challengeTemplates.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    (r) => templateResource(r.template),
    (r) => ({ t: r.cursorT, id: r.template.id }),
  )
}

/** One template the caller may see (404 otherwise). */
export async function loadTemplate(db: Db, actor: Identity, templateId: string) {
  const [row] = await db
    .select()
    .from(challengeTemplates)
    .where(and(eq(challengeTemplates.id, templateId), visibleTemplates(actor)))
  if (!row) throw new ApiError('not_found', 'no challenge template with that id')
  return row
}

/**
 * Generates the quest of `template` for `seed` and `difficulty`, or refuses (409) a template whose
 * rules generate nothing a session can run.
 */
export function generateFromTemplate(
  template: ChallengeTemplate,
  seed: string,
  difficulty: number,
): GeneratedQuest {
  const generated = generateQuest(template.templateStructure, {
    templateId: template.id,
    seed,
    difficulty,
  })
  if (!generated) {
    throw new ApiError(
      'conflict',
      'this template has no generation rules a quest session can run (variable_slots of random_zone, random_location, common_item, friendly_npc or quiz_question)',
    )
  }
  return generated
}

/**
 * Creates a quest (owned by the caller) from a template's rules and counts the instantiation, in
 * one transaction. The generation (template, seed, difficulty) is kept in the quest's metadata.
 */
export async function instantiateTemplate(
  db: Db,
  input: { actor: Identity; template_id: string } & InstantiateTemplateBody,
) {
  const { actor, template_id: templateId } = input
  const template = await loadTemplate(db, actor, templateId)
  const seed = input.seed ?? crypto.randomUUID()
  const difficulty = input.difficulty ?? template.defaultDifficulty ?? 1
  const generated = generateFromTemplate(template, seed, difficulty)
  return db.transaction(async (tx) => {
    const quest = await createQuest(tx, {
      actor,
      title: input.title ?? `${template.name} (${seed.slice(0, 8)})`,
      description: template.description ?? null,
      challenge_type: template.challengeType,
      category: template.category ?? null,
      tags: ['generated'],
      quest_data: generated.quest_data,
      difficulty_rating: difficulty,
      complexity_level: (template.complexityLevel ?? null) as CreateQuestBody['complexity_level'],
      time_limit_seconds: generated.time_limit_seconds,
      min_participants: generated.min_participants,
      max_participants: generated.max_participants,
      rewards: generated.rewards,
      requires_instance_type: input.requires_instance_type,
      is_ranked: true,
      is_public: input.is_public,
      status: input.status,
      creator_type: 'user',
      metadata: { generated_from: { template_id: templateId, seed, difficulty } },
    })
    await tx
      .update(challengeTemplates)
      .set({
        timesInstantiated: sql`coalesce(${challengeTemplates.timesInstantiated}, 0) + 1`,
        lastUsed: sql`now()`,
      })
      .where(eq(challengeTemplates.id, templateId))
    return quest
  })
}
