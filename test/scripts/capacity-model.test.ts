/** The capacity model's arithmetic (scripts/lib/capacity-model.ts, docs/capacity.md). */
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_LIMITS,
  fleetFor,
  playersWithinBudget,
  protocolModels,
  SPREAD_VISIBLE_SHARE,
  type BenchFile,
  type BenchRun,
} from '../../scripts/lib/capacity-model'

function run(overrides: Partial<BenchRun>): BenchRun {
  return {
    scenario: 'spread:500',
    layout: 'spread',
    protocol: 'nexus.v2',
    rooms: 1,
    clients: 500,
    movesPerSecond: 5000,
    updatesPerSecond: 1_000_000,
    completeness: 1,
    latencyP50Ms: 50,
    latencyP99Ms: 100,
    bytesPerUpdate: 15,
    serverCpuMsPerSecond: 250,
    dbStatementsPerMinute: 24,
    ...overrides,
  }
}

describe('capacity model', () => {
  it('solves hz · share · N² · cost ≤ budget for the players of a room', () => {
    // 10 Hz, everyone sees everyone, 0.5 µs an update, 500 ms/s: N² ≤ 500 / (10 · 0.5e-3).
    expect(playersWithinBudget(0.5, 10, 1, 500)).toBe(Math.floor(Math.sqrt(100_000)))
    expect(playersWithinBudget(0, 10, 1, 500)).toBe(Infinity)
    // The spread share: corners see 4 zones, edges 6, the centre 9, of 9 zones each.
    expect(SPREAD_VISIBLE_SHARE).toBeCloseTo(49 / 81, 10)
  })

  it('takes the dearest scenario of each protocol and the medians when present', () => {
    const bench: BenchFile = {
      moveHz: 10,
      results: [run({ serverCpuMsPerSecond: 9_999 })],
      medians: [
        run({ scenario: 'one-zone:200', clients: 200, updatesPerSecond: 400_000 }), // 0.625 µs
        run({}), // 0.25 µs, 24 statements a minute
        run({ protocol: 'nexus.v1', serverCpuMsPerSecond: 500, dbStatementsPerMinute: 30 }),
      ],
    }
    const [v2, v1] = protocolModels(bench)
    expect(v2.protocol).toBe('nexus.v2')
    expect(v2.cpuUsPerUpdate).toBe(0.625)
    expect(v2.playersPerRoomSpread).toBe(
      Math.floor(Math.sqrt(500 / ((10 * SPREAD_VISIBLE_SHARE * 0.625) / 1000))),
    )
    expect(v2.playersPerRoomOneZone).toBe(Math.floor(Math.sqrt(500 / (10 * 0.625e-3))))
    expect(v2.statementsPerMinutePerRoom).toBe(24)
    expect(v2.incomingFramesPerSecondAtCeiling).toBe(v2.playersPerRoomSpread * 10)
    expect(v1.cpuUsPerUpdate).toBe(0.5)
    expect(v1.statementsPerMinutePerRoom).toBe(30)
  })

  it('sizes a fleet: rooms, statements and the pooler share', () => {
    const [model] = protocolModels({ moveHz: 10, results: [run({ rooms: 2 })] })
    expect(model.statementsPerMinutePerRoom).toBe(12)
    expect(fleetFor(100_000, model, 400)).toEqual({
      players: 100_000,
      playersPerRoom: 400,
      rooms: 250,
      statementsPerMinute: 3_000,
      statementsPerMinutePer1000Players: 30,
      statementsPerSecond: 50,
      poolerShareIfAllSyncAtOnce: 250 / DEFAULT_LIMITS.poolerClientConnections,
    })
  })
})
