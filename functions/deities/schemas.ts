/** Deities, their blessings and bonds (snake_case, as the seed's columns). */
import { z } from '@hono/zod-openapi'
import { attributeNames } from '../users/schemas'
import { idSchema } from '../lib/ids'

export const DeityIdParamSchema = z.object({ id: idSchema('id') })

/** `POST /v1/deities/:id/bond`: which of the deity's blessings to take. */
export const BondBodySchema = z
  .strictObject({ blessing_id: idSchema('blessing_id') })
  .openapi('BondBody')

const AttributeSchema = z.enum(attributeNames)

export const BlessingSchema = z
  .object({
    id: z.uuid(),
    blessing_name: z.string(),
    display_name: z.string(),
    description: z.string().nullable(),
    primary_attribute: AttributeSchema,
    primary_bonus: z.number().int(),
    secondary_attribute: AttributeSchema,
    secondary_bonus: z.number().int(),
    theme_archetype: z.string().nullable(),
  })
  .openapi('Blessing')

/** Whether the caller may bond with a deity, and what unlocks it. */
export const LockStateSchema = z
  .object({
    unlocked: z.boolean(),
    unlock_method: z.enum(['rank', 'akashic_tablets', 'special_unlock']),
    min_rank_required: z.number().int().optional(),
    your_rank: z.number().int().optional(),
    tablets_required: z.number().int().optional(),
    tablets_found: z.number().int().optional(),
  })
  .openapi('DeityLockState')

export const DeitySchema = z
  .object({
    id: z.uuid(),
    deity_name: z.string(),
    display_name: z.string(),
    pantheon: z.string(),
    gender: z.string().nullable(),
    primary_color: z.string().nullable(),
    color_hex: z.string().nullable(),
    position: z.object({ x: z.number(), y: z.number(), z: z.number() }).nullable(),
    primary_attribute: AttributeSchema.nullable(),
    secondary_attribute: AttributeSchema.nullable(),
    voice_personality: z.string().nullable(),
    personality_archetype: z.string().nullable(),
    in_ritual_ring: z.boolean(),
    is_hidden: z.boolean(),
    lore_description: z.string().nullable(),
    quote: z.string().nullable(),
    unlock_description: z.string().nullable(),
    lock: LockStateSchema,
    bonded: z.boolean(),
    blessings: z.array(BlessingSchema),
  })
  .openapi('Deity')

export const DeityListSchema = z.object({ items: z.array(DeitySchema) }).openapi('DeityList')

/** A bond with a deity's blessing; `bonuses` are the blessing's, amplified by faith. */
export const BondSchema = z
  .object({
    id: z.uuid(),
    deity: z.object({ id: z.uuid(), deity_name: z.string(), display_name: z.string() }),
    blessing: BlessingSchema,
    is_active: z.boolean(),
    bonded_at: z.string().nullable(),
    unbonded_at: z.string().nullable(),
    faith_at_bonding: z.number().int().nullable(),
    amplification: z.number(),
    days_bonded: z.number().int(),
    bonuses: z.partialRecord(AttributeSchema, z.number().int()),
  })
  .openapi('Bond')

export const ActiveBondSchema = z.object({ bond: BondSchema.nullable() }).openapi('ActiveBond')
