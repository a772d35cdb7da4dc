/**
 * RateLimiter: one Durable Object per limited key (`login-account:<username>|<address>`,
 * `register-address:<address>`, …), so a limit holds exactly across every isolate and location:
 * the object runs one call at a time, and a check and its increment are one call.
 *
 * Sliding log: the object keeps the times of the units taken within the window (at most `limit`
 * of them), persisted on every change so an eviction forgets nothing. An alarm deletes the
 * storage once the window has passed, so idle keys cost nothing.
 */
import { DurableObject } from 'cloudflare:workers'

/** The answer to `take`. */
export interface RateDecision {
  allowed: boolean
  /** Units left in the window after this one. */
  remaining: number
  /** When refused: milliseconds until a unit frees up. */
  retry_after_ms: number
}

const HITS_KEY = 'hits'

/** The RateLimiter Durable Object (RPC only). */
export class RateLimiter extends DurableObject {
  /** Epoch ms of the units taken, oldest first; loaded on first use. */
  private hits: number[] | null = null

  private async load(): Promise<number[]> {
    this.hits ??= (await this.ctx.storage.get<number[]>(HITS_KEY)) ?? []
    return this.hits
  }

  private async save(hits: number[], windowMs: number): Promise<void> {
    this.hits = hits
    await this.ctx.storage.put(HITS_KEY, hits)
    await this.ctx.storage.setAlarm(Date.now() + windowMs)
  }

  /** Takes one unit when fewer than `limit` were taken in the last `windowMs`. */
  async take(limit: number, windowMs: number): Promise<RateDecision> {
    const now = Date.now()
    const hits = (await this.load()).filter((at) => at > now - windowMs)
    if (hits.length >= limit) {
      this.hits = hits
      return { allowed: false, remaining: 0, retry_after_ms: Math.max(1, hits[0] + windowMs - now) }
    }
    hits.push(now)
    await this.save(hits, windowMs)
    return { allowed: true, remaining: limit - hits.length, retry_after_ms: 0 }
  }

  /** Gives back the newest unit (the attempt it reserved turned out not to count). */
  async refund(windowMs: number): Promise<void> {
    const hits = await this.load()
    if (hits.length === 0) return
    await this.save(hits.slice(0, -1), windowMs)
  }

  /** Forgets every unit (e.g. failed logins, after a successful one). */
  async reset(): Promise<void> {
    this.hits = []
    await this.ctx.storage.deleteAll()
  }

  /** The window has passed since the last change: nothing left worth keeping. */
  override async alarm(): Promise<void> {
    this.hits = null
    await this.ctx.storage.deleteAll()
  }
}
