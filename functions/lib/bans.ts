/**
 * Bans at the door: `requireAuth` refuses a banned account's tokens on every request (403
 * `forbidden`, `details.reason = "banned"`), without a database round trip.
 *
 * How a request learns of a ban: each isolate keeps the list of banned accounts from the
 * `BanList` Durable Object (`durable-objects/ban-list`) with its version, and asks again at most
 * every `BAN_LIST_TTL_MS`, passing the version it holds (an unchanged list answers with no
 * payload). So the cost is one small RPC per isolate per interval whatever the traffic, and a ban
 * applies at once in the isolate that made it (it drops its copy) and within `BAN_LIST_TTL_MS`
 * everywhere else. A WebSocket upgrade asks the object itself (`fresh`), after the visitor row
 * is written, so a banned user cannot slip into a live room in that interval (the room, told of
 * the ban, closes their socket with 4005 and refuses them; see functions/moderation).
 *
 * Why not the alternatives: a `user_sanctions` read per request is a Postgres round trip on
 * every call; a per-user object is one RPC per request; tokens alone would let a banned user
 * act until their access token expires (15 minutes).
 *
 * When the object cannot be reached the last list held is used (a cold isolate allows) and the
 * failure is logged: bans are enforced again as soon as it answers, while an outage of one object
 * does not take every request down.
 */
import type { Context } from 'hono'
import type { BanEntry } from '../../durable-objects/ban-list'
import type { AppEnv } from './context'
import type { Env } from './env'
import { ApiError } from './errors'
import { describeError, log, type Logger } from './logger'

/** How long an isolate trusts its copy of the ban list. */
export const BAN_LIST_TTL_MS = 2_000
/** The one BanList object's name. */
const BAN_LIST_NAME = 'global'

interface CachedList {
  version: number
  bans: Map<string, number | null>
  fetchedAtMs: number
}

/** How long one request's refresh keeps the others on the list held (then another may try). */
const REFRESH_CLAIM_MS = 5_000

/** Per binding (one in production; tests may hold several). */
const cached = new WeakMap<object, CachedList>()
/** When a request of this isolate started refreshing (epoch ms); see `banList`. */
const refreshStartedAt = new WeakMap<object, number>()
let reportedMissingBinding = false

/** The BanList object of `env`. */
export function banListOf(env: Env) {
  const namespace = env.BAN_LIST
  return namespace.get(namespace.idFromName(BAN_LIST_NAME))
}

async function refresh(env: Env, logger: Logger): Promise<CachedList | undefined> {
  const namespace = env.BAN_LIST
  const held = cached.get(namespace)
  try {
    const snapshot = await banListOf(env).snapshot(held?.version ?? -1)
    const next: CachedList = {
      version: snapshot.version,
      bans: snapshot.bans ? new Map(snapshot.bans as BanEntry[]) : (held?.bans ?? new Map()),
      fetchedAtMs: Date.now(),
    }
    cached.set(namespace, next)
    return next
  } catch (error) {
    logger.error('ban list unreachable; using the last list held', describeError(error))
    return held
  }
}

/**
 * The ban list, refreshed when older than the TTL (or always, with `fresh`). While one request
 * refreshes a stale list, the isolate's other requests use the list held (at most
 * `REFRESH_CLAIM_MS` more stale) instead of waiting for it: a promise must never be shared between
 * requests, since workerd runs the waiter's continuation in the context of the request whose I/O
 * settled it (its database sockets then fail with "Cannot perform I/O on behalf of a different
 * request"), and hangs the waiter when that request ends first.
 */
async function banList(env: Env, logger: Logger, fresh: boolean) {
  const namespace = env.BAN_LIST
  const held = cached.get(namespace)
  const now = Date.now()
  if (!fresh && held) {
    if (now - held.fetchedAtMs < BAN_LIST_TTL_MS) return held
    if (now - (refreshStartedAt.get(namespace) ?? 0) < REFRESH_CLAIM_MS) return held
  }
  refreshStartedAt.set(namespace, now)
  try {
    return await refresh(env, logger)
  } finally {
    refreshStartedAt.delete(namespace)
  }
}

/** When `userId`'s ban ends (epoch ms, null: permanent), or undefined when not banned now. */
export async function banOf(
  env: Env,
  logger: Logger,
  userId: string,
  options: { fresh?: boolean } = {},
): Promise<number | null | undefined> {
  if (!env.BAN_LIST) {
    if (!reportedMissingBinding) log('error', 'BAN_LIST binding missing: bans are not enforced')
    reportedMissingBinding = true
    return undefined
  }
  const list = await banList(env, logger, options.fresh ?? false)
  if (!list?.bans.has(userId)) return undefined
  const untilMs = list.bans.get(userId)!
  return untilMs === null || untilMs > Date.now() ? untilMs : undefined
}

/** 403 when the caller's account is banned now (see the file comment). */
export async function assertNotBanned(
  c: Context<AppEnv>,
  userId: string,
  options: { fresh?: boolean } = {},
): Promise<void> {
  const untilMs = await banOf(c.env, c.var.log, userId, options)
  if (untilMs === undefined) return
  throw new ApiError('forbidden', 'this account is banned', {
    reason: 'banned',
    banned_until: untilMs === null ? null : new Date(untilMs).toISOString(),
  })
}

/** Drops this isolate's copy, so its next request asks the object (after a ban or unban here). */
export function forgetBanList(env: Env): void {
  if (env.BAN_LIST) cached.delete(env.BAN_LIST)
}
