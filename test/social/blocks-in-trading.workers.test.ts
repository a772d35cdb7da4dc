/**
 * A block holds in the player-to-player economy: no trade offer, no accept and no marketplace
 * purchase between a blocked pair, in either direction, and nothing moves. The one who blocked
 * gets 403; the one who is blocked gets the unknown-user 404, so the block is never revealed.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { api, registerVeteran, type Player } from '../support/api'
import { createItem, grantOk, heldBy, registerAdmin } from '../support/items'
import { buy, listOk, postWithKey, tokensOf } from '../support/market'

let admin: Player
beforeAll(async () => {
  admin = await registerAdmin('blocktrade')
})

async function block(blocker: Player, blocked: Player) {
  const res = await api('/v1/social/blocks', {
    token: blocker.token,
    body: { user_id: blocked.id },
  })
  expect(res.status, res.text).toBe(201)
}

describe('trades and purchases between a blocked pair', () => {
  it('refuses a trade offer either way, keeping the items where they were', async () => {
    const [a, b] = [await registerVeteran('tba'), await registerVeteran('tbb')]
    const item = await createItem(admin)
    await grantOk(admin, a.id, [{ item_id: item.id, quantity: 3 }])
    await grantOk(admin, b.id, [{ item_id: item.id, quantity: 3 }])
    await block(a, b)
    const offer = (from: Player, to: Player) =>
      postWithKey('/v1/trades', from, {
        recipient_id: to.id,
        requester_items: [{ item_id: item.id, quantity: 1 }],
      })
    const byBlocker = await offer(a, b)
    expect(byBlocker.status, byBlocker.text).toBe(403)
    const byBlocked = await offer(b, a)
    expect(byBlocked.status, byBlocked.text).toBe(404)
    expect([await heldBy(a, item.id), await heldBy(b, item.id)]).toEqual([3, 3])
  })

  it('refuses to accept a trade offered before the block, and keeps the escrow for its owner', async () => {
    const [a, b] = [await registerVeteran('tbc'), await registerVeteran('tbd')]
    const item = await createItem(admin)
    await grantOk(admin, a.id, [{ item_id: item.id, quantity: 2 }])
    const offered = await postWithKey('/v1/trades', a, {
      recipient_id: b.id,
      requester_items: [{ item_id: item.id, quantity: 1 }],
    })
    expect(offered.status, offered.text).toBe(201)
    await block(b, a)
    const accepted = await postWithKey(`/v1/trades/${offered.body.id}/accept`, b)
    expect(accepted.status, accepted.text).toBe(403)
    expect(await heldBy(b, item.id), 'nothing reached the blocker').toBe(0)
  })

  it('refuses a purchase from a seller who blocked the buyer, or whom the buyer blocked', async () => {
    const [seller, buyer] = [await registerVeteran('tbs'), await registerVeteran('tbu')]
    const item = await createItem(admin)
    await grantOk(admin, seller.id, [{ item_id: item.id, quantity: 2 }])
    const listing = await listOk(seller, { item_id: item.id, quantity: 2, price: 5 })
    const before = await tokensOf(buyer)
    await block(seller, buyer)
    const refused = await buy(buyer, listing.id)
    expect(refused.status, refused.text).toBe(404)
    expect(await tokensOf(buyer)).toBe(before)

    const [other, blocker] = [await registerVeteran('tbo'), await registerVeteran('tbk')]
    await grantOk(admin, other.id, [{ item_id: item.id, quantity: 1 }])
    const second = await listOk(other, { item_id: item.id, quantity: 1, price: 5 })
    await block(blocker, other)
    const own = await buy(blocker, second.id)
    expect(own.status, own.text).toBe(403)
  })
})
