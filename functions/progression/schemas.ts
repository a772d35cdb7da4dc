/** Progression resources and award bodies (snake_case, as the seed's columns). */
import { z } from '@hono/zod-openapi'
import { BondSchema } from '../deities/schemas'
import { idSchema } from '../lib/ids'
import { pageSchema, TimestampIdPageQuerySchema } from '../lib/pagination'
import { boundedJsonObject, textSchema } from '../lib/text'
import { attributeNames } from '../users/schemas'

/** The four essences. */
export const ESSENCES = ['resonance', 'wisdom', 'creativity', 'connection'] as const
export type EssenceName = (typeof ESSENCES)[number]

/**
 * The seed's transaction-type vocabulary of essence awards, plus `manual` (the seed's own default
 * word) for operator adjustments that are none of them.
 */
export const TRANSACTION_TYPES = [
  'quest_completion',
  'donation',
  'token_collection',
  'passive_income',
  'manual',
] as const
export type TransactionType = (typeof TRANSACTION_TYPES)[number]

export const UserIdParamSchema = z.object({ user_id: idSchema('user_id') })

const RankTierSchema = z.object({
  title: z.string(),
  min_resonance: z.number().int(),
  max_resonance: z.number().int().nullable(),
  min_rank: z.number().int(),
  max_rank: z.number().int(),
})

const Toward = { at_resonance: z.number().int(), resonance_needed: z.number().int() }

export const RankProgressSchema = z
  .object({
    rank: z.number().int(),
    title: z.string(),
    last_rank_up: z.string().nullable(),
    tier: RankTierSchema,
    next_rank: z.object({ rank: z.number().int(), ...Toward }).nullable(),
    next_tier: z.object({ title: z.string(), ...Toward }).nullable(),
    tier_progress: z.number().openapi({ description: 'Share of the current tier done, 0 to 1' }),
  })
  .openapi('RankProgress')

const AttributeValueSchema = z.object({
  base: z.number().int(),
  blessing_bonus: z.number().int(),
  effective: z.number().int(),
})

/** What anyone may see of a player's progression. */
export const PublicProgressionSchema = z
  .object({
    user_id: z.uuid(),
    username: z.string(),
    display_name: z.string().nullable(),
    avatar_url: z.string().nullable(),
    essences: z.object({
      resonance: z.number().int(),
      wisdom: z.number().int(),
      creativity: z.number().int(),
      connection: z.number().int(),
      total: z.number().int(),
    }),
    rank: RankProgressSchema,
    attributes: z.record(z.enum(attributeNames), AttributeValueSchema),
    attributes_total: z.object({ base: z.number().int(), effective: z.number().int() }),
    bond: BondSchema.nullable(),
    tablets: z.object({ found: z.number().int(), required: z.number().int() }),
    hidden_deities_discovered: z.number().int(),
  })
  .openapi('PublicProgression')

/** The caller's own progression: the public view plus which tablets and deities they found. */
export const ProgressionSchema = PublicProgressionSchema.extend({
  tablets_found: z.array(
    z.object({
      tablet_number: z.number().int(),
      tablet_name: z.string().nullable(),
      discovered_at: z.string().nullable(),
    }),
  ),
  hidden_deities: z.array(
    z.object({
      deity_name: z.string(),
      discovered_at: z.string().nullable(),
      discovery_method: z.string().nullable(),
    }),
  ),
  unlocks: z.object({ bob: z.boolean(), thoth: z.boolean() }),
}).openapi('Progression')

export const HistoryQuerySchema = TimestampIdPageQuerySchema

export const EssenceTransactionSchema = z
  .object({
    id: z.uuid(),
    transaction_type: z.string(),
    essence_type: z.string().nullable(),
    amount: z.number().int(),
    source_type: z.string().nullable(),
    source_id: z.uuid().nullable(),
    metadata: z.unknown(),
    created_at: z.string().nullable(),
  })
  .openapi('EssenceTransaction')

export const AttributeTransactionSchema = z
  .object({
    id: z.uuid(),
    attribute_name: z.string(),
    amount_change: z.number().int(),
    source_type: z.string(),
    source_id: z.uuid().nullable(),
    metadata: z.unknown(),
    created_at: z.string().nullable(),
  })
  .openapi('AttributeTransaction')

export const EssenceHistorySchema = pageSchema(EssenceTransactionSchema).openapi('EssenceHistory')
export const AttributeHistorySchema = pageSchema(AttributeTransactionSchema).openapi(
  'AttributeHistory',
)

/** Largest change to one essence or attribute in one award (either sign). */
export const MAX_AWARD_AMOUNT = 1_000_000

const amount = z.number().int().min(-MAX_AWARD_AMOUNT).max(MAX_AWARD_AMOUNT).optional()

/** `POST /v1/admin/progression/awards` (and what quest rewards pass to `awardProgression`). */
export const AwardBodySchema = z
  .strictObject({
    user_id: idSchema('user_id'),
    transaction_type: z.enum(TRANSACTION_TYPES),
    source_type: textSchema(50).optional().openapi({ example: 'quest' }),
    source_id: idSchema('source_id').optional(),
    essences: z.strictObject(Object.fromEntries(ESSENCES.map((e) => [e, amount]))).optional(),
    attributes: z
      .strictObject(Object.fromEntries(attributeNames.map((a) => [a, amount])))
      .optional(),
    tablets: z
      .array(
        z.strictObject({
          tablet_number: z.number().int().min(1).max(13),
          tablet_name: textSchema(200).optional(),
          lore_text: textSchema(10_000).optional(),
          location_found: boundedJsonObject(4096, {}).optional(),
        }),
      )
      .max(13)
      .optional(),
    hidden_deities: z
      .array(
        z.strictObject({
          deity_name: textSchema(50),
          discovery_method: textSchema(50).optional(),
        }),
      )
      .max(10)
      .optional(),
    metadata: boundedJsonObject(8192, {}).optional(),
  })
  .refine(
    (body) =>
      Object.values(body.essences ?? {}).some((v) => v) ||
      Object.values(body.attributes ?? {}).some((v) => v) ||
      (body.tablets?.length ?? 0) > 0 ||
      (body.hidden_deities?.length ?? 0) > 0,
    { error: 'an award must change an essence or attribute, or record a discovery' },
  )
  .openapi('AwardBody')
export type AwardBody = z.infer<typeof AwardBodySchema>

export const AwardSchema = z
  .object({
    user_id: z.uuid(),
    transaction_type: z.enum(TRANSACTION_TYPES),
    essences: PublicProgressionSchema.shape.essences,
    rank: z.object({
      rank: z.number().int(),
      title: z.string(),
      previous_rank: z.number().int(),
      ranked_up: z.boolean(),
    }),
    attributes: z.record(z.enum(attributeNames), z.number().int()),
    tablets: z.object({
      new: z.array(z.number().int()),
      already_found: z.array(z.number().int()),
      found: z.number().int(),
    }),
    hidden_deities: z.object({ new: z.array(z.string()) }),
    unlocked: z
      .object({ thoth: z.boolean(), bob: z.boolean() })
      .openapi({ description: 'Deities this award unlocked (true in exactly one award each)' }),
  })
  .openapi('Award')
