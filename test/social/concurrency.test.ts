/**
 * Social and moderation writes under concurrency, against a real multi-connection PostgreSQL
 * (PGlite runs one transaction at a time, so it cannot show two requests meeting). The services
 * run over the production driver path (Neon driver through the local proxy); rows are then
 * checked directly with `pg`.
 *
 * Needs `NEXUS_CONCURRENCY_DATABASE_URL`; without it the suite is skipped with one visible line.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNexusClient, type NexusClient } from '../../db/client'
import type { Identity } from '../../functions/lib/auth'
import { createReport } from '../../functions/moderation/service'
import { blockUser } from '../../functions/social/blocks'
import { requestFriend } from '../../functions/social/friends'
import {
  concurrencyDatabaseUrl,
  createUsers,
  directPool,
  startConcurrencyPostgres,
  type ConcurrencyPostgres,
} from '../support/postgres-server'

const adminUrl = concurrencyDatabaseUrl('social')

const actor = (userId: string): Identity => ({
  userId,
  username: `u_${userId.slice(0, 8)}`,
  roles: ['player'],
  issuer: 'local',
})

/** Settles every call, answering what each did: its result, or its error's code. */
async function settle<T>(calls: (() => Promise<T>)[]) {
  return Promise.all(
    calls.map((call) =>
      call().then(
        (value) => ({ ok: true as const, value }),
        (error) => ({ ok: false as const, code: String(error?.code ?? error) }),
      ),
    ),
  )
}

describe.skipIf(!adminUrl)('social writes on a real multi-connection PostgreSQL', () => {
  let server: ConcurrencyPostgres
  let pool: pg.Pool
  /** One client per concurrent caller, as separate requests would have. */
  const clients: NexusClient[] = []
  const db = (i: number) => clients[i % clients.length].db

  beforeAll(async () => {
    server = await startConcurrencyPostgres(adminUrl!)
    pool = directPool(server.url)
    for (let i = 0; i < 10; i++) {
      clients.push(createNexusClient(server.url, { wsProxy: server.proxyAddress }))
    }
  })

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()))
    await pool?.end()
    await server?.close()
  })

  it('turns 30 identical friend requests sent at once into one request', async () => {
    const [a, b] = await createUsers(pool, 'fr', 2)
    const results = await settle(
      Array.from(
        { length: 30 },
        (_, i) => () => requestFriend(db(i), { actor: actor(a), user_id: b }),
      ),
    )
    expect(
      results.filter((r) => !r.ok),
      JSON.stringify(results.filter((r) => !r.ok)),
    ).toEqual([])
    expect(results.filter((r) => r.ok && r.value.created)).toHaveLength(1)
    const { rows } = await pool.query(
      'SELECT status FROM user_friends WHERE $1 IN (user_low, user_high)',
      [a],
    )
    expect(rows).toEqual([{ status: 'pending' }])
  })

  it('makes friends of pairs who ask each other at the same moment, never two crossed requests', async () => {
    const users = await createUsers(pool, 'cx', 20)
    const pairs = Array.from({ length: 10 }, (_, i) => [users[2 * i], users[2 * i + 1]])
    const results = await settle(
      pairs.flatMap(([a, b], i) => [
        () => requestFriend(db(2 * i), { actor: actor(a), user_id: b }),
        () => requestFriend(db(2 * i + 1), { actor: actor(b), user_id: a }),
      ]),
    )
    expect(
      results.filter((r) => !r.ok),
      JSON.stringify(results.filter((r) => !r.ok)),
    ).toEqual([])
    const { rows } = await pool.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM user_friends WHERE user_low = ANY($1) GROUP BY status`,
      [users],
    )
    expect(rows).toEqual([{ status: 'accepted', n: 10 }])
  })

  it('leaves no friendship behind when a block races friend requests', async () => {
    const [a, b] = await createUsers(pool, 'bl', 2)
    const results = await settle<unknown>([
      ...Array.from(
        { length: 10 },
        (_, i) => () => requestFriend(db(i), { actor: actor(b), user_id: a }),
      ),
      () => blockUser(db(9), { actor: actor(a), user_id: b }),
      ...Array.from(
        { length: 10 },
        (_, i) => () => requestFriend(db(i), { actor: actor(a), user_id: b }),
      ),
    ])
    // Requests after the block are refused (404 to b, 403 to a); none fails otherwise.
    const odd = results.filter((r) => !r.ok && !['not_found', 'forbidden'].includes(r.code))
    expect(odd, JSON.stringify(odd)).toEqual([])
    const blocks = await pool.query(
      'SELECT 1 FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2',
      [a, b],
    )
    expect(blocks.rows).toHaveLength(1)
    // A request that committed before the block was deleted by it; one after it was refused.
    const friends = await pool.query(
      'SELECT status FROM user_friends WHERE $1 IN (user_low, user_high)',
      [a],
    )
    expect(friends.rows).toEqual([])
  })

  it('files one report when the same report is sent 30 times at once', async () => {
    const [reporter, target] = await createUsers(pool, 'rp', 2)
    const results = await settle(
      Array.from(
        { length: 30 },
        (_, i) => () =>
          createReport(db(i), {
            actor: actor(reporter),
            target_type: 'user',
            target_id: target,
            reason: 'spam',
          }),
      ),
    )
    expect(
      results.filter((r) => !r.ok),
      JSON.stringify(results.filter((r) => !r.ok)),
    ).toEqual([])
    expect(results.filter((r) => r.ok && r.value.created)).toHaveLength(1)
    const ids = new Set(results.map((r) => (r.ok ? r.value.report.id : null)))
    expect(ids.size).toBe(1)
  })
})
