/** Helpers for workerd tests of the marketplace and trades: requests with fresh keys, balances. */
import { expect } from 'vitest'
import { api, sqlRows, type Player } from './api'

/** A POST with a fresh Idempotency-Key (or `key`). */
export const postWithKey = (
  path: string,
  player: Player,
  body: unknown = undefined,
  key: string = crypto.randomUUID(),
) =>
  api(path, {
    method: 'POST',
    token: player.token,
    body,
    headers: { 'Idempotency-Key': key },
  })

/** Lists units for sale and expects a 201; returns the listing. */
export async function listOk(
  seller: Player,
  body: { item_id: string; quantity?: number; price: number },
) {
  const res = await postWithKey('/v1/marketplace/listings', seller, body)
  expect(res.status, res.text).toBe(201)
  return res.body as { id: string; [key: string]: any }
}

/** Buys units of a listing (fresh key unless given); returns the response. */
export const buy = (buyer: Player, listingId: string, quantity = 1, key?: string) =>
  postWithKey(`/v1/marketplace/listings/${listingId}/purchase`, buyer, { quantity }, key)

/** The player's token balance, through the API. */
export async function tokensOf(player: Player): Promise<number> {
  const res = await api('/v1/economy/balance', { token: player.token })
  expect(res.status, res.text).toBe(200)
  return res.body.tokens
}

/** Moves a listing's or trade's `expires_at` into the past, as if its time had run out. */
export async function expireNow(table: 'marketplace_listings' | 'trade_requests', id: string) {
  await sqlRows(`UPDATE ${table} SET expires_at = now() - interval '1 second' WHERE id = $1`, [id])
}

/** The `transactions` rows referencing `referenceId` (a listing or a trade), oldest first. */
export const auditOfReference = (referenceId: string) =>
  sqlRows<{
    id: string
    transaction_type: string
    from_user: string | null
    to_user: string | null
    items_transferred: Array<{ item_id: string; quantity: number }>
    tokens_transferred: number
    metadata: Record<string, unknown>
  }>(
    `SELECT id, transaction_type, from_user, to_user, items_transferred, tokens_transferred, metadata
     FROM transactions WHERE reference_id = $1 ORDER BY "timestamp", id`,
    [referenceId],
  )

/** The `token_transactions` rows of the audit rows referencing `referenceId`. */
export const tokenLegsOf = (referenceId: string) =>
  sqlRows<{ user_id: string; amount: number; transaction_type: string }>(
    `SELECT tt.user_id, tt.amount, tt.transaction_type FROM token_transactions tt
     JOIN transactions t ON t.id = tt.reference_id
     WHERE t.reference_id = $1 ORDER BY t."timestamp", t.id, tt.amount`,
    [referenceId],
  )
