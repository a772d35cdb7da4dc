/**
 * Direct trades between two players: the requester offers items and tokens for items and tokens
 * of the recipient's. Built on the inventory's internal API (`inventory/service.ts`) and the token
 * ledger (`economy/ledger.ts`).
 *
 * - **Escrow.** Offering takes the requester's side (units and tokens) into the trade row at once
 *   (`escrow_held`), in the offer's own transaction; accepting takes the recipient's side and
 *   swaps both in one transaction; declining, cancelling and expiry return the requester's side.
 * - **Lock order** (`inventory/service.ts`): the trade row, then every inventory row involved in
 *   (user_id, item_id) order, then the balances.
 * - **Policies.** Items crossing between the players ask `assertItemsMayPass` (the one place
 *   blocks between players will be checked, issue 15) and tokens leaving a player for the other
 *   ask `assertTokensMayLeave` (when escrowed by the requester, when paid by the recipient).
 * - **Expiry.** A pending trade lapses at `expires_at` (1 hour, the seed's default); the cron
 *   (`expireDueTrades`) and any write that meets it (`expireTradeIfDue`) mark it `expired` and
 *   return the escrow. When someone other than the requester ends a trade (a decline, the clock)
 *   and the requester's stack has no room, the trade keeps the escrow (`escrow_held` stays true)
 *   until the requester reclaims it with `POST /cancel`; the requester's own cancel refuses
 *   instead (409 `stack_full`).
 */
import { and, desc, eq, inArray, or, sql, type SQL } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import {
  items,
  tradeRequests,
  users,
  type TradeLine,
  type TradeRequest,
  type TradeStatus,
} from '../../db/schema/nexus'
import type { TradeSnapshot } from '../../durable-objects/instance-room/trades'
import { lockBalances, postTokenLegs, type TokenLeg } from '../economy/ledger'
import { assertTokensMayLeave, type TokenOutboundPolicy } from '../economy/policy'
import { assertItemsMayPass } from '../inventory/policy'
import {
  giveBackFromEscrow,
  giveUnits,
  inStackOrder,
  lockStacks,
  recordItemMovement,
  takeUnits,
  type StackKey,
} from '../inventory/service'
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
import type { CreateTradeBody } from './schemas'

/** Pending trades one player may have offered at once. */
export const MAX_PENDING_TRADES_PER_REQUESTER = 20
/** Trades the cron ends per run (each in its own transaction). */
export const EXPIRY_BATCH_TRADES = 500

type TradeRow = TradeRequest & {
  /** `expires_at` has passed (by the database's clock). */
  pastExpiry: boolean
}

const pastExpiry = sql<boolean>`${tradeRequests.expiresAt} <= now()`

/** The status a reader sees: a pending trade past its time is expired. */
const effectiveStatus = (row: TradeRow): TradeStatus =>
  row.status === 'pending' && row.pastExpiry ? 'expired' : row.status

/** A trade as the API answers it and `trade` events carry it. */
export function tradeResource(row: TradeRow): TradeSnapshot {
  return {
    id: row.id,
    requester_id: row.requesterId,
    recipient_id: row.recipientId,
    status: effectiveStatus(row),
    requester_items: row.requesterItems,
    requester_tokens: row.requesterTokens,
    recipient_items: row.recipientItems,
    recipient_tokens: row.recipientTokens,
    escrow_held: row.escrowHeld,
    created_at: isoTimestamp(row.createdAt),
    expires_at: isoTimestamp(row.expiresAt),
    completed_at: isoTimestamp(row.completedAt),
  }
}

/** The trade locked for this transaction; 404 unless the caller is one of its two players. */
async function lockTrade(tx: Tx, tradeId: string, actor: Identity): Promise<TradeRow> {
  const [found] = await tx
    .select({ row: tradeRequests, pastExpiry })
    .from(tradeRequests)
    .where(eq(tradeRequests.id, tradeId))
    .for('update')
  const me = actor.userId
  if (!found || (found.row.requesterId !== me && found.row.recipientId !== me)) {
    throw new ApiError('not_found', 'no trade of yours with that id')
  }
  return { ...found.row, pastExpiry: found.pastExpiry }
}

/** 409 for a trade that is no longer pending. */
function notPending(row: TradeRow): ApiError {
  const status = effectiveStatus(row)
  return new ApiError('conflict', `this trade is ${status}`, {
    reason: `trade_${status}`,
    trade_id: row.id,
  })
}

const stacksOf = (userId: string, lines: TradeLine[]): StackKey[] =>
  lines.map((line) => ({ user_id: userId, item_id: line.item_id }))

/** Refuses (404 / 409 `not_tradeable`) unless every item of `lines` exists and is tradeable. */
async function assertTradeable(tx: Tx, lines: TradeLine[]): Promise<void> {
  const ids = [...new Set(lines.map((line) => line.item_id))]
  if (ids.length === 0) return
  const found = await tx
    .select({ id: items.id, isTradeable: items.isTradeable })
    .from(items)
    .where(inArray(items.id, ids))
  const byId = new Map(found.map((item) => [item.id, item.isTradeable]))
  for (const id of ids) {
    if (!byId.has(id)) throw new ApiError('not_found', 'no item with that id', { item_id: id })
    if (!byId.get(id)) {
      throw new ApiError('conflict', 'this item cannot be sold or traded', {
        reason: 'not_tradeable',
        item_id: id,
      })
    }
  }
}

/**
 * Offers a trade: the requester's side (units and tokens) goes into the trade's escrow at once.
 * 400 for a trade with yourself; 404 unknown recipient or item; 409 `not_tradeable`,
 * `insufficient_quantity`, `insufficient_funds`, `trade_limit`; 403/429 the outbound token rules.
 */
export async function createTrade(
  db: Db,
  input: { actor: Identity; policy: TokenOutboundPolicy } & CreateTradeBody,
) {
  const requesterId = input.actor.userId
  const recipientId = input.recipient_id
  if (recipientId === requesterId) {
    throw new ApiError('validation_error', 'you cannot trade with yourself', [
      { path: ['recipient_id'], code: 'custom', message: 'must be another user' },
    ])
  }
  return db.transaction(async (tx) => {
    // Serializes one requester's offers, so the cap of pending trades holds.
    await lockUserScope(tx, 'trades-requester', requesterId)
    const [recipient] = await tx
      .select({ id: users.id })
      .from(users)
      .where(eq(users.id, recipientId))
    if (!recipient) throw new ApiError('not_found', 'no user with that id to trade with')
    await assertTradeable(tx, [...input.requester_items, ...input.recipient_items])
    const [{ pending }] = (
      await tx.execute<{ pending: number }>(sql`
        SELECT count(*)::int AS pending FROM trade_requests
        WHERE requester_id = ${requesterId}::uuid AND status = 'pending' AND expires_at > now()`)
    ).rows
    if (pending >= MAX_PENDING_TRADES_PER_REQUESTER) {
      throw new ApiError('conflict', 'you have as many open trade offers as one player may', {
        reason: 'trade_limit',
        limit: MAX_PENDING_TRADES_PER_REQUESTER,
      })
    }
    await assertItemsMayPass(tx, {
      actor_id: requesterId,
      from_user_id: requesterId,
      to_user_id: recipientId,
    })

    const [row] = await tx
      .insert(tradeRequests)
      .values({
        requesterId,
        recipientId,
        status: 'pending',
        requesterItems: input.requester_items,
        recipientItems: input.recipient_items,
        requesterTokens: input.requester_tokens,
        recipientTokens: input.recipient_tokens,
        escrowHeld: true,
      })
      .returning()
    await lockStacks(tx, stacksOf(requesterId, input.requester_items))
    for (const line of input.requester_items) {
      await takeUnits(tx, { user_id: requesterId, ...line })
    }
    const tokens = input.requester_tokens
    if (tokens > 0) {
      const locked = await lockBalances(tx, [requesterId])
      if (!locked.has(requesterId)) throw new ApiError('not_found', 'this account has no balance')
      await assertTokensMayLeave(tx, { userId: requesterId, amount: tokens, policy: input.policy })
    }
    if (input.requester_items.length > 0 || tokens > 0) {
      const audit = await recordItemMovement(tx, {
        transaction_type: 'trade_escrow',
        from_user_id: requesterId,
        items: input.requester_items,
        tokens_transferred: tokens,
        reference_id: row.id,
        metadata: { recipient_id: recipientId },
      })
      await postTokenLegs(tx, audit.id, [
        {
          user_id: requesterId,
          amount: -tokens,
          transaction_type: 'trade_escrow',
          metadata: { trade_id: row.id },
        },
      ])
    }
    return tradeResource({ ...row, pastExpiry: false })
  })
}

/**
 * The recipient accepts: their side is taken (conditionally) and both sides swap in one
 * transaction; the trade is `completed`. 403 for the requester; 409 `trade_<status>` when it is
 * not pending, `not_tradeable`, `insufficient_quantity`, `insufficient_funds`, `stack_full`.
 */
export async function acceptTrade(
  db: Db,
  input: { actor: Identity; trade_id: string; policy: TokenOutboundPolicy },
) {
  return db.transaction(async (tx) => {
    const row = await lockTrade(tx, input.trade_id, input.actor)
    if (row.recipientId !== input.actor.userId) {
      throw new ApiError('forbidden', 'only the recipient may accept a trade')
    }
    if (row.status !== 'pending' || row.pastExpiry) throw notPending(row)
    const { requesterId, recipientId } = row
    await assertTradeable(tx, row.recipientItems)
    // Units cross both ways; the policy is about the pair, so one check covers both.
    await assertItemsMayPass(tx, {
      actor_id: recipientId,
      from_user_id: requesterId,
      to_user_id: recipientId,
    })

    await lockStacks(tx, [
      ...stacksOf(recipientId, [...row.recipientItems, ...row.requesterItems]),
      ...stacksOf(requesterId, row.recipientItems),
    ])
    for (const line of row.recipientItems) await takeUnits(tx, { user_id: recipientId, ...line })
    const gifts = inStackOrder([
      ...row.recipientItems.map((line) => ({ user_id: requesterId, ...line })),
      ...row.requesterItems.map((line) => ({ user_id: recipientId, ...line })),
    ])
    for (const units of gifts) await giveUnits(tx, units)
    const hasTokens = row.requesterTokens > 0 || row.recipientTokens > 0
    if (hasTokens) await lockBalances(tx, [requesterId, recipientId])
    if (row.recipientTokens > 0) {
      await assertTokensMayLeave(tx, {
        userId: recipientId,
        amount: row.recipientTokens,
        policy: input.policy,
      })
    }
    const [after] = await tx
      .update(tradeRequests)
      .set({ status: 'completed', escrowHeld: false, completedAt: sql`now()` })
      .where(eq(tradeRequests.id, row.id))
      .returning()

    // One `trade` row per side that moved something. The requester's side comes out of escrow,
    // so its tokens are credited before the recipient pays theirs (the swap is one movement).
    const meta = { trade_id: row.id }
    await recordTradeSide(tx, row, { from: requesterId, to: recipientId, side: 'requester' }, [
      {
        user_id: recipientId,
        amount: row.requesterTokens,
        transaction_type: 'trade_received',
        metadata: meta,
      },
    ])
    await recordTradeSide(tx, row, { from: recipientId, to: requesterId, side: 'recipient' }, [
      {
        user_id: recipientId,
        amount: -row.recipientTokens,
        transaction_type: 'trade_sent',
        metadata: meta,
      },
      {
        user_id: requesterId,
        amount: row.recipientTokens,
        transaction_type: 'trade_received',
        metadata: meta,
      },
    ])
    return tradeResource({ ...after, pastExpiry: false })
  })
}

/** Writes the `trade` row of one side of an accepted trade and posts its token legs. */
async function recordTradeSide(
  tx: Tx,
  row: TradeRow,
  party: { from: string; to: string; side: 'requester' | 'recipient' },
  legs: TokenLeg[],
): Promise<void> {
  const lines = party.side === 'requester' ? row.requesterItems : row.recipientItems
  const tokens = party.side === 'requester' ? row.requesterTokens : row.recipientTokens
  if (lines.length === 0 && tokens === 0) return
  const audit = await recordItemMovement(tx, {
    transaction_type: 'trade',
    from_user_id: party.from,
    to_user_id: party.to,
    items: lines,
    tokens_transferred: tokens,
    reference_id: row.id,
    metadata: { side: party.side },
  })
  await postTokenLegs(tx, audit.id, legs)
}

/**
 * Gives the requester's side back out of escrow (`trade_returned`, with `reason`). With `strict`
 * a full stack refuses (409 `stack_full`); without it the escrow stays and false is returned.
 */
async function returnEscrow(
  tx: Tx,
  row: TradeRow,
  reason: 'declined' | 'cancelled' | 'expired',
  strict: boolean,
): Promise<boolean> {
  const { requesterId } = row
  if (row.requesterItems.length === 0 && row.requesterTokens === 0) return true
  const units = row.requesterItems.map((line) => ({ user_id: requesterId, ...line }))
  if (!(await giveBackFromEscrow(tx, units, { keepIfFull: !strict }))) return false
  if (row.requesterTokens > 0) await lockBalances(tx, [requesterId])
  const audit = await recordItemMovement(tx, {
    transaction_type: 'trade_returned',
    to_user_id: requesterId,
    items: row.requesterItems,
    tokens_transferred: row.requesterTokens,
    reference_id: row.id,
    metadata: { reason },
  })
  await postTokenLegs(tx, audit.id, [
    {
      user_id: requesterId,
      amount: row.requesterTokens,
      transaction_type: 'trade_returned',
      refund: true,
      metadata: { trade_id: row.id, reason },
    },
  ])
  return true
}

/** Sets a trade's ending status and whether it still holds the escrow. */
async function endTrade(tx: Tx, row: TradeRow, status: TradeStatus, escrowHeld: boolean) {
  const [after] = await tx
    .update(tradeRequests)
    .set({ status, escrowHeld })
    .where(eq(tradeRequests.id, row.id))
    .returning()
  return tradeResource({ ...after, pastExpiry: row.pastExpiry })
}

/**
 * The recipient declines a pending trade: `declined`, the requester's side returned (or kept
 * for the requester to reclaim when their stack has no room). 403 for the requester; 409
 * `trade_<status>` when it is not pending.
 */
export async function declineTrade(db: Db, input: { actor: Identity; trade_id: string }) {
  return db.transaction(async (tx) => {
    const row = await lockTrade(tx, input.trade_id, input.actor)
    if (row.recipientId !== input.actor.userId) {
      throw new ApiError('forbidden', 'only the recipient may decline a trade; cancel it instead')
    }
    if (row.status !== 'pending' || row.pastExpiry) throw notPending(row)
    const returned = await returnEscrow(tx, row, 'declined', false)
    return endTrade(tx, row, 'declined', !returned)
  })
}

/**
 * The requester cancels a pending trade (`cancelled`), or reclaims the escrow of one that ended
 * while their stack had no room. 403 for the recipient; 409 `stack_full` (make room first,
 * nothing changes) or `trade_<status>` when the trade holds nothing.
 */
export async function cancelTrade(db: Db, input: { actor: Identity; trade_id: string }) {
  return db.transaction(async (tx) => {
    const row = await lockTrade(tx, input.trade_id, input.actor)
    if (row.requesterId !== input.actor.userId) {
      throw new ApiError('forbidden', 'only the requester may cancel a trade; decline it instead')
    }
    const effective = effectiveStatus(row)
    const status = effective === 'pending' ? 'cancelled' : effective
    if (!row.escrowHeld || status === 'completed') throw notPending(row)
    await returnEscrow(tx, row, status, true)
    return endTrade(tx, row, status, false)
  })
}

/**
 * Ends one pending trade whose time is up (in its own transaction): `expired`, the escrow back
 * to the requester or kept when their stack has no room. A no-op for any other trade, so a
 * second run changes nothing. Returns whether it ended the trade.
 */
export async function expireTradeIfDue(db: Db, tradeId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [found] = await tx
      .select({ row: tradeRequests, pastExpiry })
      .from(tradeRequests)
      .where(eq(tradeRequests.id, tradeId))
      .for('update')
    if (!found || found.row.status !== 'pending' || !found.pastExpiry) return false
    const row = { ...found.row, pastExpiry: true }
    const returned = await returnEscrow(tx, row, 'expired', false)
    await endTrade(tx, row, 'expired', !returned)
    return true
  })
}

/** The cron's part: ends up to `limit` due trades, oldest first; returns how many it ended. */
export async function expireDueTrades(db: Db, limit = EXPIRY_BATCH_TRADES): Promise<number> {
  const due = await db
    .select({ id: tradeRequests.id })
    .from(tradeRequests)
    .where(and(eq(tradeRequests.status, 'pending'), pastExpiry))
    .orderBy(tradeRequests.expiresAt)
    .limit(limit)
  let ended = 0
  for (const { id } of due) if (await expireTradeIfDue(db, id)) ended++
  return ended
}

// ---------------------------------------------------------------- reading

/** One trade, for its two players and staff (404 for anyone else). */
export async function getTrade(db: Db, input: { actor: Identity; trade_id: string }) {
  const [found] = await db
    .select({ row: tradeRequests, pastExpiry })
    .from(tradeRequests)
    .where(eq(tradeRequests.id, input.trade_id))
  const me = input.actor.userId
  const mayRead =
    found &&
    (found.row.requesterId === me ||
      found.row.recipientId === me ||
      hasRole(input.actor, 'admin', 'moderator', 'service'))
  if (!mayRead) throw new ApiError('not_found', 'no trade of yours with that id')
  return tradeResource({ ...found.row, pastExpiry: found.pastExpiry })
}

/** The caller's trades (offered to them, by them, or both), newest first, by status. */
export async function listTrades(
  db: Db,
  input: {
    actor: Identity
    role: 'incoming' | 'outgoing' | 'all'
    status?: TradeStatus
    limit: number
    cursor?: TimestampIdCursor
  },
) {
  const t = tradeRequests
  const me = input.actor.userId
  const mine: Record<typeof input.role, SQL | undefined> = {
    incoming: eq(t.recipientId, me),
    outgoing: eq(t.requesterId, me),
    all: or(eq(t.recipientId, me), eq(t.requesterId, me)),
  }
  const byStatus: Record<TradeStatus, SQL> = {
    pending: sql`${t.status} = 'pending' AND ${t.expiresAt} > now()`,
    expired: sql`(${t.status} = 'expired' OR (${t.status} = 'pending' AND ${t.expiresAt} <= now()))`,
    completed: sql`${t.status} = 'completed'`,
    declined: sql`${t.status} = 'declined'`,
    cancelled: sql`${t.status} = 'cancelled'`,
  }
  const rows = await db
    .select({ row: t, pastExpiry, cursorT: cursorTimestamp(t.createdAt) })
    .from(t)
    .where(
      and(
        mine[input.role],
        input.status ? byStatus[input.status] : undefined,
        afterTimestampId(t.createdAt, t.id, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(t.createdAt), desc(t.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    ({ row, pastExpiry: past }) => tradeResource({ ...row, pastExpiry: past }),
    ({ row, cursorT }) => ({ t: cursorT, id: row.id }),
  )
}
