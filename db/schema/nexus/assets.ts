/**
 * The 3D asset registry with licensing (legal compliance) and asset usage analytics.
 */
import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { users } from './users'
import { instances } from './world'

/** Every GLB/GLTF model with licence, source and attribution. */
export const assets = pgTable(
  'assets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    assetName: text('asset_name').notNull().unique(),
    category: varchar('category', { length: 50 }).notNull(),
    glbPath: text('glb_path').notNull(),
    fileSizeBytes: bigint('file_size_bytes', { mode: 'number' }),
    fileHash: text('file_hash'),
    license: varchar('license', { length: 50 }).notNull(),
    source: varchar('source', { length: 50 }).notNull(),
    originalAuthor: text('original_author'),
    originalUrl: text('original_url'),
    ownerId: uuid('owner_id').references(() => users.id),
    ownerName: text('owner_name').default('poqpoq'),
    displayName: text('display_name'),
    description: text('description'),
    tags: text('tags').array(),
    thumbnailUrl: text('thumbnail_url'),
    polygonCount: integer('polygon_count'),
    hasAnimations: boolean('has_animations').default(false),
    hasCollisions: boolean('has_collisions').default(true),
    defaultScale: jsonb('default_scale').default({ x: 1, y: 1, z: 1 }),
    isActive: boolean('is_active').default(true),
    requiresQuest: boolean('requires_quest').default(false),
    requiresPremium: boolean('requires_premium').default(false),
    minUserLevel: integer('min_user_level').default(0),
    createdAt: timestamptz('created_at').defaultNow(),
    updatedAt: timestamptz('updated_at').defaultNow(),
    lastUsed: timestamptz('last_used'),
  },
  (t) => [
    index('idx_assets_category').on(t.category),
    index('idx_assets_name').on(t.assetName),
    index('idx_assets_owner').on(t.ownerId),
    index('idx_assets_license').on(t.license),
    index('idx_assets_source').on(t.source),
    index('idx_assets_tags').using('gin', t.tags),
    index('idx_assets_active')
      .on(t.isActive)
      .where(sql`is_active = TRUE`),
  ],
)

/** Asset placement, removal and viewing events. */
export const assetUsage = pgTable(
  'asset_usage',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    assetId: uuid('asset_id').references(() => assets.id),
    usedBy: uuid('used_by').references(() => users.id),
    instanceId: uuid('instance_id').references(() => instances.id),
    action: varchar('action', { length: 20 }),
    timestamp: timestamptz('timestamp').defaultNow(),
  },
  (t) => [index('idx_asset_usage_asset').on(t.assetId), index('idx_asset_usage_user').on(t.usedBy)],
)

/** An asset row. */
export type Asset = typeof assets.$inferSelect
/** Values for inserting an asset. */
export type NewAsset = typeof assets.$inferInsert
/** An asset usage row. */
export type AssetUsage = typeof assetUsage.$inferSelect
/** Values for inserting an asset usage row. */
export type NewAssetUsage = typeof assetUsage.$inferInsert
