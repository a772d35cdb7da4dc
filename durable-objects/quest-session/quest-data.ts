/**
 * What a quest session can run: the schema of `quests.quest_data` (its objectives) and of
 * `quests.rewards`. The Worker validates quests against it at creation and on every change (a quest
 * a session could not run is refused with the path of the bad field); the QuestSession object runs
 * the parsed result. snake_case, like the seed's JSONB.
 *
 * Objective types (each with `id`, optional `description`, `required` (default true), `points`
 * (default 100) and `after` (ids of earlier objectives that must be completed first)):
 * - `reach_location`: be within `radius` metres of `location`.
 * - `collect_items`: collect `quantity` of the `objects` placed at positions, each once, only
 *   within `reach` metres of it.
 * - `interact`: interact with `target_id` (an NPC or object) at `position`, within `reach`.
 * - `answer`: answer `question`; the key (`answer`, `accepted_answers`) is hidden from clients
 *   (`publicObjective`), at most `max_attempts` wrong answers over the whole team.
 */
import { z } from 'zod'
import { attributeNames } from '../../functions/users/schemas'
import { MAX_COORDINATE_METERS } from '../instance-room/config'
import { maxSpeedSchema } from '../instance-room/movement-limit'
import {
  DEFAULT_ANSWER_ATTEMPTS,
  DEFAULT_OBJECTIVE_POINTS,
  DEFAULT_REACH_METERS,
  MAX_OBJECTIVES,
  MAX_OBJECTS_PER_OBJECTIVE,
  MAX_QUEST_DATA_BYTES,
} from './config'

const hasNoNul = (text: string) => !text.includes('\u0000')
const noNul = { error: 'must not contain a NUL character' }
const serializedBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length
const jsonHasNoNul = (value: unknown) => !JSON.stringify(value).includes('\\u0000')

/** Text shown to players. */
const text = (max: number) => z.string().trim().min(1).max(max).refine(hasNoNul, noNul)

/** Ids chosen by the quest's author (objectives, objects, NPCs, items). */
export const questSlugSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1–64 characters of A-Z, a-z, 0-9, _ . : -')

const coordinate = z.number().min(-MAX_COORDINATE_METERS).max(MAX_COORDINATE_METERS)

/** A point in the quest's space, in metres. */
export const questPointSchema = z.strictObject({ x: coordinate, y: coordinate, z: coordinate })

const reach = z.number().positive().max(100).default(DEFAULT_REACH_METERS)

const objectiveBase = {
  id: questSlugSchema,
  description: text(500).optional(),
  required: z.boolean().default(true),
  points: z.int().min(0).max(100_000).default(DEFAULT_OBJECTIVE_POINTS),
  after: z.array(questSlugSchema).max(20).optional(),
}

/** `reach_location` (the seed's example type). */
export const reachLocationSchema = z.strictObject({
  ...objectiveBase,
  type: z.literal('reach_location'),
  location: questPointSchema,
  radius: z.number().positive().max(10_000),
})

/** `collect_items` (the seed's example type), with the objects placed at positions. */
export const collectItemsSchema = z
  .strictObject({
    ...objectiveBase,
    type: z.literal('collect_items'),
    item_id: questSlugSchema,
    quantity: z.int().min(1).max(MAX_OBJECTS_PER_OBJECTIVE),
    objects: z
      .array(z.strictObject({ object_id: questSlugSchema, position: questPointSchema }))
      .min(1)
      .max(MAX_OBJECTS_PER_OBJECTIVE),
    reach,
  })
  .superRefine((objective, ctx) => {
    if (objective.objects.length < objective.quantity) {
      ctx.addIssue({
        code: 'custom',
        path: ['objects'],
        message: `places ${objective.objects.length} objects but asks for ${objective.quantity}`,
      })
    }
    reportDuplicates(
      objective.objects.map((o) => o.object_id),
      ['objects'],
      'object_id',
      ctx,
    )
  })

/** `interact` with an NPC or object. */
export const interactSchema = z.strictObject({
  ...objectiveBase,
  type: z.literal('interact'),
  target_id: questSlugSchema,
  position: questPointSchema,
  reach,
})

/** `answer` a quiz question against a hidden key. */
export const answerSchema = z
  .strictObject({
    ...objectiveBase,
    type: z.literal('answer'),
    question: text(1000),
    options: z.array(text(200)).min(2).max(10).optional(),
    answer: text(200),
    accepted_answers: z.array(text(200)).max(20).optional(),
    max_attempts: z.int().min(1).max(20).default(DEFAULT_ANSWER_ATTEMPTS),
  })
  .superRefine((objective, ctx) => {
    if (objective.options && !objective.options.some((o) => sameAnswer(o, objective.answer))) {
      ctx.addIssue({
        code: 'custom',
        path: ['answer'],
        message: 'the answer must be one of the options',
      })
    }
  })

/** One objective, discriminated on `type`. */
export const objectiveSchema = z.discriminatedUnion('type', [
  reachLocationSchema,
  collectItemsSchema,
  interactSchema,
  answerSchema,
])

/** `quests.quest_data`. */
export const questDataSchema = z
  .strictObject({
    objectives: z.array(objectiveSchema).min(1).max(MAX_OBJECTIVES),
    /** The speed limit of the quest's players (m/s); the session's default when absent. */
    max_speed_mps: maxSpeedSchema.optional(),
    /** The seed's hints for AI generation and recommendation; not read by sessions. */
    ai_hints: z.record(z.string(), z.unknown()).optional(),
    /** Anything else a game keeps with its quest; not read by sessions. */
    custom: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((data, ctx) => {
    if (serializedBytes(data) > MAX_QUEST_DATA_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `quest_data must serialize to at most ${MAX_QUEST_DATA_BYTES} bytes`,
      })
    }
    if (!jsonHasNoNul(data)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'must not contain a NUL character' })
    }
    const ids = data.objectives.map((o) => o.id)
    reportDuplicates(ids, ['objectives'], 'id', ctx)
    data.objectives.forEach((objective, index) => {
      objective.after?.forEach((prerequisite, j) => {
        if (!ids.slice(0, index).includes(prerequisite)) {
          ctx.addIssue({
            code: 'custom',
            path: ['objectives', index, 'after', j],
            message: `"${prerequisite}" is not an earlier objective of this quest`,
          })
        }
      })
    })
    if (!data.objectives.some((o) => o.required)) {
      ctx.addIssue({
        code: 'custom',
        path: ['objectives'],
        message: 'at least one objective must be required, or the quest could never complete',
      })
    }
  })

/** The 12 attributes of `award_attributes` (the users domain's list). */
export const ATTRIBUTE_NAMES = attributeNames

/** The 4 akashic essences of `award_akashic_essence`, as `quests.rewards` names them. */
export const ESSENCE_REWARDS = [
  'akashic_resonance',
  'akashic_wisdom',
  'akashic_creativity',
  'akashic_connection',
] as const

const essenceAmount = z.int().min(0).max(10_000).optional()
const attributeAmount = z.int().min(0).max(1_000).optional()

/** Item lines of a quest's rewards at most, and units of one line at most. */
export const MAX_ITEM_REWARD_LINES = 16
export const MAX_ITEM_REWARD_QUANTITY = 1_000

/**
 * `quests.rewards`: what each participant gets when the session completes. Item lines name
 * catalogue items (checked to exist when the quest is written, `functions/quests/service.ts`).
 */
export const rewardsSchema = z.strictObject({
  ...Object.fromEntries(ESSENCE_REWARDS.map((name) => [name, essenceAmount])),
  attributes: z
    .strictObject(Object.fromEntries(ATTRIBUTE_NAMES.map((name) => [name, attributeAmount])))
    .optional(),
  tokens: z.int().min(0).max(10_000).optional(),
  items: z
    .array(
      z.strictObject({
        item_id: z.uuid().transform((id) => id.toLowerCase()),
        quantity: z.int().min(1).max(MAX_ITEM_REWARD_QUANTITY),
      }),
    )
    .max(MAX_ITEM_REWARD_LINES)
    .optional(),
}) as z.ZodType<QuestRewards>

/** A parsed objective. */
export type Objective = z.infer<typeof objectiveSchema>
/** A parsed objective of one type. */
export type ObjectiveOf<T extends Objective['type']> = Extract<Objective, { type: T }>
/** Parsed `quest_data` (defaults applied). */
export type QuestData = z.infer<typeof questDataSchema>
/** An objective type. */
export type ObjectiveType = Objective['type']

/** Parsed `quests.rewards`. */
export interface QuestRewards {
  akashic_resonance?: number
  akashic_wisdom?: number
  akashic_creativity?: number
  akashic_connection?: number
  attributes?: Partial<Record<(typeof ATTRIBUTE_NAMES)[number], number>>
  tokens?: number
  items?: Array<{ item_id: string; quantity: number }>
}

/** An objective as clients see it: the answer key of a quiz is left out. */
export function publicObjective(objective: Objective) {
  if (objective.type !== 'answer') return objective
  const { answer: _answer, accepted_answers: _accepted, ...visible } = objective
  return visible
}

/** A client-visible objective. */
export type PublicObjective = ReturnType<typeof publicObjective>

/** `quest_data` as clients see it (answer keys left out). */
export function publicQuestData(data: QuestData) {
  return { ...data, objectives: data.objectives.map(publicObjective) }
}

/** Answers compare without case, surrounding space or repeated inner space. */
export function sameAnswer(a: string, b: string): boolean {
  const normal = (s: string) => s.trim().replace(/\s+/g, ' ').toLocaleLowerCase('en')
  return normal(a) === normal(b)
}

function reportDuplicates(
  values: string[],
  path: (string | number)[],
  key: string,
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>()
  values.forEach((value, index) => {
    if (seen.has(value)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, index, key],
        message: `"${value}" appears twice`,
      })
    }
    seen.add(value)
  })
}
