/**
 * Catalogue items and item templates: request and response schemas. Resources mirror the seed's
 * columns (snake_case).
 */
import { z } from '@hono/zod-openapi'
import { idSchema } from '../lib/ids'
import { pageQuery, TimestampIdPageQuerySchema } from '../lib/pagination'
import { assetPathSchema, boundedJsonObject, labelSchema, textSchema } from '../lib/text'

/** Item kinds (seed: `items.type`). `building` and `decoration` items can be placed. */
export const ITEM_TYPES = [
  'weapon',
  'clothing',
  'building',
  'consumable',
  'decoration',
  'seed',
] as const
/** Item types a player can place into an instance as a building. */
export const PLACEABLE_ITEM_TYPES: readonly ItemType[] = ['building', 'decoration']
/** Rarities, most common first (seed: `items.rarity`). */
export const RARITIES = ['common', 'uncommon', 'rare', 'epic', 'legendary'] as const

export type ItemType = (typeof ITEM_TYPES)[number]
export type Rarity = (typeof RARITIES)[number]

/** Largest `max_stack_size`: a stack's quantity stays far from integer overflow. */
export const MAX_STACK_SIZE_LIMIT = 1_000_000
/** Largest `base_value`. */
export const MAX_BASE_VALUE = 1_000_000_000
/** Bytes `properties` may take once serialized. */
export const MAX_ITEM_PROPERTIES_BYTES = 16 * 1024
/** Bytes a template's `template_data` or `generation_rules` may take once serialized. */
export const MAX_TEMPLATE_JSON_BYTES = 32 * 1024

export const ItemTypeSchema = z.enum(ITEM_TYPES, {
  error: `type must be one of ${ITEM_TYPES.join(', ')}`,
})
export const RaritySchema = z.enum(RARITIES, {
  error: `rarity must be one of ${RARITIES.join(', ')}`,
})

/**
 * `items.properties`: the seed's free JSON (dimensions, interactions, energy cost, growth stages).
 * `asset_id`, when present, names the registry asset a placeable item is built from: placing it
 * runs that asset's licence check.
 */
export const ItemPropertiesSchema = boundedJsonObject(MAX_ITEM_PROPERTIES_BYTES, {
  asset_id: idSchema('properties.asset_id').optional(),
})

const itemFields = {
  name: labelSchema(200),
  type: ItemTypeSchema,
  rarity: RaritySchema,
  glb_path: assetPathSchema.nullable(),
  icon_path: assetPathSchema.nullable(),
  base_value: z.number().int().min(0).max(MAX_BASE_VALUE),
  is_tradeable: z.boolean(),
  is_consumable: z.boolean(),
  max_stack_size: z.number().int().min(1).max(MAX_STACK_SIZE_LIMIT),
  properties: ItemPropertiesSchema,
}

/** `POST /v1/items`: a new catalogue item; the caller becomes its creator. */
export const CreateItemBodySchema = z
  .strictObject({
    name: itemFields.name,
    type: itemFields.type,
    rarity: itemFields.rarity.default('common'),
    glb_path: itemFields.glb_path.optional(),
    icon_path: itemFields.icon_path.optional(),
    base_value: itemFields.base_value.default(1),
    is_tradeable: itemFields.is_tradeable.default(true),
    is_consumable: itemFields.is_consumable.default(false),
    max_stack_size: itemFields.max_stack_size.default(1),
    properties: itemFields.properties.default({}),
  })
  .openapi('CreateItemBody')

/** `PATCH /v1/items/:id`: the fields given replace the stored ones. */
export const UpdateItemBodySchema = z
  .strictObject(itemFields)
  .partial()
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to update' })
  .openapi('UpdateItemBody')

export type CreateItemBody = z.infer<typeof CreateItemBodySchema>
export type UpdateItemBody = z.infer<typeof UpdateItemBodySchema>

export const ItemSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    type: z.string(),
    rarity: z.string().nullable(),
    glb_path: z.string().nullable(),
    icon_path: z.string().nullable(),
    base_value: z.number().int().nullable(),
    is_tradeable: z.boolean(),
    is_consumable: z.boolean(),
    max_stack_size: z.number().int(),
    properties: z.record(z.string(), z.unknown()),
    creator_id: z.uuid().nullable(),
    created_at: z.string().nullable(),
  })
  .openapi('Item')

export const ItemIdParamSchema = z.object({ id: idSchema('id') })

const booleanQuery = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .optional()

/** The catalogue's order: by name, then id. */
export const ItemCursorSchema = z.object({ n: z.string().max(200), id: z.uuid() })

export const ListItemsQuerySchema = pageQuery(ItemCursorSchema).extend({
  type: ItemTypeSchema.optional(),
  rarity: RaritySchema.optional(),
  is_tradeable: booleanQuery,
  creator_id: idSchema('creator_id').optional(),
  q: labelSchema(100).optional().openapi({ description: 'Text in the name (case-insensitive)' }),
})

// ---------------------------------------------------------------- item creators

export const ItemCreatorSchema = z
  .object({
    user_id: z.uuid(),
    username: z.string(),
    granted_by: z.uuid().nullable(),
    granted_at: z.string().nullable(),
  })
  .openapi('ItemCreator')

export const UserIdParamSchema = z.object({ user_id: idSchema('user_id') })

/** Creators are listed by the time they were allowed, newest first. */
export const ListCreatorsQuerySchema = TimestampIdPageQuerySchema

// ---------------------------------------------------------------- templates

const slug = z.string().regex(/^[a-z0-9_]{1,64}$/, {
  error: 'expected 1–64 characters of a-z, 0-9 or _',
})

/** One variable component: a list of choices, or an integer range. */
export const VariableComponentSchema = z.union([
  z
    .array(z.union([textSchema(100), z.number().finite(), z.boolean()]))
    .min(1)
    .max(50),
  z
    .strictObject({ min: z.number().int(), max: z.number().int() })
    .refine((range) => range.min <= range.max, { error: 'min must not exceed max' }),
])

/**
 * `item_templates.template_data` (the seed's example: `base_model`, `variable_components`,
 * `size_scaling`), plus what a generated item needs: `item_type` (defaults to the template's
 * category), `name_pattern` (`{component}`, `{size}` and `{base_model}` are replaced), paths.
 * Other keys are kept as they are.
 */
export const TemplateDataSchema = boundedJsonObject(MAX_TEMPLATE_JSON_BYTES, {
  base_model: slug,
  item_type: ItemTypeSchema.optional(),
  name_pattern: labelSchema(200).optional(),
  glb_path: assetPathSchema.optional(),
  icon_path: assetPathSchema.optional(),
  variable_components: z
    .record(slug, VariableComponentSchema)
    .refine((c) => Object.keys(c).length <= 32, { error: 'at most 32 components' })
    .default({}),
  size_scaling: z
    .record(
      slug,
      z.strictObject({
        multiplier: z.number().positive().max(1000),
        value: z.number().int().min(0).max(MAX_BASE_VALUE),
      }),
    )
    .refine((s) => Object.keys(s).length <= 16, { error: 'at most 16 sizes' })
    .optional(),
})

/**
 * `item_templates.generation_rules`: how a generated item's other fields are chosen. Rarity is
 * drawn with `rarity_weights` (integers; `common` when absent). Other keys are kept.
 */
export const GenerationRulesSchema = boundedJsonObject(MAX_TEMPLATE_JSON_BYTES, {
  rarity_weights: z
    .partialRecord(RaritySchema, z.number().int().min(0).max(1_000_000))
    .refine((w) => Object.values(w).some((v) => (v ?? 0) > 0), {
      error: 'at least one rarity needs a positive weight',
    })
    .optional(),
  is_tradeable: z.boolean().optional(),
  is_consumable: z.boolean().optional(),
  max_stack_size: itemFields.max_stack_size.optional(),
  base_value: itemFields.base_value.optional(),
})

export type TemplateData = z.infer<typeof TemplateDataSchema>
export type GenerationRules = z.infer<typeof GenerationRulesSchema>

/** A template's category: a slug (`building`, `weapon`, ...). */
const CategorySchema = z.string().regex(/^[a-z0-9_]{1,50}$/, {
  error: 'category must be 1–50 characters of a-z, 0-9 or _',
})

export const CreateTemplateBodySchema = z
  .strictObject({
    category: CategorySchema,
    template_data: TemplateDataSchema,
    generation_rules: GenerationRulesSchema.nullable().optional(),
  })
  .openapi('CreateItemTemplateBody')

export const UpdateTemplateBodySchema = z
  .strictObject({
    category: CategorySchema.optional(),
    template_data: TemplateDataSchema.optional(),
    generation_rules: GenerationRulesSchema.nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to update' })
  .openapi('UpdateItemTemplateBody')

export type CreateTemplateBody = z.infer<typeof CreateTemplateBodySchema>
export type UpdateTemplateBody = z.infer<typeof UpdateTemplateBodySchema>

export const ItemTemplateSchema = z
  .object({
    id: z.uuid(),
    category: z.string(),
    template_data: z.record(z.string(), z.unknown()),
    generation_rules: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string().nullable(),
  })
  .openapi('ItemTemplate')

/** Templates are listed newest first. */
export const ListTemplatesQuerySchema = TimestampIdPageQuerySchema.extend({
  category: CategorySchema.optional(),
})

/** Largest seed of the generator (a 32-bit unsigned integer). */
export const MAX_GENERATION_SEED = 0xffff_ffff

export const GenerateBodySchema = z
  .strictObject({
    seed: z.number().int().min(0).max(MAX_GENERATION_SEED).optional().openapi({
      description: 'The same template and seed give the same item; random when absent',
    }),
    name: labelSchema(200).optional().openapi({ description: "Overrides the template's name" }),
  })
  .openapi('GenerateItemBody')

export const GeneratedItemSchema = z
  .object({ template_id: z.uuid(), seed: z.number().int(), item: ItemSchema })
  .openapi('GeneratedItem')
