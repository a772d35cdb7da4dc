import { describe, expect, it } from 'vitest'
import { MAX_CHAT_CHARS, MAX_FRAME_BYTES } from '../../durable-objects/instance-room/config'
import {
  parseClientFrame,
  parseInstanceEnvironment,
  type ClientFrame,
  type ParseClientFrameResult,
} from '../../durable-objects/instance-room/protocol'

const validMove = {
  type: 'move',
  position: { x: -12.5, y: 1.8, z: 45.2 },
  velocity: { x: 1, y: 0, z: -2.5 },
  rotation: { x: 0, y: 0.7071, z: 0, w: 0.7071 },
  activity: 'moving',
}

function utf8Buffer(text: string): ArrayBuffer {
  const buffer = new ArrayBuffer(text.length * 3)
  const { written } = new TextEncoder().encodeInto(text, new Uint8Array(buffer))
  return buffer.slice(0, written)
}

function parse(frame: unknown): ParseClientFrameResult {
  return parseClientFrame(JSON.stringify(frame))
}

function expectRejected(frame: unknown, code = 'invalid_frame'): void {
  const result = parse(frame)
  expect(result.ok, JSON.stringify(result)).toBe(false)
  if (!result.ok) expect(result.code, result.message).toBe(code)
}

function expectAccepted(frame: unknown): ClientFrame {
  const result = parse(frame)
  if (!result.ok) throw new Error(`rejected ${JSON.stringify(frame)}: ${result.message}`)
  return result.frame
}

describe('parseClientFrame', () => {
  describe('accepts each valid frame', () => {
    it('accepts hello with and without last_seq', () => {
      expect(expectAccepted({ type: 'hello' })).toEqual({ type: 'hello' })
      expect(expectAccepted({ type: 'hello', last_seq: 0 })).toEqual({ type: 'hello', last_seq: 0 })
      expect(expectAccepted({ type: 'hello', last_seq: 42 })).toEqual({
        type: 'hello',
        last_seq: 42,
      })
    })

    it('accepts move with the seed JSONB shapes', () => {
      expect(expectAccepted(validMove)).toEqual(validMove)
    })

    it('quantizes movement to millimetres and rotations to 1e-4', () => {
      const frame = expectAccepted({
        ...validMove,
        position: { x: 1.23456789, y: -0.00049, z: 100.0005 },
        velocity: { x: 0.3333333, y: 0, z: -2.9999 },
        rotation: { x: 0, y: 0.70710678, z: 0, w: 0.70710678 },
      })
      expect(frame).toMatchObject({
        position: { x: 1.235, y: 0, z: 100.001 },
        velocity: { x: 0.333, y: 0, z: -3 },
        rotation: { x: 0, y: 0.7071, z: 0, w: 0.7071 },
      })
    })

    it("accepts move with the seed's optional position keys", () => {
      const move = {
        ...validMove,
        position: { x: 1, y: 2, z: 3, terrain_altitude: 1.5, relative_to: 'building_123' },
      }
      expect(expectAccepted(move)).toEqual(move)
    })

    it('accepts the identity rotation and every activity', () => {
      for (const activity of ['idle', 'moving', 'interacting']) {
        expectAccepted({ ...validMove, rotation: { x: 0, y: 0, z: 0, w: 1 }, activity })
      }
    })

    it('accepts chat and trims its text', () => {
      expect(expectAccepted({ type: 'chat', text: '  hello there  ', scope: 'zone' })).toEqual({
        type: 'chat',
        text: 'hello there',
        scope: 'zone',
      })
      expectAccepted({ type: 'chat', text: 'to everyone', scope: 'instance' })
    })

    it('accepts chat of exactly 500 characters, counting emoji as one each', () => {
      expectAccepted({ type: 'chat', text: 'a'.repeat(MAX_CHAT_CHARS), scope: 'zone' })
      expectAccepted({ type: 'chat', text: '🌅'.repeat(MAX_CHAT_CHARS), scope: 'zone' })
    })

    it('accepts emote', () => {
      expect(expectAccepted({ type: 'emote', name: 'wave' })).toEqual({
        type: 'emote',
        name: 'wave',
      })
    })

    it('accepts env.set with one key and with all four', () => {
      expectAccepted({ type: 'env.set', environment: { weather: 'rain' } })
      const full = {
        type: 'env.set',
        environment: {
          sky_preset: 'sunset',
          time_of_day: '18:30',
          weather: 'clear',
          lighting_mood: 'warm',
        },
      }
      expect(expectAccepted(full)).toEqual(full)
    })

    it('accepts ping', () => {
      expect(expectAccepted({ type: 'ping' })).toEqual({ type: 'ping' })
    })

    it('accepts a frame given as an ArrayBuffer of UTF-8', () => {
      const raw = utf8Buffer(JSON.stringify({ type: 'chat', text: 'héllo', scope: 'zone' }))
      const result = parseClientFrame(raw)
      expect(result).toEqual({ ok: true, frame: { type: 'chat', text: 'héllo', scope: 'zone' } })
    })
  })

  describe('rejects unknown keys', () => {
    it('rejects an unknown top-level key', () => {
      expectRejected({ type: 'ping', extra: 1 })
      expectRejected({ ...validMove, teleport: true })
    })

    it('rejects an unknown key inside position, velocity or rotation', () => {
      expectRejected({ ...validMove, position: { ...validMove.position, zone: 'center' } })
      expectRejected({ ...validMove, velocity: { ...validMove.velocity, w: 0 } })
      expectRejected({ ...validMove, rotation: { ...validMove.rotation, v: 0 } })
    })

    it('rejects server-owned environment keys', () => {
      expectRejected({
        type: 'env.set',
        environment: { weather: 'rain', last_changed_by: 'deity_freya' },
      })
    })

    it('rejects a __proto__ key', () => {
      const result = parseClientFrame('{"type":"ping","__proto__":{"admin":true}}')
      expect(result.ok).toBe(false)
    })
  })

  describe('rejects bad numbers', () => {
    it('rejects numbers that overflow to Infinity', () => {
      const result = parseClientFrame(
        '{"type":"move","position":{"x":1e400,"y":0,"z":0},"velocity":{"x":0,"y":0,"z":0},' +
          '"rotation":{"x":0,"y":0,"z":0,"w":1},"activity":"idle"}',
      )
      expect(result).toMatchObject({ ok: false, code: 'invalid_frame' })
    })

    it('rejects NaN and Infinity written as JSON literals (not JSON)', () => {
      expect(parseClientFrame('{"type":"hello","last_seq":NaN}')).toMatchObject({
        ok: false,
        code: 'malformed_json',
      })
      expect(parseClientFrame('{"type":"hello","last_seq":Infinity}')).toMatchObject({
        ok: false,
        code: 'malformed_json',
      })
    })

    it('rejects coordinates and speeds beyond their bounds', () => {
      expectRejected({ ...validMove, position: { x: 1e6, y: 0, z: 0 } })
      expectRejected({ ...validMove, position: { x: 0, y: -1e300, z: 0 } })
      expectRejected({ ...validMove, velocity: { x: 0, y: 0, z: 5_000 } })
    })

    it('rejects numbers given as strings', () => {
      expectRejected({ ...validMove, position: { x: '1', y: 0, z: 0 } })
    })

    it('rejects a rotation that is not a unit quaternion', () => {
      expectRejected({ ...validMove, rotation: { x: 0, y: 0, z: 0, w: 0 } })
      expectRejected({ ...validMove, rotation: { x: 1, y: 1, z: 0, w: 0 } })
      expectRejected({ ...validMove, rotation: { x: 0, y: 0, z: 0, w: 2 } })
    })

    it('rejects a negative, fractional or huge last_seq', () => {
      expectRejected({ type: 'hello', last_seq: -1 })
      expectRejected({ type: 'hello', last_seq: 1.5 })
      expectRejected({ type: 'hello', last_seq: 2 ** 60 })
    })

    it('rejects the camelCase lastSeq (frames are snake_case)', () => {
      expectRejected({ type: 'hello', lastSeq: 3 })
    })

    it('rejects an unknown activity', () => {
      expectRejected({ ...validMove, activity: 'flying' })
    })

    it('rejects a move without velocity', () => {
      const { velocity: _velocity, ...withoutVelocity } = validMove
      expectRejected(withoutVelocity)
    })
  })

  describe('rejects bad chat', () => {
    it('rejects chat over 500 characters', () => {
      const result = parse({ type: 'chat', text: 'a'.repeat(MAX_CHAT_CHARS + 1), scope: 'zone' })
      expect(result).toMatchObject({ ok: false, code: 'invalid_frame' })
      if (!result.ok) expect(result.message).toContain('500')
    })

    it('rejects chat that is empty after trimming', () => {
      expectRejected({ type: 'chat', text: '', scope: 'zone' })
      expectRejected({ type: 'chat', text: ' \n\t ', scope: 'zone' })
    })

    it('rejects chat containing NUL, which Postgres text cannot store', () => {
      expectRejected({ type: 'chat', text: 'a\u0000b', scope: 'zone' })
    })

    it('rejects chat without a valid scope', () => {
      expectRejected({ type: 'chat', text: 'hi' })
      expectRejected({ type: 'chat', text: 'hi', scope: 'world' })
    })
  })

  describe('rejects bad emote and env.set', () => {
    it('rejects emote names that are long strings or not slugs', () => {
      expectRejected({ type: 'emote', name: 'x'.repeat(33) })
      expectRejected({ type: 'emote', name: '<script>' })
      expectRejected({ type: 'emote', name: '' })
    })

    it('rejects env.set without any key', () => {
      expectRejected({ type: 'env.set', environment: {} })
      expectRejected({ type: 'env.set' })
    })

    it('rejects env.set with values outside their formats', () => {
      expectRejected({ type: 'env.set', environment: { time_of_day: '24:00' } })
      expectRejected({ type: 'env.set', environment: { time_of_day: '6pm' } })
      expectRejected({ type: 'env.set', environment: { weather: 'meteor_shower' } })
      expectRejected({ type: 'env.set', environment: { sky_preset: 'S'.repeat(10_000) } })
    })
  })

  describe('rejects frames by size and syntax', () => {
    it('rejects a frame over 16 KB before parsing it', () => {
      const raw = JSON.stringify({ type: 'chat', text: 'a'.repeat(MAX_FRAME_BYTES), scope: 'zone' })
      expect(parseClientFrame(raw)).toMatchObject({ ok: false, code: 'frame_too_large' })
      expect(parseClientFrame('{' + ' '.repeat(MAX_FRAME_BYTES))).toMatchObject({
        ok: false,
        code: 'frame_too_large',
      })
    })

    it('measures size in UTF-8 bytes, not characters', () => {
      // 6,000 three-byte characters: under 16 K characters, over 16 KB.
      const raw = JSON.stringify({ type: 'chat', text: '€'.repeat(6_000), scope: 'zone' })
      expect(raw.length).toBeLessThan(MAX_FRAME_BYTES)
      expect(parseClientFrame(raw)).toMatchObject({ ok: false, code: 'frame_too_large' })
    })

    it('accepts a frame of exactly 16 KB', () => {
      const frame = JSON.stringify({ type: 'ping' })
      const padded = frame + ' '.repeat(MAX_FRAME_BYTES - frame.length)
      expect(parseClientFrame(padded)).toEqual({ ok: true, frame: { type: 'ping' } })
      expect(parseClientFrame(padded + ' ')).toMatchObject({ ok: false, code: 'frame_too_large' })
    })

    it('rejects an ArrayBuffer over 16 KB', () => {
      expect(parseClientFrame(new ArrayBuffer(MAX_FRAME_BYTES + 1))).toMatchObject({
        ok: false,
        code: 'frame_too_large',
      })
    })

    it('rejects malformed JSON', () => {
      for (const raw of ['', '{', '{"type":"ping"', "{'type':'ping'}", 'ping']) {
        expect(parseClientFrame(raw), raw).toMatchObject({ ok: false, code: 'malformed_json' })
      }
    })

    it('rejects bytes that are not UTF-8', () => {
      const notUtf8 = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]).buffer
      expect(parseClientFrame(notUtf8)).toMatchObject({ ok: false, code: 'malformed_json' })
    })

    it('rejects an unknown type', () => {
      const result = parse({ type: 'teleport', position: { x: 0, y: 0, z: 0 } })
      expect(result).toMatchObject({ ok: false, code: 'invalid_frame' })
      if (!result.ok) expect(result.message).toContain('type')
    })

    it('rejects JSON that is not an object or has no type', () => {
      expectRejected([{ type: 'ping' }])
      expectRejected('ping')
      expectRejected(null)
      expectRejected({})
    })
  })
})

describe('parseInstanceEnvironment', () => {
  it('reads the seed example environment', () => {
    const metadata = {
      schema_version: 1,
      environment: {
        sky_preset: 'sunset',
        time_of_day: '18:30',
        weather: 'clear',
        lighting_mood: 'warm',
        last_changed_by: 'deity_freya',
        last_changed_at: 1727840500000,
      },
    }
    expect(parseInstanceEnvironment(metadata)).toEqual(metadata.environment)
  })

  it('drops invalid and unknown keys and keeps the rest', () => {
    expect(
      parseInstanceEnvironment({
        environment: { sky_preset: 'sunset', weather: 'lava', time_of_day: 1830, other: 'x' },
      }),
    ).toEqual({ sky_preset: 'sunset' })
  })

  it('returns an empty environment when metadata has none', () => {
    expect(parseInstanceEnvironment({})).toEqual({})
    expect(parseInstanceEnvironment(null)).toEqual({})
    expect(parseInstanceEnvironment({ environment: 'sunny' })).toEqual({})
  })
})
