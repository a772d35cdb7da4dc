/**
 * Authentication: `Authorization: Bearer <JWT>` verified with jose.
 *
 * Two issuers may be enabled at once, chosen by the token's `iss`:
 * - this service (HS256 with `AUTH_JWT_SECRET`, issuer `AUTH_ISSUER`, audience `AUTH_AUDIENCE`);
 * - the external payment/identity gateway (RS256/ES256 keys from `AUTH_JWKS_URL` or
 *   `AUTH_JWKS_JSON`, issuer `AUTH_GATEWAY_ISSUER`, audience `AUTH_GATEWAY_AUDIENCE`).
 * For each the algorithm list is pinned, `exp` and `sub` are required, and `nbf`, `iss`, `aud` are
 * checked. Every failure is the same 401 `invalid_token`; the reason is logged, not returned.
 */
import type { Context, MiddlewareHandler } from 'hono'
import {
  createLocalJWKSet,
  decodeJwt,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose'
import { sql } from 'drizzle-orm'
import { z } from 'zod'
import { assertNotBanned } from './bans'
import type { AppEnv } from './context'
import { nexus, runAfterResponse } from './db'
import { getConfig, type Config } from './env'
import { ApiError } from './errors'
import { canonicalId } from './ids'
import { log, type Logger } from './logger'
import { remoteKeySets } from './remote-jwks'

/** Roles a token may carry. */
export const ROLES = ['player', 'moderator', 'admin', 'service'] as const
export type Role = (typeof ROLES)[number]

/** Who is calling: the verified claims of the bearer token. */
export interface Identity {
  userId: string
  username: string
  roles: Role[]
  /** `local` for tokens this service issued, `gateway` for the external gateway's. */
  issuer: 'local' | 'gateway'
}

const LOCAL_ALGORITHMS = ['HS256']
const GATEWAY_ALGORITHMS = ['RS256', 'ES256']
/** Seconds of clock skew tolerated on `exp` and `nbf`. */
const CLOCK_TOLERANCE_SECONDS = 5

const ClaimsSchema = z.object({
  // Canonical (lower-case) from here on: the token's spelling of the id must not matter.
  sub: z.uuid().transform(canonicalId),
  username: z.string().min(1).max(64).optional(),
  preferred_username: z.string().min(1).max(64).optional(),
  roles: z.array(z.string()).optional(),
})

const encoder = new TextEncoder()
const localKeySets = new Map<string, JWTVerifyGetKey>()
const remoteKeySet = remoteKeySets()

/**
 * The gateway's key set: parsed from `AUTH_JWKS_JSON`, or fetched from `AUTH_JWKS_URL` and kept
 * (`lib/remote-jwks.ts`; `unknown_key` asks for a fresh copy after a key rotation).
 */
async function gatewayKeys(config: Config, reason?: 'unknown_key'): Promise<JWTVerifyGetKey> {
  if (config.AUTH_JWKS_JSON) {
    let keys = localKeySets.get(config.AUTH_JWKS_JSON)
    if (!keys) {
      keys = createLocalJWKSet(JSON.parse(config.AUTH_JWKS_JSON))
      localKeySets.set(config.AUTH_JWKS_JSON, keys)
    }
    return keys
  }
  return remoteKeySet(config.AUTH_JWKS_URL!, reason)
}

/** Thrown for every rejected token; rendered as 401 `invalid_token`. The reason is only logged. */
function invalidToken(reason: string, logger: Logger | undefined): ApiError {
  logger?.info('token rejected', { reason })
  return new ApiError(
    'invalid_token',
    'the access token is missing, malformed, expired or not trusted',
    undefined,
    {
      'WWW-Authenticate': 'Bearer error="invalid_token"',
    },
  )
}

/** Verifies `token` against the issuer its `iss` names and returns the identity. */
export async function verifyAccessToken(
  token: string,
  config: Config,
  logger?: Logger,
): Promise<Identity> {
  let unverified: JWTPayload
  try {
    unverified = decodeJwt(token)
  } catch {
    throw invalidToken('not a JWT', logger)
  }
  let payload: JWTPayload
  let issuer: Identity['issuer']
  try {
    if (unverified.iss === config.AUTH_ISSUER && config.AUTH_JWT_SECRET) {
      issuer = 'local'
      ;({ payload } = await jwtVerify(token, encoder.encode(config.AUTH_JWT_SECRET), {
        algorithms: LOCAL_ALGORITHMS,
        issuer: config.AUTH_ISSUER,
        audience: config.AUTH_AUDIENCE,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }))
    } else if (
      config.AUTH_GATEWAY_ISSUER &&
      unverified.iss === config.AUTH_GATEWAY_ISSUER &&
      (config.AUTH_JWKS_JSON || config.AUTH_JWKS_URL)
    ) {
      issuer = 'gateway'
      const verifyWith = async (keys: JWTVerifyGetKey) =>
        (
          await jwtVerify(token, keys, {
            algorithms: GATEWAY_ALGORITHMS,
            issuer: config.AUTH_GATEWAY_ISSUER,
            audience: config.AUTH_GATEWAY_AUDIENCE,
            requiredClaims: ['exp', 'sub'],
            clockTolerance: CLOCK_TOLERANCE_SECONDS,
          })
        ).payload
      try {
        payload = await verifyWith(await gatewayKeys(config))
      } catch (error) {
        // A key the set does not hold yet: the gateway may have rotated its keys.
        if ((error as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw error
        payload = await verifyWith(await gatewayKeys(config, 'unknown_key'))
      }
    } else {
      throw new Error(`untrusted issuer ${String(unverified.iss)}`)
    }
  } catch (error) {
    throw invalidToken(error instanceof Error ? error.message : String(error), logger)
  }
  const claims = ClaimsSchema.safeParse(payload)
  if (!claims.success) throw invalidToken('claims do not match the schema', logger)
  const username = claims.data.username ?? claims.data.preferred_username
  if (!username) throw invalidToken('no username claim', logger)
  const roles = (claims.data.roles ?? ['player']).filter((r): r is Role =>
    (ROLES as readonly string[]).includes(r),
  )
  return { userId: claims.data.sub, username, roles: roles.length ? roles : ['player'], issuer }
}

/** Signs an access token for `identity` with this service's secret. */
export async function issueAccessToken(
  identity: Pick<Identity, 'userId' | 'username' | 'roles'>,
  config: Config,
): Promise<{ token: string; expiresAt: Date }> {
  if (!config.AUTH_JWT_SECRET) {
    // The variable's name is for the operator's log, not for anonymous callers.
    log('error', 'built-in accounts are disabled: AUTH_JWT_SECRET is not set')
    throw new ApiError('config_error', 'built-in accounts are disabled on this server')
  }
  const expiresAt = new Date(Date.now() + config.AUTH_ACCESS_TTL_SECONDS * 1000)
  const token = await new SignJWT({ username: identity.username, roles: identity.roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(identity.userId)
    .setIssuer(config.AUTH_ISSUER)
    .setAudience(config.AUTH_AUDIENCE)
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(encoder.encode(config.AUTH_JWT_SECRET))
  return { token, expiresAt }
}

/** The WebSocket subprotocol of the live rooms; a client offers it next to `bearer.<token>`. */
export const ROOM_PROTOCOL = 'nexus.v1'
const BEARER_PROTOCOL_PREFIX = 'bearer.'

/** Extracts the bearer token from the Authorization header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)$/i)
  return match?.[1]
}

/** The WebSocket subprotocols a request offers, trimmed. */
export function offeredProtocols(c: Context<AppEnv>): string[] {
  return (c.req.header('Sec-WebSocket-Protocol') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
}

const isWebSocketUpgrade = (c: Context<AppEnv>) =>
  c.req.header('Upgrade')?.toLowerCase() === 'websocket'

/**
 * The access token of a request: the `Authorization: Bearer` header; for a WebSocket upgrade
 * (browsers cannot set headers on one) also the `bearer.<token>` subprotocol or `?token=`.
 */
function requestToken(c: Context<AppEnv>): string | undefined {
  const fromHeader = bearerToken(c.req.header('Authorization'))
  if (fromHeader || !isWebSocketUpgrade(c)) return fromHeader
  const offered = offeredProtocols(c).find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX))
  if (offered) return offered.slice(BEARER_PROTOCOL_PREFIX.length) || undefined
  return c.req.query('token') || undefined
}

/** Users this isolate has seen in `users` (gateway users are created once, not per request). */
const knownUsers = new Set<string>()
/** When this isolate last wrote each user's `last_seen` (epoch ms). */
const lastSeenWrites = new Map<string, number>()
/** Entries the two caches above may hold before they are cleared. */
const MAX_CACHED_USERS = 10_000
/** Minimum seconds between two `last_seen` writes for one user. */
const LAST_SEEN_RESOLUTION_SECONDS = 60

/**
 * Creates the users row of a gateway user NEXUS has not seen yet, from the token's claims.
 * A username already taken by another account gets the user id's first characters appended.
 */
async function ensureGatewayUser(c: Context<AppEnv>, identity: Identity): Promise<void> {
  if (knownUsers.has(identity.userId)) return
  const base =
    identity.username
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .slice(0, 24) || 'player'
  const fallback = `${base}_${identity.userId.replaceAll('-', '').slice(0, 7)}`
  await nexus(c).db.execute(sql`
    INSERT INTO users (id, username)
    SELECT ${identity.userId}::uuid,
           CASE WHEN EXISTS (SELECT 1 FROM users WHERE lower(username) = ${base}) THEN ${fallback} ELSE ${base} END
    WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = ${identity.userId}::uuid)
    ON CONFLICT DO NOTHING`)
  if (knownUsers.size >= MAX_CACHED_USERS) knownUsers.clear()
  knownUsers.add(identity.userId)
}

/**
 * Refreshes `last_seen` off the response's path, at most once a minute per user and isolate (the
 * SQL re-checks the minute, so isolates together write about once a minute too).
 */
function touchLastSeen(c: Context<AppEnv>, userId: string): void {
  const now = Date.now()
  if (now - (lastSeenWrites.get(userId) ?? 0) < LAST_SEEN_RESOLUTION_SECONDS * 1000) return
  if (lastSeenWrites.size >= MAX_CACHED_USERS) lastSeenWrites.clear()
  lastSeenWrites.set(userId, now)
  runAfterResponse(c, 'last_seen update', () =>
    nexus(c).db.execute(sql`
      UPDATE users SET last_seen = now()
      WHERE id = ${userId}::uuid
        AND (last_seen IS NULL OR last_seen < now() - make_interval(secs => ${LAST_SEEN_RESOLUTION_SECONDS}))`),
  )
}

/**
 * Verifies `token`, refuses a banned account (403, see `lib/bans.ts`), sets `identity` on the
 * context and returns it. Gateway users are created on first sight; `last_seen` is refreshed in
 * the background (see `touchLastSeen`).
 */
export async function authenticate(c: Context<AppEnv>, token: string): Promise<Identity> {
  const identity = await verifyAccessToken(token, getConfig(c.env), c.var.log)
  await assertNotBanned(c, identity.userId)
  c.set('identity', identity)
  if (identity.issuer === 'gateway') await ensureGatewayUser(c, identity)
  touchLastSeen(c, identity.userId)
  return identity
}

/**
 * Middleware: requires a valid access token (see `requestToken` and `authenticate`). Routers
 * apply it once to all their routes (`createRouter({ auth: true })`).
 */
export const requireAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = requestToken(c)
  if (!token) {
    throw new ApiError(
      'unauthorized',
      isWebSocketUpgrade(c)
        ? `offer the subprotocols "${ROOM_PROTOCOL}, bearer.<token>", or pass ?token=`
        : 'an Authorization: Bearer <token> header is required',
      undefined,
      { 'WWW-Authenticate': 'Bearer' },
    )
  }
  await authenticate(c, token)
  await next()
}
/** The identity set by `requireAuth`. */
export function identityOf(c: Context<AppEnv>): Identity {
  const identity = c.get('identity')
  if (!identity) throw new ApiError('unauthorized', 'authentication required')
  return identity
}

/** True when the caller has at least one of `roles`. */
export function hasRole(identity: Identity, ...roles: Role[]): boolean {
  return identity.roles.some((r) => roles.includes(r))
}

/** Middleware (after `requireAuth`): 403 unless the caller has one of `roles`. */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!hasRole(identityOf(c), ...roles)) {
      throw new ApiError('forbidden', `this action needs the ${roles.join(' or ')} role`)
    }
    await next()
  }
}
