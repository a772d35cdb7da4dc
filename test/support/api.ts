/**
 * Helpers for workerd tests: calling the Worker, registering players, minting tokens, and reading
 * the nexus database directly (through the same Neon driver and proxy the Worker uses).
 */
import { SELF, env } from 'cloudflare:test'
import { SignJWT, importJWK } from 'jose'
import { createNexusClient } from '../../db/client'
import { issueAccessToken, type Role } from '../../functions/lib/auth'
import { getConfig } from '../../functions/lib/env'
import type { TestEnv } from './test-worker'

/** The bindings of the test Worker. */
export const testEnv: TestEnv = env

/** A response with its parsed JSON body. */
export interface ApiResponse<T = any> {
  status: number
  body: T
  text: string
  headers: Headers
}

/** Calls the Worker; `body` is sent as JSON. */
export async function api<T = any>(
  path: string,
  options: {
    method?: string
    token?: string
    body?: unknown
    headers?: Record<string, string>
  } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.Authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await SELF.fetch(`http://nexus.test${path}`, {
    method: options.method ?? (options.body !== undefined ? 'POST' : 'GET'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  })
  const text = await res.text()
  let body: any = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, text, headers: res.headers }
}

let counter = 0
/** A fresh, valid username. */
export function uniqueUsername(prefix = 'p'): string {
  counter += 1
  return `${prefix}_${Date.now().toString(36)}${counter}${Math.floor(Math.random() * 1e4)}`.slice(
    0,
    32,
  )
}

export const TEST_PASSWORD = 'correct horse battery staple'

/** A registered player with its tokens. */
export interface Player {
  id: string
  username: string
  token: string
  refresh_token: string
}

/** Registers a new player through the API. */
export async function registerPlayer(prefix = 'p'): Promise<Player> {
  const username = uniqueUsername(prefix)
  const res = await api('/v1/auth/register', { body: { username, password: TEST_PASSWORD } })
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`)
  return {
    id: res.body.user.id,
    username,
    token: res.body.access_token,
    refresh_token: res.body.refresh_token,
  }
}

/**
 * A registered player whose account is `ageDays` old (its `created_at` moved back), so the token
 * policy for new accounts (economy/policy.ts) does not apply unless a test wants it to.
 */
export async function registerVeteran(prefix = 'v', ageDays = 60): Promise<Player> {
  const player = await registerPlayer(prefix)
  await ageAccount(player.id, ageDays)
  return player
}

/** Moves an account's `created_at` back by `days` (fractions allowed). */
export async function ageAccount(userId: string, days: number): Promise<void> {
  await sqlRows(
    `UPDATE users SET created_at = now() - make_interval(secs => $2::float8 * 86400) WHERE id = $1`,
    [userId, days],
  )
}

/** A token of this service for an existing user with the given roles. */
export async function tokenFor(user: { id: string; username: string }, roles: Role[]) {
  const { token } = await issueAccessToken(
    { userId: user.id, username: user.username, roles },
    getConfig(testEnv),
  )
  return token
}

/** A token signed by the stand-in identity gateway (RS256), with overridable claims. */
export async function gatewayToken(claims: Record<string, unknown>, expiresIn = '10m') {
  const key = await importJWK(JSON.parse(testEnv.TEST_GATEWAY_PRIVATE_JWK), 'RS256')
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'gateway-test' })
    .setIssuer(testEnv.AUTH_GATEWAY_ISSUER!)
    .setAudience(testEnv.AUTH_GATEWAY_AUDIENCE!)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(key)
}

/** Runs one SQL query on the nexus database and returns its rows. */
export async function sqlRows<T = Record<string, unknown>>(text: string, params: unknown[] = []) {
  const client = createNexusClient(testEnv.NEXUS_DATABASE_URL!, { wsProxy: testEnv.NEON_WS_PROXY })
  try {
    const result = await client.pool.query(text, params)
    return result.rows as T[]
  } finally {
    await client.close()
  }
}
