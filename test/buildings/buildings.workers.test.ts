import { beforeAll, describe, expect, it } from 'vitest'
import { api, registerPlayer, sqlRows, tokenFor, type Player } from '../support/api'
import { createInstance, enterRoom } from '../support/instances'
import { createAsset, createItem, grantOk, heldBy, registerAdmin } from '../support/items'

let admin: Player

beforeAll(async () => {
  admin = await registerAdmin()
})

const place = (player: Player, instanceId: string, body: Record<string, unknown>, headers = {}) =>
  api(`/v1/instances/${instanceId}/buildings`, { token: player.token, body, headers })

const at = (x: number, z: number) => ({ x, y: 0, z })

/** A player holding `quantity` units of a fresh building item (optionally built from an asset). */
async function builderWith(quantity: number, itemBody: Record<string, unknown> = {}) {
  const player = await registerPlayer('builder')
  const item = await createItem(admin, {
    type: 'building',
    glb_path: '/models/hut.glb',
    ...itemBody,
  })
  await grantOk(admin, player.id, [{ item_id: item.id, quantity }])
  return { player, item }
}

async function joinWith(player: Player, instanceId: string, owner: Player, permissions = {}) {
  const joined = await api(`/v1/instances/${instanceId}/join`, {
    method: 'POST',
    token: player.token,
  })
  expect(joined.status, joined.text).toBe(201)
  if (Object.keys(permissions).length > 0) {
    const res = await api(`/v1/instances/${instanceId}/visitors/${player.id}/permissions`, {
      method: 'PUT',
      token: owner.token,
      body: permissions,
    })
    expect(res.status, res.text).toBe(200)
  }
}

const auditTypes = async (itemId: string) =>
  (
    await sqlRows<{ transaction_type: string }>(
      `SELECT transaction_type FROM transactions
       WHERE items_transferred @> jsonb_build_array(jsonb_build_object('item_id', $1::text))
       ORDER BY "timestamp", id`,
      [itemId],
    )
  ).map((r) => r.transaction_type)

describe('POST /v1/instances/:id/buildings', () => {
  it('places one unit of an owned building item, audited, with a version', async () => {
    const { player, item } = await builderWith(2)
    const instance = await createInstance(player)
    const res = await place(player, instance.id.toUpperCase(), {
      item_id: item.id,
      position: at(10.12345, -5),
      rotation: { x: 0, y: 0.7071, z: 0, w: 0.7071 },
      scale: { x: 2, y: 2, z: 2 },
      interactions: { door: { type: 'toggle', animation: 'swing_open' } },
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      instance_id: instance.id,
      owner_id: player.id,
      item_id: item.id,
      asset_id: null,
      name: item.name,
      glb_path: '/models/hut.glb',
      position: { x: 10.123, y: 0, z: -5 },
      scale: { x: 2, y: 2, z: 2 },
      from_inventory: true,
      version: 1,
      interactions: { door: { type: 'toggle', animation: 'swing_open' } },
    })
    expect(await heldBy(player, item.id)).toBe(1)
    expect(await auditTypes(item.id)).toEqual(['admin_grant', 'building_placed'])
  })

  it('snapshots the licence of an asset-backed item and records the placement', async () => {
    const asset = await createAsset(admin, {
      license: 'CC-BY-4.0',
      default_scale: { x: 3, y: 3, z: 3 },
    })
    const { player, item } = await builderWith(1, {
      glb_path: null,
      properties: { asset_id: asset.id },
    })
    const instance = await createInstance(player)
    const res = await place(player, instance.id, { item_id: item.id, position: at(0, 0) })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      asset_id: asset.id,
      glb_path: '/assets/test/chest.glb',
      scale: { x: 3, y: 3, z: 3 },
      license_snapshot: {
        license: 'CC-BY-4.0',
        source: 'polyhaven',
        attribution: 'Test Chest by Poly Haven (polyhaven), CC-BY-4.0',
      },
    })
    const usage = await sqlRows(
      'SELECT used_by, instance_id, action FROM asset_usage WHERE asset_id = $1',
      [asset.id],
    )
    expect(usage).toEqual([{ used_by: player.id, instance_id: instance.id, action: 'placed' }])
  })

  it('never places an asset its licence refuses, and keeps the unit', async () => {
    const owner = await registerPlayer('assetowner')
    const cases = [
      [{ min_user_level: 30 }, ['level_required']],
      [{ requires_quest: true }, ['quest_required']],
      [{ requires_premium: true }, ['premium_required']],
      [{ license: 'user_owned', owner_id: owner.id }, ['owner_only']],
      [{ is_active: false }, ['inactive']],
    ] as const
    for (const [assetBody, refusals] of cases) {
      const asset = await createAsset(admin, assetBody)
      const { player, item } = await builderWith(1, { properties: { asset_id: asset.id } })
      const instance = await createInstance(player)
      const res = await place(player, instance.id, { item_id: item.id, position: at(0, 0) })
      expect(res.status, `${JSON.stringify(assetBody)} → ${res.text}`).toBe(403)
      expect(res.body.error.details).toEqual({ asset_id: asset.id, refusals })
      expect(await heldBy(player, item.id)).toBe(1)
    }
  })

  it('lets a player place an asset once they reach its level', async () => {
    const asset = await createAsset(admin, { min_user_level: 11 })
    const { player, item } = await builderWith(1, { properties: { asset_id: asset.id } })
    const instance = await createInstance(player)
    expect(
      (await place(player, instance.id, { item_id: item.id, position: at(0, 0) })).status,
    ).toBe(403)
    await sqlRows('UPDATE users SET akashic_resonance = 100 WHERE id = $1', [player.id])
    const res = await place(player, instance.id, { item_id: item.id, position: at(0, 0) })
    expect(res.status, res.text).toBe(201)
  })

  it('needs can_build: a visitor is refused until the host grants it; strangers of a private instance get 404', async () => {
    const host = await registerPlayer('host')
    const { player, item } = await builderWith(1)
    const instance = await createInstance(host)
    await joinWith(player, instance.id, host)
    const refused = await place(player, instance.id, { item_id: item.id, position: at(1, 1) })
    expect(refused.status, refused.text).toBe(403)
    await api(`/v1/instances/${instance.id}/visitors/${player.id}/permissions`, {
      method: 'PUT',
      token: host.token,
      body: { can_build: true },
    })
    const allowed = await place(player, instance.id, { item_id: item.id, position: at(1, 1) })
    expect(allowed.status, allowed.text).toBe(201)

    const hidden = await createInstance(host, { is_public: false })
    const stranger = await builderWith(1)
    const notFound = await place(stranger.player, hidden.id, {
      item_id: stranger.item.id,
      position: at(0, 0),
    })
    expect(notFound.status, notFound.text).toBe(404)
    const notVisitor = await place(stranger.player, instance.id, {
      item_id: stranger.item.id,
      position: at(0, 0),
    })
    expect(notVisitor.status, 'a public instance, but not a visitor with can_build').toBe(403)
  })

  it('refuses positions outside the bounds, bad transforms, unplaceable and unheld items', async () => {
    const { player, item } = await builderWith(1)
    const instance = await createInstance(player, {
      metadata: { custom_properties: { bounds: { min_x: -10, max_x: 10, min_z: -10, max_z: 10 } } },
    })
    const bad = [
      { item_id: item.id, position: at(11, 0) },
      { item_id: item.id, position: at(0, -10.5) },
      { item_id: item.id, position: at(0, 0), rotation: { x: 0, y: 0, z: 0, w: 2 } },
      { item_id: item.id, position: at(0, 0), scale: { x: 0, y: 1, z: 1 } },
      { item_id: item.id, position: at(0, 0), scale: { x: 1000, y: 1, z: 1 } },
      { item_id: item.id, position: { x: 0, y: 0 } },
      { item_id: item.id, position: at(0, 0), interactions: { door: { animation: 'no type' } } },
      { item_id: item.id, position: at(0, 0), owner_id: player.id },
      { item_id: item.id, position: at(0, 0), asset_id: crypto.randomUUID() },
      { position: at(0, 0) },
    ]
    for (const body of bad) {
      const res = await place(player, instance.id, body)
      expect(res.status, `${JSON.stringify(body)} → ${res.text}`).toBe(400)
    }
    const sword = await createItem(admin, { type: 'weapon' })
    await grantOk(admin, player.id, [{ item_id: sword.id, quantity: 1 }])
    const weapon = await place(player, instance.id, { item_id: sword.id, position: at(0, 0) })
    expect(weapon.status, weapon.text).toBe(409)
    expect(weapon.body.error.details.reason).toBe('not_placeable')
    const other = await createItem(admin, { type: 'building' })
    const unheld = await place(player, instance.id, { item_id: other.id, position: at(0, 0) })
    expect(unheld.status, unheld.text).toBe(409)
    expect(unheld.body.error.details.reason).toBe('insufficient_quantity')
    expect(await heldBy(player, item.id)).toBe(1)
  })

  it('places once for a retried Idempotency-Key', async () => {
    const { player, item } = await builderWith(3)
    const instance = await createInstance(player)
    const headers = { 'Idempotency-Key': crypto.randomUUID() }
    const body = { item_id: item.id, position: at(2, 2) }
    const first = await place(player, instance.id, body, headers)
    const again = await place(player, instance.id, body, headers)
    expect(first.status, first.text).toBe(201)
    expect(again.text).toBe(first.text)
    expect(await heldBy(player, item.id)).toBe(2)
  })

  it('lets a service place for a deity without taking a unit, and no player may', async () => {
    const host = await registerPlayer('host')
    const instance = await createInstance(host, { is_public: false })
    const asset = await createAsset(admin, { requires_premium: true })
    const service = { ...host, token: await tokenFor(host, ['service']) }
    const res = await place(service, instance.id, {
      placed_by_companion: 'deity_artemis',
      asset_id: asset.id,
      position: at(3, 3),
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      owner_id: null,
      placed_by_companion: 'deity_artemis',
      asset_id: asset.id,
      from_inventory: false,
    })
    const playerTry = await place(host, instance.id, {
      placed_by_companion: 'deity_artemis',
      asset_id: asset.id,
      position: at(3, 3),
    })
    expect(playerTry.status, playerTry.text).toBe(403)
    const owned = await createAsset(admin, { license: 'user_owned', owner_id: host.id })
    const someoneElses = await place(service, instance.id, {
      placed_by_companion: 'deity_zeus',
      asset_id: owned.id,
      position: at(0, 0),
    })
    expect(someoneElses.status, someoneElses.text).toBe(403)
    expect(someoneElses.body.error.details.refusals).toEqual(['owner_only'])
  })
})

describe('GET /v1/instances/:id/buildings', () => {
  it('lists oldest first with the version, pages, filters by owner; private is 404 to strangers', async () => {
    const { player, item } = await builderWith(3)
    const instance = await createInstance(player, { is_public: false })
    const ids = []
    for (const x of [1, 2, 3]) {
      ids.push((await place(player, instance.id, { item_id: item.id, position: at(x, 0) })).body.id)
    }
    const page1 = await api(`/v1/instances/${instance.id}/buildings?limit=2`, {
      token: player.token,
    })
    expect(page1.status, page1.text).toBe(200)
    expect(page1.body.items.map((b: any) => b.id)).toEqual(ids.slice(0, 2))
    expect(page1.body.version).toBe(3)
    const page2 = await api(
      `/v1/instances/${instance.id}/buildings?limit=2&cursor=${page1.body.next_cursor}`,
      {
        token: player.token,
      },
    )
    expect(
      page2.body.items.map((b: any) => b.id),
      page2.text,
    ).toEqual([ids[2]])
    const byOther = await api(`/v1/instances/${instance.id}/buildings?owner_id=${admin.id}`, {
      token: player.token,
    })
    expect(byOther.body.items, byOther.text).toEqual([])
    const one = await api(`/v1/instances/${instance.id}/buildings/${ids[1]}`, {
      token: player.token,
    })
    expect(one.body.position, one.text).toEqual(at(2, 0))

    const stranger = await registerPlayer('stranger')
    expect(
      (await api(`/v1/instances/${instance.id}/buildings`, { token: stranger.token })).status,
    ).toBe(404)
    expect(
      (await api(`/v1/instances/${instance.id}/buildings/${ids[0]}`, { token: stranger.token }))
        .status,
    ).toBe(404)
    const elsewhere = await createInstance(player)
    expect(
      (await api(`/v1/instances/${elsewhere.id}/buildings/${ids[0]}`, { token: player.token }))
        .status,
      'a building is only found in its own instance',
    ).toBe(404)
  })
})

describe('PATCH /v1/instances/:id/buildings/:building_id', () => {
  it('lets the owner move it (new version), others only with can_modify_buildings', async () => {
    const host = await registerPlayer('host')
    const { player, item } = await builderWith(1)
    const instance = await createInstance(host)
    await joinWith(player, instance.id, host, { can_build: true })
    const placed = (await place(player, instance.id, { item_id: item.id, position: at(0, 0) })).body
    const moved = await api(`/v1/instances/${instance.id}/buildings/${placed.id}`, {
      method: 'PATCH',
      token: player.token,
      body: { position: at(5, 5), name: 'Workshop', is_public: true },
    })
    expect(moved.status, moved.text).toBe(200)
    expect(moved.body).toMatchObject({
      position: at(5, 5),
      name: 'Workshop',
      is_public: true,
      version: placed.version + 1,
      modified_by: player.id,
    })

    const other = await registerPlayer('other')
    await joinWith(other, instance.id, host)
    const patch = () =>
      api(`/v1/instances/${instance.id}/buildings/${placed.id}`, {
        method: 'PATCH',
        token: other.token,
        body: { position: at(-5, -5) },
      })
    expect((await patch()).status).toBe(403)
    await api(`/v1/instances/${instance.id}/visitors/${other.id}/permissions`, {
      method: 'PUT',
      token: host.token,
      body: { can_modify_buildings: true },
    })
    const allowed = await patch()
    expect(allowed.status, allowed.text).toBe(200)
    expect(allowed.body.modified_by).toBe(other.id)

    const outside = await api(`/v1/instances/${instance.id}/buildings/${placed.id}`, {
      method: 'PATCH',
      token: host.token,
      body: { position: at(1000, 0) },
    })
    expect(outside.status, outside.text).toBe(400)
    const empty = await api(`/v1/instances/${instance.id}/buildings/${placed.id}`, {
      method: 'PATCH',
      token: host.token,
      body: {},
    })
    expect(empty.status, empty.text).toBe(400)
  })
})

describe('DELETE /v1/instances/:id/buildings/:building_id', () => {
  it('returns the unit to the owner, audited, whoever removes it', async () => {
    const host = await registerPlayer('host')
    const { player, item } = await builderWith(1)
    const instance = await createInstance(host)
    await joinWith(player, instance.id, host, { can_build: true })
    const placed = (await place(player, instance.id, { item_id: item.id, position: at(0, 0) })).body
    expect(await heldBy(player, item.id)).toBe(0)
    const stranger = await registerPlayer('stranger')
    const refused = await api(`/v1/instances/${instance.id}/buildings/${placed.id}`, {
      method: 'DELETE',
      token: stranger.token,
    })
    expect(refused.status, refused.text).toBe(403)
    const removed = await api(`/v1/instances/${instance.id}/buildings/${placed.id}`, {
      method: 'DELETE',
      token: host.token,
    })
    expect(removed.status, removed.text).toBe(204)
    expect(await heldBy(player, item.id)).toBe(1)
    expect(await auditTypes(item.id)).toEqual([
      'admin_grant',
      'building_placed',
      'building_removed',
    ])
    const again = await api(`/v1/instances/${instance.id}/buildings/${placed.id}`, {
      method: 'DELETE',
      token: host.token,
    })
    expect(again.status, again.text).toBe(404)
  })

  it('lets the owner take their building back from a private instance they were shut out of', async () => {
    const host = await registerPlayer('host')
    const { player, item } = await builderWith(1)
    const instance = await createInstance(host, { is_public: false })
    await api(`/v1/instances/${instance.id}/invitations`, {
      token: host.token,
      body: { user_id: player.id },
    })
    await joinWith(player, instance.id, host, { can_build: true })
    const placed = (await place(player, instance.id, { item_id: item.id, position: at(0, 0) })).body
    await api(`/v1/instances/${instance.id}/invitations/${player.id}`, {
      method: 'DELETE',
      token: host.token,
    })
    await api(`/v1/instances/${instance.id}/visitors/${player.id}`, {
      method: 'DELETE',
      token: host.token,
    })
    expect(
      (await api(`/v1/instances/${instance.id}/buildings`, { token: player.token })).status,
    ).toBe(404)
    const taken = await api(`/v1/instances/${instance.id}/buildings/${placed.id}`, {
      method: 'DELETE',
      token: player.token,
    })
    expect(taken.status, taken.text).toBe(204)
    expect(await heldBy(player, item.id)).toBe(1)
  })

  it('refuses a removal when the owner’s stack is full, and destroys nothing', async () => {
    const { player, item } = await builderWith(1, { max_stack_size: 1 })
    const instance = await createInstance(player)
    const placed = (await place(player, instance.id, { item_id: item.id, position: at(0, 0) })).body
    await grantOk(admin, player.id, [{ item_id: item.id, quantity: 1 }])
    const res = await api(`/v1/instances/${instance.id}/buildings/${placed.id}`, {
      method: 'DELETE',
      token: player.token,
    })
    expect(res.status, res.text).toBe(409)
    expect(res.body.error.details.reason).toBe('stack_full')
    const still = await api(`/v1/instances/${instance.id}/buildings/${placed.id}`, {
      token: player.token,
    })
    expect(still.status, still.text).toBe(200)
  })
})

describe('buildings in the live room', () => {
  it('pushes a placement, a move and a removal made over HTTP to a connected player', async () => {
    const { player, item } = await builderWith(1)
    const instance = await createInstance(player)
    const watcher = await registerPlayer('watcher')
    const client = await enterRoom(watcher, instance.id)
    const welcome = client.received.find((f) => f.type === 'welcome')
    expect(welcome.buildings_version).toBe(0)

    const placed = (await place(player, instance.id, { item_id: item.id, position: at(4, 4) })).body
    const placedEvent = await client.waitForEvent(
      (e) => e.type === 'building' && e.change === 'placed',
      'the building event of the placement',
    )
    expect(placedEvent.building).toEqual(placed)

    await api(`/v1/instances/${instance.id}/buildings/${placed.id}`, {
      method: 'PATCH',
      token: player.token,
      body: { position: at(6, 6) },
    })
    const movedEvent = await client.waitForEvent(
      (e) => e.type === 'building' && e.change === 'moved',
      'the building event of the move',
    )
    expect(movedEvent.building).toMatchObject({ id: placed.id, position: at(6, 6), version: 2 })

    await api(`/v1/instances/${instance.id}/buildings/${placed.id}`, {
      method: 'DELETE',
      token: player.token,
    })
    const removedEvent = await client.waitForEvent(
      (e) => e.type === 'building' && e.change === 'removed',
      'the building event of the removal',
    )
    expect(removedEvent.building).toMatchObject({ id: placed.id, version: 3 })
    client.close()
  })

  it('gives a joining player the version to fetch, also after notices the room missed', async () => {
    const { player, item } = await builderWith(2)
    const instance = await createInstance(player)
    await place(player, instance.id, { item_id: item.id, position: at(0, 0) })
    await place(player, instance.id, { item_id: item.id, position: at(1, 0) })
    // A change the room never heard of (as if its notice had been lost).
    await sqlRows(
      'UPDATE instance_building_versions SET version = version + 5 WHERE instance_id = $1',
      [instance.id],
    )
    const client = await enterRoom(player, instance.id)
    const welcome = client.received.find((f) => f.type === 'welcome')
    expect(welcome.buildings_version).toBe(7)
    const list = await api(`/v1/instances/${instance.id}/buildings`, { token: player.token })
    expect(list.body.version, list.text).toBe(welcome.buildings_version)
    client.close()
  })
})
