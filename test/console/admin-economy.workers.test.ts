/**
 * The operator's view of the economy used by the console: `GET /v1/admin/economy/transactions`
 * and `GET /v1/admin/economy/balances/:user_id` (admin only).
 */
import { describe, expect, it } from 'vitest'
import { api, registerPlayer, registerVeteran, tokenFor } from '../support/api'

async function admin() {
  const user = await registerPlayer('adm')
  return { ...user, token: await tokenFor(user, ['admin']) }
}

async function gift(from: { token: string }, toUserId: string, amount: number) {
  const res = await api('/v1/economy/transfers', {
    token: from.token,
    body: { to_user_id: toUserId, amount },
    headers: { 'Idempotency-Key': crypto.randomUUID() },
  })
  expect(res.status, res.text).toBe(201)
  return res.body
}

describe('GET /v1/admin/economy/transactions', () => {
  it('lists the latest movements newest first, and one user’s with user_id', async () => {
    const ops = await admin()
    const sender = await registerVeteran('snd')
    const receiver = await registerPlayer('rcv')
    const first = await gift(sender, receiver.id, 3)
    const second = await gift(sender, receiver.id, 4)

    const mine = await api(`/v1/admin/economy/transactions?user_id=${receiver.id}`, {
      token: ops.token,
    })
    expect(mine.status, mine.text).toBe(200)
    expect(mine.body.items.map((t: any) => [t.id, t.tokens_transferred])).toEqual([
      [second.id, 4],
      [first.id, 3],
    ])
    expect(mine.body.items[0]).toMatchObject({
      transaction_type: 'gift',
      from_user_id: sender.id,
      to_user_id: receiver.id,
    })

    const latest = await api('/v1/admin/economy/transactions?limit=1', { token: ops.token })
    expect(latest.status, latest.text).toBe(200)
    expect(latest.body.items).toHaveLength(1)
    expect(latest.body.next_cursor).toEqual(expect.any(String))
  })

  it('pages with next_cursor without repeating a row', async () => {
    const ops = await admin()
    const sender = await registerVeteran('snd')
    const receiver = await registerPlayer('rcv')
    const ids = [] as string[]
    for (const amount of [1, 2, 3]) ids.unshift((await gift(sender, receiver.id, amount)).id)
    const pageOne = await api(`/v1/admin/economy/transactions?user_id=${sender.id}&limit=2`, {
      token: ops.token,
    })
    const pageTwo = await api(
      `/v1/admin/economy/transactions?user_id=${sender.id}&limit=2&cursor=${pageOne.body.next_cursor}`,
      { token: ops.token },
    )
    expect(pageTwo.status, pageTwo.text).toBe(200)
    expect([...pageOne.body.items, ...pageTwo.body.items].map((t: any) => t.id)).toEqual(ids)
    expect(pageTwo.body.next_cursor).toBeNull()
  })

  it('refuses a forged cursor and a malformed user_id (400)', async () => {
    const ops = await admin()
    const forged = await api('/v1/admin/economy/transactions?cursor=eyJ0IjoxfQ', {
      token: ops.token,
    })
    expect(forged.status, forged.text).toBe(400)
    const bad = await api('/v1/admin/economy/transactions?user_id=nope', { token: ops.token })
    expect(bad.status, bad.text).toBe(400)
  })

  it('is for admins only: a player and a moderator get 403, no token 401', async () => {
    const player = await registerPlayer('plr')
    const moderator = { ...player, token: await tokenFor(player, ['moderator']) }
    for (const token of [player.token, moderator.token]) {
      const res = await api('/v1/admin/economy/transactions', { token })
      expect(res.status, res.text).toBe(403)
    }
    const anonymous = await api('/v1/admin/economy/transactions')
    expect(anonymous.status, anonymous.text).toBe(401)
  })
})

describe('GET /v1/admin/economy/balances/:user_id', () => {
  it('answers a user’s balance, whatever the letter case of the id', async () => {
    const ops = await admin()
    const player = await registerPlayer('plr')
    const res = await api(`/v1/admin/economy/balances/${player.id.toUpperCase()}`, {
      token: ops.token,
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ user_id: player.id, tokens: 100, premium_tokens: 0 })
  })

  it('answers 404 for an unknown user and 400 for a malformed id', async () => {
    const ops = await admin()
    const unknown = await api(`/v1/admin/economy/balances/${crypto.randomUUID()}`, {
      token: ops.token,
    })
    expect(unknown.status, unknown.text).toBe(404)
    const bad = await api('/v1/admin/economy/balances/not-a-uuid', { token: ops.token })
    expect(bad.status, bad.text).toBe(400)
  })

  it('refuses a player looking at another player’s balance (403)', async () => {
    const player = await registerPlayer('plr')
    const other = await registerPlayer('oth')
    const res = await api(`/v1/admin/economy/balances/${other.id}`, { token: player.token })
    expect(res.status, res.text).toBe(403)
  })
})
