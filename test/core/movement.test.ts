import { describe, expect, it } from 'vitest'
import { MOVEMENT_BURST_SECONDS } from '../../durable-objects/core/config'
import { checkMove, reachableWithin, startTrack } from '../../durable-objects/core/movement'

const at = (x: number, z = 0) => ({ x, y: 0, z })

describe('checkMove', () => {
  const speed = 10
  it('accepts a move within the burst at once, and refuses a teleport', () => {
    const track = startTrack(at(0), 1_000, speed)
    const near = checkMove(track, at(speed * MOVEMENT_BURST_SECONDS), 1_000, speed)
    expect(near.ok).toBe(true)
    const far = checkMove(track, at(100), 1_000, speed)
    expect(far).toEqual({ ok: false, distance_m: 100, allowed_m: speed * MOVEMENT_BURST_SECONDS })
  })

  it('keeps sustained speed at the limit whatever the frame rate', () => {
    let track = startTrack(at(0), 0, speed)
    // 20 frames a second at twice the limit: the burst runs out within about a second.
    let refusedAt: number | null = null
    for (let i = 1; i <= 40; i++) {
      const check = checkMove(track, at(i * 1), i * 50, speed)
      if (!check.ok) {
        refusedAt = i
        break
      }
      track = check.track
    }
    expect(refusedAt).not.toBeNull()
    expect(refusedAt!).toBeLessThanOrEqual(21)
  })

  it('refills the budget with time, up to the burst, and never from a clock going back', () => {
    const spent = checkMove(startTrack(at(0), 0, speed), at(10), 0, speed)
    if (!spent.ok) throw new Error('first move refused')
    expect(checkMove(spent.track, at(15), 0, speed).ok).toBe(false)
    expect(checkMove(spent.track, at(15), 500, speed).ok).toBe(true)
    expect(checkMove(spent.track, at(15), -10_000, speed).ok).toBe(false)
    // An hour of rest buys one burst, not an hour of travel.
    expect(checkMove(spent.track, at(10 + 11), 3_600_000, speed).ok).toBe(false)
  })
})

describe('reachableWithin', () => {
  it('allows the distance covered at the limit plus one burst', () => {
    expect(reachableWithin(at(0), at(30), 2_000, 10)).toBe(true)
    expect(reachableWithin(at(0), at(31), 2_000, 10)).toBe(false)
    expect(reachableWithin(at(0), at(10), 0, 10)).toBe(true)
  })
})
