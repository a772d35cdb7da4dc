/** Inventories, gifts, grants and item history: request and response schemas (snake_case). */
import { z } from '@hono/zod-openapi'
import { ItemSchema, ItemTypeSchema } from '../items/schemas'
import { idSchema } from '../lib/ids'
import { TimestampIdPageQuerySchema } from '../lib/pagination'
import { labelSchema } from '../lib/text'

/** Slots of an inventory: `slot_position` is 0 … MAX_INVENTORY_SLOTS − 1. */
export const MAX_INVENTORY_SLOTS = 1000
/** Largest quantity one request moves (a stack is at most 1,000,000 anyway). */
export const MAX_UNITS_PER_REQUEST = 1_000_000
/** Different items one grant may carry. */
export const MAX_ITEMS_PER_GRANT = 50

/** How many units: a positive whole number. */
export const QuantitySchema = z
  .number({ error: 'quantity must be a number' })
  .int({ error: 'quantity must be a whole number' })
  .min(1, { error: 'quantity must be at least 1' })
  .max(MAX_UNITS_PER_REQUEST, { error: `quantity must be at most ${MAX_UNITS_PER_REQUEST}` })

/** `#RRGGBB`. */
const ColorSchema = z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: 'expected #RRGGBB' })

/**
 * The `custom_properties` a player may edit (null removes the key). The others the seed shows
 * (`enchantments`, `wear_percentage`, `placed_in_instance`, `placed_at`) belong to the game.
 */
export const PLAYER_EDITABLE_PROPERTIES = ['renamed_to', 'custom_color'] as const

export const UpdateStackBodySchema = z
  .strictObject({
    slot_position: z
      .number()
      .int()
      .min(0)
      .max(MAX_INVENTORY_SLOTS - 1)
      .nullable()
      .optional()
      .openapi({ description: 'A free slot of your inventory, or null to unslot' }),
    custom_properties: z
      .strictObject({
        renamed_to: labelSchema(100).nullable().optional(),
        custom_color: ColorSchema.nullable().optional(),
      })
      .refine((p) => Object.keys(p).length > 0, { error: 'nothing to update' })
      .optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to update' })
  .openapi('UpdateInventoryStackBody')

export type UpdateStackBody = z.infer<typeof UpdateStackBodySchema>

/** `POST …/consume` and `…/drop`. */
export const UnitsBodySchema = z
  .strictObject({ quantity: QuantitySchema.default(1) })
  .openapi('InventoryUnitsBody')

export type UnitsBody = z.infer<typeof UnitsBodySchema>

export const GiftBodySchema = z
  .strictObject({
    to_user_id: idSchema('to_user_id'),
    item_id: idSchema('item_id'),
    quantity: QuantitySchema,
    note: labelSchema(200).optional(),
  })
  .openapi('ItemGiftBody')

/** One line of a grant. */
export const ItemUnitsSchema = z.strictObject({
  item_id: idSchema('item_id'),
  quantity: QuantitySchema,
})

/** Why units are granted: an operator's grant, or a quest's reward. */
export const GRANT_KINDS = ['admin_grant', 'quest_reward'] as const
export type GrantKind = (typeof GRANT_KINDS)[number]

export const GrantBodySchema = z
  .strictObject({
    user_id: idSchema('user_id'),
    items: z.array(ItemUnitsSchema).min(1).max(MAX_ITEMS_PER_GRANT),
    reason: labelSchema(500).refine((r) => r.length >= 3, { error: 'at least 3 characters' }),
    kind: z.enum(GRANT_KINDS).default('admin_grant'),
    reference_id: idSchema('reference_id')
      .optional()
      .openapi({ description: 'What the grant is for (a quest session, a support ticket)' }),
  })
  .openapi('ItemGrantBody')

export const StackSchema = z
  .object({
    item_id: z.uuid(),
    quantity: z.number().int(),
    slot_position: z.number().int().nullable(),
    custom_properties: z.record(z.string(), z.unknown()),
    acquired_at: z.string().nullable(),
    item: ItemSchema,
  })
  .openapi('InventoryStack')

/** What another player sees of a stack (no slots, no timestamps, only the cosmetic properties). */
export const PublicStackSchema = z
  .object({
    item_id: z.uuid(),
    quantity: z.number().int(),
    custom_properties: z.record(z.string(), z.unknown()),
    item: ItemSchema,
  })
  .openapi('PublicInventoryStack')

const MovedUnitsSchema = z.object({ item_id: z.uuid(), quantity: z.number().int() })

/** A `transactions` row that moved items. */
export const ItemMovementSchema = z
  .object({
    id: z.uuid(),
    transaction_type: z.string(),
    from_user_id: z.uuid().nullable(),
    to_user_id: z.uuid().nullable(),
    items: z.array(MovedUnitsSchema),
    reference_id: z.uuid().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    timestamp: z.string().nullable(),
  })
  .openapi('ItemMovement')

export const GiftSchema = z
  .object({
    id: z.uuid(),
    from_user_id: z.uuid(),
    to_user_id: z.uuid(),
    item_id: z.uuid(),
    quantity: z.number().int(),
    note: z.string().nullable(),
    remaining: z.number().int().openapi({ description: 'Units of the item you still hold' }),
    created_at: z.string().nullable(),
  })
  .openapi('ItemGift')

export const GrantSchema = z
  .object({
    id: z.uuid(),
    user_id: z.uuid(),
    kind: z.enum(GRANT_KINDS),
    items: z.array(MovedUnitsSchema.extend({ held: z.number().int() })),
    reason: z.string(),
    reference_id: z.uuid().nullable(),
    created_at: z.string().nullable(),
  })
  .openapi('ItemGrant')

export const UnitsResultSchema = z
  .object({
    item_id: z.uuid(),
    quantity: z.number().int().openapi({ description: 'Units consumed or dropped' }),
    remaining: z.number().int(),
    transaction_id: z.uuid(),
  })
  .openapi('InventoryUnitsResult')

export const ItemIdParamSchema = z.object({ item_id: idSchema('item_id') })
export const UserIdParamSchema = z.object({ id: idSchema('id') })

/** Inventories are listed by acquisition, newest first; `type` filters by item type. */
export const ListInventoryQuerySchema = TimestampIdPageQuerySchema.extend({
  type: ItemTypeSchema.optional(),
})
