/**
 * `npm run bench:room`: load on one live instance under `wrangler dev`, against a naive baseline
 * in the same run.
 *
 * For each client count (50, 100, 200 by default) and each room — the real InstanceRoom (zones,
 * one batch per tick, 30-second sync) and the BaselineRoom (every move broadcast to everyone and
 * written to Postgres at once) — N WebSocket clients spread over the 9 zones move at 10 Hz for
 * 30 s. Prints a table and writes bench-results/room.json.
 *
 * Latency: the sender stamps its send time into `position.y` (milliseconds modulo 100 s, as
 * metres / 1000); a receiver computes now − stamp. Sender and receivers share this process's
 * clock, so no clock sync is involved. Database statements are counted by the Neon-compatible
 * proxy (Query and Execute messages), from the moment every client has connected until the last
 * client's disconnect has been flushed.
 *
 * Compression: the Worker declines per-message deflate (`no_web_socket_compression` in
 * wrangler.toml), as production will. Under `wrangler dev` the client talks to wrangler's own
 * ProxyWorker first, whose older compatibility date negotiates deflate on that hop anyway, so the
 * clients do not offer it by default; `--deflate` offers it, to measure that local-only cost.
 *
 * Options: --clients 50,100,200  --seconds 30  --hz 10  --port 8799  --deflate
 * --variants instance-room,baseline  (env BENCH_* also works).
 */
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import * as hdr from 'hdr-histogram-js'
import WebSocket from 'ws'
import { RoomClient } from '../client'
import { textOf } from '../client/room/codec'
import { issueAccessToken } from '../functions/lib/auth'
import { localTokenConfig } from './lib/dev-secret'
import { migrateStack, startLocalStack, withPgClient } from './lib/local-stack'
import { onShutdown } from './lib/process'
import { nodeWebSocket } from './lib/room-client'
import { startWranglerDev } from './lib/wrangler-dev'

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: process.env.BENCH_CLIENTS ?? '50,100,200' },
    seconds: { type: 'string', default: process.env.BENCH_SECONDS ?? '30' },
    hz: { type: 'string', default: process.env.BENCH_HZ ?? '10' },
    port: { type: 'string', default: process.env.BENCH_PORT ?? '8799' },
    variants: { type: 'string', default: process.env.BENCH_VARIANTS ?? 'instance-room,baseline' },
    deflate: { type: 'boolean', default: process.env.BENCH_DEFLATE === '1' },
  },
})
const CLIENT_COUNTS = values.clients!.split(',').map(Number)
const DURATION_MS = Number(values.seconds) * 1000
const MOVE_HZ = Number(values.hz)
const PORT = Number(values.port)
const VARIANTS = values.variants!.split(',') as Variant[]
/** Whether bench clients offer per-message deflate (see "Compression" above). */
const PER_MESSAGE_DEFLATE = values.deflate!
const BASE_URL = `http://127.0.0.1:${PORT}`
/** Clients connect this many at a time (each upgrade authenticates and joins in Postgres). */
const CONNECT_CONCURRENCY = 10
/** The stamp in position.y wraps every 100 s. */
const STAMP_MODULO_MS = 100_000
/** Zone centres of the default 300 m square (thirds of ±150 m), and the jitter inside a zone. */
const ZONE_CENTRES_M = [-100, 0, 100]
const JITTER_M = 30

/**
 * A position update is useful only while it is fresh: updates that arrive within this budget (the
 * issue's p99 target) are also counted as "timely", so a saturated room's late backlog does not
 * pass for throughput.
 */
const LATENCY_BUDGET_MS = 150

/**
 * One client in this many decodes every frame (the SDK's typed events) and records latencies; the
 * others take batches raw (`batches: 'raw'`) and count move events in the text, so the load
 * generator, which shares the machine with the server, stays light.
 */
const OBSERVER_EVERY = 8
/** How a move event starts in a server frame (both rooms serialize events this way). */
const MOVE_EVENT_MARK = '{"type":"move"'
/** After the last client leaves, wait until the statement count has been still this long. */
const FLUSH_QUIET_MS = 2_000
const FLUSH_MAX_WAIT_MS = 30_000
const BASELINE_STATS_TIMEOUT_MS = 10_000

type Variant = 'instance-room' | 'baseline'

interface RunResult {
  variant: Variant
  clients: number
  seconds: number
  movesSent: number
  movesAccepted: number
  movesPerSecond: number
  framesReceived: number
  framesPerSecond: number
  updatesDelivered: number
  updatesPerSecond: number
  /** Share of observed updates that arrived within LATENCY_BUDGET_MS. */
  timelyShare: number
  /** updatesPerSecond × timelyShare. */
  timelyUpdatesPerSecond: number
  latencyP50Ms: number
  latencyP99Ms: number
  latencyMaxMs: number
  closedByServer: number
  /** Close codes of the sockets closed by the server, with their counts. */
  closeCodes: Record<string, number>
  dbStatements: number
  /** Baseline only: writes it attempted (one per move) and how many the database refused. */
  baselineWritesAttempted?: number
  baselineWritesFailed?: number
  dbStatementsPerMinute: number
  /**
   * Moves accepted per database statement. Null for a baseline whose counters went unanswered: a
   * saturated baseline leaves its writes queued behind the broadcast backlog, so its few statements
   * mean starvation, not reduction.
   */
  writeReduction: number | null
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Move-to-receipt latencies seen by the observers. */
class LatencyStats {
  readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000 })
  samples = 0
  withinBudget = 0

  record(ms: number): void {
    this.histogram.recordValue(ms)
    this.samples += 1
    if (ms <= LATENCY_BUDGET_MS) this.withinBudget += 1
  }

  reset(): void {
    this.histogram.reset()
    this.samples = 0
    this.withinBudget = 0
  }
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function inBatches<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = []
  for (let i = 0; i < items.length; i += limit) {
    results.push(...(await Promise.all(items.slice(i, i + limit).map(work))))
  }
  return results
}

/** A bench client: how it sends, where it lives, and what it counted. */
interface BenchClient {
  userId: string
  home: { x: number; z: number }
  /** Sends a move stamped with the send time; false when the socket is not open. */
  sendMove(position: { x: number; y: number; z: number }): boolean
  close(): void
  framesReceived: number
  updatesReceived: number
  rateLimited: number
  closedByServer: boolean
  /** The close code when the server closed the socket. */
  closeCode?: number
}

/** The WebSocket class of the bench clients (deflate offered only with --deflate). */
const BenchWebSocket = nodeWebSocket({ perMessageDeflate: PER_MESSAGE_DEFLATE })

function benchClient(userId: string, index: number): BenchClient {
  const zone = index % 9
  return {
    userId,
    home: { x: ZONE_CENTRES_M[zone % 3], z: ZONE_CENTRES_M[Math.floor(zone / 3)] },
    sendMove: () => false,
    close: () => undefined,
    framesReceived: 0,
    updatesReceived: 0,
    rateLimited: 0,
    closedByServer: false,
  }
}

/** Move events in a frame's text, counted without decoding it. */
function countMoves(text: string): number {
  let count = 0
  for (
    let at = text.indexOf(MOVE_EVENT_MARK);
    at !== -1;
    at = text.indexOf(MOVE_EVENT_MARK, at + 1)
  ) {
    count += 1
  }
  return count
}

/** A player of the real room, through the SDK's RoomClient; resolves after its welcome. */
async function openRoomClient(
  instanceId: string,
  player: { id: string; token: string },
  index: number,
  latency: LatencyStats,
): Promise<BenchClient> {
  const client = benchClient(player.id, index)
  const observer = index % OBSERVER_EVERY === 0
  const room = new RoomClient({
    baseUrl: BASE_URL,
    instanceId,
    accessToken: () => player.token,
    WebSocket: BenchWebSocket,
    reconnect: false,
    batches: observer ? 'decoded' : 'raw',
    connectTimeoutMs: 30_000,
  })
  let closing = false
  room.on('raw_batch', ({ data }) => {
    client.framesReceived += 1
    client.updatesReceived += countMoves(textOf(data))
  })
  room.on('batch', () => {
    client.framesReceived += 1
  })
  room.on('move', (event) => {
    client.updatesReceived += 1
    const sentAt = Math.round(event.position.y * 1000)
    latency.record(((Date.now() % STAMP_MODULO_MS) - sentAt + STAMP_MODULO_MS) % STAMP_MODULO_MS)
  })
  room.on('error', (frame) => {
    client.framesReceived += 1
    if (frame.code === 'rate_limited') client.rateLimited += 1
  })
  room.on('disconnect', ({ code }) => {
    if (closing) return
    client.closedByServer = true
    client.closeCode = code
  })
  client.sendMove = (position) => room.move({ position })
  client.close = () => {
    closing = true
    room.close()
  }
  await room.ready
  return client
}

/** A client of the naive baseline room (its own unauthenticated entrance, no protocol). */
async function openBaselineClient(
  instanceId: string,
  player: { id: string },
  index: number,
): Promise<BenchClient> {
  const client = benchClient(player.id, index)
  const url = `${BASE_URL.replace('http', 'ws')}/bench/baseline/${instanceId}/ws?user=${player.id}`
  const socket = new BenchWebSocket(url)
  let closing = false
  socket.on('message', (data) => {
    client.framesReceived += 1
    client.updatesReceived += countMoves(data.toString())
  })
  socket.on('close', (code) => {
    if (closing) return
    client.closedByServer = true
    client.closeCode = code
  })
  client.sendMove = (position) => {
    if (socket.readyState !== WebSocket.OPEN) return false
    socket.send(
      JSON.stringify({
        type: 'move',
        position,
        velocity: { x: 0, y: 0, z: 0 },
        rotation: { x: 0, y: 0, z: 0, w: 1 },
        activity: 'moving',
      }),
    )
    return true
  }
  client.close = () => {
    closing = true
    socket.close(1000, 'bench done')
  }
  await new Promise((ok, fail) => socket.once('open', ok).once('error', fail))
  return client
}

async function openClients(
  variant: Variant,
  instanceId: string,
  players: Array<{ id: string; token: string }>,
  latency: LatencyStats,
): Promise<BenchClient[]> {
  return inBatches(players, CONNECT_CONCURRENCY, async (player) => {
    const index = players.indexOf(player)
    return variant === 'instance-room'
      ? openRoomClient(instanceId, player, index, latency)
      : openBaselineClient(instanceId, player, index)
  })
}

async function runOnce(
  variant: Variant,
  players: Array<{ id: string; token: string }>,
  instanceId: string,
  statementCount: () => number,
): Promise<RunResult> {
  const latency = new LatencyStats()
  const clients = await openClients(variant, instanceId, players, latency)
  // Only the movement window counts: forget what arrived while clients were connecting.
  latency.reset()
  for (const c of clients) {
    c.framesReceived = 0
    c.updatesReceived = 0
  }
  const statementsBefore = statementCount()
  let movesSent = 0
  const intervalMs = 1000 / MOVE_HZ
  const started = Date.now()
  const timers = clients.map((client, i) =>
    setTimeout(
      () => {
        const timer = setInterval(() => {
          const sent = client.sendMove({
            x: client.home.x + (Math.random() - 0.5) * JITTER_M,
            y: (Date.now() % STAMP_MODULO_MS) / 1000,
            z: client.home.z + (Math.random() - 0.5) * JITTER_M,
          })
          if (sent) movesSent += 1
        }, intervalMs)
        timers.push(timer)
      },
      (i * intervalMs) / clients.length,
    ),
  ) as Array<ReturnType<typeof setTimeout>>
  await sleep(DURATION_MS)
  for (const t of timers) clearInterval(t)
  const elapsedS = (Date.now() - started) / 1000
  await sleep(1_000) // let the last ticks arrive
  const framesReceived = clients.reduce((n, c) => n + c.framesReceived, 0)
  const updatesDelivered = clients.reduce((n, c) => n + c.updatesReceived, 0)
  const rateLimited = clients.reduce((n, c) => n + c.rateLimited, 0)
  const closedByServer = clients.filter((c) => c.closedByServer).length
  const closeCodes: Record<string, number> = {}
  for (const c of clients) {
    if (c.closeCode !== undefined) closeCodes[c.closeCode] = (closeCodes[c.closeCode] ?? 0) + 1
  }
  for (const c of clients) c.close()
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
  const movesAccepted = movesSent - rateLimited
  const baselineWrites = variant === 'baseline' ? await baselineStats(instanceId) : undefined
  const timelyShare = latency.samples === 0 ? 0 : latency.withinBudget / latency.samples
  return {
    variant,
    clients: clients.length,
    seconds: Number(elapsedS.toFixed(1)),
    movesSent,
    movesAccepted,
    movesPerSecond: Math.round(movesAccepted / elapsedS),
    framesReceived,
    framesPerSecond: Math.round(framesReceived / elapsedS),
    updatesDelivered,
    updatesPerSecond: Math.round(updatesDelivered / elapsedS),
    timelyShare: Number(timelyShare.toFixed(4)),
    timelyUpdatesPerSecond: Math.round((updatesDelivered / elapsedS) * timelyShare),
    latencyP50Ms: latency.histogram.getValueAtPercentile(50),
    latencyP99Ms: latency.histogram.getValueAtPercentile(99),
    latencyMaxMs: latency.histogram.maxValue,
    closedByServer,
    closeCodes,
    dbStatements,
    baselineWritesAttempted: baselineWrites?.writesAttempted,
    baselineWritesFailed: baselineWrites?.writesFailed,
    dbStatementsPerMinute: Math.round((dbStatements / elapsedS) * 60),
    writeReduction:
      variant === 'baseline' && baselineWrites === undefined
        ? null
        : Number((movesAccepted / Math.max(1, dbStatements)).toFixed(1)),
  }
}

/**
 * The baseline room's write counters. A saturated baseline answers only after its backlog, so
 * the question has a deadline; no answer is reported as unknown.
 */
async function baselineStats(instanceId: string) {
  try {
    const res = await fetch(`${BASE_URL}/bench/baseline/${instanceId}/stats`, {
      signal: AbortSignal.timeout(BASELINE_STATS_TIMEOUT_MS),
    })
    return (await res.json()) as { writesAttempted: number; writesFailed: number }
  } catch {
    return undefined
  }
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
    vars: { AUTH_JWT_SECRET: secret },
    output: () => undefined,
  })
  // Ctrl-C stops wrangler (and its workerd processes) and the databases too.
  onShutdown(async () => {
    await wrangler.stop()
    await stack.close()
  })
  try {
    await wrangler.ready
    const maxClients = Math.max(...CLIENT_COUNTS)
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
    // Every real-room run first: a saturated baseline keeps working through its backlog after its
    // run ends, which would steal the CPU from whatever runs next.
    for (const variant of VARIANTS) {
      for (const count of CLIENT_COUNTS) {
        const instanceId = await withPgClient(stack.nexusUrl, async (pg) => {
          const { rows } = await pg.query<{ id: string }>(
            `INSERT INTO instances (owner_id, type, name, max_visitors, is_public)
             VALUES ($1, 'communal', $2, 1000, true) RETURNING id`,
            [players[0].id, `bench ${variant} ${count}`],
          )
          return rows[0].id
        })
        process.stdout.write(
          `running ${variant} with ${count} clients for ${DURATION_MS / 1000} s` +
            `${PER_MESSAGE_DEFLATE ? ' (clients offer deflate)' : ''}… `,
        )
        const result = await runOnce(
          variant,
          players.slice(0, count),
          instanceId,
          stack.proxy.statementCount,
        )
        console.log(`${result.updatesPerSecond} updates/s, p99 ${result.latencyP99Ms} ms`)
        results.push(result)
      }
    }
    printTable(results)
    await mkdir('bench-results', { recursive: true })
    const file = resolve('bench-results', 'room.json')
    await writeFile(
      file,
      JSON.stringify(
        {
          when: new Date().toISOString(),
          durationS: DURATION_MS / 1000,
          moveHz: MOVE_HZ,
          clientsOfferDeflate: PER_MESSAGE_DEFLATE,
          results,
        },
        null,
        2,
      ),
    )
    console.log(`\nwritten to ${file}`)
  } finally {
    await wrangler.stop()
    await stack.close()
    await rm(persistDir, { recursive: true, force: true })
  }
}

function printTable(results: RunResult[]) {
  const columns: Array<[string, (r: RunResult) => string | number]> = [
    ['room', (r) => r.variant],
    ['clients', (r) => r.clients],
    ['moves/s', (r) => r.movesPerSecond],
    ['frames/s', (r) => r.framesPerSecond],
    ['updates/s', (r) => r.updatesPerSecond],
    [`≤${LATENCY_BUDGET_MS} ms/s`, (r) => r.timelyUpdatesPerSecond],
    ['p50 ms', (r) => r.latencyP50Ms],
    ['p99 ms', (r) => r.latencyP99Ms],
    [
      'closed',
      (r) =>
        `${r.closedByServer}${
          r.closedByServer
            ? ` (${Object.entries(r.closeCodes)
                .map(([c, n]) => `${n}×${c}`)
                .join(' ')})`
            : ''
        }`,
    ],
    ['db stmts', (r) => r.dbStatements],
    ['failed writes', (r) => r.baselineWritesFailed ?? '-'],
    ['stmts/min', (r) => r.dbStatementsPerMinute],
    ['write reduction', (r) => (r.writeReduction === null ? 'n/a' : `${r.writeReduction}×`)],
  ]
  const rows = results.map((r) => columns.map(([, get]) => String(get(r))))
  const widths = columns.map(([name], i) =>
    Math.max(name.length, ...rows.map((row) => row[i].length)),
  )
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ')
  console.log(`\n${line(columns.map(([name]) => name))}`)
  for (const row of rows) console.log(line(row))
  for (const count of new Set(results.map((r) => r.clients))) {
    const room = results.find((r) => r.clients === count && r.variant === 'instance-room')
    const base = results.find((r) => r.clients === count && r.variant === 'baseline')
    if (room && base) {
      const ratio = room.updatesPerSecond / Math.max(1, base.updatesPerSecond)
      const timely = room.timelyUpdatesPerSecond / Math.max(1, base.timelyUpdatesPerSecond)
      console.log(
        `${count} clients: instance-room delivers ${ratio.toFixed(2)}× the baseline's updates/s, ` +
          `${timely.toFixed(2)}× its updates within ${LATENCY_BUDGET_MS} ms`,
      )
    }
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
