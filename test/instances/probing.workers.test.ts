/**
 * Holes found by probing a running stack, each pinned by a test that failed before its fix:
 * upper-cased ids opening a second live room, owner protection compared as strings, forged
 * cursors answered with 500, and an environment PATCH looser than the room's rules.
 */
import { describe, expect, it } from 'vitest'
import { encodeCursor } from '../../functions/lib/pagination'
import { api, registerPlayer, sqlRows } from '../support/api'
import { createInstance, enterRoom } from '../support/instances'

const move = (x: number) => ({
  type: 'move',
  position: { x, y: 0, z: 0 },
  velocity: { x: 0, y: 0, z: 0 },
  rotation: { x: 0, y: 0, z: 0, w: 1 },
  activity: 'moving',
})

describe('canonical ids', () => {
  it('puts a client who upper-cases the instance id in the same live room', async () => {
    const host = await registerPlayer('canonhost')
    const guest = await registerPlayer('canonguest')
    const instance = await createInstance(host)
    const hostSocket = await enterRoom(host, instance.id)
    const guestSocket = await enterRoom(guest, instance.id.toUpperCase())
    guestSocket.send(move(12.5))
    const seen = await hostSocket.waitForEvent(
      (event) => event.type === 'move' && event.user_id === guest.id,
      "the upper-case client's move",
    )
    expect(seen.position.x).toBe(12.5)
    hostSocket.close()
    guestSocket.close()
  })

  it('answers an upper-cased id with the canonical (lower-case) resource', async () => {
    const host = await registerPlayer('canonget')
    const instance = await createInstance(host)
    const res = await api(`/v1/instances/${instance.id.toUpperCase()}`, { token: host.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.id).toBe(instance.id)
  })

  it('refuses to remove the owner when their id is upper-cased in the path', async () => {
    const owner = await registerPlayer('canonowner')
    const admin = await registerPlayer('canonadmin')
    // The admin is listed as stored; only the target of the removal is upper-cased.
    const instance = await createInstance(owner, {
      metadata: { permissions: { admin_user_ids: [admin.id] } },
    })
    expect(
      (await api(`/v1/instances/${instance.id}/join`, { method: 'POST', token: owner.token }))
        .status,
    ).toBe(201)
    expect(
      (await api(`/v1/instances/${instance.id}/join`, { method: 'POST', token: admin.token }))
        .status,
    ).toBe(201)
    const res = await api(`/v1/instances/${instance.id}/visitors/${owner.id.toUpperCase()}`, {
      method: 'DELETE',
      token: admin.token,
    })
    expect(res.status, res.text).toBe(403)
    const rows = await sqlRows(
      'SELECT 1 FROM instance_visitors WHERE instance_id = $1 AND user_id = $2',
      [instance.id, owner.id],
    )
    expect(rows, "the owner's visitor row").toHaveLength(1)
  })

  it('stores ids given in bodies lower-cased (an upper-cased admin id is recognised as that admin)', async () => {
    const owner = await registerPlayer('canonbody')
    const admin = await registerPlayer('canonbodyadmin')
    const instance = await createInstance(owner, {
      is_public: false,
      metadata: { permissions: { admin_user_ids: [admin.id.toUpperCase()] } },
    })
    expect(instance.metadata.permissions.admin_user_ids).toEqual([admin.id])
    const res = await api(`/v1/instances/${instance.id}`, {
      method: 'PATCH',
      token: admin.token,
      body: { name: 'Renamed by the admin' },
    })
    expect(res.status, res.text).toBe(200)
  })

  it('transfers to an upper-cased recipient id land on the same account', async () => {
    const sender = await registerPlayer('canonsend')
    const recipient = await registerPlayer('canonrecv')
    await sqlRows(`UPDATE users SET created_at = now() - interval '60 days' WHERE id = $1`, [
      sender.id,
    ])
    const res = await api('/v1/economy/transfers', {
      token: sender.token,
      headers: { 'Idempotency-Key': crypto.randomUUID() },
      body: { to_user_id: recipient.id.toUpperCase(), amount: 5 },
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body.to_user_id).toBe(recipient.id)
  })
})

describe('forged cursors', () => {
  const forged = [
    ['a timestamp that is not a date', { t: 'not-a-date', id: crypto.randomUUID() }],
    ['February 31st', { t: '2026-02-31T00:00:00.000000Z', id: crypto.randomUUID() }],
    ['year 0', { t: '0000-01-01T00:00:00Z', id: crypto.randomUUID() }],
    ['an id that is not a UUID', { t: '2026-01-01T00:00:00Z', id: 'x' }],
    ['a missing id', { t: '2026-01-01T00:00:00Z' }],
  ] as const

  for (const path of ['/v1/economy/transactions', '/v1/instances']) {
    it.each(forged)(`answers 400 on ${path} for a cursor with %s`, async (_, key) => {
      const player = await registerPlayer('cursor')
      const res = await api(`${path}?cursor=${encodeCursor(key as Record<string, string>)}`, {
        token: player.token,
      })
      expect(res.status, res.text).toBe(400)
      expect(res.body.error.code).toBe('validation_error')
      expect(res.body.error.details[0].path).toEqual(['cursor'])
    })

    it(`answers 400 on ${path} for a cursor that is not base64 JSON`, async () => {
      const player = await registerPlayer('cursorjunk')
      const res = await api(`${path}?cursor=%%%not-base64`, { token: player.token })
      expect(res.status, res.text).toBe(400)
    })
  }

  it.each([
    ['not base64 JSON', '%%%not-base64'],
    ['a seq that is not a positive integer', encodeCursor({ seq: -3 })],
    [
      'a list cursor of another list',
      encodeCursor({ t: '2026-01-01T00:00:00Z', id: crypto.randomUUID() }),
    ],
  ])('answers 400 on a live room chat history for a cursor that is %s', async (_, cursor) => {
    const host = await registerPlayer('chatcursor')
    const instance = await createInstance(host)
    const res = await api(`/v1/instances/${instance.id}/chat?cursor=${cursor}`, {
      token: host.token,
    })
    expect(res.status, res.text).toBe(400)
    expect(res.body.error.details[0].path).toEqual(['cursor'])
  })
})

describe('PATCH /v1/instances/:id environment', () => {
  it('refuses a weather the live room does not know with 400, and stores nothing', async () => {
    const owner = await registerPlayer('envpatch')
    const instance = await createInstance(owner)
    const res = await api(`/v1/instances/${instance.id}`, {
      method: 'PATCH',
      token: owner.token,
      body: { metadata: { environment: { weather: 'acid_rain' } } },
    })
    expect(res.status, res.text).toBe(400)
    expect(res.body.error.details[0].path).toEqual(['metadata', 'environment', 'weather'])
    const [row] = await sqlRows<{ metadata: any }>('SELECT metadata FROM instances WHERE id = $1', [
      instance.id,
    ])
    expect(row.metadata.environment?.weather).toBeUndefined()
  })

  it('accepts the values the room accepts', async () => {
    const owner = await registerPlayer('envok')
    const instance = await createInstance(owner)
    const res = await api(`/v1/instances/${instance.id}`, {
      method: 'PATCH',
      token: owner.token,
      body: {
        metadata: { environment: { weather: 'storm', sky_preset: 'sunset', time_of_day: '21:15' } },
      },
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body.metadata.environment).toMatchObject({ weather: 'storm', sky_preset: 'sunset' })
  })
})
