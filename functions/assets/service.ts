/**
 * The asset registry: every 3D model the world may show, with its licence. Everyone signed in
 * reads it (deactivated assets only by id, since placed buildings still show their attribution);
 * admins write it. `licenseCheck` is the one licence gate: the SQL functions
 * `asset_license_refusals` / `check_asset_license` (db/README decisions 16 and 66), used by the
 * license-check route and by every building placement.
 */
import { and, asc, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { assets, users, type Asset } from '../../db/schema/nexus'
import { containsPattern } from '../items/service'
import { hasRole, type Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import { pageOf } from '../lib/pagination'
import { constraintOf, isUniqueViolation } from '../lib/pg-errors'
import { isoTimestamp } from '../lib/time'
import type { CreateAssetBody, LicenseRefusal, UpdateAssetBody } from './schemas'

/** The API representation of an asset. */
export function assetResource(row: Asset) {
  return {
    id: row.id,
    asset_name: row.assetName,
    category: row.category,
    glb_path: row.glbPath,
    file_size_bytes: row.fileSizeBytes ?? null,
    file_hash: row.fileHash ?? null,
    license: row.license,
    source: row.source,
    original_author: row.originalAuthor ?? null,
    original_url: row.originalUrl ?? null,
    owner_id: row.ownerId ?? null,
    owner_name: row.ownerName ?? null,
    display_name: row.displayName ?? null,
    description: row.description ?? null,
    tags: row.tags ?? [],
    thumbnail_url: row.thumbnailUrl ?? null,
    polygon_count: row.polygonCount ?? null,
    has_animations: row.hasAnimations ?? false,
    has_collisions: row.hasCollisions ?? true,
    default_scale: (row.defaultScale ?? { x: 1, y: 1, z: 1 }) as Record<string, unknown>,
    is_active: row.isActive !== false,
    requires_quest: row.requiresQuest === true,
    requires_premium: row.requiresPremium === true,
    min_user_level: row.minUserLevel ?? 0,
    created_at: isoTimestamp(row.createdAt),
    updated_at: isoTimestamp(row.updatedAt),
    last_used: isoTimestamp(row.lastUsed),
  }
}

/** The outcome of a licence check for one user. */
export interface LicenseCheck {
  asset_id: string
  user_id: string | null
  can_use: boolean
  requires_attribution: boolean
  attribution_text: string | null
  refusals: LicenseRefusal[]
}

/**
 * Whether `userId` (null: nobody, e.g. a deity placement) may use the asset, and why not;
 * 404 for an unknown asset.
 */
export async function licenseCheck(
  db: Db,
  assetId: string,
  userId: string | null,
): Promise<LicenseCheck> {
  const { rows } = await db.execute<{
    can_use: boolean
    requires_attribution: boolean
    attribution_text: string | null
    refusals: LicenseRefusal[]
  }>(sql`
    SELECT c.can_use, c.requires_attribution, c.attribution_text,
           asset_license_refusals(${assetId}::uuid, ${userId}::uuid) AS refusals
    FROM check_asset_license(${assetId}::uuid, ${userId}::uuid) AS c`)
  const [row] = rows
  if (!row || row.refusals.includes('asset_not_found')) {
    throw new ApiError('not_found', 'no asset with that id')
  }
  return { asset_id: assetId, user_id: userId, ...row }
}

/** The registry by name; deactivated assets only for admins who ask for them. */
export async function listAssets(
  db: Db,
  input: {
    actor: Identity
    category?: string
    license?: string
    tag?: string
    q?: string
    include_inactive?: boolean
    limit: number
    cursor?: { n: string }
  },
) {
  if (input.include_inactive && !hasRole(input.actor, 'admin')) {
    throw new ApiError('forbidden', 'only admins list deactivated assets')
  }
  const text = input.q ? containsPattern(input.q) : undefined
  const rows = await db
    .select()
    .from(assets)
    .where(
      and(
        input.include_inactive ? undefined : sql`${assets.isActive} IS NOT FALSE`,
        input.category ? eq(assets.category, input.category) : undefined,
        input.license ? eq(assets.license, input.license) : undefined,
        input.tag ? sql`${assets.tags} @> ARRAY[${input.tag}]::text[]` : undefined,
        text
          ? sql`(${assets.assetName} ILIKE ${text} OR ${assets.displayName} ILIKE ${text}
                 OR ${assets.description} ILIKE ${text})`
          : undefined,
        input.cursor ? sql`${assets.assetName} > ${input.cursor.n}` : undefined,
      ),
    )
    .orderBy(asc(assets.assetName))
    .limit(input.limit + 1)
  return pageOf(rows, input.limit, assetResource, (row) => ({ n: row.assetName }))
}

/** One asset with its attribution line (`get_asset_info`); deactivated ones too. */
export async function getAssetInfo(db: Db, input: { actor: Identity; asset_id: string }) {
  const [row] = await db
    .select({
      asset: assets,
      attribution: sql<string>`(SELECT i.attribution FROM get_asset_info(${assets.id}) AS i)`,
    })
    .from(assets)
    .where(eq(assets.id, input.asset_id))
  if (!row) throw new ApiError('not_found', 'no asset with that id')
  return { ...assetResource(row.asset), attribution: row.attribution }
}

/** `popular_assets` (placements and distinct placers) over active assets, most placed first. */
export async function popularAssets(
  db: Db,
  input: { actor: Identity; limit: number; cursor?: { c: number; n: string } },
) {
  // The seed's view has no id; asset_name is unique, so it joins back to exactly one asset.
  const { rows } = await db.execute<{
    asset_id: string
    asset_name: string
    display_name: string | null
    category: string
    usage_count: number
    unique_users: number
  }>(sql`
    SELECT a.id AS asset_id, p.asset_name, p.display_name, p.category,
           p.usage_count::int AS usage_count, p.unique_users::int AS unique_users
    FROM popular_assets p
    JOIN assets a ON a.asset_name = p.asset_name AND a.is_active IS NOT FALSE
    ${
      input.cursor
        ? sql`WHERE (p.usage_count < ${input.cursor.c}
                 OR (p.usage_count = ${input.cursor.c} AND p.asset_name > ${input.cursor.n}))`
        : sql``
    }
    ORDER BY p.usage_count DESC, p.asset_name ASC
    LIMIT ${input.limit + 1}`)
  return pageOf(
    rows,
    input.limit,
    (row) => row,
    (row) => ({ c: row.usage_count, n: row.asset_name }),
  )
}

/** The caller's licence check for one asset. */
export async function checkLicenseFor(db: Db, input: { actor: Identity; asset_id: string }) {
  const check = await licenseCheck(db, input.asset_id, input.actor.userId)
  return { ...check, user_id: input.actor.userId }
}

const assetColumns = (body: Partial<CreateAssetBody>): Partial<typeof assets.$inferInsert> => {
  const columns: Partial<typeof assets.$inferInsert> = {
    assetName: body.asset_name,
    category: body.category,
    glbPath: body.glb_path,
    fileSizeBytes: body.file_size_bytes,
    fileHash: body.file_hash,
    license: body.license,
    source: body.source,
    originalAuthor: body.original_author,
    originalUrl: body.original_url,
    ownerId: body.owner_id,
    ownerName: body.owner_name,
    displayName: body.display_name,
    description: body.description,
    tags: body.tags,
    thumbnailUrl: body.thumbnail_url,
    polygonCount: body.polygon_count,
    hasAnimations: body.has_animations,
    hasCollisions: body.has_collisions,
    defaultScale: body.default_scale,
    isActive: body.is_active,
    requiresQuest: body.requires_quest,
    requiresPremium: body.requires_premium,
    minUserLevel: body.min_user_level,
  }
  return Object.fromEntries(Object.entries(columns).filter(([, v]) => v !== undefined))
}

async function assertOwnerExists(db: Db, ownerId: string | null | undefined) {
  if (!ownerId) return
  const [user] = await db.select({ id: users.id }).from(users).where(eq(users.id, ownerId))
  if (!user) {
    throw new ApiError('validation_error', 'owner_id names no user', [
      { path: ['owner_id'], code: 'custom', message: 'no such user' },
    ])
  }
}

const nameTaken = () =>
  new ApiError('conflict', 'another asset already has that asset_name', { reason: 'name_taken' })

/** Registers an asset (admin). */
export async function createAsset(db: Db, input: { actor: Identity } & CreateAssetBody) {
  const { actor: _actor, ...body } = input
  await assertOwnerExists(db, body.owner_id)
  try {
    const [row] = await db
      .insert(assets)
      .values(assetColumns(body) as typeof assets.$inferInsert)
      .returning()
    return assetResource(row)
  } catch (error) {
    if (isUniqueViolation(error) && constraintOf(error) === 'assets_asset_name_unique')
      throw nameTaken()
    throw error
  }
}

/**
 * Changes an asset (admin). Buildings placed before keep the licence snapshot of their placement:
 * the legal record does not follow the registry.
 */
export async function updateAsset(
  db: Db,
  input: { actor: Identity; asset_id: string; changes: UpdateAssetBody },
) {
  const { asset_id: assetId, changes } = input
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(assets).where(eq(assets.id, assetId)).for('update')
    if (!current) throw new ApiError('not_found', 'no asset with that id')
    const license = changes.license ?? current.license
    const ownerId = changes.owner_id !== undefined ? changes.owner_id : current.ownerId
    if (license === 'user_owned' && !ownerId) {
      throw new ApiError('validation_error', 'a user_owned asset needs an owner_id', [
        { path: ['owner_id'], code: 'custom', message: 'required for a user_owned asset' },
      ])
    }
    await assertOwnerExists(tx, changes.owner_id)
    try {
      const [row] = await tx
        .update(assets)
        .set({ ...assetColumns(changes), updatedAt: sql`now()` })
        .where(eq(assets.id, assetId))
        .returning()
      return assetResource(row)
    } catch (error) {
      if (isUniqueViolation(error) && constraintOf(error) === 'assets_asset_name_unique') {
        throw nameTaken()
      }
      throw error
    }
  })
}

/**
 * Deletes an asset nothing refers to (admin): no building, no usage record, no catalogue item
 * (`properties.asset_id`). Otherwise 409 with the counts: deactivate it instead (`is_active`).
 */
export async function deleteAsset(db: Db, input: { actor: Identity; asset_id: string }) {
  const assetId = input.asset_id
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ id: assets.id })
      .from(assets)
      .where(eq(assets.id, assetId))
      .for('update')
    if (!row) throw new ApiError('not_found', 'no asset with that id')
    const [uses] = (
      await tx.execute<{ buildings: number; usage: number; items: number }>(sql`
        SELECT (SELECT count(*)::int FROM buildings WHERE asset_id = ${assetId}::uuid) AS buildings,
               (SELECT count(*)::int FROM asset_usage WHERE asset_id = ${assetId}::uuid) AS usage,
               (SELECT count(*)::int FROM items WHERE properties ->> 'asset_id' = ${assetId}) AS items`)
    ).rows
    if (uses.buildings + uses.usage + uses.items > 0) {
      throw new ApiError(
        'conflict',
        'this asset is placed, recorded or named by items; deactivate it (is_active: false) instead',
        uses,
      )
    }
    await tx.delete(assets).where(eq(assets.id, assetId))
  })
}
