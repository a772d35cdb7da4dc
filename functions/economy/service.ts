/**
 * The token economy. Every movement runs inside one transaction (given by the caller, see
 * `runIdempotent`): balance rows are locked in user-id order (no deadlock between opposite
 * transfers), the debit is conditional (`WHERE tokens >= amount`), and the same transaction writes
 * `total_earned`/`total_spent`, one `token_transactions` row per side and one `transactions` audit
 * row. The seed's CHECK (tokens >= 0) stays as the last line of defence.
 */
import { and, desc, eq, sql } from 'drizzle-orm'
import type { NexusClient } from '../../db/client'
import { tokenTransactions, transactions, userBalances, users } from '../../db/schema/nexus'
import { ApiError } from '../lib/errors'
import type { NexusTx } from '../lib/idempotency'
import { pageOf } from '../lib/pagination'

type Db = NexusClient['db']

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
export async function getBalance(db: Db | NexusTx, userId: string) {
  const [b] = await db.select().from(userBalances).where(eq(userBalances.userId, userId))
  if (!b) throw new ApiError('not_found', 'this account has no balance')
  return {
    tokens: b.tokens,
    premium_tokens: b.premiumTokens,
    daily_streak: b.dailyStreak ?? 0,
    last_daily_claim: b.lastDailyClaim ?? null,
    total_earned: b.totalEarned,
    total_spent: b.totalSpent,
  }
}

/** Locks the balance rows of `userIds` in a fixed order; returns the ids that have one. */
async function lockBalances(tx: NexusTx, userIds: string[]): Promise<Set<string>> {
  const sorted = [...new Set(userIds)].sort()
  const rows = await tx.execute<{ user_id: string }>(sql`
    SELECT user_id FROM user_balances
    WHERE user_id IN (${sql.join(
      sorted.map((id) => sql`${id}::uuid`),
      sql`, `,
    )})
    ORDER BY user_id FOR UPDATE`)
  return new Set(rows.rows.map((r) => r.user_id))
}

/** Claims today's reward (UTC day); 409 `already_claimed` with the next claim time. */
export async function claimDaily(tx: NexusTx, userId: string) {
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
      nextClaimAt: row.next_claim_at,
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
}

/** Moves `amount` tokens from one user to another as a gift. */
export async function transferTokens(
  tx: NexusTx,
  input: { fromUserId: string; toUserId: string; amount: number; note?: string },
) {
  const { fromUserId, toUserId, amount } = input
  const [recipient] = await tx.select({ id: users.id }).from(users).where(eq(users.id, toUserId))
  if (!recipient) throw new ApiError('not_found', 'no user with that id to receive the tokens')
  const locked = await lockBalances(tx, [fromUserId, toUserId])
  if (!locked.has(toUserId)) throw new ApiError('not_found', 'the recipient has no balance')

  const debited = await tx
    .update(userBalances)
    .set({
      tokens: sql`${userBalances.tokens} - ${amount}`,
      totalSpent: sql`${userBalances.totalSpent} + ${amount}`,
      lastUpdated: sql`now()`,
    })
    .where(and(eq(userBalances.userId, fromUserId), sql`${userBalances.tokens} >= ${amount}`))
    .returning({ tokens: userBalances.tokens })
  if (debited.length === 0) {
    const [current] = await tx
      .select({ tokens: userBalances.tokens })
      .from(userBalances)
      .where(eq(userBalances.userId, fromUserId))
    throw new ApiError('insufficient_funds', 'not enough tokens for this transfer', {
      balance: current?.tokens ?? 0,
      amount,
    })
  }
  await tx
    .update(userBalances)
    .set({
      tokens: sql`${userBalances.tokens} + ${amount}`,
      totalEarned: sql`${userBalances.totalEarned} + ${amount}`,
      lastUpdated: sql`now()`,
    })
    .where(eq(userBalances.userId, toUserId))

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
  await tx.insert(tokenTransactions).values([
    {
      userId: fromUserId,
      amount: -amount,
      transactionType: 'gift_sent',
      referenceId: audit.id,
      description,
      metadata: { counterparty: toUserId },
    },
    {
      userId: toUserId,
      amount,
      transactionType: 'gift_received',
      referenceId: audit.id,
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
    created_at: audit.timestamp?.toISOString() ?? null,
    balance: { tokens: debited[0].tokens },
  }
}

/** Grants tokens or premium tokens (admin); audited with the granting admin and the reason. */
export async function grantTokens(
  tx: NexusTx,
  input: {
    adminUserId: string
    userId: string
    amount: number
    currency: 'tokens' | 'premium_tokens'
    reason: string
  },
) {
  const locked = await lockBalances(tx, [input.userId])
  if (!locked.has(input.userId)) throw new ApiError('not_found', 'no user with that id')
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
    .where(eq(userBalances.userId, input.userId))
    .returning({ tokens: userBalances.tokens, premiumTokens: userBalances.premiumTokens })
  const metadata = { reason: input.reason, currency: input.currency, granted_by: input.adminUserId }
  const [audit] = await tx
    .insert(transactions)
    .values({
      toUser: input.userId,
      transactionType: 'admin_grant',
      tokensTransferred: input.amount,
      metadata,
    })
    .returning({ id: transactions.id, timestamp: transactions.timestamp })
  await tx.insert(tokenTransactions).values({
    userId: input.userId,
    amount: input.amount,
    transactionType: premium ? 'admin_grant_premium' : 'admin_grant',
    referenceId: audit.id,
    description: input.reason,
    metadata,
  })
  return {
    id: audit.id,
    user_id: input.userId,
    amount: input.amount,
    currency: input.currency,
    reason: input.reason,
    created_at: audit.timestamp?.toISOString() ?? null,
    balance: { tokens: balance.tokens, premium_tokens: balance.premiumTokens },
  }
}

/** The caller's token history, newest first, a page at a time. */
export async function listTokenTransactions(
  db: Db,
  userId: string,
  page: { limit: number; after?: { t: string; id: string } },
) {
  const after = page.after
  // The cursor keeps Postgres's microseconds; a JS Date would round them to milliseconds.
  const cursorTimestamp = sql<string>`to_char(${tokenTransactions.timestamp} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
  const rows = await db
    .select({ row: tokenTransactions, cursorTimestamp })
    .from(tokenTransactions)
    .where(
      and(
        eq(tokenTransactions.userId, userId),
        after
          ? sql`(${tokenTransactions.timestamp}, ${tokenTransactions.id}) < (${after.t}::timestamptz, ${after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(tokenTransactions.timestamp), desc(tokenTransactions.id))
    .limit(page.limit + 1)
  return pageOf(
    rows,
    page.limit,
    ({ row: r }) => ({
      id: r.id,
      amount: r.amount,
      transaction_type: r.transactionType,
      reference_id: r.referenceId ?? null,
      description: r.description ?? null,
      metadata: r.metadata ?? {},
      timestamp: r.timestamp?.toISOString() ?? null,
    }),
    (r) => ({ t: r.cursorTimestamp, id: r.row.id }),
  )
}
