/**
 * Abuse limits that hold across isolates: the Worker's side of the RateLimiter Durable Object.
 * Each limited thing is a key with a limit per window (see `LIMITS`); a refused take is a 429
 * `rate_limited` with `Retry-After`, an unreachable limiter a 503.
 *
 * Limits keyed by the client's address use `CF-Connecting-IP`, which Cloudflare (and `wrangler
 * dev`) set on every request and a client cannot forge there. A request without it can only come
 * from a test harness calling the Worker directly; address limits do not apply to it.
 */
import type { Context } from 'hono'
import type { AppEnv } from './context'
import { ApiError } from './errors'
import { describeError } from './logger'

/** One limit: at most `limit` units per `windowMs`. */
export interface RateLimit {
  /** Names the limit in keys and messages. */
  name: string
  limit: number
  windowMs: number
}

/** The client's address, when the platform gave one. */
export function clientAddress(c: Context<AppEnv>): string | undefined {
  return c.req.header('CF-Connecting-IP')?.trim() || undefined
}

function limiterOf(c: Context<AppEnv>, limit: RateLimit, key: string) {
  const namespace = c.env.RATE_LIMITER
  return namespace.get(namespace.idFromName(`${limit.name}:${key}`))
}

/** Runs one limiter call; a limiter that cannot be reached is a 503, never a silent pass. */
async function callLimiter<T>(c: Context<AppEnv>, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    c.var.log.error('rate limiter unreachable', describeError(error))
    throw new ApiError('service_unavailable', 'the service is busy; try again shortly')
  }
}

/** Takes one unit of `limit` for `key`; 429 with Retry-After when none is left. */
export async function takeRateLimit(
  c: Context<AppEnv>,
  limit: RateLimit,
  key: string,
  message: string,
): Promise<void> {
  const decision = await callLimiter(c, () => limiterOf(c, limit, key).take(limit.limit, limit.windowMs))
  if (!decision.allowed) {
    const retryAfterSeconds = Math.ceil(decision.retry_after_ms / 1000)
    throw new ApiError(
      'rate_limited',
      message,
      { retry_after_seconds: retryAfterSeconds, limit: limit.limit, window_seconds: limit.windowMs / 1000 },
      { 'Retry-After': String(retryAfterSeconds) },
    )
  }
}

/** Gives back the unit a `takeRateLimit` reserved (the attempt did not count against the limit). */
export async function refundRateLimit(c: Context<AppEnv>, limit: RateLimit, key: string) {
  await callLimiter(c, () => limiterOf(c, limit, key).refund(limit.windowMs))
}

/** Clears `key`'s units of `limit` (e.g. failed logins after a successful one). */
export async function resetRateLimit(c: Context<AppEnv>, limit: RateLimit, key: string) {
  await callLimiter(c, () => limiterOf(c, limit, key).reset())
}
