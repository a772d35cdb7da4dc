/**
 * One thread of `bench:room`'s load generator: the SDK room clients it was given, their moves
 * and what they received. The bench runs several of these threads (`--threads`), as real
 * clients run on many machines: one Node thread cannot decode what 500 clients in one room
 * receive (1.5 million updates a second) and would measure its own queue instead of the room.
 *
 * The main thread drives a thread with messages (`ThreadCommand`) and gets one answer each
 * (`ThreadReply`): `open` connects the clients, `run` moves them for a measured period and
 * answers with their counts, `close` disconnects them. `room-clients-thread.mjs` starts it.
 */
import { parentPort } from 'node:worker_threads'
import WebSocket from 'ws'
import { RoomClient } from '../../client'
import { binaryOf, textOf } from '../../client/room/codec'
import { readBatchFrame, type RoomProtocol } from '../../durable-objects/instance-room/wire'
import { ZONES, type Zone } from '../../durable-objects/instance-room/zones'

/** One client to connect: who, where, in which room. `index` is its place among all clients. */
export interface ClientAssignment {
  index: number
  room: number
  instanceId: string
  zone: Zone
  player: { id: string; token: string }
}

export type ThreadCommand =
  | {
      type: 'open'
      baseUrl: string
      protocol: RoomProtocol
      decodeAll: boolean
      perMessageDeflate: boolean
      clients: ClientAssignment[]
    }
  | {
      type: 'run'
      startedAt: number
      warmupMs: number
      durationMs: number
      drainMs: number
      hz: number
    }
  | { type: 'close' }

/** What one client sent and received while measured. */
export interface ClientCounts {
  index: number
  room: number
  zone: Zone
  movesSent: number
  updatesReceived: number
  timelyReceived: number
  bytesReceived: number
  framesReceived: number
  closeCode?: number
}

export type ThreadReply =
  | { type: 'opened' }
  | {
      type: 'measured'
      clients: ClientCounts[]
      /** Latencies in whole ms: `latencyCounts[ms]` updates took `ms` (the last slot: more). */
      latencyCounts: Uint32Array
      /** Ping round trips (ms) of the prober, when this thread has it (client 0). */
      pings: number[]
    }
  | { type: 'closed' }
  | { type: 'failed'; message: string }

/** Latencies are counted per ms up to this (a slower update counts in the last slot). */
export const LATENCY_SLOTS = 120_001
/** The stamp in position.y wraps every 100 s. */
const STAMP_MODULO_MS = 100_000
/** Zone centres of the default 300 m square (thirds of ±150 m), and the jitter inside a zone. */
const ZONE_CENTRES_M = [-100, 0, 100]
const JITTER_M = 30
/** A position update is useful only while it is fresh: within this budget it counts as timely. */
export const LATENCY_BUDGET_MS = 150
/** In `--decode light`, one client in this many decodes; the others count moves raw. */
const DECODER_EVERY = 8
/** How a move event starts in a v1 frame. */
const MOVE_EVENT_MARK = '{"type":"move"'
/** Clients connect this many at a time (each upgrade authenticates and joins in Postgres). */
const CONNECT_CONCURRENCY = 10
/** The sender's clock resolution: clients are spread over the phases of a move interval. */
const SEND_SLOT_MS = 2
/** The ping prober's interval. */
const PING_EVERY_MS = 250

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface BenchClient {
  /** What it sent and received while measured (the thread's reply carries these). */
  counts: ClientCounts
  home: { x: number; z: number }
  sdk: RoomClient
  /** Closed by the bench (its close code is then not the server's). */
  closing: boolean
}

/** Counts every byte a socket receives (text and binary frames alike). */
function countingWebSocket(perMessageDeflate: boolean, onBytes: (bytes: number) => void) {
  return class CountingWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { perMessageDeflate })
      // The SDK sees only "closed"; say why an upgrade failed (a status, a reset).
      this.on('error', (error: Error) => console.error(`\nbench client: ${error.message}`))
      this.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
        onBytes(
          Array.isArray(data)
            ? data.reduce((n, b) => n + b.length, 0)
            : (data as ArrayBuffer).byteLength,
        )
      })
    }
  }
}

/** A client's counts at zero (before its measured window). */
function zeroCounts({
  index,
  room,
  zone,
}: Pick<ClientCounts, 'index' | 'room' | 'zone'>): ClientCounts {
  return {
    index,
    room,
    zone,
    movesSent: 0,
    updatesReceived: 0,
    timelyReceived: 0,
    bytesReceived: 0,
    framesReceived: 0,
  }
}

/** Move events in a frame, counted without the SDK (the light generator). */
function countMovesRaw(data: unknown): number {
  const bytes = binaryOf(data as ArrayBuffer)
  if (bytes === null) {
    const text = textOf(data as string)
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
  let count = 0
  readBatchFrame(bytes, {
    seq: () => undefined,
    mover: () => (count += 1),
    json: () => undefined,
  })
  return count
}

/** The clients of this thread and what they measure. */
class ThreadClients {
  private clients: BenchClient[] = []
  private measuring = false
  private latencyCounts = new Uint32Array(LATENCY_SLOTS)

  async open(command: Extract<ThreadCommand, { type: 'open' }>): Promise<void> {
    for (let i = 0; i < command.clients.length; i += CONNECT_CONCURRENCY) {
      const batch = command.clients.slice(i, i + CONNECT_CONCURRENCY)
      this.clients.push(...(await Promise.all(batch.map((c) => this.openClient(command, c)))))
    }
  }

  /** One client through the SDK; resolves after its welcome. */
  private async openClient(
    command: Extract<ThreadCommand, { type: 'open' }>,
    assignment: ClientAssignment,
  ): Promise<BenchClient> {
    const zoneIndex = ZONES.indexOf(assignment.zone)
    const decodes = command.decodeAll || assignment.index % DECODER_EVERY === 0
    const client = {
      counts: zeroCounts(assignment),
      home: { x: ZONE_CENTRES_M[zoneIndex % 3], z: ZONE_CENTRES_M[2 - Math.floor(zoneIndex / 3)] },
      closing: false,
    } as BenchClient
    client.sdk = new RoomClient({
      baseUrl: command.baseUrl,
      instanceId: assignment.instanceId,
      accessToken: () => assignment.player.token,
      WebSocket: countingWebSocket(command.perMessageDeflate, (bytes) => {
        if (!this.measuring) return
        client.counts.bytesReceived += bytes
        client.counts.framesReceived += 1
      }),
      reconnect: false,
      batches: decodes ? 'decoded' : 'raw',
      protocol: command.protocol,
      connectTimeoutMs: 60_000,
    })
    const sdk = client.sdk
    sdk.on('raw_batch', ({ data }) => {
      if (this.measuring) client.counts.updatesReceived += countMovesRaw(data)
    })
    // Per batch, not per move: one clock read for every update of a frame.
    sdk.on('batch', (batch) => {
      if (!this.measuring) return
      const now = Date.now() % STAMP_MODULO_MS
      for (const event of batch.events) {
        if (event.type !== 'move') continue
        client.counts.updatesReceived += 1
        const sentAt = Math.round(event.position.y * 1000)
        const ms = (now - sentAt + STAMP_MODULO_MS) % STAMP_MODULO_MS
        this.latencyCounts[Math.min(ms, LATENCY_SLOTS - 1)] += 1
        if (ms <= LATENCY_BUDGET_MS) client.counts.timelyReceived += 1
      }
    })
    sdk.on('disconnect', ({ code }) => {
      if (!client.closing) client.counts.closeCode = code
    })
    await sdk.ready
    return client
  }

  /**
   * Moves the clients from `startedAt`: `warmupMs` unmeasured (the room's and the clients' code
   * gets compiled for the load), then `durationMs` measured; waits `drainMs` for the last
   * frames, and counts.
   */
  async run(command: Extract<ThreadCommand, { type: 'run' }>): Promise<ThreadReply> {
    // A close the server made before the run stays counted.
    for (const c of this.clients)
      c.counts = { ...zeroCounts(c.counts), closeCode: c.counts.closeCode }
    this.latencyCounts = new Uint32Array(LATENCY_SLOTS)
    const prober = this.clients.find((c) => c.counts.index === 0)?.sdk
    const pings: number[] = []
    let pingSentAt = 0
    const stopPong = prober?.on('pong', () => {
      if (this.measuring) pings.push(Date.now() - pingSentAt)
    })
    const pingTimer = prober
      ? setInterval(() => {
          pingSentAt = Date.now()
          prober.ping()
        }, PING_EVERY_MS)
      : null
    const stopSending = this.startSending(command.startedAt, command.hz)
    const measuredFrom = command.startedAt + command.warmupMs
    await sleep(measuredFrom - Date.now())
    this.measuring = true
    await sleep(measuredFrom + command.durationMs - Date.now())
    stopSending()
    if (pingTimer) clearInterval(pingTimer)
    await sleep(command.drainMs)
    this.measuring = false
    stopPong?.()
    return {
      type: 'measured',
      clients: this.clients.map((c) => c.counts),
      latencyCounts: this.latencyCounts,
      pings,
    }
  }

  /**
   * Moves every client at `hz`, each at its own fixed phase of the interval (from its index
   * among all clients), as independent clients on their own machines would. A `setInterval`
   * per client does not do that: Node re-arms every interval of the same duration from the
   * same loop time, so once the thread is busy its clients fall into step and each round goes
   * out in one burst. A late sender catches up on the phases it missed. Returns the stop.
   */
  private startSending(startedAt: number, hz: number): () => void {
    const intervalMs = 1000 / hz
    const slots = Math.max(1, Math.round(intervalMs / SEND_SLOT_MS))
    const bySlot: BenchClient[][] = Array.from({ length: slots }, () => [])
    for (const client of this.clients) bySlot[client.counts.index % slots].push(client)
    let nextSlot = 0
    const timer = setInterval(() => {
      const due = Math.floor(((Date.now() - startedAt) * slots) / intervalMs)
      for (; nextSlot <= due; nextSlot++) {
        for (const client of bySlot[nextSlot % slots]) {
          const sent = client.sdk.move({
            position: {
              x: client.home.x + (Math.random() - 0.5) * JITTER_M,
              y: (Date.now() % STAMP_MODULO_MS) / 1000,
              z: client.home.z + (Math.random() - 0.5) * JITTER_M,
            },
          })
          if (sent && this.measuring) client.counts.movesSent += 1
        }
      }
    }, intervalMs / slots)
    return () => clearInterval(timer)
  }

  close(): void {
    for (const c of this.clients) {
      c.closing = true
      c.sdk.close()
    }
    this.clients = []
  }
}

const port = parentPort
if (port) {
  const clients = new ThreadClients()
  port.on('message', async (command: ThreadCommand) => {
    try {
      if (command.type === 'open') {
        await clients.open(command)
        port.postMessage({ type: 'opened' } satisfies ThreadReply)
      } else if (command.type === 'run') {
        port.postMessage(await clients.run(command))
      } else {
        clients.close()
        port.postMessage({ type: 'closed' } satisfies ThreadReply)
      }
    } catch (error) {
      port.postMessage({
        type: 'failed',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies ThreadReply)
    }
  })
}
