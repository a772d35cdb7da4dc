/**
 * Joining instances under concurrent requests, against a real multi-connection PostgreSQL: every
 * request runs the whole HTTP stack (`app.request`) and the rows are then checked with `pg`. Proves
 * that the row lock taken by a join keeps an instance at `max_visitors` however many players race
 * for the last places.
 *
 * Needs `NEXUS_CONCURRENCY_DATABASE_URL` (`.ci/run` sets it); without it the suite is skipped.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../functions/app'
import {
  concurrencyDatabaseUrl,
  createUsers,
  directPool,
  playerToken,
  startConcurrencyPostgres,
  type ConcurrencyPostgres,
} from '../support/postgres-server'
import { appErrors, recordLogs } from '../support/recording-logger'

// Per-request log lines are dropped; error lines are kept in `appErrors` for assertion messages.
recordLogs()

const adminUrl = concurrencyDatabaseUrl('instances')

const RACING_PLAYERS = 30
const MAX_VISITORS = 5

describe.skipIf(!adminUrl)('instance joins on a real multi-connection PostgreSQL', () => {
  const app = createApp()
  let server: ConcurrencyPostgres
  let pool: pg.Pool

  beforeAll(async () => {
    server = await startConcurrencyPostgres(adminUrl!)
    pool = directPool(server.url)
  })

  afterAll(async () => {
    await pool?.end()
    await server?.close()
  })

  const newUsers = (count: number) => createUsers(pool, 'inst', count)
  const tokenOf = (userId: string) => playerToken(server, userId)

  async function send(method: string, path: string, token: string, body?: unknown) {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await app.request(
      path,
      { method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
      server.env,
    )
    const text = await res.text()
    return { status: res.status, text, json: JSON.parse(text || 'null') }
  }

  /** Counts replies by `status code`. */
  function tally(replies: Array<{ status: number; json: any }>): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const r of replies) {
      const label = r.status < 300 ? String(r.status) : `${r.status} ${r.json?.error?.code}`
      counts[label] = (counts[label] ?? 0) + 1
    }
    return counts
  }

  async function createInstance(ownerId: string, maxVisitors: number): Promise<string> {
    const created = await send('POST', '/v1/instances', await tokenOf(ownerId), {
      type: 'communal',
      name: 'race',
      max_visitors: maxVisitors,
    })
    expect(created.status, created.text).toBe(201)
    return created.json.id
  }

  it(`admits exactly ${MAX_VISITORS} of ${RACING_PLAYERS} parallel joins`, async () => {
    const [ownerId, ...players] = await newUsers(RACING_PLAYERS + 1)
    const instanceId = await createInstance(ownerId, MAX_VISITORS)
    const tokens = await Promise.all(players.map(tokenOf))

    const replies = await Promise.all(
      tokens.map((token) => send('POST', `/v1/instances/${instanceId}/join`, token)),
    )

    const counts = tally(replies)
    const context = `${JSON.stringify(counts)}; app errors: ${appErrors.slice(0, 3).join(' | ')}`
    expect(counts, context).toEqual({
      201: MAX_VISITORS,
      '409 capacity_reached': RACING_PLAYERS - MAX_VISITORS,
    })
    const { rows } = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM instance_visitors WHERE instance_id = $1',
      [instanceId],
    )
    expect(rows[0].n).toBe(MAX_VISITORS)
  })

  it('creates one visitor row when the same player joins ten times at once', async () => {
    const [ownerId, playerId] = await newUsers(2)
    const instanceId = await createInstance(ownerId, 10)
    const token = await tokenOf(playerId)

    const replies = await Promise.all(
      Array.from({ length: 10 }, () => send('POST', `/v1/instances/${instanceId}/join`, token)),
    )

    expect(tally(replies), appErrors.slice(0, 3).join(' | ')).toEqual({ 200: 9, 201: 1 })
    const { rows } = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM instance_visitors WHERE instance_id = $1',
      [instanceId],
    )
    expect(rows[0].n).toBe(1)
  })
})
