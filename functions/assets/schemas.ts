/** The asset registry: request and response schemas (snake_case, the seed's columns). */
import { z } from '@hono/zod-openapi'
import { idSchema } from '../lib/ids'
import { pageQuery } from '../lib/pagination'
import { assetPathSchema, labelSchema, textSchema } from '../lib/text'

/** Why a licence check refuses an asset (SQL `asset_license_refusals`, db/README decision 66). */
export const LICENSE_REFUSALS = [
  'asset_not_found',
  'inactive',
  'owner_only',
  'premium_required',
  'level_required',
  'quest_required',
] as const
export type LicenseRefusal = (typeof LICENSE_REFUSALS)[number]

const slug = (name: string, max: number) =>
  z.string().regex(new RegExp(`^[a-z0-9_]{1,${max}}$`), {
    error: `${name} must be 1–${max} characters of a-z, 0-9 or _`,
  })

/** `asset_name`: the registry's unique key (`fir_sapling`). */
const AssetNameSchema = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,127}$/, {
  error: 'asset_name must be 1–128 characters of a-z, 0-9, _ . - starting with a letter or digit',
})
/** A licence identifier: `CC0`, `CC-BY-4.0`, `proprietary`, `user_owned`, … */
const LicenseSchema = z.string().regex(/^[A-Za-z0-9_.+-]{1,50}$/, {
  error: 'license must be 1–50 characters of letters, digits, _ . + -',
})
const Vector3Schema = z.strictObject({
  x: z.number().positive().max(1000),
  y: z.number().positive().max(1000),
  z: z.number().positive().max(1000),
})

const assetFields = {
  asset_name: AssetNameSchema,
  category: slug('category', 50),
  glb_path: assetPathSchema,
  file_size_bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
  file_hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { error: 'file_hash must be a lower-case SHA-256 hex digest' })
    .nullable(),
  license: LicenseSchema,
  source: slug('source', 50),
  original_author: labelSchema(200).nullable(),
  original_url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .nullable(),
  owner_id: idSchema('owner_id').nullable(),
  owner_name: labelSchema(200).nullable(),
  display_name: labelSchema(200).nullable(),
  description: textSchema(2000).nullable(),
  tags: z.array(slug('tag', 50)).max(32),
  thumbnail_url: assetPathSchema.nullable(),
  polygon_count: z.number().int().min(0).nullable(),
  has_animations: z.boolean(),
  has_collisions: z.boolean(),
  default_scale: Vector3Schema,
  is_active: z.boolean(),
  requires_quest: z.boolean(),
  requires_premium: z.boolean(),
  min_user_level: z.number().int().min(0).max(100),
}

/** A `user_owned` asset names its owner (the one user its licence lets use it). */
const ownerRule = (body: { license?: string; owner_id?: string | null }) =>
  body.license !== 'user_owned' || typeof body.owner_id === 'string'
const ownerRuleError = { error: 'a user_owned asset needs an owner_id', path: ['owner_id'] }

const AssetFieldsSchema = z.strictObject(assetFields)

export const CreateAssetBodySchema = AssetFieldsSchema.partial()
  .required({ asset_name: true, category: true, glb_path: true, license: true, source: true })
  .refine(ownerRule, ownerRuleError)
  .openapi('CreateAssetBody')

/** The fields given replace the stored ones; `user_owned` still needs an owner afterwards. */
export const UpdateAssetBodySchema = AssetFieldsSchema.partial()
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to update' })
  .openapi('UpdateAssetBody')

export type CreateAssetBody = z.infer<typeof CreateAssetBodySchema>
export type UpdateAssetBody = z.infer<typeof UpdateAssetBodySchema>

export const AssetSchema = z
  .object({
    id: z.uuid(),
    asset_name: z.string(),
    category: z.string(),
    glb_path: z.string(),
    file_size_bytes: z.number().int().nullable(),
    file_hash: z.string().nullable(),
    license: z.string(),
    source: z.string(),
    original_author: z.string().nullable(),
    original_url: z.string().nullable(),
    owner_id: z.uuid().nullable(),
    owner_name: z.string().nullable(),
    display_name: z.string().nullable(),
    description: z.string().nullable(),
    tags: z.array(z.string()),
    thumbnail_url: z.string().nullable(),
    polygon_count: z.number().int().nullable(),
    has_animations: z.boolean(),
    has_collisions: z.boolean(),
    default_scale: z.record(z.string(), z.unknown()),
    is_active: z.boolean(),
    requires_quest: z.boolean(),
    requires_premium: z.boolean(),
    min_user_level: z.number().int(),
    created_at: z.string().nullable(),
    updated_at: z.string().nullable(),
    last_used: z.string().nullable(),
  })
  .openapi('Asset')

/** An asset with the in-world display line of `get_asset_info`. */
export const AssetInfoSchema = AssetSchema.extend({
  attribution: z
    .string()
    .openapi({ description: '`get_asset_info`: who made it, where from, licence' }),
}).openapi('AssetInfo')

export const LicenseCheckSchema = z
  .object({
    asset_id: z.uuid(),
    user_id: z.uuid(),
    can_use: z.boolean(),
    requires_attribution: z.boolean(),
    attribution_text: z.string().nullable(),
    refusals: z.array(z.enum(LICENSE_REFUSALS)),
  })
  .openapi('AssetLicenseCheck')

export const PopularAssetSchema = z
  .object({
    asset_id: z.uuid(),
    asset_name: z.string(),
    display_name: z.string().nullable(),
    category: z.string(),
    usage_count: z.number().int(),
    unique_users: z.number().int(),
  })
  .openapi('PopularAsset')

export const AssetIdParamSchema = z.object({ id: idSchema('id') })

/** The registry is listed by `asset_name` (unique). */
export const ListAssetsQuerySchema = pageQuery(z.object({ n: z.string().max(128) })).extend({
  category: slug('category', 50).optional(),
  license: LicenseSchema.optional(),
  tag: slug('tag', 50).optional(),
  q: labelSchema(100)
    .optional()
    .openapi({ description: 'Text in the name, display name or description (case-insensitive)' }),
  include_inactive: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .openapi({ description: 'Admins only: also list deactivated assets' }),
})

/** Popular assets: most placements first, then by name. */
export const PopularAssetsQuerySchema = pageQuery(
  z.object({ c: z.number().int().min(0), n: z.string().max(128) }),
)
