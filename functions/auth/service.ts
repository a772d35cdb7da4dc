/**
 * Built-in accounts: registration, login, rotating refresh tokens. The abuse limits around
 * registering and logging in (per address, per account) are the routes' (`routes.ts`).
 */
import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { refreshTokens, userCredentials, users } from '../../db/schema/nexus'
import { issueAccessToken, type Role } from '../lib/auth'
import type { Config } from '../lib/env'
import { ApiError } from '../lib/errors'
import { constraintOf, isUniqueViolation } from '../lib/pg-errors'
import { sha256Hex, toBase64Url } from '../lib/encoding'
import { DECOY_PASSWORD_HASH, hashPassword, verifyPassword } from './passwords'

/** Random bytes in a refresh token. */
const REFRESH_TOKEN_BYTES = 32

/** The public part of a user returned with tokens. */
export interface SessionUser {
  id: string
  username: string
  email: string | null
  display_name: string | null
}

/** What register, login and refresh return: OAuth 2.0's token response plus the user. */
export interface TokenPair {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  refresh_token: string
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
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: config.AUTH_ACCESS_TTL_SECONDS,
    refresh_token: refreshToken,
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
  input: { config: Config; username: string; password: string; email?: string },
): Promise<TokenPair> {
  const { config } = input
  const passwordHash = await hashPassword(input.password)
  try {
    return await db.transaction(async (tx) => {
      const [user] = await tx
        .insert(users)
        .values({ username: input.username, email: input.email ?? null })
        .returning(sessionUserColumns)
      await tx.insert(userCredentials).values({ userId: user.id, passwordHash })
      return issueTokenPair(tx, config, user)
    })
  } catch (error) {
    if (isUniqueViolation(error)) {
      const field = /email/.test(constraintOf(error) ?? '') ? 'email' : 'username'
      throw new ApiError('conflict', `that ${field} is already registered`, { field })
    }
    throw error
  }
}

/**
 * Logs in; the same 401 for an unknown user and a wrong password (and the same time: an unknown
 * user is verified against a decoy hash).
 */
export async function login(
  db: Db,
  input: { config: Config; username: string; password: string },
): Promise<TokenPair> {
  const [found] = await db
    .select({ ...sessionUserColumns, passwordHash: userCredentials.passwordHash })
    .from(users)
    .innerJoin(userCredentials, eq(userCredentials.userId, users.id))
    .where(sql`lower(${users.username}) = ${input.username}`)
    .limit(1)
  const valid = await verifyPassword(input.password, found?.passwordHash ?? DECOY_PASSWORD_HASH)
  if (!found || !valid) throw new ApiError('unauthorized', 'invalid username or password')
  const { passwordHash: _, ...user } = found
  return issueTokenPair(db, input.config, user)
}

const invalidRefresh = () =>
  new ApiError('invalid_token', 'the refresh token is invalid, expired or revoked')

/**
 * Rotates a refresh token. Presenting a token that was already rotated means it was copied: the
 * whole family is revoked and the caller must log in again.
 */
export async function refresh(
  db: Db,
  input: { config: Config; refresh_token: string },
): Promise<TokenPair> {
  const tokenHash = await hashRefreshToken(input.refresh_token)
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
    return issueTokenPair(tx, input.config, user, current.familyId)
  })
  // The revocation above must commit, so the refusal is thrown after the transaction.
  if (outcome === 'invalid' || outcome === 'reused') throw invalidRefresh()
  return outcome
}

/** Revokes the family of `refreshToken` (logout on this device). Unknown tokens are ignored. */
export async function logout(db: Db, input: { refresh_token: string }): Promise<void> {
  const tokenHash = await hashRefreshToken(input.refresh_token)
  await db.execute(sql`
    UPDATE refresh_tokens SET revoked_at = now()
    WHERE revoked_at IS NULL
      AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = ${tokenHash})`)
}
