/**
 * Built-in accounts: registration, login with a failed-login lockout, rotating refresh tokens.
 */
import { and, count, eq, gt, isNull, sql } from 'drizzle-orm'
import type { NexusClient } from '../../db/client'
import { loginFailures, refreshTokens, userCredentials, users } from '../../db/schema/nexus'
import { issueAccessToken, type Role } from '../lib/auth'
import type { Config } from '../lib/env'
import { ApiError } from '../lib/errors'
import { constraintOf, isUniqueViolation } from '../lib/pg-errors'
import { sha256Hex, toBase64Url } from '../lib/encoding'
import { DECOY_PASSWORD_HASH, hashPassword, verifyPassword } from './passwords'

type Db = NexusClient['db']

/** Failed logins allowed per username within the window before 429. */
export const MAX_FAILED_LOGINS = 5
/** The failed-login window, in seconds. */
export const FAILED_LOGIN_WINDOW_SECONDS = 15 * 60
/** Random bytes in a refresh token. */
const REFRESH_TOKEN_BYTES = 32

/** The public part of a user returned with tokens. */
export interface SessionUser {
  id: string
  username: string
  email: string | null
  display_name: string | null
}

/** What register, login and refresh return. */
export interface TokenPair {
  accessToken: string
  refreshToken: string
  expiresAt: string
  user: SessionUser
}

/** SHA-256 hex of a refresh token: only the hash is stored. */
const hashRefreshToken = sha256Hex

/** Built-in accounts are players; admin and service tokens come from the gateway or `npm run token`. */
const BUILT_IN_ROLES: Role[] = ['player']

async function issueTokenPair(
  db: Db,
  config: Config,
  user: SessionUser,
  familyId: string = crypto.randomUUID(),
): Promise<TokenPair> {
  const refreshToken = toBase64Url(crypto.getRandomValues(new Uint8Array(REFRESH_TOKEN_BYTES)))
  await db.insert(refreshTokens).values({
    userId: user.id,
    familyId,
    tokenHash: await hashRefreshToken(refreshToken),
    expiresAt: new Date(Date.now() + config.AUTH_REFRESH_TTL_SECONDS * 1000),
  })
  const access = await issueAccessToken(
    { userId: user.id, username: user.username, roles: BUILT_IN_ROLES },
    config,
  )
  return {
    accessToken: access.token,
    refreshToken,
    expiresAt: access.expiresAt.toISOString(),
    user,
  }
}

const sessionUserColumns = {
  id: users.id,
  username: users.username,
  email: users.email,
  display_name: users.displayName,
}

/** Creates an account; 409 when the username or email is taken. */
export async function register(
  db: Db,
  config: Config,
  input: { username: string; password: string; email?: string },
): Promise<TokenPair> {
  const passwordHash = await hashPassword(input.password)
  try {
    return await db.transaction(async (tx) => {
      const [user] = await tx
        .insert(users)
        .values({ username: input.username, email: input.email ?? null })
        .returning(sessionUserColumns)
      await tx.insert(userCredentials).values({ userId: user.id, passwordHash })
      return issueTokenPair(tx as unknown as Db, config, user)
    })
  } catch (error) {
    if (isUniqueViolation(error)) {
      const field = /email/.test(constraintOf(error) ?? '') ? 'email' : 'username'
      throw new ApiError('conflict', `that ${field} is already registered`, { field })
    }
    throw error
  }
}

/** Seconds until `username` may try again, or 0 when it is not locked out. */
async function lockoutSeconds(db: Db, username: string): Promise<number> {
  const rows = await db.execute<{ failures: number; retry_after: number | null }>(sql`
    SELECT count(*)::int AS failures,
           ceil(extract(epoch FROM min(failed_at) + make_interval(secs => ${FAILED_LOGIN_WINDOW_SECONDS}) - now()))::int AS retry_after
    FROM (
      SELECT failed_at FROM login_failures
      WHERE username = ${username}
        AND failed_at > now() - make_interval(secs => ${FAILED_LOGIN_WINDOW_SECONDS})
      ORDER BY failed_at DESC
      LIMIT ${MAX_FAILED_LOGINS}
    ) recent`)
  const row = rows.rows[0]
  if (!row || row.failures < MAX_FAILED_LOGINS) return 0
  return Math.max(1, row.retry_after ?? 1)
}

/** Logs in; the same 401 for an unknown user and a wrong password; 429 after repeated failures. */
export async function login(
  db: Db,
  config: Config,
  input: { username: string; password: string },
): Promise<TokenPair> {
  const retryAfter = await lockoutSeconds(db, input.username)
  if (retryAfter > 0) {
    throw new ApiError(
      'rate_limited',
      'too many failed logins for this username; try again later',
      { retryAfterSeconds: retryAfter },
      { 'Retry-After': String(retryAfter) },
    )
  }
  const [found] = await db
    .select({ ...sessionUserColumns, passwordHash: userCredentials.passwordHash })
    .from(users)
    .innerJoin(userCredentials, eq(userCredentials.userId, users.id))
    .where(sql`lower(${users.username}) = ${input.username}`)
    .limit(1)
  // Verify against a decoy when the user is unknown, so both failures cost the same time.
  const valid = await verifyPassword(input.password, found?.passwordHash ?? DECOY_PASSWORD_HASH)
  if (!found || !valid) {
    await db.insert(loginFailures).values({ username: input.username })
    throw new ApiError('unauthorized', 'invalid username or password')
  }
  await db.delete(loginFailures).where(eq(loginFailures.username, input.username))
  const { passwordHash: _, ...user } = found
  return issueTokenPair(db, config, user)
}

const invalidRefresh = () =>
  new ApiError('invalid_token', 'the refresh token is invalid, expired or revoked')

/**
 * Rotates a refresh token. Presenting a token that was already rotated means it was copied: the
 * whole family is revoked and the caller must log in again.
 */
export async function refresh(db: Db, config: Config, refreshToken: string): Promise<TokenPair> {
  const tokenHash = await hashRefreshToken(refreshToken)
  const outcome = await db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .for('update')
    if (!current || current.revokedAt || current.expiresAt <= new Date()) return 'invalid' as const
    if (current.rotatedAt) {
      await tx
        .update(refreshTokens)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(refreshTokens.familyId, current.familyId), isNull(refreshTokens.revokedAt)))
      return 'reused' as const
    }
    await tx
      .update(refreshTokens)
      .set({ rotatedAt: sql`now()` })
      .where(eq(refreshTokens.id, current.id))
    const [user] = await tx
      .select(sessionUserColumns)
      .from(users)
      .where(eq(users.id, current.userId))
    if (!user) return 'invalid' as const
    return issueTokenPair(tx as unknown as Db, config, user, current.familyId)
  })
  // The revocation above must commit, so the refusal is thrown after the transaction.
  if (outcome === 'invalid' || outcome === 'reused') throw invalidRefresh()
  return outcome
}

/** Revokes the family of `refreshToken` (logout on this device). Unknown tokens are ignored. */
export async function logout(db: Db, refreshToken: string): Promise<void> {
  const tokenHash = await hashRefreshToken(refreshToken)
  await db.execute(sql`
    UPDATE refresh_tokens SET revoked_at = now()
    WHERE revoked_at IS NULL
      AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = ${tokenHash})`)
}

/** Counts the live refresh tokens of a user (for tests and account pages). */
export async function liveRefreshTokens(db: Db, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(refreshTokens)
    .where(
      and(
        eq(refreshTokens.userId, userId),
        isNull(refreshTokens.revokedAt),
        isNull(refreshTokens.rotatedAt),
        gt(refreshTokens.expiresAt, sql`now()`),
      ),
    )
  return row?.n ?? 0
}
