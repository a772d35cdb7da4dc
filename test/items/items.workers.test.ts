import { beforeAll, describe, expect, it } from 'vitest'
import { api, registerPlayer, tokenFor, type Player } from '../support/api'
import { createAsset, createItem, grantOk, registerAdmin, uniqueName } from '../support/items'

let admin: Player
let player: Player
let creator: Player

beforeAll(async () => {
  admin = await registerAdmin()
  player = await registerPlayer('itemp')
  creator = await registerPlayer('creator')
})

describe('GET /v1/items', () => {
  it('lists the catalogue by name with filters and a working cursor', async () => {
    const tag = uniqueName('lamp')
    const made = []
    for (const [suffix, rarity, tradeable] of [
      ['c', 'rare', true],
      ['a', 'common', true],
      ['b', 'rare', false],
    ] as const) {
      made.push(
        await createItem(admin, { name: `${tag} ${suffix}`, rarity, is_tradeable: tradeable }),
      )
    }
    const page1 = await api(`/v1/items?q=${tag}&limit=2`, { token: player.token })
    expect(page1.status, page1.text).toBe(200)
    expect(page1.body.items.map((i: any) => i.name)).toEqual([`${tag} a`, `${tag} b`])
    expect(page1.body.next_cursor, page1.text).toEqual(expect.any(String))
    const page2 = await api(`/v1/items?q=${tag}&limit=2&cursor=${page1.body.next_cursor}`, {
      token: player.token,
    })
    expect(
      page2.body.items.map((i: any) => i.name),
      page2.text,
    ).toEqual([`${tag} c`])
    expect(page2.body.next_cursor).toBeNull()

    const rare = await api(`/v1/items?q=${tag}&rarity=rare&is_tradeable=true`, {
      token: player.token,
    })
    expect(
      rare.body.items.map((i: any) => i.id),
      rare.text,
    ).toEqual([made[0].id])
  })

  it('treats LIKE wildcards in q as text', async () => {
    const res = await api('/v1/items?q=%25%25_', { token: player.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.items).toEqual([])
  })

  it('refuses a forged cursor, an unknown type and a missing token', async () => {
    expect((await api('/v1/items?cursor=bm90LWpzb24', { token: player.token })).status).toBe(400)
    expect((await api('/v1/items?type=spaceship', { token: player.token })).status).toBe(400)
    expect((await api('/v1/items')).status).toBe(401)
  })
})

describe('GET /v1/items/:id', () => {
  it('answers an item by an upper-cased id, and 404 for an unknown one', async () => {
    const item = await createItem(admin, { properties: { energy_cost: 10 } })
    const res = await api(`/v1/items/${item.id.toUpperCase()}`, { token: player.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({
      id: item.id,
      type: 'decoration',
      max_stack_size: 100,
      is_tradeable: true,
      properties: { energy_cost: 10 },
      creator_id: admin.id,
    })
    const missing = await api(`/v1/items/${crypto.randomUUID()}`, { token: player.token })
    expect(missing.status, missing.text).toBe(404)
    expect((await api('/v1/items/not-a-uuid', { token: player.token })).status).toBe(400)
  })
})

describe('POST /v1/items', () => {
  it('refuses players who are not allowed creators', async () => {
    const res = await api('/v1/items', {
      token: player.token,
      body: { name: 'Free gold', type: 'decoration' },
    })
    expect(res.status, res.text).toBe(403)
  })

  it('lets an allowed creator create and edit their items, and not after being revoked', async () => {
    const allow = await api(`/v1/admin/items/creators/${creator.id}`, {
      method: 'PUT',
      token: admin.token,
    })
    expect(allow.status, allow.text).toBe(201)
    const again = await api(`/v1/admin/items/creators/${creator.id}`, {
      method: 'PUT',
      token: admin.token,
    })
    expect(again.status, again.text).toBe(200)

    const created = await api('/v1/items', {
      token: creator.token,
      body: { name: 'Carved stool', type: 'decoration', max_stack_size: 5 },
    })
    expect(created.status, created.text).toBe(201)
    expect(created.body).toMatchObject({ creator_id: creator.id, rarity: 'common', base_value: 1 })
    const edited = await api(`/v1/items/${created.body.id}`, {
      method: 'PATCH',
      token: creator.token,
      body: { rarity: 'uncommon' },
    })
    expect(edited.status, edited.text).toBe(200)
    expect(edited.body.rarity).toBe('uncommon')

    const othersItem = await createItem(admin)
    const foreign = await api(`/v1/items/${othersItem.id}`, {
      method: 'PATCH',
      token: creator.token,
      body: { rarity: 'legendary' },
    })
    expect(foreign.status, foreign.text).toBe(403)

    const list = await api('/v1/admin/items/creators', { token: admin.token })
    expect(
      list.body.items.map((c: any) => c.user_id),
      list.text,
    ).toContain(creator.id)

    const revoke = await api(`/v1/admin/items/creators/${creator.id}`, {
      method: 'DELETE',
      token: admin.token,
    })
    expect(revoke.status, revoke.text).toBe(204)
    const afterRevoke = await api(`/v1/items/${created.body.id}`, {
      method: 'PATCH',
      token: creator.token,
      body: { rarity: 'rare' },
    })
    expect(afterRevoke.status, afterRevoke.text).toBe(403)
  })

  it('validates fields: unknown keys, bad paths, stack sizes, NUL, an unknown asset, depth', async () => {
    const bodies = [
      { name: 'x', type: 'decoration', minted: 5 },
      { name: 'x', type: 'decoration', glb_path: 'javascript:alert(1)' },
      { name: 'x', type: 'decoration', max_stack_size: 0 },
      { name: 'x\u0000y', type: 'decoration' },
      { name: 'x', type: 'building', properties: { asset_id: crypto.randomUUID() } },
      // Very deep JSON can exhaust the database's stack: free JSON nests at most 16 levels.
      {
        name: 'x',
        type: 'decoration',
        properties: { a: JSON.parse('['.repeat(17) + ']'.repeat(17)) },
      },
    ]
    for (const body of bodies) {
      const res = await api('/v1/items', { token: admin.token, body })
      expect(res.status, `${JSON.stringify(body)} → ${res.text}`).toBe(400)
    }
  })

  it('accepts a building item naming a registry asset', async () => {
    const asset = await createAsset(admin)
    const item = await createItem(admin, { type: 'building', properties: { asset_id: asset.id } })
    expect(item.properties.asset_id).toBe(asset.id)
  })
})

describe('DELETE /v1/admin/items/:id', () => {
  it('deletes an unused item, refuses one somebody holds, and is admin-only', async () => {
    const unused = await createItem(admin)
    expect(
      (await api(`/v1/admin/items/${unused.id}`, { method: 'DELETE', token: player.token })).status,
    ).toBe(403)
    const gone = await api(`/v1/admin/items/${unused.id}`, { method: 'DELETE', token: admin.token })
    expect(gone.status, gone.text).toBe(204)
    expect((await api(`/v1/items/${unused.id}`, { token: player.token })).status).toBe(404)

    const held = await createItem(admin)
    await grantOk(admin, player.id, [{ item_id: held.id, quantity: 1 }])
    const refused = await api(`/v1/admin/items/${held.id}`, {
      method: 'DELETE',
      token: admin.token,
    })
    expect(refused.status, refused.text).toBe(409)
    expect(refused.body.error.details).toMatchObject({ inventories: 1 })
  })
})

describe('/v1/admin/item-templates', () => {
  const template = {
    category: 'building',
    template_data: {
      base_model: 'modular_house',
      glb_path: '/models/modular_house.glb',
      name_pattern: '{size} {wall_material} {base_model}',
      variable_components: {
        roof_type: ['flat', 'peaked', 'dome'],
        wall_material: ['wood', 'stone', 'glass'],
        door_count: { min: 1, max: 3 },
        window_count: { min: 2, max: 8 },
      },
      size_scaling: {
        small: { multiplier: 0.7, value: 5 },
        medium: { multiplier: 1.0, value: 10 },
        large: { multiplier: 1.5, value: 20 },
      },
    },
    generation_rules: { rarity_weights: { common: 6, rare: 3, legendary: 1 } },
  }

  it('creates, reads, lists, changes and deletes templates', async () => {
    const created = await api('/v1/admin/item-templates', { token: admin.token, body: template })
    expect(created.status, created.text).toBe(201)
    const id = created.body.id
    expect((await api(`/v1/admin/item-templates/${id}`, { token: admin.token })).body).toEqual(
      created.body,
    )
    const list = await api('/v1/admin/item-templates?category=building', { token: admin.token })
    expect(
      list.body.items.map((t: any) => t.id),
      list.text,
    ).toContain(id)
    const patched = await api(`/v1/admin/item-templates/${id}`, {
      method: 'PATCH',
      token: admin.token,
      body: { generation_rules: null },
    })
    expect(patched.status, patched.text).toBe(200)
    expect(patched.body.generation_rules).toBeNull()
    const deleted = await api(`/v1/admin/item-templates/${id}`, {
      method: 'DELETE',
      token: admin.token,
    })
    expect(deleted.status, deleted.text).toBe(204)
    expect((await api(`/v1/admin/item-templates/${id}`, { token: admin.token })).status).toBe(404)
  })

  it('generates the same item for the same seed, and a random seed when none is given', async () => {
    const created = await api('/v1/admin/item-templates', { token: admin.token, body: template })
    const generate = (body: unknown) =>
      api(`/v1/admin/item-templates/${created.body.id}/generate`, { token: admin.token, body })
    const first = await generate({ seed: 42 })
    const second = await generate({ seed: 42 })
    expect(first.status, first.text).toBe(201)
    const strip = (item: any) => ({ ...item, id: undefined, created_at: undefined })
    expect(strip(second.body.item)).toEqual(strip(first.body.item))
    expect(first.body.item.id).not.toBe(second.body.item.id)
    expect(first.body.item).toMatchObject({
      type: 'building',
      glb_path: '/models/modular_house.glb',
      properties: { template_id: created.body.id, seed: 42, base_model: 'modular_house' },
    })
    const { components, size } = first.body.item.properties
    expect(['flat', 'peaked', 'dome']).toContain(components.roof_type)
    expect(components.door_count).toBeGreaterThanOrEqual(1)
    expect(components.door_count).toBeLessThanOrEqual(3)
    expect(first.body.item.name).toBe(`${size} ${components.wall_material} Modular House`)
    expect(first.body.item.base_value).toBe({ small: 5, medium: 10, large: 20 }[size as string])

    const random = await generate({})
    expect(random.status, random.text).toBe(201)
    expect(random.body.seed).toEqual(expect.any(Number))
  })

  it('refuses a template that makes no item type, and players', async () => {
    const bad = await api('/v1/admin/item-templates', {
      token: admin.token,
      body: { category: 'vehicle', template_data: { base_model: 'cart' } },
    })
    expect(bad.status, bad.text).toBe(400)
    const playerTry = await api('/v1/admin/item-templates', { token: player.token, body: template })
    expect(playerTry.status, playerTry.text).toBe(403)
    const service = await api('/v1/admin/item-templates', {
      token: await tokenFor(player, ['service']),
      body: template,
    })
    expect(service.status, service.text).toBe(201)
  })
})
