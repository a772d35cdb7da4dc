/** Helpers for workerd tests of items, inventories, assets and buildings: fresh rows per call. */
import { expect } from 'vitest'
import { api, registerPlayer, tokenFor, type Player } from './api'

/** A registered player with an admin token (its own inventory is empty). */
export async function registerAdmin(prefix = 'admin'): Promise<Player> {
  const player = await registerPlayer(prefix)
  return { ...player, token: await tokenFor(player, ['admin']) }
}

let sequence = 0
/** A fresh name for rows with unique names. */
export const uniqueName = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}_${++sequence}_${Math.floor(Math.random() * 1e6)}`

/** Creates a catalogue item as `admin`; the body overrides the defaults (a tradeable decoration). */
export async function createItem(admin: Player, body: Record<string, unknown> = {}) {
  const res = await api('/v1/items', {
    token: admin.token,
    body: {
      name: uniqueName('item'),
      type: 'decoration',
      glb_path: '/models/test.glb',
      max_stack_size: 100,
      ...body,
    },
  })
  expect(res.status, res.text).toBe(201)
  return res.body as { id: string; [key: string]: any }
}

/** Registers an asset as `admin`; the body overrides the defaults (a CC0 prop). */
export async function createAsset(admin: Player, body: Record<string, unknown> = {}) {
  const res = await api('/v1/admin/assets', {
    token: admin.token,
    body: {
      asset_name: uniqueName('asset'),
      category: 'prop',
      glb_path: '/assets/test/chest.glb',
      license: 'CC0',
      source: 'polyhaven',
      original_author: 'Poly Haven',
      display_name: 'Test Chest',
      ...body,
    },
  })
  expect(res.status, res.text).toBe(201)
  return res.body as { id: string; [key: string]: any }
}

/** Grants units to `user` as `admin` (a fresh Idempotency-Key); returns the response. */
export function grant(
  admin: Player,
  userId: string,
  items: Array<{ item_id: string; quantity: number }>,
  extra: Record<string, unknown> = {},
) {
  return api('/v1/admin/inventory/grants', {
    token: admin.token,
    body: { user_id: userId, items, reason: 'test grant', ...extra },
    headers: { 'Idempotency-Key': crypto.randomUUID() },
  })
}

/** Grants and expects success. */
export async function grantOk(
  admin: Player,
  userId: string,
  items: Array<{ item_id: string; quantity: number }>,
) {
  const res = await grant(admin, userId, items)
  expect(res.status, res.text).toBe(201)
  return res.body
}

/** How many units of `itemId` the player holds (0 when none), through the API. */
export async function heldBy(player: Player, itemId: string): Promise<number> {
  const res = await api(`/v1/inventory/${itemId}`, { token: player.token })
  if (res.status === 404) return 0
  expect(res.status, res.text).toBe(200)
  return res.body.quantity
}
