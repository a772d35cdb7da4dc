/**
 * The marketplace: players list units of tradeable items at a price per unit; other players buy
 * some or all of them. Built on the inventory's internal API (`inventory/service.ts`) and the
 * token ledger (`economy/ledger.ts`); every movement is one transaction with its audit rows.
 *
 * - **Escrow.** Listing takes the units out of the seller's inventory into the listing row
 *   (`escrow_quantity`) in the listing's own transaction, so a unit is never both for sale and in
 *   hand. A purchase moves units from escrow to the buyer; cancelling (`DELETE`) or expiry moves
 *   what is left back to the seller. Units of every item are conserved over inventories + listing
 *   escrow + trade escrow + placed buildings, and each movement is one `transactions` row
 *   (db/README decision 83).
 * - **Exactly once.** A purchase locks the listing row first (then the buyer's stack, then the
 *   balances: the order of `inventory/service.ts`), so of any number of simultaneous buyers each
 *   sees the units the previous left; the route's `Idempotency-Key` makes a retry replay its first
 *   answer.
 * - **Money.** The buyer pays `price × quantity` (a conditional debit, and a player-to-player
 *   movement under `assertTokensMayLeave`); the house keeps `MARKETPLACE_FEE_PERCENT` of it
 *   (rounded down) and the seller receives the rest.
 * - **Expiry.** A listing is for sale until `expires_at` (7 days, the seed's default). The cron
 *   (`expireDueListings`) and any write that meets an expired listing (`expireListingIfDue`) end
 *   it and return its escrow; a purchase never buys an expired listing. When the seller's stack
 *   has no room for the units, the listing ends `expired` still holding them, and the seller
 *   reclaims them with `DELETE` once it has room (an actor's own action refuses instead, 409
 *   `stack_full`).
 */
import { and, asc, desc, eq, gte, lte, sql, type SQL } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import {
  items,
  marketplaceListings,
  transactions,
  type Item,
  type ListingStatus,
  type MarketplaceListing,
} from '../../db/schema/nexus'
import { HOUSE_USER_ID, lockBalances, postTokenLegs } from '../economy/ledger'
import { assertTokensMayLeave, type TokenOutboundPolicy } from '../economy/policy'
import { assertItemsMayPass } from '../inventory/policy'
import {
  giveBackFromEscrow,
  giveUnits,
  lockStacks,
  recordItemMovement,
  takeUnits,
} from '../inventory/service'
import { itemResource, loadItem } from '../items/service'
import { lockUserScope } from '../lib/advisory-locks'
import { hasRole, type Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp } from '../lib/time'
import type { BrowseListingsQuery, CreateListingBody } from './schemas'

/** Listings one seller may have for sale at once. */
export const MAX_ACTIVE_LISTINGS_PER_SELLER = 200
/** Listings the cron ends per run (each in its own transaction). */
export const EXPIRY_BATCH_LISTINGS = 500

type ListingRow = MarketplaceListing & {
  /** `expires_at` has passed (by the database's clock). */
  pastExpiry: boolean
}

const pastExpiry = sql<boolean>`${marketplaceListings.expiresAt} <= now()`

/** A listing as the API answers it; `viewer` decides whether `buyer_id` is shown. */
function listingResource(row: ListingRow, item: Item, viewer?: Identity) {
  const expiredNow = row.status === 'active' && row.pastExpiry
  const status: ListingStatus = expiredNow ? 'expired' : row.status
  const seesBuyer =
    viewer === undefined ||
    viewer.userId === row.sellerId ||
    viewer.userId === row.buyerId ||
    hasRole(viewer, 'admin', 'moderator', 'service')
  return {
    id: row.id,
    seller_id: row.sellerId,
    item_id: row.itemId,
    item: itemResource(item),
    price: row.price,
    quantity: row.quantity,
    quantity_available: status === 'active' ? row.escrowQuantity : 0,
    escrow_quantity: row.escrowQuantity,
    status,
    listed_at: isoTimestamp(row.listedAt),
    expires_at: isoTimestamp(row.expiresAt),
    sold_at: isoTimestamp(row.soldAt),
    buyer_id: seesBuyer ? (row.buyerId ?? null) : null,
  }
}

/** The listing row locked for this transaction (with its item), or 404. */
async function lockListing(tx: Tx, listingId: string): Promise<{ row: ListingRow; item: Item }> {
  const [found] = await tx
    .select({ row: marketplaceListings, pastExpiry, item: items })
    .from(marketplaceListings)
    .innerJoin(items, eq(items.id, marketplaceListings.itemId))
    .where(eq(marketplaceListings.id, listingId))
    .for('update', { of: marketplaceListings })
  if (!found) throw new ApiError('not_found', 'no listing with that id')
  return { row: { ...found.row, pastExpiry: found.pastExpiry }, item: found.item }
}

/** 409 for a listing that cannot be bought (sold, cancelled or expired). */
function notForSale(row: ListingRow): ApiError {
  const status = row.status === 'active' && row.pastExpiry ? 'expired' : row.status
  return new ApiError('conflict', `this listing is ${status}; nothing was bought`, {
    reason: `listing_${status}`,
    listing_id: row.id,
  })
}

/**
 * Lists units of a tradeable item of the caller's: they leave the inventory into the listing's
 * escrow in the same transaction (409 `insufficient_quantity`, `not_tradeable`, or
 * `listing_limit` past `MAX_ACTIVE_LISTINGS_PER_SELLER`).
 */
export async function createListing(db: Db, input: { actor: Identity } & CreateListingBody) {
  const sellerId = input.actor.userId
  const { item_id: itemId, quantity, price } = input
  return db.transaction(async (tx) => {
    // Serializes one seller's listings, so the cap holds under simultaneous requests.
    await lockUserScope(tx, 'marketplace-seller', sellerId)
    const item = await loadItem(tx, itemId)
    if (!item.isTradeable) {
      throw new ApiError('conflict', 'this item cannot be sold or traded', {
        reason: 'not_tradeable',
        item_id: itemId,
      })
    }
    const [{ active }] = (
      await tx.execute<{ active: number }>(sql`
        SELECT count(*)::int AS active FROM marketplace_listings
        WHERE seller_id = ${sellerId}::uuid AND status = 'active' AND expires_at > now()`)
    ).rows
    if (active >= MAX_ACTIVE_LISTINGS_PER_SELLER) {
      throw new ApiError('conflict', 'you have as many listings for sale as one seller may', {
        reason: 'listing_limit',
        limit: MAX_ACTIVE_LISTINGS_PER_SELLER,
      })
    }
    const [row] = await tx
      .insert(marketplaceListings)
      .values({ sellerId, itemId, price, quantity, escrowQuantity: quantity, status: 'active' })
      .returning()
    await takeUnits(tx, { user_id: sellerId, item_id: itemId, quantity })
    await recordItemMovement(tx, {
      transaction_type: 'listing_escrow',
      from_user_id: sellerId,
      items: [{ item_id: itemId, quantity }],
      reference_id: row.id,
      metadata: { unit_price: price },
    })
    return listingResource({ ...row, pastExpiry: false }, item, input.actor)
  })
}

/**
 * Buys `quantity` units of a listing for the caller: tokens from the buyer (conditional debit,
 * outbound policy) to the seller less the fee (to the house), units from escrow to the buyer,
 * the listing `sold` when its escrow empties, one `purchase` row in `transactions` linking the
 * listing, all in one transaction. 403 on your own listing; 409 `listing_sold` /
 * `listing_cancelled` / `listing_expired`, `insufficient_quantity` (fewer units left),
 * `stack_full` (the buyer's), `insufficient_funds`.
 */
export async function purchaseListing(
  db: Db,
  input: {
    actor: Identity
    listing_id: string
    quantity: number
    policy: TokenOutboundPolicy
    fee_percent: number
  },
) {
  const buyerId = input.actor.userId
  const { quantity } = input
  return db.transaction(async (tx) => {
    const { row, item } = await lockListing(tx, input.listing_id)
    if (row.sellerId === buyerId) {
      throw new ApiError('forbidden', 'you cannot buy your own listing', { reason: 'own_listing' })
    }
    if (row.status !== 'active' || row.pastExpiry) throw notForSale(row)
    if (quantity > row.escrowQuantity) {
      throw new ApiError('conflict', 'the listing has fewer units left than you asked for', {
        reason: 'insufficient_quantity',
        available: row.escrowQuantity,
        requested: quantity,
      })
    }
    const total = row.price * quantity
    const fee = Math.floor((total * input.fee_percent) / 100)
    const sellerReceives = total - fee
    await assertItemsMayPass(tx, {
      actor_id: buyerId,
      from_user_id: row.sellerId,
      to_user_id: buyerId,
    })
    await lockStacks(tx, [{ user_id: buyerId, item_id: row.itemId }])
    await giveUnits(tx, { user_id: buyerId, item_id: row.itemId, quantity })
    const locked = await lockBalances(tx, [
      buyerId,
      row.sellerId,
      ...(fee > 0 ? [HOUSE_USER_ID] : []),
    ])
    if (!locked.has(buyerId)) throw new ApiError('not_found', 'this account has no balance')
    await assertTokensMayLeave(tx, { userId: buyerId, amount: total, policy: input.policy })

    const left = row.escrowQuantity - quantity
    const [after] = await tx
      .update(marketplaceListings)
      .set({
        escrowQuantity: left,
        status: left === 0 ? 'sold' : 'active',
        soldAt: left === 0 ? sql`now()` : row.soldAt,
        buyerId,
      })
      .where(eq(marketplaceListings.id, row.id))
      .returning()
    const metadata = { unit_price: row.price, quantity, fee, seller_received: sellerReceives }
    const audit = await recordItemMovement(tx, {
      transaction_type: 'purchase',
      from_user_id: row.sellerId,
      to_user_id: buyerId,
      items: [{ item_id: row.itemId, quantity }],
      tokens_transferred: total,
      reference_id: row.id,
      metadata,
    })
    const balances = await postTokenLegs(tx, audit.id, [
      {
        user_id: buyerId,
        amount: -total,
        transaction_type: 'purchase',
        metadata: { listing_id: row.id },
      },
      {
        user_id: row.sellerId,
        amount: sellerReceives,
        transaction_type: 'sale',
        metadata: { listing_id: row.id },
      },
      {
        user_id: HOUSE_USER_ID,
        amount: fee,
        transaction_type: 'marketplace_fee',
        metadata: { listing_id: row.id },
      },
    ])
    return {
      ...purchaseOf({ audit, listing: row, buyerId, metadata, total }),
      listing: listingResource({ ...after, pastExpiry: false }, item, input.actor),
      balance: { tokens: balances.get(buyerId)! },
    }
  })
}

/** A purchase as the API answers it. */
function purchaseOf(input: {
  audit: { id: string; timestamp: Date | null }
  listing: Pick<MarketplaceListing, 'id' | 'sellerId' | 'itemId'>
  buyerId: string
  metadata: { unit_price: number; quantity: number; fee: number; seller_received: number }
  total: number
}) {
  return {
    id: input.audit.id,
    listing_id: input.listing.id,
    seller_id: input.listing.sellerId,
    buyer_id: input.buyerId,
    item_id: input.listing.itemId,
    quantity: input.metadata.quantity,
    unit_price: input.metadata.unit_price,
    total_price: input.total,
    fee: input.metadata.fee,
    seller_received: input.metadata.seller_received,
    purchased_at: isoTimestamp(input.audit.timestamp),
  }
}

/**
 * Gives a listing's escrow back to its seller and records it (`listing_returned`). With `strict`
 * a full stack refuses (409 `stack_full`, nothing changes); without it the units stay in escrow
 * and false is returned.
 */
async function returnEscrow(
  tx: Tx,
  row: ListingRow,
  reason: 'cancelled' | 'expired',
  strict: boolean,
): Promise<boolean> {
  const units = { user_id: row.sellerId, item_id: row.itemId, quantity: row.escrowQuantity }
  if (!(await giveBackFromEscrow(tx, [units], { keepIfFull: !strict }))) return false
  await recordItemMovement(tx, {
    transaction_type: 'listing_returned',
    to_user_id: row.sellerId,
    items: [{ item_id: row.itemId, quantity: row.escrowQuantity }],
    reference_id: row.id,
    metadata: { reason },
  })
  return true
}

/**
 * The seller ends a listing (`DELETE`): an active listing is cancelled and its escrow returns to
 * the seller; an expired one whose units are still in escrow gives them back. 403 for anyone
 * else; 409 `stack_full` (the seller's stack has no room: nothing changes) or `listing_sold`,
 * `listing_cancelled`, `listing_expired` when it holds nothing.
 */
export async function cancelListing(db: Db, input: { actor: Identity; listing_id: string }) {
  return db.transaction(async (tx) => {
    const { row, item } = await lockListing(tx, input.listing_id)
    if (row.sellerId !== input.actor.userId) {
      throw new ApiError('forbidden', 'only the seller may end a listing')
    }
    if (row.escrowQuantity === 0) throw notForSale(row)
    const status = row.status === 'active' && !row.pastExpiry ? 'cancelled' : 'expired'
    await returnEscrow(tx, row, status, true)
    const [after] = await tx
      .update(marketplaceListings)
      .set({ escrowQuantity: 0, status })
      .where(eq(marketplaceListings.id, row.id))
      .returning()
    return listingResource({ ...after, pastExpiry: row.pastExpiry }, item, input.actor)
  })
}

/**
 * Ends one listing whose time is up (in its own transaction): `expired`, its escrow back to the
 * seller, or kept when the seller's stack has no room. Nothing happens to a listing that is not
 * active or not yet due, so a second run is a no-op. Returns whether it ended the listing.
 */
export async function expireListingIfDue(db: Db, listingId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [found] = await tx
      .select({ row: marketplaceListings, pastExpiry })
      .from(marketplaceListings)
      .where(eq(marketplaceListings.id, listingId))
      .for('update')
    if (!found || found.row.status !== 'active' || !found.pastExpiry) return false
    const row = { ...found.row, pastExpiry: true }
    const returned = await returnEscrow(tx, row, 'expired', false)
    await tx
      .update(marketplaceListings)
      .set({ status: 'expired', escrowQuantity: returned ? 0 : row.escrowQuantity })
      .where(eq(marketplaceListings.id, row.id))
    return true
  })
}

/** The cron's part: ends up to `limit` due listings, oldest first; returns how many it ended. */
export async function expireDueListings(db: Db, limit = EXPIRY_BATCH_LISTINGS): Promise<number> {
  const due = await db
    .select({ id: marketplaceListings.id })
    .from(marketplaceListings)
    .where(and(eq(marketplaceListings.status, 'active'), pastExpiry))
    .orderBy(asc(marketplaceListings.expiresAt))
    .limit(limit)
  let ended = 0
  for (const { id } of due) if (await expireListingIfDue(db, id)) ended++
  return ended
}

// ---------------------------------------------------------------- reading

/** One listing (any status) for any signed-in player. */
export async function getListing(db: Db, input: { actor: Identity; listing_id: string }) {
  const [found] = await db
    .select({ row: marketplaceListings, pastExpiry, item: items })
    .from(marketplaceListings)
    .innerJoin(items, eq(items.id, marketplaceListings.itemId))
    .where(eq(marketplaceListings.id, input.listing_id))
  if (!found) throw new ApiError('not_found', 'no listing with that id')
  return listingResource({ ...found.row, pastExpiry: found.pastExpiry }, found.item, input.actor)
}

/**
 * What is for sale now (active, not expired), filtered, cheapest first (price, then id) or newest
 * first (listed_at, then id).
 */
export async function browseListings(db: Db, input: { actor: Identity } & BrowseListingsQuery) {
  const l = marketplaceListings
  const cursor = input.cursor
  let keyset: SQL | undefined
  if (cursor && 'p' in cursor)
    keyset = sql`(${l.price}, ${l.id}) > (${cursor.p}, ${cursor.id}::uuid)`
  if (cursor && 't' in cursor) keyset = afterTimestampId(l.listedAt, l.id, cursor, 'desc')
  const byPrice = input.sort === 'price'
  const rows = await db
    .select({ row: l, item: items, cursorT: cursorTimestamp(l.listedAt) })
    .from(l)
    .innerJoin(items, eq(items.id, l.itemId))
    .where(
      and(
        eq(l.status, 'active'),
        sql`${l.expiresAt} > now()`,
        input.item_id ? eq(l.itemId, input.item_id) : undefined,
        input.seller_id ? eq(l.sellerId, input.seller_id) : undefined,
        input.type ? eq(items.type, input.type) : undefined,
        input.rarity ? eq(items.rarity, input.rarity) : undefined,
        input.min_price === undefined ? undefined : gte(l.price, input.min_price),
        input.max_price === undefined ? undefined : lte(l.price, input.max_price),
        keyset,
      ),
    )
    .orderBy(...(byPrice ? [asc(l.price), asc(l.id)] : [desc(l.listedAt), desc(l.id)]))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    ({ row, item }) => listingResource({ ...row, pastExpiry: false }, item, input.actor),
    ({ row, cursorT }): Record<string, string | number> =>
      byPrice ? { p: row.price, id: row.id } : { t: cursorT, id: row.id },
  )
}

/** The caller's own listings (every status), newest first. */
export async function listMyListings(
  db: Db,
  input: { actor: Identity; status?: ListingStatus; limit: number; cursor?: TimestampIdCursor },
) {
  const l = marketplaceListings
  const statusFilter: Record<ListingStatus, SQL> = {
    active: sql`${l.status} = 'active' AND ${l.expiresAt} > now()`,
    expired: sql`(${l.status} = 'expired' OR (${l.status} = 'active' AND ${l.expiresAt} <= now()))`,
    sold: sql`${l.status} = 'sold'`,
    cancelled: sql`${l.status} = 'cancelled'`,
  }
  const rows = await db
    .select({ row: l, pastExpiry, item: items, cursorT: cursorTimestamp(l.listedAt) })
    .from(l)
    .innerJoin(items, eq(items.id, l.itemId))
    .where(
      and(
        eq(l.sellerId, input.actor.userId),
        input.status ? statusFilter[input.status] : undefined,
        afterTimestampId(l.listedAt, l.id, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(l.listedAt), desc(l.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    ({ row, pastExpiry: past, item }) =>
      listingResource({ ...row, pastExpiry: past }, item, input.actor),
    ({ row, cursorT }) => ({ t: cursorT, id: row.id }),
  )
}

/** The caller's purchases, newest first. */
export async function listMyPurchases(
  db: Db,
  input: { actor: Identity; limit: number; cursor?: TimestampIdCursor },
) {
  const t = transactions
  const at = sql`coalesce(${t.timestamp}, 'epoch'::timestamptz)`
  const rows = await db
    .select({ row: t, cursorT: cursorTimestamp(at) })
    .from(t)
    .where(
      and(
        eq(t.toUser, input.actor.userId),
        eq(t.transactionType, 'purchase'),
        afterTimestampId(at, t.id, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(at), desc(t.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    ({ row }) => {
      const metadata = row.metadata as {
        unit_price: number
        quantity: number
        fee: number
        seller_received: number
      }
      const [line] = row.itemsTransferred as Array<{ item_id: string }>
      return purchaseOf({
        audit: row,
        listing: { id: row.referenceId!, sellerId: row.fromUser!, itemId: line.item_id },
        buyerId: input.actor.userId,
        metadata,
        total: row.tokensTransferred ?? 0,
      })
    },
    ({ row, cursorT }) => ({ t: cursorT, id: row.id }),
  )
}
