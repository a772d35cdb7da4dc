/**
 * Buildings placed in instances: request and response schemas. Positions and rotations use the
 * live room's own schemas (millimetres, unit quaternions), so a building sits where a player
 * could stand; the instance's bounds are checked by the service.
 */
import { z } from '@hono/zod-openapi'
import { buildingSnapshotSchema } from '../../durable-objects/instance-room/buildings'
import { positionSchema, rotationSchema } from '../../durable-objects/instance-room/protocol'
import { idSchema } from '../lib/ids'
import { TimestampIdPageQuerySchema } from '../lib/pagination'
import { jsonDepth, jsonHasNoNul, labelSchema, MAX_JSON_DEPTH, serializedBytes } from '../lib/text'

/** Buildings one instance may hold (placements beyond it are refused with 409). */
export const MAX_BUILDINGS_PER_INSTANCE = 1000
/** Smallest and largest scale along each axis. */
export const MIN_BUILDING_SCALE = 0.01
export const MAX_BUILDING_SCALE = 100
/** Bytes `interactions` may take once serialized. */
export const MAX_INTERACTIONS_BYTES = 8192

const slug = z.string().regex(/^[a-z0-9_]{1,64}$/, {
  error: 'expected 1–64 characters of a-z, 0-9 or _',
})

const scaleComponent = z
  .number()
  .min(MIN_BUILDING_SCALE)
  .max(MAX_BUILDING_SCALE)
  .transform((v) => Number(v.toFixed(4)))

/** `buildings.scale`: a positive factor per axis. */
export const ScaleSchema = z.strictObject({
  x: scaleComponent,
  y: scaleComponent,
  z: scaleComponent,
})

/**
 * `buildings.interactions`: named interactions (`door`, `storage`, `portal`, …), each an object
 * with a `type` (the seed's examples: toggle, inventory, teleport) and its own settings.
 */
export const InteractionsSchema = z
  .record(slug, z.object({ type: slug }).catchall(z.unknown()))
  .refine((value) => Object.keys(value).length <= 16, { error: 'at most 16 interactions' })
  .refine((value) => serializedBytes(value) <= MAX_INTERACTIONS_BYTES, {
    error: `interactions must serialize to at most ${MAX_INTERACTIONS_BYTES} bytes`,
  })
  .refine((value) => jsonDepth(value) <= MAX_JSON_DEPTH, {
    error: `interactions must nest at most ${MAX_JSON_DEPTH} levels deep`,
  })
  .refine(jsonHasNoNul, { error: 'must not contain a NUL character' })

/** A deity's name as `placed_by_companion` records it (`deity_artemis`). */
const CompanionSchema = z.string().regex(/^[a-z0-9_]{1,64}$/, {
  error: 'placed_by_companion must be 1–64 characters of a-z, 0-9 or _',
})

export const PlaceBuildingBodySchema = z
  .strictObject({
    item_id: idSchema('item_id')
      .optional()
      .openapi({ description: 'A building or decoration item of yours; one unit is placed' }),
    asset_id: idSchema('asset_id')
      .optional()
      .openapi({ description: 'Deity placements only: the registry asset to place' }),
    placed_by_companion: CompanionSchema.optional().openapi({
      description: 'Service tokens only: the deity placing it (`deity_artemis`); takes no unit',
    }),
    position: positionSchema,
    rotation: rotationSchema.optional(),
    scale: ScaleSchema.optional(),
    name: labelSchema(100).optional(),
    interactions: InteractionsSchema.optional(),
    is_public: z.boolean().optional(),
  })
  .refine((body) => body.item_id !== undefined || body.asset_id !== undefined, {
    error: 'item_id is required',
    path: ['item_id'],
  })
  .openapi('PlaceBuildingBody')

export const UpdateBuildingBodySchema = z
  .strictObject({
    position: positionSchema.optional(),
    rotation: rotationSchema.optional(),
    scale: ScaleSchema.optional(),
    name: labelSchema(100).nullable().optional(),
    interactions: InteractionsSchema.optional(),
    is_public: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to update' })
  .openapi('UpdateBuildingBody')

export type PlaceBuildingBody = z.infer<typeof PlaceBuildingBodySchema>
export type UpdateBuildingBody = z.infer<typeof UpdateBuildingBodySchema>

export const BuildingSchema = z.object(buildingSnapshotSchema.shape).openapi('Building')

export const BuildingsPageSchema = z
  .object({
    items: z.array(BuildingSchema),
    next_cursor: z.string().nullable(),
    version: z.number().int().openapi({
      description:
        'The version of the instance’s buildings when the page was read: every change up to it is in the page',
    }),
  })
  .openapi('BuildingsPage')

export const InstanceParamSchema = z.object({ id: idSchema('id') })
export const BuildingParamSchema = z.object({
  id: idSchema('id'),
  building_id: idSchema('building_id'),
})

/** An instance's buildings, oldest first; `owner_id` keeps one owner's. */
export const ListBuildingsQuerySchema = TimestampIdPageQuerySchema.extend({
  owner_id: idSchema('owner_id').optional(),
})
