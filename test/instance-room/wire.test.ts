/**
 * `nexus.v2` bytes (durable-objects/instance-room/wire.ts, docs/protocol-v2.md): round trips of
 * mover records, JSON records and client moves over the whole range the room accepts, the exact
 * bytes of the documented examples, and malformed frames refused with `WireError`.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  MAX_COORDINATE_METERS,
  MAX_VELOCITY_METERS_PER_SECOND,
} from '../../durable-objects/instance-room/config'
import {
  ACTIVITIES,
  encodeBatchHeader,
  encodeClientMove,
  encodeJsonRecord,
  encodeMoverRecord,
  MAX_MOVER_NUMBER,
  MOVER_ROTATION,
  MOVER_VELOCITY,
  MOVER_ZONE,
  peekBinarySeq,
  readBatchFrame,
  readClientMove,
  RECORD_EXTENSION,
  WireError,
  type MoverRecord,
  type MoverState,
} from '../../durable-objects/instance-room/wire'
import { ZONES } from '../../durable-objects/instance-room/zones'
import { joinBytes } from '../../functions/lib/encoding'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

/** Everything a batch frame decodes to. */
function decodeBatch(bytes: Uint8Array) {
  const out = { seq: -1, movers: [] as MoverRecord[], json: [] as unknown[], extensions: 0 }
  readBatchFrame(bytes, {
    seq: (seq) => (out.seq = seq),
    mover: (record) => out.movers.push(record),
    json: (json) => out.json.push(JSON.parse(new TextDecoder().decode(json))),
    extension: () => (out.extensions += 1),
  })
  return out
}

/** A value on a grid of `1 / per` units within ±max, as the room's quantization gives it. */
const onGrid = (max: number, per: number) =>
  fc.integer({ min: -max * per, max: max * per }).map((n) => n / per)

const positionArb = fc.record({
  x: onGrid(MAX_COORDINATE_METERS, 1000),
  y: onGrid(MAX_COORDINATE_METERS, 1000),
  z: onGrid(MAX_COORDINATE_METERS, 1000),
})
const velocityArb = fc.record({
  x: onGrid(MAX_VELOCITY_METERS_PER_SECOND, 1000),
  y: onGrid(MAX_VELOCITY_METERS_PER_SECOND, 1000),
  z: onGrid(MAX_VELOCITY_METERS_PER_SECOND, 1000),
})
const component = onGrid(1, 10_000)
const rotationArb = fc.oneof(
  fc.record({ x: component, y: component, z: component, w: component }),
  fc.record({ x: fc.constant(0), y: component, z: fc.constant(0), w: component }),
)
const stateArb: fc.Arbitrary<MoverState> = fc.record({
  position: positionArb,
  velocity: velocityArb,
  rotation: rotationArb,
  activity: fc.constantFrom(...ACTIVITIES),
  zone: fc.constantFrom(...ZONES),
})
const changesArb = fc.subarray([MOVER_VELOCITY, MOVER_ROTATION, MOVER_ZONE]).map((flags) => {
  return flags.reduce((a, b) => a | b, 0)
})

describe('nexus.v2 mover records', () => {
  it('decode to the state encoded, with only the parts that changed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_MOVER_NUMBER }),
        stateArb,
        changesArb,
        fc.constantFrom('player' as const, 'entity' as const),
        fc.nat({ max: 2 ** 53 - 1 }),
        (number, state, changes, kind, seq) => {
          const frame = joinBytes([
            encodeBatchHeader(seq),
            encodeMoverRecord(kind, number, state, changes),
          ])
          const decoded = decodeBatch(frame)
          expect(decoded.seq).toBe(seq)
          expect(peekBinarySeq(frame)).toBe(seq)
          expect(decoded.movers).toEqual([
            {
              kind,
              number,
              position: state.position,
              velocity: changes & MOVER_VELOCITY ? state.velocity : undefined,
              rotation: changes & MOVER_ROTATION ? state.rotation : undefined,
              zone: changes & MOVER_ZONE ? state.zone : undefined,
              activity: state.activity,
            },
          ])
        },
      ),
    )
  })

  it('keeps records in order between JSON records and skips unknown extensions', () => {
    const state: MoverState = {
      position: { x: -150, y: 0.001, z: 149.999 },
      velocity: { x: 0, y: 0, z: 0 },
      rotation: { x: 0, y: 0, z: 0, w: 1 },
      activity: 'idle',
      zone: 'south_west',
    }
    const frame = joinBytes([
      encodeBatchHeader(300),
      encodeJsonRecord('{"type":"chat","text":"é"}'),
      encodeMoverRecord('player', 7, state, MOVER_ZONE),
      Uint8Array.of(RECORD_EXTENSION | 5, 2, 0xaa, 0xbb),
      encodeJsonRecord('{"type":"left","user_id":"u"}'),
    ])
    const decoded = decodeBatch(frame)
    expect(decoded.json).toEqual([
      { type: 'chat', text: 'é' },
      { type: 'left', user_id: 'u' },
    ])
    expect(decoded.movers.map((m) => [m.number, m.zone, m.position])).toEqual([
      [7, 'south_west', state.position],
    ])
    expect(decoded.extensions).toBe(1)
  })

  it('takes 15 bytes for a position-only move and 4 more for a yaw-only rotation', () => {
    const state: MoverState = {
      position: { x: 1.5, y: 0, z: -2.25 },
      velocity: { x: 1, y: 0, z: 0 },
      rotation: { x: 0, y: 0.7071, z: 0, w: 0.7071 },
      activity: 'moving',
      zone: 'center',
    }
    expect(encodeMoverRecord('player', 3, state, 0)).toHaveLength(15)
    expect(encodeMoverRecord('player', 3, state, MOVER_ROTATION)).toHaveLength(19)
    const tilted = { ...state, rotation: { x: 0.5, y: 0.5, z: 0.5, w: 0.5 } }
    expect(encodeMoverRecord('player', 3, tilted, MOVER_ROTATION)).toHaveLength(23)
  })

  it('encodes the documented examples byte for byte (docs/protocol-v2.md)', () => {
    const state: MoverState = {
      position: { x: 1.5, y: 0, z: -2.25 },
      velocity: { x: 1, y: 0, z: -0.5 },
      rotation: { x: 0, y: 0.7071, z: 0, w: 0.7071 },
      activity: 'moving',
      zone: 'east',
    }
    expect(hex(encodeBatchHeader(300))).toBe('01ac02')
    expect(hex(encodeMoverRecord('player', 3, state, 0))).toBe('100300dc0500000000000036f7ffff')
    expect(
      hex(encodeMoverRecord('player', 3, state, MOVER_VELOCITY | MOVER_ROTATION | MOVER_ZONE)),
    ).toBe('1f0300dc0500000000000036f7ffffd00f00e7079f1b9f1b05')
    expect(hex(encodeJsonRecord('{"type":"left","user_id":"u"}'))).toBe(
      '801d7b2274797065223a226c656674222c22757365725f6964223a2275227d',
    )
    expect(
      hex(
        encodeClientMove({
          position: { x: 1.5, y: 0, z: -2.25 },
          rotation: { x: 0, y: 0.7071, z: 0, w: 0.7071 },
          activity: 'moving',
        }),
      ),
    ).toBe('0116dc0500000000000036f7ffff9f1b9f1b')
  })
})

describe('nexus.v2 client moves', () => {
  it('decode to what was encoded, leaving out what the client left out', () => {
    fc.assert(
      fc.property(
        stateArb,
        fc.boolean(),
        fc.boolean(),
        ({ position, velocity, rotation, activity }, withVelocity, withRotation) => {
          const move = readClientMove(
            encodeClientMove({
              position,
              velocity: withVelocity ? velocity : undefined,
              rotation: withRotation ? rotation : undefined,
              activity,
            }),
          )
          expect(move.position).toEqual(position)
          expect(move.velocity).toEqual(withVelocity ? velocity : undefined)
          expect(move.rotation).toEqual(withRotation ? rotation : undefined)
          expect(move.activity).toBe(activity)
          expect(move.zone).toBeUndefined()
        },
      ),
    )
  })

  it('rounds to the millimetre and to 1e-4 of a quaternion component', () => {
    const move = readClientMove(
      encodeClientMove({
        position: { x: -0.0016, y: 2.0004, z: 12.3456 },
        rotation: { x: 0, y: 0.70712, z: 0, w: 0.70708 },
        activity: 'idle',
      }),
    )
    expect(move.position).toEqual({ x: -0.002, y: 2, z: 12.346 })
    expect(move.rotation).toEqual({ x: 0, y: 0.7071, z: 0, w: 0.7071 })
  })

  it('refuses every truncation of a move, a zone, trailing bytes and unknown kinds', () => {
    const full = encodeClientMove({
      position: { x: -1, y: 2, z: 3 },
      velocity: { x: -1000, y: 0, z: 1000 },
      rotation: { x: 0.5, y: 0.5, z: 0.5, w: 0.5 },
      activity: 'interacting',
    })
    for (let length = 0; length < full.length; length++) {
      expect(() => readClientMove(full.slice(0, length)), `length ${length}`).toThrow(WireError)
    }
    expect(() => readClientMove(Uint8Array.of(...full, 0))).toThrow('bytes after the move')
    const withZone = Uint8Array.of(full[0], full[1] | MOVER_ZONE, ...full.slice(2), 0)
    expect(() => readClientMove(withZone)).toThrow('a client move carries no zone')
    expect(() => readClientMove(Uint8Array.of(2, 0))).toThrow('unknown client frame kind')
    const activity3 = Uint8Array.of(full[0], full[1] | 0b11_0000, ...full.slice(2))
    expect(() => readClientMove(activity3)).toThrow('unknown activity code')
    const yawOnly = Uint8Array.of(1, 0b0100, ...full.slice(2, 14))
    expect(() => readClientMove(yawOnly)).toThrow('yaw flag without rotation')
  })

  it('refuses a varint longer than 8 bytes and an unknown zone in a batch', () => {
    expect(() => decodeBatch(Uint8Array.of(1, ...new Array(9).fill(0x80)))).toThrow(
      'varint longer than 8 bytes',
    )
    const record = encodeMoverRecord(
      'player',
      1,
      {
        position: { x: 0, y: 0, z: 0 },
        velocity: { x: 0, y: 0, z: 0 },
        rotation: { x: 0, y: 0, z: 0, w: 1 },
        activity: 'idle',
        zone: 'center',
      },
      MOVER_ZONE,
    )
    record[record.length - 1] = 9
    expect(() => decodeBatch(joinBytes([encodeBatchHeader(1), record]))).toThrow(
      'unknown zone index',
    )
    expect(() => decodeBatch(Uint8Array.of(2))).toThrow('not a batch frame')
    expect(peekBinarySeq(Uint8Array.of(2, 1))).toBeNull()
  })
})
