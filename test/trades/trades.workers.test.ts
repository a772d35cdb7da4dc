import { createExecutionContext, createScheduledController, env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import worker from '../../functions/index'
import { api, registerPlayer, registerVeteran, sqlRows, type Player } from '../support/api'
import { createInstance, enterRoom } from '../support/instances'
import { createItem, grantOk, heldBy, registerAdmin } from '../support/items'
import { auditOfReference, expireNow, postWithKey, tokenLegsOf, tokensOf } from '../support/market'

let admin: Player

beforeAll(async () => {
  admin = await registerAdmin()
})

/** Two veterans, each holding `held` units of their own fresh tradeable item. */
async function twoTraders(held = 5, item: Record<string, unknown> = {}) {
  const [requester, recipient] = [await registerVeteran('req'), await registerVeteran('rec')]
  const [offered, asked] = [await createItem(admin, item), await createItem(admin, item)]
  await grantOk(admin, requester.id, [{ item_id: offered.id, quantity: held }])
  await grantOk(admin, recipient.id, [{ item_id: asked.id, quantity: held }])
  return { requester, recipient, offered: offered.id, asked: asked.id }
}

const offer = (requester: Player, body: Record<string, unknown>, key?: string) =>
  postWithKey('/v1/trades', requester, body, key)

async function offerOk(requester: Player, body: Record<string, unknown>) {
  const res = await offer(requester, body)
  expect(res.status, res.text).toBe(201)
  return res.body as { id: string; [key: string]: any }
}

const act = (
  player: Player,
  tradeId: string,
  action: 'accept' | 'decline' | 'cancel',
  key?: string,
) => postWithKey(`/v1/trades/${tradeId}/${action}`, player, undefined, key)

const trade = (player: Player, id: string) => api(`/v1/trades/${id}`, { token: player.token })

describe('POST /v1/trades', () => {
  it('takes the requester’s items and tokens into escrow at once', async () => {
    const { requester, recipient, offered, asked } = await twoTraders()
    const res = await offer(requester, {
      recipient_id: recipient.id.toUpperCase(),
      requester_items: [{ item_id: offered, quantity: 2 }],
      requester_tokens: 30,
      recipient_items: [{ item_id: asked, quantity: 1 }],
      recipient_tokens: 5,
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      requester_id: requester.id,
      recipient_id: recipient.id,
      status: 'pending',
      requester_items: [{ item_id: offered, quantity: 2 }],
      requester_tokens: 30,
      recipient_items: [{ item_id: asked, quantity: 1 }],
      recipient_tokens: 5,
      escrow_held: true,
      completed_at: null,
    })
    const lifetime = Date.parse(res.body.expires_at) - Date.parse(res.body.created_at)
    expect(lifetime, res.text).toBe(3600 * 1000)
    expect(await heldBy(requester, offered)).toBe(3)
    expect(await tokensOf(requester)).toBe(70)
    expect(await heldBy(recipient, asked), 'the recipient’s side is untouched').toBe(5)
    expect(await auditOfReference(res.body.id)).toEqual([
      expect.objectContaining({
        transaction_type: 'trade_escrow',
        from_user: requester.id,
        to_user: null,
        items_transferred: [{ item_id: offered, quantity: 2 }],
        tokens_transferred: 30,
      }),
    ])
    expect(await tokenLegsOf(res.body.id)).toEqual([
      { user_id: requester.id, amount: -30, transaction_type: 'trade_escrow' },
    ])
  })

  it('refuses what the requester does not have, moving nothing', async () => {
    const { requester, recipient, offered } = await twoTraders(2)
    const units = await offer(requester, {
      recipient_id: recipient.id,
      requester_items: [{ item_id: offered, quantity: 3 }],
    })
    expect(units.status, units.text).toBe(409)
    expect(units.body.error.details.reason).toBe('insufficient_quantity')
    const tokens = await offer(requester, {
      recipient_id: recipient.id,
      requester_items: [{ item_id: offered, quantity: 1 }],
      requester_tokens: 101,
    })
    expect(tokens.status, tokens.text).toBe(409)
    expect(tokens.body.error.code).toBe('insufficient_funds')
    expect(await heldBy(requester, offered)).toBe(2)
    expect(await tokensOf(requester)).toBe(100)
    const mine = await api('/v1/trades', { token: requester.token })
    expect(mine.body.items, mine.text).toEqual([])
  })

  it('refuses untradeable items on either side, unknown items and unknown recipients', async () => {
    const { requester, recipient, offered } = await twoTraders()
    const bound = await createItem(admin, { is_tradeable: false })
    for (const body of [
      { recipient_id: recipient.id, requester_items: [{ item_id: bound.id, quantity: 1 }] },
      { recipient_id: recipient.id, recipient_items: [{ item_id: bound.id, quantity: 1 }] },
    ]) {
      const res = await offer(requester, body)
      expect(res.status, res.text).toBe(409)
      expect(res.body.error.details).toEqual({ reason: 'not_tradeable', item_id: bound.id })
    }
    const unknownItem = await offer(requester, {
      recipient_id: recipient.id,
      recipient_items: [{ item_id: crypto.randomUUID(), quantity: 1 }],
    })
    expect(unknownItem.status, unknownItem.text).toBe(404)
    const nobody = await offer(requester, {
      recipient_id: crypto.randomUUID(),
      requester_items: [{ item_id: offered, quantity: 1 }],
    })
    expect(nobody.status, nobody.text).toBe(404)
    expect(await heldBy(requester, offered)).toBe(5)
  })

  it('refuses invalid bodies: yourself, an empty trade, repeated items, unknown keys, no key', async () => {
    const { requester, recipient, offered } = await twoTraders()
    const line = { item_id: offered, quantity: 1 }
    for (const body of [
      { recipient_id: requester.id, requester_items: [line] },
      { recipient_id: recipient.id },
      { recipient_id: recipient.id, requester_items: [line, line] },
      { recipient_id: recipient.id, requester_items: [{ ...line, quantity: 0 }] },
      { recipient_id: recipient.id, requester_tokens: -1 },
      { recipient_id: recipient.id, requester_tokens: 1.5 },
      { recipient_id: recipient.id, requester_items: [line], note: 'hi' },
      { recipient_id: recipient.id, requester_items: Array(21).fill(line) },
    ]) {
      const res = await offer(requester, body)
      expect(res.status, `${JSON.stringify(body).slice(0, 80)}: ${res.text}`).toBe(400)
    }
    const noKey = await api('/v1/trades', {
      token: requester.token,
      body: { recipient_id: recipient.id, requester_items: [line] },
    })
    expect(noKey.status, noKey.text).toBe(400)
    expect(await heldBy(requester, offered)).toBe(5)
  })

  it('lets a new account offer items, but not tokens, to another player', async () => {
    const newcomer = await registerPlayer('newcomer')
    const other = await registerVeteran('other')
    const item = await createItem(admin)
    await grantOk(admin, newcomer.id, [{ item_id: item.id, quantity: 1 }])
    const withTokens = await offer(newcomer, {
      recipient_id: other.id,
      requester_items: [{ item_id: item.id, quantity: 1 }],
      requester_tokens: 10,
    })
    expect(withTokens.status, withTokens.text).toBe(403)
    expect(withTokens.body.error.details.reason).toBe('account_too_new')
    expect(await heldBy(newcomer, item.id)).toBe(1)
    await offerOk(newcomer, {
      recipient_id: other.id,
      requester_items: [{ item_id: item.id, quantity: 1 }],
    })
  })

  it('caps the trades one player may have pending', async () => {
    const [requester, recipient] = [await registerVeteran('spam'), await registerVeteran('target')]
    const asked = await createItem(admin)
    const body = {
      recipient_id: recipient.id,
      recipient_items: [{ item_id: asked.id, quantity: 1 }],
    }
    for (let i = 0; i < 20; i++) await offerOk(requester, body)
    const over = await offer(requester, body)
    expect(over.status, over.text).toBe(409)
    expect(over.body.error.details).toEqual({ reason: 'trade_limit', limit: 20 })
  })
})

describe('POST /v1/trades/:id/accept', () => {
  it('swaps both sides in one transaction, with one trade row per side', async () => {
    const { requester, recipient, offered, asked } = await twoTraders()
    const offeredTrade = await offerOk(requester, {
      recipient_id: recipient.id,
      requester_items: [{ item_id: offered, quantity: 2 }],
      requester_tokens: 30,
      recipient_items: [{ item_id: asked, quantity: 3 }],
      recipient_tokens: 10,
    })
    const res = await act(recipient, offeredTrade.id.toUpperCase(), 'accept')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ id: offeredTrade.id, status: 'completed', escrow_held: false })
    expect(res.body.completed_at).not.toBeNull()
    expect(await heldBy(requester, offered)).toBe(3)
    expect(await heldBy(requester, asked)).toBe(3)
    expect(await heldBy(recipient, offered)).toBe(2)
    expect(await heldBy(recipient, asked)).toBe(2)
    expect(await tokensOf(requester)).toBe(100 - 30 + 10)
    expect(await tokensOf(recipient)).toBe(100 + 30 - 10)
    // The two `trade` rows share one transaction (and timestamp): compare them as a set.
    const audit = await auditOfReference(offeredTrade.id)
    const rows = audit.map((r) => [
      r.transaction_type,
      r.from_user,
      r.to_user,
      r.tokens_transferred,
      r.items_transferred,
    ])
    expect(rows[0]).toEqual([
      'trade_escrow',
      requester.id,
      null,
      30,
      [{ item_id: offered, quantity: 2 }],
    ])
    expect(rows.slice(1)).toHaveLength(2)
    expect(rows.slice(1)).toEqual(
      expect.arrayContaining([
        ['trade', requester.id, recipient.id, 30, [{ item_id: offered, quantity: 2 }]],
        ['trade', recipient.id, requester.id, 10, [{ item_id: asked, quantity: 3 }]],
      ]),
    )
    const legs = await tokenLegsOf(offeredTrade.id)
    expect(legs[0]).toEqual({
      user_id: requester.id,
      amount: -30,
      transaction_type: 'trade_escrow',
    })
    expect(legs.slice(1)).toHaveLength(3)
    expect(legs.slice(1)).toEqual(
      expect.arrayContaining([
        { user_id: recipient.id, amount: 30, transaction_type: 'trade_received' },
        { user_id: recipient.id, amount: -10, transaction_type: 'trade_sent' },
        { user_id: requester.id, amount: 10, transaction_type: 'trade_received' },
      ]),
    )
  })

  it('replays a retry with the same key byte for byte and swaps once', async () => {
    const { requester, recipient, offered, asked } = await twoTraders()
    const offeredTrade = await offerOk(requester, {
      recipient_id: recipient.id,
      requester_items: [{ item_id: offered, quantity: 1 }],
      recipient_items: [{ item_id: asked, quantity: 1 }],
    })
    const key = crypto.randomUUID()
    const first = await act(recipient, offeredTrade.id, 'accept', key)
    const again = await act(recipient, offeredTrade.id, 'accept', key)
    expect(first.status, first.text).toBe(200)
    expect(again.text).toBe(first.text)
    expect(again.headers.get('Idempotent-Replayed')).toBe('true')
    expect(await heldBy(recipient, asked)).toBe(4)
    const fresh = await act(recipient, offeredTrade.id, 'accept')
    expect(fresh.status, fresh.text).toBe(409)
    expect(fresh.body.error.details).toEqual({
      reason: 'trade_completed',
      trade_id: offeredTrade.id,
    })
  })

  it('lets only the recipient accept; a stranger gets 404', async () => {
    const { requester, recipient, offered } = await twoTraders()
    const stranger = await registerVeteran('stranger')
    const offeredTrade = await offerOk(requester, {
      recipient_id: recipient.id,
      requester_items: [{ item_id: offered, quantity: 1 }],
    })
    expect((await act(requester, offeredTrade.id, 'accept')).status).toBe(403)
    expect((await act(stranger, offeredTrade.id, 'accept')).status).toBe(404)
    expect((await trade(stranger, offeredTrade.id)).status).toBe(404)
    expect((await act(recipient, crypto.randomUUID(), 'accept')).status).toBe(404)
    expect((await act(recipient, offeredTrade.id, 'accept', '')).status).toBe(400)
    expect((await trade(recipient, offeredTrade.id)).body.status).toBe('pending')
  })

  it('refuses when the recipient lacks their side, and keeps the offer and its escrow', async () => {
    const { requester, recipient, offered, asked } = await twoTraders(2)
    const offeredTrade = await offerOk(requester, {
      recipient_id: recipient.id,
      requester_items: [{ item_id: offered, quantity: 1 }],
      recipient_items: [{ item_id: asked, quantity: 3 }],
    })
    const short = await act(recipient, offeredTrade.id, 'accept')
    expect(short.status, short.text).toBe(409)
    expect(short.body.error.details.reason).toBe('insufficient_quantity')
    const tokens = await offerOk(requester, {
      recipient_id: recipient.id,
      recipient_tokens: 500,
    })
    const poor = await act(recipient, tokens.id, 'accept')
    expect(poor.status, poor.text).toBe(409)
    expect(poor.body.error.code).toBe('insufficient_funds')
    expect(await heldBy(recipient, asked)).toBe(2)
    expect(await heldBy(recipient, offered)).toBe(0)
    expect((await trade(recipient, offeredTrade.id)).body).toMatchObject({
      status: 'pending',
      escrow_held: true,
    })
  })

  it('never completes an expired trade: 409, and the escrow goes back', async () => {
    const { requester, recipient, offered } = await twoTraders()
    const offeredTrade = await offerOk(requester, {
      recipient_id: recipient.id,
      requester_items: [{ item_id: offered, quantity: 2 }],
      requester_tokens: 7,
    })
    await expireNow('trade_requests', offeredTrade.id)
    const res = await act(recipient, offeredTrade.id, 'accept')
    expect(res.status, res.text).toBe(409)
    expect(res.body.error.details.reason).toBe('trade_expired')
    expect(await heldBy(recipient, offered)).toBe(0)
    expect(await heldBy(requester, offered)).toBe(5)
    expect(await tokensOf(requester)).toBe(100)
    expect((await trade(requester, offeredTrade.id)).body).toMatchObject({
      status: 'expired',
      escrow_held: false,
    })
  })
})

describe('POST /v1/trades/:id/decline and /cancel', () => {
  it('declines: the requester’s side goes back; a second decline is a 409', async () => {
    const { requester, recipient, offered } = await twoTraders()
    const offeredTrade = await offerOk(requester, {
      recipient_id: recipient.id,
      requester_items: [{ item_id: offered, quantity: 2 }],
      requester_tokens: 40,
    })
    expect((await act(requester, offeredTrade.id, 'decline')).status).toBe(403)
    const res = await act(recipient, offeredTrade.id, 'decline')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ status: 'declined', escrow_held: false })
    expect(await heldBy(requester, offered)).toBe(5)
    expect(await tokensOf(requester)).toBe(100)
    const again = await act(recipient, offeredTrade.id, 'decline')
    expect(again.body.error.details.reason, again.text).toBe('trade_declined')
    const audit = await auditOfReference(offeredTrade.id)
    expect(audit.map((r) => [r.transaction_type, r.to_user, r.metadata])).toEqual([
      ['trade_escrow', null, { recipient_id: recipient.id }],
      ['trade_returned', requester.id, { reason: 'declined' }],
    ])
    const balance = await api('/v1/economy/balance', { token: requester.token })
    expect(balance.body, 'a returned escrow undoes the spending').toMatchObject({
      tokens: 100,
      total_spent: 0,
    })
  })

  it('cancels: only the requester, and the escrow goes back', async () => {
    const { requester, recipient, offered } = await twoTraders()
    const offeredTrade = await offerOk(requester, {
      recipient_id: recipient.id,
      requester_items: [{ item_id: offered, quantity: 2 }],
    })
    expect((await act(recipient, offeredTrade.id, 'cancel')).status).toBe(403)
    const res = await act(requester, offeredTrade.id, 'cancel')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ status: 'cancelled', escrow_held: false })
    expect(await heldBy(requester, offered)).toBe(5)
    const late = await act(recipient, offeredTrade.id, 'accept')
    expect(late.body.error.details.reason, late.text).toBe('trade_cancelled')
    const twice = await act(requester, offeredTrade.id, 'cancel')
    expect(twice.status, twice.text).toBe(409)
  })

  it('keeps the escrow of a declined trade whose requester has no room, until they reclaim it', async () => {
    const { requester, recipient, offered } = await twoTraders(1, { max_stack_size: 1 })
    const offeredTrade = await offerOk(requester, {
      recipient_id: recipient.id,
      requester_items: [{ item_id: offered, quantity: 1 }],
      requester_tokens: 5,
    })
    await grantOk(admin, requester.id, [{ item_id: offered, quantity: 1 }])
    const declined = await act(recipient, offeredTrade.id, 'decline')
    expect(declined.status, declined.text).toBe(200)
    expect(declined.body).toMatchObject({ status: 'declined', escrow_held: true })
    expect(await tokensOf(requester), 'tokens stay with the items in escrow').toBe(95)
    const full = await act(requester, offeredTrade.id, 'cancel')
    expect(full.body.error.details.reason, full.text).toBe('stack_full')
    await api(`/v1/inventory/${offered}/drop`, { token: requester.token, body: { quantity: 1 } })
    const reclaimed = await act(requester, offeredTrade.id, 'cancel')
    expect(reclaimed.status, reclaimed.text).toBe(200)
    expect(reclaimed.body).toMatchObject({ status: 'declined', escrow_held: false })
    expect(await heldBy(requester, offered)).toBe(1)
    expect(await tokensOf(requester)).toBe(100)
  })
})

describe('trade expiry (cron)', () => {
  it('the scheduled handler returns the escrow of lapsed trades, once', async () => {
    const { requester, recipient, offered } = await twoTraders()
    const lapsed = await offerOk(requester, {
      recipient_id: recipient.id,
      requester_items: [{ item_id: offered, quantity: 2 }],
    })
    const open = await offerOk(requester, {
      recipient_id: recipient.id,
      requester_items: [{ item_id: offered, quantity: 1 }],
    })
    await expireNow('trade_requests', lapsed.id)
    const listed = await api(`/v1/trades?status=expired`, { token: requester.token })
    expect(
      listed.body.items.map((t: any) => t.id),
      listed.text,
    ).toEqual([lapsed.id])
    for (let run = 0; run < 2; run++) {
      await worker.scheduled(
        createScheduledController({ cron: '*/15 * * * *' }),
        env,
        createExecutionContext(),
      )
    }
    expect((await trade(requester, lapsed.id)).body).toMatchObject({
      status: 'expired',
      escrow_held: false,
    })
    expect((await trade(requester, open.id)).body.status).toBe('pending')
    expect(await heldBy(requester, offered)).toBe(4)
    expect((await auditOfReference(lapsed.id)).map((r) => r.transaction_type)).toEqual([
      'trade_escrow',
      'trade_returned',
    ])
  })
})

describe('GET /v1/trades', () => {
  it('lists your trades newest first, incoming or outgoing, by status, paged', async () => {
    const { requester, recipient, offered } = await twoTraders()
    const line = [{ item_id: offered, quantity: 1 }]
    const first = await offerOk(requester, { recipient_id: recipient.id, requester_items: line })
    const second = await offerOk(requester, { recipient_id: recipient.id, requester_items: line })
    const third = await offerOk(requester, { recipient_id: recipient.id, requester_items: line })
    await act(recipient, second.id, 'decline')
    const ids = (res: any) => res.body.items.map((t: any) => t.id)
    const list = (player: Player, query: string) =>
      api(`/v1/trades?${query}`, { token: player.token })

    expect(ids(await list(requester, 'role=outgoing'))).toEqual([third.id, second.id, first.id])
    expect(ids(await list(requester, 'role=incoming'))).toEqual([])
    expect(ids(await list(recipient, 'role=incoming&status=pending'))).toEqual([third.id, first.id])
    expect(ids(await list(recipient, 'status=declined'))).toEqual([second.id])
    const page = await list(recipient, 'limit=2')
    expect(ids(page)).toEqual([third.id, second.id])
    expect(ids(await list(recipient, `limit=2&cursor=${page.body.next_cursor}`))).toEqual([
      first.id,
    ])
    for (const query of ['role=mine', 'status=accepted', 'cursor=abc', 'limit=0']) {
      expect((await list(recipient, query)).status, query).toBe(400)
    }
    const stranger = await registerPlayer('stranger')
    expect(ids(await list(stranger, ''))).toEqual([])
  })
})

describe('trades in the live room', () => {
  it('delivers an offer to the recipient’s next batch, and only to them', async () => {
    const { requester, recipient, offered } = await twoTraders()
    const bystander = await registerPlayer('bystander')
    const instance = await createInstance(bystander)
    const recipientClient = await enterRoom(recipient, instance.id)
    const bystanderClient = await enterRoom(bystander, instance.id)
    const offeredTrade = await offerOk(requester, {
      recipient_id: recipient.id,
      requester_items: [{ item_id: offered, quantity: 1 }],
    })
    const event = await recipientClient.waitForEvent(
      (e) => e.type === 'trade' && e.trade.id === offeredTrade.id,
      'the offer in the recipient’s batch',
    )
    expect(event).toEqual({ type: 'trade', change: 'offered', trade: offeredTrade })
    await bystanderClient.roundTrip()
    expect(bystanderClient.events().filter((e) => e.type === 'trade')).toEqual([])
    recipientClient.close()
    bystanderClient.close()
  })

  it('tells the requester when the offer is accepted or declined, and the recipient when it is cancelled', async () => {
    const { requester, recipient, offered } = await twoTraders()
    const instance = await createInstance(requester)
    const elsewhere = await createInstance(recipient)
    const requesterClient = await enterRoom(requester, instance.id)
    const recipientClient = await enterRoom(recipient, elsewhere.id)
    const line = [{ item_id: offered, quantity: 1 }]
    const accepted = await offerOk(requester, { recipient_id: recipient.id, requester_items: line })
    const declined = await offerOk(requester, { recipient_id: recipient.id, requester_items: line })
    const cancelled = await offerOk(requester, {
      recipient_id: recipient.id,
      requester_items: line,
    })
    // In this order, so the requester's last event (the decline) is a marker: anything the
    // requester's room was told before it has arrived by then.
    expect((await act(recipient, accepted.id, 'accept')).status).toBe(200)
    expect((await act(requester, cancelled.id, 'cancel')).status).toBe(200)
    expect((await act(recipient, declined.id, 'decline')).status).toBe(200)

    const heard = (client: typeof requesterClient, id: string, change: string) =>
      client.waitForEvent(
        (e) => e.type === 'trade' && e.trade.id === id && e.change === change,
        `${change} of ${id}`,
      )
    expect((await heard(requesterClient, accepted.id, 'completed')).trade.status).toBe('completed')
    expect((await heard(requesterClient, declined.id, 'declined')).trade.status).toBe('declined')
    expect((await heard(recipientClient, cancelled.id, 'cancelled')).trade.status).toBe('cancelled')
    const toRequester = requesterClient.events().filter((e) => e.type === 'trade')
    expect(
      toRequester.map((e) => e.change),
      'the actor hears nothing of their own acts',
    ).toEqual(['completed', 'declined'])
    requesterClient.close()
    recipientClient.close()
  })

  it('reaches a player who connected a moment ago; leaving the instance ends the delivery', async () => {
    const { requester, recipient, offered } = await twoTraders()
    const instance = await createInstance(requester)
    const client = await enterRoom(recipient, instance.id)
    const line = [{ item_id: offered, quantity: 1 }]
    const first = await offerOk(requester, { recipient_id: recipient.id, requester_items: line })
    await client.waitForEvent((e) => e.type === 'trade' && e.trade.id === first.id, 'first offer')
    const left = await api(`/v1/instances/${instance.id}/leave`, {
      method: 'POST',
      token: recipient.token,
    })
    expect(left.status, left.text).toBe(204)
    await client.waitForClose()
    const rows = await sqlRows('SELECT 1 FROM instance_visitors WHERE user_id = $1', [recipient.id])
    expect(rows, 'leaving removed the stamp with the visitor row').toEqual([])
    const second = await offerOk(requester, { recipient_id: recipient.id, requester_items: line })
    expect(second.status).toBe('pending')
  })
})
