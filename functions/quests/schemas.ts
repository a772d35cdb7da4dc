/**
 * Quest and challenge-template representations. Resources mirror the seed's columns (snake_case);
 * `quest_data` and `rewards` are validated against what a session can run
 * (`durable-objects/quest-session/quest-data.ts`), so a quest no session could play is a 400 with
 * the path of the bad field.
 */
import { z } from '@hono/zod-openapi'
import { environmentSettingsSchema } from '../../durable-objects/instance-room/protocol'
import { MAX_PARTICIPANTS_LIMIT } from '../../durable-objects/quest-session/config'
import { questDataSchema, rewardsSchema } from '../../durable-objects/quest-session/quest-data'
import { SESSION_TYPES } from '../../durable-objects/quest-session/rpc'
import { BoundsSchema } from '../instances/schemas'
import { idSchema } from '../lib/ids'
import { TimestampIdPageQuerySchema } from '../lib/pagination'

const hasNoNul = (text: string) => !text.includes('\u0000')
const noNul = { error: 'must not contain a NUL character' }
const serializedSize = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length
const jsonHasNoNul = (value: unknown) => !JSON.stringify(value).includes('\\u0000')

const label = (max: number) => z.string().trim().min(1).max(max).refine(hasNoNul, noNul)
const longText = (max: number) => z.string().trim().max(max).refine(hasNoNul, noNul)

/** A lower-case classification (challenge type, category, subject). */
const classification = z
  .string()
  .regex(/^[a-z0-9_]{1,50}$/, 'expected 1–50 characters of a-z, 0-9 or _')

/** A tag: trimmed, lower-cased. */
const tag = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(50)
  .refine(hasNoNul, noNul)
  .refine((t) => !t.includes(','), { error: 'a tag cannot contain a comma' })

/** A free JSON object of at most `bytes` once serialized. */
const boundedObject = (bytes: number) =>
  z
    .record(z.string().max(64), z.unknown())
    .refine((value) => serializedSize(value) <= bytes, {
      error: `must serialize to at most ${bytes} bytes`,
    })
    .refine(jsonHasNoNul, noNul)

/** Quest lifecycle (`quests.status`) as the quest API sets it. */
export const QUEST_STATUSES = ['draft', 'active', 'featured', 'archived'] as const
/**
 * A quest's stored status: the lifecycle, or `hidden`, which only moderation sets and lifts
 * (`functions/moderation/service.ts`); a hidden quest is seen by its creator and staff only.
 */
export type QuestStatus = (typeof QUEST_STATUSES)[number] | 'hidden'

/** Where a quest is played (`quests.requires_instance_type`). */
export const INSTANCE_REQUIREMENTS = ['any', 'personal', 'holodeck'] as const

/** `quests.instance_template`: the shape of the holodeck a `holodeck` quest gets per session. */
export const InstanceTemplateSchema = z
  .strictObject({
    bounds: BoundsSchema.optional(),
    environment: environmentSettingsSchema.optional(),
  })
  .openapi('InstanceTemplate')

const participants = z.int().min(1).max(MAX_PARTICIPANTS_LIMIT)

const questFields = {
  title: label(200),
  description: longText(5000).nullable().optional(),
  challenge_type: classification,
  category: classification.nullable().optional(),
  tags: z.array(tag).max(20),
  quest_data: questDataSchema,
  difficulty_rating: z.int().min(1).max(5).nullable().optional(),
  complexity_level: z.enum(['casual', 'moderate', 'complex', 'expert']).nullable().optional(),
  estimated_duration_minutes: z.int().min(1).max(10_000).nullable().optional(),
  time_limit_seconds: z
    .int()
    .min(10)
    .max(7 * 86_400)
    .nullable()
    .optional(),
  min_participants: participants,
  max_participants: participants,
  supports_coop: z.boolean().optional(),
  rewards: rewardsSchema,
  requires_instance_type: z.enum(INSTANCE_REQUIREMENTS),
  instance_template: InstanceTemplateSchema.nullable().optional(),
  is_ranked: z.boolean(),
  is_public: z.boolean(),
  media_assets: boundedObject(8192).optional(),
  learning_objectives: z.array(label(300)).max(20).nullable().optional(),
  subject_area: classification.nullable().optional(),
  metadata: boundedObject(8192).optional(),
}

const participantsInOrder = (body: { min_participants?: number; max_participants?: number }) =>
  body.min_participants === undefined ||
  body.max_participants === undefined ||
  body.min_participants <= body.max_participants

/** `POST /v1/quests`. */
export const CreateQuestBodySchema = z
  .strictObject({
    ...questFields,
    tags: questFields.tags.default([]),
    min_participants: participants.default(1),
    max_participants: participants.default(1),
    rewards: questFields.rewards.default({}),
    requires_instance_type: questFields.requires_instance_type.default('any'),
    is_ranked: questFields.is_ranked.default(true),
    is_public: questFields.is_public.default(true),
    /** New quests are drafts or active; featuring is a moderator's change. */
    status: z.enum(['draft', 'active']).default('active'),
    /** `deity` and `system` quests are created by staff or services only. */
    creator_type: z.enum(['user', 'deity', 'system']).default('user'),
  })
  .refine(participantsInOrder, {
    path: ['max_participants'],
    error: 'max_participants must be at least min_participants',
  })
  .openapi('CreateQuestBody')

/** `PATCH /v1/quests/:id`: the fields given replace the stored ones. */
export const UpdateQuestBodySchema = z
  .strictObject({ ...questFields, status: z.enum(QUEST_STATUSES) })
  .partial()
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to update' })
  .openapi('UpdateQuestBody')

export const QuestSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    description: z.string().nullable(),
    creator_id: z.uuid().nullable(),
    creator_type: z.string(),
    challenge_type: z.string(),
    category: z.string().nullable(),
    tags: z.array(z.string()),
    quest_data: z.record(z.string(), z.unknown()).openapi({
      description: 'Objectives; quiz answer keys only for the creator and moderators',
    }),
    difficulty_rating: z.number().int().nullable(),
    complexity_level: z.string().nullable(),
    estimated_duration_minutes: z.number().int().nullable(),
    time_limit_seconds: z.number().int().nullable(),
    min_participants: z.number().int(),
    max_participants: z.number().int(),
    supports_coop: z.boolean(),
    rewards: z.record(z.string(), z.unknown()),
    requires_instance_type: z.string(),
    instance_template: z.record(z.string(), z.unknown()).nullable(),
    quest_version: z.number().int(),
    status: z.enum([...QUEST_STATUSES, 'hidden']),
    is_ranked: z.boolean(),
    is_public: z.boolean(),
    media_assets: z.record(z.string(), z.unknown()),
    learning_objectives: z.array(z.string()).nullable(),
    subject_area: z.string().nullable(),
    play_count: z.number().int(),
    completion_count: z.number().int(),
    created_at: z.string().nullable(),
    updated_at: z.string().nullable(),
    last_played: z.string().nullable(),
    featured_at: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
  })
  .openapi('Quest')

export const QuestIdParamSchema = z.object({ id: idSchema('id') })

/** `?tags=a,b`: a comma-separated list. */
const tagList = z
  .string()
  .max(1100)
  .transform((value, ctx) => {
    const tags = [...new Set(value.split(',').map((t) => t.trim().toLowerCase()))].filter(Boolean)
    if (tags.length === 0 || tags.length > 20 || tags.some((t) => t.length > 50)) {
      ctx.addIssue({ code: 'custom', message: 'expected 1–20 comma-separated tags' })
      return z.NEVER
    }
    return tags
  })

/** Quests are listed newest first by (created_at, id). */
export const ListQuestsQuerySchema = TimestampIdPageQuerySchema.extend({
  challenge_type: classification.optional(),
  category: classification.optional(),
  tags: tagList.optional().openapi({ type: 'string', description: 'Comma-separated tags' }),
  tags_match: z
    .enum(['any', 'all'])
    .default('any')
    .openapi({ description: 'Whether a quest needs any or all of `tags`' }),
  difficulty_rating: z.coerce.number().int().min(1).max(5).optional(),
  status: z.enum(QUEST_STATUSES).optional().openapi({
    description: 'Default: active and featured quests',
  }),
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine(hasNoNul, noNul)
    .optional()
    .openapi({ description: 'Words to find in the title or description' }),
  creator: z
    .union([z.literal('me'), idSchema('creator')])
    .optional()
    .openapi({ description: 'A creator id, or `me`' }),
})

/** Quest objects (`quest_object_relationships`). */
export const OBJECT_TYPES = ['asset', 'building', 'media', 'user_item'] as const
export const RELATIONSHIP_TYPES = [
  'source',
  'reward',
  'requirement',
  'location',
  'npc_seed',
] as const

export const AddQuestObjectBodySchema = z
  .strictObject({
    object_id: idSchema('object_id'),
    object_type: z.enum(OBJECT_TYPES),
    relationship_type: z.enum(RELATIONSHIP_TYPES),
    metadata: boundedObject(4096).optional(),
  })
  .openapi('AddQuestObjectBody')

export const QuestObjectSchema = z
  .object({
    quest_id: z.uuid(),
    object_id: z.uuid(),
    object_type: z.enum(OBJECT_TYPES),
    relationship_type: z.enum(RELATIONSHIP_TYPES),
    metadata: z.record(z.string(), z.unknown()),
    created_at: z.string().nullable(),
  })
  .openapi('QuestObject')

export const QuestObjectParamSchema = z.object({
  id: idSchema('id'),
  object_id: idSchema('object_id'),
  relationship_type: z.enum(RELATIONSHIP_TYPES),
})

/** Quest objects are listed by (created_at, object_id), earliest first. */
export const ListQuestObjectsQuerySchema = TimestampIdPageQuerySchema

/** `POST /v1/quests/:id/sessions`. */
export const CreateSessionBodySchema = z
  .strictObject({ session_type: z.enum(SESSION_TYPES).default('standard') })
  .openapi('CreateSessionBody')

/** `POST /v1/challenge-templates/:id/quests`: the same seed gives the same quest. */
export const InstantiateTemplateBodySchema = z
  .strictObject({
    seed: z
      .string()
      .regex(/^[\x21-\x7e]{1,64}$/, 'expected 1–64 printable ASCII characters')
      .optional()
      .openapi({ description: 'The random seed; a random one when absent (returned in metadata)' }),
    difficulty: z.int().min(1).max(5).optional(),
    title: label(200).optional(),
    requires_instance_type: z.enum(INSTANCE_REQUIREMENTS).default('any'),
    is_public: z.boolean().default(true),
    status: z.enum(['draft', 'active']).default('active'),
  })
  .openapi('InstantiateTemplateBody')

export const ChallengeTemplateSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    challenge_type: z.string(),
    category: z.string().nullable(),
    template_structure: z.record(z.string(), z.unknown()),
    requires_user_uploads: z.boolean(),
    complexity_level: z.string().nullable(),
    default_difficulty: z.number().int().nullable(),
    supports_difficulty_scaling: z.boolean(),
    is_official: z.boolean(),
    is_public: z.boolean(),
    times_instantiated: z.number().int(),
    created_at: z.string().nullable(),
    last_used: z.string().nullable(),
    instantiable: z.boolean().openapi({
      description: 'Whether POST …/quests can generate a quest a session runs from it',
    }),
  })
  .openapi('ChallengeTemplate')

/** Templates are listed newest first by (created_at, id). */
export const ListTemplatesQuerySchema = TimestampIdPageQuerySchema.extend({
  challenge_type: classification.optional(),
  category: classification.optional(),
})

export type InstantiateTemplateBody = z.infer<typeof InstantiateTemplateBodySchema>
export type CreateQuestBody = z.infer<typeof CreateQuestBodySchema>
export type UpdateQuestBody = z.infer<typeof UpdateQuestBodySchema>
export type ListQuestsQuery = z.infer<typeof ListQuestsQuerySchema>
export type AddQuestObjectBody = z.infer<typeof AddQuestObjectBodySchema>
