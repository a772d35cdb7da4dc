/**
 * The anti-farming policy of tokens leaving an account for another player's.
 *
 * Every account receives 100 tokens at registration (the seed's trigger) and can claim daily
 * rewards, and gifts move tokens to anyone: without a policy, a script that registers accounts
 * mints tokens for one main account. So, besides registrations limited per client address
 * (`auth/routes.ts`), tokens may leave an account for another player only
 * - once it is `min_account_age_hours` old (72 by default), and
 * - while it is younger than `new_account_days` (30), up to `new_account_daily_outbound` tokens
 *   (200) per UTC day.
 * A farm therefore waits three days per account and then trickles, while a real new player can
 * still give a friend something. The numbers are configuration (README, "Abuse limits"); every
 * service that moves a player's tokens to another player calls `assertTokensMayLeave` inside its
 * transaction, after locking the sender's balance row, so the daily sum cannot be raced.
 */
import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import type { Config } from '../lib/env'
import { ApiError } from '../lib/errors'

/** The policy's numbers. */
export interface TokenOutboundPolicy {
  min_account_age_hours: number
  new_account_days: number
  new_account_daily_outbound: number
}

/** The policy configured for this deployment. */
export const tokenPolicyOf = (config: Config): TokenOutboundPolicy => ({
  min_account_age_hours: config.TOKENS_OUTBOUND_MIN_ACCOUNT_AGE_HOURS,
  new_account_days: config.TOKENS_NEW_ACCOUNT_DAYS,
  new_account_daily_outbound: config.TOKENS_NEW_ACCOUNT_DAILY_OUTBOUND,
})

/**
 * `token_transactions` types that count as tokens sent to other players: gifts, marketplace
 * purchases, a trade's tokens put into escrow or paid on accepting it, and (counting back) a
 * trade's escrowed tokens returned to the requester, so an offer nobody took costs no allowance.
 */
export const OUTBOUND_TRANSACTION_TYPES = [
  'gift_sent',
  'purchase',
  'trade_escrow',
  'trade_sent',
  'trade_returned',
] as const

/**
 * Refuses `amount` leaving `userId` for another player when the policy forbids it: 403 while the
 * account is too young, 429 (until the next UTC day) past a new account's daily cap. Call it in
 * the transaction that moves the tokens, after the sender's balance row is locked.
 */
export async function assertTokensMayLeave(
  tx: Db,
  input: { userId: string; amount: number; policy: TokenOutboundPolicy },
): Promise<void> {
  const { userId, amount, policy } = input
  const [row] = (
    await tx.execute<{
      age_hours: number
      may_send_from: string
      sent_today: number
      next_day: string
    }>(sql`
      SELECT extract(epoch FROM now() - u.created_at) / 3600 AS age_hours,
             to_char((u.created_at + make_interval(secs => ${policy.min_account_age_hours * 3600})) AT TIME ZONE 'UTC',
                     'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS may_send_from,
             (SELECT greatest(coalesce(-sum(t.amount), 0), 0)::int FROM token_transactions t
              WHERE t.user_id = u.id
                AND t.transaction_type IN (${sql.join(
                  OUTBOUND_TRANSACTION_TYPES.map((type) => sql`${type}`),
                  sql`, `,
                )})
                AND t.timestamp >= (now() AT TIME ZONE 'UTC')::date AT TIME ZONE 'UTC') AS sent_today,
             to_char(((now() AT TIME ZONE 'UTC')::date + 1)::timestamp, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS next_day
      FROM users u WHERE u.id = ${userId}::uuid`)
  ).rows
  if (!row) throw new ApiError('not_found', 'this account does not exist')
  const ageHours = Number(row.age_hours)
  if (ageHours < policy.min_account_age_hours) {
    throw new ApiError(
      'forbidden',
      `new accounts cannot send tokens to other players for their first ${policy.min_account_age_hours} hours`,
      { reason: 'account_too_new', may_send_from: row.may_send_from },
    )
  }
  if (ageHours < policy.new_account_days * 24) {
    const left = Math.max(0, policy.new_account_daily_outbound - row.sent_today)
    if (amount > left) {
      const retryAfterSeconds = Math.max(1, Math.ceil((Date.parse(row.next_day) - Date.now()) / 1000))
      throw new ApiError(
        'rate_limited',
        `accounts younger than ${policy.new_account_days} days may send at most ${policy.new_account_daily_outbound} tokens a day`,
        {
          reason: 'new_account_daily_cap',
          daily_cap: policy.new_account_daily_outbound,
          sent_today: row.sent_today,
          remaining_today: left,
          resets_at: row.next_day,
        },
        { 'Retry-After': String(retryAfterSeconds) },
      )
    }
  }
}
