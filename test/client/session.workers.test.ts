/**
 * The SDK's HTTP client and session (client/nexus.ts, client/session.ts) against the real Worker:
 * typed calls, and the refresh rules (an expired access token is refreshed once, concurrent
 * requests share one refresh, a refused refresh signs out).
 */
import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { NexusApiError, NexusClient, unwrap, type SessionTokens } from '../../client'
import { issueAccessToken } from '../../functions/lib/auth'
import { getConfig } from '../../functions/lib/env'
import { registerPlayer, testEnv, uniqueUsername, type Player } from '../support/api'

const BASE_URL = 'http://nexus.test'

/** A fetch through the test Worker that counts refresh calls. */
function countingFetch() {
  const counts = { refresh: 0, total: 0 }
  const fetch = (request: Request) => {
    counts.total += 1
    if (new URL(request.url).pathname === '/v1/auth/refresh') counts.refresh += 1
    return SELF.fetch(request)
  }
  return { counts, fetch }
}

/** An access token for `player` that expired an hour ago. */
async function expiredToken(player: Player): Promise<string> {
  const config = { ...getConfig(testEnv), AUTH_ACCESS_TTL_SECONDS: -3600 }
  const { token } = await issueAccessToken(
    { userId: player.id, username: player.username, roles: ['player'] },
    config,
  )
  return token
}

/**
 * A client holding `player`'s refresh token and an access token that expired an hour ago,
 * counting its refresh calls; `clockBehindMs` makes the client believe the token is still good.
 */
async function clientWithExpiredToken(
  player: Player,
  options: { refreshToken?: string; clockBehindMs?: number } = {},
) {
  const { counts, fetch } = countingFetch()
  const changes: Array<SessionTokens | null> = []
  const client = new NexusClient({
    baseUrl: BASE_URL,
    fetch,
    tokens: {
      access_token: await expiredToken(player),
      refresh_token: options.refreshToken ?? player.refresh_token,
      user: null,
    },
    onTokens: (tokens) => changes.push(tokens),
  })
  if (options.clockBehindMs !== undefined) {
    ;(client.session as unknown as { refreshMarginMs: number }).refreshMarginMs =
      -options.clockBehindMs
  }
  return { client, counts, changes }
}

describe('NexusClient (HTTP)', () => {
  it('registers, signs in and calls typed routes with the session token', async () => {
    const changes: Array<SessionTokens | null> = []
    const client = new NexusClient({
      baseUrl: BASE_URL,
      fetch: (request) => SELF.fetch(request),
      onTokens: (tokens) => changes.push(tokens),
    })
    const username = uniqueUsername('sdk')
    const tokens = await client.register(username, 'a long enough password')
    expect(tokens.token_type).toBe('Bearer')
    const me = unwrap(await client.api.GET('/v1/users/me'))
    expect(me.username).toBe(username)
    expect(changes.at(-1)?.refresh_token).toBe(tokens.refresh_token)

    const created = unwrap(
      await client.api.POST('/v1/instances', { body: { type: 'communal', name: 'SDK plaza' } }),
    )
    const fetched = unwrap(
      await client.api.GET('/v1/instances/{id}', { params: { path: { id: created.id } } }),
    )
    expect(fetched.name).toBe('SDK plaza')
    await client.logout()
    expect(client.session.tokens).toBeNull()
  })

  it('throws the error envelope as NexusApiError', async () => {
    const player = await registerPlayer('sdk')
    const client = new NexusClient({
      baseUrl: BASE_URL,
      fetch: (request) => SELF.fetch(request),
      tokens: { access_token: player.token, refresh_token: player.refresh_token, user: null },
    })
    const missing = await client.api.GET('/v1/instances/{id}', {
      params: { path: { id: crypto.randomUUID() } },
    })
    expect(() => unwrap(missing)).toThrow(NexusApiError)
    try {
      unwrap(missing)
    } catch (error) {
      expect(error).toMatchObject({ status: 404, code: 'not_found' })
    }
  })

  it('refreshes an expired access token once before the request, then uses the new one', async () => {
    const player = await registerPlayer('sdk')
    const { client, counts } = await clientWithExpiredToken(player)
    const me = await client.api.GET('/v1/users/me')
    expect(me.response.status).toBe(200)
    expect(counts.refresh).toBe(1)
    expect(client.session.tokens?.refresh_token).not.toBe(player.refresh_token)
    await client.api.GET('/v1/users/me')
    expect(counts.refresh).toBe(1)
  })

  it('answers a 401 for an expired token (client clock behind) by refreshing once and retrying', async () => {
    const player = await registerPlayer('sdk')
    // A client whose clock is two hours behind believes the token is still good.
    const { client, counts } = await clientWithExpiredToken(player, { clockBehindMs: 2 * 3600_000 })
    const created = await client.api.POST('/v1/instances', {
      body: { type: 'communal', name: 'retried body' },
    })
    expect(created.response.status, JSON.stringify(created.error)).toBe(201)
    expect(created.data?.name).toBe('retried body')
    // The 401, the refresh and the retry.
    expect(counts).toEqual({ refresh: 1, total: 3 })
  })

  it('shares one refresh between concurrent requests (refresh tokens rotate)', async () => {
    const player = await registerPlayer('sdk')
    const { client, counts } = await clientWithExpiredToken(player)
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => client.api.GET('/v1/users/me')),
    )
    expect(answers.map((a) => a.response.status)).toEqual(Array(10).fill(200))
    expect(counts.refresh).toBe(1)
  })

  it('signs out when the refresh is refused, and does not retry twice', async () => {
    const player = await registerPlayer('sdk')
    const { client, counts, changes } = await clientWithExpiredToken(player, {
      refreshToken: 'not-a-refresh-token-of-this-server',
      clockBehindMs: 2 * 3600_000,
    })
    const me = await client.api.GET('/v1/users/me')
    expect(me.response.status).toBe(401)
    expect(counts).toEqual({ refresh: 1, total: 2 })
    expect(client.session.tokens).toBeNull()
    expect(changes).toEqual([null])
  })

  it('leaves a 401 alone when there is no refresh token (a minted token)', async () => {
    const player = await registerPlayer('sdk')
    const { counts, fetch } = countingFetch()
    const client = new NexusClient({ baseUrl: BASE_URL, fetch })
    client.session.setTokens({ access_token: await expiredToken(player) })
    const me = await client.api.GET('/v1/users/me')
    expect(me.response.status).toBe(401)
    expect(counts).toEqual({ refresh: 0, total: 1 })
  })
})
