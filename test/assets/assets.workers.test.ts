import { beforeAll, describe, expect, it } from 'vitest'
import { api, registerPlayer, sqlRows, type Player } from '../support/api'
import { createAsset, registerAdmin, uniqueName } from '../support/items'

let admin: Player
let player: Player

beforeAll(async () => {
  admin = await registerAdmin()
  player = await registerPlayer('assetp')
})

describe('GET /v1/assets', () => {
  it('lists active assets by name with category, licence, tag and text filters, paged', async () => {
    const tag = uniqueName('t')
    const [b, a, c] = [
      await createAsset(admin, { asset_name: `${tag}_b`, tags: ['shiny'], license: 'CC-BY-4.0' }),
      await createAsset(admin, { asset_name: `${tag}_a`, category: 'tree' }),
      await createAsset(admin, { asset_name: `${tag}_c`, is_active: false }),
    ]
    const page1 = await api(`/v1/assets?q=${tag}&limit=1`, { token: player.token })
    expect(page1.status, page1.text).toBe(200)
    expect(page1.body.items.map((x: any) => x.id)).toEqual([a.id])
    const page2 = await api(`/v1/assets?q=${tag}&limit=1&cursor=${page1.body.next_cursor}`, {
      token: player.token,
    })
    expect(
      page2.body.items.map((x: any) => x.id),
      page2.text,
    ).toEqual([b.id])
    expect(page2.body.next_cursor, 'the inactive asset is not listed').toBeNull()
    const filtered = async (query: string) =>
      (await api(`/v1/assets?q=${tag}&${query}`, { token: player.token })).body.items.map(
        (x: any) => x.id,
      )
    expect(await filtered('category=tree')).toEqual([a.id])
    expect(await filtered('license=CC-BY-4.0')).toEqual([b.id])
    expect(await filtered('tag=shiny')).toEqual([b.id])

    const withInactive = await api(`/v1/assets?q=${tag}&include_inactive=true`, {
      token: admin.token,
    })
    expect(
      withInactive.body.items.map((x: any) => x.id),
      withInactive.text,
    ).toEqual([a.id, b.id, c.id])
    const playerInactive = await api('/v1/assets?include_inactive=true', { token: player.token })
    expect(playerInactive.status, playerInactive.text).toBe(403)
  })

  it('refuses forged cursors and a missing token', async () => {
    expect((await api('/v1/assets?cursor=e30', { token: player.token })).status).toBe(400)
    expect((await api('/v1/assets')).status).toBe(401)
  })
})

describe('GET /v1/assets/:id', () => {
  it('answers the asset with its attribution, also when deactivated', async () => {
    const asset = await createAsset(admin, { license: 'CC-BY-4.0', is_active: false })
    const res = await api(`/v1/assets/${asset.id.toUpperCase()}`, { token: player.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({
      id: asset.id,
      is_active: false,
      attribution: 'Test Chest by Poly Haven (polyhaven), CC-BY-4.0',
    })
    expect((await api(`/v1/assets/${crypto.randomUUID()}`, { token: player.token })).status).toBe(
      404,
    )
  })
})

describe('GET /v1/assets/:id/license-check', () => {
  it('allows a CC0 asset and names every rule a player fails', async () => {
    const open = await createAsset(admin, { license: 'CC-BY-4.0' })
    const ok = await api(`/v1/assets/${open.id}/license-check`, { token: player.token })
    expect(ok.status, ok.text).toBe(200)
    expect(ok.body).toEqual({
      asset_id: open.id,
      user_id: player.id,
      can_use: true,
      requires_attribution: true,
      attribution_text: 'Test Chest by Poly Haven (polyhaven), CC-BY-4.0',
      refusals: [],
    })
    const gated = await createAsset(admin, {
      requires_premium: true,
      min_user_level: 30,
      requires_quest: true,
    })
    const refused = await api(`/v1/assets/${gated.id}/license-check`, { token: player.token })
    expect(refused.body, refused.text).toMatchObject({
      can_use: false,
      refusals: ['premium_required', 'level_required', 'quest_required'],
    })
  })

  it('lets only the owner use a user_owned asset', async () => {
    const owner = await registerPlayer('owner')
    const mine = await createAsset(admin, { license: 'user_owned', owner_id: owner.id })
    const forOwner = await api(`/v1/assets/${mine.id}/license-check`, { token: owner.token })
    expect(forOwner.body.can_use, forOwner.text).toBe(true)
    const forOther = await api(`/v1/assets/${mine.id}/license-check`, { token: player.token })
    expect(forOther.body.refusals, forOther.text).toEqual(['owner_only'])
  })

  it('is 404 for an unknown asset', async () => {
    const res = await api(`/v1/assets/${crypto.randomUUID()}/license-check`, {
      token: player.token,
    })
    expect(res.status, res.text).toBe(404)
  })
})

describe('GET /v1/assets/popular', () => {
  it('ranks active assets by placements, then by name', async () => {
    const prefix = uniqueName('pop')
    const [most, less] = [
      await createAsset(admin, { asset_name: `${prefix}_most` }),
      await createAsset(admin, { asset_name: `${prefix}_less` }),
    ]
    for (const [assetId, action] of [
      [most.id, 'placed'],
      [most.id, 'placed'],
      [less.id, 'placed'],
      [less.id, 'viewed'],
    ]) {
      await sqlRows('INSERT INTO asset_usage (asset_id, used_by, action) VALUES ($1, $2, $3)', [
        assetId,
        player.id,
        action,
      ])
    }
    const all: any[] = []
    let cursor: string | null = null
    do {
      const res: any = await api(
        `/v1/assets/popular?limit=50${cursor ? `&cursor=${cursor}` : ''}`,
        {
          token: player.token,
        },
      )
      expect(res.status, res.text).toBe(200)
      all.push(...res.body.items)
      cursor = res.body.next_cursor
    } while (cursor)
    const ours = all.filter((x) => x.asset_name.startsWith(prefix))
    expect(ours).toEqual([
      {
        asset_id: most.id,
        asset_name: `${prefix}_most`,
        display_name: 'Test Chest',
        category: 'prop',
        usage_count: 2,
        unique_users: 1,
      },
      expect.objectContaining({ asset_id: less.id, usage_count: 1 }),
    ])
    const counts = all.map((x) => x.usage_count)
    expect(counts, 'most placed first').toEqual([...counts].sort((p, q) => q - p))
  })
})

describe('/v1/admin/assets', () => {
  it('creates, changes and deletes an unused asset; players may not', async () => {
    const body = {
      asset_name: uniqueName('crud'),
      category: 'rock',
      glb_path: '/assets/rock.glb',
      license: 'CC0',
      source: 'polyhaven',
    }
    expect((await api('/v1/admin/assets', { token: player.token, body })).status).toBe(403)
    const created = await api('/v1/admin/assets', { token: admin.token, body })
    expect(created.status, created.text).toBe(201)
    expect(created.body).toMatchObject({ owner_name: 'poqpoq', is_active: true, min_user_level: 0 })
    const duplicate = await api('/v1/admin/assets', { token: admin.token, body })
    expect(duplicate.status, duplicate.text).toBe(409)
    const patched = await api(`/v1/admin/assets/${created.body.id}`, {
      method: 'PATCH',
      token: admin.token,
      body: { min_user_level: 20, tags: ['granite'] },
    })
    expect(patched.status, patched.text).toBe(200)
    expect(patched.body).toMatchObject({ min_user_level: 20, tags: ['granite'] })
    const toUserOwned = await api(`/v1/admin/assets/${created.body.id}`, {
      method: 'PATCH',
      token: admin.token,
      body: { license: 'user_owned' },
    })
    expect(toUserOwned.status, toUserOwned.text).toBe(400)
    const deleted = await api(`/v1/admin/assets/${created.body.id}`, {
      method: 'DELETE',
      token: admin.token,
    })
    expect(deleted.status, deleted.text).toBe(204)
  })

  it('refuses to delete a used asset, and invalid fields', async () => {
    const used = await createAsset(admin)
    await sqlRows("INSERT INTO asset_usage (asset_id, action) VALUES ($1, 'viewed')", [used.id])
    const refused = await api(`/v1/admin/assets/${used.id}`, {
      method: 'DELETE',
      token: admin.token,
    })
    expect(refused.status, refused.text).toBe(409)
    for (const body of [
      { asset_name: 'Bad Name', category: 'prop', glb_path: '/x.glb', license: 'CC0', source: 's' },
      {
        asset_name: 'ok_name',
        category: 'prop',
        glb_path: '/x.glb',
        license: 'user_owned',
        source: 's',
      },
      { asset_name: 'ok_name', category: 'prop', glb_path: 'ftp://x', license: 'CC0', source: 's' },
      {
        asset_name: 'ok_name',
        category: 'prop',
        glb_path: '/x.glb',
        license: 'CC0',
        source: 's',
        sneaky: 1,
      },
    ]) {
      const res = await api('/v1/admin/assets', { token: admin.token, body })
      expect(res.status, `${JSON.stringify(body)} → ${res.text}`).toBe(400)
    }
  })
})
