import { describe, expect, it } from 'vitest'
import { api, registerVeteran, sqlRows, tokenFor, type Player } from '../support/api'

/** A transfer request; `key: null` sends no Idempotency-Key. */
const transfer = (from: Player, body: unknown, key: string | null = crypto.randomUUID()) =>
  api('/v1/economy/transfers', {
    token: from.token,
    body,
    headers: key === null ? {} : { 'Idempotency-Key': key },
  })

const balanceOf = async (player: Player) => {
  const res = await api('/v1/economy/balance', { token: player.token })
  expect(res.status, res.text).toBe(200)
  return res.body.tokens as number
}

describe('GET /v1/economy/balance', () => {
  it('returns the starting balance of a new player', async () => {
    const player = await registerVeteran('bal')
    const res = await api('/v1/economy/balance', { token: player.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({
      tokens: 100,
      premium_tokens: 0,
      daily_streak: 0,
      total_earned: 100,
    })
  })

  it('answers 401 without a token', async () => {
    expect((await api('/v1/economy/balance')).status).toBe(401)
  })
})

describe('POST /v1/economy/daily-claim', () => {
  it('credits 10 tokens on the first day and refuses a second claim the same day', async () => {
    const player = await registerVeteran('daily')
    const first = await api('/v1/economy/daily-claim', { method: 'POST', token: player.token })
    expect(first.status, first.text).toBe(200)
    expect(first.body).toMatchObject({ reward: 10, streak: 1, tokens: 110 })
    const second = await api('/v1/economy/daily-claim', { method: 'POST', token: player.token })
    expect(second.status, second.text).toBe(409)
    expect(second.body.error.code).toBe('already_claimed')
    expect(second.body.error.details.next_claim_at).toBe(first.body.next_claim_at)
    expect(await balanceOf(player)).toBe(110)
  })

  it('grows the streak on consecutive days and resets it after a gap', async () => {
    const player = await registerVeteran('streak')
    await sqlRows(
      `UPDATE user_balances SET daily_streak = 4,
         last_daily_claim = (now() AT TIME ZONE 'UTC')::date - 1 WHERE user_id = $1`,
      [player.id],
    )
    const consecutive = await api('/v1/economy/daily-claim', {
      method: 'POST',
      token: player.token,
    })
    expect(consecutive.status, consecutive.text).toBe(200)
    expect(consecutive.body).toMatchObject({ streak: 5, reward: 30 })

    await sqlRows(
      `UPDATE user_balances SET daily_streak = 20,
         last_daily_claim = (now() AT TIME ZONE 'UTC')::date - 1 WHERE user_id = $1`,
      [player.id],
    )
    const capped = await api('/v1/economy/daily-claim', { method: 'POST', token: player.token })
    expect(capped.body).toMatchObject({ streak: 21, reward: 50 })

    await sqlRows(
      `UPDATE user_balances SET daily_streak = 7,
         last_daily_claim = (now() AT TIME ZONE 'UTC')::date - 2 WHERE user_id = $1`,
      [player.id],
    )
    const afterGap = await api('/v1/economy/daily-claim', { method: 'POST', token: player.token })
    expect(afterGap.body).toMatchObject({ streak: 1, reward: 10 })
  })
})

describe('POST /v1/economy/transfers', () => {
  it('moves tokens with one debit, one credit, two history rows and one audit row', async () => {
    const alice = await registerVeteran('alice')
    const bob = await registerVeteran('bob')
    const res = await transfer(alice, { to_user_id: bob.id, amount: 25, note: 'for the bridge' })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({ from_user_id: alice.id, to_user_id: bob.id, amount: 25 })
    expect(res.body.balance.tokens).toBe(75)
    expect(await balanceOf(alice)).toBe(75)
    expect(await balanceOf(bob)).toBe(125)

    const audit = await sqlRows<any>('SELECT * FROM transactions WHERE id = $1', [res.body.id])
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({
      from_user: alice.id,
      to_user: bob.id,
      transaction_type: 'gift',
      tokens_transferred: 25,
    })
    const sides = await sqlRows<any>(
      'SELECT user_id, amount FROM token_transactions WHERE reference_id = $1 ORDER BY amount',
      [res.body.id],
    )
    expect(sides).toEqual([
      { user_id: alice.id, amount: -25 },
      { user_id: bob.id, amount: 25 },
    ])
    const [totals] = await sqlRows<any>(
      'SELECT total_spent FROM user_balances WHERE user_id = $1',
      [alice.id],
    )
    expect(totals.total_spent).toBe(25)
  })

  it('replays a request with the same Idempotency-Key without a second debit', async () => {
    const alice = await registerVeteran('idem')
    const bob = await registerVeteran('idemb')
    const key = crypto.randomUUID()
    const first = await transfer(alice, { to_user_id: bob.id, amount: 10 }, key)
    const replay = await transfer(alice, { to_user_id: bob.id, amount: 10 }, key)
    expect(first.status, first.text).toBe(201)
    expect(replay.status, replay.text).toBe(201)
    expect(replay.text).toBe(first.text)
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true')
    expect(await balanceOf(alice)).toBe(90)
  })

  it('answers 422 when a key is reused with a different body', async () => {
    const alice = await registerVeteran('reuse')
    const bob = await registerVeteran('reuseb')
    const key = crypto.randomUUID()
    expect((await transfer(alice, { to_user_id: bob.id, amount: 10 }, key)).status).toBe(201)
    const res = await transfer(alice, { to_user_id: bob.id, amount: 11 }, key)
    expect(res.status, res.text).toBe(422)
    expect(res.body.error.code).toBe('idempotency_key_reused')
    expect(await balanceOf(alice)).toBe(90)
  })

  it('scopes keys per caller: the same key from two players moves two amounts', async () => {
    const alice = await registerVeteran('scopea')
    const carol = await registerVeteran('scopec')
    const bob = await registerVeteran('scopeb')
    const key = crypto.randomUUID()
    expect((await transfer(alice, { to_user_id: bob.id, amount: 5 }, key)).status).toBe(201)
    expect((await transfer(carol, { to_user_id: bob.id, amount: 5 }, key)).status).toBe(201)
    expect(await balanceOf(bob)).toBe(110)
  })

  it('answers 409 insufficient_funds and moves nothing; the refusal is replayed', async () => {
    const alice = await registerVeteran('poor')
    const bob = await registerVeteran('poorb')
    const key = crypto.randomUUID()
    const res = await transfer(alice, { to_user_id: bob.id, amount: 101 }, key)
    expect(res.status, res.text).toBe(409)
    expect(res.body.error.code).toBe('insufficient_funds')
    expect(res.body.error.details).toEqual({ balance: 100, amount: 101 })
    const replay = await transfer(alice, { to_user_id: bob.id, amount: 101 }, key)
    expect(replay.status).toBe(409)
    expect(replay.text).toBe(res.text)
    expect(await balanceOf(alice)).toBe(100)
    expect(await balanceOf(bob)).toBe(100)
    const rows = await sqlRows('SELECT 1 FROM token_transactions WHERE user_id = $1', [alice.id])
    expect(rows).toHaveLength(0)
  })

  it('answers 404 for an unknown recipient', async () => {
    const alice = await registerVeteran('nobody')
    const res = await transfer(alice, { to_user_id: crypto.randomUUID(), amount: 1 })
    expect(res.status, res.text).toBe(404)
    expect(await balanceOf(alice)).toBe(100)
  })

  it.each([
    ['zero', 0],
    ['negative', -5],
    ['fractional', 1.5],
    ['absurd', 1e12],
    ['a string', '10'],
    ['null', null],
  ])('answers 400 for a %s amount', async (_, amount) => {
    const alice = await registerVeteran('amt')
    const bob = await registerVeteran('amtb')
    const res = await transfer(alice, { to_user_id: bob.id, amount })
    expect(res.status, res.text).toBe(400)
    expect(res.body.error.code).toBe('validation_error')
    expect(await balanceOf(alice)).toBe(100)
  })

  it('answers 400 for a transfer to oneself', async () => {
    const alice = await registerVeteran('self')
    const res = await transfer(alice, { to_user_id: alice.id, amount: 5 })
    expect(res.status, res.text).toBe(400)
    expect(await balanceOf(alice)).toBe(100)
  })

  it('answers 400 without an Idempotency-Key', async () => {
    const alice = await registerVeteran('nokey')
    const bob = await registerVeteran('nokeyb')
    const res = await transfer(alice, { to_user_id: bob.id, amount: 5 }, null)
    expect(res.status, res.text).toBe(400)
    expect(await balanceOf(alice)).toBe(100)
  })

  it('refuses extra keys such as fromUserId (no spending from another account)', async () => {
    const alice = await registerVeteran('mass')
    const bob = await registerVeteran('massb')
    const res = await transfer(bob, { to_user_id: bob.id, fromUserId: alice.id, amount: 5 })
    expect(res.status, res.text).toBe(400)
    expect(await balanceOf(alice)).toBe(100)
  })
})

describe('GET /v1/economy/transactions', () => {
  it("pages through the caller's own history only, newest first", async () => {
    const alice = await registerVeteran('hist')
    const bob = await registerVeteran('histb')
    for (const amount of [1, 2, 3]) {
      expect((await transfer(alice, { to_user_id: bob.id, amount })).status).toBe(201)
    }
    const page1 = await api('/v1/economy/transactions?limit=2', { token: alice.token })
    expect(page1.status, page1.text).toBe(200)
    expect(page1.body.items.map((t: any) => t.amount)).toEqual([-3, -2])
    const page2 = await api(`/v1/economy/transactions?limit=2&cursor=${page1.body.next_cursor}`, {
      token: alice.token,
    })
    expect(page2.body.items.map((t: any) => t.amount)).toEqual([-1])
    expect(page2.body.next_cursor).toBeNull()
    const bobs = await api('/v1/economy/transactions?limit=10', { token: bob.token })
    expect(bobs.body.items.map((t: any) => t.amount)).toEqual([3, 2, 1])
  })
})

describe('POST /v1/admin/economy/grants', () => {
  it('lets an admin grant tokens and premium tokens, audited with the reason', async () => {
    const admin = await registerVeteran('admin')
    const adminToken = await tokenFor(admin, ['admin'])
    const player = await registerVeteran('granted')
    const res = await api('/v1/admin/economy/grants', {
      token: adminToken,
      body: { user_id: player.id, amount: 500, reason: 'tournament prize' },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body.balance.tokens).toBe(600)
    const premium = await api('/v1/admin/economy/grants', {
      token: adminToken,
      body: { user_id: player.id, amount: 7, currency: 'premium_tokens', reason: 'refund #12' },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    })
    expect(premium.status, premium.text).toBe(201)
    expect(premium.body.balance.premium_tokens).toBe(7)
    const audit = await sqlRows<any>('SELECT metadata FROM transactions WHERE id = $1', [
      res.body.id,
    ])
    expect(audit[0].metadata).toMatchObject({ reason: 'tournament prize', granted_by: admin.id })
  })

  it('answers 403 to a player', async () => {
    const player = await registerVeteran('notadmin')
    const res = await api('/v1/admin/economy/grants', {
      token: player.token,
      body: { user_id: player.id, amount: 500, reason: 'self-service' },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    })
    expect(res.status, res.text).toBe(403)
    expect(await balanceOf(player)).toBe(100)
  })
})
