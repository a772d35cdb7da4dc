import { describe, expect, it } from 'vitest'
import { api, registerPlayer, registerVeteran, sqlRows, type Player } from '../support/api'
import { createInstance } from '../support/instances'

const friendRequest = (from: Player, to: Player) =>
  api('/v1/social/friends/requests', { token: from.token, body: { user_id: to.id } })
const block = (from: Player, to: Player) =>
  api('/v1/social/blocks', { token: from.token, body: { user_id: to.id } })

describe('POST /v1/social/friends/requests', () => {
  it('sends a request, and the other accepting makes them friends on both sides', async () => {
    const a = await registerPlayer('fa')
    const b = await registerPlayer('fb')
    const sent = await friendRequest(a, b)
    expect(sent.status, sent.text).toBe(201)
    expect(sent.body).toMatchObject({
      user: { id: b.id },
      direction: 'outgoing',
      status: 'pending',
    })
    const incoming = await api('/v1/social/friends/requests?direction=incoming', { token: b.token })
    expect(
      incoming.body.items.map((r: any) => r.user.id),
      incoming.text,
    ).toEqual([a.id])
    const accepted = await api(`/v1/social/friends/requests/${a.id.toUpperCase()}/accept`, {
      method: 'POST',
      token: b.token,
    })
    expect(accepted.status, accepted.text).toBe(200)
    expect(accepted.body.status).toBe('accepted')
    for (const [me, friend] of [
      [a, b],
      [b, a],
    ]) {
      const list = await api('/v1/social/friends', { token: me.token })
      expect(list.body.items, list.text).toHaveLength(1)
      expect(list.body.items[0]).toMatchObject({
        user: { id: friend.id, username: friend.username },
        share_presence: true,
        presence: { online: false, instance_id: null },
      })
    }
  })

  it('turns crossed requests into a friendship, and the same request 30 times at once into one', async () => {
    const a = await registerPlayer('fa')
    const b = await registerPlayer('fb')
    const burst = await Promise.all(Array.from({ length: 30 }, () => friendRequest(a, b)))
    const statuses = burst.map((r) => r.status).sort((x, y) => x - y)
    expect(statuses, burst[0].text).toEqual([...Array.from({ length: 29 }, () => 200), 201])
    const rows = await sqlRows(
      'SELECT status FROM user_friends WHERE $1 IN (user_low, user_high)',
      [a.id],
    )
    expect(rows).toEqual([{ status: 'pending' }])
    const crossed = await friendRequest(b, a)
    expect(crossed.status, crossed.text).toBe(200)
    expect(crossed.body.status).toBe('accepted')
  })

  it('refuses yourself (400), an unknown user (404) and a missing token (401)', async () => {
    const a = await registerPlayer('fa')
    expect((await friendRequest(a, a)).status).toBe(400)
    const unknown = await api('/v1/social/friends/requests', {
      token: a.token,
      body: { user_id: crypto.randomUUID() },
    })
    expect(unknown.status, unknown.text).toBe(404)
    const anonymous = await api('/v1/social/friends/requests', { body: { user_id: a.id } })
    expect(anonymous.status).toBe(401)
    const extra = await api('/v1/social/friends/requests', {
      token: a.token,
      body: { user_id: a.id, note: 'hi' },
    })
    expect(extra.status, extra.text).toBe(400)
  })

  it('is refused between a blocked pair: 403 for who blocked, the unknown-user 404 for who is blocked', async () => {
    const a = await registerPlayer('fa')
    const b = await registerPlayer('fb')
    expect((await block(a, b)).status).toBe(201)
    const byBlocker = await friendRequest(a, b)
    expect(byBlocker.status, byBlocker.text).toBe(403)
    const byBlocked = await friendRequest(b, a)
    expect(byBlocked.status, byBlocked.text).toBe(404)
    expect(byBlocked.body.error.message).toBe('no user with that id')
  })
})

describe('friend requests: decline, cancel and remove', () => {
  it('declines, cancels and ends friendships, each only by the right side', async () => {
    const a = await registerPlayer('fa')
    const b = await registerPlayer('fb')
    await friendRequest(a, b)
    // The sender cannot accept or decline their own request.
    const selfAccept = await api(`/v1/social/friends/requests/${b.id}/accept`, {
      method: 'POST',
      token: a.token,
    })
    expect(selfAccept.status, selfAccept.text).toBe(404)
    const declined = await api(`/v1/social/friends/requests/${a.id}/decline`, {
      method: 'POST',
      token: b.token,
    })
    expect(declined.status, declined.text).toBe(204)
    expect(
      (await api('/v1/social/friends/requests?direction=outgoing', { token: a.token })).body.items,
    ).toEqual([])

    await friendRequest(a, b)
    const notMine = await api(`/v1/social/friends/requests/${a.id}`, {
      method: 'DELETE',
      token: b.token,
    })
    expect(notMine.status, notMine.text).toBe(404)
    const cancelled = await api(`/v1/social/friends/requests/${b.id}`, {
      method: 'DELETE',
      token: a.token,
    })
    expect(cancelled.status, cancelled.text).toBe(204)

    await friendRequest(a, b)
    await api(`/v1/social/friends/requests/${a.id}/accept`, { method: 'POST', token: b.token })
    const removed = await api(`/v1/social/friends/${a.id}`, { method: 'DELETE', token: b.token })
    expect(removed.status, removed.text).toBe(204)
    expect((await api('/v1/social/friends', { token: a.token })).body.items).toEqual([])
    const again = await api(`/v1/social/friends/${a.id}`, { method: 'DELETE', token: b.token })
    expect(again.status).toBe(404)
  })
})

describe('GET /v1/social/friends', () => {
  it("shows a friend's live instance only while they share their presence with you", async () => {
    const a = await registerPlayer('fa')
    const b = await registerPlayer('fb')
    await friendRequest(a, b)
    await api(`/v1/social/friends/requests/${a.id}/accept`, { method: 'POST', token: b.token })
    // The row a live room writes at its sync (durable-objects/instance-room/sync.ts).
    const instanceId = (await createInstance(b)).id
    await sqlRows(
      `INSERT INTO active_sessions (session_id, user_id, instance_id, zone) VALUES ($1, $2, $3, 'center')`,
      [crypto.randomUUID(), b.id, instanceId],
    )
    const shared = await api('/v1/social/friends', { token: a.token })
    expect(shared.body.items[0].presence, shared.text).toMatchObject({
      online: true,
      instance_id: instanceId,
    })
    const hidden = await api(`/v1/social/friends/${a.id}`, {
      method: 'PATCH',
      token: b.token,
      body: { share_presence: false },
    })
    expect(hidden.status, hidden.text).toBe(200)
    expect(hidden.body.share_presence).toBe(false)
    const now = await api('/v1/social/friends', { token: a.token })
    expect(now.body.items[0].presence, now.text).toBeNull()
    // b still sees a's (a shares by default, and is offline).
    const other = await api('/v1/social/friends', { token: b.token })
    expect(other.body.items[0].presence).toMatchObject({ online: false })
  })

  it('refuses a forged cursor with 400', async () => {
    const a = await registerPlayer('fa')
    const res = await api('/v1/social/friends?cursor=bm9wZQ', { token: a.token })
    expect(res.status, res.text).toBe(400)
  })
})

describe('/v1/social/blocks', () => {
  it('blocks (ending a friendship), lists, and unblocks', async () => {
    const a = await registerPlayer('ba')
    const b = await registerPlayer('bb')
    await friendRequest(a, b)
    await api(`/v1/social/friends/requests/${a.id}/accept`, { method: 'POST', token: b.token })
    const blocked = await block(a, b)
    expect(blocked.status, blocked.text).toBe(201)
    expect(blocked.body.user).toEqual({ id: b.id, username: b.username })
    expect((await block(a, b)).status).toBe(200)
    expect((await api('/v1/social/friends', { token: b.token })).body.items).toEqual([])
    const list = await api('/v1/social/blocks', { token: a.token })
    expect(
      list.body.items.map((x: any) => x.user.id),
      list.text,
    ).toEqual([b.id])
    expect((await api('/v1/social/blocks', { token: b.token })).body.items).toEqual([])
    const lifted = await api(`/v1/social/blocks/${b.id}`, { method: 'DELETE', token: a.token })
    expect(lifted.status, lifted.text).toBe(204)
    const notBlocked = await api(`/v1/social/blocks/${b.id}`, { method: 'DELETE', token: a.token })
    expect(notBlocked.status).toBe(404)
    // b cannot lift a's block of b.
    await block(a, b)
    const notTheirs = await api(`/v1/social/blocks/${a.id}`, { method: 'DELETE', token: b.token })
    expect(notTheirs.status).toBe(404)
  })

  it('refuses blocking yourself or an unknown user', async () => {
    const a = await registerPlayer('ba')
    expect((await block(a, a)).status).toBe(400)
    const unknown = await api('/v1/social/blocks', {
      token: a.token,
      body: { user_id: crypto.randomUUID() },
    })
    expect(unknown.status).toBe(404)
  })

  it('stops token transfers both ways: 403 for who blocked, the unknown-recipient 404 for who is blocked', async () => {
    const a = await registerVeteran('ta')
    const b = await registerVeteran('tb')
    await block(a, b)
    const transfer = (from: Player, to: Player) =>
      api('/v1/economy/transfers', {
        token: from.token,
        headers: { 'Idempotency-Key': crypto.randomUUID() },
        body: { to_user_id: to.id, amount: 5 },
      })
    const byBlocker = await transfer(a, b)
    expect(byBlocker.status, byBlocker.text).toBe(403)
    const byBlocked = await transfer(b, a)
    expect(byBlocked.status, byBlocked.text).toBe(404)
    expect(byBlocked.body.error.message).toBe('no user with that id to receive the tokens')
    await api(`/v1/social/blocks/${b.id}`, { method: 'DELETE', token: a.token })
    expect((await transfer(b, a)).status).toBe(201)
  })

  it('shows a blocked pair only the public minimum of each other', async () => {
    const a = await registerPlayer('pa')
    const b = await registerPlayer('pb')
    await api('/v1/users/me', { method: 'PATCH', token: a.token, body: { display_name: 'Ada' } })
    expect((await api(`/v1/users/${a.id}`, { token: b.token })).body.display_name).toBe('Ada')
    await block(a, b)
    const profile = await api(`/v1/users/${a.id}`, { token: b.token })
    expect(profile.status, profile.text).toBe(200)
    expect(profile.body).toMatchObject({
      id: a.id,
      username: a.username,
      display_name: null,
      avatar_url: null,
    })
    const search = await api(`/v1/users?prefix=${a.username}`, { token: b.token })
    expect(search.body.items[0], search.text).toMatchObject({ id: a.id, display_name: null })
    expect((await api(`/v1/users/${a.id}`, { token: a.token })).body.display_name).toBe('Ada')
  })
})

describe('/v1/social/contact-card', () => {
  it('creates a card showing only the chosen fields, readable by code in any case', async () => {
    const a = await registerPlayer('ca')
    const b = await registerPlayer('cb')
    await api('/v1/users/me', { method: 'PATCH', token: a.token, body: { display_name: 'Ada' } })
    const created = await api('/v1/social/contact-card', {
      method: 'PUT',
      token: a.token,
      body: {
        headline: 'Builder of bridges',
        links: [{ label: 'site', url: 'https://example.org' }],
        shown_fields: ['display_name', 'akashic_rank'],
      },
    })
    expect(created.status, created.text).toBe(201)
    const code: string = created.body.share_code
    expect(code).toMatch(/^[0-9A-Z]{10}$/)
    const read = await api(`/v1/social/contact-cards/${code.toLowerCase()}`, { token: b.token })
    expect(read.status, read.text).toBe(200)
    expect(read.body).toMatchObject({
      user: { id: a.id, username: a.username },
      headline: 'Builder of bridges',
      shown: { display_name: 'Ada', akashic_rank: { rank: 1, title: 'Newcomer' } },
    })
    expect(read.body.share_code).toBeUndefined()
    expect(read.body.shown.avatar_url).toBeUndefined()
    const updated = await api('/v1/social/contact-card', {
      method: 'PUT',
      token: a.token,
      body: { shown_fields: [] },
    })
    expect(updated.status, updated.text).toBe(200)
    expect(updated.body.headline).toBe('Builder of bridges')
    expect(updated.body.shown).toEqual({})
  })

  it('stops old codes after a rotation or a delete, and hides the card between a blocked pair', async () => {
    const a = await registerPlayer('ca')
    const b = await registerPlayer('cb')
    const { body: card } = await api('/v1/social/contact-card', {
      method: 'PUT',
      token: a.token,
      body: {},
    })
    const rotated = await api('/v1/social/contact-card/share-code', {
      method: 'POST',
      token: a.token,
    })
    expect(rotated.body.share_code).not.toBe(card.share_code)
    expect(
      (await api(`/v1/social/contact-cards/${card.share_code}`, { token: b.token })).status,
    ).toBe(404)
    const current = `/v1/social/contact-cards/${rotated.body.share_code}`
    expect((await api(current, { token: b.token })).status).toBe(200)
    await block(b, a)
    expect((await api(current, { token: b.token })).status).toBe(404)
    expect((await api(current, { token: a.token })).status).toBe(200)
    expect(
      (await api('/v1/social/contact-card', { method: 'DELETE', token: a.token })).status,
    ).toBe(204)
    expect((await api(current, { token: a.token })).status).toBe(404)
    expect((await api('/v1/social/contact-cards/no!', { token: a.token })).status).toBe(400)
  })

  it('refuses links that are not http(s), unknown fields and NUL text', async () => {
    const a = await registerPlayer('ca')
    for (const body of [
      { links: [{ label: 'x', url: 'javascript:alert(1)' }] },
      { shown_fields: ['email'] },
      { bio: 'a\u0000b' },
      { colour: 'red' },
    ]) {
      const res = await api('/v1/social/contact-card', { method: 'PUT', token: a.token, body })
      expect(res.status, res.text).toBe(400)
    }
  })
})

describe('/v1/social/characters', () => {
  it('makes the first character active, switches the active one, and keeps others private', async () => {
    const a = await registerPlayer('ch')
    const b = await registerPlayer('ch')
    const first = await api('/v1/social/characters', {
      token: a.token,
      body: { name: 'Robin', base_model: 'default_female_01', appearance: { hair: '#553311' } },
    })
    expect(first.status, first.text).toBe(201)
    expect(first.body).toMatchObject({ is_active: true, appearance: { hair: '#553311' } })
    const second = await api('/v1/social/characters', {
      token: a.token,
      body: { name: 'Wren', base_model: 'default_male_02' },
    })
    expect(second.body.is_active).toBe(false)
    const activated = await api(`/v1/social/characters/${second.body.id}/activate`, {
      method: 'POST',
      token: a.token,
    })
    expect(activated.status, activated.text).toBe(200)
    const list = await api('/v1/social/characters', { token: a.token })
    expect(
      list.body.items.map((c: any) => [c.name, c.is_active]),
      list.text,
    ).toEqual([
      ['Robin', false],
      ['Wren', true],
    ])
    for (const request of [
      api(`/v1/social/characters/${first.body.id}/activate`, { method: 'POST', token: b.token }),
      api(`/v1/social/characters/${first.body.id}`, {
        method: 'PATCH',
        token: b.token,
        body: { name: 'X' },
      }),
      api(`/v1/social/characters/${first.body.id}`, { method: 'DELETE', token: b.token }),
    ]) {
      expect((await request).status).toBe(404)
    }
    expect((await api('/v1/social/characters', { token: b.token })).body.items).toEqual([])
    const renamed = await api(`/v1/social/characters/${first.body.id}`, {
      method: 'PATCH',
      token: a.token,
      body: { name: 'Robin Hood' },
    })
    expect(renamed.body).toMatchObject({ name: 'Robin Hood', is_active: false })
    expect(
      (await api(`/v1/social/characters/${second.body.id}`, { method: 'DELETE', token: a.token }))
        .status,
    ).toBe(204)
  })

  it("refuses someone else's media as a skin, big appearances and bad model names", async () => {
    const a = await registerPlayer('ch')
    for (const body of [
      { name: 'x', base_model: 'Bad Model' },
      { name: 'x', base_model: 'ok', appearance: { blob: 'y'.repeat(2000) } },
      { name: 'x', base_model: 'ok', appearance: { nested: { a: 1 } } },
    ]) {
      const res = await api('/v1/social/characters', { token: a.token, body })
      expect(res.status, res.text).toBe(400)
    }
    const foreign = await api('/v1/social/characters', {
      token: a.token,
      body: { name: 'x', base_model: 'ok', media_id: crypto.randomUUID() },
    })
    expect(foreign.status, foreign.text).toBe(404)
  })
})
