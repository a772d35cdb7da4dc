/**
 * A Neon-compatible WebSocket proxy: each WebSocket connection to `/v2?address=host:port` is piped
 * to a TCP connection to that Postgres, byte for byte, both ways. This is what lets the Neon
 * serverless driver (the production path) run unchanged inside `wrangler dev` and the workerd tests.
 *
 * The embedded databases have no password, so the proxy guards them: it is a development tool,
 * never an open relay. An upgrade is refused (before any byte reaches a database) when
 * - its target is not a loopback host and one of the ports it was started with (the stack's own
 *   databases), so it cannot be used to reach anything else on the machine;
 * - it carries an `Origin` header: browsers always send one on a WebSocket upgrade, the Neon driver
 *   (in workerd or Node) never does, so a web page open in the developer's browser cannot use it.
 */
import { createServer, type IncomingMessage, STATUS_CODES } from 'node:http'
import { createConnection, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { PortInUseError } from './embedded-postgres'

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

/** A running proxy. */
export interface NeonWsProxy {
  host: string
  port: number
  /** Statements clients have sent through the proxy (Query and Execute messages), for benchmarks. */
  statementCount(): number
  /** `host:port`, the value for `NEON_WS_PROXY`. */
  address: string
  close(): Promise<void>
}

/** Parses `host:port` from the `address` query parameter; null when absent or not loopback. */
export function parseProxyTarget(url: string | undefined): { host: string; port: number } | null {
  const address = new URL(url ?? '/', 'http://proxy').searchParams.get('address')
  const match = address?.match(/^(.+):(\d{1,5})$/)
  if (!match) return null
  const host = match[1]
  const port = Number(match[2])
  if (!LOOPBACK_HOSTS.has(host) || port < 1 || port > 65_535) return null
  return { host: host.replace(/^\[|\]$/g, ''), port }
}

const SSL_REQUEST_CODE = 80_877_103
const GSSENC_REQUEST_CODE = 80_877_104

/**
 * Follows the message framing of the client-to-server Postgres stream to spot the Terminate
 * message ('X'). A real Postgres closes the connection when it receives Terminate, and the Neon
 * driver relies on that: its `end()` never closes the WebSocket itself. PGlite's socket server does
 * not close, so without this every finished client would leave a connection open.
 */
export class TerminateDetector {
  private header = Buffer.alloc(0)
  private bodyBytesLeft = 0
  private inStartup = true
  /** Query ('Q') and Execute ('E') messages seen: one per statement the client ran. */
  statements = 0

  /** Feeds client bytes; true once a Terminate message has been seen. */
  push(chunk: Buffer): boolean {
    let offset = 0
    while (offset < chunk.length) {
      if (this.bodyBytesLeft > 0) {
        const take = Math.min(this.bodyBytesLeft, chunk.length - offset)
        this.bodyBytesLeft -= take
        offset += take
        continue
      }
      // Startup-phase messages have no type byte: int32 length, int32 code.
      const headerSize = this.inStartup ? 8 : 5
      const take = Math.min(headerSize - this.header.length, chunk.length - offset)
      this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + take)])
      offset += take
      if (this.header.length < headerSize) break
      if (this.inStartup) {
        const length = this.header.readInt32BE(0)
        const code = this.header.readInt32BE(4)
        this.bodyBytesLeft = Math.max(0, length - 8)
        if (code !== SSL_REQUEST_CODE && code !== GSSENC_REQUEST_CODE) this.inStartup = false
      } else {
        const type = this.header[0]
        if (type === 0x58 /* 'X' */) return true
        if (type === 0x51 /* 'Q' */ || type === 0x45 /* 'E' */) this.statements += 1
        this.bodyBytesLeft = Math.max(0, this.header.readInt32BE(1) - 4)
      }
      this.header = Buffer.alloc(0)
    }
    return false
  }
}

function pipe(ws: WebSocket, tcp: Socket, onStatements: (count: number) => void): void {
  const terminate = new TerminateDetector()
  tcp.on('data', (chunk) => {
    if (ws.readyState === ws.OPEN) ws.send(chunk)
  })
  ws.on('message', (data) => {
    const chunks = Array.isArray(data) ? data : [data as Buffer]
    for (const raw of chunks) {
      const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as ArrayBuffer)
      tcp.write(chunk)
      const before = terminate.statements
      const terminated = terminate.push(chunk)
      onStatements(terminate.statements - before)
      // Close both sides after Terminate, as a Postgres server would.
      if (terminated) {
        tcp.end()
        ws.close()
        return
      }
    }
  })
  // Messages that arrive before the TCP connection opens are buffered by the socket's write queue.
  tcp.on('close', () => ws.close())
  tcp.on('error', () => ws.close(1011, 'database connection failed'))
  ws.on('close', () => tcp.destroy())
  ws.on('error', () => tcp.destroy())
}

/** Why an upgrade request is refused: the HTTP status and a reason for the developer. */
interface Refusal {
  status: 400 | 403
  reason: string
}

/**
 * The target the proxy may open for `request`: a loopback host on one of `allowedPorts`, asked by
 * a client that is not a web page (no `Origin`); otherwise why it is refused.
 */
function targetOf(
  request: IncomingMessage,
  allowedPorts: ReadonlySet<number>,
): { target: { host: string; port: number } } | { refusal: Refusal } {
  if (request.headers.origin !== undefined) {
    return {
      refusal: {
        status: 403,
        reason: 'requests from web pages (with an Origin header) are refused',
      },
    }
  }
  const target = parseProxyTarget(request.url)
  if (!target) return { refusal: { status: 400, reason: 'address must be a loopback host:port' } }
  if (!allowedPorts.has(target.port)) {
    return {
      refusal: { status: 403, reason: `port ${target.port} is not one of the stack's databases` },
    }
  }
  return { target }
}

/** Answers a refused upgrade with a plain HTTP error, so no WebSocket is ever opened. */
function refuseUpgrade(socket: Duplex, refusal: Refusal): void {
  const body = `${refusal.reason}\n`
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

/**
 * Starts the proxy on `host:port` (0 picks a free port). It relays only to loopback targets on
 * `allowedPorts`: the ports of the databases the stack started or was pointed at.
 */
export async function startNeonWsProxy(options: {
  host?: string
  port: number
  envVar?: string
  allowedPorts: readonly number[]
}): Promise<NeonWsProxy> {
  const host = options.host ?? '127.0.0.1'
  const allowedPorts = new Set(options.allowedPorts)
  const wss = new WebSocketServer({ noServer: true })
  const server = createServer((_request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain' }).end('WebSocket upgrade required\n')
  })
  let statements = 0
  server.on('upgrade', (request, socket, head) => {
    const checked = targetOf(request, allowedPorts)
    if ('refusal' in checked) {
      console.warn(`[db proxy] refused a connection: ${checked.refusal.reason}`)
      refuseUpgrade(socket, checked.refusal)
      return
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      // No Nagle: with Postgres's delayed ACKs it would stall most queries by ~40 ms.
      pipe(ws, createConnection({ ...checked.target, noDelay: true }), (n) => {
        statements += n
      })
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new PortInUseError(options.port, options.envVar ?? 'the proxy port variable')
          : error,
      )
    })
    server.listen(options.port, host)
  })
  const port = (server.address() as { port: number }).port
  return {
    host,
    port,
    address: `${host}:${port}`,
    statementCount: () => statements,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate()
        wss.close()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
