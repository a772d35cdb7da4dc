/**
 * The outbound token policy of new accounts (functions/economy/policy.ts): it stops a script that
 * registers accounts from funnelling their starting tokens into one main account.
 */
import { describe, expect, it } from 'vitest'
import { ageAccount, api, registerPlayer, sqlRows, type Player } from '../support/api'

const transfer = (from: Player, to: Player, amount: number) =>
  api('/v1/economy/transfers', {
    token: from.token,
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { to_user_id: to.id, amount },
  })

/** Gives a player more tokens than the daily cap, directly in the database. */
async function fund(player: Player, tokens: number) {
  await sqlRows('UPDATE user_balances SET tokens = $2 WHERE user_id = $1', [player.id, tokens])
}

describe('POST /v1/economy/transfers from new accounts', () => {
  it('refuses any transfer from an account younger than 72 hours with 403 and when it may send', async () => {
    const farm = await registerPlayer('farm')
    const main = await registerPlayer('main')
    const res = await transfer(farm, main, 100)
    expect(res.status, res.text).toBe(403)
    expect(res.body.error.details.reason).toBe('account_too_new')
    const maySendFrom = Date.parse(res.body.error.details.may_send_from)
    expect(maySendFrom - Date.now()).toBeGreaterThan(71 * 3600_000)
    const [balance] = await sqlRows<{ tokens: number }>(
      'SELECT tokens FROM user_balances WHERE user_id = $1',
      [farm.id],
    )
    expect(balance.tokens, 'nothing moved').toBe(100)
  })

  it('caps an account younger than 30 days at 200 tokens a UTC day, with 429 and Retry-After', async () => {
    const young = await registerPlayer('young')
    const friend = await registerPlayer('friend')
    await ageAccount(young.id, 4)
    await fund(young, 1_000)
    expect((await transfer(young, friend, 150)).status).toBe(201)
    const over = await transfer(young, friend, 60)
    expect(over.status, over.text).toBe(429)
    expect(over.body.error.details).toMatchObject({
      reason: 'new_account_daily_cap',
      daily_cap: 200,
      sent_today: 150,
      remaining_today: 50,
    })
    const retryAfter = Number(over.headers.get('Retry-After'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(86_400)
    expect((await transfer(young, friend, 50)).status, 'the rest of the cap').toBe(201)
  })

  it('lets an account older than 30 days send any amount it holds', async () => {
    const veteran = await registerPlayer('veteran')
    const friend = await registerPlayer('vfriend')
    await ageAccount(veteran.id, 31)
    await fund(veteran, 5_000)
    const res = await transfer(veteran, friend, 4_000)
    expect(res.status, res.text).toBe(201)
  })

  it('holds the daily cap when 30 transfers are sent at once', async () => {
    const young = await registerPlayer('yrace')
    const friend = await registerPlayer('yfriend')
    await ageAccount(young.id, 10)
    await fund(young, 1_000)
    const replies = await Promise.all(Array.from({ length: 30 }, () => transfer(young, friend, 10)))
    const moved = replies.filter((r) => r.status === 201).length
    expect(moved, replies.map((r) => r.status).join(',')).toBe(20)
    expect(replies.filter((r) => r.status === 429)).toHaveLength(10)
  })
})
