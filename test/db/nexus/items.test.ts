/**
 * SQL behaviour of items, inventories, building versions and the asset licence rules
 * (migrations 0030–0032).
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { SqlClient } from '../../../db/sql-client'
import { suitePglite } from '../../support/pglite'
import { createAsset, createQuest, createUser, pgError } from './fixtures'

const pg = suitePglite('nexus')

async function createItem(client: SqlClient, columns: Record<string, unknown> = {}) {
  const values = { name: `item_${randomUUID()}`, type: 'decoration', ...columns }
  const names = Object.keys(values)
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO items (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})
     RETURNING id`,
    Object.values(values),
  )
  return rows[0].id
}

describe('inventories and max_stack_size', () => {
  it('refuses a new stack larger than the item allows', async () => {
    const [user, item] = [
      await createUser(pg.client),
      await createItem(pg.client, { max_stack_size: 5 }),
    ]
    const error = await pgError(
      pg.client.query('INSERT INTO inventories (user_id, item_id, quantity) VALUES ($1, $2, 6)', [
        user,
        item,
      ]),
    )
    expect(error.code).toBe('23514')
    expect(error.constraint).toBe('inventories_max_stack_size')
  })

  it('refuses growth past the limit, through ON CONFLICT too, and allows exactly the limit', async () => {
    const [user, item] = [
      await createUser(pg.client),
      await createItem(pg.client, { max_stack_size: 5 }),
    ]
    const add = (n: number) =>
      pg.client.query(
        `INSERT INTO inventories (user_id, item_id, quantity) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, item_id) DO UPDATE SET quantity = inventories.quantity + EXCLUDED.quantity`,
        [user, item, n],
      )
    await add(3)
    await add(2)
    expect((await pgError(add(1))).constraint).toBe('inventories_max_stack_size')
    const { rows } = await pg.client.query(
      'SELECT quantity FROM inventories WHERE user_id = $1 AND item_id = $2',
      [user, item],
    )
    expect(rows).toEqual([{ quantity: 5 }])
  })

  it('keeps an over-limit stack after the limit is lowered, and lets it shrink but not grow', async () => {
    const [user, item] = [
      await createUser(pg.client),
      await createItem(pg.client, { max_stack_size: 10 }),
    ]
    await pg.client.query(
      'INSERT INTO inventories (user_id, item_id, quantity) VALUES ($1, $2, 8)',
      [user, item],
    )
    await pg.client.query('UPDATE items SET max_stack_size = 2 WHERE id = $1', [item])
    await pg.client.query(
      'UPDATE inventories SET quantity = 7 WHERE user_id = $1 AND item_id = $2',
      [user, item],
    )
    const error = await pgError(
      pg.client.query('UPDATE inventories SET quantity = 8 WHERE user_id = $1 AND item_id = $2', [
        user,
        item,
      ]),
    )
    expect(error.constraint).toBe('inventories_max_stack_size')
  })

  it('refuses a max_stack_size below 1 and a NULL one', async () => {
    expect((await pgError(createItem(pg.client, { max_stack_size: 0 }))).constraint).toBe(
      'items_max_stack_size_check',
    )
    expect((await pgError(createItem(pg.client, { max_stack_size: null }))).code).toBe('23502')
  })

  it('holds one stack per slot of a user, and any number of unslotted stacks', async () => {
    const user = await createUser(pg.client)
    const [a, b, c] = [
      await createItem(pg.client),
      await createItem(pg.client),
      await createItem(pg.client),
    ]
    await pg.client.query(
      `INSERT INTO inventories (user_id, item_id, slot_position) VALUES ($1, $2, 3), ($1, $3, NULL), ($1, $4, NULL)`,
      [user, a, b, c],
    )
    const error = await pgError(
      pg.client.query(
        'UPDATE inventories SET slot_position = 3 WHERE user_id = $1 AND item_id = $2',
        [user, b],
      ),
    )
    expect(error.constraint).toBe('inventories_user_slot_unique')
    expect(
      (
        await pgError(
          pg.client.query(
            'UPDATE inventories SET slot_position = -1 WHERE user_id = $1 AND item_id = $2',
            [user, c],
          ),
        )
      ).constraint,
    ).toBe('inventories_slot_position_check')
  })
})

describe('buildings.from_inventory', () => {
  it('needs an owner and an item', async () => {
    const error = await pgError(
      pg.client.query(`INSERT INTO buildings (glb_path, from_inventory) VALUES ('/x.glb', TRUE)`),
    )
    expect(error.constraint).toBe('buildings_unit_has_owner_and_item')
  })
})

describe('asset_license_refusals and check_asset_license', () => {
  const refusals = async (asset: string, user: string | null) =>
    (
      await pg.client.query<{ refusals: string[] }>(
        'SELECT asset_license_refusals($1, $2) AS refusals',
        [asset, user],
      )
    ).rows[0].refusals
  const canUse = async (asset: string, user: string | null) =>
    (
      await pg.client.query<{ can_use: boolean }>(
        'SELECT can_use FROM check_asset_license($1, $2)',
        [asset, user],
      )
    ).rows[0].can_use

  it('compares min_user_level with the akashic rank', async () => {
    const asset = await createAsset(pg.client, { min_user_level: 11 })
    const newcomer = await createUser(pg.client)
    const explorer = await createUser(pg.client, { akashic_resonance: 100 })
    expect(await refusals(asset, newcomer)).toEqual(['level_required'])
    expect(await canUse(asset, newcomer)).toBe(false)
    expect(await refusals(asset, explorer)).toEqual([])
    expect(await canUse(asset, explorer)).toBe(true)
  })

  it('needs a verified completion of a quest that rewards the asset when requires_quest', async () => {
    const asset = await createAsset(pg.client, { requires_quest: true })
    const [quest, other] = [await createQuest(pg.client), await createQuest(pg.client)]
    const [done, unverified, elsewhere] = [
      await createUser(pg.client),
      await createUser(pg.client),
      await createUser(pg.client),
    ]
    await pg.client.query(
      `INSERT INTO quest_object_relationships (quest_id, object_id, object_type, relationship_type)
       VALUES ($1, $2, 'asset', 'reward')`,
      [quest, asset],
    )
    const complete = (questId: string, userId: string, verified: boolean) =>
      pg.client.query(
        `INSERT INTO challenge_completions (quest_id, user_id, score, time_taken_seconds, completion_verified)
         VALUES ($1, $2, 10, 60, $3)`,
        [questId, userId, verified],
      )
    await complete(quest, done, true)
    await complete(quest, unverified, false)
    await complete(other, elsewhere, true)
    expect(await refusals(asset, done)).toEqual([])
    expect(await refusals(asset, unverified)).toEqual(['quest_required'])
    expect(await refusals(asset, elsewhere)).toEqual(['quest_required'])
  })

  it('lists every failed rule, and only asset_not_found for an unknown asset', async () => {
    const owner = await createUser(pg.client)
    const asset = await createAsset(pg.client, {
      license: 'user_owned',
      owner_id: owner,
      is_active: false,
      requires_premium: true,
      min_user_level: 50,
      requires_quest: true,
    })
    expect(await refusals(asset, await createUser(pg.client))).toEqual([
      'inactive',
      'owner_only',
      'premium_required',
      'level_required',
      'quest_required',
    ])
    expect(await refusals(randomUUID(), owner)).toEqual(['asset_not_found'])
    expect(await refusals(asset, null)).toContain('owner_only')
  })
})
