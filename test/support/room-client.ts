/**
 * A WebSocket client of the InstanceRoom for workerd tests: records every frame it receives and
 * waits for frames or the close.
 */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A test client over a real WebSocket to the room, recording every frame it receives. */
export class RoomClient {
  readonly received: any[] = []
  closeEvent: { code: number; reason: string } | null = null

  constructor(readonly ws: WebSocket) {
    ws.addEventListener('message', (event) => {
      this.received.push(JSON.parse(String(event.data)))
    })
    ws.addEventListener('close', (event) => {
      this.closeEvent = { code: event.code, reason: event.reason }
    })
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** Waits for a frame matching `predicate` (among all frames received so far or later). */
  async waitFor(predicate: (frame: any) => boolean, what: string, timeoutMs = 3_000): Promise<any> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.received.find(predicate)
      if (found) return found
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.received)}`)
      }
      await sleep(10)
    }
  }

  /** Waits for a `batch` frame carrying an event that matches `predicate`; returns that event. */
  async waitForEvent(
    predicate: (event: any) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<any> {
    const frame = await this.waitFor(
      (f) => f.type === 'batch' && f.events.some(predicate),
      what,
      timeoutMs,
    )
    return frame.events.find(predicate)
  }

  async waitForClose(timeoutMs = 3_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs
    while (this.closeEvent === null) {
      if (Date.now() > deadline) throw new Error('timed out waiting for close')
      await sleep(10)
    }
    return this.closeEvent
  }

  /**
   * A marker: sends `ping` and waits for its `pong`. Every frame the room sent this socket before
   * it handled the ping has then arrived (a socket delivers in order), so a test can assert that
   * something was not received without sleeping.
   */
  async roundTrip(): Promise<void> {
    const pongs = () => this.received.filter((frame) => frame.type === 'pong').length
    const before = pongs()
    this.send({ type: 'ping' })
    await this.waitFor(() => pongs() > before, 'pong of the marker ping')
  }

  /** Every event of every batch received, in order. */
  events(): any[] {
    return this.received.filter((frame) => frame.type === 'batch').flatMap((frame) => frame.events)
  }

  /** Connects without `hello`; `greet` sends it and waits for the welcome. */
  async greet(): Promise<any> {
    this.send({ type: 'hello' })
    return this.waitFor((frame) => frame.type === 'welcome', 'welcome')
  }

  close(): void {
    this.ws.close(1000, 'bye')
  }
}
