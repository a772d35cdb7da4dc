/**
 * The SDK's room client (client/room/client.ts) against the real Worker and InstanceRoom in
 * workerd: the socket is `SelfWebSocket` (the test Worker's entrance), everything else is the
 * SDK as games use it.
 */
import { SELF } from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import { NexusClient, type RoomClient } from '../../client'
import { registerPlayer, tokenFor, type Player } from '../support/api'
import { createInstance } from '../support/instances'
import { SelfWebSocket } from '../support/self-websocket'

const BASE_URL = 'http://nexus.test'
const FAST_RECONNECT = { minDelayMs: 20, maxDelayMs: 200 }
const rooms: RoomClient[] = []

afterEach(() => {
  for (const room of rooms.splice(0)) room.close()
})

/** A signed-in SDK client for `player`, going through the test Worker. */
function clientOf(player: Player, accessToken = player.token): NexusClient {
  return new NexusClient({
    baseUrl: BASE_URL,
    tokens: { access_token: accessToken, refresh_token: player.refresh_token, user: null },
    WebSocket: SelfWebSocket,
    fetch: (request) => SELF.fetch(request),
  })
}

async function enter(player: Player, instanceId: string): Promise<RoomClient> {
  const room = clientOf(player).joinRoom(instanceId, { reconnect: FAST_RECONNECT })
  rooms.push(room)
  await room.ready
  return room
}

const at = (x: number, z: number) => ({ position: { x, y: 0, z } })

describe('RoomClient', () => {
  it('loses no batch when its socket drops mid-stream: it reconnects and resumes from last_seq', async () => {
    const alice = await registerPlayer('ali')
    const bob = await registerPlayer('bob')
    const instance = await createInstance(alice)
    const aliceRoom = await enter(alice, instance.id)
    const bobRoom = await enter(bob, instance.id)
    const heard: string[] = []
    aliceRoom.on('chat', (event) => heard.push(event.text))
    const welcomes: unknown[] = []
    aliceRoom.on('welcome', (welcome) => welcomes.push(welcome))
    const disconnects: Array<{ code: number; will_reconnect: boolean }> = []
    aliceRoom.on('disconnect', (event) => disconnects.push(event))

    const TOTAL = 30
    let sent = 0
    const sendNext = () => {
      sent += 1
      // Bob's client drops frames while his own socket is down; his socket never drops here.
      expect(bobRoom.chat(`line ${sent}`, 'instance')).toBe(true)
    }
    for (let i = 0; i < 10; i++) sendNext()
    await aliceRoom.next('chat', (event) => event.text === 'line 10')
    const seqBeforeDrop = aliceRoom.lastSeq
    // Only Alice's socket: Bob keeps talking while she is away.
    SelfWebSocket.openWith(alice.token).drop()
    expect(aliceRoom.status).toBe('reconnecting')
    // Sent before Alice's client can even start reconnecting: lost with her socket unless the
    // resume brings them back.
    // Listening before the last line is sent: with a 25 ms tick it can arrive during the pauses
    // below, before a listener added after them. The reconnect waits out a backoff; under a
    // loaded machine that can take seconds.
    const lastLine = aliceRoom.next('chat', (event) => event.text === `line ${TOTAL}`, 30_000)
    for (let i = 0; i < 10; i++) sendNext()
    while (sent < TOTAL) {
      sendNext()
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    await lastLine

    // Every line exactly once. (Not asserted: their order. workerd can hand the room a socket's
    // frames out of order under load, before any of our code runs; see the README's note.)
    const lines = Array.from({ length: TOTAL }, (_, i) => `line ${i + 1}`)
    expect(heard.length, JSON.stringify(heard)).toBe(TOTAL)
    expect([...heard].sort()).toEqual([...lines].sort())
    expect(welcomes, 'a resume answers batches, not a fresh welcome').toEqual([])
    expect(disconnects).toEqual([expect.objectContaining({ code: 1006, will_reconnect: true })])
    expect(aliceRoom.lastSeq!).toBeGreaterThan(seqBeforeDrop!)
    expect(aliceRoom.status).toBe('open')
  })

  it('tracks the players around the caller as they cross zone lines', async () => {
    const alice = await registerPlayer('ali')
    const bob = await registerPlayer('bob')
    const instance = await createInstance(alice)
    const aliceRoom = await enter(alice, instance.id)
    aliceRoom.move(at(-100, 100)) // north_west
    const bobRoom = await enter(bob, instance.id)
    await bobRoom.ping()
    await bobRoom.next('pong')
    expect(bobRoom.players.has(alice.id), 'bob starts in the centre and sees north_west').toBe(true)

    bobRoom.move(at(100, -100)) // south_east: out of sight of north_west
    await aliceRoom.next('leave', (event) => event.user_id === bob.id)
    expect(aliceRoom.players.has(bob.id)).toBe(false)

    bobRoom.move(at(-60, 60)) // north_west again
    const entered = await aliceRoom.next('enter', (event) => event.player.user_id === bob.id)
    expect(entered.player.zone).toBe('north_west')
    expect(aliceRoom.players.get(bob.id)?.zone).toBe('north_west')
    expect(aliceRoom.me?.user_id).toBe(alice.id)
    expect(aliceRoom.me?.position).toEqual({ x: -100, y: 0, z: 100 })

    bobRoom.close()
    await aliceRoom.next('left', (event) => event.user_id === bob.id)
    expect(aliceRoom.players.size).toBe(0)
  })

  it('observes every player without being one (moderators)', async () => {
    const alice = await registerPlayer('ali')
    const staffUser = await registerPlayer('mod')
    const instance = await createInstance(alice)
    const aliceRoom = await enter(alice, instance.id)
    aliceRoom.move(at(120, 120))
    const staff = clientOf(staffUser, await tokenFor(staffUser, ['moderator']))
    const watcher = staff.observeRoom(instance.id)
    rooms.push(watcher)
    await watcher.ready
    expect(watcher.bounds).toEqual({ min_x: -150, max_x: 150, min_z: -150, max_z: 150 })
    expect(watcher.me).toBeNull()
    const moved = watcher.next(
      'move',
      (event) => event.user_id === alice.id && event.zone === 'south_west',
    )
    aliceRoom.move(at(-120, -120))
    expect((await moved).zone).toBe('south_west')
    expect(watcher.players.get(alice.id)?.zone).toBe('south_west')
    expect(watcher.move(at(0, 0)), 'an open observer socket still sends').toBe(true)
    expect((await watcher.next('error')).code).toBe('forbidden')
  })

  it('does not come back after the room removes it (4001 left), and says why', async () => {
    const alice = await registerPlayer('ali')
    const bob = await registerPlayer('bob')
    const instance = await createInstance(alice)
    const bobRoom = await enter(bob, instance.id)
    const disconnected = bobRoom.next('disconnect')
    const left = await SELF.fetch(`${BASE_URL}/v1/instances/${instance.id}/leave`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bob.token}` },
    })
    expect(left.status, await left.text()).toBe(204)
    expect(await disconnected).toMatchObject({ code: 4001, will_reconnect: false })
    expect(bobRoom.status).toBe('closed')
  })

  it('gives up after maxRetries failed attempts (an upgrade the Worker refuses: 404 for a private instance)', async () => {
    const alice = await registerPlayer('ali')
    const bob = await registerPlayer('bob')
    const instance = await createInstance(alice, { is_public: false })
    const refusalsBefore = SelfWebSocket.refusals.length
    const room = clientOf(bob).joinRoom(instance.id, {
      reconnect: { minDelayMs: 10, maxDelayMs: 10, maxRetries: 2 },
    })
    rooms.push(room)
    await expect(room.ready).rejects.toThrow(/closed/)
    expect(room.status).toBe('closed')
    expect(SelfWebSocket.refusals.slice(refusalsBefore).map((r) => r.status)).toEqual([
      404, 404, 404,
    ])
  })
})
