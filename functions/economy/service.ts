/**
 * The token economy. Every movement runs in one transaction the service opens (a savepoint when
 * the caller already holds one, as an idempotent request does): balance rows are locked in
 * user-id order (no deadlock between opposite transfers), the debit is conditional
 * (`WHERE tokens >= amount`), and the same transaction writes `total_earned`/`total_spent`, one
 * `token_transactions` row per side and one `transactions` audit row. The seed's CHECK
 * (tokens >= 0) stays as the last line of defence. Locking and posting are `ledger.ts`'s, which
 * the marketplace and trades use too.
 */
import { and, desc, eq, or, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { tokenTransactions, transactions, userBalances, users } from '../../db/schema/nexus'
import { hasRole, type Identity } from '../lib/auth'
import { balanceResource } from '../lib/balance'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp } from '../lib/time'
import { assertNotBlocked } from '../social/blocks'
import { lockBalances, postTokenLegs } from './ledger'
import { assertTokensMayLeave, type TokenOutboundPolicy } from './policy'

/** Daily reward schedule: 10 tokens on day 1, +5 per consecutive day, capped at 50 (day 9 on). */
export const DAILY_REWARD_BASE_TOKENS = 10
export const DAILY_REWARD_STEP_TOKENS = 5
export const DAILY_REWARD_CAP_TOKENS = 50

/** Tokens rewarded for a claim that makes the streak `streak` days long. */
export function dailyReward(streak: number): number {
  return Math.min(
    DAILY_REWARD_BASE_TOKENS + DAILY_REWARD_STEP_TOKENS * (streak - 1),
    DAILY_REWARD_CAP_TOKENS,
  )
}

/** The caller's balance. */
export async function getBalance(db: Db, input: { actor: Identity }) {
  const [row] = await db
    .select()
    .from(userBalances)
    .where(eq(userBalances.userId, input.actor.userId))
  if (!row) throw new ApiError('not_found', 'this account has no balance')
  return balanceResource(row)
}

/** Claims today's reward (UTC day); 409 `already_claimed` with the next claim time. */
export async function claimDaily(db: Db, input: { actor: Identity }) {
  const userId = input.actor.userId
  return db.transaction(async (tx) => {
    const [row] = (
      await tx.execute<{
        last: string | null
        streak: number
        today: string
        yesterday: string
        next_claim_at: string
      }>(sql`
        SELECT last_daily_claim::text AS last, coalesce(daily_streak, 0) AS streak,
               (now() AT TIME ZONE 'UTC')::date::text AS today,
               ((now() AT TIME ZONE 'UTC')::date - 1)::text AS yesterday,
               to_char(((now() AT TIME ZONE 'UTC')::date + 1)::timestamp, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS next_claim_at
        FROM user_balances WHERE user_id = ${userId}::uuid FOR UPDATE`)
    ).rows
    if (!row) throw new ApiError('not_found', 'this account has no balance')
    if (row.last === row.today) {
      throw new ApiError('already_claimed', 'today’s reward was already claimed', {
        next_claim_at: row.next_claim_at,
      })
    }
    const streak = row.last === row.yesterday ? row.streak + 1 : 1
    const reward = dailyReward(streak)
    const [balance] = await tx
      .update(userBalances)
      .set({
        tokens: sql`${userBalances.tokens} + ${reward}`,
        totalEarned: sql`${userBalances.totalEarned} + ${reward}`,
        dailyStreak: streak,
        lastDailyClaim: row.today,
        lastUpdated: sql`now()`,
      })
      .where(eq(userBalances.userId, userId))
      .returning({ tokens: userBalances.tokens })
    const [audit] = await tx
      .insert(transactions)
      .values({
        toUser: userId,
        transactionType: 'daily_claim',
        tokensTransferred: reward,
        metadata: { streak },
      })
      .returning({ id: transactions.id })
    await tx.insert(tokenTransactions).values({
      userId,
      amount: reward,
      transactionType: 'daily_claim',
      referenceId: audit.id,
      description: `daily reward, day ${streak} of the streak`,
    })
    return {
      reward,
      streak,
      tokens: balance.tokens,
      claimed_on: row.today,
      next_claim_at: row.next_claim_at,
    }
  })
}

/** Moves `amount` tokens from the caller to another player as a gift, within the outbound policy. */
export async function transferTokens(
  db: Db,
  input: {
    actor: Identity
    to_user_id: string
    amount: number
    note?: string
    policy: TokenOutboundPolicy
  },
) {
  const fromUserId = input.actor.userId
  const { to_user_id: toUserId, amount } = input
  if (toUserId === fromUserId) {
    throw new ApiError('validation_error', 'you cannot transfer tokens to yourself', [
      { path: ['to_user_id'], code: 'custom', message: 'must be another user' },
    ])
  }
  return db.transaction(async (tx) => {
    const [recipient] = await tx.select({ id: users.id }).from(users).where(eq(users.id, toUserId))
    if (!recipient) throw new ApiError('not_found', 'no user with that id to receive the tokens')
    // A blocked pair: 403 for the one who blocked, the unknown-user 404 for the one blocked.
    await assertNotBlocked(tx, fromUserId, toUserId, 'no user with that id to receive the tokens')
    const locked = await lockBalances(tx, [fromUserId, toUserId])
    if (!locked.has(toUserId)) throw new ApiError('not_found', 'the recipient has no balance')
    await assertTokensMayLeave(tx, { userId: fromUserId, amount, policy: input.policy })

    const [audit] = await tx
      .insert(transactions)
      .values({
        fromUser: fromUserId,
        toUser: toUserId,
        transactionType: 'gift',
        tokensTransferred: amount,
        metadata: input.note ? { note: input.note } : {},
      })
      .returning({ id: transactions.id, timestamp: transactions.timestamp })
    const description = input.note ?? null
    const balances = await postTokenLegs(tx, audit.id, [
      {
        user_id: fromUserId,
        amount: -amount,
        transaction_type: 'gift_sent',
        description,
        metadata: { counterparty: toUserId },
      },
      {
        user_id: toUserId,
        amount,
        transaction_type: 'gift_received',
        description,
        metadata: { counterparty: fromUserId },
      },
    ])
    return {
      id: audit.id,
      from_user_id: fromUserId,
      to_user_id: toUserId,
      amount,
      note: input.note ?? null,
      created_at: isoTimestamp(audit.timestamp),
      balance: { tokens: balances.get(fromUserId)! },
    }
  })
}

/** Grants tokens or premium tokens (admin); audited with the granting admin and the reason. */
export async function grantTokens(
  db: Db,
  input: {
    actor: Identity
    user_id: string
    amount: number
    currency: 'tokens' | 'premium_tokens'
    reason: string
  },
) {
  const grantedBy = input.actor.userId
  return db.transaction(async (tx) => {
    const locked = await lockBalances(tx, [input.user_id])
    if (!locked.has(input.user_id)) throw new ApiError('not_found', 'no user with that id')
    const premium = input.currency === 'premium_tokens'
    const [balance] = await tx
      .update(userBalances)
      .set(
        premium
          ? {
              premiumTokens: sql`${userBalances.premiumTokens} + ${input.amount}`,
              lastUpdated: sql`now()`,
            }
          : {
              tokens: sql`${userBalances.tokens} + ${input.amount}`,
              totalEarned: sql`${userBalances.totalEarned} + ${input.amount}`,
              lastUpdated: sql`now()`,
            },
      )
      .where(eq(userBalances.userId, input.user_id))
      .returning({ tokens: userBalances.tokens, premiumTokens: userBalances.premiumTokens })
    const metadata = { reason: input.reason, currency: input.currency, granted_by: grantedBy }
    const [audit] = await tx
      .insert(transactions)
      .values({
        toUser: input.user_id,
        transactionType: 'admin_grant',
        tokensTransferred: input.amount,
        metadata,
      })
      .returning({ id: transactions.id, timestamp: transactions.timestamp })
    await tx.insert(tokenTransactions).values({
      userId: input.user_id,
      amount: input.amount,
      transactionType: premium ? 'admin_grant_premium' : 'admin_grant',
      referenceId: audit.id,
      description: input.reason,
      metadata,
    })
    return {
      id: audit.id,
      user_id: input.user_id,
      amount: input.amount,
      currency: input.currency,
      reason: input.reason,
      created_at: isoTimestamp(audit.timestamp),
      balance: { tokens: balance.tokens, premium_tokens: balance.premiumTokens },
    }
  })
}

/** The caller's token history, newest first, a page at a time. */
export async function listTokenTransactions(
  db: Db,
  input: { actor: Identity; limit: number; cursor?: TimestampIdCursor },
) {
  const rows = await db
    .select({ row: tokenTransactions, cursorT: cursorTimestamp(tokenTransactions.timestamp) })
    .from(tokenTransactions)
    .where(
      and(
        eq(tokenTransactions.userId, input.actor.userId),
        afterTimestampId(tokenTransactions.timestamp, tokenTransactions.id, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(tokenTransactions.timestamp), desc(tokenTransactions.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    ({ row: r }) => ({
      id: r.id,
      amount: r.amount,
      transaction_type: r.transactionType,
      reference_id: r.referenceId ?? null,
      description: r.description ?? null,
      metadata: r.metadata ?? {},
      timestamp: isoTimestamp(r.timestamp),
    }),
    (r) => ({ t: r.cursorT, id: r.row.id }),
  )
}

/** A user's balance as an operator sees it (admin); 404 for an unknown user. */
export async function getUserBalance(db: Db, input: { actor: Identity; user_id: string }) {
  if (!hasRole(input.actor, 'admin')) throw new ApiError('forbidden', 'needs the admin role')
  const [row] = await db
    .select({ id: users.id, balance: userBalances })
    .from(users)
    .leftJoin(userBalances, eq(userBalances.userId, users.id))
    .where(eq(users.id, input.user_id))
  if (!row) throw new ApiError('not_found', 'no user with that id')
  return { user_id: row.id, ...balanceResource(row.balance) }
}

/**
 * The economy's audit trail (`transactions`: gifts, grants, daily claims, trades), newest first,
 * a page at a time; `user_id` keeps the rows where that user sends or receives (admin).
 */
export async function listTransactions(
  db: Db,
  input: { actor: Identity; user_id?: string; limit: number; cursor?: TimestampIdCursor },
) {
  if (!hasRole(input.actor, 'admin')) throw new ApiError('forbidden', 'needs the admin role')
  const userId = input.user_id
  const rows = await db
    .select({ row: transactions, cursorT: cursorTimestamp(transactions.timestamp) })
    .from(transactions)
    .where(
      and(
        userId === undefined
          ? undefined
          : or(eq(transactions.fromUser, userId), eq(transactions.toUser, userId)),
        afterTimestampId(transactions.timestamp, transactions.id, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(transactions.timestamp), desc(transactions.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    ({ row: r }) => ({
      id: r.id,
      transaction_type: r.transactionType,
      from_user_id: r.fromUser ?? null,
      to_user_id: r.toUser ?? null,
      tokens_transferred: r.tokensTransferred ?? 0,
      items_transferred: r.itemsTransferred ?? [],
      reference_id: r.referenceId ?? null,
      metadata: r.metadata ?? {},
      timestamp: isoTimestamp(r.timestamp),
    }),
    (r) => ({ t: r.cursorT, id: r.row.id }),
  )
}
