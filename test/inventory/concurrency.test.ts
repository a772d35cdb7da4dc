/**
 * Items under concurrent requests, against a real multi-connection PostgreSQL: every request goes
 * through the whole HTTP stack (`app.request`: auth, validation, idempotency, services, the Neon
 * driver through the local proxy), and the database is then checked directly with `pg`.
 *
 * Needs `NEXUS_CONCURRENCY_DATABASE_URL` (`.ci/run` starts PostgreSQL 15 and sets it); without it
 * the suite is skipped with one visible line.
 */
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNexusClient } from '../../db/client'
import { createApp } from '../../functions/app'
import { grantItems } from '../../functions/inventory/service'
import {
  itemRequests,
  replyLabel,
  replySender,
  tally,
  unexpected,
  type Reply,
} from '../support/http-replies'
import {
  adminToken,
  concurrencyDatabaseUrl,
  createUsers,
  directPool,
  playerToken,
  startConcurrencyPostgres,
  unreachableRooms,
  type ConcurrencyPostgres,
} from '../support/postgres-server'
import { appErrors, recordLogs } from '../support/recording-logger'

recordLogs()

const adminUrl = concurrencyDatabaseUrl('items')

/** How long the conservation test's workers keep moving units. */
const LOAD_DURATION_MS = 20_000
const LOAD_PLAYERS = 12
const LOAD_WORKERS = 8

const pick = <T>(values: readonly T[]): T => values[Math.floor(Math.random() * values.length)]
const between = (low: number, high: number) => low + Math.floor(Math.random() * (high - low + 1))

describe.skipIf(!adminUrl)('items on a real multi-connection PostgreSQL', () => {
  const app = createApp()
  let server: ConcurrencyPostgres
  let pool: pg.Pool
  let send: ReturnType<typeof replySender>
  let admin: string
  let createItem: ReturnType<typeof itemRequests>['createItem']
  let grant: ReturnType<typeof itemRequests>['grant']

  beforeAll(async () => {
    server = await startConcurrencyPostgres(adminUrl!)
    server.env.INSTANCE_ROOM = unreachableRooms
    pool = directPool(server.url)
    send = replySender(app, server.env)
    admin = await adminToken(server, pool, 'items_admin')
    ;({ createItem, grant } = itemRequests(send, admin))
  })

  afterAll(async () => {
    await pool?.end()
    await server?.close()
  })

  async function held(userId: string, itemId: string): Promise<number> {
    const { rows } = await pool.query<{ quantity: number }>(
      'SELECT quantity FROM inventories WHERE user_id = $1 AND item_id = $2',
      [userId, itemId],
    )
    return rows[0]?.quantity ?? 0
  }

  describe('POST /v1/inventory/gifts under concurrency', () => {
    it('lets exactly one of 100 parallel gifts of the last unit through', async () => {
      const [giver, ...recipients] = await createUsers(pool, 'lastunit', 11)
      const item = await createItem({ type: 'decoration', max_stack_size: 10 })
      expect((await grant(giver, [{ item_id: item, quantity: 1 }])).status).toBe(201)
      const token = await playerToken(server, giver)

      const replies = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          send('POST', '/v1/inventory/gifts', token, {
            body: { to_user_id: recipients[i % recipients.length], item_id: item, quantity: 1 },
            idempotencyKey: randomUUID(),
          }),
        ),
      )

      const given = replies.filter((r) => r.status === 201)
      console.log(`[concurrency] last unit: ${JSON.stringify(tally(replies))}`)
      expect(unexpected(replies, [201, 409])).toBe('none')
      expect(given.length, JSON.stringify(tally(replies))).toBe(1)
      for (const r of replies.filter((r) => r.status === 409)) {
        expect(r.json.error.details, r.text).toEqual({
          reason: 'insufficient_quantity',
          item_id: item,
          held: 0,
          requested: 1,
        })
      }
      expect(await held(giver, item)).toBe(0)
      const { rows } = await pool.query<{ user_id: string; quantity: number }>(
        'SELECT user_id, quantity FROM inventories WHERE item_id = $1',
        [item],
      )
      expect(rows).toEqual([{ user_id: given[0].json.to_user_id, quantity: 1 }])
      const audit = await pool.query<{ transaction_type: string; n: number }>(
        `SELECT transaction_type, count(*)::int AS n FROM transactions
         WHERE items_transferred @> jsonb_build_array(jsonb_build_object('item_id', $1::text))
         GROUP BY 1 ORDER BY 1`,
        [item],
      )
      expect(audit.rows).toEqual([
        { transaction_type: 'admin_grant', n: 1 },
        { transaction_type: 'gift', n: 1 },
      ])
    })

    it('never lets a stack grow past max_stack_size when 40 players give to one at once', async () => {
      const [recipient, ...givers] = await createUsers(pool, 'fullstack', 41)
      const item = await createItem({ type: 'decoration', max_stack_size: 25 })
      for (const giver of givers) await grant(giver, [{ item_id: item, quantity: 1 }])
      const replies = await Promise.all(
        givers.map(async (giver) =>
          send('POST', '/v1/inventory/gifts', await playerToken(server, giver), {
            body: { to_user_id: recipient, item_id: item, quantity: 1 },
            idempotencyKey: randomUUID(),
          }),
        ),
      )
      console.log(`[concurrency] into one stack of 25: ${JSON.stringify(tally(replies))}`)
      expect(unexpected(replies, [201, 409])).toBe('none')
      expect(tally(replies)).toEqual({ '201': 25, '409 conflict': 15 })
      expect(await held(recipient, item)).toBe(25)
    })
  })

  describe('the same request many times at once', () => {
    it('grants once for 30 parallel grants sharing one Idempotency-Key, with identical answers', async () => {
      const [player] = await createUsers(pool, 'samekey', 1)
      const item = await createItem({ type: 'seed', max_stack_size: 1000 })
      const body = { user_id: player, items: [{ item_id: item, quantity: 7 }], reason: 'once' }
      const key = randomUUID()
      const replies = await Promise.all(
        Array.from({ length: 30 }, () =>
          send('POST', '/v1/admin/inventory/grants', admin, { body, idempotencyKey: key }),
        ),
      )
      expect(unexpected(replies, [201])).toBe('none')
      expect(new Set(replies.map((r) => r.text)).size, 'one body, byte for byte').toBe(1)
      expect(await held(player, item)).toBe(7)
    })

    it('puts exactly one of 30 stacks into one slot when they race for it', async () => {
      const [player] = await createUsers(pool, 'slotrace', 1)
      const token = await playerToken(server, player)
      const stacks = []
      for (let i = 0; i < 30; i++) {
        const item = await createItem({ type: 'seed' })
        await grant(player, [{ item_id: item, quantity: 1 }])
        stacks.push(item)
      }
      const replies = await Promise.all(
        stacks.map((item) =>
          send('PATCH', `/v1/inventory/${item}`, token, { body: { slot_position: 7 } }),
        ),
      )
      expect(unexpected(replies, [200, 409])).toBe('none')
      expect(tally(replies)).toEqual({ '200': 1, '409 conflict': 29 })
      for (const r of replies.filter((r) => r.status === 409)) {
        expect(r.json.error.details.reason, r.text).toBe('slot_taken')
      }
    })
  })

  describe('grantItems inside another service’s transaction (quest rewards)', () => {
    it('commits with the caller’s transaction and rolls back with it', async () => {
      const [player] = await createUsers(pool, 'questreward', 1)
      const item = await createItem({ type: 'seed', max_stack_size: 10 })
      const client = createNexusClient(server.url, { wsProxy: server.proxyAddress })
      try {
        const reward = { user_id: player, items: [{ item_id: item, quantity: 2 }] }
        const line = { reason: 'quest completed', kind: 'quest_reward' as const, ...reward }
        await expect(
          client.db.transaction(async (tx) => {
            await grantItems(tx, line)
            throw new Error('the quest completion failed after the grant')
          }),
        ).rejects.toThrow('the quest completion failed')
        expect(await held(player, item), 'rolled back with the caller').toBe(0)
        const granted = await client.db.transaction((tx) => grantItems(tx, line))
        expect(granted).toMatchObject({ kind: 'quest_reward', items: [{ item_id: item, held: 2 }] })
        expect(await held(player, item)).toBe(2)
      } finally {
        await client.close()
      }
    })
  })

  describe('POST /v1/instances/:id/buildings under concurrency', () => {
    it('places the last unit exactly once when 50 placements race', async () => {
      const [builder] = await createUsers(pool, 'lastplace', 1)
      const item = await createItem({ type: 'building' })
      await grant(builder, [{ item_id: item, quantity: 1 }])
      const token = await playerToken(server, builder)
      const instance = await send('POST', '/v1/instances', token, {
        body: { type: 'personal', name: 'race' },
      })
      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          send('POST', `/v1/instances/${instance.json.id}/buildings`, token, {
            body: { item_id: item, position: { x: i, y: 0, z: 0 } },
          }),
        ),
      )
      console.log(`[concurrency] last unit placed: ${JSON.stringify(tally(replies))}`)
      expect(unexpected(replies, [201, 409])).toBe('none')
      expect(tally(replies)).toEqual({ '201': 1, '409 conflict': 49 })
      const { rows } = await pool.query(
        'SELECT version, building_count FROM instance_building_versions WHERE instance_id = $1',
        [instance.json.id],
      )
      expect(rows).toEqual([{ version: '1', building_count: 1 }])
    })
  })

  describe('conservation of every item under a randomized load', () => {
    it(
      `keeps inventories + placed buildings equal to the audited grants − consumption − drops for ${LOAD_DURATION_MS / 1000} s`,
      async () => {
        const players = await createUsers(pool, 'load', LOAD_PLAYERS)
        const tokens = new Map(
          await Promise.all(
            players.map(async (id) => [id, await playerToken(server, id)] as const),
          ),
        )
        const items = {
          house: await createItem({ type: 'building', max_stack_size: 6 }),
          lamp: await createItem({ type: 'decoration', max_stack_size: 4 }),
          potion: await createItem({ type: 'consumable', is_consumable: true, max_stack_size: 50 }),
          gem: await createItem({ type: 'seed', max_stack_size: 20 }),
        }
        const itemIds = Object.values(items)
        const placeable = [items.house, items.lamp]
        for (const player of players) {
          const reply = await grant(player, [
            { item_id: items.house, quantity: 3 },
            { item_id: items.lamp, quantity: 2 },
            { item_id: items.potion, quantity: 5 },
            { item_id: items.gem, quantity: 5 },
          ])
          expect(reply.status, reply.text).toBe(201)
        }
        // One shared instance where everyone may build: placements contend on its version row.
        const host = players[0]
        const instance = await send('POST', '/v1/instances', tokens.get(host)!, {
          body: { type: 'communal', name: 'load', max_visitors: 50 },
        })
        const instanceId = instance.json.id
        for (const player of players.slice(1)) {
          await send('POST', `/v1/instances/${instanceId}/join`, tokens.get(player)!)
          const permitted = await send(
            'PUT',
            `/v1/instances/${instanceId}/visitors/${player}/permissions`,
            tokens.get(host)!,
            { body: { can_build: true } },
          )
          expect(permitted.status, permitted.text).toBe(200)
        }

        const buildingsOf = new Map<string, string[]>(players.map((p) => [p, []]))
        const outcomes: Record<string, number> = {}
        const failures: string[] = []
        const note = (op: string, reply: Reply, ok: number[], refusals: string[]) => {
          const label = `${op} ${replyLabel(reply)}`
          outcomes[label] = (outcomes[label] ?? 0) + 1
          const refusal = reply.json?.error?.details?.reason ?? reply.json?.error?.code
          if (!ok.includes(reply.status) && !refusals.includes(refusal)) {
            failures.push(`${op}: ${reply.status} ${reply.text}`)
          }
        }

        const operations: Array<[number, () => Promise<void>]> = [
          [
            35,
            async () => {
              const from = pick(players)
              let to = pick(players)
              while (to === from) to = pick(players)
              const reply = await send('POST', '/v1/inventory/gifts', tokens.get(from)!, {
                body: { to_user_id: to, item_id: pick(itemIds), quantity: between(1, 3) },
                idempotencyKey: randomUUID(),
              })
              note('gift', reply, [201], ['insufficient_quantity', 'stack_full'])
            },
          ],
          [
            15,
            async () => {
              const owner = pick(players)
              const reply = await send(
                'POST',
                `/v1/instances/${instanceId}/buildings`,
                tokens.get(owner)!,
                {
                  body: {
                    item_id: pick(placeable),
                    position: { x: between(-100, 100), y: 0, z: between(-100, 100) },
                  },
                },
              )
              if (reply.status === 201) buildingsOf.get(owner)!.push(reply.json.id)
              note('place', reply, [201], ['insufficient_quantity'])
            },
          ],
          [
            15,
            async () => {
              const owner = pick(players)
              const own = buildingsOf.get(owner)!
              if (own.length === 0) return
              const buildingId = pick(own)
              const reply = await send(
                'DELETE',
                `/v1/instances/${instanceId}/buildings/${buildingId}`,
                tokens.get(owner)!,
              )
              if (reply.status === 204) own.splice(own.indexOf(buildingId), 1)
              // Another worker may have removed the same building a moment before (404).
              note('remove', reply, [204], ['stack_full', 'not_found'])
            },
          ],
          [
            10,
            async () => {
              const owner = pick(players)
              const own = buildingsOf.get(owner)!
              if (own.length === 0) return
              const reply = await send(
                'PATCH',
                `/v1/instances/${instanceId}/buildings/${pick(own)}`,
                tokens.get(owner)!,
                { body: { position: { x: between(-100, 100), y: 0, z: between(-100, 100) } } },
              )
              note('move', reply, [200], ['not_found'])
            },
          ],
          [
            8,
            async () => {
              const reply = await send(
                'POST',
                `/v1/inventory/${pick(itemIds)}/drop`,
                tokens.get(pick(players))!,
                { body: { quantity: 1 } },
              )
              note('drop', reply, [200], ['insufficient_quantity'])
            },
          ],
          [
            7,
            async () => {
              const reply = await send(
                'POST',
                `/v1/inventory/${items.potion}/consume`,
                tokens.get(pick(players))!,
                { body: { quantity: between(1, 2) } },
              )
              note('consume', reply, [200], ['insufficient_quantity'])
            },
          ],
          [
            10,
            async () => {
              const reply = await grant(pick(players), [
                { item_id: pick(itemIds), quantity: between(1, 2) },
                { item_id: pick(itemIds), quantity: 1 },
              ])
              note('grant', reply, [201], ['stack_full'])
            },
          ],
        ]
        const totalWeight = operations.reduce((sum, [weight]) => sum + weight, 0)
        const randomOperation = () => {
          let ticket = Math.random() * totalWeight
          for (const [weight, run] of operations) {
            ticket -= weight
            if (ticket < 0) return run
          }
          return operations[0][1]
        }

        // Per item, in one statement (one snapshot): units held + units placed, and the net of
        // the audit rows that create or destroy units. A movement's audit row commits with it.
        const ledgerSql = `
          WITH ids AS (SELECT unnest($1::uuid[]) AS item_id),
          held AS (SELECT item_id, sum(quantity)::int AS n FROM inventories
                   WHERE item_id = ANY($1::uuid[]) GROUP BY 1),
          placed AS (SELECT item_id, count(*)::int AS n FROM buildings
                     WHERE from_inventory AND item_id = ANY($1::uuid[]) GROUP BY 1),
          audited AS (
            SELECT (line ->> 'item_id')::uuid AS item_id,
                   sum(CASE WHEN t.transaction_type IN ('admin_grant', 'quest_reward') THEN 1
                            WHEN t.transaction_type IN ('consume', 'drop') THEN -1 ELSE 0 END
                       * (line ->> 'quantity')::int)::int AS n
            FROM transactions t, jsonb_array_elements(t.items_transferred) AS line
            WHERE line ->> 'item_id' = ANY($2::text[]) GROUP BY 1),
          over AS (SELECT count(*)::int AS n FROM inventories i JOIN items it ON it.id = i.item_id
                   WHERE i.item_id = ANY($1::uuid[]) AND i.quantity > it.max_stack_size)
          SELECT ids.item_id, coalesce(held.n, 0) AS held, coalesce(placed.n, 0) AS placed,
                 coalesce(audited.n, 0) AS audited, (SELECT n FROM over) AS over_limit
          FROM ids LEFT JOIN held USING (item_id) LEFT JOIN placed USING (item_id)
                   LEFT JOIN audited USING (item_id)
          ORDER BY ids.item_id`
        type LedgerRow = {
          item_id: string
          held: number
          placed: number
          audited: number
          over_limit: number
        }
        const ledger = async (client: pg.Pool | pg.Client = pool) =>
          (await client.query<LedgerRow>(ledgerSql, [itemIds, itemIds])).rows

        const deadline = Date.now() + LOAD_DURATION_MS
        let operationsRun = 0
        const worker = async () => {
          while (Date.now() < deadline) {
            await randomOperation()()
            operationsRun++
          }
        }
        const reads = { count: 0, unbalanced: [] as LedgerRow[], overLimit: 0 }
        const reader = async () => {
          const client = new pg.Client({ connectionString: server.url })
          await client.connect()
          try {
            while (Date.now() < deadline) {
              const rows = await ledger(client)
              reads.count++
              for (const row of rows) {
                if (row.held + row.placed !== row.audited) reads.unbalanced.push(row)
                if (row.over_limit > 0) reads.overLimit++
              }
            }
          } finally {
            await client.end()
          }
        }
        const started = Date.now()
        await Promise.all([reader(), ...Array.from({ length: LOAD_WORKERS }, worker)])
        const seconds = (Date.now() - started) / 1000

        const end = await ledger()
        const serverErrors = Object.entries(outcomes)
          .filter(([label]) => / 5\d\d /.test(`${label} `))
          .reduce((n, [, c]) => n + c, 0)
        console.log(
          `[concurrency] items load: ${operationsRun} operations in ${seconds.toFixed(1)} s ` +
            `(${(operationsRun / seconds).toFixed(0)}/s) by ${LOAD_WORKERS} workers; ` +
            `${JSON.stringify(outcomes)}; ${reads.count} ledger reads, ${reads.unbalanced.length} unbalanced, ` +
            `${reads.overLimit} over a stack limit; end ${JSON.stringify(end)}`,
        )

        expect(
          failures,
          `${failures.slice(0, 5).join('\n')}\napp errors: ${appErrors.slice(0, 3)}`,
        ).toEqual([])
        expect(serverErrors).toBe(0)
        expect(reads.count).toBeGreaterThan(0)
        expect(reads.unbalanced, 'reads where held + placed differed from the audit').toEqual([])
        expect(reads.overLimit, 'reads that saw a stack over its max_stack_size').toBe(0)
        for (const row of end) {
          expect(row.held + row.placed, JSON.stringify(row)).toBe(row.audited)
          expect(row.over_limit).toBe(0)
        }
        for (const op of ['gift', 'place', 'remove', 'drop', 'consume', 'grant']) {
          const succeeded = Object.entries(outcomes).some(([label]) => label.startsWith(`${op} 2`))
          expect(succeeded, `${op} never succeeded: ${JSON.stringify(outcomes)}`).toBe(true)
        }

        // Every audit row matches a state change: per user and item, what they hold equals what
        // the audit rows moved to them minus what they moved away.
        const mismatched = await pool.query(
          `WITH moves AS (
             SELECT t.to_user AS user_id, (line ->> 'item_id')::uuid AS item_id, (line ->> 'quantity')::int AS n
             FROM transactions t, jsonb_array_elements(t.items_transferred) AS line
             WHERE t.to_user IS NOT NULL AND line ->> 'item_id' = ANY($2::text[])
             UNION ALL
             SELECT t.from_user, (line ->> 'item_id')::uuid, -(line ->> 'quantity')::int
             FROM transactions t, jsonb_array_elements(t.items_transferred) AS line
             WHERE t.from_user IS NOT NULL AND line ->> 'item_id' = ANY($2::text[])),
           audited AS (SELECT user_id, item_id, sum(n)::int AS n FROM moves GROUP BY 1, 2)
           SELECT a.user_id, a.item_id, a.n AS audited, coalesce(i.quantity, 0) AS held
           FROM audited a LEFT JOIN inventories i USING (user_id, item_id)
           WHERE a.user_id = ANY($1::uuid[]) AND a.n <> coalesce(i.quantity, 0)`,
          [players, itemIds],
        )
        expect(mismatched.rows, JSON.stringify(mismatched.rows)).toEqual([])
        const counts = await pool.query<{ transaction_type: string; n: number }>(
          `SELECT transaction_type, count(*)::int AS n FROM transactions
           WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(items_transferred) AS line
                         WHERE line ->> 'item_id' = ANY($1::text[]))
           GROUP BY 1`,
          [itemIds],
        )
        const audit = Object.fromEntries(counts.rows.map((r) => [r.transaction_type, r.n]))
        const ok = (label: string) => outcomes[label] ?? 0
        expect(audit).toEqual({
          admin_grant: LOAD_PLAYERS + ok('grant 201'),
          gift: ok('gift 201'),
          building_placed: ok('place 201'),
          building_removed: ok('remove 204'),
          drop: ok('drop 200'),
          consume: ok('consume 200'),
        })
      },
      LOAD_DURATION_MS + 60_000,
    )
  })
})
