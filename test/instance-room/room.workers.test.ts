/**
 * InstanceRoom inside workerd: real WebSockets to the Durable Object, real DO storage and alarms,
 * real Postgres through the Neon driver. Every test uses its own instance (its own object), and
 * reaches it the way the Worker does: through the room gateway (upgrade and RPC).
 */
import { ChatQuerySchema } from '../../functions/instances/schemas'
import {
  abortAllDurableObjects,
  env,
  runDurableObjectAlarm,
  runInDurableObject,
} from 'cloudflare:test'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { CLOSE_INTERNAL_ERROR, SYNC_RETRY_BASE_MS } from '../../durable-objects/core/config'
import {
  CLIENT_FRAME_BURST,
  CLOSE_INSTANCE_DELETED,
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_POLICY_VIOLATION,
  CLOSE_REMOVED,
  MAX_BAD_FRAMES,
  MAX_FRAME_BYTES,
} from '../../durable-objects/instance-room/config'
import { roomPermissionsOf } from '../../durable-objects/instance-room/notices'
import { ROOM_CONNECTION_HEADER } from '../../durable-objects/instance-room/rpc'
import type { InstanceRoom } from '../../durable-objects/instance-room'
import { RoomGateway } from '../../functions/instances/room-gateway'
import { registerPlayer, sqlRows, testEnv, type Player } from '../support/api'
import { RoomClient, sleep } from '../support/room-client'
import { THROWING_FRAME } from '../support/test-worker'

const rooms = testEnv.INSTANCE_ROOM
const gateway = new RoomGateway(rooms)

/** User ids of the players the room has now. */
async function presentUsers(instanceId: string): Promise<Record<string, string>> {
  const { players } = await stubOf(instanceId).presence()
  return Object.fromEntries(players.map((p) => [p.user_id, p.zone]))
}

/** Positions in the default 300 m area (zone lines at ±50 m). */
const AT = {
  north_west: { x: -100, z: 100 },
  south_east: { x: 100, z: -100 },
  south_east_2: { x: 120, z: -120 },
  center: { x: 0, z: 0 },
  center_2: { x: 10, z: 5 },
}

function moveFrame(at: { x: number; z: number }) {
  return {
    type: 'move',
    position: { x: at.x, y: 0, z: at.z },
    velocity: { x: 1, y: 0, z: 0 },
    rotation: { x: 0, y: 0, z: 0, w: 1 },
    activity: 'moving',
  }
}

interface ConnectOptions {
  owner?: boolean
  permissions?: Record<string, unknown>
  metadata?: Record<string, unknown>
}

function stubOf(instanceId: string) {
  return rooms.get(rooms.idFromName(instanceId))
}

/** Connects through `via` (the real rooms by default), as the Worker does after its checks. */
async function connect(
  instanceId: string,
  player: Player,
  options: ConnectOptions = {},
  via: RoomGateway = gateway,
): Promise<RoomClient> {
  const ws = await via.connect(instanceId, {
    user_id: player.id,
    username: player.username,
    permissions: roomPermissionsOf(options.permissions ?? { can_chat: true }, !!options.owner),
    metadata: options.metadata ?? {},
  })
  ws.accept()
  return new RoomClient(ws)
}

/** Connects and says hello. */
async function join(
  instanceId: string,
  player: Player,
  options: ConnectOptions = {},
  via: RoomGateway = gateway,
) {
  const client = await connect(instanceId, player, options, via)
  await client.greet()
  return client
}

async function createInstance(ownerId: string, metadata: Record<string, unknown> = {}) {
  const [row] = await sqlRows<{ id: string }>(
    `INSERT INTO instances (type, name, owner_id, metadata) VALUES ('communal', $1, $2, $3)
     RETURNING id`,
    [`room test ${crypto.randomUUID()}`, ownerId, JSON.stringify(metadata)],
  )
  return row.id
}

async function waitUntil<T>(
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 5_000
  for (;;) {
    const value = await probe()
    if (ok(value)) return value
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`)
    await sleep(50)
  }
}

let alice: Player
let bob: Player
let carol: Player

beforeAll(async () => {
  ;[alice, bob, carol] = await Promise.all([
    registerPlayer('ra'),
    registerPlayer('rb'),
    registerPlayer('rc'),
  ])
})

describe('InstanceRoom areas of interest', () => {
  it('never delivers a south_east move to north_west, and crossing into center sends enter events', async () => {
    const instanceId = await createInstance(alice.id)
    const a = await join(instanceId, alice)
    const b = await join(instanceId, bob)
    a.send(moveFrame(AT.north_west))
    await b.waitForEvent(
      (e: any) => e.type === 'move' && e.zone === 'north_west',
      'alice in north_west',
    )
    b.send(moveFrame(AT.south_east))
    // Both lose sight of each other when bob goes from center to south_east.
    await a.waitForEvent((e: any) => e.type === 'leave' && e.user_id === bob.id, 'leave of bob')
    await b.waitForEvent((e: any) => e.type === 'leave' && e.user_id === alice.id, 'leave of alice')

    const framesBefore = a.received.length
    b.send(moveFrame(AT.south_east_2))
    // Marker: once the room holds the move, an instance chat from bob is queued after it, so
    // alice has every frame that could carry the move by the time she has the chat.
    await waitUntil(
      () => stubOf(instanceId).presence(),
      ({ players }) => players.some((p) => p.user_id === bob.id && p.position.x === 120),
      'the move in the room',
    )
    b.send({ type: 'chat', text: 'marker', scope: 'instance' })
    await a.waitForEvent((e: any) => e.type === 'chat' && e.text === 'marker', 'the marker')
    const laterMoves = a.received
      .slice(framesBefore)
      .filter((f) => f.type === 'batch')
      .flatMap((f) => f.events)
      .filter((e: any) => e.type === 'move' && e.user_id === bob.id)
    expect(laterMoves, JSON.stringify(a.received)).toEqual([])

    const framesBeforeReturn = a.received.length
    const bobFramesBeforeReturn = b.received.length
    b.send(moveFrame(AT.center))
    const enterOfBob = await a.waitFor(
      (f) =>
        a.received.indexOf(f) >= framesBeforeReturn &&
        f.type === 'batch' &&
        f.events.some(
          (e: any) =>
            e.type === 'enter' && e.player.user_id === bob.id && e.player.zone === 'center',
        ),
      'enter of bob',
    )
    expect(
      enterOfBob.events.some((e: any) => e.type === 'move' && e.user_id === bob.id),
      JSON.stringify(a.received),
    ).toBe(true)
    await b.waitFor(
      (f) =>
        b.received.indexOf(f) >= bobFramesBeforeReturn &&
        f.type === 'batch' &&
        f.events.some(
          (e: any) =>
            e.type === 'enter' && e.player.user_id === alice.id && e.player.zone === 'north_west',
        ),
      'enter of alice for bob',
    )
    a.close()
    b.close()
  })

  it('welcomes a player with the players in view only', async () => {
    const instanceId = await createInstance(alice.id)
    const a = await join(instanceId, alice)
    a.send(moveFrame(AT.north_west))
    const b = await join(instanceId, bob)
    b.send(moveFrame(AT.south_east))
    await b.waitForEvent((e: any) => e.type === 'leave', 'leave')
    const c = await connect(instanceId, carol)
    // Carol starts at the origin (center): she sees both.
    const welcome = await c.greet()
    expect(welcome.you.zone).toBe('center')
    expect(welcome.players.map((p: any) => p.user_id).sort()).toEqual([alice.id, bob.id].sort())
    a.close()
    b.close()
    c.close()
  })
})

describe('InstanceRoom batching', () => {
  it('sends many moves of one tick as one batch frame per client', async () => {
    const instanceId = await createInstance(alice.id)
    const a = await join(instanceId, alice)
    const b = await join(instanceId, bob)
    await a.waitForEvent(
      (e: any) => e.type === 'enter' && e.player.user_id === bob.id,
      'bob in view',
    )
    const framesBefore = a.received.length
    const MOVES = 20
    for (let i = 0; i < MOVES; i++) b.send(moveFrame({ x: i, z: 0 }))
    await a.waitFor(
      () =>
        a.events().filter((e: any) => e.type === 'move' && e.user_id === bob.id).length === MOVES,
      'all moves',
    )
    const frames = a.received.slice(framesBefore).filter((f) => f.type === 'batch')
    const moves = frames.flatMap((f) => f.events).filter((e: any) => e.type === 'move')
    // vitest-pool-workers 0.15 may start hibernatable handlers out of order (fixed upstream in
    // cloudflare/workers-sdk#14061); production delivers in order. Every move arrives once.
    expect(
      moves.map((e: any) => e.position.x).sort((x: number, y: number) => x - y),
      JSON.stringify(frames),
    ).toEqual([...Array(MOVES).keys()])
    // 20 frames arrive within one or two ticks; never one frame per move.
    expect(frames.length, JSON.stringify(frames)).toBeLessThanOrEqual(2)
    expect(new Set(frames.map((f) => f.seq)).size).toBe(frames.length)
    // The mover does not get its own moves echoed (the marker: frames sent before the pong).
    await b.roundTrip()
    expect(
      b.events().filter((e: any) => e.type === 'move' && e.user_id === bob.id),
      JSON.stringify(b.received),
    ).toEqual([])
    a.close()
    b.close()
  })
})

describe('InstanceRoom chat and environment', () => {
  it('delivers zone chat to the sender area of interest and instance chat to everyone', async () => {
    const instanceId = await createInstance(alice.id)
    const a = await join(instanceId, alice)
    const b = await join(instanceId, bob)
    const c = await join(instanceId, carol)
    a.send(moveFrame(AT.north_west))
    b.send(moveFrame(AT.south_east))
    await a.waitForEvent((e: any) => e.type === 'leave' && e.user_id === bob.id, 'leave of bob')

    a.send({ type: 'chat', text: '  hello zone  ', scope: 'zone' })
    const zoneChat = await c.waitForEvent((e: any) => e.type === 'chat', 'zone chat at carol')
    expect(zoneChat).toMatchObject({
      user_id: alice.id,
      scope: 'zone',
      zone: 'north_west',
      text: 'hello zone',
    })
    await a.waitForEvent((e: any) => e.type === 'chat', 'echo to sender')

    a.send({ type: 'chat', text: 'hello everyone', scope: 'instance' })
    await b.waitForEvent(
      (e: any) => e.type === 'chat' && e.text === 'hello everyone',
      'instance chat at bob',
    )
    expect(b.events().filter((e: any) => e.type === 'chat' && e.text === 'hello zone')).toEqual([])

    const history = await gateway.chatHistory(instanceId, { limit: 10 })
    expect(history.items.map((m) => m.text)).toEqual(['hello everyone', 'hello zone'])
    expect(history.items[1]).toMatchObject({
      user_id: alice.id,
      username: alice.username,
      message_type: 'text',
      scope: 'zone',
      zone: 'north_west',
      synced: false,
    })
    expect(history.next_cursor).toBeNull()
    const newest = await gateway.chatHistory(instanceId, { limit: 1 })
    expect(newest.items.map((m) => m.text)).toEqual(['hello everyone'])
    const older = await gateway.chatHistory(instanceId, {
      cursor: ChatQuerySchema.parse({ cursor: newest.next_cursor }).cursor,
    })
    expect(older.items.map((m) => m.text)).toEqual(['hello zone'])
    expect(older.next_cursor).toBeNull()
    const inAMinute = new Date(Date.now() + 60_000).toISOString()
    const byTime = await gateway.chatHistory(instanceId, { before: inAMinute })
    expect(byTime.items).toHaveLength(2)
    const beforeAll = await gateway.chatHistory(instanceId, { before: '2000-01-01T00:00:00Z' })
    expect(beforeAll.items).toEqual([])
    a.close()
    b.close()
    c.close()
  })

  it('refuses chat without can_chat', async () => {
    const instanceId = await createInstance(alice.id)
    const b = await join(instanceId, bob, { permissions: { can_chat: false } })
    b.send({ type: 'chat', text: 'muted?', scope: 'instance' })
    const error = await b.waitFor((f) => f.type === 'error', 'forbidden')
    expect(error.code).toBe('forbidden')
    expect((await gateway.chatHistory(instanceId, {})).items).toEqual([])
    b.close()
  })

  it('applies env.set from a player with can_change_environment and refuses it otherwise', async () => {
    const instanceId = await createInstance(alice.id, { environment: { weather: 'clear' } })
    const metadata = { environment: { weather: 'clear' } }
    const a = await join(instanceId, alice, { owner: true, metadata })
    const b = await join(instanceId, bob, { permissions: { can_chat: true }, metadata })
    const c = await join(instanceId, carol, { permissions: { can_change_environment: true } })

    b.send({ type: 'env.set', environment: { weather: 'storm' } })
    expect((await b.waitFor((f) => f.type === 'error', 'forbidden')).code).toBe('forbidden')

    c.send({ type: 'env.set', environment: { sky_preset: 'sunset', time_of_day: '18:30' } })
    const { environment } = await b.waitForEvent((e: any) => e.type === 'env', 'env at bob')
    expect(environment).toMatchObject({
      weather: 'clear',
      sky_preset: 'sunset',
      time_of_day: '18:30',
      last_changed_by: carol.id,
    })
    // Marker: carol's change reached alice after bob's refused one would have.
    await a.waitForEvent((e: any) => e.type === 'env', 'env at alice')
    expect(
      a.events().some((e: any) => e.type === 'env' && e.environment.weather === 'storm'),
      JSON.stringify(a.received),
    ).toBe(false)

    expect(await runDurableObjectAlarm(stubOf(instanceId))).toBe(true)
    const [row] = await sqlRows<{ metadata: any }>('SELECT metadata FROM instances WHERE id = $1', [
      instanceId,
    ])
    expect(row.metadata.environment).toMatchObject({
      weather: 'clear',
      sky_preset: 'sunset',
      last_changed_by: carol.id,
    })
    a.close()
    b.close()
    c.close()
  })
})

describe('InstanceRoom bad clients', () => {
  it('answers a malformed frame with an error and closes with 1008 after MAX_BAD_FRAMES', async () => {
    const instanceId = await createInstance(alice.id)
    const a = await join(instanceId, alice)
    a.send('not json')
    const error = await a.waitFor((f) => f.type === 'error', 'error frame')
    expect(error.code).toBe('malformed_json')
    for (let i = 1; i < MAX_BAD_FRAMES; i++) a.send({ type: 'move', position: 'nowhere' })
    const closed = await a.waitForClose()
    expect(closed.code).toBe(CLOSE_POLICY_VIOLATION)
    expect(a.received.filter((f) => f.type === 'error')).toHaveLength(MAX_BAD_FRAMES)
  })

  it('closes with 1009 on a frame over 16 KB', async () => {
    const instanceId = await createInstance(alice.id)
    const a = await join(instanceId, alice)
    a.send({ type: 'chat', text: 'x'.repeat(MAX_FRAME_BYTES), scope: 'zone' })
    expect((await a.waitForClose()).code).toBe(CLOSE_MESSAGE_TOO_BIG)
    expect((await stubOf(instanceId).presence()).players).toEqual([])
  })

  it('drops and counts a flood instead of answering every frame', async () => {
    const instanceId = await createInstance(alice.id)
    const a = await join(instanceId, alice)
    const FLOOD = 150
    for (let i = 0; i < FLOOD; i++) a.send({ type: 'ping' })
    // The count as the room holds it: during a streak the bucket lives in the room's attachment
    // cache, serialized on the socket only when a streak starts or ends.
    const droppedFrames = () =>
      runInDurableObject(stubOf(instanceId), async (room, state) => {
        const [ws] = state.getWebSockets()
        return (room as any).attachmentOf(ws).bucket.droppedFrames as number
      })
    const pongCount = () => a.received.filter((f) => f.type === 'pong').length
    // Every frame of the flood is accounted for: answered (pong received) or dropped and counted.
    await waitUntil(
      async () => ({ dropped: await droppedFrames(), pongs: pongCount() }),
      ({ dropped, pongs }) => dropped + pongs === FLOOD,
      'every flooded frame answered or dropped',
    )
    const pongs = pongCount()
    expect(pongs).toBeGreaterThanOrEqual(CLIENT_FRAME_BURST - 1)
    expect(pongs).toBeLessThan(FLOOD / 2)
    // One notice per streak of drops (a token refilled mid-flood may start a second streak).
    const notices = a.received.filter((f) => f.type === 'error' && f.code === 'rate_limited')
    expect(notices.length).toBeGreaterThanOrEqual(1)
    expect(notices.length).toBeLessThan(10)
    a.close()
  })

  it('requires hello before other frames', async () => {
    const instanceId = await createInstance(alice.id)
    const a = await connect(instanceId, alice)
    a.send(moveFrame(AT.center))
    expect((await a.waitFor((f) => f.type === 'error', 'error')).message).toMatch(/hello/)
    a.close()
  })
})

describe('InstanceRoom error boundary', () => {
  it('closes only the socket whose frame failed, with 1011, logs who and where, and keeps the room', async () => {
    const instanceId = await createInstance(alice.id)
    const faulty = new RoomGateway(testEnv.TEST_INSTANCE_ROOM)
    const a = await join(instanceId, alice, {}, faulty)
    const b = await join(instanceId, bob, {}, faulty)
    const errors = vi.spyOn(console, 'error')
    try {
      a.send(THROWING_FRAME)
      expect((await a.waitForClose()).code).toBe(CLOSE_INTERNAL_ERROR)
      const line = errors.mock.calls
        .map(([text]) => String(text))
        .find((text) => text.includes('injected fault: frame handler'))
      expect(line, JSON.stringify(errors.mock.calls)).toBeDefined()
      expect(JSON.parse(line!)).toMatchObject({
        level: 'error',
        instance_id: instanceId,
        user_id: alice.id,
        error: 'injected fault: frame handler',
      })
    } finally {
      errors.mockRestore()
    }
    // The failed socket's player left; everyone else carries on.
    await b.waitForEvent((e: any) => e.type === 'left' && e.user_id === alice.id, 'left of alice')
    b.send({ type: 'chat', text: 'still here', scope: 'instance' })
    await b.waitForEvent((e: any) => e.type === 'chat' && e.text === 'still here', 'chat echo')
    const { players } = await faulty.presence(instanceId)
    expect(players.map((p) => p.user_id)).toEqual([bob.id])
    b.close()
  })
})

describe('InstanceRoom resume', () => {
  it('replays the batches a reconnecting client missed, and welcomes one that is too far behind', async () => {
    const instanceId = await createInstance(alice.id)
    const b = await join(instanceId, bob)
    const a = await connect(instanceId, alice)
    const welcome = await a.greet()
    const lastSeq = Math.max(
      welcome.seq,
      ...a.received.filter((f) => f.type === 'batch').map((f) => f.seq),
    )
    a.close()
    await b.waitForEvent((e: any) => e.type === 'left', 'left of alice')
    b.send(moveFrame(AT.center_2))
    b.send({ type: 'chat', text: 'while you were away', scope: 'zone' })
    await b.waitForEvent((e: any) => e.type === 'chat', 'chat echo')

    const again = await connect(instanceId, alice)
    again.send({ type: 'hello', last_seq: lastSeq })
    await again.waitForEvent(
      (e: any) => e.type === 'chat' && e.text === 'while you were away',
      'missed chat',
    )
    const replayed = again.events()
    expect(
      replayed.some(
        (e: any) => e.type === 'move' && e.user_id === bob.id && e.position.x === AT.center_2.x,
      ),
    ).toBe(true)
    expect(replayed.some((e: any) => e.user_id === alice.id && e.type === 'left')).toBe(false)
    expect(again.received.some((f) => f.type === 'welcome')).toBe(false)

    const stale = await connect(instanceId, carol)
    stale.send({ type: 'hello', last_seq: 1_000_000 })
    await stale.waitFor((f) => f.type === 'welcome', 'welcome for an unknown seq')
    again.close()
    b.close()
    stale.close()
  })
})

describe('InstanceRoom Postgres sync', () => {
  it('writes user_states, active_sessions and chat_messages from the alarm, and nothing on a second alarm', async () => {
    const [p, q] = await Promise.all([registerPlayer('sa'), registerPlayer('sb')])
    const instanceId = await createInstance(p.id)
    const stub = stubOf(instanceId)
    const a = await join(instanceId, p)
    const b = await join(instanceId, q)
    a.send(moveFrame(AT.north_west))
    a.send({ type: 'chat', text: 'to the archive', scope: 'instance' })
    b.send({ type: 'emote', name: 'wave' })
    await b.waitForEvent((e: any) => e.type === 'chat', 'chat')
    await a.waitForEvent((e: any) => e.type === 'emote', 'emote')

    expect(await runDurableObjectAlarm(stub)).toBe(true)
    const states = await sqlRows<any>(
      'SELECT * FROM user_states WHERE user_id = ANY($1) ORDER BY user_id',
      [[p.id, q.id]],
    )
    const stateOfP = states.find((s) => s.user_id === p.id)
    expect(stateOfP, JSON.stringify(states)).toMatchObject({
      zone: 'north_west',
      instance_id: instanceId,
      activity_state: 'moving',
      position: { x: -100, y: 0, z: 100 },
      rotation: { x: 0, y: 0, z: 0, w: 1 },
    })
    expect(states.find((s) => s.user_id === q.id)?.zone).toBe('center')
    const sessions = await sqlRows<any>('SELECT * FROM active_sessions WHERE instance_id = $1', [
      instanceId,
    ])
    expect(sessions.map((s) => s.user_id).sort()).toEqual([p.id, q.id].sort())
    const chat = await sqlRows<any>(
      'SELECT * FROM chat_messages WHERE instance_id = $1 ORDER BY content',
      [instanceId],
    )
    expect(chat.map((m) => [m.sender_id, m.message_type, m.content])).toEqual([
      [p.id, 'text', 'to the archive'],
      [q.id, 'emote', 'wave'],
    ])

    // Nothing changed: no alarm is pending and a forced sync is skipped without writing.
    expect(await runDurableObjectAlarm(stub)).toBe(false)
    expect(await runInDurableObject(stub, (room) => room.syncToPostgres())).toBe('skipped')
    const after = await sqlRows<any>('SELECT last_update FROM user_states WHERE user_id = $1', [
      p.id,
    ])
    expect(after[0].last_update).toEqual(stateOfP.last_update)
    expect(
      await sqlRows('SELECT id FROM chat_messages WHERE instance_id = $1', [instanceId]),
    ).toHaveLength(2)
    a.close()
    b.close()
  })

  it('syncs at once when the last player leaves', async () => {
    const p = await registerPlayer('sl')
    const instanceId = await createInstance(p.id)
    const stub = stubOf(instanceId)
    const a = await join(instanceId, p)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect(
      await sqlRows('SELECT 1 FROM active_sessions WHERE instance_id = $1', [instanceId]),
    ).toHaveLength(1)
    a.send(moveFrame(AT.south_east))
    a.send({ type: 'chat', text: 'bye', scope: 'zone' })
    await a.waitForEvent((e: any) => e.type === 'chat', 'chat echo')
    a.close()
    await waitUntil(
      () => sqlRows('SELECT 1 FROM active_sessions WHERE instance_id = $1', [instanceId]),
      (rows) => rows.length === 0,
      'session deleted',
    )
    const [state] = await sqlRows<any>(
      'SELECT zone, activity_state FROM user_states WHERE user_id = $1',
      [p.id],
    )
    expect(state).toEqual({ zone: 'south_east', activity_state: 'idle' })
    expect(
      await sqlRows('SELECT 1 FROM chat_messages WHERE instance_id = $1', [instanceId]),
    ).toHaveLength(1)
  })

  it('keeps the batch on a database error, retries with backoff, and is idempotent when replayed', async () => {
    const p = await registerPlayer('sf')
    const instanceId = await createInstance(p.id)
    // The test subclass fails its database on demand (test/support/test-worker.ts).
    const faulty = testEnv.TEST_INSTANCE_ROOM
    const stub = faulty.get(faulty.idFromName(instanceId))
    const a = await join(instanceId, p, {}, new RoomGateway(faulty))
    a.send({ type: 'chat', text: 'survives an outage', scope: 'zone' })
    await a.waitForEvent((e: any) => e.type === 'chat', 'chat echo')

    await stub.injectFaults({ database: true })
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    const retryAt = await runInDurableObject(stub, (_room, state) => state.storage.getAlarm())
    expect(retryAt).not.toBeNull()
    expect(retryAt! - Date.now()).toBeLessThanOrEqual(SYNC_RETRY_BASE_MS)
    expect(
      await sqlRows('SELECT 1 FROM chat_messages WHERE instance_id = $1', [instanceId]),
    ).toHaveLength(0)
    // A second failure doubles the delay; the count is persisted, so it survives an eviction.
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    const secondRetryAt = await runInDurableObject(stub, (_room, state) => state.storage.getAlarm())
    expect(secondRetryAt! - Date.now()).toBeGreaterThan(SYNC_RETRY_BASE_MS)
    expect(secondRetryAt! - Date.now()).toBeLessThanOrEqual(2 * SYNC_RETRY_BASE_MS)

    await stub.injectFaults({})
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect(
      await sqlRows('SELECT 1 FROM chat_messages WHERE instance_id = $1', [instanceId]),
    ).toHaveLength(1)

    // The object died after COMMIT but before marking: the same batch is written again, harmlessly.
    const outcome = await runInDurableObject(stub, async (room, state) => {
      state.storage.sql.exec(`UPDATE object_meta SET value = '0' WHERE key = 'chat_synced_through'`)
      state.storage.sql.exec('UPDATE players SET synced_version = 0')
      state.storage.sql.exec('UPDATE sessions SET synced_version = 0')
      return room.syncToPostgres()
    })
    expect(outcome).toBe('synced')
    expect(
      await sqlRows('SELECT 1 FROM chat_messages WHERE instance_id = $1', [instanceId]),
    ).toHaveLength(1)
    expect(
      await sqlRows('SELECT 1 FROM active_sessions WHERE instance_id = $1', [instanceId]),
    ).toHaveLength(1)
    a.close()
  })
})

describe('InstanceRoom durability and HTTP', () => {
  it('keeps chat, environment, positions and the batch seq across a restart', async () => {
    const instanceId = await createInstance(alice.id)
    const a = await join(instanceId, alice, { owner: true })
    a.send(moveFrame(AT.south_east))
    a.send({ type: 'chat', text: 'remember me', scope: 'instance' })
    a.send({ type: 'env.set', environment: { weather: 'snow' } })
    await a.waitForEvent((e: any) => e.type === 'env', 'env echo')
    const lastSeq = Math.max(...a.received.filter((f) => f.type === 'batch').map((f) => f.seq))

    await abortAllDurableObjects()

    const again = await connect(instanceId, alice, { owner: true })
    const welcome = await again.greet()
    expect(welcome.seq).toBeGreaterThanOrEqual(lastSeq)
    expect(welcome.environment.weather).toBe('snow')
    expect(welcome.you.zone).toBe('south_east')
    const history = await gateway.chatHistory(instanceId, {})
    expect(history.items.map((m) => m.text)).toEqual(['remember me'])
    again.close()
  })

  it('rebuilds its players from storage and socket attachments when woken from hibernation', async () => {
    const instanceId = await createInstance(alice.id)
    const a = await join(instanceId, alice)
    const b = await join(instanceId, bob)
    a.send(moveFrame(AT.north_west))
    await b.waitForEvent((e: any) => e.type === 'move', 'move of alice')
    // A second object over the same state and sockets is what a hibernation wake-up constructs.
    const presence = await runInDurableObject(stubOf(instanceId), async (_room, state) => {
      const { InstanceRoom } = await import('../../durable-objects/instance-room')
      return new InstanceRoom(state, testEnv).presence()
    })
    const zones = Object.fromEntries(presence.players.map((p) => [p.user_id, p.zone]))
    expect(zones).toEqual({ [alice.id]: 'north_west', [bob.id]: 'center' })
    a.close()
    b.close()
  })

  it('replaces an older connection of the same player', async () => {
    const instanceId = await createInstance(alice.id)
    const first = await join(instanceId, alice)
    const second = await join(instanceId, alice)
    expect((await first.waitForClose()).code).toBe(1000)
    second.send({ type: 'ping' })
    await second.waitFor((f) => f.type === 'pong', 'pong on the new connection')
    expect(Object.keys(await presentUsers(instanceId))).toEqual([alice.id])
    second.close()
  })

  it('lists connected players with their zones in its presence', async () => {
    const instanceId = await createInstance(alice.id)
    const a = await join(instanceId, alice)
    a.send(moveFrame(AT.north_west))
    const presence = await waitUntil(
      () => stubOf(instanceId).presence(),
      ({ players }) => players[0]?.zone === 'north_west',
      'alice in north_west',
    )
    expect(presence).toEqual({
      instance_id: instanceId,
      players: [
        {
          user_id: alice.id,
          username: alice.username,
          zone: 'north_west',
          position: { x: -100, y: 0, z: 100 },
          activity: 'moving',
          character: null,
        },
      ],
      companions: [],
    })
    a.close()
  })

  it('refuses unknown paths, bad upgrades and bad RPC arguments with codes of the closed set', async () => {
    const instanceId = crypto.randomUUID()
    const stub = stubOf(instanceId)
    const refusal = async (res: Response) => ({ status: res.status, body: await res.json() })
    expect(await refusal(await stub.fetch('https://room/nope'))).toEqual({
      status: 404,
      body: { ok: false, error: { code: 'not_found', message: 'no route GET /nope' } },
    })
    const noHeader = await refusal(
      await stub.fetch('https://room/connect', { headers: { Upgrade: 'websocket' } }),
    )
    expect(noHeader).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } })
    const noUpgrade = await refusal(await stub.fetch('https://room/connect'))
    expect(noUpgrade).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } })
    const otherInstance = {
      instance_id: crypto.randomUUID(),
      user_id: alice.id,
      username: alice.username,
      permissions: { can_chat: true, can_change_environment: false },
      metadata: {},
    }
    await connect(instanceId, alice).then((client) => client.close())
    const wrongRoom = await refusal(
      await stub.fetch('https://room/connect', {
        headers: { Upgrade: 'websocket', [ROOM_CONNECTION_HEADER]: JSON.stringify(otherInstance) },
      }),
    )
    expect(wrongRoom).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } })

    expect(await stub.chatHistory({ limit: 0 })).toMatchObject({
      ok: false,
      error: { code: 'validation_error' },
    })
    for (const notice of [
      { type: 'visitor_left' },
      { type: 'instance_deleted', x: 1 },
      { type: 'visitor_left', userId: alice.id },
    ]) {
      expect(await stub.applyNotice(notice as any), JSON.stringify(notice)).toMatchObject({
        ok: false,
        error: { code: 'validation_error' },
      })
    }
  })

  it('keeps a player who was not the one evicted, and flushes when the last one goes', async () => {
    const instanceId = await createInstance(alice.id)
    const a = await join(instanceId, alice)
    const b = await join(instanceId, bob)
    const accepted = { ok: true, value: null }
    const stub = stubOf(instanceId)
    expect(await stub.applyNotice({ type: 'visitor_removed', user_id: bob.id })).toEqual(accepted)
    expect((await b.waitForClose()).code).toBe(CLOSE_REMOVED)
    await a.roundTrip()
    // An eviction of someone not connected changes nothing.
    expect(await stub.applyNotice({ type: 'visitor_left', user_id: carol.id })).toEqual(accepted)
    await a.roundTrip()
    expect(a.closeEvent).toBeNull()

    expect(await stub.applyNotice({ type: 'instance_deleted' })).toEqual(accepted)
    expect((await a.waitForClose()).code).toBe(CLOSE_INSTANCE_DELETED)
    const sessions = await sqlRows('SELECT 1 FROM active_sessions WHERE instance_id = $1', [
      instanceId,
    ])
    expect(sessions).toEqual([])
    const states = await sqlRows<{ user_id: string }>(
      'SELECT user_id FROM user_states WHERE instance_id = $1 ORDER BY user_id',
      [instanceId],
    )
    expect(states.map((row) => row.user_id)).toEqual([alice.id, bob.id].sort())
  })
})
