import { SELF } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  CLOSE_INSTANCE_DELETED,
  CLOSE_LEFT_INSTANCE,
  CLOSE_REMOVED,
} from '../../durable-objects/instance-room/config'
import { api, registerPlayer, sqlRows, tokenFor, type Player } from '../support/api'
import { createInstance, enterRoom } from '../support/instances'

const join = (player: Player, instanceId: string) =>
  api(`/v1/instances/${instanceId}/join`, { method: 'POST', token: player.token })

const patch = (token: string, instanceId: string, body: unknown) =>
  api(`/v1/instances/${instanceId}`, { method: 'PATCH', token, body })

const putPermissions = (token: string, instanceId: string, userId: string, body: unknown) =>
  api(`/v1/instances/${instanceId}/visitors/${userId}/permissions`, { method: 'PUT', token, body })

const visitorRows = (instanceId: string) =>
  sqlRows<{ user_id: string; permissions: Record<string, unknown> }>(
    'SELECT user_id, permissions FROM instance_visitors WHERE instance_id = $1 ORDER BY user_id',
    [instanceId],
  )

/** Opens the WebSocket entrance with the given subprotocols, query and headers. */
async function connect(
  instanceId: string,
  options: { protocols?: string; query?: string; upgrade?: boolean; token?: string } = {},
) {
  const headers: Record<string, string> = {}
  if (options.token) headers.Authorization = `Bearer ${options.token}`
  if (options.upgrade !== false) headers.Upgrade = 'websocket'
  if (options.protocols) headers['Sec-WebSocket-Protocol'] = options.protocols
  const res = await SELF.fetch(
    `http://nexus.test/v1/instances/${instanceId}/ws${options.query ?? ''}`,
    { headers },
  )
  const text = await res.text()
  return { status: res.status, text, body: JSON.parse(text) }
}

/** User ids in the room's live presence list. */
async function presentUserIds(token: string, instanceId: string): Promise<string[]> {
  const res = await api(`/v1/instances/${instanceId}/presence`, { token })
  expect(res.status, res.text).toBe(200)
  return res.body.players.map((player: { user_id: string }) => player.user_id).sort()
}

let owner: Player
let stranger: Player
let moderatorToken: string

beforeAll(async () => {
  owner = await registerPlayer('owner')
  stranger = await registerPlayer('stranger')
  const moderator = await registerPlayer('mod')
  moderatorToken = await tokenFor(moderator, ['moderator'])
})

describe('POST /v1/instances', () => {
  it('creates an instance owned by the caller with validated metadata', async () => {
    const res = await api('/v1/instances', {
      token: owner.token,
      body: {
        type: 'personal',
        name: 'My garden',
        description: 'Quiet place',
        max_visitors: 4,
        is_public: false,
        metadata: {
          environment: { sky_preset: 'sunset', time_of_day: '18:30', weather: 'clear' },
          permissions: { default_can_change_environment: false },
          custom_properties: {
            theme: 'garden',
            bounds: { min_x: -50, max_x: 50, min_z: -50, max_z: 50 },
          },
        },
      },
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      type: 'personal',
      owner_id: owner.id,
      name: 'My garden',
      description: 'Quiet place',
      max_visitors: 4,
      is_public: false,
      visitor_count: 0,
      metadata: {
        schema_version: 1,
        environment: { sky_preset: 'sunset', time_of_day: '18:30', last_changed_by: owner.id },
        custom_properties: { bounds: { min_x: -50, max_x: 50, min_z: -50, max_z: 50 } },
      },
    })
    const [row] = await sqlRows('SELECT owner_id, is_public FROM instances WHERE id = $1', [
      res.body.id,
    ])
    expect(row).toEqual({ owner_id: owner.id, is_public: false })
  })

  it.each([
    ['an owner_id (mass assignment)', { owner_id: '00000000-0000-4000-8000-000000000000' }],
    ['an unknown type', { type: 'holodeck' }],
    ['an empty name', { name: '' }],
    ['max_visitors 0', { max_visitors: 0 }],
    ['an unknown metadata section', { metadata: { roles: ['admin'] } }],
    ['an unknown environment key', { metadata: { environment: { gravity: 0 } } }],
    ['a malformed time_of_day', { metadata: { environment: { time_of_day: '25:00' } } }],
    ['admin ids that are not UUIDs', { metadata: { permissions: { admin_user_ids: ['bob'] } } }],
    [
      'inverted bounds',
      { metadata: { custom_properties: { bounds: { min_x: 5, max_x: 1, min_z: 0, max_z: 1 } } } },
    ],
    [
      'oversized custom properties',
      { metadata: { custom_properties: { blob: 'x'.repeat(9000) } } },
    ],
    // Postgres cannot store U+0000 in TEXT or JSONB: it must be a 400, not a failed insert.
    ['a NUL in the name', { name: 'a\u0000b' }],
    ['a NUL in custom properties', { metadata: { custom_properties: { note: 'a\u0000' } } }],
  ])('answers 400 for %s', async (_name, override) => {
    const res = await api('/v1/instances', {
      token: owner.token,
      body: { type: 'communal', name: 'Bad', ...override },
    })
    expect(res.status, res.text).toBe(400)
    expect(res.body.error.code).toBe('validation_error')
  })

  it('answers 401 without a token', async () => {
    const res = await api('/v1/instances', { body: { type: 'communal', name: 'x' } })
    expect(res.status, res.text).toBe(401)
  })
})

describe('GET /v1/instances/:id', () => {
  it('shows a private instance to its owner, invited users and moderators only', async () => {
    const invited = await registerPlayer('invited')
    const instance = await createInstance(owner, {
      is_public: false,
      metadata: { permissions: { invited_user_ids: [invited.id] } },
    })
    const path = `/v1/instances/${instance.id}`
    const asOwner = await api(path, { token: owner.token })
    expect(asOwner.status, asOwner.text).toBe(200)
    expect(asOwner.body.metadata.permissions.invited_user_ids).toEqual([invited.id])

    const asInvited = await api(path, { token: invited.token })
    expect(asInvited.status, asInvited.text).toBe(200)
    // The invitation list is only for those who manage the instance.
    expect(asInvited.body.metadata.permissions).not.toHaveProperty('invited_user_ids')

    expect((await api(path, { token: moderatorToken })).status).toBe(200)

    const asStranger = await api(path, { token: stranger.token })
    expect(asStranger.status, asStranger.text).toBe(404)
    expect(asStranger.body.error.code).toBe('not_found')
  })

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const unknown = await api(`/v1/instances/${crypto.randomUUID()}`, { token: owner.token })
    expect(unknown.status, unknown.text).toBe(404)
    const malformed = await api('/v1/instances/not-a-uuid', { token: owner.token })
    expect(malformed.status, malformed.text).toBe(400)
  })

  it('answers 401 without a token', async () => {
    const instance = await createInstance(owner)
    expect((await api(`/v1/instances/${instance.id}`)).status).toBe(401)
  })
})

describe('GET /v1/instances', () => {
  it('pages through your own instances, newest first, without repeats', async () => {
    const player = await registerPlayer('lister')
    const created = [
      await createInstance(player, { name: 'one' }),
      await createInstance(player, { name: 'two', is_public: false }),
      await createInstance(player, { name: 'three' }),
    ]
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = `?owner=me&limit=2${cursor ? `&cursor=${cursor}` : ''}`
      const res = await api(`/v1/instances${query}`, { token: player.token })
      expect(res.status, res.text).toBe(200)
      expect(res.body.items.length).toBeLessThanOrEqual(2)
      seen.push(...res.body.items.map((i: { id: string }) => i.id))
      cursor = res.body.next_cursor
    } while (cursor)
    expect(seen).toEqual(created.map((i) => i.id).reverse())
  })

  it("lists another player's public instances but not their private ones", async () => {
    const host = await registerPlayer('host')
    const open = await createInstance(host, { name: 'open' })
    const closed = await createInstance(host, { name: 'closed', is_public: false })
    const res = await api(`/v1/instances?owner=${host.id}`, { token: stranger.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.items.map((i: { id: string }) => i.id)).toEqual([open.id])

    const invitedRes = await api(`/v1/instances?owner=${host.id}`, { token: owner.token })
    expect(invitedRes.body.items).toHaveLength(1)
    await patch(host.token, closed.id, {
      metadata: { permissions: { invited_user_ids: [owner.id] } },
    })
    const afterInvite = await api(`/v1/instances?owner=${host.id}`, { token: owner.token })
    expect(afterInvite.body.items.map((i: { id: string }) => i.id).sort()).toEqual(
      [open.id, closed.id].sort(),
    )
  })

  it('filters by type and visibility', async () => {
    const host = await registerPlayer('filter')
    const personal = await createInstance(host, { type: 'personal', is_public: false })
    const communal = await createInstance(host, { type: 'communal' })
    const byType = await api(`/v1/instances?owner=${host.id}&type=personal`, { token: host.token })
    expect(byType.body.items.map((i: { id: string }) => i.id)).toEqual([personal.id])
    const publicOnly = await api(`/v1/instances?owner=${host.id}&public=true`, {
      token: host.token,
    })
    expect(publicOnly.body.items.map((i: { id: string }) => i.id)).toEqual([communal.id])
    const privateOnly = await api(`/v1/instances?owner=me&public=false`, { token: host.token })
    expect(privateOnly.body.items.map((i: { id: string }) => i.id)).toEqual([personal.id])
  })

  it.each(['cursor=not-a-cursor', 'type=holodeck', 'limit=0', 'owner=bob', 'public=yes'])(
    'answers 400 for %s',
    async (query) => {
      const res = await api(`/v1/instances?${query}`, { token: owner.token })
      expect(res.status, res.text).toBe(400)
    },
  )
})

describe('PATCH /v1/instances/:id', () => {
  it('lets the owner rename and merge environment changes, stamped with the author', async () => {
    const instance = await createInstance(owner, {
      metadata: {
        environment: { sky_preset: 'dawn', weather: 'rain' },
        custom_properties: { theme: 'old' },
      },
    })
    const res = await patch(owner.token, instance.id, {
      name: 'Renamed',
      max_visitors: 20,
      metadata: {
        environment: { weather: 'clear', lighting_mood: 'warm' },
        custom_properties: { bounds: { min_x: 0, max_x: 10, min_z: 0, max_z: 10 } },
      },
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ name: 'Renamed', max_visitors: 20 })
    expect(res.body.metadata.environment).toMatchObject({
      sky_preset: 'dawn',
      weather: 'clear',
      lighting_mood: 'warm',
      last_changed_by: owner.id,
    })
    // custom_properties is replaced as a whole.
    expect(res.body.metadata.custom_properties).toEqual({
      bounds: { min_x: 0, max_x: 10, min_z: 0, max_z: 10 },
    })
    const [row] = await sqlRows<{ name: string }>('SELECT name FROM instances WHERE id = $1', [
      instance.id,
    ])
    expect(row.name).toBe('Renamed')
  })

  it('lets an instance admin change it, but not the admin list', async () => {
    const admin = await registerPlayer('iadmin')
    const instance = await createInstance(owner, {
      metadata: { permissions: { admin_user_ids: [admin.id] } },
    })
    const allowed = await patch(admin.token, instance.id, { description: 'by the admin' })
    expect(allowed.status, allowed.text).toBe(200)
    expect(allowed.body.description).toBe('by the admin')
    const escalation = await patch(admin.token, instance.id, {
      metadata: { permissions: { admin_user_ids: [admin.id, stranger.id] } },
    })
    expect(escalation.status, escalation.text).toBe(403)
    expect(escalation.body.error.code).toBe('forbidden')
  })

  it("refuses another player's change: 403 on a public instance, 404 on a private one", async () => {
    const open = await createInstance(owner)
    const closed = await createInstance(owner, { is_public: false })
    const onOpen = await patch(stranger.token, open.id, { name: 'mine now' })
    expect(onOpen.status, onOpen.text).toBe(403)
    const onClosed = await patch(stranger.token, closed.id, { name: 'mine now' })
    expect(onClosed.status, onClosed.text).toBe(404)
    const [row] = await sqlRows<{ name: string }>('SELECT name FROM instances WHERE id = $1', [
      open.id,
    ])
    expect(row.name).toBe('Market square')
  })

  it('refuses a visitor who is not an admin', async () => {
    const instance = await createInstance(owner)
    const visitor = await registerPlayer('visitor')
    expect((await join(visitor, instance.id)).status).toBe(201)
    const res = await patch(visitor.token, instance.id, { is_public: false })
    expect(res.status, res.text).toBe(403)
  })

  it.each([
    ['an empty body', {}],
    ['owner_id', { owner_id: '00000000-0000-4000-8000-000000000000' }],
    ['type', { type: 'personal' }],
    ['an unknown permissions key', { metadata: { permissions: { is_god: true } } }],
  ])('answers 400 for %s', async (_name, body) => {
    const instance = await createInstance(owner)
    const res = await patch(owner.token, instance.id, body)
    expect(res.status, res.text).toBe(400)
  })
})

describe('DELETE /v1/instances/:id', () => {
  it('lets the owner delete an instance with its visitors, keeping chat history', async () => {
    const instance = await createInstance(owner)
    const visitor = await registerPlayer('leaving')
    await join(visitor, instance.id)
    const [message] = await sqlRows<{ id: string }>(
      `INSERT INTO chat_messages (sender_id, instance_id, content) VALUES ($1, $2, 'hello') RETURNING id`,
      [visitor.id, instance.id],
    )
    const res = await api(`/v1/instances/${instance.id}`, { method: 'DELETE', token: owner.token })
    expect(res.status, res.text).toBe(204)
    expect((await api(`/v1/instances/${instance.id}`, { token: owner.token })).status).toBe(404)
    expect(await visitorRows(instance.id)).toEqual([])
    const [kept] = await sqlRows('SELECT instance_id FROM chat_messages WHERE id = $1', [
      message.id,
    ])
    expect(kept).toEqual({ instance_id: null })
  })

  it('refuses anyone but the owner, including instance admins', async () => {
    const admin = await registerPlayer('deladmin')
    const instance = await createInstance(owner, {
      metadata: { permissions: { admin_user_ids: [admin.id] } },
    })
    const byStranger = await api(`/v1/instances/${instance.id}`, {
      method: 'DELETE',
      token: stranger.token,
    })
    expect(byStranger.status, byStranger.text).toBe(403)
    const byAdmin = await api(`/v1/instances/${instance.id}`, {
      method: 'DELETE',
      token: admin.token,
    })
    expect(byAdmin.status, byAdmin.text).toBe(403)
    const rows = await sqlRows('SELECT id FROM instances WHERE id = $1', [instance.id])
    expect(rows).toHaveLength(1)
  })

  it('answers 409 while buildings stand in the instance', async () => {
    const instance = await createInstance(owner)
    await sqlRows(
      `INSERT INTO buildings (instance_id, owner_id, glb_path) VALUES ($1, $2, 'house.glb')`,
      [instance.id, owner.id],
    )
    const res = await api(`/v1/instances/${instance.id}`, { method: 'DELETE', token: owner.token })
    expect(res.status, res.text).toBe(409)
    expect(res.body.error).toMatchObject({ code: 'conflict', details: { buildings: 1 } })
  })
})

describe('POST /v1/instances/:id/join', () => {
  it('joins a public instance with default permissions, and is idempotent', async () => {
    const instance = await createInstance(owner)
    const player = await registerPlayer('joiner')
    const first = await join(player, instance.id)
    expect(first.status, first.text).toBe(201)
    expect(first.body).toMatchObject({
      instance_id: instance.id,
      user_id: player.id,
      is_owner: false,
      permissions: {
        can_build: false,
        can_chat: true,
        can_change_environment: false,
        can_trade: true,
        can_invite: false,
        can_modify_buildings: false,
        can_spawn_items: false,
      },
    })
    const again = await join(player, instance.id)
    expect(again.status, again.text).toBe(200)
    expect(await visitorRows(instance.id)).toHaveLength(1)
  })

  it("follows the instance's default_can_change_environment", async () => {
    const instance = await createInstance(owner, {
      metadata: { permissions: { default_can_change_environment: true } },
    })
    const res = await join(await registerPlayer('env'), instance.id)
    expect(res.body.permissions.can_change_environment, res.text).toBe(true)
  })

  it('lets invited users into a private instance and keeps others out', async () => {
    const invited = await registerPlayer('guest')
    const instance = await createInstance(owner, {
      is_public: false,
      metadata: { permissions: { invited_user_ids: [invited.id] } },
    })
    expect((await join(invited, instance.id)).status).toBe(201)
    const byStranger = await join(stranger, instance.id)
    expect(byStranger.status, byStranger.text).toBe(404)
    // Staff may look at a private instance but need an invitation to enter it.
    const byModerator = await api(`/v1/instances/${instance.id}/join`, {
      method: 'POST',
      token: moderatorToken,
    })
    expect(byModerator.status, byModerator.text).toBe(403)
    expect((await visitorRows(instance.id)).map((r) => r.user_id)).toEqual([invited.id])
  })

  it('answers 409 capacity_reached when full, while the owner may still enter', async () => {
    const instance = await createInstance(owner, { max_visitors: 1 })
    expect((await join(await registerPlayer('first'), instance.id)).status).toBe(201)
    const late = await join(await registerPlayer('late'), instance.id)
    expect(late.status, late.text).toBe(409)
    expect(late.body.error).toMatchObject({
      code: 'capacity_reached',
      details: { max_visitors: 1, visitor_count: 1 },
    })
    const byOwner = await join(owner, instance.id)
    expect(byOwner.status, byOwner.text).toBe(201)
    expect(byOwner.body).toMatchObject({ is_owner: true, permissions: { can_build: true } })
  })

  it('answers 404 for an unknown instance and 401 without a token', async () => {
    expect((await join(stranger, crypto.randomUUID())).status).toBe(404)
    const instance = await createInstance(owner)
    expect((await api(`/v1/instances/${instance.id}/join`, { method: 'POST' })).status).toBe(401)
  })
})

describe('POST /v1/instances/:id/leave', () => {
  it('removes the visitor row, and answers 404 when not in the instance', async () => {
    const instance = await createInstance(owner)
    const player = await registerPlayer('leaver')
    await join(player, instance.id)
    const path = `/v1/instances/${instance.id}/leave`
    const left = await api(path, { method: 'POST', token: player.token })
    expect(left.status, left.text).toBe(204)
    expect(await visitorRows(instance.id)).toEqual([])
    const again = await api(path, { method: 'POST', token: player.token })
    expect(again.status, again.text).toBe(404)
  })

  it('frees a place in a full instance', async () => {
    const instance = await createInstance(owner, { max_visitors: 1 })
    const first = await registerPlayer('seat')
    await join(first, instance.id)
    await api(`/v1/instances/${instance.id}/leave`, { method: 'POST', token: first.token })
    expect((await join(await registerPlayer('next'), instance.id)).status).toBe(201)
  })
})

describe('GET /v1/instances/:id/visitors', () => {
  it('pages through the visitors, earliest first, with their names', async () => {
    const instance = await createInstance(owner)
    const players = [
      await registerPlayer('v1'),
      await registerPlayer('v2'),
      await registerPlayer('v3'),
    ]
    for (const player of players) expect((await join(player, instance.id)).status).toBe(201)
    await join(owner, instance.id)

    const seen: Array<{ user_id: string; username: string; is_owner: boolean }> = []
    let cursor: string | null = null
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${cursor}` : ''}`
      const res = await api(`/v1/instances/${instance.id}/visitors${query}`, {
        token: stranger.token,
      })
      expect(res.status, res.text).toBe(200)
      seen.push(...res.body.items)
      cursor = res.body.next_cursor
    } while (cursor)
    expect(seen.map((v) => v.user_id)).toEqual([...players.map((p) => p.id), owner.id])
    expect(seen[0].username).toBe(players[0].username)
    expect(seen.map((v) => v.is_owner)).toEqual([false, false, false, true])
  })

  it('hides the visitors of a private instance from strangers', async () => {
    const instance = await createInstance(owner, { is_public: false })
    const res = await api(`/v1/instances/${instance.id}/visitors`, { token: stranger.token })
    expect(res.status, res.text).toBe(404)
  })

  it('answers 400 for a bad cursor', async () => {
    const instance = await createInstance(owner)
    const res = await api(`/v1/instances/${instance.id}/visitors?cursor=zzz`, {
      token: owner.token,
    })
    expect(res.status, res.text).toBe(400)
  })
})

describe('PUT /v1/instances/:id/visitors/:userId/permissions', () => {
  it('lets the owner grant a flag and keeps the others', async () => {
    const instance = await createInstance(owner)
    const builder = await registerPlayer('builder')
    await join(builder, instance.id)
    const res = await putPermissions(owner.token, instance.id, builder.id, {
      can_build: true,
      can_chat: false,
      custom_permissions: { vendor_booth_id: 'booth_5' },
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({
      user_id: builder.id,
      username: builder.username,
      permissions: { can_build: true, can_chat: false, can_trade: true, can_invite: false },
    })
    const [row] = await visitorRows(instance.id)
    expect(row.permissions).toMatchObject({
      can_build: true,
      can_trade: true,
      custom_permissions: { vendor_booth_id: 'booth_5' },
    })
  })

  it('lets an instance admin change permissions, but not a plain visitor', async () => {
    const admin = await registerPlayer('padmin')
    const instance = await createInstance(owner, {
      metadata: { permissions: { admin_user_ids: [admin.id] } },
    })
    const visitor = await registerPlayer('plain')
    const other = await registerPlayer('other')
    await join(visitor, instance.id)
    await join(other, instance.id)
    const byVisitor = await putPermissions(visitor.token, instance.id, visitor.id, {
      can_build: true,
    })
    expect(byVisitor.status, byVisitor.text).toBe(403)
    const byStranger = await putPermissions(stranger.token, instance.id, other.id, {
      can_build: true,
    })
    expect(byStranger.status, byStranger.text).toBe(403)
    const byAdmin = await putPermissions(admin.token, instance.id, other.id, { can_invite: true })
    expect(byAdmin.status, byAdmin.text).toBe(200)
    const rows = await visitorRows(instance.id)
    expect(rows.find((r) => r.user_id === visitor.id)?.permissions.can_build).toBe(false)
  })

  it('keeps can_spawn_items for platform admins', async () => {
    const instance = await createInstance(owner)
    const visitor = await registerPlayer('spawner')
    await join(visitor, instance.id)
    const byOwner = await putPermissions(owner.token, instance.id, visitor.id, {
      can_spawn_items: true,
    })
    expect(byOwner.status, byOwner.text).toBe(403)
    const platformAdmin = await registerPlayer('padm')
    const adminToken = await tokenFor(platformAdmin, ['admin'])
    const byAdmin = await putPermissions(adminToken, instance.id, visitor.id, {
      can_spawn_items: true,
    })
    expect(byAdmin.status, byAdmin.text).toBe(200)
    expect(byAdmin.body.permissions.can_spawn_items).toBe(true)
  })

  it('answers 404 for a user who is not a visitor and 400 for unknown keys', async () => {
    const instance = await createInstance(owner)
    const notIn = await putPermissions(owner.token, instance.id, stranger.id, { can_build: true })
    expect(notIn.status, notIn.text).toBe(404)
    await join(stranger, instance.id)
    const unknown = await putPermissions(owner.token, instance.id, stranger.id, {
      can_fly: true,
    })
    expect(unknown.status, unknown.text).toBe(400)
    const empty = await putPermissions(owner.token, instance.id, stranger.id, {})
    expect(empty.status, empty.text).toBe(400)
    const nul = await putPermissions(owner.token, instance.id, stranger.id, {
      custom_permissions: { booth: '\u0000' },
    })
    expect(nul.status, nul.text).toBe(400)
  })
})

describe('DELETE /v1/instances/:id/visitors/:userId', () => {
  const remove = (token: string, instanceId: string, userId: string) =>
    api(`/v1/instances/${instanceId}/visitors/${userId}`, { method: 'DELETE', token })

  it('lets the owner shut a visitor out of a private instance', async () => {
    const guest = await registerPlayer('kicked')
    const instance = await createInstance(owner, {
      is_public: false,
      metadata: { permissions: { invited_user_ids: [guest.id] } },
    })
    expect((await join(guest, instance.id)).status).toBe(201)
    await patch(owner.token, instance.id, { metadata: { permissions: { invited_user_ids: [] } } })
    const res = await remove(owner.token, instance.id, guest.id)
    expect(res.status, res.text).toBe(204)
    expect(await visitorRows(instance.id)).toEqual([])
    const rejoin = await join(guest, instance.id)
    expect(rejoin.status, rejoin.text).toBe(404)
  })

  it('refuses visitors, protects the owner, and keeps admins for the owner to remove', async () => {
    const admin = await registerPlayer('kadmin')
    const instance = await createInstance(owner, {
      metadata: { permissions: { admin_user_ids: [admin.id] } },
    })
    const visitor = await registerPlayer('kvisitor')
    const other = await registerPlayer('kother')
    for (const player of [admin, visitor, other, owner]) await join(player, instance.id)

    const byVisitor = await remove(visitor.token, instance.id, other.id)
    expect(byVisitor.status, byVisitor.text).toBe(403)
    const ownerRemoved = await remove(admin.token, instance.id, owner.id)
    expect(ownerRemoved.status, ownerRemoved.text).toBe(403)
    const adminByAdmin = await remove(admin.token, instance.id, admin.id)
    expect(adminByAdmin.status, adminByAdmin.text).toBe(403)
    expect(await visitorRows(instance.id)).toHaveLength(4)

    const byAdmin = await remove(admin.token, instance.id, other.id)
    expect(byAdmin.status, byAdmin.text).toBe(204)
    const again = await remove(admin.token, instance.id, other.id)
    expect(again.status, again.text).toBe(404)
  })
})

describe('invitations', () => {
  const invite = (token: string, instanceId: string, userId: unknown) =>
    api(`/v1/instances/${instanceId}/invitations`, { token, body: { user_id: userId } })
  const withdraw = (token: string, instanceId: string, userId: string) =>
    api(`/v1/instances/${instanceId}/invitations/${userId}`, { method: 'DELETE', token })
  const invitedIds = async (instanceId: string) => {
    const [row] = await sqlRows<{ ids: string[] | null }>(
      `SELECT metadata -> 'permissions' -> 'invited_user_ids' AS ids FROM instances WHERE id = $1`,
      [instanceId],
    )
    return row.ids ?? []
  }

  it('lets the owner invite a user into a private instance, once', async () => {
    const instance = await createInstance(owner, { is_public: false })
    const guest = await registerPlayer('invitee')
    expect((await join(guest, instance.id)).status).toBe(404)

    const first = await invite(owner.token, instance.id, guest.id)
    expect(first.status, first.text).toBe(201)
    expect(first.body).toEqual({
      instance_id: instance.id,
      user_id: guest.id,
      username: guest.username,
      invited: true,
    })
    const again = await invite(owner.token, instance.id, guest.id)
    expect(again.status, again.text).toBe(200)
    expect(await invitedIds(instance.id)).toEqual([guest.id])
    expect((await join(guest, instance.id)).status).toBe(201)
  })

  it('answers 404 for an unknown user and 400 for a bad body', async () => {
    const instance = await createInstance(owner, { is_public: false })
    const unknown = await invite(owner.token, instance.id, crypto.randomUUID())
    expect(unknown.status, unknown.text).toBe(404)
    const malformed = await invite(owner.token, instance.id, 'not-a-uuid')
    expect(malformed.status, malformed.text).toBe(400)
    const extra = await api(`/v1/instances/${instance.id}/invitations`, {
      token: owner.token,
      body: { user_id: stranger.id, admin: true },
    })
    expect(extra.status, extra.text).toBe(400)
    expect(await invitedIds(instance.id)).toEqual([])
  })

  it('lets a visitor invite only with can_invite, and hides the instance from strangers', async () => {
    const member = await registerPlayer('inviter')
    const friend = await registerPlayer('friend')
    const instance = await createInstance(owner, {
      is_public: false,
      metadata: { permissions: { invited_user_ids: [member.id] } },
    })
    expect((await join(member, instance.id)).status).toBe(201)

    const refused = await invite(member.token, instance.id, friend.id)
    expect(refused.status, refused.text).toBe(403)
    const byStranger = await invite(stranger.token, instance.id, friend.id)
    expect(byStranger.status, byStranger.text).toBe(404)

    const granted = await putPermissions(owner.token, instance.id, member.id, { can_invite: true })
    expect(granted.status, granted.text).toBe(200)
    const allowed = await invite(member.token, instance.id, friend.id)
    expect(allowed.status, allowed.text).toBe(201)
    expect((await join(friend, instance.id)).status).toBe(201)
  })

  it('lets only hosts withdraw an invitation', async () => {
    const member = await registerPlayer('wmember')
    const guest = await registerPlayer('wguest')
    const instance = await createInstance(owner, {
      is_public: false,
      metadata: { permissions: { invited_user_ids: [member.id, guest.id] } },
    })
    expect((await join(member, instance.id)).status).toBe(201)
    await putPermissions(owner.token, instance.id, member.id, { can_invite: true })

    const byVisitor = await withdraw(member.token, instance.id, guest.id)
    expect(byVisitor.status, byVisitor.text).toBe(403)
    const byOwner = await withdraw(owner.token, instance.id, guest.id)
    expect(byOwner.status, byOwner.text).toBe(204)
    const again = await withdraw(owner.token, instance.id, guest.id)
    expect(again.status, again.text).toBe(404)
    expect(await invitedIds(instance.id)).toEqual([member.id])
    expect((await join(guest, instance.id)).status).toBe(404)
  })

  it('keeps both of two concurrent invitations', async () => {
    const instance = await createInstance(owner, { is_public: false })
    const [a, b] = await Promise.all([registerPlayer('cinv1'), registerPlayer('cinv2')])
    const results = await Promise.all([
      invite(owner.token, instance.id, a.id),
      invite(owner.token, instance.id, b.id),
    ])
    expect(results.map((r) => r.status)).toEqual([201, 201])
    expect((await invitedIds(instance.id)).sort()).toEqual([a.id, b.id].sort())
  })
})

describe('GET /v1/instances/:id/presence and /chat', () => {
  it('hides the room of a private instance from strangers', async () => {
    const instance = await createInstance(owner, { is_public: false })
    const presence = await api(`/v1/instances/${instance.id}/presence`, { token: stranger.token })
    expect(presence.status, presence.text).toBe(404)
    const chat = await api(`/v1/instances/${instance.id}/chat`, { token: stranger.token })
    expect(chat.status, chat.text).toBe(404)
  })

  it('validates the chat query and needs a token', async () => {
    const instance = await createInstance(owner)
    for (const query of ['limit=1000', 'before=yesterday', 'before=1234', 'cursor=forged']) {
      const res = await api(`/v1/instances/${instance.id}/chat?${query}`, { token: owner.token })
      expect(res.status, `${query}: ${res.text}`).toBe(400)
    }
    expect((await api(`/v1/instances/${instance.id}/presence`)).status).toBe(401)
  })

  it('answers who is in the live room, from the room', async () => {
    const instance = await createInstance(owner)
    const empty = await api(`/v1/instances/${instance.id}/presence`, { token: owner.token })
    expect(empty.status, empty.text).toBe(200)
    expect(empty.body).toEqual({ instance_id: instance.id, players: [], companions: [] })
    const socket = await enterRoom(owner, instance.id)
    const res = await api(`/v1/instances/${instance.id}/presence`, { token: owner.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body, res.text).toEqual({
      instance_id: instance.id,
      players: [
        {
          user_id: owner.id,
          username: owner.username,
          zone: 'center',
          position: { x: 0, y: 0, z: 0 },
          activity: 'idle',
          character: null,
        },
      ],
      companions: [],
    })
    socket.close()
  })

  it('pages the chat history newest first with next_cursor, and filters by before', async () => {
    const instance = await createInstance(owner)
    const socket = await enterRoom(owner, instance.id)
    for (const text of ['one', 'two', 'three']) {
      socket.send({ type: 'chat', text, scope: 'instance' })
      await socket.waitForEvent((e: any) => e.type === 'chat' && e.text === text, text)
    }
    const chat = (query: string) =>
      api(`/v1/instances/${instance.id}/chat?${query}`, { token: owner.token })
    const first = await chat('limit=2')
    expect(first.status, first.text).toBe(200)
    expect(
      first.body.items.map((m: any) => m.text),
      first.text,
    ).toEqual(['three', 'two'])
    expect(first.body.items[0], first.text).toMatchObject({
      user_id: owner.id,
      username: owner.username,
      message_type: 'text',
      scope: 'instance',
      zone: 'center',
      synced: false,
    })
    expect(typeof first.body.next_cursor, first.text).toBe('string')
    const second = await chat(`limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`)
    expect(second.body, second.text).toMatchObject({ items: [{ text: 'one' }], next_cursor: null })
    const beforeAll = await chat(`before=${encodeURIComponent('2001-01-01T00:00:00Z')}`)
    expect(beforeAll.body, beforeAll.text).toEqual({ items: [], next_cursor: null })
    socket.close()
  })
})

describe('GET /v1/instances/:id/ws', () => {
  it('answers 401 without a token or with an invalid one', async () => {
    const instance = await createInstance(owner)
    const none = await connect(instance.id, { protocols: 'nexus.v1' })
    expect(none.status, none.text).toBe(401)
    const forged = await connect(instance.id, { protocols: 'nexus.v1, bearer.not.a.jwt' })
    expect(forged.status, forged.text).toBe(401)
    expect(forged.body.error.code).toBe('invalid_token')
    const forgedQuery = await connect(instance.id, { query: '?token=abc' })
    expect(forgedQuery.status, forgedQuery.text).toBe(401)
    expect(await visitorRows(instance.id)).toEqual([])
  })

  it('answers 404 to a stranger and 403 to uninvited staff on a private instance', async () => {
    const instance = await createInstance(owner, { is_public: false })
    const byStranger = await connect(instance.id, {
      protocols: `nexus.v1, bearer.${stranger.token}`,
    })
    expect(byStranger.status, byStranger.text).toBe(404)
    const byModerator = await connect(instance.id, { query: `?token=${moderatorToken}` })
    expect(byModerator.status, byModerator.text).toBe(403)
    expect(await visitorRows(instance.id)).toEqual([])
  })

  it('answers 409 capacity_reached when the instance is full', async () => {
    const instance = await createInstance(owner, { max_visitors: 1 })
    await join(await registerPlayer('inside'), instance.id)
    const late = await registerPlayer('wslate')
    const res = await connect(instance.id, { protocols: `nexus.v1, bearer.${late.token}` })
    expect(res.status, res.text).toBe(409)
    expect(res.body.error.code).toBe('capacity_reached')
    expect(await visitorRows(instance.id)).toHaveLength(1)
  })

  it('answers 400 to an authenticated request that is not an upgrade', async () => {
    const instance = await createInstance(owner)
    const res = await connect(instance.id, { token: owner.token, upgrade: false })
    expect(res.status, res.text).toBe(400)
  })

  it('reads ?token= only on an upgrade (a plain GET with a token in its URL is a 401)', async () => {
    const instance = await createInstance(owner)
    const res = await connect(instance.id, { query: `?token=${owner.token}`, upgrade: false })
    expect(res.status, res.text).toBe(401)
  })
})

describe('the live room follows changes made over HTTP', () => {
  it('closes the socket of a visitor who leaves (4001) and drops them from presence', async () => {
    const instance = await createInstance(owner)
    const guest = await registerPlayer('wsleave')
    const hostSocket = await enterRoom(owner, instance.id)
    const guestSocket = await enterRoom(guest, instance.id)
    expect(await presentUserIds(owner.token, instance.id)).toEqual([owner.id, guest.id].sort())

    const left = await api(`/v1/instances/${instance.id}/leave`, {
      method: 'POST',
      token: guest.token,
    })
    expect(left.status, left.text).toBe(204)
    const closed = await guestSocket.waitForClose()
    expect(closed.code).toBe(CLOSE_LEFT_INSTANCE)
    expect(await presentUserIds(owner.token, instance.id)).toEqual([owner.id])
    await hostSocket.waitForEvent(
      (e: any) => e.type === 'left' && e.user_id === guest.id,
      'the left event',
    )
    hostSocket.close()
  })

  it('closes the socket of a removed visitor (4003) and keeps the others', async () => {
    const instance = await createInstance(owner)
    const [kept, kicked] = await Promise.all([registerPlayer('wskeep'), registerPlayer('wskick')])
    const keptSocket = await enterRoom(kept, instance.id)
    const kickedSocket = await enterRoom(kicked, instance.id)

    const res = await api(`/v1/instances/${instance.id}/visitors/${kicked.id}`, {
      method: 'DELETE',
      token: owner.token,
    })
    expect(res.status, res.text).toBe(204)
    expect((await kickedSocket.waitForClose()).code).toBe(CLOSE_REMOVED)
    await keptSocket.roundTrip()
    expect(keptSocket.closeEvent).toBeNull()
    expect(await presentUserIds(owner.token, instance.id)).toEqual([kept.id])
    keptSocket.close()
  })

  it("applies a visitor's new permissions to their open socket", async () => {
    const instance = await createInstance(owner)
    const guest = await registerPlayer('wsperm')
    const socket = await enterRoom(guest, instance.id)
    const setChat = (canChat: boolean) =>
      putPermissions(owner.token, instance.id, guest.id, { can_chat: canChat })

    expect((await setChat(false)).status).toBe(200)
    socket.send({ type: 'chat', text: 'muted?', scope: 'instance' })
    const refused = await socket.waitFor((frame) => frame.type === 'error', 'a refusal')
    expect(refused.code).toBe('forbidden')

    expect((await setChat(true)).status).toBe(200)
    socket.send({ type: 'chat', text: 'back again', scope: 'instance' })
    await socket.waitForEvent(
      (e: any) => e.type === 'chat' && e.text === 'back again',
      'my own chat message',
    )
    socket.send({ type: 'env.set', environment: { weather: 'rain' } })
    await socket.waitFor(
      (frame) => frame.type === 'error' && frame.message.includes('environment'),
      'an environment refusal',
    )
    expect(
      (await putPermissions(owner.token, instance.id, guest.id, { can_change_environment: true }))
        .status,
    ).toBe(200)
    socket.send({ type: 'env.set', environment: { weather: 'rain' } })
    await socket.waitForEvent((e: any) => e.type === 'env', 'the environment change')
    socket.close()
  })

  it('merges an environment PATCH into the live room and tells its players', async () => {
    const instance = await createInstance(owner)
    const guest = await registerPlayer('wsenv')
    const hostSocket = await enterRoom(owner, instance.id)
    const guestSocket = await enterRoom(guest, instance.id)
    // Set in the room only (Postgres hears of it at the next sync), then patched over HTTP.
    hostSocket.send({ type: 'env.set', environment: { sky_preset: 'aurora' } })
    await guestSocket.waitForEvent(
      (e: any) => e.type === 'env' && e.environment.sky_preset === 'aurora',
      'the room change',
    )
    const res = await patch(owner.token, instance.id, {
      metadata: { environment: { weather: 'rain' } },
    })
    expect(res.status, res.text).toBe(200)
    const event = await guestSocket.waitForEvent(
      (e: any) => e.type === 'env' && e.environment.weather === 'rain',
      'the patched environment',
    )
    expect(event.environment).toMatchObject({
      sky_preset: 'aurora',
      weather: 'rain',
      last_changed_by: owner.id,
    })
    hostSocket.close()
    guestSocket.close()
  })

  it('closes every socket when the instance is deleted (4004) and leaves no dangling state', async () => {
    const instance = await createInstance(owner)
    const guest = await registerPlayer('wsdel')
    const hostSocket = await enterRoom(owner, instance.id)
    const guestSocket = await enterRoom(guest, instance.id)
    guestSocket.send({ type: 'chat', text: 'last words', scope: 'instance' })
    await hostSocket.waitForEvent((e: any) => e.type === 'chat', 'the chat message')

    const res = await api(`/v1/instances/${instance.id}`, { method: 'DELETE', token: owner.token })
    expect(res.status, res.text).toBe(204)
    expect((await hostSocket.waitForClose()).code).toBe(CLOSE_INSTANCE_DELETED)
    expect((await guestSocket.waitForClose()).code).toBe(CLOSE_INSTANCE_DELETED)
    // The room flushed as its last player left: states point at no instance, chat was dropped
    // with the instance, no session survives.
    const states = await sqlRows<{ instance_id: string | null }>(
      'SELECT instance_id FROM user_states WHERE user_id = ANY($1::uuid[])',
      [[owner.id, guest.id]],
    )
    expect(states).toEqual([{ instance_id: null }, { instance_id: null }])
    expect(
      await sqlRows('SELECT 1 FROM active_sessions WHERE user_id = ANY($1::uuid[])', [
        [owner.id, guest.id],
      ]),
    ).toEqual([])
  })
})

describe('GET /openapi.json', () => {
  it('documents the instance routes', async () => {
    const res = await api('/openapi.json')
    expect(res.status).toBe(200)
    for (const path of [
      '/v1/instances',
      '/v1/instances/{id}',
      '/v1/instances/{id}/join',
      '/v1/instances/{id}/leave',
      '/v1/instances/{id}/visitors',
      '/v1/instances/{id}/visitors/{user_id}',
      '/v1/instances/{id}/invitations',
      '/v1/instances/{id}/invitations/{user_id}',
      '/v1/instances/{id}/visitors/{user_id}/permissions',
      '/v1/instances/{id}/presence',
      '/v1/instances/{id}/chat',
      '/v1/instances/{id}/ws',
    ]) {
      expect(Object.keys(res.body.paths), path).toContain(path)
    }
  })
})
