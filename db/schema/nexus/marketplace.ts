/**
 * Player-to-player commerce: marketplace listings, direct trade requests and the immutable
 * transfer audit trail.
 */
import { sql } from 'drizzle-orm'
import { check, index, integer, jsonb, pgTable, uuid, varchar } from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { items } from './items'
import { users } from './users'

/** Items offered for sale. */
export const marketplaceListings = pgTable(
  'marketplace_listings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sellerId: uuid('seller_id').references(() => users.id),
    itemId: uuid('item_id').references(() => items.id),
    price: integer('price').notNull(),
    quantity: integer('quantity').default(1),
    status: varchar('status', { length: 20 }).default('active'),
    expiresAt: timestamptz('expires_at').default(sql`(now() + interval '7 days')`),
    listedAt: timestamptz('listed_at').defaultNow(),
    soldAt: timestamptz('sold_at'),
    buyerId: uuid('buyer_id').references(() => users.id),
  },
  (t) => [
    check('marketplace_listings_price_check', sql`${t.price} > 0`),
    check('marketplace_listings_quantity_check', sql`${t.quantity} > 0`),
    index('idx_marketplace_active')
      .on(t.status)
      .where(sql`status = 'active'`),
    index('idx_marketplace_seller').on(t.sellerId),
    index('idx_marketplace_item').on(t.itemId),
  ],
)

/** Direct trades between two players (items and tokens each way). */
export const tradeRequests = pgTable('trade_requests', {
  id: uuid('id').primaryKey().defaultRandom(),
  requesterId: uuid('requester_id').references(() => users.id),
  recipientId: uuid('recipient_id').references(() => users.id),
  status: varchar('status', { length: 20 }).default('pending'),
  requesterItems: jsonb('requester_items').default([]),
  recipientItems: jsonb('recipient_items').default([]),
  requesterTokens: integer('requester_tokens').default(0),
  recipientTokens: integer('recipient_tokens').default(0),
  createdAt: timestamptz('created_at').defaultNow(),
  expiresAt: timestamptz('expires_at').default(sql`(now() + interval '1 hour')`),
  completedAt: timestamptz('completed_at'),
})

/** Immutable record of item and token transfers between users. */
export const transactions = pgTable(
  'transactions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    fromUser: uuid('from_user').references(() => users.id),
    toUser: uuid('to_user').references(() => users.id),
    transactionType: varchar('transaction_type', { length: 20 }).notNull(),
    itemsTransferred: jsonb('items_transferred').default([]),
    tokensTransferred: integer('tokens_transferred').default(0),
    referenceId: uuid('reference_id'),
    timestamp: timestamptz('timestamp').defaultNow(),
    metadata: jsonb('metadata').default({}),
  },
  (t) => [
    index('idx_transactions_users').on(t.fromUser, t.toUser),
    index('idx_transactions_type').on(t.transactionType),
    index('idx_transactions_timestamp').on(t.timestamp.desc().nullsFirst()),
  ],
)

/** A marketplace listing row. */
export type MarketplaceListing = typeof marketplaceListings.$inferSelect
/** Values for inserting a marketplace listing. */
export type NewMarketplaceListing = typeof marketplaceListings.$inferInsert
/** A trade request row. */
export type TradeRequest = typeof tradeRequests.$inferSelect
/** Values for inserting a trade request. */
export type NewTradeRequest = typeof tradeRequests.$inferInsert
/** A transfer audit row. */
export type Transaction = typeof transactions.$inferSelect
/** Values for inserting a transfer audit row. */
export type NewTransaction = typeof transactions.$inferInsert
