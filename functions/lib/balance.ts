/**
 * The balance resource (`user_balances`), shown by the economy (`GET /v1/economy/balance`) and in
 * one's own profile (`GET /v1/users/me`).
 */
import { z } from '@hono/zod-openapi'
import type { UserBalance } from '../../db/schema/nexus'

export const BalanceSchema = z
  .object({
    tokens: z.number().int(),
    premium_tokens: z.number().int(),
    daily_streak: z.number().int(),
    last_daily_claim: z.string().nullable(),
    total_earned: z.number().int(),
    total_spent: z.number().int(),
  })
  .openapi('Balance')

/** The resource of a balance row; an account without one shows zeros. */
export function balanceResource(row: UserBalance | null | undefined): z.infer<typeof BalanceSchema> {
  return {
    tokens: row?.tokens ?? 0,
    premium_tokens: row?.premiumTokens ?? 0,
    daily_streak: row?.dailyStreak ?? 0,
    last_daily_claim: row?.lastDailyClaim ?? null,
    total_earned: row?.totalEarned ?? 0,
    total_spent: row?.totalSpent ?? 0,
  }
}
