import { describe, expect, it } from 'vitest'
import { suitePglite } from '../../support/pglite'
import { createAsset, createUser } from './fixtures'

const pg = suitePglite('nexus')

describe('populate_license_snapshot', () => {
  it("copies the asset's licence, source and author onto a new building", async () => {
    const owner = await createUser(pg.client)
    const asset = await createAsset(pg.client, {
      license: 'CC-BY-4.0',
      source: 'commissioned',
      original_author: 'Ada Modeller',
      original_url: 'https://example.org/boat',
      owner_name: 'poqpoq',
      display_name: 'Boat',
    })
    const { rows } = await pg.client.query<{
      license_snapshot: Record<string, unknown>
      glb_path: string
    }>(
      `INSERT INTO buildings (owner_id, asset_id, glb_path, license_snapshot)
       VALUES ($1, $2, '/custom/boat.glb', '{"license":"forged"}') RETURNING license_snapshot, glb_path`,
      [owner, asset],
    )
    const snapshot = rows[0].license_snapshot
    expect(snapshot, 'snapshot').toMatchObject({
      license: 'CC-BY-4.0',
      source: 'commissioned',
      original_author: 'Ada Modeller',
      original_url: 'https://example.org/boat',
      owner_name: 'poqpoq',
      attribution: 'Boat by Ada Modeller (commissioned), CC-BY-4.0',
    })
    expect(String(snapshot.snapshot_at), 'snapshot time').toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    )
    expect(rows[0].glb_path, 'an explicit glb_path is kept').toBe('/custom/boat.glb')
  })

  it('fills glb_path from the asset when the building leaves it out', async () => {
    const asset = await createAsset(pg.client)
    const { rows } = await pg.client.query<{ glb_path: string; a: string }>(
      `INSERT INTO buildings (asset_id) VALUES ($1)
       RETURNING glb_path, (SELECT glb_path FROM assets WHERE id = $1) AS a`,
      [asset],
    )
    expect(rows[0].glb_path).toBe(rows[0].a)
  })

  it('leaves buildings without an asset alone', async () => {
    const { rows } = await pg.client.query<{ license_snapshot: unknown }>(
      "INSERT INTO buildings (glb_path) VALUES ('/x.glb') RETURNING license_snapshot",
    )
    expect(rows[0].license_snapshot).toEqual({})
  })
})

describe('get_asset_info', () => {
  it('returns the display name, licence and attribution', async () => {
    const asset = await createAsset(pg.client, { display_name: 'Chest' })
    const { rows } = await pg.client.query('SELECT * FROM get_asset_info($1)', [asset])
    expect(rows).toEqual([
      {
        asset_name: expect.stringMatching(/^asset_/),
        display_name: 'Chest',
        license: 'CC0',
        attribution: 'Chest by Poly Haven (polyhaven), CC0',
        owner_name: 'poqpoq',
      },
    ])
  })

  it('returns no row for an unknown asset', async () => {
    const { rows } = await pg.client.query('SELECT * FROM get_asset_info($1)', [
      crypto.randomUUID(),
    ])
    expect(rows).toEqual([])
  })
})

describe('check_asset_license', () => {
  it('allows a CC0 asset without attribution', async () => {
    const [asset, user] = [await createAsset(pg.client), await createUser(pg.client)]
    const { rows } = await pg.client.query('SELECT * FROM check_asset_license($1, $2)', [
      asset,
      user,
    ])
    expect(rows[0]).toMatchObject({ can_use: true, requires_attribution: false })
  })

  it('requires attribution for CC-BY', async () => {
    const [asset, user] = [
      await createAsset(pg.client, { license: 'CC-BY-4.0' }),
      await createUser(pg.client),
    ]
    const { rows } = await pg.client.query('SELECT * FROM check_asset_license($1, $2)', [
      asset,
      user,
    ])
    expect(rows[0]).toMatchObject({
      can_use: true,
      requires_attribution: true,
      attribution_text: 'Test Asset by Poly Haven (polyhaven), CC-BY-4.0',
    })
  })

  it('lets only the owner use a user_owned asset', async () => {
    const [owner, other] = [await createUser(pg.client), await createUser(pg.client)]
    const asset = await createAsset(pg.client, { license: 'user_owned', owner_id: owner })
    const check = async (user: string) =>
      (
        await pg.client.query<{ can_use: boolean }>(
          'SELECT can_use FROM check_asset_license($1, $2)',
          [asset, user],
        )
      ).rows[0].can_use
    expect(await check(owner), 'owner').toBe(true)
    expect(await check(other), 'someone else').toBe(false)
  })

  it('refuses premium assets to free users, inactive assets and unknown assets', async () => {
    const [free, premium] = [
      await createUser(pg.client),
      await createUser(pg.client, { is_premium: true }),
    ]
    const premiumAsset = await createAsset(pg.client, { requires_premium: true })
    const inactive = await createAsset(pg.client, { is_active: false })
    const check = async (asset: string, user: string) =>
      (
        await pg.client.query<{ can_use: boolean }>(
          'SELECT can_use FROM check_asset_license($1, $2)',
          [asset, user],
        )
      ).rows
    expect(await check(premiumAsset, free), 'free user, premium asset').toEqual([
      { can_use: false },
    ])
    expect(await check(premiumAsset, premium), 'premium user').toEqual([{ can_use: true }])
    expect(await check(inactive, premium), 'inactive asset').toEqual([{ can_use: false }])
    expect(await check(crypto.randomUUID(), premium), 'unknown asset').toEqual([{ can_use: false }])
  })
})

describe('popular_assets', () => {
  it('counts placements and distinct placers, and lists never-placed assets with 0', async () => {
    const [a, b] = [await createUser(pg.client), await createUser(pg.client)]
    const placed = await createAsset(pg.client)
    const unused = await createAsset(pg.client)
    for (const [user, action] of [
      [a, 'placed'],
      [a, 'placed'],
      [b, 'placed'],
      [b, 'viewed'],
    ]) {
      await pg.client.query(
        'INSERT INTO asset_usage (asset_id, used_by, action) VALUES ($1, $2, $3)',
        [placed, user, action],
      )
    }
    const { rows } = await pg.client.query<{
      asset_name: string
      usage_count: string
      unique_users: string
    }>(
      `SELECT p.asset_name, p.usage_count::int AS usage_count, p.unique_users::int AS unique_users
       FROM popular_assets p JOIN assets a ON a.asset_name = p.asset_name WHERE a.id = ANY($1::uuid[])
       ORDER BY p.usage_count DESC`,
      [[placed, unused]],
    )
    expect(rows.map((r) => [r.usage_count, r.unique_users])).toEqual([
      [3, 2],
      [0, 0],
    ])
  })
})
