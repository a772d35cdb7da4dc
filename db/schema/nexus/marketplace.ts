/**
 * Player-to-player commerce: marketplace listings, direct trade requests and the immutable
 * transfer audit trail.
 */
import { sql } from 'drizzle-orm'
import { boolean, check, index, integer, jsonb, pgTable, uuid, varchar } from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { items } from './items'
import { users } from './users'

/** Statuses of a listing (migration 0050, db/README decision 81). */
export const LISTING_STATUSES = ['active', 'sold', 'cancelled', 'expired'] as const
export type ListingStatus = (typeof LISTING_STATUSES)[number]

/**
 * Items offered for sale. `price` is per unit; `quantity` is what was listed; `escrow_quantity` is
 * what the row holds now (units taken from the seller at listing, db/README decision 81).
 */
export const marketplaceListings = pgTable(
  'marketplace_listings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sellerId: uuid('seller_id')
      .notNull()
      .references(() => users.id),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id),
    price: integer('price').notNull(),
    quantity: integer('quantity').notNull().default(1),
    escrowQuantity: integer('escrow_quantity').notNull(),
    status: varchar('status', { length: 20 }).$type<ListingStatus>().notNull().default('active'),
    expiresAt: timestamptz('expires_at')
      .notNull()
      .default(sql`(now() + interval '7 days')`),
    listedAt: timestamptz('listed_at').notNull().defaultNow(),
    soldAt: timestamptz('sold_at'),
    buyerId: uuid('buyer_id').references(() => users.id),
  },
  (t) => [
    check('marketplace_listings_price_check', sql`${t.price} > 0`),
    check('marketplace_listings_quantity_check', sql`${t.quantity} > 0`),
    check(
      'marketplace_listings_status_check',
      sql`${t.status} IN ('active', 'sold', 'cancelled', 'expired')`,
    ),
    check(
      'marketplace_listings_escrow_check',
      sql`${t.escrowQuantity} >= 0 AND ${t.escrowQuantity} <= ${t.quantity}`,
    ),
    check(
      'marketplace_listings_escrow_status_check',
      sql`CASE ${t.status} WHEN 'active' THEN ${t.escrowQuantity} > 0 WHEN 'expired' THEN TRUE ELSE ${t.escrowQuantity} = 0 END`,
    ),
    check(
      'marketplace_listings_sold_at_check',
      sql`${t.status} <> 'sold' OR ${t.soldAt} IS NOT NULL`,
    ),
    check(
      'marketplace_listings_total_price_check',
      sql`${t.price}::bigint * ${t.quantity} <= 2147483647`,
    ),
    index('idx_marketplace_active')
      .on(t.status)
      .where(sql`status = 'active'`),
    index('idx_marketplace_seller').on(t.sellerId),
    index('idx_marketplace_item').on(t.itemId),
    index('idx_marketplace_active_price')
      .on(t.price, t.id)
      .where(sql`status = 'active'`),
    index('idx_marketplace_active_item_price')
      .on(t.itemId, t.price, t.id)
      .where(sql`status = 'active'`),
    index('idx_marketplace_active_newest')
      .on(t.listedAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`status = 'active'`),
    index('idx_marketplace_active_expiry')
      .on(t.expiresAt)
      .where(sql`status = 'active'`),
    index('idx_marketplace_seller_listed').on(
      t.sellerId,
      t.listedAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
  ],
)

/** Statuses of a trade (migration 0050, db/README decision 82); `accepted` is never stored. */
export const TRADE_STATUSES = ['pending', 'completed', 'declined', 'cancelled', 'expired'] as const
export type TradeStatus = (typeof TRADE_STATUSES)[number]

/** Units of one item on one side of a trade. */
export interface TradeLine {
  item_id: string
  quantity: number
}

/**
 * Direct trades between two players (items and tokens each way). The requester's side is held by
 * the row while `escrow_held` (db/README decision 82).
 */
export const tradeRequests = pgTable(
  'trade_requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    requesterId: uuid('requester_id')
      .notNull()
      .references(() => users.id),
    recipientId: uuid('recipient_id')
      .notNull()
      .references(() => users.id),
    status: varchar('status', { length: 20 }).$type<TradeStatus>().notNull().default('pending'),
    requesterItems: jsonb('requester_items').$type<TradeLine[]>().notNull().default([]),
    recipientItems: jsonb('recipient_items').$type<TradeLine[]>().notNull().default([]),
    requesterTokens: integer('requester_tokens').notNull().default(0),
    recipientTokens: integer('recipient_tokens').notNull().default(0),
    escrowHeld: boolean('escrow_held').notNull().default(false),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at')
      .notNull()
      .default(sql`(now() + interval '1 hour')`),
    completedAt: timestamptz('completed_at'),
  },
  (t) => [
    check(
      'trade_requests_status_check',
      sql`${t.status} IN ('pending', 'completed', 'declined', 'cancelled', 'expired')`,
    ),
    check('trade_requests_parties_check', sql`${t.requesterId} <> ${t.recipientId}`),
    check(
      'trade_requests_tokens_check',
      sql`${t.requesterTokens} >= 0 AND ${t.recipientTokens} >= 0`,
    ),
    check(
      'trade_requests_items_check',
      sql`jsonb_typeof(${t.requesterItems}) = 'array' AND jsonb_typeof(${t.recipientItems}) = 'array'`,
    ),
    check(
      'trade_requests_escrow_status_check',
      sql`CASE ${t.status} WHEN 'pending' THEN ${t.escrowHeld} WHEN 'completed' THEN NOT ${t.escrowHeld} ELSE TRUE END`,
    ),
    check(
      'trade_requests_completed_at_check',
      sql`${t.status} <> 'completed' OR ${t.completedAt} IS NOT NULL`,
    ),
    index('idx_trade_requests_recipient').on(
      t.recipientId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    index('idx_trade_requests_requester').on(
      t.requesterId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    index('idx_trade_requests_pending_expiry')
      .on(t.expiresAt)
      .where(sql`status = 'pending'`),
  ],
)

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
    index('idx_transactions_reference')
      .on(t.referenceId)
      .where(sql`reference_id IS NOT NULL`),
    index('idx_transactions_purchases_to_user')
      .on(t.toUser, t.timestamp.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`transaction_type = 'purchase'`),
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
