/**
 * `npm run capacity [-- bench-results/room.json] [--players 100000] [--budget-ms 500]`: the
 * capacity model of docs/capacity.md recomputed from a `bench:room` JSON file (its medians when
 * it has them). Prints the measured per-room numbers, each protocol's room ceiling and what
 * `--players` concurrent players need. The arithmetic is scripts/lib/capacity-model.ts.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import {
  DEFAULT_LIMITS,
  fleetFor,
  protocolModels,
  runsOf,
  SPREAD_VISIBLE_SHARE,
  type BenchFile,
} from './lib/capacity-model'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    players: { type: 'string', default: '100000' },
    'budget-ms': { type: 'string', default: String(DEFAULT_LIMITS.roomCpuBudgetMsPerSecond) },
  },
})

const file = positionals[0] ?? 'bench-results/room.json'
const bench = JSON.parse(readFileSync(file, 'utf8')) as BenchFile
const limits = { ...DEFAULT_LIMITS, roomCpuBudgetMsPerSecond: Number(values['budget-ms']) }
const players = Number(values.players)

console.log(`bench file: ${file} (${bench.moveHz} Hz moves)\n`)
console.table(
  runsOf(bench).map((r) => ({
    scenario: r.scenario,
    protocol: r.protocol,
    clients: r.clients,
    'moves/s': r.movesPerSecond,
    'updates/s': r.updatesPerSecond,
    delivered: `${(r.completeness * 100).toFixed(1)}%`,
    'p50/p99 ms': `${r.latencyP50Ms}/${r.latencyP99Ms}`,
    'B/update': r.bytesPerUpdate,
    'server CPU ms/s': r.serverCpuMsPerSecond,
    'µs/update': Number(((r.serverCpuMsPerSecond * 1000) / r.updatesPerSecond).toFixed(3)),
    'db stmts/min': r.dbStatementsPerMinute,
  })),
)
console.log(
  `room CPU budget ${limits.roomCpuBudgetMsPerSecond} ms/s; spread players see ${(SPREAD_VISIBLE_SHARE * 100).toFixed(1)}% of the room\n`,
)
const models = protocolModels(bench, limits)
console.table(models)
for (const model of models) {
  const perRoom = Math.min(model.playersPerRoomSpread, limits.webSocketsPerObject)
  console.log(`${model.protocol}: ${players} players`)
  console.table([fleetFor(players, model, perRoom, limits)])
}
