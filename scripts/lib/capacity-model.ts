/**
 * The capacity model of docs/capacity.md as arithmetic over `bench:room`'s JSON
 * (bench-results/room.json): the room's measured cost per delivered update, the players one room
 * carries before its single thread saturates, the Postgres statements the 30-second sync costs,
 * and what a target of concurrent players needs. Pure functions (`npm run capacity` prints them;
 * test/scripts/capacity-model.test.ts checks the arithmetic).
 */

/** The fields of one bench run (or median) the model reads. */
export interface BenchRun {
  scenario: string
  layout: 'one-zone' | 'spread'
  protocol: string
  rooms: number
  clients: number
  movesPerSecond: number
  updatesPerSecond: number
  completeness: number
  latencyP50Ms: number
  latencyP99Ms: number
  bytesPerUpdate: number
  serverCpuMsPerSecond: number
  dbStatementsPerMinute: number
}

/** The bench file: `medians` when it has them, else the single runs. */
export interface BenchFile {
  moveHz: number
  results: BenchRun[]
  medians?: BenchRun[]
}

/**
 * Published limits the model uses (docs/capacity.md names each one's source; they were written
 * from the documentation as known, not re-checked online).
 */
export interface PlatformLimits {
  /** CPU a Durable Object's single thread may spend per second of wall time, as a budget (ms). */
  roomCpuBudgetMsPerSecond: number
  /** WebSocket connections one object may hold (hibernation API). */
  webSocketsPerObject: number
  /** Soft limit of requests per second to one object. */
  requestsPerSecondPerObject: number
  /** Client connections Neon's pooler accepts. */
  poolerClientConnections: number
}

/** The model's defaults: half a core per room (headroom for bursts, the sync, GC). */
export const DEFAULT_LIMITS: PlatformLimits = {
  roomCpuBudgetMsPerSecond: 500,
  webSocketsPerObject: 32_768,
  requestsPerSecondPerObject: 1_000,
  poolerClientConnections: 10_000,
}

/**
 * Share of a room's players one player sees when players are spread evenly over the 3×3 zones
 * and each sees its zone and the adjacent ones: corners see 4 zones, edges 6, the centre 9.
 */
export const SPREAD_VISIBLE_SHARE = (4 * 4 + 4 * 6 + 9) / 9 / 9

/** What the model derives for one protocol. */
export interface ProtocolModel {
  protocol: string
  /** Server CPU per delivered update, µs (the largest over the protocol's scenarios). */
  cpuUsPerUpdate: number
  /** Players one room carries at `moveHz`, spread, within the CPU budget. */
  playersPerRoomSpread: number
  /** The same with every player in one zone (everyone sees everyone). */
  playersPerRoomOneZone: number
  /**
   * Postgres statements per minute one room costs while players move (its 30-second sync writes
   * every moved player in a few statements, so this is per room, not per player).
   */
  statementsPerMinutePerRoom: number
  /** Incoming frames per second one room receives at its spread ceiling. */
  incomingFramesPerSecondAtCeiling: number
}

/** The runs the model reads: the medians when the file has them. */
export function runsOf(bench: BenchFile): BenchRun[] {
  return bench.medians && bench.medians.length > 0 ? bench.medians : bench.results
}

/**
 * Players a room carries when each of N players moves at `hz` and sees `visibleShare` of the
 * others: the room delivers hz·N·(share·N) updates a second at `cpuUsPerUpdate` each, within
 * `budgetMs` of CPU a second. Solves hz·share·N²·cost ≤ budget for N.
 */
export function playersWithinBudget(
  cpuUsPerUpdate: number,
  hz: number,
  visibleShare: number,
  budgetMs: number,
): number {
  if (cpuUsPerUpdate <= 0) return Infinity
  const costMsPerPlayerSquared = (hz * visibleShare * cpuUsPerUpdate) / 1000
  return Math.floor(Math.sqrt(budgetMs / costMsPerPlayerSquared))
}

/** The model for each protocol in the bench file. */
export function protocolModels(
  bench: BenchFile,
  limits: PlatformLimits = DEFAULT_LIMITS,
): ProtocolModel[] {
  const runs = runsOf(bench)
  const protocols = [...new Set(runs.map((r) => r.protocol))]
  return protocols.map((protocol) => {
    const mine = runs.filter((r) => r.protocol === protocol && r.updatesPerSecond > 0)
    const cpuUsPerUpdate = Math.max(
      ...mine.map((r) => (r.serverCpuMsPerSecond * 1000) / r.updatesPerSecond),
    )
    const playersPerRoomSpread = playersWithinBudget(
      cpuUsPerUpdate,
      bench.moveHz,
      SPREAD_VISIBLE_SHARE,
      limits.roomCpuBudgetMsPerSecond,
    )
    const playersPerRoomOneZone = playersWithinBudget(
      cpuUsPerUpdate,
      bench.moveHz,
      1,
      limits.roomCpuBudgetMsPerSecond,
    )
    const statementsPerMinutePerRoom = Math.max(
      ...mine.map((r) => r.dbStatementsPerMinute / r.rooms),
    )
    return {
      protocol,
      cpuUsPerUpdate: round(cpuUsPerUpdate, 3),
      playersPerRoomSpread,
      playersPerRoomOneZone,
      statementsPerMinutePerRoom: round(statementsPerMinutePerRoom, 1),
      incomingFramesPerSecondAtCeiling: playersPerRoomSpread * bench.moveHz,
    }
  })
}

/** What `players` concurrent players need with rooms of `playersPerRoom`. */
export interface Fleet {
  players: number
  playersPerRoom: number
  rooms: number
  statementsPerMinute: number
  statementsPerMinutePer1000Players: number
  statementsPerSecond: number
  /** Largest share of the pooler's client connections used if every room synced at once. */
  poolerShareIfAllSyncAtOnce: number
}

/** Rooms and Postgres load for `players` concurrent players. */
export function fleetFor(
  players: number,
  model: ProtocolModel,
  playersPerRoom: number,
  limits: PlatformLimits = DEFAULT_LIMITS,
): Fleet {
  const rooms = Math.ceil(players / playersPerRoom)
  const statementsPerMinute = Math.ceil(rooms * model.statementsPerMinutePerRoom)
  return {
    players,
    playersPerRoom,
    rooms,
    statementsPerMinute,
    statementsPerMinutePer1000Players: round((statementsPerMinute / players) * 1000, 1),
    statementsPerSecond: round(statementsPerMinute / 60, 1),
    poolerShareIfAllSyncAtOnce: round(rooms / limits.poolerClientConnections, 3),
  }
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits))
}
