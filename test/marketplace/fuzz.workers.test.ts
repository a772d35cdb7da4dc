/**
 * Property-based fuzzing of the marketplace's and trades' request bodies and browse queries: every
 * answer is a 4xx error envelope (or a success for a body that happens to be valid), never a 5xx,
 * and another player's inventory, balance and listing never change.
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { api, registerVeteran, sqlRows, type Player } from '../support/api'
import { hostileBody, hostileValue } from '../support/hostile-bodies'
import { createItem, grantOk, registerAdmin } from '../support/items'
import { listOk } from '../support/market'

/** Runs per route: enough to cover the shapes, small enough for a 2-core CI machine. */
const RUNS = 30

let attacker: Player
let victim: Player
let itemId: string
let victimListingId: string
let attackerListingId: string

/** What the victim owns: stacks, balance and listings. */
const victimState = async () => ({
  stacks: await sqlRows(
    'SELECT item_id, quantity FROM inventories WHERE user_id = $1 ORDER BY item_id',
    [victim.id],
  ),
  balance: await sqlRows('SELECT tokens FROM user_balances WHERE user_id = $1', [victim.id]),
  listings: await sqlRows(
    'SELECT id, status, escrow_quantity FROM marketplace_listings WHERE seller_id = $1 ORDER BY id',
    [victim.id],
  ),
})

beforeAll(async () => {
  const admin = await registerAdmin()
  attacker = await registerVeteran('attacker')
  victim = await registerVeteran('victim')
  itemId = (await createItem(admin, { max_stack_size: 1000 })).id
  await grantOk(admin, attacker.id, [{ item_id: itemId, quantity: 500 }])
  await grantOk(admin, victim.id, [{ item_id: itemId, quantity: 10 }])
  victimListingId = (await listOk(victim, { item_id: itemId, quantity: 5, price: 1_000_000 })).id
  attackerListingId = (await listOk(attacker, { item_id: itemId, quantity: 5, price: 1 })).id
})

const routes: Array<{ name: string; path: () => string; keys: string[] }> = [
  {
    name: 'POST /v1/marketplace/listings',
    path: () => '/v1/marketplace/listings',
    keys: ['item_id', 'quantity', 'price', 'seller_id', 'escrow_quantity'],
  },
  {
    name: 'POST /v1/marketplace/listings/:id/purchase (the victim’s)',
    path: () => `/v1/marketplace/listings/${victimListingId}/purchase`,
    keys: ['quantity', 'price', 'buyer_id'],
  },
  {
    name: 'POST /v1/trades',
    path: () => '/v1/trades',
    keys: [
      'recipient_id',
      'requester_items',
      'requester_tokens',
      'recipient_items',
      'recipient_tokens',
      'requester_id',
    ],
  },
]

describe('request body fuzzing of the marketplace and trades', () => {
  it.each(routes)(
    '$name answers every hostile body below 500 and leaves another player’s things alone',
    async (route) => {
      const before = await victimState()
      await fc.assert(
        fc.asyncProperty(hostileBody(route.keys), async (body) => {
          const res = await api(route.path(), {
            method: 'POST',
            token: attacker.token,
            body,
            headers: { 'Idempotency-Key': crypto.randomUUID() },
          })
          expect(
            res.status,
            `${JSON.stringify(body).slice(0, 300)} -> ${res.text.slice(0, 300)}`,
          ).toBeLessThan(500)
          if (res.status >= 400) {
            expect(res.body.error?.code, res.text.slice(0, 300)).toBeTypeOf('string')
          }
        }),
        { numRuns: RUNS },
      )
      expect(await victimState()).toEqual(before)
    },
  )

  it('answers every hostile browse query below 500', async () => {
    const keys = [
      'item_id',
      'seller_id',
      'type',
      'rarity',
      'min_price',
      'max_price',
      'sort',
      'cursor',
      'limit',
    ]
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom(...keys), hostileValue, { maxKeys: 4 }),
        async (query) => {
          const search = new URLSearchParams(
            Object.entries(query).map(([key, value]): [string, string] => [
              key,
              (typeof value === 'string' ? value : String(JSON.stringify(value))).slice(0, 2000),
            ]),
          )
          const res = await api(`/v1/marketplace/listings?${search}`, { token: attacker.token })
          expect(res.status, `${search} -> ${res.text.slice(0, 300)}`).toBeLessThan(500)
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('refuses to let anyone but the seller end a listing, and anyone but the parties touch a trade', async () => {
    const before = await victimState()
    const deleted = await api(`/v1/marketplace/listings/${victimListingId}`, {
      method: 'DELETE',
      token: attacker.token,
    })
    expect(deleted.status, deleted.text).toBe(403)
    const offer = await api('/v1/trades', {
      token: victim.token,
      body: { recipient_id: attacker.id, requester_items: [{ item_id: itemId, quantity: 1 }] },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    })
    expect(offer.status, offer.text).toBe(201)
    const stranger = await registerVeteran('stranger')
    for (const action of ['accept', 'decline', 'cancel']) {
      const res = await api(`/v1/trades/${offer.body.id}/${action}`, {
        method: 'POST',
        token: stranger.token,
        headers: { 'Idempotency-Key': crypto.randomUUID() },
      })
      expect(res.status, `${action}: ${res.text}`).toBe(404)
    }
    expect((await api(`/v1/trades/${offer.body.id}`, { token: stranger.token })).status).toBe(404)
    const mine = await api(`/v1/marketplace/listings/${attackerListingId}`, { token: victim.token })
    expect(mine.body.seller_id).toBe(attacker.id)
    expect((await victimState()).listings).toEqual(before.listings)
  })
})
