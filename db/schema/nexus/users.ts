/**
 * Users and their balances: identity, akashic progression, the 12 attributes, easter-egg flags,
 * and the token balance each user gets on registration (trigger `trigger_create_user_balance`).
 */
import { sql } from 'drizzle-orm'
import {
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'

/** The 12 attributes, as the `attr_<name>` columns of users name them. */
export const ATTRIBUTE_NAMES = [
  'strength',
  'agility',
  'endurance',
  'magic',
  'wisdom',
  'cunning',
  'leadership',
  'faith',
  'charisma',
  'creativity',
  'artistry',
  'innovation',
] as const

/** One of the 12 attributes. */
export type AttributeName = (typeof ATTRIBUTE_NAMES)[number]

/** The key of an attribute's column in the users table model (`strength` → `attrStrength`). */
export const attributeColumn = (name: AttributeName) =>
  `attr${name[0].toUpperCase()}${name.slice(1)}` as `attr${Capitalize<AttributeName>}`

/** User accounts with dual progression (akashic rank, 12 attributes). */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    username: text('username').notNull().unique(),
    email: text('email').unique(),
    // Added from 001: the leaderboard views read them.
    displayName: varchar('display_name', { length: 100 }),
    avatarUrl: text('avatar_url'),
    createdAt: timestamptz('created_at').defaultNow(),
    lastSeen: timestamptz('last_seen').defaultNow(),

    isPremium: boolean('is_premium').default(false),
    subscriptionType: varchar('subscription_type', { length: 20 }).default('free'),
    subscriptionExpiresAt: timestamptz('subscription_expires_at'),

    akashicResonance: integer('akashic_resonance').notNull().default(0),
    akashicWisdom: integer('akashic_wisdom').notNull().default(0),
    akashicCreativity: integer('akashic_creativity').notNull().default(0),
    akashicConnection: integer('akashic_connection').notNull().default(0),
    akashicRank: integer('akashic_rank').notNull().default(1),
    akashicRankTitle: varchar('akashic_rank_title', { length: 50 }).notNull().default('Newcomer'),

    strengthDiscovery: integer('strength_discovery').default(0),
    strengthInterpretation: integer('strength_interpretation').default(0),
    strengthInfluence: integer('strength_influence').default(0),

    totalQuestsCompleted: integer('total_quests_completed').default(0),
    totalObjectsDonated: integer('total_objects_donated').default(0),
    totalTokensCollected: integer('total_tokens_collected').default(0),
    passiveResonanceEarned: integer('passive_resonance_earned').default(0),

    attrStrength: integer('attr_strength').notNull().default(10),
    attrAgility: integer('attr_agility').notNull().default(10),
    attrEndurance: integer('attr_endurance').notNull().default(10),
    attrMagic: integer('attr_magic').notNull().default(10),
    attrWisdom: integer('attr_wisdom').notNull().default(10),
    attrCunning: integer('attr_cunning').notNull().default(10),
    attrLeadership: integer('attr_leadership').notNull().default(10),
    attrFaith: integer('attr_faith').notNull().default(10),
    attrCharisma: integer('attr_charisma').notNull().default(10),
    attrCreativity: integer('attr_creativity').notNull().default(10),
    attrArtistry: integer('attr_artistry').notNull().default(10),
    attrInnovation: integer('attr_innovation').notNull().default(10),

    bobUnlocked: boolean('bob_unlocked').default(false),
    thothUnlocked: boolean('thoth_unlocked').default(false),
    akashicTabletsCollected: integer('akashic_tablets_collected')
      .array()
      .default(sql`'{}'`),

    akashicLastUpdated: timestamptz('akashic_last_updated').defaultNow(),
    lastRankUp: timestamptz('last_rank_up'),

    metadata: jsonb('metadata').default({}),
  },
  (t) => [
    index('idx_users_email').on(t.email),
    index('idx_users_username').on(t.username),
    index('idx_users_akashic_resonance').on(t.akashicResonance.desc().nullsFirst()),
    index('idx_users_akashic_rank').on(
      t.akashicRank.desc().nullsFirst(),
      t.akashicResonance.desc().nullsFirst(),
    ),
    index('idx_users_strength_discovery').on(t.strengthDiscovery.desc().nullsFirst()),
    index('idx_users_strength_interpretation').on(t.strengthInterpretation.desc().nullsFirst()),
    index('idx_users_strength_influence').on(t.strengthInfluence.desc().nullsFirst()),
    // Attributes never go below zero (0022).
    ...ATTRIBUTE_NAMES.map((name) =>
      check(`users_attr_${name}_nonnegative`, sql`${t[attributeColumn(name)]} >= 0`),
    ),
  ],
)

/** Token balances, one row per user, created by trigger with 100 tokens. */
export const userBalances = pgTable(
  'user_balances',
  {
    userId: uuid('user_id')
      .primaryKey()
      .references(() => users.id),
    tokens: integer('tokens').notNull().default(100),
    premiumTokens: integer('premium_tokens').notNull().default(0),
    dailyStreak: integer('daily_streak').default(0),
    lastDailyClaim: date('last_daily_claim'),
    totalEarned: integer('total_earned').notNull().default(100),
    totalSpent: integer('total_spent').notNull().default(0),
    lastUpdated: timestamptz('last_updated').defaultNow(),
  },
  (t) => [
    check('user_balances_tokens_check', sql`${t.tokens} >= 0`),
    check('user_balances_premium_tokens_check', sql`${t.premiumTokens} >= 0`),
  ],
)

/** A user row. */
export type User = typeof users.$inferSelect
/** Values for inserting a user. */
export type NewUser = typeof users.$inferInsert
/** A balance row. */
export type UserBalance = typeof userBalances.$inferSelect
/** Values for inserting a balance. */
export type NewUserBalance = typeof userBalances.$inferInsert
