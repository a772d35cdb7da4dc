/**
 * The token ledger's moving parts, shared by every service that moves tokens (transfers here, the
 * marketplace's purchases, trades and their escrow): balance rows locked in one fixed order, and
 * the legs of one movement posted with conditional debits and one `token_transactions` row each.
 *
 * A movement runs inside the caller's transaction, which also writes the movement's one
 * `transactions` audit row (its id is every leg's `reference_id`). Lock order across services
 * (inventory/service.ts): a listing or trade row first, then inventory rows, then balances.
 */
import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { tokenTransactions, userBalances } from '../../db/schema/nexus'
import { ApiError } from '../lib/errors'
import { isNumericOverflow } from '../lib/pg-errors'

/**
 * The house: the account that receives marketplace fees (migration 0050, db/README decision 80).
 * A real `users` row, so every token stays in some balance.
 */
export const HOUSE_USER_ID = '00000000-0000-4000-8000-000000000001'

/** Locks the balance rows of `userIds` in user-id order; returns the ids that have one. */
export async function lockBalances(tx: Db, userIds: string[]): Promise<Set<string>> {
  const sorted = [...new Set(userIds)].sort()
  if (sorted.length === 0) return new Set()
  const rows = await tx.execute<{ user_id: string }>(sql`
    SELECT user_id FROM user_balances
    WHERE user_id IN (${sql.join(
      sorted.map((id) => sql`${id}::uuid`),
      sql`, `,
    )})
    ORDER BY user_id FOR UPDATE`)
  return new Set(rows.rows.map((r) => r.user_id))
}

/** One account's side of a token movement. */
export interface TokenLeg {
  user_id: string
  /** Tokens in (positive) or out (negative; a conditional debit). A zero leg is skipped. */
  amount: number
  /** `token_transactions.transaction_type` of this side. */
  transaction_type: string
  /**
   * Tokens coming back out of escrow to the account that put them in: they undo its spending
   * (`total_spent` goes down) instead of counting as earned.
   */
  refund?: boolean
  description?: string | null
  metadata?: Record<string, unknown>
}

/**
 * Posts the legs of one movement on balance rows the caller locked (`lockBalances`): debits first,
 * each conditional (`WHERE tokens >= amount`; 409 `insufficient_funds` with the balance, nothing
 * moved), then credits, then one `token_transactions` row per leg referencing `referenceId` (the
 * movement's `transactions` row). Returns the balances of the legs' accounts afterwards.
 */
export async function postTokenLegs(
  tx: Db,
  referenceId: string,
  legs: TokenLeg[],
): Promise<Map<string, number>> {
  const moving = legs.filter((leg) => leg.amount !== 0)
  const after = new Map<string, number>()
  const ordered = [...moving.filter((l) => l.amount < 0), ...moving.filter((l) => l.amount > 0)]
  for (const leg of ordered) after.set(leg.user_id, await applyLeg(tx, leg))
  if (moving.length > 0) {
    await tx.insert(tokenTransactions).values(
      moving.map((leg) => ({
        userId: leg.user_id,
        amount: leg.amount,
        transactionType: leg.transaction_type,
        referenceId,
        description: leg.description ?? null,
        metadata: leg.metadata ?? {},
      })),
    )
  }
  return after
}

/** Changes one balance by a leg; returns the balance afterwards. */
async function applyLeg(tx: Db, leg: TokenLeg): Promise<number> {
  const amount = Math.abs(leg.amount)
  const tokens = userBalances.tokens
  const set =
    leg.amount < 0
      ? {
          tokens: sql`${tokens} - ${amount}`,
          totalSpent: sql`${userBalances.totalSpent} + ${amount}`,
        }
      : leg.refund
        ? {
            tokens: sql`${tokens} + ${amount}`,
            totalSpent: sql`greatest(${userBalances.totalSpent} - ${amount}, 0)`,
          }
        : {
            tokens: sql`${tokens} + ${amount}`,
            totalEarned: sql`${userBalances.totalEarned} + ${amount}`,
          }
  let changed: Array<{ tokens: number }>
  try {
    changed = await tx
      .update(userBalances)
      .set({ ...set, lastUpdated: sql`now()` })
      .where(
        and(
          eq(userBalances.userId, leg.user_id),
          leg.amount < 0 ? sql`${tokens} >= ${amount}` : undefined,
        ),
      )
      .returning({ tokens })
  } catch (error) {
    if (isNumericOverflow(error)) {
      throw new ApiError('conflict', 'a balance would exceed the largest amount an account holds', {
        reason: 'balance_limit',
      })
    }
    throw error
  }
  if (changed.length === 1) return changed[0].tokens
  if (leg.amount > 0) {
    // The caller locked the account's balance row, so a credit always finds it.
    throw new Error(`no balance row for ${leg.user_id} to credit`)
  }
  const [current] = await tx
    .select({ tokens })
    .from(userBalances)
    .where(eq(userBalances.userId, leg.user_id))
  throw new ApiError('insufficient_funds', 'not enough tokens', {
    balance: current?.tokens ?? 0,
    amount,
  })
}
