/**
 * Buildings placed in instances; each records the licence of its asset at placement
 * (trigger `trigger_populate_license_snapshot`).
 */
import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uuid,
} from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { assets } from './assets'
import { items } from './items'
import { users } from './users'
import { instances } from './world'

/** Placed structures with transform, interactions and licence snapshot. */
export const buildings = pgTable(
  'buildings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    instanceId: uuid('instance_id').references(() => instances.id),
    ownerId: uuid('owner_id').references(() => users.id),
    itemId: uuid('item_id').references(() => items.id),
    assetId: uuid('asset_id').references(() => assets.id),
    placedByCompanion: text('placed_by_companion'),
    licenseSnapshot: jsonb('license_snapshot').default({}),
    name: text('name'),
    // When omitted and asset_id is given, the trigger copies the asset's glb_path.
    glbPath: text('glb_path').notNull(),
    position: jsonb('position').notNull().default({ x: 0, y: 0, z: 0 }),
    rotation: jsonb('rotation').default({ x: 0, y: 0, z: 0, w: 1 }),
    scale: jsonb('scale').default({ x: 1, y: 1, z: 1 }),
    isPublic: boolean('is_public').default(false),
    interactions: jsonb('interactions').default({}),
    createdAt: timestamptz('created_at').defaultNow(),
    lastModified: timestamptz('last_modified').defaultNow(),
    modifiedBy: uuid('modified_by').references(() => users.id),
    // Migration 0031: the instance's building version at the last change of this row.
    version: bigint('version', { mode: 'number' }).notNull().default(0),
    // Migration 0031: placing it took a unit of item_id from owner_id's inventory.
    fromInventory: boolean('from_inventory').notNull().default(false),
  },
  (t) => [
    check(
      'buildings_unit_has_owner_and_item',
      sql`NOT ${t.fromInventory} OR (${t.ownerId} IS NOT NULL AND ${t.itemId} IS NOT NULL)`,
    ),
    index('idx_buildings_instance_created').on(t.instanceId, t.createdAt, t.id),
    index('idx_buildings_instance').on(t.instanceId),
    index('idx_buildings_owner').on(t.ownerId),
    index('idx_buildings_asset').on(t.assetId),
    index('idx_buildings_companion').on(t.placedByCompanion),
  ],
)

/**
 * Per instance: the version of its buildings (bumped by every placement, move and removal) and
 * how many it holds.
 */
export const instanceBuildingVersions = pgTable(
  'instance_building_versions',
  {
    instanceId: uuid('instance_id')
      .primaryKey()
      .references(() => instances.id, { onDelete: 'cascade' }),
    version: bigint('version', { mode: 'number' }).notNull().default(0),
    buildingCount: integer('building_count').notNull().default(0),
  },
  (t) => [
    check('instance_building_versions_version_check', sql`${t.version} >= 0`),
    check('instance_building_versions_building_count_check', sql`${t.buildingCount} >= 0`),
  ],
)

/** A building row. */
export type Building = typeof buildings.$inferSelect
/** Values for inserting a building. */
export type NewBuilding = typeof buildings.$inferInsert
