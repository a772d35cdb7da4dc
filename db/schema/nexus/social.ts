/**
 * Social tables (issue 15; the seed's planned v2 user system): friendships (one row per unordered
 * pair), blocks (directed), contact cards and characters. SQL in migration 0040; decisions in
 * db/README.md (70-73).
 */
import { sql } from 'drizzle-orm'
import {
  boolean,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { userUploadedMedia } from './challenges'
import { users } from './users'

/** A friendship or a pending request between `user_low < user_high`. */
export const userFriends = pgTable(
  'user_friends',
  {
    userLow: uuid('user_low')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    userHigh: uuid('user_high')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    requestedBy: uuid('requested_by').notNull(),
    status: varchar('status', { length: 20 }).notNull().default('pending'),
    lowSharesPresence: boolean('low_shares_presence').notNull().default(true),
    highSharesPresence: boolean('high_shares_presence').notNull().default(true),
    requestedAt: timestamptz('requested_at').notNull().defaultNow(),
    acceptedAt: timestamptz('accepted_at'),
  },
  (t) => [
    primaryKey({ name: 'user_friends_pkey', columns: [t.userLow, t.userHigh] }),
    index('idx_user_friends_high').on(t.userHigh, t.userLow),
  ],
)

/** `blocker_id` blocks `blocked_id`. */
export const userBlocks = pgTable(
  'user_blocks',
  {
    blockerId: uuid('blocker_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    blockedId: uuid('blocked_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'user_blocks_pkey', columns: [t.blockerId, t.blockedId] }),
    index('idx_user_blocks_blocked').on(t.blockedId, t.blockerId),
  ],
)

/** A user's shareable card, fetched by `share_code`. */
export const userContactCards = pgTable('user_contact_cards', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  shareCode: varchar('share_code', { length: 16 })
    .notNull()
    .unique('user_contact_cards_share_code_key'),
  headline: varchar('headline', { length: 100 }),
  bio: text('bio'),
  links: jsonb('links').$type<{ label: string; url: string }[]>().notNull().default([]),
  shownFields: text('shown_fields')
    .array()
    .notNull()
    .default(sql`'{display_name,avatar_url}'`),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
})

/** A selectable avatar; at most one per user is active. */
export const userCharacters = pgTable(
  'user_characters',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: varchar('name', { length: 50 }).notNull(),
    baseModel: varchar('base_model', { length: 64 }).notNull(),
    appearance: jsonb('appearance')
      .$type<Record<string, string | number | boolean | null>>()
      .notNull()
      .default({}),
    mediaId: uuid('media_id').references(() => userUploadedMedia.id, { onDelete: 'set null' }),
    isActive: boolean('is_active').notNull().default(false),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('idx_user_characters_one_active')
      .on(t.userId)
      .where(sql`is_active`),
    index('idx_user_characters_user').on(t.userId, t.createdAt, t.id),
  ],
)

/** A friendship row. */
export type UserFriend = typeof userFriends.$inferSelect
/** A contact card row. */
export type UserContactCard = typeof userContactCards.$inferSelect
/** A character row. */
export type UserCharacter = typeof userCharacters.$inferSelect
