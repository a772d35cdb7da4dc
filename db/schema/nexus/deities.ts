/**
 * Deities and attributes: the 14 deities, their 42 blessings, user bonds (one active per user),
 * the attribute audit trail and the hidden-deity easter eggs (Thoth's tablets, Bob and Thoth).
 */
import { sql } from 'drizzle-orm'
import {
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  unique,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { users } from './users'

/** Deity registry: 12 of the ritual ring plus hidden Bob and Thoth. */
export const deities = pgTable(
  'deities',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    deityName: varchar('deity_name', { length: 50 }).notNull().unique(),
    displayName: text('display_name').notNull(),
    pantheon: varchar('pantheon', { length: 50 }).notNull(),
    gender: varchar('gender', { length: 20 }),
    primaryColor: varchar('primary_color', { length: 20 }),
    colorHex: varchar('color_hex', { length: 7 }),
    positionX: doublePrecision('position_x'),
    positionY: doublePrecision('position_y'),
    positionZ: doublePrecision('position_z'),
    minRankRequired: integer('min_rank_required').default(1),
    isHidden: boolean('is_hidden').default(false),
    unlockMethod: varchar('unlock_method', { length: 50 }),
    unlockDescription: text('unlock_description'),
    primaryAttribute: varchar('primary_attribute', { length: 20 }),
    secondaryAttribute: varchar('secondary_attribute', { length: 20 }),
    voicePersonality: varchar('voice_personality', { length: 50 }),
    personalityArchetype: varchar('personality_archetype', { length: 50 }),
    inRitualRing: boolean('in_ritual_ring').default(true),
    isActive: boolean('is_active').default(true),
    loreDescription: text('lore_description'),
    quote: text('quote'),
    createdAt: timestamptz('created_at').defaultNow(),
  },
  (t) => [
    index('idx_deities_pantheon').on(t.pantheon, t.minRankRequired),
    index('idx_deities_rank_unlock').on(t.minRankRequired, t.inRitualRing),
    index('idx_deities_hidden').on(t.isHidden, t.isActive),
  ],
)

/** Blessings a deity grants (3 per deity): two attribute bonuses each. */
export const deityBlessings = pgTable(
  'deity_blessings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    deityId: uuid('deity_id')
      .notNull()
      .references(() => deities.id),
    blessingName: varchar('blessing_name', { length: 50 }).notNull(),
    displayName: text('display_name').notNull(),
    description: text('description'),
    primaryAttribute: varchar('primary_attribute', { length: 20 }).notNull(),
    primaryBonus: integer('primary_bonus').notNull(),
    secondaryAttribute: varchar('secondary_attribute', { length: 20 }).notNull(),
    secondaryBonus: integer('secondary_bonus').notNull(),
    themeArchetype: varchar('theme_archetype', { length: 50 }),
    companionVariant: varchar('companion_variant', { length: 50 }),
  },
  (t) => [unique('deity_blessings_deity_id_blessing_name_unique').on(t.deityId, t.blessingName)],
)

/** A user's bond with a deity blessing; at most one active bond per user. */
export const userDeityBonds = pgTable(
  'user_deity_bonds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    deityId: uuid('deity_id')
      .notNull()
      .references(() => deities.id),
    blessingId: uuid('blessing_id')
      .notNull()
      .references(() => deityBlessings.id),
    bondedAt: timestamptz('bonded_at').defaultNow(),
    unbondedAt: timestamptz('unbonded_at'),
    isActive: boolean('is_active').notNull().default(true),
    // Filled from the user's faith by trigger_initialize_bond_amplification when omitted.
    faithAtBonding: integer('faith_at_bonding'),
    currentAmplification: doublePrecision('current_amplification').default(1.0),
    questsCompletedForDeity: integer('quests_completed_for_deity').default(0),
    offeringsMade: integer('offerings_made').default(0),
    daysBonded: integer('days_bonded').default(0),
  },
  (t) => [
    index('idx_deity_bonds_user_active').on(t.userId, t.isActive),
    index('idx_deity_bonds_deity').on(t.deityId, t.isActive),
    // The seed's text says one active bond per user; its index (user_id, deity_id) would allow one
    // per deity. The index follows the text.
    uniqueIndex('idx_deity_bonds_user_active_unique')
      .on(t.userId)
      .where(sql`is_active = TRUE`),
  ],
)

/** Attribute changes with their source, one row per non-zero change. */
export const attributeTransactions = pgTable(
  'attribute_transactions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    attributeName: varchar('attribute_name', { length: 20 }).notNull(),
    amountChange: integer('amount_change').notNull(),
    sourceType: varchar('source_type', { length: 50 }).notNull(),
    sourceId: uuid('source_id'),
    metadata: jsonb('metadata').default({}),
    createdAt: timestamptz('created_at').defaultNow(),
  },
  (t) => [
    index('idx_attribute_transactions_user').on(t.userId, t.createdAt.desc().nullsFirst()),
    index('idx_attribute_transactions_type').on(t.attributeName, t.sourceType),
    // Keyset pages of a user's history (0022).
    index('idx_attribute_transactions_user_page').on(
      t.userId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
  ],
)

/** Thoth's 13 akashic tablets found by each user. */
export const akashicTabletDiscoveries = pgTable(
  'akashic_tablet_discoveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    tabletNumber: integer('tablet_number').notNull(),
    tabletName: text('tablet_name'),
    loreText: text('lore_text'),
    locationFound: jsonb('location_found'),
    discoveredAt: timestamptz('discovered_at').defaultNow(),
  },
  (t) => [
    check(
      'akashic_tablet_discoveries_tablet_number_check',
      sql`${t.tabletNumber} BETWEEN 1 AND 13`,
    ),
    unique('akashic_tablet_discoveries_user_id_tablet_number_unique').on(t.userId, t.tabletNumber),
    index('idx_tablet_discoveries_user').on(t.userId, t.tabletNumber),
  ],
)

/** Discoveries of the hidden deities (Bob, Thoth). */
export const hiddenDeityDiscoveries = pgTable(
  'hidden_deity_discoveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    deityName: varchar('deity_name', { length: 50 }).notNull(),
    discoveredAt: timestamptz('discovered_at').defaultNow(),
    discoveryMethod: varchar('discovery_method', { length: 50 }),
  },
  (t) => [
    unique('hidden_deity_discoveries_user_id_deity_name_unique').on(t.userId, t.deityName),
    index('idx_hidden_deity_discoveries_user').on(t.userId, t.discoveredAt.desc().nullsFirst()),
  ],
)

/** A deity row. */
export type Deity = typeof deities.$inferSelect
/** Values for inserting a deity. */
export type NewDeity = typeof deities.$inferInsert
/** A blessing row. */
export type DeityBlessing = typeof deityBlessings.$inferSelect
/** Values for inserting a blessing. */
export type NewDeityBlessing = typeof deityBlessings.$inferInsert
/** A bond row. */
export type UserDeityBond = typeof userDeityBonds.$inferSelect
/** Values for inserting a bond. */
export type NewUserDeityBond = typeof userDeityBonds.$inferInsert
/** An attribute audit row. */
export type AttributeTransaction = typeof attributeTransactions.$inferSelect
/** Values for inserting an attribute audit row. */
export type NewAttributeTransaction = typeof attributeTransactions.$inferInsert
/** A tablet discovery row. */
export type AkashicTabletDiscovery = typeof akashicTabletDiscoveries.$inferSelect
/** Values for inserting a tablet discovery. */
export type NewAkashicTabletDiscovery = typeof akashicTabletDiscoveries.$inferInsert
/** A hidden deity discovery row. */
export type HiddenDeityDiscovery = typeof hiddenDeityDiscoveries.$inferSelect
/** Values for inserting a hidden deity discovery. */
export type NewHiddenDeityDiscovery = typeof hiddenDeityDiscoveries.$inferInsert
