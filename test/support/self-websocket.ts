/**
 * A WebSocket class for SDK tests inside workerd: `new SelfWebSocket(url, protocols)` opens the
 * socket through the test Worker (`SELF.fetch` with an Upgrade), so the SDK's room client runs
 * unchanged against the real Worker and its real Durable Objects. It has the browser WebSocket's
 * shape that partysocket uses (readyState, send, close, open/message/close/error events).
 *
 * `drop()` cuts a socket as a network failure would: the client sees a close 1006 (abnormal),
 * the room sees the socket close.
 */
import { SELF } from 'cloudflare:test'

const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
const CLOSED = 3

/** A close as the SDK reads it (`code`, `reason`). */
class SocketCloseEvent extends Event {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super('close')
  }
}

/** A browser-shaped WebSocket over `SELF.fetch`; see the file comment. */
export class SelfWebSocket extends EventTarget {
  static readonly CONNECTING = CONNECTING
  static readonly OPEN = OPEN
  static readonly CLOSING = CLOSING
  static readonly CLOSED = CLOSED
  /** Sockets opened and not yet closed. */
  static readonly open = new Set<SelfWebSocket>()
  /** Upgrade answers that were not 101, in order (status and body). */
  static readonly refusals: Array<{ status: number; body: string }> = []

  readyState = CONNECTING
  protocol = ''
  /** The subprotocols offered (the access token is one of them). */
  readonly offered: string[]
  binaryType = 'blob'
  readonly extensions = ''
  readonly bufferedAmount = 0
  private socket: WebSocket | null = null

  constructor(
    readonly url: string,
    protocols?: string | string[],
  ) {
    super()
    this.offered = typeof protocols === 'string' ? [protocols] : (protocols ?? [])
    void this.connect(this.offered)
  }

  /** The open socket authenticated by `accessToken`. */
  static openWith(accessToken: string): SelfWebSocket {
    const found = [...SelfWebSocket.open].find((s) => s.offered.includes(`bearer.${accessToken}`))
    if (!found) throw new Error('no open socket with that token')
    return found
  }

  send(data: string | ArrayBufferView<ArrayBuffer> | ArrayBuffer): void {
    if (this.readyState !== OPEN) throw new Error('socket is not open')
    this.socket!.send(data)
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState >= CLOSING) return
    this.readyState = CLOSING
    this.socket?.close(code, reason)
    if (!this.socket) this.finish(code, reason)
  }

  /** The network fails: the room sees a close, this side a 1006. */
  drop(): void {
    if (this.readyState >= CLOSING) return
    const socket = this.socket
    this.finish(1006, 'connection lost')
    socket?.close(1001, 'gone')
  }

  private async connect(protocols: string[]): Promise<void> {
    const res = await SELF.fetch(this.url.replace(/^ws/, 'http'), {
      headers: {
        Upgrade: 'websocket',
        ...(protocols.length ? { 'Sec-WebSocket-Protocol': protocols.join(', ') } : {}),
      },
    })
    if (res.status !== 101 || !res.webSocket) {
      SelfWebSocket.refusals.push({ status: res.status, body: await res.text() })
      this.dispatchEvent(new Event('error'))
      this.finish(1006, `upgrade refused with ${res.status}`)
      return
    }
    const socket = res.webSocket
    // Binary frames as the caller asked for them (partysocket sets this before the socket opens).
    if (this.binaryType === 'arraybuffer') {
      ;(socket as unknown as { binaryType: string }).binaryType = 'arraybuffer'
    }
    socket.accept()
    if (this.readyState >= CLOSING) {
      socket.close(1000, 'closed before open')
      return
    }
    this.socket = socket
    this.protocol = res.headers.get('Sec-WebSocket-Protocol') ?? ''
    this.readyState = OPEN
    SelfWebSocket.open.add(this)
    socket.addEventListener('message', (event) => {
      if (this.readyState !== OPEN) return
      this.dispatchEvent(new MessageEvent('message', { data: event.data }))
    })
    socket.addEventListener('close', (event) => this.finish(event.code, event.reason))
    socket.addEventListener('error', () => this.dispatchEvent(new Event('error')))
    this.dispatchEvent(new Event('open'))
  }

  private finish(code: number, reason: string): void {
    if (this.readyState === CLOSED) return
    this.readyState = CLOSED
    SelfWebSocket.open.delete(this)
    this.dispatchEvent(new SocketCloseEvent(code, reason))
  }
}
