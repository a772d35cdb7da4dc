/**
 * A small Node client for the live rooms, used by `npm run demo:room` and `npm run bench:room`:
 * account and instance setup over HTTP, and a WebSocket connection speaking the room protocol.
 */
import WebSocket from 'ws'
import type { ClientFrame, ServerMessage } from '../../durable-objects/instance-room/protocol'

/** The room protocol's subprotocol name; the token travels as a second one (`bearer.<jwt>`). */
export const ROOM_SUBPROTOCOL = 'nexus.v1'

/** Calls the API and returns the parsed JSON body; throws with the body on an unexpected status. */
export async function apiCall<T = any>(
  baseUrl: string,
  path: string,
  options: { method?: string; token?: string; body?: unknown; expect?: number } = {},
): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  })
  const text = await res.text()
  if (res.status !== (options.expect ?? res.status) || res.status >= 400) {
    throw new Error(`${options.method ?? 'GET'} ${path} answered ${res.status}: ${text}`)
  }
  return (text ? JSON.parse(text) : undefined) as T
}

/** Registers a fresh player; returns its id and access token. */
export async function registerPlayer(baseUrl: string, prefix: string) {
  const username = `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`.slice(
    0,
    32,
  )
  const body = await apiCall(baseUrl, '/v1/auth/register', {
    body: { username, password: 'demo password 1234' },
    expect: 201,
  })
  return { id: body.user.id as string, username, token: body.access_token as string }
}

/** A live connection to one instance's room. */
export class RoomConnection {
  readonly received: ServerMessage[] = []
  private waiters: Array<{
    test: (m: ServerMessage) => boolean
    resolve: (m: ServerMessage) => void
  }> = []
  closeCode: number | undefined

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as ServerMessage
      this.received.push(message)
      this.onMessage?.(message)
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(message)) return true
        w.resolve(message)
        return false
      })
    })
    socket.on('close', (code) => {
      this.closeCode = code
    })
  }

  /** Called for every server frame (the benchmark measures latency here). */
  onMessage?: (message: ServerMessage) => void

  /**
   * Opens the WebSocket of `instanceId` with `token` and waits for it to open. `perMessageDeflate`
   * says whether to offer compression (default: offered, as browsers do).
   */
  static async open(
    baseUrl: string,
    instanceId: string,
    token: string,
    options: { perMessageDeflate?: boolean } = {},
  ): Promise<RoomConnection> {
    return RoomConnection.openPath(baseUrl, `/v1/instances/${instanceId}/ws`, token, options)
  }

  /** Opens the live-object WebSocket at `path` (a room's, or a quest session's) with `token`. */
  static async openPath(
    baseUrl: string,
    path: string,
    token: string,
    options: { perMessageDeflate?: boolean } = {},
  ): Promise<RoomConnection> {
    const url = `${baseUrl.replace(/^http/, 'ws')}${path}`
    const socket = new WebSocket(url, [ROOM_SUBPROTOCOL, `bearer.${token}`], {
      perMessageDeflate: options.perMessageDeflate ?? true,
    })
    const connection = new RoomConnection(socket)
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused with ${res.statusCode}`)),
      )
      socket.once('error', reject)
    })
    return connection
  }

  /** Sends one client frame. */
  send(frame: ClientFrame): void {
    this.socket.send(JSON.stringify(frame))
  }

  /** Resolves with the first frame (already received or future) that passes `test`. */
  waitFor(test: (m: ServerMessage) => boolean, timeoutMs = 5_000): Promise<ServerMessage> {
    const seen = this.received.find(test)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs)
      this.waiters.push({
        test,
        resolve: (m) => {
          clearTimeout(timer)
          resolve(m)
        },
      })
    })
  }

  /** Closes the connection normally. */
  close(): void {
    this.socket.close(1000, 'done')
  }
}

/** A `move` frame at (x, z) on the ground, facing north. */
export function moveFrame(
  x: number,
  z: number,
  activity: 'idle' | 'moving' = 'moving',
): ClientFrame {
  return {
    type: 'move',
    position: { x, y: 0, z },
    velocity: { x: 0, y: 0, z: 0 },
    rotation: { x: 0, y: 0, z: 0, w: 1 },
    activity,
  }
}
