/**
 * Items: the catalog of item kinds, procedural item templates and what each user owns.
 */
import { sql } from 'drizzle-orm'
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { users } from './users'

/** Item definitions (weapons, clothing, buildings, consumables, decorations, seeds). */
export const items = pgTable(
  'items',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    type: varchar('type', { length: 50 }).notNull(),
    rarity: varchar('rarity', { length: 20 }).default('common'),
    glbPath: text('glb_path'),
    iconPath: text('icon_path'),
    baseValue: integer('base_value').default(1),
    // NOT NULL (migration 0030): gifts, consumption and grants depend on them.
    isTradeable: boolean('is_tradeable').notNull().default(true),
    isConsumable: boolean('is_consumable').notNull().default(false),
    maxStackSize: integer('max_stack_size').notNull().default(1),
    properties: jsonb('properties').default({}),
    creatorId: uuid('creator_id').references(() => users.id),
    createdAt: timestamptz('created_at').defaultNow(),
  },
  (t) => [
    index('idx_items_type').on(t.type),
    index('idx_items_rarity').on(t.rarity),
    index('idx_items_tradeable').on(t.isTradeable),
    index('idx_items_creator').on(t.creatorId),
    index('idx_items_name_id').on(t.name, t.id),
    check('items_max_stack_size_check', sql`${t.maxStackSize} >= 1`),
  ],
)

/** Templates for AI-generated items. */
export const itemTemplates = pgTable('item_templates', {
  id: uuid('id').primaryKey().defaultRandom(),
  category: varchar('category', { length: 50 }).notNull(),
  templateData: jsonb('template_data').notNull(),
  generationRules: jsonb('generation_rules'),
  createdAt: timestamptz('created_at').defaultNow(),
})

/**
 * Item ownership: one row per (user, item) with a positive quantity, never more than the item's
 * `max_stack_size` (trigger `trigger_enforce_inventory_stack_limit`), one stack per slot.
 */
export const inventories = pgTable(
  'inventories',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id),
    quantity: integer('quantity').notNull().default(1),
    customProperties: jsonb('custom_properties').default({}),
    acquiredAt: timestamptz('acquired_at').defaultNow(),
    slotPosition: integer('slot_position'),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.itemId] }),
    check('inventories_quantity_check', sql`${t.quantity} > 0`),
    check('inventories_slot_position_check', sql`${t.slotPosition} >= 0`),
    index('idx_inventories_user').on(t.userId),
    uniqueIndex('inventories_user_slot_unique')
      .on(t.userId, t.slotPosition)
      .where(sql`slot_position IS NOT NULL`),
  ],
)

/** Users the operators allow to create catalogue items (besides platform admins). */
export const itemCreators = pgTable('item_creators', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  grantedBy: uuid('granted_by').references(() => users.id, { onDelete: 'set null' }),
  grantedAt: timestamptz('granted_at').notNull().defaultNow(),
})

/** An item row. */
export type Item = typeof items.$inferSelect
/** Values for inserting an item. */
export type NewItem = typeof items.$inferInsert
/** An item template row. */
export type ItemTemplate = typeof itemTemplates.$inferSelect
/** Values for inserting an item template. */
export type NewItemTemplate = typeof itemTemplates.$inferInsert
/** An inventory row. */
export type Inventory = typeof inventories.$inferSelect
/** Values for inserting an inventory row. */
export type NewInventory = typeof inventories.$inferInsert
/** An item creator row. */
export type ItemCreator = typeof itemCreators.$inferSelect
