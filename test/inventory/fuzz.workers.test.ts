/**
 * Property-based fuzzing of the request bodies of items, inventories, buildings and assets: every
 * answer is a 4xx error envelope (or a success for a body that happens to be valid), never a 5xx,
 * and another player's inventory never changes.
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { api, registerPlayer, sqlRows, type Player } from '../support/api'
import { hostileBody } from '../support/hostile-bodies'
import { createInstance } from '../support/instances'
import { createItem, grantOk, registerAdmin } from '../support/items'

/** Runs per route: enough to cover the shapes, small enough for a 2-core CI machine. */
const RUNS = 30

let admin: Player
let attacker: Player
let victim: Player
let itemId: string
let instanceId: string
let buildingId: string

const inventoryOf = (userId: string) =>
  sqlRows(
    'SELECT item_id, quantity, slot_position, custom_properties FROM inventories WHERE user_id = $1 ORDER BY item_id',
    [userId],
  )

beforeAll(async () => {
  admin = await registerAdmin()
  attacker = await registerPlayer('attacker')
  victim = await registerPlayer('victim')
  const item = await createItem(admin, { type: 'building', max_stack_size: 1000 })
  itemId = item.id
  await grantOk(admin, attacker.id, [{ item_id: itemId, quantity: 500 }])
  await grantOk(admin, victim.id, [{ item_id: itemId, quantity: 5 }])
  instanceId = (await createInstance(attacker)).id
  const placed = await api(`/v1/instances/${instanceId}/buildings`, {
    token: attacker.token,
    body: { item_id: itemId, position: { x: 0, y: 0, z: 0 } },
  })
  expect(placed.status, placed.text).toBe(201)
  buildingId = placed.body.id
})

const routes: Array<{
  name: string
  method: string
  path: () => string
  keys: string[]
  token: () => string
  idempotent?: boolean
}> = [
  {
    name: 'POST /v1/items (admin)',
    method: 'POST',
    path: () => '/v1/items',
    keys: ['name', 'type', 'rarity', 'glb_path', 'max_stack_size', 'properties', 'base_value'],
    token: () => admin.token,
  },
  {
    name: 'PATCH /v1/inventory/:item_id',
    method: 'PATCH',
    path: () => `/v1/inventory/${itemId}`,
    keys: ['slot_position', 'custom_properties'],
    token: () => attacker.token,
  },
  {
    name: 'POST /v1/inventory/gifts',
    method: 'POST',
    path: () => '/v1/inventory/gifts',
    keys: ['to_user_id', 'item_id', 'quantity', 'note'],
    token: () => attacker.token,
    idempotent: true,
  },
  {
    name: 'POST /v1/inventory/:item_id/drop',
    method: 'POST',
    path: () => `/v1/inventory/${itemId}/drop`,
    keys: ['quantity'],
    token: () => attacker.token,
  },
  {
    name: 'POST /v1/admin/inventory/grants (admin)',
    method: 'POST',
    path: () => '/v1/admin/inventory/grants',
    keys: ['user_id', 'items', 'reason', 'kind', 'reference_id'],
    token: () => admin.token,
    idempotent: true,
  },
  {
    name: 'POST /v1/instances/:id/buildings',
    method: 'POST',
    path: () => `/v1/instances/${instanceId}/buildings`,
    keys: ['item_id', 'position', 'rotation', 'scale', 'interactions', 'placed_by_companion'],
    token: () => attacker.token,
  },
  {
    name: 'PATCH /v1/instances/:id/buildings/:building_id',
    method: 'PATCH',
    path: () => `/v1/instances/${instanceId}/buildings/${buildingId}`,
    keys: ['position', 'rotation', 'scale', 'name', 'interactions', 'is_public'],
    token: () => attacker.token,
  },
  {
    name: 'POST /v1/admin/assets (admin)',
    method: 'POST',
    path: () => '/v1/admin/assets',
    keys: ['asset_name', 'category', 'glb_path', 'license', 'source', 'owner_id', 'tags'],
    token: () => admin.token,
  },
  {
    name: 'POST /v1/admin/item-templates (admin)',
    method: 'POST',
    path: () => '/v1/admin/item-templates',
    keys: ['category', 'template_data', 'generation_rules'],
    token: () => admin.token,
  },
]

describe('request body fuzzing of items, inventories, buildings and assets', () => {
  it.each(routes)(
    "$name answers every hostile body below 500 and leaves another player's inventory alone",
    async (route) => {
      const before = await inventoryOf(victim.id)
      await fc.assert(
        fc.asyncProperty(hostileBody(route.keys), async (body) => {
          const res = await api(route.path(), {
            method: route.method,
            token: route.token(),
            body,
            headers: route.idempotent ? { 'Idempotency-Key': crypto.randomUUID() } : {},
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
      expect(await inventoryOf(victim.id)).toEqual(before)
    },
  )
})
