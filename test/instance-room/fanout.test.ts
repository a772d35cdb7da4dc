import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  eventsFor,
  TickFanout,
  type Audience,
  type BlockPairs,
  type RoomEnvelope,
} from '../../durable-objects/instance-room/fanout'
import type { ServerEvent } from '../../durable-objects/instance-room/protocol'
import {
  PROTOCOL_V2,
  readBatchFrame,
  type MoverRecord,
} from '../../durable-objects/instance-room/wire'
import { ZONES, type Zone } from '../../durable-objects/instance-room/zones'

const USERS = ['u1', 'u2', 'u3', 'u4', 'u5']
const user = fc.constantFrom(...USERS)
const zone = fc.constantFrom<Zone>(...ZONES)

const audience: fc.Arbitrary<Audience> = fc.oneof(
  fc.constant({ kind: 'all' as const }),
  zone.map((z) => ({ kind: 'seers' as const, zone: z })),
  fc.uniqueArray(zone, { maxLength: 4 }).map((zones) => ({ kind: 'zones' as const, zones })),
  user.map((userId) => ({ kind: 'user' as const, userId })),
)

/** A move with its `nexus.v2` mover tag (the number is the user's index). */
const moveEnvelope: fc.Arbitrary<RoomEnvelope> = fc
  .record({
    user,
    zone,
    x: fc.integer({ min: -100_000, max: 100_000 }),
    changes: fc.integer({ min: 0, max: 0b1011 }),
    to: audience,
  })
  .map(({ user, zone, x, changes, to }) => ({
    event: {
      type: 'move' as const,
      user_id: user,
      zone,
      // The room never holds -0 (its quantization prints and re-reads every number).
      position: { x: x / 1000, y: 1.5, z: x === 0 ? 0 : -x / 1000 },
      velocity: { x: 1.25, y: 0, z: -0.5 },
      rotation: { x: 0, y: 0.7071, z: 0, w: 0.7071 },
      activity: 'moving' as const,
    },
    to,
    subject: user,
    mover: { kind: 'player' as const, number: USERS.indexOf(user) + 1, changes: changes & 0b1011 },
  }))

/** Envelopes as the room makes them: moves, chat with text that needs escaping, leaves. */
const envelope: fc.Arbitrary<RoomEnvelope> = fc.oneof(
  moveEnvelope,
  fc.record(
    {
      event: fc.oneof(
        fc.record({ type: fc.constant('leave' as const), user_id: user }),
        fc.record({
          type: fc.constant('emote' as const),
          user_id: user,
          name: fc.string({ maxLength: 6 }),
        }),
        fc.record({
          type: fc.constant('chat' as const),
          message_id: fc.constant('m'),
          user_id: user,
          scope: fc.constant('zone' as const),
          zone,
          text: fc.string({ maxLength: 6 }),
          sent_at_ms: fc.constant(1),
        }),
      ),
      to: audience,
      subject: user,
    },
    { requiredKeys: ['event', 'to'] },
  ),
)

/** What a `nexus.v2` frame says: its seq, JSON events as such, mover records in short. */
function readV2(frame: Uint8Array): { seq: number; events: unknown[] } {
  const decoded: { seq: number; events: unknown[] } = { seq: -1, events: [] }
  const text = new TextDecoder()
  readBatchFrame(frame, {
    seq: (seq) => (decoded.seq = seq),
    mover: (record) => decoded.events.push(moverOf(record)),
    json: (bytes) => decoded.events.push(JSON.parse(text.decode(bytes))),
  })
  return decoded
}

function moverOf(record: MoverRecord) {
  return { number: record.number, position: record.position, velocity: record.velocity }
}

/** The v2 reading of the events `expected` (moves as their mover records). */
function asV2(envelopes: RoomEnvelope[], expected: ServerEvent[]): unknown[] {
  return expected.map((event) => {
    const envelope = envelopes.find((e) => e.event === event)!
    if (event.type !== 'move') return event
    const hasVelocity = (envelope.mover!.changes & 1) !== 0
    return {
      number: envelope.mover!.number,
      position: event.position,
      velocity: hasVelocity ? event.velocity : undefined,
    }
  })
}

const viewer = fc.record({ userId: fc.constantFrom(...USERS, 'outsider'), zone })

describe('TickFanout', () => {
  it('gives every viewer exactly the events deliversTo selects, in order', () => {
    fc.assert(
      fc.property(
        fc.array(envelope, { maxLength: 40 }),
        fc.array(viewer, { maxLength: 12 }),
        (envelopes, viewers) => {
          const fanout = new TickFanout(7, envelopes)
          for (const v of viewers) {
            const expected = eventsFor(envelopes, v)
            const frame = fanout.frameFor(v)
            const binary = fanout.frameFor(v, PROTOCOL_V2)
            if (expected.length === 0) {
              expect(frame).toBeNull()
              expect(binary).toBeNull()
            } else {
              expect(JSON.parse(frame as string)).toEqual({
                type: 'batch',
                seq: 7,
                events: expected,
              })
              expect(readV2(binary as Uint8Array)).toEqual({
                seq: 7,
                events: asV2(envelopes, expected),
              })
            }
          }
        },
      ),
      { numRuns: 500 },
    )
  })

  it("leaves out a viewer's own events at the start, middle and end of its zone's batch", () => {
    const move = (userId: string, x: number): RoomEnvelope => ({
      event: { type: 'leave', user_id: `${userId}:${x}` },
      to: { kind: 'seers', zone: 'center' },
      subject: userId,
    })
    const envelopes = [move('a', 1), move('b', 2), move('a', 3), move('c', 4), move('a', 5)]
    const frame = new TickFanout(1, envelopes).frameFor({ userId: 'a', zone: 'center' })
    expect(JSON.parse(frame as string).events.map((e: { user_id: string }) => e.user_id)).toEqual([
      'b:2',
      'c:4',
    ])
    const onlyOwn = new TickFanout(2, [move('a', 1)]).frameFor({ userId: 'a', zone: 'north' })
    expect(onlyOwn).toBeNull()
  })

  /** Symmetric block pairs among the test users. */
  const blockPairs: fc.Arbitrary<BlockPairs> = fc
    .uniqueArray(fc.tuple(user, user), { maxLength: 4 })
    .map((pairs) => {
      const map = new Map<string, Set<string>>()
      for (const [a, b] of pairs) {
        if (a === b) continue
        if (!map.has(a)) map.set(a, new Set())
        if (!map.has(b)) map.set(b, new Set())
        map.get(a)!.add(b)
        map.get(b)!.add(a)
      }
      return map
    })

  it('never delivers chat or emotes between a blocked pair, and otherwise what deliversTo selects', () => {
    fc.assert(
      fc.property(
        fc.array(envelope, { maxLength: 40 }),
        fc.array(viewer, { maxLength: 12 }),
        blockPairs,
        (envelopes, viewers, blocks) => {
          const fanout = new TickFanout(9, envelopes, blocks)
          for (const v of viewers) {
            const blocked = blocks.get(v.userId)
            const expected = eventsFor(envelopes, v, blocked)
            const frame = fanout.frameFor(v)
            const events = frame === null ? [] : JSON.parse(frame as string).events
            expect(events).toEqual(expected)
            const binary = fanout.frameFor(v, PROTOCOL_V2)
            const records = binary === null ? [] : readV2(binary as Uint8Array).events
            expect(records).toEqual(asV2(envelopes, expected))
            for (const event of events) {
              if (event.type === 'chat' || event.type === 'emote') {
                expect(blocked?.has(event.user_id) ?? false).toBe(false)
              }
            }
          }
        },
      ),
      { numRuns: 500 },
    )
  })

  it("cuts a blocked sender's chat out of the zone's batch and keeps everyone else's", () => {
    const chat = (userId: string, text: string): RoomEnvelope => ({
      event: {
        type: 'chat',
        message_id: text,
        user_id: userId,
        scope: 'instance',
        zone: 'center',
        text,
        sent_at_ms: 1,
      },
      to: { kind: 'all' },
    })
    const envelopes = [chat('x', 'one'), chat('y', 'two'), chat('x', 'three'), chat('z', 'four')]
    const blocks: BlockPairs = new Map([
      ['a', new Set(['x'])],
      ['x', new Set(['a'])],
    ])
    const fanout = new TickFanout(3, envelopes, blocks)
    const texts = (userId: string) =>
      JSON.parse(fanout.frameFor({ userId, zone: 'center' }) as string).events.map(
        (e: any) => e.text,
      )
    expect(texts('a')).toEqual(['two', 'four'])
    expect(texts('b')).toEqual(['one', 'two', 'three', 'four'])
    expect(texts('x')).toEqual(['one', 'two', 'three', 'four'])
  })
})
