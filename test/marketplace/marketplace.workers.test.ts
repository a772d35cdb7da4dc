import { createScheduledController, createExecutionContext, env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import worker from '../../functions/index'
import { HOUSE_USER_ID } from '../../functions/economy/ledger'
import {
  api,
  registerPlayer,
  registerVeteran,
  sqlRows,
  tokenFor,
  type Player,
} from '../support/api'
import { createItem, grantOk, heldBy, registerAdmin } from '../support/items'
import {
  auditOfReference,
  buy,
  expireNow,
  listOk,
  postWithKey,
  tokenLegsOf,
  tokensOf,
} from '../support/market'

let admin: Player

beforeAll(async () => {
  admin = await registerAdmin()
})

/** A seller holding `held` units of a fresh tradeable item (the body overrides the item). */
async function sellerWith(held: number, item: Record<string, unknown> = {}) {
  const seller = await registerVeteran('seller')
  const created = await createItem(admin, item)
  await grantOk(admin, seller.id, [{ item_id: created.id, quantity: held }])
  return { seller, item: created }
}

const listing = (id: string, token: string) => api(`/v1/marketplace/listings/${id}`, { token })

describe('POST /v1/marketplace/listings', () => {
  it('takes the units out of the seller’s inventory into the listing’s escrow', async () => {
    const { seller, item } = await sellerWith(5)
    const res = await postWithKey('/v1/marketplace/listings', seller, {
      item_id: item.id.toUpperCase(),
      quantity: 3,
      price: 10,
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      seller_id: seller.id,
      item_id: item.id,
      item: { id: item.id, name: item.name },
      price: 10,
      quantity: 3,
      quantity_available: 3,
      escrow_quantity: 3,
      status: 'active',
      sold_at: null,
      buyer_id: null,
    })
    const lifetime = Date.parse(res.body.expires_at) - Date.parse(res.body.listed_at)
    expect(lifetime, res.text).toBe(7 * 24 * 3600 * 1000)
    expect(await heldBy(seller, item.id)).toBe(2)
    expect(await auditOfReference(res.body.id)).toEqual([
      expect.objectContaining({
        transaction_type: 'listing_escrow',
        from_user: seller.id,
        to_user: null,
        items_transferred: [{ item_id: item.id, quantity: 3 }],
        tokens_transferred: 0,
      }),
    ])
  })

  it('lists every unit a seller holds, after which the stack is gone', async () => {
    const { seller, item } = await sellerWith(2)
    await listOk(seller, { item_id: item.id, quantity: 2, price: 1 })
    expect(await heldBy(seller, item.id)).toBe(0)
  })

  it('refuses more units than held, untradeable items and unknown items, moving nothing', async () => {
    const { seller, item } = await sellerWith(2)
    const tooMany = await postWithKey('/v1/marketplace/listings', seller, {
      item_id: item.id,
      quantity: 3,
      price: 5,
    })
    expect(tooMany.status, tooMany.text).toBe(409)
    expect(tooMany.body.error.details).toMatchObject({
      reason: 'insufficient_quantity',
      held: 2,
      requested: 3,
    })
    expect(await heldBy(seller, item.id)).toBe(2)
    const mine = await api('/v1/marketplace/listings/mine', { token: seller.token })
    expect(mine.body.items, mine.text).toEqual([])

    const bound = await createItem(admin, { is_tradeable: false })
    await grantOk(admin, seller.id, [{ item_id: bound.id, quantity: 1 }])
    const untradeable = await postWithKey('/v1/marketplace/listings', seller, {
      item_id: bound.id,
      price: 5,
    })
    expect(untradeable.status, untradeable.text).toBe(409)
    expect(untradeable.body.error.details.reason).toBe('not_tradeable')
    expect(await heldBy(seller, bound.id)).toBe(1)

    const unknown = await postWithKey('/v1/marketplace/listings', seller, {
      item_id: crypto.randomUUID(),
      price: 5,
    })
    expect(unknown.status, unknown.text).toBe(404)
  })

  it('refuses invalid bodies and a missing Idempotency-Key', async () => {
    const { seller, item } = await sellerWith(1)
    const bodies = [
      { item_id: item.id, price: 0 },
      { item_id: item.id, price: 1.5 },
      { item_id: item.id, price: 10, quantity: 0 },
      { item_id: item.id, price: 1_000_000_000, quantity: 3 },
      { item_id: 'not-a-uuid', price: 10 },
      { item_id: item.id, price: 10, seller_id: admin.id },
      { item_id: item.id },
    ]
    for (const body of bodies) {
      const res = await postWithKey('/v1/marketplace/listings', seller, body)
      expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(400)
    }
    const noKey = await api('/v1/marketplace/listings', {
      token: seller.token,
      body: { item_id: item.id, price: 10 },
    })
    expect(noKey.status, noKey.text).toBe(400)
    expect(await heldBy(seller, item.id)).toBe(1)
  })

  it('needs a bearer token', async () => {
    const res = await api('/v1/marketplace/listings', { body: { item_id: crypto.randomUUID() } })
    expect(res.status, res.text).toBe(401)
  })
})

describe('GET /v1/marketplace/listings', () => {
  it('lists what is for sale cheapest first or newest first, filtered and paged', async () => {
    const { seller, item } = await sellerWith(10, { type: 'seed', rarity: 'epic' })
    const prices = [30, 10, 20, 10]
    const listed = []
    for (const price of prices) listed.push(await listOk(seller, { item_id: item.id, price }))
    const token = (await registerPlayer('browser')).token
    const page = (query: string) =>
      api(`/v1/marketplace/listings?item_id=${item.id}&${query}`, { token })

    const first = await page('limit=3')
    expect(first.status, first.text).toBe(200)
    const cheapest = [...listed].sort((a, b) => a.price - b.price || a.id.localeCompare(b.id))
    expect(first.body.items.map((l: any) => l.id)).toEqual(cheapest.slice(0, 3).map((l) => l.id))
    const second = await page(`limit=3&cursor=${first.body.next_cursor}`)
    expect(
      second.body.items.map((l: any) => l.id),
      second.text,
    ).toEqual([cheapest[3].id])
    expect(second.body.next_cursor).toBeNull()

    const newest = await page('sort=newest&limit=10')
    expect(
      newest.body.items.map((l: any) => l.id),
      newest.text,
    ).toEqual([...listed].reverse().map((l) => l.id))
    const ranged = await page('min_price=15&max_price=25')
    expect(
      ranged.body.items.map((l: any) => l.price),
      ranged.text,
    ).toEqual([20])
    expect((await page('type=seed&rarity=epic')).body.items).toHaveLength(4)
    expect((await page('type=weapon')).body.items).toHaveLength(0)
    expect((await page('rarity=common')).body.items).toHaveLength(0)
    const bySeller = await api(`/v1/marketplace/listings?seller_id=${seller.id.toUpperCase()}`, {
      token,
    })
    expect(bySeller.body.items).toHaveLength(4)
  })

  it('leaves out sold, cancelled and expired listings', async () => {
    const { seller, item } = await sellerWith(3)
    const buyer = await registerVeteran('buyer')
    const sold = await listOk(seller, { item_id: item.id, price: 1 })
    const cancelled = await listOk(seller, { item_id: item.id, price: 1 })
    const expired = await listOk(seller, { item_id: item.id, price: 1 })
    expect((await buy(buyer, sold.id)).status).toBe(201)
    const del = await api(`/v1/marketplace/listings/${cancelled.id}`, {
      method: 'DELETE',
      token: seller.token,
    })
    expect(del.status, del.text).toBe(200)
    await expireNow('marketplace_listings', expired.id)
    const res = await api(`/v1/marketplace/listings?item_id=${item.id}`, { token: buyer.token })
    expect(res.body.items, res.text).toEqual([])
    const shown = await listing(expired.id, buyer.token)
    expect(shown.body, shown.text).toMatchObject({ status: 'expired', quantity_available: 0 })
  })

  it('refuses a cursor of the other order, a forged cursor and an inverted price range', async () => {
    const { seller, item } = await sellerWith(3)
    for (let i = 0; i < 3; i++) await listOk(seller, { item_id: item.id, price: 5 })
    const base = `/v1/marketplace/listings?item_id=${item.id}&limit=1`
    const byPrice = await api(base, { token: seller.token })
    const cursor = byPrice.body.next_cursor
    expect(cursor, byPrice.text).toBeTruthy()
    for (const query of [
      `&sort=newest&cursor=${cursor}`,
      '&cursor=eyJwIjoiMSJ9',
      '&cursor=%%%',
      `&cursor=${'x'.repeat(600)}`,
      '&min_price=10&max_price=5',
      '&sort=cheapest',
      '&min_price=0',
    ]) {
      const res = await api(base + query, { token: seller.token })
      expect(res.status, `${query}: ${res.text}`).toBe(400)
    }
  })
})

describe('GET /v1/marketplace/listings/:id', () => {
  it('shows any listing, and its buyer only to the seller, that buyer and staff', async () => {
    const { seller, item } = await sellerWith(1)
    const buyer = await registerVeteran('buyer')
    const other = await registerPlayer('other')
    const listed = await listOk(seller, { item_id: item.id, price: 3 })
    expect((await buy(buyer, listed.id)).status).toBe(201)
    expect((await listing(listed.id, seller.token)).body.buyer_id).toBe(buyer.id)
    expect((await listing(listed.id, buyer.token)).body.buyer_id).toBe(buyer.id)
    expect((await listing(listed.id, admin.token)).body.buyer_id).toBe(buyer.id)
    const seen = await listing(listed.id.toUpperCase(), other.token)
    expect(seen.status, seen.text).toBe(200)
    expect(seen.body).toMatchObject({ status: 'sold', buyer_id: null, quantity_available: 0 })
    expect((await listing(crypto.randomUUID(), other.token)).status).toBe(404)
    expect((await listing('nope', other.token)).status).toBe(400)
  })
})

describe('POST /v1/marketplace/listings/:id/purchase', () => {
  it('moves tokens to the seller and the fee to the house, units to the buyer, in part and then all', async () => {
    const { seller, item } = await sellerWith(3)
    const buyer = await registerVeteran('buyer')
    const listed = await listOk(seller, { item_id: item.id, quantity: 3, price: 30 })
    const [sellerBefore, buyerBefore] = [await tokensOf(seller), await tokensOf(buyer)]

    const first = await buy(buyer, listed.id, 2)
    expect(first.status, first.text).toBe(201)
    expect(first.body).toMatchObject({
      listing_id: listed.id,
      seller_id: seller.id,
      buyer_id: buyer.id,
      item_id: item.id,
      quantity: 2,
      unit_price: 30,
      total_price: 60,
      fee: 3,
      seller_received: 57,
      listing: { status: 'active', quantity_available: 1, escrow_quantity: 1 },
      balance: { tokens: buyerBefore - 60 },
    })
    expect(await heldBy(buyer, item.id)).toBe(2)
    expect(await tokensOf(seller)).toBe(sellerBefore + 57)

    const last = await buy(buyer, listed.id, 1)
    expect(last.status, last.text).toBe(201)
    expect(last.body.listing).toMatchObject({
      status: 'sold',
      quantity_available: 0,
      buyer_id: buyer.id,
    })
    expect(last.body.listing.sold_at).not.toBeNull()
    expect(last.body).toMatchObject({ total_price: 30, fee: 1, seller_received: 29 })
    expect(await heldBy(buyer, item.id)).toBe(3)
    expect(await tokensOf(buyer)).toBe(buyerBefore - 90)
    expect(await tokensOf(seller)).toBe(sellerBefore + 86)

    const audit = await auditOfReference(listed.id)
    expect(audit.map((row) => row.transaction_type)).toEqual([
      'listing_escrow',
      'purchase',
      'purchase',
    ])
    expect(audit[1]).toMatchObject({
      id: first.body.id,
      from_user: seller.id,
      to_user: buyer.id,
      items_transferred: [{ item_id: item.id, quantity: 2 }],
      tokens_transferred: 60,
      metadata: { unit_price: 30, quantity: 2, fee: 3, seller_received: 57 },
    })
    const legs = await tokenLegsOf(listed.id)
    expect(legs).toEqual([
      { user_id: buyer.id, amount: -60, transaction_type: 'purchase' },
      { user_id: HOUSE_USER_ID, amount: 3, transaction_type: 'marketplace_fee' },
      { user_id: seller.id, amount: 57, transaction_type: 'sale' },
      { user_id: buyer.id, amount: -30, transaction_type: 'purchase' },
      { user_id: HOUSE_USER_ID, amount: 1, transaction_type: 'marketplace_fee' },
      { user_id: seller.id, amount: 29, transaction_type: 'sale' },
    ])

    const purchases = await api('/v1/marketplace/purchases?limit=1', { token: buyer.token })
    expect(purchases.body.items, purchases.text).toEqual([
      {
        id: last.body.id,
        listing_id: listed.id,
        seller_id: seller.id,
        buyer_id: buyer.id,
        item_id: item.id,
        quantity: 1,
        unit_price: 30,
        total_price: 30,
        fee: 1,
        seller_received: 29,
        purchased_at: last.body.purchased_at,
      },
    ])
    const older = await api(`/v1/marketplace/purchases?cursor=${purchases.body.next_cursor}`, {
      token: buyer.token,
    })
    expect(
      older.body.items.map((p: any) => p.id),
      older.text,
    ).toEqual([first.body.id])
    const sellersPurchases = await api('/v1/marketplace/purchases', { token: seller.token })
    expect(sellersPurchases.body.items).toEqual([])
  })

  it('charges no fee on totals too small for one token of it', async () => {
    const { seller, item } = await sellerWith(1)
    const buyer = await registerVeteran('buyer')
    const listed = await listOk(seller, { item_id: item.id, price: 19 })
    const res = await buy(buyer, listed.id)
    expect(res.body, res.text).toMatchObject({ total_price: 19, fee: 0, seller_received: 19 })
    expect((await tokenLegsOf(listed.id)).map((leg) => leg.transaction_type)).toEqual([
      'purchase',
      'sale',
    ])
  })

  it('replays a retry with the same key byte for byte and buys once', async () => {
    const { seller, item } = await sellerWith(5)
    const buyer = await registerVeteran('buyer')
    const listed = await listOk(seller, { item_id: item.id, quantity: 5, price: 2 })
    const key = crypto.randomUUID()
    const first = await buy(buyer, listed.id, 2, key)
    const again = await buy(buyer, listed.id, 2, key)
    expect(first.status, first.text).toBe(201)
    expect(again.status).toBe(201)
    expect(again.text).toBe(first.text)
    expect(again.headers.get('Idempotent-Replayed')).toBe('true')
    expect(await heldBy(buyer, item.id)).toBe(2)
    expect((await listing(listed.id, buyer.token)).body.quantity_available).toBe(3)
    const reused = await buy(buyer, listed.id, 3, key)
    expect(reused.status, reused.text).toBe(422)
  })

  it('refuses your own listing, more units than are left, and a sold listing', async () => {
    const { seller, item } = await sellerWith(2)
    const buyer = await registerVeteran('buyer')
    const listed = await listOk(seller, { item_id: item.id, quantity: 2, price: 1 })
    const own = await buy(seller, listed.id)
    expect(own.status, own.text).toBe(403)
    expect(own.body.error.details.reason).toBe('own_listing')
    const tooMany = await buy(buyer, listed.id, 3)
    expect(tooMany.status, tooMany.text).toBe(409)
    expect(tooMany.body.error.details).toEqual({
      reason: 'insufficient_quantity',
      available: 2,
      requested: 3,
    })
    expect((await buy(buyer, listed.id, 2)).status).toBe(201)
    const sold = await buy(buyer, listed.id)
    expect(sold.status, sold.text).toBe(409)
    expect(sold.body.error.details).toEqual({ reason: 'listing_sold', listing_id: listed.id })
    expect((await buy(buyer, crypto.randomUUID())).status).toBe(404)
  })

  it('refuses a buyer without the tokens, or without room in their stack, moving nothing', async () => {
    const { seller, item } = await sellerWith(2, { max_stack_size: 2 })
    const buyer = await registerVeteran('buyer')
    const pricey = await listOk(seller, { item_id: item.id, price: 101 })
    const poor = await buy(buyer, pricey.id)
    expect(poor.status, poor.text).toBe(409)
    expect(poor.body.error).toMatchObject({
      code: 'insufficient_funds',
      details: { balance: 100, amount: 101 },
    })
    expect(await heldBy(buyer, item.id)).toBe(0)
    expect((await listing(pricey.id, buyer.token)).body.quantity_available).toBe(1)

    await grantOk(admin, buyer.id, [{ item_id: item.id, quantity: 2 }])
    const cheap = await listOk(seller, { item_id: item.id, price: 1 })
    const full = await buy(buyer, cheap.id)
    expect(full.status, full.text).toBe(409)
    expect(full.body.error.details).toMatchObject({ reason: 'stack_full', max_stack_size: 2 })
    expect(await tokensOf(buyer)).toBe(100)
  })

  it('refuses a buyer whose account is too new to send tokens to another player', async () => {
    const { seller, item } = await sellerWith(1)
    const newcomer = await registerPlayer('newcomer')
    const listed = await listOk(seller, { item_id: item.id, price: 1 })
    const res = await buy(newcomer, listed.id)
    expect(res.status, res.text).toBe(403)
    expect(res.body.error.details.reason).toBe('account_too_new')
    expect(await heldBy(newcomer, item.id)).toBe(0)
  })

  it('counts purchases against a new account’s daily outbound cap', async () => {
    const { seller, item } = await sellerWith(3)
    const young = await registerVeteran('young', 5)
    await api('/v1/admin/economy/grants', {
      token: admin.token,
      body: { user_id: young.id, amount: 500, reason: 'cap test' },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    })
    const listed = await listOk(seller, { item_id: item.id, quantity: 3, price: 90 })
    expect((await buy(young, listed.id, 2)).status).toBe(201)
    const over = await buy(young, listed.id, 1)
    expect(over.status, over.text).toBe(429)
    expect(over.body.error.details).toMatchObject({
      reason: 'new_account_daily_cap',
      sent_today: 180,
    })
  })

  it('never sells an expired listing: 409, and its escrow goes back to the seller', async () => {
    const { seller, item } = await sellerWith(4)
    const buyer = await registerVeteran('buyer')
    const listed = await listOk(seller, { item_id: item.id, quantity: 4, price: 1 })
    await expireNow('marketplace_listings', listed.id)
    const res = await buy(buyer, listed.id)
    expect(res.status, res.text).toBe(409)
    expect(res.body.error.details).toEqual({ reason: 'listing_expired', listing_id: listed.id })
    expect(await heldBy(buyer, item.id)).toBe(0)
    expect(await heldBy(seller, item.id), 'returned by the refused purchase').toBe(4)
    const after = await listing(listed.id, seller.token)
    expect(after.body).toMatchObject({ status: 'expired', escrow_quantity: 0 })
    expect(
      (await auditOfReference(listed.id)).map((r) => [r.transaction_type, r.metadata]),
    ).toEqual([
      ['listing_escrow', { unit_price: 1 }],
      ['listing_returned', { reason: 'expired' }],
    ])
  })
})

describe('DELETE /v1/marketplace/listings/:id', () => {
  const cancel = (player: Player, id: string) =>
    api(`/v1/marketplace/listings/${id}`, { method: 'DELETE', token: player.token })

  it('cancels a listing and returns what is left in escrow, once', async () => {
    const { seller, item } = await sellerWith(5)
    const buyer = await registerVeteran('buyer')
    const listed = await listOk(seller, { item_id: item.id, quantity: 4, price: 1 })
    expect((await buy(buyer, listed.id, 1)).status).toBe(201)
    const res = await cancel(seller, listed.id)
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({
      status: 'cancelled',
      escrow_quantity: 0,
      quantity_available: 0,
    })
    expect(await heldBy(seller, item.id)).toBe(4)
    const again = await cancel(seller, listed.id)
    expect(again.status, again.text).toBe(409)
    expect(again.body.error.details.reason).toBe('listing_cancelled')
    expect(await heldBy(seller, item.id)).toBe(4)
    const bought = await buy(buyer, listed.id)
    expect(bought.body.error.details.reason, bought.text).toBe('listing_cancelled')
  })

  it('lets only the seller end a listing', async () => {
    const { seller, item } = await sellerWith(1)
    const other = await registerVeteran('other')
    const listed = await listOk(seller, { item_id: item.id, price: 1 })
    const res = await cancel(other, listed.id)
    expect(res.status, res.text).toBe(403)
    const staff = await cancel({ ...other, token: await tokenFor(other, ['moderator']) }, listed.id)
    expect(staff.status, staff.text).toBe(403)
    expect((await cancel(other, crypto.randomUUID())).status).toBe(404)
    expect((await listing(listed.id, other.token)).body.status).toBe('active')
  })

  it('refuses to cancel into a full stack, and changes nothing', async () => {
    const { seller, item } = await sellerWith(3, { max_stack_size: 3 })
    const listed = await listOk(seller, { item_id: item.id, quantity: 2, price: 1 })
    await grantOk(admin, seller.id, [{ item_id: item.id, quantity: 2 }])
    const res = await cancel(seller, listed.id)
    expect(res.status, res.text).toBe(409)
    expect(res.body.error.details.reason).toBe('stack_full')
    expect((await listing(listed.id, seller.token)).body).toMatchObject({
      status: 'active',
      escrow_quantity: 2,
    })
  })
})

describe('listing expiry (cron and reclaim)', () => {
  const runCron = async () => {
    const ctx = createExecutionContext()
    await worker.scheduled(createScheduledController({ cron: '*/15 * * * *' }), env, ctx)
  }

  it('the scheduled handler returns expired escrow to sellers, and a second run changes nothing', async () => {
    const { seller, item } = await sellerWith(3)
    const due = await listOk(seller, { item_id: item.id, quantity: 2, price: 1 })
    const fresh = await listOk(seller, { item_id: item.id, quantity: 1, price: 1 })
    await expireNow('marketplace_listings', due.id)
    await runCron()
    expect((await listing(due.id, seller.token)).body).toMatchObject({
      status: 'expired',
      escrow_quantity: 0,
    })
    expect((await listing(fresh.id, seller.token)).body.status).toBe('active')
    expect(await heldBy(seller, item.id)).toBe(2)
    await runCron()
    expect(await heldBy(seller, item.id)).toBe(2)
    expect((await auditOfReference(due.id)).map((r) => r.transaction_type)).toEqual([
      'listing_escrow',
      'listing_returned',
    ])
  })

  it('keeps the escrow when the seller’s stack is full, until the seller reclaims it', async () => {
    const { seller, item } = await sellerWith(1, { max_stack_size: 1 })
    const listed = await listOk(seller, { item_id: item.id, price: 1 })
    await grantOk(admin, seller.id, [{ item_id: item.id, quantity: 1 }])
    await expireNow('marketplace_listings', listed.id)
    await runCron()
    const kept = await listing(listed.id, seller.token)
    expect(kept.body, kept.text).toMatchObject({
      status: 'expired',
      escrow_quantity: 1,
      quantity_available: 0,
    })
    const mine = await api('/v1/marketplace/listings/mine?status=expired', { token: seller.token })
    expect(mine.body.items.map((l: any) => l.id)).toEqual([listed.id])

    const full = await api(`/v1/marketplace/listings/${listed.id}`, {
      method: 'DELETE',
      token: seller.token,
    })
    expect(full.body.error.details.reason, full.text).toBe('stack_full')
    const drop = await api(`/v1/inventory/${item.id}/drop`, {
      token: seller.token,
      body: { quantity: 1 },
    })
    expect(drop.status, drop.text).toBe(200)
    const reclaimed = await api(`/v1/marketplace/listings/${listed.id}`, {
      method: 'DELETE',
      token: seller.token,
    })
    expect(reclaimed.status, reclaimed.text).toBe(200)
    expect(reclaimed.body).toMatchObject({ status: 'expired', escrow_quantity: 0 })
    expect(await heldBy(seller, item.id)).toBe(1)
  })
})

describe('GET /v1/marketplace/listings/mine', () => {
  it('lists only your listings, every status, newest first, by status', async () => {
    const { seller, item } = await sellerWith(3)
    const buyer = await registerVeteran('buyer')
    const a = await listOk(seller, { item_id: item.id, price: 1 })
    const b = await listOk(seller, { item_id: item.id, price: 1 })
    const c = await listOk(seller, { item_id: item.id, price: 1 })
    expect((await buy(buyer, b.id)).status).toBe(201)
    const all = await api('/v1/marketplace/listings/mine', { token: seller.token })
    expect(
      all.body.items.map((l: any) => l.id),
      all.text,
    ).toEqual([c.id, b.id, a.id])
    const sold = await api('/v1/marketplace/listings/mine?status=sold', { token: seller.token })
    expect(sold.body.items.map((l: any) => l.id)).toEqual([b.id])
    const active = await api('/v1/marketplace/listings/mine?status=active&limit=1', {
      token: seller.token,
    })
    expect(active.body.items.map((l: any) => l.id)).toEqual([c.id])
    const next = await api(
      `/v1/marketplace/listings/mine?status=active&cursor=${active.body.next_cursor}`,
      {
        token: seller.token,
      },
    )
    expect(next.body.items.map((l: any) => l.id)).toEqual([a.id])
    const buyers = await api('/v1/marketplace/listings/mine', { token: buyer.token })
    expect(buyers.body.items).toEqual([])
    const bad = await api('/v1/marketplace/listings/mine?status=gone', { token: seller.token })
    expect(bad.status).toBe(400)
  })
})

describe('the house account', () => {
  it('is a real user whose balance is where fees go', async () => {
    const rows = await sqlRows<{ username: string; tokens: number }>(
      `SELECT u.username, b.tokens FROM users u JOIN user_balances b ON b.user_id = u.id
       WHERE u.id = $1`,
      [HOUSE_USER_ID],
    )
    expect(rows).toHaveLength(1)
    expect(rows[0].tokens).toBeGreaterThanOrEqual(0)
  })
})
