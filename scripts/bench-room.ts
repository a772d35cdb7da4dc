/**
 * `npm run bench:room`: load on live instances under `wrangler dev`, `nexus.v1` and `nexus.v2`
 * side by side in the same run.
 *
 * Scenarios (`--scenarios`, comma-separated `name:clients`):
 * - `one-zone:200`: every client in the centre zone, so everyone sees everyone;
 * - `spread:500`: clients spread over the 9 zones (each sees its zone and the adjacent ones);
 * - `rooms:4x100`: 4 rooms of 100 spread clients at once, in the same runtime process.
 * Each scenario runs once per protocol (`--protocols v1,v2`), alternating which goes first
 * between repetitions (`--repeat`), each on fresh instances.
 *
 * Clients are the SDK's RoomClient, run in `--threads` worker threads (scripts/bench/
 * room-clients.ts; default one per core, fresh for every run) at nice `--nice` (10), as clients
 * on their own machines would not take the room's cores. By default every client decodes every
 * frame (`--decode all`), as real clients do; `--decode light` keeps the old light generator (one
 * client in 8 decodes, the others count moves without decoding). Each client moves at `--hz`,
 * at its own phase of the interval, for `--warmup` seconds unmeasured and then `--seconds`
 * measured; the sender stamps its send time into `position.y` (milliseconds modulo 100 s, as
 * metres / 1000), a receiver computes now − stamp on the same clock.
 *
 * What a run reports:
 * - completeness: move updates received ÷ what each client should have received (the moves
 *   sent by every other client in its area of interest), and the share that arrived within
 *   150 ms (a late position is worthless);
 * - latency p50/p99/max of every received update;
 * - wire bytes per update (every received frame's bytes ÷ updates), frames per second;
 * - server CPU (the runtime process, from /proc), CPU ms per tick per player, and the load
 *   generator's CPU per update (its decode cost, with the WebSocket library's);
 * - the room's own view (`roomLoad`): tick wait, timer lateness, storage confirmation per tick
 *   (workerd's clock stands still while code runs, so a busy room under-reads its own waits);
 *   and the ping round trip under load (the hops to the room and back, without a tick);
 * - database statements (the Neon-compatible proxy counts them).
 *
 * Where the clients connect (`--via`): `direct` (default) connects to the runtime that runs the
 * Worker, as production clients reach Cloudflare's edge; `proxy` goes through the dev proxy that
 * `wrangler dev` puts in front of it (another process relaying every frame), to measure that hop.
 *
 * Prints a table (and medians over repetitions) and writes bench-results/room.json, which
 * `npm run capacity` reads. Options: --scenarios --protocols --decode --seconds --warmup --hz
 * --port --via --repeat --threads --nice --deflate --out --tick-ms (the room's tick,
 * ROOM_TICK_MS) (env BENCH_* also works).
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { availableParallelism, loadavg, setPriority, tmpdir } from 'node:os'
import { Worker } from 'node:worker_threads'
import * as hdr from 'hdr-histogram-js'
import { PROTOCOL_V1, PROTOCOL_V2, type RoomProtocol } from '../durable-objects/instance-room/wire'
import { canSee, ZONES, type Zone } from '../durable-objects/instance-room/zones'
import type { RoomLoad } from '../durable-objects/instance-room/rpc'
import {
  LATENCY_BUDGET_MS,
  LATENCY_SLOTS,
  type ClientAssignment,
  type ThreadCommand,
  type ThreadReply,
} from './bench/room-clients'
import { issueAccessToken } from '../functions/lib/auth'
import { localTokenConfig } from './lib/dev-secret'
import { migrateStack, startLocalStack, withPgClient } from './lib/local-stack'
import { onShutdown } from './lib/process'
import { startWranglerDev } from './lib/wrangler-dev'

const { values } = parseArgs({
  options: {
    scenarios: {
      type: 'string',
      default: process.env.BENCH_SCENARIOS ?? 'one-zone:200,spread:500',
    },
    protocols: { type: 'string', default: process.env.BENCH_PROTOCOLS ?? 'v1,v2' },
    decode: { type: 'string', default: process.env.BENCH_DECODE ?? 'all' },
    seconds: { type: 'string', default: process.env.BENCH_SECONDS ?? '20' },
    warmup: { type: 'string', default: process.env.BENCH_WARMUP_SECONDS ?? '2' },
    hz: { type: 'string', default: process.env.BENCH_HZ ?? '10' },
    port: { type: 'string', default: process.env.BENCH_PORT ?? '8799' },
    via: { type: 'string', default: process.env.BENCH_VIA ?? 'direct' },
    repeat: { type: 'string', default: process.env.BENCH_REPEAT ?? '1' },
    deflate: { type: 'boolean', default: process.env.BENCH_DEFLATE === '1' },
    out: { type: 'string', default: process.env.BENCH_OUT ?? 'bench-results/room.json' },
    'tick-ms': { type: 'string', default: process.env.BENCH_TICK_MS ?? '' },
    threads: {
      type: 'string',
      default: process.env.BENCH_THREADS ?? String(availableParallelism()),
    },
    nice: { type: 'string', default: process.env.BENCH_NICE ?? '10' },
  },
})

/** One load shape: how many rooms, clients per room, and where the clients stand. */
interface Scenario {
  name: string
  layout: 'one-zone' | 'spread'
  rooms: number
  clientsPerRoom: number
}

function parseScenario(spec: string): Scenario {
  const [name, size] = spec.split(':')
  if (name === 'one-zone' || name === 'spread') {
    return { name: `${name}:${size}`, layout: name, rooms: 1, clientsPerRoom: Number(size) }
  }
  if (name === 'rooms') {
    const [rooms, clients] = size.split('x').map(Number)
    return { name: `rooms:${size}`, layout: 'spread', rooms, clientsPerRoom: clients }
  }
  throw new Error(`unknown scenario "${spec}" (one-zone:N, spread:N, rooms:RxN)`)
}

const SCENARIOS = values.scenarios!.split(',').map(parseScenario)
const PROTOCOLS = values.protocols!.split(',').map((p) => {
  if (p === 'v1') return PROTOCOL_V1
  if (p === 'v2') return PROTOCOL_V2
  throw new Error(`unknown protocol "${p}" (v1, v2)`)
})
const DECODE_ALL = values.decode === 'all'
const DURATION_MS = Number(values.seconds) * 1000
const WARMUP_MS = Number(values.warmup) * 1000
const MOVE_HZ = Number(values.hz)
const PORT = Number(values.port)
const VIA = values.via as 'direct' | 'proxy'
const REPEAT = Number(values.repeat)
const PER_MESSAGE_DEFLATE = values.deflate!
const THREADS = Math.max(1, Number(values.threads))
const GENERATOR_NICE = Number(values.nice)

/** After the moves stop, how long the last frames may take to arrive. */
const DRAIN_MS = 2_000
/** After the last client leaves, wait until the statement count has been still this long. */
const FLUSH_QUIET_MS = 2_000
const FLUSH_MAX_WAIT_MS = 30_000
/** How far ahead of now a run starts, so every generator thread starts on the same clock. */
const START_DELAY_MS = 200
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** One scenario × protocol run. */
interface RunResult {
  scenario: string
  layout: Scenario['layout']
  protocol: RoomProtocol
  via: typeof VIA
  decode: 'all' | 'light'
  repetition: number
  rooms: number
  clients: number
  seconds: number
  movesSent: number
  movesPerSecond: number
  updatesExpected: number
  updatesDelivered: number
  updatesPerSecond: number
  /** Delivered ÷ expected. */
  completeness: number
  /** Updates within LATENCY_BUDGET_MS ÷ expected. */
  timelyCompleteness: number
  latencyP50Ms: number
  latencyP99Ms: number
  latencyMaxMs: number
  framesPerSecond: number
  /** Every received byte (batch frames and the rest) ÷ updates delivered. */
  bytesPerUpdate: number
  /** Runtime process CPU, in ms per second of wall time (1000 = one core). */
  serverCpuMsPerSecond: number
  /** serverCpuMsPerSecond ÷ ticks per second ÷ players in the rooms. */
  serverCpuMsPerTickPerPlayer: number
  /** The dev proxy's CPU when `--via proxy` (ms per second). */
  proxyCpuMsPerSecond: number | null
  /** Load generator CPU per update received, in microseconds (decode, SDK, ws library). */
  generatorCpuUsPerUpdate: number
  generatorCpuMsPerSecond: number
  ticksPerSecond: number
  /** From the rooms: mean tick wait of an event, mean timer lateness, mean storage confirmation. */
  tickWaitMeanMs: number
  tickLateMeanMs: number
  storageConfirmMeanMs: number
  storageConfirmMaxMs: number
  pingP50Ms: number
  pingP99Ms: number
  closedByServer: number
  closeCodes: Record<string, number>
  dbStatements: number
  dbStatementsPerMinute: number
  loadAverage1m: number
}

function zoneFor(scenario: Scenario, index: number): Zone {
  return scenario.layout === 'one-zone' ? 'center' : ZONES[index % 9]
}

/**
 * Lowers the priority of every thread of this process (the generator threads, and the main
 * thread with the embedded database) to `GENERATOR_NICE`. On a machine the room shares with its
 * load, equal priority makes the room wait behind the generator's threads for a core; real
 * clients run on other machines. The runtime was started before, so it keeps its priority.
 */
function yieldToTheRoom(): void {
  if (GENERATOR_NICE === 0) return
  for (const task of readdirSync('/proc/self/task')) {
    try {
      setPriority(Number(task), GENERATOR_NICE)
    } catch {
      // A thread that just ended.
    }
  }
}

/**
 * The load generator: `THREADS` worker threads (scripts/bench/room-clients.ts), each with its
 * share of the clients, driven with one command at a time.
 */
class GeneratorThreads {
  private readonly threads: Worker[]

  constructor(count: number) {
    this.threads = Array.from(
      { length: count },
      () => new Worker(new URL('./bench/room-clients-thread.mjs', import.meta.url)),
    )
  }

  /** Sends `command` to every thread (`perThread` adapts it) and waits for every answer. */
  private async all(perThread: (thread: number) => ThreadCommand): Promise<ThreadReply[]> {
    return Promise.all(
      this.threads.map(
        (worker, i) =>
          new Promise<ThreadReply>((resolve, reject) => {
            const onError = (error: Error) => reject(error)
            worker.once('error', onError)
            worker.once('message', (reply: ThreadReply) => {
              worker.off('error', onError)
              if (reply.type === 'failed')
                reject(new Error(`generator thread ${i}: ${reply.message}`))
              else resolve(reply)
            })
            worker.postMessage(perThread(i))
          }),
      ),
    )
  }

  /** Connects the clients, dealt round-robin over the threads (client 0, the prober, in thread 0). */
  async open(baseUrl: string, protocol: RoomProtocol, clients: ClientAssignment[]): Promise<void> {
    await this.all((thread) => ({
      type: 'open',
      baseUrl,
      protocol,
      decodeAll: DECODE_ALL,
      perMessageDeflate: PER_MESSAGE_DEFLATE,
      clients: clients.filter((c) => c.index % this.threads.length === thread),
    }))
  }

  /**
   * Moves every client from `startedAt`: WARMUP_MS unmeasured, then DURATION_MS measured; the
   * counts once the last frames drained.
   */
  async run(startedAt: number): Promise<Array<Extract<ThreadReply, { type: 'measured' }>>> {
    const replies = await this.all(() => ({
      type: 'run',
      startedAt,
      warmupMs: WARMUP_MS,
      durationMs: DURATION_MS,
      drainMs: DRAIN_MS,
      hz: MOVE_HZ,
    }))
    return replies as Array<Extract<ThreadReply, { type: 'measured' }>>
  }

  async close(): Promise<void> {
    await this.all(() => ({ type: 'close' }))
  }

  async stop(): Promise<void> {
    await Promise.all(this.threads.map((worker) => worker.terminate()))
  }
}

/** The runtime's processes and their CPU time. */
interface Runtime {
  baseUrl: string
  serverPid: number | null
  proxyPid: number | null
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

/** CPU time (user + system) of a process in ms, or 0 when it cannot be read. */
function cpuMsOf(pid: number | null): number {
  if (pid === null) return 0
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND
  } catch {
    return 0
  }
}

/** Pids of `root` and all its descendants. */
function processTree(root: number): Set<number> {
  const parents = new Map<number, number>()
  for (const entry of execFileSync('ps', ['-e', '-o', 'pid=,ppid='])
    .toString()
    .trim()
    .split('\n')) {
    const [pid, ppid] = entry.trim().split(/\s+/).map(Number)
    parents.set(pid, ppid)
  }
  const tree = new Set([root])
  let grew = true
  while (grew) {
    grew = false
    for (const [pid, ppid] of parents) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid)
        grew = true
      }
    }
  }
  return tree
}

/**
 * Finds the runtime behind `wrangler dev`: among the TCP ports its workerd processes listen on
 * (besides the dev proxy's), the one that answers `/health` as the API does.
 */
async function findRuntime(wranglerPid: number): Promise<Runtime> {
  const tree = processTree(wranglerPid)
  const listening = execFileSync('ss', ['-ltnpH']).toString().trim().split('\n')
  const ports: Array<{ port: number; pid: number }> = []
  for (const line of listening) {
    const port = Number(line.match(/127\.0\.0\.1:(\d+)/)?.[1])
    const pid = Number(line.match(/"workerd",pid=(\d+)/)?.[1])
    if (port && pid && tree.has(pid)) ports.push({ port, pid })
  }
  const proxyPid = ports.find((p) => p.port === PORT)?.pid ?? null
  for (const { port, pid } of ports) {
    if (port === PORT) continue
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, {
        signal: AbortSignal.timeout(5_000),
      })
      const body = (await res.json()) as { databases?: unknown }
      if (body.databases) {
        return VIA === 'direct'
          ? { baseUrl: `http://127.0.0.1:${port}`, serverPid: pid, proxyPid: null }
          : { baseUrl: `http://127.0.0.1:${PORT}`, serverPid: pid, proxyPid }
      }
    } catch {
      // Not the API (an inspector or registry port).
    }
  }
  throw new Error('could not find the runtime behind wrangler dev')
}

async function roomLoad(
  baseUrl: string,
  instanceId: string,
  reset: boolean,
): Promise<RoomLoad | null> {
  try {
    const res = await fetch(`${baseUrl}/bench/room/${instanceId}/load${reset ? '?reset=1' : ''}`, {
      signal: AbortSignal.timeout(10_000),
    })
    return (await res.json()) as RoomLoad
  } catch {
    return null
  }
}

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

async function runOnce(
  runtime: Runtime,
  scenario: Scenario,
  protocol: RoomProtocol,
  repetition: number,
  players: Array<{ id: string; token: string }>,
  instanceIds: string[],
  statementCount: () => number,
  onGenerator: (generator: GeneratorThreads | null) => void,
): Promise<RunResult> {
  const assignments: ClientAssignment[] = []
  for (let r = 0; r < scenario.rooms; r++) {
    for (let i = 0; i < scenario.clientsPerRoom; i++) {
      assignments.push({
        index: assignments.length,
        room: r,
        instanceId: instanceIds[r],
        zone: zoneFor(scenario, i),
        player: players[r * scenario.clientsPerRoom + i],
      })
    }
  }
  // Fresh threads for every run, as fresh client machines: a previous run's backlog and heap
  // (a collapsed v1 run leaves plenty of both) must not slow this one.
  const generator = new GeneratorThreads(THREADS)
  onGenerator(generator)
  await generator.open(runtime.baseUrl, protocol, assignments)
  yieldToTheRoom()

  // A moment ahead, so every thread starts on the same clock; measured after the warm-up.
  const startedAt = Date.now() + START_DELAY_MS
  const running = generator.run(startedAt)
  const started = startedAt + WARMUP_MS
  await sleep(started - Date.now())
  await Promise.all(instanceIds.map((id) => roomLoad(runtime.baseUrl, id, true)))
  const statementsBefore = statementCount()
  const serverCpuBefore = cpuMsOf(runtime.serverPid)
  const proxyCpuBefore = cpuMsOf(runtime.proxyPid)
  // Process-wide: the generator threads' CPU included.
  const generatorCpuBefore = process.cpuUsage()
  const replies = await running
  const elapsedS = DURATION_MS / 1000
  const wallS = (Date.now() - started) / 1000
  const serverCpuMs = cpuMsOf(runtime.serverPid) - serverCpuBefore
  const proxyCpuMs = cpuMsOf(runtime.proxyPid) - proxyCpuBefore
  const generatorCpu = process.cpuUsage(generatorCpuBefore)
  const loads = (
    await Promise.all(instanceIds.map((id) => roomLoad(runtime.baseUrl, id, false)))
  ).filter((load): load is RoomLoad => load !== null)
  const clients = replies.flatMap((reply) => reply.clients)
  const pings = replies.flatMap((reply) => reply.pings)
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: LATENCY_SLOTS })
  for (const reply of replies) {
    reply.latencyCounts.forEach((count, ms) => {
      if (count > 0) histogram.recordValueWithCount(ms, count)
    })
  }

  // What each client should have received: every move of the others it can see, in its room.
  const sentByRoomZone = new Map<string, number>()
  for (const c of clients) {
    const key = `${c.room}:${c.zone}`
    sentByRoomZone.set(key, (sentByRoomZone.get(key) ?? 0) + c.movesSent)
  }
  let updatesExpected = 0
  for (const c of clients) {
    for (const zone of ZONES) {
      if (!canSee(c.zone, zone)) continue
      updatesExpected += sentByRoomZone.get(`${c.room}:${zone}`) ?? 0
    }
    updatesExpected -= c.movesSent
  }
  const movesSent = clients.reduce((n, c) => n + c.movesSent, 0)
  const updatesDelivered = clients.reduce((n, c) => n + c.updatesReceived, 0)
  const timely = clients.reduce((n, c) => n + c.timelyReceived, 0)
  const bytes = clients.reduce((n, c) => n + c.bytesReceived, 0)
  const frames = clients.reduce((n, c) => n + c.framesReceived, 0)
  const closeCodes: Record<string, number> = {}
  for (const c of clients) {
    if (c.closeCode !== undefined) closeCodes[c.closeCode] = (closeCodes[c.closeCode] ?? 0) + 1
  }
  const sum = (pick: (l: RoomLoad) => number) => loads.reduce((n, l) => n + pick(l), 0)
  const ticksPerSecond = sum((l) => l.ticks) / wallS
  const serverCpuMsPerSecond = serverCpuMs / wallS

  await generator.close()
  await generator.stop()
  onGenerator(null)
  // The last player leaving flushes the room to Postgres: wait for the statements to settle.
  const flushDeadline = Date.now() + FLUSH_MAX_WAIT_MS
  let lastCount = statementCount()
  let quietSince = Date.now()
  while (Date.now() < flushDeadline && Date.now() - quietSince < FLUSH_QUIET_MS) {
    await sleep(250)
    const count = statementCount()
    if (count !== lastCount) {
      lastCount = count
      quietSince = Date.now()
    }
  }
  const dbStatements = statementCount() - statementsBefore
  const generatorCpuMs = (generatorCpu.user + generatorCpu.system) / 1000
  return {
    scenario: scenario.name,
    layout: scenario.layout,
    protocol,
    via: VIA,
    decode: DECODE_ALL ? 'all' : 'light',
    repetition,
    rooms: scenario.rooms,
    clients: clients.length,
    seconds: Number(elapsedS.toFixed(1)),
    movesSent,
    movesPerSecond: Math.round(movesSent / elapsedS),
    updatesExpected,
    updatesDelivered,
    updatesPerSecond: Math.round(updatesDelivered / elapsedS),
    completeness: round(updatesDelivered / Math.max(1, updatesExpected), 4),
    timelyCompleteness: round(timely / Math.max(1, updatesExpected), 4),
    latencyP50Ms: histogram.getValueAtPercentile(50),
    latencyP99Ms: histogram.getValueAtPercentile(99),
    latencyMaxMs: histogram.maxValue,
    framesPerSecond: Math.round(frames / wallS),
    bytesPerUpdate: round(bytes / Math.max(1, updatesDelivered), 1),
    serverCpuMsPerSecond: Math.round(serverCpuMsPerSecond),
    serverCpuMsPerTickPerPlayer: round(
      ticksPerSecond === 0
        ? 0
        : serverCpuMsPerSecond / (ticksPerSecond / scenario.rooms) / clients.length,
      5,
    ),
    proxyCpuMsPerSecond: runtime.proxyPid === null ? null : Math.round(proxyCpuMs / wallS),
    generatorCpuUsPerUpdate: round((generatorCpuMs * 1000) / Math.max(1, updatesDelivered), 2),
    generatorCpuMsPerSecond: Math.round(generatorCpuMs / wallS),
    ticksPerSecond: round(ticksPerSecond, 1),
    tickWaitMeanMs: round(
      sum((l) => l.wait_ms_sum) /
        Math.max(
          1,
          sum((l) => l.events),
        ),
      1,
    ),
    tickLateMeanMs: round(
      sum((l) => l.late_ms_sum) /
        Math.max(
          1,
          sum((l) => l.ticks),
        ),
      1,
    ),
    storageConfirmMeanMs: round(
      sum((l) => l.confirm_ms_sum) /
        Math.max(
          1,
          sum((l) => l.confirmed_ticks),
        ),
      1,
    ),
    storageConfirmMaxMs: Math.max(0, ...loads.map((l) => l.confirm_ms_max)),
    pingP50Ms: percentile(pings, 50),
    pingP99Ms: percentile(pings, 99),
    closedByServer: Object.values(closeCodes).reduce((n, c) => n + c, 0),
    closeCodes,
    dbStatements,
    dbStatementsPerMinute: Math.round((dbStatements / elapsedS) * 60),
    loadAverage1m: round(loadavg()[0], 2),
  }
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits))
}

async function main() {
  const persistDir = await mkdtemp(join(tmpdir(), 'nexus-bench-room-'))
  const stack = await startLocalStack({
    host: '127.0.0.1',
    nexusPort: 0,
    memoryPort: 0,
    proxyPort: 0,
    apiPort: PORT,
  })
  await migrateStack(stack)
  const secret = randomBytes(32).toString('base64url')
  const wrangler = startWranglerDev({
    stack,
    port: PORT,
    persistTo: persistDir,
    config: 'scripts/bench/wrangler.room.toml',
    vars: {
      AUTH_JWT_SECRET: secret,
      ...(values['tick-ms'] ? { ROOM_TICK_MS: values['tick-ms'] } : {}),
    },
    output: () => undefined,
  })
  // The generator of the run in progress, stopped with the rest on an interrupt or a failure.
  const running: { generator: GeneratorThreads | null } = { generator: null }
  onShutdown(async () => {
    await running.generator?.stop()
    await wrangler.stop()
    await stack.close()
  })
  const loadBefore = loadavg()
  try {
    await wrangler.ready
    const runtime = await findRuntime(wrangler.child.pid!)
    console.log(
      `clients connect to ${runtime.baseUrl} (${VIA === 'direct' ? 'the runtime, past the dev proxy' : "wrangler's dev proxy"}); ` +
        `every client decodes: ${DECODE_ALL}; ${THREADS} generator thread(s) at nice ${GENERATOR_NICE}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
    )
    const maxClients = Math.max(...SCENARIOS.map((s) => s.rooms * s.clientsPerRoom))
    const config = localTokenConfig(secret)
    const players = await withPgClient(stack.nexusUrl, async (pg) => {
      const { rows } = await pg.query<{ id: string; username: string }>(
        `INSERT INTO users (username)
         SELECT 'bench_' || g || '_' || $1 FROM generate_series(1, $2) g RETURNING id, username`,
        [randomBytes(3).toString('hex'), maxClients],
      )
      return Promise.all(
        rows.map(async (u) => ({
          id: u.id,
          token: (
            await issueAccessToken(
              { userId: u.id, username: u.username, roles: ['player'] },
              config,
            )
          ).token,
        })),
      )
    })
    const results: RunResult[] = []
    for (let repetition = 1; repetition <= REPEAT; repetition++) {
      for (const scenario of SCENARIOS) {
        // Alternate which protocol goes first, so a drifting machine load favours neither.
        const order = repetition % 2 === 1 ? PROTOCOLS : [...PROTOCOLS].reverse()
        for (const protocol of order) {
          const instanceIds: string[] = []
          for (let r = 0; r < scenario.rooms; r++) {
            instanceIds.push(
              await withPgClient(stack.nexusUrl, async (pg) => {
                const { rows } = await pg.query<{ id: string }>(
                  `INSERT INTO instances (owner_id, type, name, max_visitors, is_public)
                   VALUES ($1, 'communal', $2, 1000, true) RETURNING id`,
                  [players[0].id, `bench ${scenario.name} ${protocol} ${repetition}.${r}`],
                )
                return rows[0].id
              }),
            )
          }
          process.stdout.write(
            `[${repetition}/${REPEAT}] ${scenario.name} ${protocol}, ${DURATION_MS / 1000} s… `,
          )
          const result = await runOnce(
            runtime,
            scenario,
            protocol,
            repetition,
            players,
            instanceIds,
            stack.proxy.statementCount,
            (generator) => (running.generator = generator),
          )
          console.log(
            `${(result.completeness * 100).toFixed(1)}% delivered, p50 ${result.latencyP50Ms} ms, ` +
              `p99 ${result.latencyP99Ms} ms, ${result.bytesPerUpdate} B/update (load ${result.loadAverage1m})`,
          )
          results.push(result)
        }
      }
    }
    const medians = medianResults(results)
    printTable('runs', results)
    if (REPEAT > 1) printTable(`medians of ${REPEAT} runs`, medians)
    printVerdicts(medians)
    const file = resolve(values.out!)
    await mkdir(dirname(file), { recursive: true })
    await writeFile(
      file,
      JSON.stringify(
        {
          when: new Date().toISOString(),
          durationS: DURATION_MS / 1000,
          moveHz: MOVE_HZ,
          roomTickMs: values['tick-ms'] || 'default',
          via: VIA,
          decode: DECODE_ALL ? 'all' : 'light',
          repeat: REPEAT,
          clientsOfferDeflate: PER_MESSAGE_DEFLATE,
          loadAverageBefore: loadBefore,
          loadAverageAfter: loadavg(),
          results,
          medians,
        },
        null,
        2,
      ),
    )
    console.log(`\nwritten to ${file}`)
  } finally {
    await running.generator?.stop()
    await wrangler.stop()
    await stack.close()
    await rm(persistDir, { recursive: true, force: true })
  }
}

/** Per scenario and protocol, the median of every numeric field over the repetitions. */
function medianResults(results: RunResult[]): RunResult[] {
  const groups = new Map<string, RunResult[]>()
  for (const r of results) {
    const key = `${r.scenario}|${r.protocol}`
    groups.set(key, [...(groups.get(key) ?? []), r])
  }
  return [...groups.values()].map((runs) => {
    const median = { ...runs[0], repetition: 0 } as Record<string, unknown>
    for (const [key, value] of Object.entries(runs[0])) {
      if (typeof value !== 'number' || key === 'repetition') continue
      const sorted = runs.map((r) => r[key as keyof RunResult] as number).sort((a, b) => a - b)
      const mid = Math.floor(sorted.length / 2)
      median[key] = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
    return median as unknown as RunResult
  })
}

function printTable(title: string, results: RunResult[]) {
  const columns: Array<[string, (r: RunResult) => string | number]> = [
    ['scenario', (r) => r.scenario],
    ['proto', (r) => r.protocol],
    ['moves/s', (r) => r.movesPerSecond],
    ['delivered', (r) => `${(r.completeness * 100).toFixed(1)}%`],
    [`≤${LATENCY_BUDGET_MS}ms`, (r) => `${(r.timelyCompleteness * 100).toFixed(1)}%`],
    ['p50 ms', (r) => r.latencyP50Ms],
    ['p99 ms', (r) => r.latencyP99Ms],
    ['B/update', (r) => r.bytesPerUpdate],
    ['frames/s', (r) => r.framesPerSecond],
    ['server CPU', (r) => `${(r.serverCpuMsPerSecond / 10).toFixed(0)}%`],
    ['ms/tick/player', (r) => r.serverCpuMsPerTickPerPlayer],
    ['gen µs/update', (r) => r.generatorCpuUsPerUpdate],
    ['tick wait', (r) => r.tickWaitMeanMs],
    ['confirm', (r) => r.storageConfirmMeanMs],
    ['ping p50/p99', (r) => `${r.pingP50Ms}/${r.pingP99Ms}`],
    ['closed', (r) => r.closedByServer],
    ['db stmts/min', (r) => r.dbStatementsPerMinute],
  ]
  const rows = results.map((r) => columns.map(([, get]) => String(get(r))))
  const widths = columns.map(([name], i) =>
    Math.max(name.length, ...rows.map((row) => row[i].length)),
  )
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ')
  console.log(`\n${title}\n${line(columns.map(([name]) => name))}`)
  for (const row of rows) console.log(line(row))
}

/** The issue's targets, checked against the medians. */
function printVerdicts(medians: RunResult[]) {
  console.log('')
  for (const scenario of new Set(medians.map((r) => r.scenario))) {
    const v1 = medians.find((r) => r.scenario === scenario && r.protocol === PROTOCOL_V1)
    const v2 = medians.find((r) => r.scenario === scenario && r.protocol === PROTOCOL_V2)
    if (v1 && v2) {
      console.log(
        `${scenario}: v2 sends ${(v2.bytesPerUpdate / v1.bytesPerUpdate).toFixed(3)}× v1's bytes per update; ` +
          `delivered ${(v2.completeness * 100).toFixed(1)}% vs ${(v1.completeness * 100).toFixed(1)}%, ` +
          `p99 ${v2.latencyP99Ms} vs ${v1.latencyP99Ms} ms`,
      )
    }
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
