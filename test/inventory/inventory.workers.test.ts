import { beforeAll, describe, expect, it } from 'vitest'
import { api, registerPlayer, sqlRows, tokenFor, type Player } from '../support/api'
import { createItem, grant, grantOk, heldBy, registerAdmin } from '../support/items'

let admin: Player

beforeAll(async () => {
  admin = await registerAdmin()
})

const gift = (from: Player, body: Record<string, unknown>, key = crypto.randomUUID()) =>
  api('/v1/inventory/gifts', { token: from.token, body, headers: { 'Idempotency-Key': key } })

/** The `transactions` rows about `itemId`, oldest first. */
const auditOf = (itemId: string) =>
  sqlRows<{
    transaction_type: string
    from_user: string | null
    to_user: string | null
    items_transferred: unknown
  }>(
    `SELECT transaction_type, from_user, to_user, items_transferred FROM transactions
     WHERE items_transferred @> jsonb_build_array(jsonb_build_object('item_id', $1::text))
     ORDER BY "timestamp", id`,
    [itemId],
  )

describe('POST /v1/admin/inventory/grants', () => {
  it('grants several items at once, with one audit row', async () => {
    const player = await registerPlayer('grantee')
    const [a, b] = [await createItem(admin), await createItem(admin)]
    const res = await grant(admin, player.id, [
      { item_id: a.id, quantity: 3 },
      { item_id: b.id, quantity: 1 },
      { item_id: a.id, quantity: 2 },
    ])
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      user_id: player.id,
      kind: 'admin_grant',
      reason: 'test grant',
    })
    expect(res.body.items).toEqual(
      expect.arrayContaining([
        { item_id: a.id, quantity: 5, held: 5 },
        { item_id: b.id, quantity: 1, held: 1 },
      ]),
    )
    expect(await heldBy(player, a.id)).toBe(5)
    const audit = await auditOf(a.id)
    expect(audit).toEqual([
      expect.objectContaining({
        transaction_type: 'admin_grant',
        from_user: null,
        to_user: player.id,
      }),
    ])
  })

  it('refuses a grant that would overflow a stack, whole, and never truncates it', async () => {
    const player = await registerPlayer('full')
    const [small, other] = [await createItem(admin, { max_stack_size: 5 }), await createItem(admin)]
    await grantOk(admin, player.id, [{ item_id: small.id, quantity: 4 }])
    const res = await grant(admin, player.id, [
      { item_id: other.id, quantity: 1 },
      { item_id: small.id, quantity: 2 },
    ])
    expect(res.status, res.text).toBe(409)
    expect(res.body.error.details).toEqual({
      reason: 'stack_full',
      item_id: small.id,
      max_stack_size: 5,
    })
    expect(await heldBy(player, small.id)).toBe(4)
    expect(await heldBy(player, other.id), 'the other line is rolled back too').toBe(0)
    const exact = await grant(admin, player.id, [{ item_id: small.id, quantity: 1 }])
    expect(exact.status, exact.text).toBe(201)
    expect(await heldBy(player, small.id)).toBe(5)
  })

  it('replays a retry with the same Idempotency-Key and grants once', async () => {
    const player = await registerPlayer('once')
    const item = await createItem(admin)
    const key = crypto.randomUUID()
    const body = { user_id: player.id, items: [{ item_id: item.id, quantity: 2 }], reason: 'retry' }
    const send = () =>
      api('/v1/admin/inventory/grants', {
        token: admin.token,
        body,
        headers: { 'Idempotency-Key': key },
      })
    const first = await send()
    const second = await send()
    expect(first.status, first.text).toBe(201)
    expect(second.text).toBe(first.text)
    expect(second.headers.get('Idempotent-Replayed')).toBe('true')
    expect(await heldBy(player, item.id)).toBe(2)
  })

  it('needs a key, an admin or service role, a known user and known items', async () => {
    const player = await registerPlayer('needs')
    const item = await createItem(admin)
    const body = { user_id: player.id, items: [{ item_id: item.id, quantity: 1 }], reason: 'x y z' }
    const noKey = await api('/v1/admin/inventory/grants', { token: admin.token, body })
    expect(noKey.status, noKey.text).toBe(400)
    const asPlayer = await api('/v1/admin/inventory/grants', {
      token: player.token,
      body,
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    })
    expect(asPlayer.status, asPlayer.text).toBe(403)
    const service = { ...admin, token: await tokenFor(admin, ['service']) }
    const asService = await grant(service, player.id, body.items, { kind: 'quest_reward' })
    expect(asService.status, asService.text).toBe(201)
    expect(asService.body.kind).toBe('quest_reward')
    const unknownUser = await grant(admin, crypto.randomUUID(), body.items)
    expect(unknownUser.status, unknownUser.text).toBe(404)
    const unknownItem = await grant(admin, player.id, [
      { item_id: crypto.randomUUID(), quantity: 1 },
    ])
    expect(unknownItem.status, unknownItem.text).toBe(404)
    for (const quantity of [0, -1, 1.5, 2_000_000]) {
      const bad = await grant(admin, player.id, [{ item_id: item.id, quantity }])
      expect(bad.status, `${quantity}: ${bad.text}`).toBe(400)
    }
  })
})

describe('GET /v1/inventory', () => {
  it('lists your stacks newest first with the item, filtered by type and paged', async () => {
    const player = await registerPlayer('lister')
    const [a, b, c] = [
      await createItem(admin, { type: 'weapon' }),
      await createItem(admin),
      await createItem(admin),
    ]
    for (const item of [a, b, c])
      await grantOk(admin, player.id, [{ item_id: item.id, quantity: 1 }])
    const page1 = await api('/v1/inventory?limit=2', { token: player.token })
    expect(page1.status, page1.text).toBe(200)
    expect(page1.body.items.map((s: any) => s.item_id)).toEqual([c.id, b.id])
    expect(page1.body.items[0]).toMatchObject({
      quantity: 1,
      slot_position: null,
      item: { id: c.id },
    })
    const page2 = await api(`/v1/inventory?limit=2&cursor=${page1.body.next_cursor}`, {
      token: player.token,
    })
    expect(
      page2.body.items.map((s: any) => s.item_id),
      page2.text,
    ).toEqual([a.id])
    const weapons = await api('/v1/inventory?type=weapon', { token: player.token })
    expect(
      weapons.body.items.map((s: any) => s.item_id),
      weapons.text,
    ).toEqual([a.id])
  })

  it('answers one stack, 404 for an item you do not hold', async () => {
    const player = await registerPlayer('one')
    const item = await createItem(admin)
    expect((await api(`/v1/inventory/${item.id}`, { token: player.token })).status).toBe(404)
    await grantOk(admin, player.id, [{ item_id: item.id, quantity: 7 }])
    const res = await api(`/v1/inventory/${item.id.toUpperCase()}`, { token: player.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.quantity).toBe(7)
  })
})

describe('GET /v1/users/:id/inventory', () => {
  it('is private until the owner makes it public, then shows only what others may see', async () => {
    const [owner, viewer] = [await registerPlayer('shower'), await registerPlayer('viewer')]
    const item = await createItem(admin)
    await grantOk(admin, owner.id, [{ item_id: item.id, quantity: 2 }])
    await api(`/v1/inventory/${item.id}`, {
      method: 'PATCH',
      token: owner.token,
      body: { slot_position: 4, custom_properties: { renamed_to: 'Lucky charm' } },
    })
    await sqlRows(
      `UPDATE inventories SET custom_properties = custom_properties || '{"wear_percentage": 80}'
       WHERE user_id = $1`,
      [owner.id],
    )
    const hidden = await api(`/v1/users/${owner.id}/inventory`, { token: viewer.token })
    expect(hidden.status, hidden.text).toBe(403)
    const own = await api(`/v1/users/${owner.id}/inventory`, { token: owner.token })
    expect(own.status, own.text).toBe(200)

    const prefs = await api('/v1/users/me', {
      method: 'PATCH',
      token: owner.token,
      body: { metadata: { preferences: { inventory_visibility: 'public' } } },
    })
    expect(prefs.status, prefs.text).toBe(200)
    const shown = await api(`/v1/users/${owner.id}/inventory`, { token: viewer.token })
    expect(shown.status, shown.text).toBe(200)
    expect(shown.body.items).toEqual([
      {
        item_id: item.id,
        quantity: 2,
        custom_properties: { renamed_to: 'Lucky charm' },
        item: expect.objectContaining({ id: item.id }),
      },
    ])
    const moderator = await tokenFor(viewer, ['moderator'])
    const staff = await api(`/v1/users/${owner.id}/inventory`, { token: moderator })
    expect(staff.body.items[0].slot_position, staff.text).toBe(4)
    expect(
      (await api(`/v1/users/${crypto.randomUUID()}/inventory`, { token: viewer.token })).status,
    ).toBe(404)
  })
})

describe('PATCH /v1/inventory/:item_id', () => {
  it('moves a stack to a free slot, refuses a taken one, renames and keeps the game’s keys', async () => {
    const player = await registerPlayer('slots')
    const [a, b] = [await createItem(admin), await createItem(admin)]
    await grantOk(admin, player.id, [
      { item_id: a.id, quantity: 1 },
      { item_id: b.id, quantity: 1 },
    ])
    await sqlRows(
      `UPDATE inventories SET custom_properties = '{"enchantments": ["glow"]}' WHERE user_id = $1 AND item_id = $2`,
      [player.id, a.id],
    )
    const patch = (itemId: string, body: unknown) =>
      api(`/v1/inventory/${itemId}`, { method: 'PATCH', token: player.token, body })
    const first = await patch(a.id, {
      slot_position: 0,
      custom_properties: { renamed_to: 'Hut', custom_color: '#FF5733' },
    })
    expect(first.status, first.text).toBe(200)
    expect(first.body).toMatchObject({
      slot_position: 0,
      custom_properties: { enchantments: ['glow'], renamed_to: 'Hut', custom_color: '#FF5733' },
    })
    const taken = await patch(b.id, { slot_position: 0 })
    expect(taken.status, taken.text).toBe(409)
    expect(taken.body.error.details.reason).toBe('slot_taken')
    const cleared = await patch(a.id, {
      slot_position: null,
      custom_properties: { custom_color: null },
    })
    expect(cleared.body.custom_properties, cleared.text).toEqual({
      enchantments: ['glow'],
      renamed_to: 'Hut',
    })
    expect((await patch(b.id, { slot_position: 0 })).status).toBe(200)
  })

  it('refuses game-owned keys, bad slots, and stacks you do not hold', async () => {
    const player = await registerPlayer('slotbad')
    const item = await createItem(admin)
    await grantOk(admin, player.id, [{ item_id: item.id, quantity: 1 }])
    const patch = (itemId: string, body: unknown) =>
      api(`/v1/inventory/${itemId}`, { method: 'PATCH', token: player.token, body })
    for (const body of [
      { custom_properties: { enchantments: ['godmode'] } },
      { custom_properties: { wear_percentage: 100 } },
      { slot_position: -1 },
      { slot_position: 1000 },
      { quantity: 99 },
      {},
    ]) {
      const res = await patch(item.id, body)
      expect(res.status, `${JSON.stringify(body)} → ${res.text}`).toBe(400)
    }
    const other = await createItem(admin)
    expect((await patch(other.id, { slot_position: 1 })).status).toBe(404)
  })
})

describe('POST /v1/inventory/:item_id/consume and /drop', () => {
  it('consumes a consumable, refuses a non-consumable, and audits each', async () => {
    const player = await registerPlayer('eater')
    const [potion, sword] = [
      await createItem(admin, { type: 'consumable', is_consumable: true }),
      await createItem(admin, { type: 'weapon' }),
    ]
    await grantOk(admin, player.id, [
      { item_id: potion.id, quantity: 3 },
      { item_id: sword.id, quantity: 1 },
    ])
    const eat = await api(`/v1/inventory/${potion.id}/consume`, {
      token: player.token,
      body: { quantity: 2 },
    })
    expect(eat.status, eat.text).toBe(200)
    expect(eat.body).toMatchObject({ item_id: potion.id, quantity: 2, remaining: 1 })
    const last = await api(`/v1/inventory/${potion.id}/consume`, { token: player.token, body: {} })
    expect(last.body.remaining, last.text).toBe(0)
    expect(await heldBy(player, potion.id), 'an empty stack is deleted').toBe(0)
    const none = await api(`/v1/inventory/${potion.id}/consume`, { token: player.token, body: {} })
    expect(none.status, none.text).toBe(409)
    expect(none.body.error.details).toMatchObject({
      reason: 'insufficient_quantity',
      held: 0,
      requested: 1,
    })
    const notEdible = await api(`/v1/inventory/${sword.id}/consume`, {
      token: player.token,
      body: {},
    })
    expect(notEdible.status, notEdible.text).toBe(409)
    expect(notEdible.body.error.details.reason).toBe('not_consumable')
    expect((await auditOf(potion.id)).map((r) => r.transaction_type)).toEqual([
      'admin_grant',
      'consume',
      'consume',
    ])
  })

  it('drops units, never more than held, and replays with the same key', async () => {
    const player = await registerPlayer('dropper')
    const item = await createItem(admin)
    await grantOk(admin, player.id, [{ item_id: item.id, quantity: 5 }])
    const tooMany = await api(`/v1/inventory/${item.id}/drop`, {
      token: player.token,
      body: { quantity: 6 },
    })
    expect(tooMany.status, tooMany.text).toBe(409)
    const key = crypto.randomUUID()
    const drop = () =>
      api(`/v1/inventory/${item.id}/drop`, {
        token: player.token,
        body: { quantity: 2 },
        headers: { 'Idempotency-Key': key },
      })
    const first = await drop()
    const again = await drop()
    expect(first.status, first.text).toBe(200)
    expect(again.text).toBe(first.text)
    expect(await heldBy(player, item.id)).toBe(3)
  })
})

describe('POST /v1/inventory/gifts', () => {
  it('moves units between players with a gift audit row and no token movement', async () => {
    const [from, to] = [await registerPlayer('giver'), await registerPlayer('taker')]
    const item = await createItem(admin)
    await grantOk(admin, from.id, [{ item_id: item.id, quantity: 5 }])
    const res = await gift(from, {
      to_user_id: to.id.toUpperCase(),
      item_id: item.id,
      quantity: 3,
      note: 'for you',
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      from_user_id: from.id,
      to_user_id: to.id,
      item_id: item.id,
      quantity: 3,
      note: 'for you',
      remaining: 2,
    })
    expect([await heldBy(from, item.id), await heldBy(to, item.id)]).toEqual([2, 3])
    const audit = await auditOf(item.id)
    expect(audit[1]).toMatchObject({
      transaction_type: 'gift',
      from_user: from.id,
      to_user: to.id,
      items_transferred: [{ item_id: item.id, quantity: 3 }],
    })
    const history = await api('/v1/inventory/history', { token: to.token })
    expect(history.body.items[0], history.text).toMatchObject({
      transaction_type: 'gift',
      items: [{ item_id: item.id, quantity: 3 }],
      metadata: { note: 'for you' },
    })
  })

  it('refuses a gift between a blocked pair either way, moving nothing and never revealing the block', async () => {
    const [blocker, blocked] = [await registerPlayer('gblocker'), await registerPlayer('gblocked')]
    const item = await createItem(admin)
    await grantOk(admin, blocker.id, [{ item_id: item.id, quantity: 2 }])
    await grantOk(admin, blocked.id, [{ item_id: item.id, quantity: 2 }])
    const block = await api('/v1/social/blocks', {
      token: blocker.token,
      body: { user_id: blocked.id },
    })
    expect(block.status, block.text).toBe(201)
    const fromBlocker = await gift(blocker, {
      to_user_id: blocked.id,
      item_id: item.id,
      quantity: 1,
    })
    expect(fromBlocker.status, fromBlocker.text).toBe(403)
    const fromBlocked = await gift(blocked, {
      to_user_id: blocker.id,
      item_id: item.id,
      quantity: 1,
    })
    expect(fromBlocked.status, fromBlocked.text).toBe(404)
    expect(fromBlocked.body.error.message).toBe('no user with that id')
    expect([await heldBy(blocker, item.id), await heldBy(blocked, item.id)]).toEqual([2, 2])
  })

  it('refuses untradeable items, gifts to yourself, unknown recipients and too many units', async () => {
    const [from, to] = [await registerPlayer('giver'), await registerPlayer('taker')]
    const [bound, free] = [
      await createItem(admin, { is_tradeable: false }),
      await createItem(admin),
    ]
    await grantOk(admin, from.id, [
      { item_id: bound.id, quantity: 1 },
      { item_id: free.id, quantity: 1 },
    ])
    const untradeable = await gift(from, { to_user_id: to.id, item_id: bound.id, quantity: 1 })
    expect(untradeable.status, untradeable.text).toBe(409)
    expect(untradeable.body.error.details.reason).toBe('not_tradeable')
    expect((await gift(from, { to_user_id: from.id, item_id: free.id, quantity: 1 })).status).toBe(
      400,
    )
    expect(
      (await gift(from, { to_user_id: crypto.randomUUID(), item_id: free.id, quantity: 1 })).status,
    ).toBe(404)
    const tooMany = await gift(from, { to_user_id: to.id, item_id: free.id, quantity: 2 })
    expect(tooMany.status, tooMany.text).toBe(409)
    expect(tooMany.body.error.details.reason).toBe('insufficient_quantity')
    const noKey = await api('/v1/inventory/gifts', {
      token: from.token,
      body: { to_user_id: to.id, item_id: free.id, quantity: 1 },
    })
    expect(noKey.status, noKey.text).toBe(400)
    expect([await heldBy(from, free.id), await heldBy(to, free.id)]).toEqual([1, 0])
  })

  it("refuses a gift the recipient's stack has no room for, without saying what they hold", async () => {
    const [from, to] = [await registerPlayer('giver'), await registerPlayer('taker')]
    const item = await createItem(admin, { max_stack_size: 3 })
    await grantOk(admin, from.id, [{ item_id: item.id, quantity: 3 }])
    await grantOk(admin, to.id, [{ item_id: item.id, quantity: 2 }])
    const res = await gift(from, { to_user_id: to.id, item_id: item.id, quantity: 2 })
    expect(res.status, res.text).toBe(409)
    expect(res.body.error.details).toEqual({
      reason: 'stack_full',
      item_id: item.id,
      max_stack_size: 3,
    })
    expect([await heldBy(from, item.id), await heldBy(to, item.id)]).toEqual([3, 2])
  })

  it('replays the same key byte for byte and refuses it with another body', async () => {
    const [from, to] = [await registerPlayer('giver'), await registerPlayer('taker')]
    const item = await createItem(admin)
    await grantOk(admin, from.id, [{ item_id: item.id, quantity: 4 }])
    const key = crypto.randomUUID()
    const body = { to_user_id: to.id, item_id: item.id, quantity: 1 }
    const first = await gift(from, body, key)
    const replay = await gift(from, body, key)
    expect(replay.text).toBe(first.text)
    const reused = await gift(from, { ...body, quantity: 2 }, key)
    expect(reused.status, reused.text).toBe(422)
    expect(await heldBy(to, item.id)).toBe(1)
  })
})
