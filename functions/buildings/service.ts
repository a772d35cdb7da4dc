/**
 * Buildings placed in instances (`/v1/instances/:id/buildings`).
 *
 * Rules:
 * - **place**: a player places one unit of a `building` or `decoration` item of theirs into an
 *   instance where they may build (`can_build` of their visitor permissions; the owner, instance
 *   admins and platform admins always), at a position inside the instance's bounds
 *   (`metadata.custom_properties.bounds`, the live room's area). The unit leaves their inventory
 *   in the same transaction (`takeUnits`, audited as `building_placed`). An item built from a
 *   registry asset (`properties.asset_id`) must pass the asset's licence check for the placer
 *   (`check_asset_license` with `min_user_level` and `requires_quest`); the building gets its
 *   licence snapshot (trigger) and `asset_usage` records the placement.
 * - **deity placements**: a `service` token with `placed_by_companion` places an item or asset
 *   for a deity: no owner, no unit taken; only the asset's legal rules apply (active, not someone
 *   else's `user_owned` asset), not the player progression gates.
 * - **see**: whoever can see the instance (a private instance's buildings are a 404 like it).
 * - **change** (PATCH: move, rename, interactions): the building's owner, visitors with
 *   `can_modify_buildings` (hosts always), platform admins and services.
 * - **remove** (DELETE): the same, and the owner even after losing access to the instance (it is
 *   their property). The unit returns to the owner's inventory (`giveUnits`, audited as
 *   `building_removed`); when the owner's stack is full the removal is refused (409 `stack_full`),
 *   never truncated.
 *
 * Every change locks the instance's `instance_building_versions` row first (then the building,
 * then inventory rows), bumps its version and stamps it on the building: versions of an instance
 * increase in commit order, which is what live clients order changes by
 * (`durable-objects/instance-room/buildings.ts`). At most `MAX_BUILDINGS_PER_INSTANCE` per instance.
 */
import { and, asc, eq, sql } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core'
import {
  assets,
  assetUsage,
  buildings,
  instanceBuildingVersions,
  instances,
  type Building,
  type Instance,
} from '../../db/schema/nexus'
import type { BuildingSnapshot } from '../../durable-objects/instance-room/buildings'
import { parseAreaBounds } from '../../durable-objects/instance-room/zones'
import { licenseCheck } from '../assets/service'
import { effectivePermissions, loadInstance } from '../instances/service'
import { PLACEABLE_ITEM_TYPES, type ItemType } from '../items/schemas'
import { existingUserId, loadItem } from '../items/service'
import { giveUnits, recordItemMovement, takeUnits } from '../inventory/service'
import { hasRole, type Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp } from '../lib/time'
import {
  MAX_BUILDINGS_PER_INSTANCE,
  type PlaceBuildingBody,
  type UpdateBuildingBody,
} from './schemas'

type Json = Record<string, unknown>
type Vector3 = { x: number; y: number; z: number }

/** The API representation of a building (also what `building` room events carry). */
export function buildingResource(row: Building): BuildingSnapshot {
  return {
    id: row.id,
    instance_id: row.instanceId!,
    owner_id: row.ownerId ?? null,
    item_id: row.itemId ?? null,
    asset_id: row.assetId ?? null,
    placed_by_companion: row.placedByCompanion ?? null,
    name: row.name ?? null,
    glb_path: row.glbPath,
    position: row.position as Vector3,
    rotation: (row.rotation ?? { x: 0, y: 0, z: 0, w: 1 }) as Vector3 & { w: number },
    scale: (row.scale ?? { x: 1, y: 1, z: 1 }) as Vector3,
    is_public: row.isPublic === true,
    interactions: (row.interactions ?? {}) as Json,
    license_snapshot: (row.licenseSnapshot ?? {}) as Json,
    from_inventory: row.fromInventory,
    version: row.version,
    created_at: isoTimestamp(row.createdAt),
    last_modified: isoTimestamp(row.lastModified),
    modified_by: row.modifiedBy ?? null,
  }
}

/** What the caller may do with the buildings of one instance. */
interface BuildingRights {
  instance: Instance
  canBuild: boolean
  canModify: boolean
}

/**
 * The instance and the caller's building rights; 404 when they may not see it. Services reach
 * every instance (deity placements go into private ones too).
 */
async function buildingRights(
  db: Db,
  instanceId: string,
  actor: Identity,
): Promise<BuildingRights> {
  if (hasRole(actor, 'service')) {
    const [instance] = await db.select().from(instances).where(eq(instances.id, instanceId))
    if (!instance) throw new ApiError('not_found', 'no instance with that id')
    return { instance, canBuild: true, canModify: true }
  }
  const { instance, visitor, access } = await loadInstance(db, instanceId, actor)
  const isHost = access.isOwner || access.isInstanceAdmin || hasRole(actor, 'admin')
  if (isHost) return { instance, canBuild: true, canModify: true }
  if (!visitor) return { instance, canBuild: false, canModify: false }
  const permissions = effectivePermissions(visitor.permissions, instance.metadata, access)
  return {
    instance,
    canBuild: permissions.can_build === true,
    canModify: permissions.can_modify_buildings === true,
  }
}

/** 400 unless `position` is inside the instance's area (x and z; the room's bounds). */
function assertInsideBounds(instance: Instance, position: Vector3): void {
  const bounds = parseAreaBounds(instance.metadata)
  const inside =
    position.x >= bounds.minX &&
    position.x <= bounds.maxX &&
    position.z >= bounds.minZ &&
    position.z <= bounds.maxZ
  if (!inside) {
    throw new ApiError('validation_error', 'the position is outside the instance’s area', [
      {
        path: ['position'],
        code: 'custom',
        message: `x must be within [${bounds.minX}, ${bounds.maxX}] and z within [${bounds.minZ}, ${bounds.maxZ}]`,
      },
    ])
  }
}

/**
 * Locks the instance's version row (creating it on the first building), adds 1 to its version
 * and `countChange` to its building count; returns both after the change.
 */
async function bumpBuildingsVersion(
  tx: Tx,
  instanceId: string,
  countChange: -1 | 0 | 1,
): Promise<{ version: number; buildingCount: number }> {
  const [row] = (
    await tx.execute<{ version: string | number; building_count: number }>(sql`
      INSERT INTO instance_building_versions (instance_id, version, building_count)
      VALUES (${instanceId}::uuid, 1, ${Math.max(countChange, 0)})
      ON CONFLICT (instance_id) DO UPDATE
        SET version = instance_building_versions.version + 1,
            building_count = instance_building_versions.building_count + ${countChange}
      RETURNING version, building_count`)
  ).rows
  return { version: Number(row.version), buildingCount: row.building_count }
}

/** The version of an instance's buildings (0 before the first). */
export async function buildingsVersionOf(db: Db, instanceId: string): Promise<number> {
  const [row] = await db
    .select({ version: instanceBuildingVersions.version })
    .from(instanceBuildingVersions)
    .where(eq(instanceBuildingVersions.instanceId, instanceId))
  return row?.version ?? 0
}

async function recordAssetUsage(
  tx: Tx,
  usage: {
    asset_id: string | null
    used_by: string | null
    instance_id: string
    action: 'placed' | 'removed'
  },
) {
  if (!usage.asset_id) return
  await tx.insert(assetUsage).values({
    assetId: usage.asset_id,
    usedBy: usage.used_by === null ? null : existingUserId(usage.used_by),
    instanceId: usage.instance_id,
    action: usage.action,
  })
  if (usage.action === 'placed') {
    await tx
      .update(assets)
      .set({ lastUsed: sql`now()` })
      .where(eq(assets.id, usage.asset_id))
  }
}

/** The asset a building of `item` shows: the item's `properties.asset_id`, or none. */
const assetOfItem = (properties: unknown): string | null => {
  const assetId = (properties as Json | null)?.asset_id
  return typeof assetId === 'string' ? assetId : null
}

/** Places a building (see the module's rules). */
export async function placeBuilding(
  db: Db,
  input: { actor: Identity; instance_id: string } & PlaceBuildingBody,
): Promise<BuildingSnapshot> {
  const { actor, instance_id: instanceId } = input
  const deity = input.placed_by_companion
  if (deity !== undefined && !hasRole(actor, 'service')) {
    throw new ApiError(
      'forbidden',
      'only services place buildings for a deity (placed_by_companion)',
    )
  }
  if (input.asset_id !== undefined && deity === undefined) {
    throw new ApiError(
      'validation_error',
      'players place items; asset_id is for deity placements',
      [{ path: ['asset_id'], code: 'custom', message: 'only with placed_by_companion' }],
    )
  }
  if (deity === undefined && input.item_id === undefined) {
    throw new ApiError('validation_error', 'item_id is required', [
      { path: ['item_id'], code: 'custom', message: 'required' },
    ])
  }
  return db.transaction(async (tx) => {
    const { instance, canBuild } = await buildingRights(tx, instanceId, actor)
    if (!canBuild) throw new ApiError('forbidden', 'you may not build in this instance (can_build)')
    assertInsideBounds(instance, input.position)

    const item = input.item_id === undefined ? null : await loadItem(tx, input.item_id)
    if (item && !PLACEABLE_ITEM_TYPES.includes(item.type as ItemType)) {
      throw new ApiError('conflict', 'only building and decoration items can be placed', {
        reason: 'not_placeable',
        item_id: item.id,
        type: item.type,
      })
    }
    const assetId = input.asset_id ?? assetOfItem(item?.properties)
    const ownerId = deity === undefined ? actor.userId : null
    let assetGlbPath: string | null = null
    let assetScale: Vector3 | null = null
    if (assetId) {
      const check = await licenseCheck(tx, assetId, ownerId)
      // A deity is not a player: only the asset's legal rules bind it, not progression gates.
      const binding =
        deity === undefined
          ? check.refusals
          : check.refusals.filter((r) => r === 'inactive' || r === 'owner_only')
      if (binding.length > 0) {
        throw new ApiError('forbidden', 'the asset’s licence does not let you place it', {
          asset_id: assetId,
          refusals: binding,
        })
      }
      const [asset] = await tx
        .select({ glbPath: assets.glbPath, defaultScale: assets.defaultScale })
        .from(assets)
        .where(eq(assets.id, assetId))
      assetGlbPath = asset.glbPath
      assetScale = (asset.defaultScale as Vector3 | null) ?? null
    }
    const glbPath = item?.glbPath ?? assetGlbPath
    if (!glbPath) {
      throw new ApiError('conflict', 'this item has no model to place (no glb_path, no asset)', {
        reason: 'no_model',
        item_id: item?.id,
      })
    }

    const { version, buildingCount } = await bumpBuildingsVersion(tx, instanceId, 1)
    if (buildingCount > MAX_BUILDINGS_PER_INSTANCE) {
      throw new ApiError(
        'conflict',
        `this instance already holds ${MAX_BUILDINGS_PER_INSTANCE} buildings`,
        {
          reason: 'instance_full',
          max_buildings: MAX_BUILDINGS_PER_INSTANCE,
        },
      )
    }
    const fromInventory = deity === undefined
    if (fromInventory)
      await takeUnits(tx, { user_id: actor.userId, item_id: item!.id, quantity: 1 })

    const [row] = await tx
      .insert(buildings)
      .values({
        instanceId,
        ownerId,
        itemId: item?.id ?? null,
        assetId,
        placedByCompanion: deity ?? null,
        name: input.name ?? item?.name ?? null,
        glbPath,
        position: input.position,
        rotation: input.rotation ?? { x: 0, y: 0, z: 0, w: 1 },
        scale: input.scale ?? assetScale ?? { x: 1, y: 1, z: 1 },
        isPublic: input.is_public ?? false,
        interactions: input.interactions ?? {},
        modifiedBy: ownerId === null ? null : existingUserId(ownerId),
        version,
        fromInventory,
      })
      .returning()
    await recordAssetUsage(tx, {
      asset_id: assetId,
      used_by: ownerId,
      instance_id: instanceId,
      action: 'placed',
    })
    if (fromInventory) {
      await recordItemMovement(tx, {
        transaction_type: 'building_placed',
        from_user_id: actor.userId,
        items: [{ item_id: item!.id, quantity: 1 }],
        reference_id: row.id,
        metadata: { instance_id: instanceId },
      })
    }
    return buildingResource(row)
  })
}

/** The buildings of an instance the caller may see, oldest first, with the version they reflect. */
export async function listBuildings(
  db: Db,
  input: {
    actor: Identity
    instance_id: string
    owner_id?: string
    limit: number
    cursor?: TimestampIdCursor
  },
) {
  const instanceId = input.instance_id
  await buildingRights(db, instanceId, input.actor)
  // Read before the rows: every change up to this version has committed, so the page has it.
  const version = await buildingsVersionOf(db, instanceId)
  const createdAt = sql`coalesce(${buildings.createdAt}, 'epoch'::timestamptz)`
  const rows = await db
    .select({ building: buildings, cursorT: cursorTimestamp(createdAt) })
    .from(buildings)
    .where(
      and(
        eq(buildings.instanceId, instanceId),
        input.owner_id ? eq(buildings.ownerId, input.owner_id) : undefined,
        afterTimestampId(createdAt, buildings.id, input.cursor, 'asc'),
      ),
    )
    .orderBy(asc(createdAt), asc(buildings.id))
    .limit(input.limit + 1)
  const page = pageOf(
    rows,
    input.limit,
    (r) => buildingResource(r.building),
    (r) => ({ t: r.cursorT, id: r.building.id }),
  )
  return { ...page, version }
}

async function findBuilding(db: Db, instanceId: string, buildingId: string) {
  const [row] = await db
    .select()
    .from(buildings)
    .where(and(eq(buildings.id, buildingId), eq(buildings.instanceId, instanceId)))
  if (!row) throw new ApiError('not_found', 'no building with that id in this instance')
  return row
}

/** One building of an instance the caller may see. */
export async function getBuilding(
  db: Db,
  input: { actor: Identity; instance_id: string; building_id: string },
) {
  await buildingRights(db, input.instance_id, input.actor)
  return buildingResource(await findBuilding(db, input.instance_id, input.building_id))
}

/**
 * Checks the caller may change or remove the building; `ownerAlwaysMay` lets its owner through
 * without seeing the instance (removal of one's own property).
 */
async function assertMayModify(
  db: Db,
  actor: Identity,
  building: Building,
  options: { ownerAlwaysMay: boolean },
): Promise<Instance | null> {
  const isOwner = building.ownerId !== null && building.ownerId === actor.userId
  if (isOwner && options.ownerAlwaysMay) return null
  const { instance, canModify } = await buildingRights(db, building.instanceId!, actor)
  if (!isOwner && !canModify) {
    throw new ApiError('forbidden', 'you may not change this building (can_modify_buildings)')
  }
  return instance
}

/** Locks the building row after the version row; 404 when it went away meanwhile. */
async function lockBuilding(tx: Tx, buildingId: string): Promise<Building> {
  const [row] = await tx.select().from(buildings).where(eq(buildings.id, buildingId)).for('update')
  if (!row) throw new ApiError('not_found', 'no building with that id in this instance')
  return row
}

/** Moves, renames or re-configures a building. */
export async function updateBuilding(
  db: Db,
  input: { actor: Identity; instance_id: string; building_id: string; changes: UpdateBuildingBody },
): Promise<BuildingSnapshot> {
  const { actor, instance_id: instanceId, building_id: buildingId, changes } = input
  return db.transaction(async (tx) => {
    const building = await findBuilding(tx, instanceId, buildingId)
    const instance = await assertMayModify(tx, actor, building, { ownerAlwaysMay: false })
    if (changes.position) assertInsideBounds(instance!, changes.position)
    const { version } = await bumpBuildingsVersion(tx, instanceId, 0)
    await lockBuilding(tx, buildingId)
    const set: PgUpdateSetSource<typeof buildings> = {
      version,
      lastModified: sql`now()`,
      modifiedBy: existingUserId(actor.userId),
    }
    if (changes.position) set.position = changes.position
    if (changes.rotation) set.rotation = changes.rotation
    if (changes.scale) set.scale = changes.scale
    if (changes.name !== undefined) set.name = changes.name
    if (changes.interactions) set.interactions = changes.interactions
    if (changes.is_public !== undefined) set.isPublic = changes.is_public
    const [row] = await tx
      .update(buildings)
      .set(set)
      .where(eq(buildings.id, buildingId))
      .returning()
    return buildingResource(row)
  })
}

/**
 * Removes a building; a unit taken from an inventory at placement goes back to the owner's
 * inventory in the same transaction. Returns the building as it was, with the removal's version.
 */
export async function removeBuilding(
  db: Db,
  input: { actor: Identity; instance_id: string; building_id: string },
): Promise<BuildingSnapshot> {
  const { actor, instance_id: instanceId, building_id: buildingId } = input
  return db.transaction(async (tx) => {
    const building = await findBuilding(tx, instanceId, buildingId)
    await assertMayModify(tx, actor, building, { ownerAlwaysMay: true })
    const { version } = await bumpBuildingsVersion(tx, instanceId, -1)
    const locked = await lockBuilding(tx, buildingId)
    await tx.delete(buildings).where(eq(buildings.id, buildingId))
    if (locked.fromInventory) {
      await giveUnits(tx, { user_id: locked.ownerId!, item_id: locked.itemId!, quantity: 1 })
      await recordItemMovement(tx, {
        transaction_type: 'building_removed',
        to_user_id: locked.ownerId,
        items: [{ item_id: locked.itemId!, quantity: 1 }],
        reference_id: buildingId,
        metadata: { instance_id: instanceId, removed_by: actor.userId },
      })
    }
    await recordAssetUsage(tx, {
      asset_id: locked.assetId,
      used_by: actor.userId,
      instance_id: instanceId,
      action: 'removed',
    })
    return { ...buildingResource(locked), version }
  })
}
