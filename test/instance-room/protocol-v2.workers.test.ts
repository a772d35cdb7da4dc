/**
 * Both room subprotocols through the real Worker entrance (`SELF.fetch` upgrades): `nexus.v2`
 * clients get binary batches whose mover records decode (wire.ts, the SDK's RoomCodec) to exactly
 * what a `nexus.v1` client reads as JSON; chat and control frames stay JSON; a malformed binary
 * frame is refused with an error frame; a room at its player cap closes newcomers with 4013.
 */
import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { RoomCodec } from '../../client/room/codec'
import { CLOSE_ROOM_FULL } from '../../durable-objects/instance-room/config'
import type { ServerEvent } from '../../durable-objects/instance-room/protocol'
import {
  encodeClientMove,
  MOVER_ZONE,
  readBatchFrame,
  type MoverRecord,
} from '../../durable-objects/instance-room/wire'
import { registerPlayer, type Player } from '../support/api'
import { createInstance, enterRoom } from '../support/instances'
import { sleep } from '../support/room-client'

/** A frame as received: JSON text, or the bytes of a binary frame. */
type Received = { text: any } | { binary: Uint8Array }

/** A raw room socket that keeps text and binary frames apart (the test's own view of the wire). */
class WireSocket {
  readonly received: Received[] = []
  closeEvent: { code: number; reason: string } | null = null
  /** The SDK's decoder, fed every frame in order (v2 state: numbers, unchanged parts). */
  readonly codec = new RoomCodec()
  readonly decoded: any[] = []

  constructor(
    readonly ws: WebSocket,
    readonly protocol: string | null,
  ) {
    this.codec.opened(protocol ?? '')
    // Binary frames as ArrayBuffers (workerd's default is Blob).
    ;(ws as unknown as { binaryType: string }).binaryType = 'arraybuffer'
    ws.addEventListener('message', (event) => {
      const data = event.data
      if (typeof data === 'string') this.received.push({ text: JSON.parse(data) })
      else this.received.push({ binary: new Uint8Array(data as ArrayBuffer) })
      this.decoded.push(this.codec.decode(data as string | ArrayBuffer))
    })
    ws.addEventListener('close', (event) => {
      this.closeEvent = { code: event.code, reason: event.reason }
    })
  }

  send(frame: unknown): void {
    this.ws.send(
      typeof frame === 'string' || frame instanceof Uint8Array ? frame : JSON.stringify(frame),
    )
  }

  texts(): any[] {
    return this.received.flatMap((r) => ('text' in r ? [r.text] : []))
  }

  binaries(): Uint8Array[] {
    return this.received.flatMap((r) => ('binary' in r ? [r.binary] : []))
  }

  /** Every event the SDK decoded, in order. */
  events(): ServerEvent[] {
    return this.decoded.filter((m) => m.type === 'batch').flatMap((m) => m.events)
  }

  async waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = find()
      if (found !== undefined) return found
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.decoded)}`)
      }
      await sleep(10)
    }
  }

  waitForEvent(predicate: (event: any) => boolean, what: string): Promise<any> {
    return this.waitFor(() => this.events().find(predicate), what)
  }

  /** Sends ping and waits for its pong: every frame sent before it has then arrived. */
  async roundTrip(): Promise<void> {
    const pongs = () => this.texts().filter((f) => f.type === 'pong').length
    const before = pongs()
    this.send({ type: 'ping' })
    await this.waitFor(() => (pongs() > before ? true : undefined), 'pong')
  }

  waitForClose(): Promise<{ code: number; reason: string }> {
    return this.waitFor(() => this.closeEvent ?? undefined, 'close')
  }
}

/** Opens the room through the Worker offering `offered` (null: the token as `?token=`). */
async function openRoom(player: Player, instanceId: string, offered: string[] | null) {
  const url = `http://nexus.test/v1/instances/${instanceId}/ws`
  const res =
    offered === null
      ? await SELF.fetch(`${url}?token=${player.token}`, { headers: { Upgrade: 'websocket' } })
      : await SELF.fetch(url, {
          headers: {
            Upgrade: 'websocket',
            'Sec-WebSocket-Protocol': [...offered, `bearer.${player.token}`].join(', '),
          },
        })
  expect(res.status, res.status === 101 ? '' : await res.text()).toBe(101)
  const ws = res.webSocket!
  ws.accept()
  return new WireSocket(ws, res.headers.get('Sec-WebSocket-Protocol'))
}

/** Opens the room, says hello and waits for the welcome. */
async function enter(player: Player, instanceId: string, offered: string[] | null) {
  const socket = await openRoom(player, instanceId, offered)
  socket.send({ type: 'hello' })
  const welcome = await socket.waitFor(
    () => socket.texts().find((f) => f.type === 'welcome'),
    'welcome',
  )
  return { socket, welcome }
}

/** Every mover record of every binary batch received. */
function moverRecords(socket: WireSocket): MoverRecord[] {
  const records: MoverRecord[] = []
  for (const bytes of socket.binaries()) {
    readBatchFrame(bytes, { seq: () => undefined, mover: (r) => records.push(r), json: () => {} })
  }
  return records
}

/** Every event carried as a JSON record in binary batches. */
function jsonRecords(socket: WireSocket): any[] {
  const events: any[] = []
  const utf8 = new TextDecoder()
  for (const bytes of socket.binaries()) {
    readBatchFrame(bytes, {
      seq: () => undefined,
      mover: () => {},
      json: (json) => events.push(JSON.parse(utf8.decode(json))),
    })
  }
  return events
}

const V2 = ['nexus.v2', 'nexus.v1']

describe('GET /v1/instances/{id}/ws (nexus.v2)', () => {
  it('sends a v2 client binary moves that decode to what a v1 client reads as JSON', async () => {
    const owner = await registerPlayer('v2own')
    const watcherV2 = await registerPlayer('v2w')
    const watcherV1 = await registerPlayer('v1w')
    const mover = await registerPlayer('v2m')
    const { id } = await createInstance(owner)

    const w2 = await enter(watcherV2, id, V2)
    expect(w2.socket.protocol).toBe('nexus.v2')
    expect(typeof w2.welcome.you.number, JSON.stringify(w2.welcome)).toBe('number')
    const v1 = await enterRoom(watcherV1, id)
    const m = await enter(mover, id, V2)
    const numbers = new Set([w2.welcome.you.number, m.welcome.you.number])
    expect(numbers.size, 'each player has its own number').toBe(2)
    // The welcome names the players in view with their numbers.
    const inWelcome = m.welcome.players.find((p: any) => p.user_id === watcherV2.id)
    expect(inWelcome?.number).toBe(w2.welcome.you.number)

    // The mover's arrival: an enter event with its number, a JSON record inside a binary batch.
    await w2.socket.waitForEvent(
      (e) => e.type === 'enter' && e.player.user_id === mover.id,
      'enter of the mover',
    )
    const enterRecord = jsonRecords(w2.socket).find(
      (e) => e.type === 'enter' && e.player.user_id === mover.id,
    )
    expect(enterRecord?.player.number).toBe(m.welcome.you.number)
    expect(
      w2.socket.texts().some((f) => f.type === 'batch'),
      'no JSON batch on v2',
    ).toBe(false)

    // A binary move (negative coordinates, millimetres, a yaw rotation, a velocity).
    const first = {
      position: { x: -12.345, y: 1.5, z: -20.001 },
      velocity: { x: 1.25, y: 0, z: -2 },
      rotation: { x: 0, y: 0.7071, z: 0, w: 0.7071 },
      activity: 'moving' as const,
    }
    m.socket.send(m.socket.codec.encode({ type: 'move', ...first }))
    const seenV1 = await v1.waitForEvent(
      (e) => e.type === 'move' && e.user_id === mover.id,
      'the move as JSON',
    )
    const seenV2 = await w2.socket.waitForEvent(
      (e) => e.type === 'move' && e.user_id === mover.id,
      'the move decoded from binary',
    )
    expect(seenV2).toEqual(seenV1)
    expect(seenV1).toMatchObject({ position: first.position, rotation: first.rotation })
    const [record] = moverRecords(w2.socket)
    expect(record.number).toBe(m.welcome.you.number)
    expect(record.velocity).toEqual(first.velocity)

    // The next move keeps velocity and rotation and crosses into the east zone: the record
    // carries only the position and the zone.
    m.socket.send(
      m.socket.codec.encode({ type: 'move', ...first, position: { x: 60, y: 0, z: 0 } }),
    )
    const crossedV1 = await v1.waitForEvent(
      (e) => e.type === 'move' && e.user_id === mover.id && e.position.x === 60,
      'the second move as JSON',
    )
    const crossedV2 = await w2.socket.waitForEvent(
      (e) => e.type === 'move' && e.user_id === mover.id && e.position.x === 60,
      'the second move decoded',
    )
    expect(crossedV1.zone).toBe('east')
    expect(crossedV2).toEqual(crossedV1)
    const second = moverRecords(w2.socket).at(-1)!
    expect(second.zone).toBe('east')
    expect(second.velocity).toBeUndefined()
    expect(second.rotation).toBeUndefined()
    const lastBatch = w2.socket.binaries().at(-1)!
    expect(lastBatch.length, 'the batch is a few bytes').toBeLessThan(32)

    // Chat stays a JSON event (a JSON record on v2), control frames stay text.
    m.socket.send({ type: 'chat', text: 'hello both', scope: 'instance' })
    const chatV2 = await w2.socket.waitForEvent((e) => e.type === 'chat', 'chat on v2')
    const chatV1 = await v1.waitForEvent((e) => e.type === 'chat', 'chat on v1')
    expect(chatV2).toEqual(chatV1)
    expect(jsonRecords(w2.socket).some((e) => e.type === 'chat')).toBe(true)
    await w2.socket.roundTrip()
    expect(w2.socket.texts().some((f) => f.type === 'pong')).toBe(true)
  })

  it('speaks JSON only to a client that offers nexus.v1, or no subprotocol', async () => {
    const owner = await registerPlayer('v1own')
    const onlyV1 = await registerPlayer('v1only')
    const none = await registerPlayer('v1none')
    const mover = await registerPlayer('v1mov')
    const { id } = await createInstance(owner)
    const a = await enter(onlyV1, id, ['nexus.v1'])
    const b = await enter(none, id, null)
    expect(a.socket.protocol).toBe('nexus.v1')
    expect(b.socket.protocol).toBeNull()
    const m = await enter(mover, id, V2)
    m.socket.send(
      m.socket.codec.encode({
        type: 'move',
        position: { x: 3, y: 0, z: 4 },
        velocity: { x: 0, y: 0, z: 0 },
        rotation: { x: 0, y: 0, z: 0, w: 1 },
        activity: 'moving',
      }),
    )
    for (const socket of [a.socket, b.socket]) {
      const move = await socket.waitForEvent(
        (e) => e.type === 'move' && e.user_id === mover.id,
        'the move',
      )
      expect(move.position).toEqual({ x: 3, y: 0, z: 4 })
      expect(socket.binaries(), 'no binary frame to a JSON client').toEqual([])
      const enterEvent = socket
        .events()
        .find((e: any) => e.type === 'enter' && e.player.user_id === mover.id)
      expect((enterEvent as any)?.player.number).toBe(m.welcome.you.number)
    }
  })

  it('refuses malformed binary frames with error frames, then closes like for JSON', async () => {
    const owner = await registerPlayer('v2bad')
    const watcher = await registerPlayer('v2badw')
    const { id } = await createInstance(owner)
    const { socket } = await enter(owner, id, V2)
    const seen = await enter(watcher, id, V2)
    const move = encodeClientMove({ position: { x: 1, y: 0, z: 1 }, activity: 'moving' })
    const malformed = [
      move.slice(0, 6), // ends inside the position
      Uint8Array.of(0x7f, 0x00), // an unknown frame kind
      Uint8Array.of(0x01, MOVER_ZONE, ...move.slice(2)), // a client move naming a zone
      Uint8Array.of(...move, 0x00), // bytes after the move
    ]
    for (const bytes of malformed) socket.send(bytes)
    // The test pool may run a socket's message handlers out of order: wait for all four answers.
    const errorFrames = () => socket.texts().filter((f) => f.type === 'error')
    const errors = await socket.waitFor(
      () => (errorFrames().length >= malformed.length ? errorFrames() : undefined),
      'an error frame for each malformed frame',
    )
    expect(errors.map((e) => e.message).sort()).toEqual([
      'binary move: a client move carries no zone',
      'binary move: bytes after the move',
      'binary move: frame ends inside a field',
      'binary move: unknown client frame kind',
    ])
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['invalid_frame']))
    // The socket stays: a valid move still goes through.
    socket.send(socket.codec.encode({ type: 'move', ...validMove(5, 5) }))
    const moved = await seen.socket.waitForEvent(
      (e) => e.type === 'move' && e.user_id === owner.id,
      'the valid move',
    )
    expect(moved.position).toEqual({ x: 5, y: 0, z: 5 })
    // A position out of bounds passes the wire and fails the checks a JSON move fails; it is
    // the fifth bad frame, which closes the socket as for JSON clients.
    socket.send(encodeClientMove({ position: { x: 2_000_000, y: 0, z: 0 }, activity: 'moving' }))
    const close = await socket.waitForClose()
    expect(close.code).toBe(1008)
    const last = socket
      .texts()
      .filter((f) => f.type === 'error')
      .at(-1)
    expect(last.message).toMatch(/^position/)
  })

  it('refuses a binary frame from a nexus.v1 client as JSON that does not parse', async () => {
    const owner = await registerPlayer('v1bin')
    const { id } = await createInstance(owner)
    const { socket } = await enter(owner, id, ['nexus.v1'])
    socket.send(encodeClientMove({ position: { x: 1, y: 0, z: 1 }, activity: 'moving' }))
    const error = await socket.waitFor(
      () => socket.texts().find((f) => f.type === 'error'),
      'the error frame',
    )
    expect(error.code, JSON.stringify(socket.texts())).toMatch(/malformed_json|invalid_frame/)
    expect(socket.closeEvent).toBeNull()
  })
})

function validMove(x: number, z: number) {
  return {
    position: { x, y: 0, z },
    velocity: { x: 0, y: 0, z: 0 },
    rotation: { x: 0, y: 0, z: 0, w: 1 },
    activity: 'moving' as const,
  }
}

describe('GET /v1/instances/{id}/ws (room_full)', () => {
  it('closes a player past the room cap with 4013 room_full, and lets a member reconnect', async () => {
    const owner = await registerPlayer('fullown')
    const second = await registerPlayer('full2')
    const third = await registerPlayer('full3')
    const { id } = await createInstance(owner, {
      metadata: { custom_properties: { max_live_players: 2 } },
    })
    const a = await enter(owner, id, V2)
    await enter(second, id, ['nexus.v1'])
    const refused = await openRoom(third, id, V2)
    const close = await refused.waitForClose()
    expect(close.code).toBe(CLOSE_ROOM_FULL)
    expect(close.reason).toMatch(/^room_full: .*2 players/)
    // A player already inside replacing their own connection is not refused for the count.
    const again = await enter(owner, id, V2)
    expect(again.welcome.you.user_id).toBe(owner.id)
    await a.socket.waitForClose()
  })
})
