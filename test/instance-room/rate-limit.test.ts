import { describe, expect, it } from 'vitest'
import { CLIENT_FRAME_BURST } from '../../durable-objects/instance-room/config'
import { TokenBucket } from '../../durable-objects/instance-room/rate-limit'

const limits = { tokensPerSecond: 10, burst: 5 }

function takeMany(bucket: TokenBucket, count: number, nowMs: number): number {
  let allowed = 0
  for (let i = 0; i < count; i++) if (bucket.take(nowMs)) allowed++
  return allowed
}

describe('TokenBucket', () => {
  it('allows the burst then drops', () => {
    const bucket = TokenBucket.full(1_000, limits)
    expect(takeMany(bucket, 5, 1_000)).toBe(5)
    expect(bucket.take(1_000)).toBe(false)
    expect(bucket.take(1_000)).toBe(false)
    expect(bucket.droppedFrames).toBe(2)
  })

  it('uses the client frame burst from config by default', () => {
    const bucket = TokenBucket.full(0)
    expect(takeMany(bucket, CLIENT_FRAME_BURST + 10, 0)).toBe(CLIENT_FRAME_BURST)
    expect(bucket.droppedFrames).toBe(10)
  })

  it('refills over time at the configured rate', () => {
    const bucket = TokenBucket.full(0, limits)
    takeMany(bucket, 5, 0)
    expect(bucket.take(0)).toBe(false)
    // 10 tokens per second: one token every 100 ms.
    expect(bucket.take(99)).toBe(false)
    expect(bucket.take(100)).toBe(true)
    expect(bucket.take(100)).toBe(false)
    expect(takeMany(bucket, 10, 400)).toBe(3)
  })

  it('never holds more than the burst after a long idle time', () => {
    const bucket = TokenBucket.full(0, limits)
    takeMany(bucket, 5, 0)
    expect(takeMany(bucket, 100, 3_600_000)).toBe(5)
  })

  it('does not mint tokens when the clock goes backwards', () => {
    const bucket = TokenBucket.full(10_000, limits)
    takeMany(bucket, 5, 10_000)
    expect(bucket.take(5_000)).toBe(false)
    // Time moved back then forward to where it was: still no refill since 10 000 ms.
    expect(bucket.take(10_000)).toBe(false)
    expect(bucket.take(10_100)).toBe(true)
  })

  it('keeps its tokens when the clock goes backwards', () => {
    const bucket = TokenBucket.full(10_000, limits)
    expect(takeMany(bucket, 5, 5_000)).toBe(5)
    expect(bucket.take(5_000)).toBe(false)
  })

  it('round-trips through a plain state object, as in a WebSocket attachment', () => {
    const bucket = TokenBucket.full(0, limits)
    takeMany(bucket, 7, 0)
    const stored = JSON.parse(JSON.stringify(bucket.toState()))
    expect(stored).toEqual({ tokens: 0, refilledAtMs: 0, droppedFrames: 2 })

    const restored = new TokenBucket(stored, limits)
    expect(restored.take(0)).toBe(false)
    expect(restored.droppedFrames).toBe(3)
    expect(restored.take(100)).toBe(true)
    // The restored bucket works on its own copy.
    expect(stored.droppedFrames).toBe(2)
  })
})
