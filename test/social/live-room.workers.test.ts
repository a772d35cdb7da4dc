import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { api, registerPlayer, TEST_PASSWORD, type Player } from '../support/api'
import { registerModerator } from '../support/moderation'
import { createInstance, enterRoom } from '../support/instances'
import type { RoomClient } from '../support/room-client'

const chatFrom = (userId: string, text: string) => (e: any) =>
  e.type === 'chat' && e.user_id === userId && e.text === text
const emoteFrom = (userId: string) => (e: any) => e.type === 'emote' && e.user_id === userId

async function act(mod: Player, body: Record<string, unknown>) {
  const res = await api('/v1/admin/moderation/actions', { token: mod.token, body })
  expect(res.status, res.text).toBe(201)
  return res.body
}

/** Everything `client` received (after a marker round trip) from `userId` that a block hides. */
async function chatReceivedFrom(client: RoomClient, userId: string) {
  await client.roundTrip()
  return client
    .events()
    .filter((e) => (e.type === 'chat' || e.type === 'emote') && e.user_id === userId)
}

describe('a block in a live room', () => {
  it('stops chat and emotes between the pair in both scopes and both ways, at once, and unblocking restores them', async () => {
    const host = await registerPlayer('host')
    const a = await registerPlayer('ra')
    const b = await registerPlayer('rb')
    const c = await registerPlayer('rc')
    const instance = await createInstance(host)
    const [roomA, roomB, roomC] = [
      await enterRoom(a, instance.id),
      await enterRoom(b, instance.id),
      await enterRoom(c, instance.id),
    ]

    const blocked = await api('/v1/social/blocks', { token: b.token, body: { user_id: a.id } })
    expect(blocked.status, blocked.text).toBe(201)

    roomA.send({ type: 'chat', text: 'to everyone', scope: 'instance' })
    roomA.send({ type: 'chat', text: 'to my zone', scope: 'zone' })
    roomA.send({ type: 'emote', name: 'wave' })
    await roomC.waitForEvent(chatFrom(a.id, 'to everyone'), "a's instance chat at c")
    await roomC.waitForEvent(chatFrom(a.id, 'to my zone'), "a's zone chat at c")
    await roomC.waitForEvent(emoteFrom(a.id), "a's emote at c")
    expect(await chatReceivedFrom(roomB, a.id)).toEqual([])

    roomB.send({ type: 'chat', text: 'from b', scope: 'instance' })
    roomB.send({ type: 'emote', name: 'bow' })
    await roomC.waitForEvent(chatFrom(b.id, 'from b'), "b's chat at c")
    await roomC.waitForEvent(emoteFrom(b.id), "b's emote at c")
    expect(await chatReceivedFrom(roomA, b.id)).toEqual([])
    // Only chat and emotes are held back: the blocked pair still see each other move.
    roomA.send({
      type: 'move',
      position: { x: 1, y: 0, z: 1 },
      velocity: { x: 0, y: 0, z: 0 },
      rotation: { x: 0, y: 0, z: 0, w: 1 },
      activity: 'moving',
    })
    await roomB.waitForEvent((e) => e.type === 'move' && e.user_id === a.id, "a's move at b")

    // The room's chat history leaves them out for each other too.
    const historyOf = async (player: Player) => {
      const res = await api(`/v1/instances/${instance.id}/chat?limit=50`, { token: player.token })
      expect(res.status, res.text).toBe(200)
      return res.body.items.map((item: any) => item.user_id)
    }
    expect(await historyOf(b)).not.toContain(a.id)
    expect(await historyOf(a)).not.toContain(b.id)
    expect(await historyOf(c)).toEqual(expect.arrayContaining([a.id, b.id]))

    const lifted = await api(`/v1/social/blocks/${a.id}`, { method: 'DELETE', token: b.token })
    expect(lifted.status, lifted.text).toBe(204)
    roomA.send({ type: 'chat', text: 'friends again', scope: 'instance' })
    await roomB.waitForEvent(chatFrom(a.id, 'friends again'), "a's chat at b after the unblock")
    for (const room of [roomA, roomB, roomC]) room.close()
  })

  it('holds when the block was made before either connected', async () => {
    const host = await registerPlayer('host')
    const a = await registerPlayer('ra')
    const b = await registerPlayer('rb')
    const c = await registerPlayer('rc')
    await api('/v1/social/blocks', { token: a.token, body: { user_id: b.id } })
    const instance = await createInstance(host)
    const roomA = await enterRoom(a, instance.id)
    const roomC = await enterRoom(c, instance.id)
    const roomB = await enterRoom(b, instance.id)
    roomB.send({ type: 'chat', text: 'hello?', scope: 'zone' })
    await roomC.waitForEvent(chatFrom(b.id, 'hello?'), "b's chat at c")
    expect(await chatReceivedFrom(roomA, b.id)).toEqual([])
    for (const room of [roomA, roomB, roomC]) room.close()
  })
})

describe('the active character in a live room', () => {
  it('travels into the welcome, enter events and presence, and follows a change while connected', async () => {
    const host = await registerPlayer('host')
    const a = await registerPlayer('ca')
    const c = await registerPlayer('cc')
    const robin = await api('/v1/social/characters', {
      token: a.token,
      body: { name: 'Robin', base_model: 'default_female_01', appearance: { hair: '#553311' } },
    })
    const instance = await createInstance(host)
    const roomA = await enterRoom(a, instance.id)
    const roomC = await enterRoom(c, instance.id)
    const welcome = roomC.received.find((f) => f.type === 'welcome')
    const seen = welcome.players.find((p: any) => p.user_id === a.id)
    expect(seen.character, JSON.stringify(welcome)).toMatchObject({
      id: robin.body.id,
      name: 'Robin',
      base_model: 'default_female_01',
      appearance: { hair: '#553311' },
      media_id: null,
    })
    expect(roomA.received.find((f) => f.type === 'welcome').you.character.id).toBe(robin.body.id)
    const enter = await roomA.waitForEvent(
      (e) => e.type === 'enter' && e.player.user_id === c.id,
      "c's enter at a",
    )
    expect(enter.player.character).toBeNull()
    const presence = await api(`/v1/instances/${instance.id}/presence`, { token: host.token })
    const listed = presence.body.players.find((p: any) => p.user_id === a.id)
    expect(listed.character.name, presence.text).toBe('Robin')

    const wren = await api('/v1/social/characters', {
      token: a.token,
      body: { name: 'Wren', base_model: 'default_male_02', active: true },
    })
    expect(wren.status, wren.text).toBe(201)
    const changed = await roomC.waitForEvent(
      (e) => e.type === 'character' && e.user_id === a.id,
      "a's character change at c",
    )
    expect(changed.character.name).toBe('Wren')
    roomA.close()
    roomC.close()
  })
})

describe('mutes and bans in a live room', () => {
  it("refuses a muted player's chat with an error frame, and lets it through once unmuted", async () => {
    const host = await registerPlayer('host')
    const a = await registerPlayer('ma')
    const c = await registerPlayer('mc')
    const mod = await registerModerator()
    const instance = await createInstance(host)
    const roomA = await enterRoom(a, instance.id)
    const roomC = await enterRoom(c, instance.id)
    await act(mod, { action: 'mute', target_id: a.id, duration_seconds: 600, reason: 'spam' })
    roomA.send({ type: 'chat', text: 'spam spam', scope: 'instance' })
    const refused = await roomA.waitFor(
      (f) => f.type === 'error' && f.code === 'muted',
      'muted error',
    )
    expect(refused.message).toMatch(/muted until \d{4}-/)
    expect(await chatReceivedFrom(roomC, a.id)).toEqual([])
    // A muted player connecting anew is muted there too.
    roomA.close()
    const again = await enterRoom(a, instance.id)
    again.send({ type: 'emote', name: 'wave' })
    await again.waitFor(
      (f) => f.type === 'error' && f.code === 'muted' && f !== refused,
      'muted again',
    )

    await act(mod, { action: 'unmute', target_id: a.id, reason: 'served' })
    again.send({ type: 'chat', text: 'sorry', scope: 'instance' })
    await roomC.waitForEvent(chatFrom(a.id, 'sorry'), "a's chat after the unmute")
    again.close()
    roomC.close()
  })

  it("closes a banned player's socket with 4005, refuses their tokens at once, and lets them back after an unban", async () => {
    const host = await registerPlayer('host')
    const a = await registerPlayer('ba')
    const mod = await registerModerator()
    const instance = await createInstance(host)
    const roomA = await enterRoom(a, instance.id)
    await act(mod, { action: 'ban', target_id: a.id, reason: 'cheating', duration_seconds: 3600 })
    const closed = await roomA.waitForClose()
    expect(closed.code).toBe(4005)
    const me = await api('/v1/users/me', { token: a.token })
    expect(me.status, me.text).toBe(403)
    expect(me.body.error.details).toMatchObject({ reason: 'banned' })
    expect(me.body.error.details.banned_until).toMatch(/^\d{4}-/)
    const upgrade = await SELF.fetch(`http://nexus.test/v1/instances/${instance.id}/ws`, {
      headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': `nexus.v1, bearer.${a.token}` },
    })
    expect(upgrade.status).toBe(403)
    await upgrade.text()
    const refresh = await api('/v1/auth/refresh', { body: { refresh_token: a.refresh_token } })
    expect(refresh.status, refresh.text).toBe(401)
    // Signing in again answers the ban (after the password), not a new pair of tokens.
    const login = await api('/v1/auth/login', {
      body: { username: a.username, password: TEST_PASSWORD },
    })
    expect(login.status, login.text).toBe(403)
    expect(login.body.error.details.reason).toBe('banned')

    await act(mod, { action: 'unban', target_id: a.id, reason: 'appeal granted' })
    expect((await api('/v1/users/me', { token: a.token })).status).toBe(200)
    const back = await enterRoom(a, instance.id)
    back.close()
  })

  it('refuses a moderator sanctioning themself, and players acting as moderators', async () => {
    const mod = await registerModerator()
    const player = await registerPlayer('pl')
    const self = await api('/v1/admin/moderation/actions', {
      token: mod.token,
      body: { action: 'ban', target_id: mod.id, reason: 'oops' },
    })
    expect(self.status, self.text).toBe(400)
    const notMod = await api('/v1/admin/moderation/actions', {
      token: player.token,
      body: { action: 'ban', target_id: mod.id, reason: 'revenge' },
    })
    expect(notMod.status, notMod.text).toBe(403)
    expect((await api('/v1/users/me', { token: mod.token })).status).toBe(200)
  })
})
