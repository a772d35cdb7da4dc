/**
 * The marketplace and trades under concurrent requests, against a real multi-connection
 * PostgreSQL: every request goes through the whole HTTP stack (`app.request`: auth, validation,
 * idempotency, services, the Neon driver through the local proxy), and the database is then
 * checked directly with `pg`.
 *
 * Needs `NEXUS_CONCURRENCY_DATABASE_URL` (`.ci/run` starts PostgreSQL 15 and sets it); without it
 * the suite is skipped with one visible line.
 */
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNexusClient, type NexusClient } from '../../db/client'
import { createApp } from '../../functions/app'
import { HOUSE_USER_ID } from '../../functions/economy/ledger'
import { expireDueListings } from '../../functions/marketplace/service'
import { expireDueTrades } from '../../functions/trades/service'
import { itemRequests, replySender, tally, unexpected, type Reply } from '../support/http-replies'
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

const adminUrl = concurrencyDatabaseUrl('marketplace and trades')

/**
 * The race for one unit: buyers, and requests in flight at once. Each request holds its own
 * connection, CI's server takes 300, and another suite may run 200 requests at the same time.
 */
const RACE_BUYERS = 500
const RACE_IN_FLIGHT = 50
/** The randomized load. */
const LOAD_DURATION_MS = 30_000
const LOAD_PLAYERS = 50
const LOAD_WORKERS = 12
const LOAD_STARTING_TOKENS = 500
/** The default `MARKETPLACE_FEE_PERCENT`. */
const FEE_PERCENT = 5

const pick = <T>(values: readonly T[]): T => values[Math.floor(Math.random() * values.length)]
/** One of the 40 newest: contention on fresh listings and trades, where it happens in a game. */
const pickRecent = <T>(values: readonly T[]): T => pick(values.slice(-40))
const between = (low: number, high: number) => low + Math.floor(Math.random() * (high - low + 1))

/** Runs `task` for every value with at most `inFlight` running at once; results in order. */
async function inParallel<T, R>(
  values: readonly T[],
  inFlight: number,
  task: (value: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(values.length)
  let next = 0
  const lane = async () => {
    while (next < values.length) {
      const index = next++
      results[index] = await task(values[index])
    }
  }
  await Promise.all(Array.from({ length: Math.min(inFlight, values.length) }, lane))
  return results
}

describe.skipIf(!adminUrl)('marketplace and trades on a real multi-connection PostgreSQL', () => {
  const app = createApp()
  let server: ConcurrencyPostgres
  let pool: pg.Pool
  let send: ReturnType<typeof replySender>
  let createItem: ReturnType<typeof itemRequests>['createItem']
  let grantReply: ReturnType<typeof itemRequests>['grant']

  beforeAll(async () => {
    server = await startConcurrencyPostgres(adminUrl!)
    server.env.INSTANCE_ROOM = unreachableRooms
    pool = directPool(server.url, 8)
    send = replySender(app, server.env)
    const admin = await adminToken(server, pool, 'market_admin')
    ;({ createItem, grant: grantReply } = itemRequests(send, admin))
  })

  afterAll(async () => {
    await pool?.end()
    await server?.close()
  })

  async function grant(userId: string, items: Array<{ item_id: string; quantity: number }>) {
    const reply = await grantReply(userId, items)
    expect(reply.status, reply.text).toBe(201)
  }

  const post = (path: string, token: string, body?: unknown, key = randomUUID()) =>
    send('POST', path, token, { body, idempotencyKey: key })

  async function tokensOf(userIds: string[]): Promise<Map<string, number>> {
    const { rows } = await pool.query<{ user_id: string; tokens: number }>(
      'SELECT user_id, tokens FROM user_balances WHERE user_id = ANY($1::uuid[])',
      [userIds],
    )
    return new Map(rows.map((r) => [r.user_id, r.tokens]))
  }

  async function held(userId: string, itemId: string): Promise<number> {
    const { rows } = await pool.query<{ quantity: number }>(
      'SELECT quantity FROM inventories WHERE user_id = $1 AND item_id = $2',
      [userId, itemId],
    )
    return rows[0]?.quantity ?? 0
  }

  describe('POST /v1/marketplace/listings/:id/purchase under contention', () => {
    it(`sells a single unit exactly once when ${RACE_BUYERS} buyers race for it`, async () => {
      const [seller] = await createUsers(pool, 'race_seller', 1)
      const buyers = await createUsers(pool, 'race_buyer', RACE_BUYERS)
      const item = await createItem({ type: 'decoration', max_stack_size: 10 })
      await grant(seller, [{ item_id: item, quantity: 1 }])
      const listed = await post('/v1/marketplace/listings', await playerToken(server, seller), {
        item_id: item,
        price: 40,
      })
      expect(listed.status, listed.text).toBe(201)
      const listingId = listed.json.id
      const tokens = await Promise.all(buyers.map((buyer) => playerToken(server, buyer)))
      const houseBefore = (await tokensOf([HOUSE_USER_ID])).get(HOUSE_USER_ID)!

      const started = Date.now()
      const replies = await inParallel(tokens, RACE_IN_FLIGHT, (token) =>
        post(`/v1/marketplace/listings/${listingId}/purchase`, token, { quantity: 1 }),
      )
      console.log(
        `[concurrency] ${RACE_BUYERS} buyers for one unit (${RACE_IN_FLIGHT} in flight) in ${Date.now() - started} ms: ${JSON.stringify(tally(replies))}`,
      )

      expect(unexpected(replies, [201, 409])).toBe('none')
      expect(tally(replies)).toEqual({ '201': 1, '409 conflict': RACE_BUYERS - 1 })
      for (const r of replies.filter((reply) => reply.status === 409)) {
        expect(r.json.error.details, r.text).toEqual({
          reason: 'listing_sold',
          listing_id: listingId,
        })
      }
      const winner = replies.find((r) => r.status === 201)!.json
      expect(winner).toMatchObject({ total_price: 40, fee: 2, seller_received: 38 })
      const balances = await tokensOf([...buyers, seller, HOUSE_USER_ID])
      expect(balances.get(winner.buyer_id)).toBe(60)
      expect(balances.get(seller)).toBe(138)
      expect(balances.get(HOUSE_USER_ID)).toBe(houseBefore + 2)
      const untouched = buyers.filter((b) => b !== winner.buyer_id && balances.get(b) !== 100)
      expect(untouched, 'losing buyers whose balance moved').toEqual([])

      const units = await pool.query(
        'SELECT user_id, quantity FROM inventories WHERE item_id = $1',
        [item],
      )
      expect(units.rows).toEqual([{ user_id: winner.buyer_id, quantity: 1 }])
      const listing = await pool.query(
        'SELECT status, escrow_quantity, buyer_id FROM marketplace_listings WHERE id = $1',
        [listingId],
      )
      expect(listing.rows).toEqual([
        { status: 'sold', escrow_quantity: 0, buyer_id: winner.buyer_id },
      ])
      const audit = await pool.query<{ transaction_type: string; n: number }>(
        `SELECT transaction_type, count(*)::int AS n FROM transactions WHERE reference_id = $1
         GROUP BY 1 ORDER BY 1`,
        [listingId],
      )
      expect(audit.rows).toEqual([
        { transaction_type: 'listing_escrow', n: 1 },
        { transaction_type: 'purchase', n: 1 },
      ])
    })
  })

  describe('idempotent replays', () => {
    it('answers 30 simultaneous copies of a purchase byte for byte, buying once, and later replays too', async () => {
      const [seller, buyer, other] = await createUsers(pool, 'replay_buy', 3)
      const item = await createItem({ type: 'seed', max_stack_size: 100 })
      await grant(seller, [{ item_id: item, quantity: 5 }])
      const listed = await post('/v1/marketplace/listings', await playerToken(server, seller), {
        item_id: item,
        quantity: 5,
        price: 10,
      })
      const path = `/v1/marketplace/listings/${listed.json.id}/purchase`
      const token = await playerToken(server, buyer)
      const key = randomUUID()
      const replies = await Promise.all(
        Array.from({ length: 30 }, () => post(path, token, { quantity: 2 }, key)),
      )
      expect(unexpected(replies, [201])).toBe('none')
      expect(new Set(replies.map((r) => r.text)).size, 'one body, byte for byte').toBe(1)
      const before = await tokensOf([seller, buyer])
      expect(before.get(buyer)).toBe(80)
      expect(await held(buyer, item)).toBe(2)

      // The rest sells out; the key still answers what it bought, and moves nothing.
      const rest = await post(path, await playerToken(server, other), { quantity: 3 })
      expect(rest.status, rest.text).toBe(201)
      const later = await post(path, token, { quantity: 2 }, key)
      expect(later.text).toBe(replies[0].text)
      expect(later.headers.get('Idempotent-Replayed')).toBe('true')
      expect(await tokensOf([seller, buyer])).toEqual(
        new Map([
          [seller, before.get(seller)! + 29],
          [buyer, 80],
        ]),
      )
      expect(await held(buyer, item)).toBe(2)
    })

    it('answers 30 simultaneous copies of an accept byte for byte, swapping once, and later replays too', async () => {
      const [requester, recipient] = await createUsers(pool, 'replay_trade', 2)
      const [offered, asked] = [
        await createItem({ type: 'seed', max_stack_size: 100 }),
        await createItem({ type: 'seed', max_stack_size: 100 }),
      ]
      await grant(requester, [{ item_id: offered, quantity: 4 }])
      await grant(recipient, [{ item_id: asked, quantity: 4 }])
      const offer = await post('/v1/trades', await playerToken(server, requester), {
        recipient_id: recipient,
        requester_items: [{ item_id: offered, quantity: 2 }],
        requester_tokens: 15,
        recipient_items: [{ item_id: asked, quantity: 3 }],
        recipient_tokens: 4,
      })
      expect(offer.status, offer.text).toBe(201)
      const token = await playerToken(server, recipient)
      const key = randomUUID()
      const path = `/v1/trades/${offer.json.id}/accept`
      const replies = await Promise.all(
        Array.from({ length: 30 }, () => post(path, token, undefined, key)),
      )
      expect(unexpected(replies, [200])).toBe('none')
      expect(new Set(replies.map((r) => r.text)).size, 'one body, byte for byte').toBe(1)
      const state = async () => ({
        tokens: await tokensOf([requester, recipient]),
        units: [
          await held(requester, offered),
          await held(requester, asked),
          await held(recipient, offered),
          await held(recipient, asked),
        ],
      })
      const after = await state()
      expect(after).toEqual({
        tokens: new Map([
          [requester, 100 - 15 + 4],
          [recipient, 100 + 15 - 4],
        ]),
        units: [2, 3, 2, 1],
      })
      const later = await post(path, token, undefined, key)
      expect(later.text).toBe(replies[0].text)
      expect(later.headers.get('Idempotent-Replayed')).toBe('true')
      expect(await state()).toEqual(after)
      const rows = await pool.query(
        `SELECT count(*)::int AS n FROM transactions WHERE reference_id = $1 AND transaction_type = 'trade'`,
        [offer.json.id],
      )
      expect(rows.rows).toEqual([{ n: 2 }])
    })
  })

  describe('conservation under a randomized load', () => {
    it(
      `conserves every token (with the house) and every unit (with both escrows) across ${LOAD_PLAYERS} players for ${LOAD_DURATION_MS / 1000} s`,
      async () => {
        const players = await createUsers(pool, 'market_load', LOAD_PLAYERS)
        await pool.query('UPDATE user_balances SET tokens = $2 WHERE user_id = ANY($1::uuid[])', [
          players,
          LOAD_STARTING_TOKENS,
        ])
        const tokenOf = new Map(
          await Promise.all(
            players.map(async (id) => [id, await playerToken(server, id)] as const),
          ),
        )
        const items = [
          await createItem({ type: 'seed', max_stack_size: 40 }),
          await createItem({ type: 'decoration', max_stack_size: 12 }),
          await createItem({ type: 'weapon', max_stack_size: 3 }),
          await createItem({ type: 'clothing', max_stack_size: 1000 }),
        ]
        for (const player of players) {
          await grant(player, [
            { item_id: items[0], quantity: 10 },
            { item_id: items[1], quantity: 4 },
            { item_id: items[2], quantity: 1 },
            { item_id: items[3], quantity: 20 },
          ])
        }
        const accounts = [...players, HOUSE_USER_ID]
        const startTokens = await tokensOf(accounts)

        // One statement, one snapshot: tokens in balances (players and house) and in trade escrow,
        // and per item the units in inventories, listing escrow and trade escrow.
        const ledgerSql = `
          WITH ids AS (SELECT unnest($2::uuid[]) AS item_id),
          held AS (SELECT item_id, sum(quantity)::int AS n, min(quantity) AS low FROM inventories
                   WHERE item_id = ANY($2::uuid[]) GROUP BY 1),
          listed AS (SELECT item_id, sum(escrow_quantity)::int AS n, min(escrow_quantity) AS low
                     FROM marketplace_listings WHERE item_id = ANY($2::uuid[]) GROUP BY 1),
          traded AS (SELECT (line ->> 'item_id')::uuid AS item_id, sum((line ->> 'quantity')::int)::int AS n
                     FROM trade_requests t, jsonb_array_elements(t.requester_items) AS line
                     WHERE t.escrow_held AND t.requester_id = ANY($1::uuid[]) GROUP BY 1)
          SELECT
            (SELECT sum(tokens)::int FROM user_balances WHERE user_id = ANY($1::uuid[])) AS balances,
            (SELECT min(tokens) FROM user_balances WHERE user_id = ANY($1::uuid[])) AS lowest_balance,
            (SELECT coalesce(sum(requester_tokens), 0)::int FROM trade_requests
             WHERE escrow_held AND requester_id = ANY($1::uuid[])) AS escrow_tokens,
            (SELECT json_agg(json_build_object(
                      'item_id', ids.item_id, 'held', coalesce(held.n, 0),
                      'listed', coalesce(listed.n, 0), 'traded', coalesce(traded.n, 0),
                      'lowest', least(held.low, listed.low)) ORDER BY ids.item_id)
             FROM ids LEFT JOIN held USING (item_id) LEFT JOIN listed USING (item_id)
                      LEFT JOIN traded USING (item_id)) AS items`
        type Ledger = {
          balances: number
          lowest_balance: number
          escrow_tokens: number
          items: Array<{
            item_id: string
            held: number
            listed: number
            traded: number
            lowest: number | null
          }>
        }
        const ledger = async (client: pg.Pool | pg.Client = pool) =>
          (await client.query<Ledger>(ledgerSql, [accounts, items])).rows[0]
        const start = await ledger()
        const startTokenTotal = start.balances
        expect(startTokenTotal).toBe(
          LOAD_PLAYERS * LOAD_STARTING_TOKENS + startTokens.get(HOUSE_USER_ID)!,
        )
        const startUnits = new Map(start.items.map((row) => [row.item_id, row.held]))
        expect([...startUnits.values()]).toEqual(
          [...items].sort().map((id) => LOAD_PLAYERS * [10, 4, 1, 20][items.indexOf(id)]),
        )

        const listings: Array<{ id: string; seller: string }> = []
        const trades: Array<{ id: string; requester: string; recipient: string }> = []
        const outcomes: Record<string, number> = {}
        const failures: string[] = []
        const note = (op: string, reply: Reply, ok: number[], refusals: string[]) => {
          const refusal = reply.json?.error?.details?.reason ?? reply.json?.error?.code
          const label = `${op} ${reply.status < 300 ? reply.status : `${reply.status} ${refusal}`}`
          outcomes[label] = (outcomes[label] ?? 0) + 1
          if (!ok.includes(reply.status) && !refusals.includes(refusal)) {
            failures.push(`${op}: ${reply.status} ${reply.text}`)
          }
        }
        const other = (than: string) => {
          let player = pick(players)
          while (player === than) player = pick(players)
          return player
        }
        const lines = (count: number) => {
          const chosen = [...items].sort(() => Math.random() - 0.5).slice(0, count)
          return chosen.map((item_id) => ({ item_id, quantity: between(1, 2) }))
        }
        const sometimes = (high: number) => (Math.random() < 0.5 ? 0 : between(1, high))
        const tradeEnded = ['trade_completed', 'trade_declined', 'trade_cancelled', 'trade_expired']
        const listingEnded = ['listing_sold', 'listing_cancelled', 'listing_expired']

        const operations: Array<[number, () => Promise<void>]> = [
          [
            14,
            async () => {
              const seller = pick(players)
              const reply = await post('/v1/marketplace/listings', tokenOf.get(seller)!, {
                item_id: pick(items),
                quantity: between(1, 3),
                price: between(1, 25),
              })
              if (reply.status === 201) listings.push({ id: reply.json.id, seller })
              note('list', reply, [201], ['insufficient_quantity'])
            },
          ],
          [
            24,
            async () => {
              if (listings.length === 0) return
              const listing = pickRecent(listings)
              const reply = await post(
                `/v1/marketplace/listings/${listing.id}/purchase`,
                tokenOf.get(other(listing.seller))!,
                { quantity: between(1, 2) },
              )
              note(
                'buy',
                reply,
                [201],
                [...listingEnded, 'insufficient_quantity', 'stack_full', 'insufficient_funds'],
              )
            },
          ],
          [
            7,
            async () => {
              if (listings.length === 0) return
              const listing = pickRecent(listings)
              const reply = await send(
                'DELETE',
                `/v1/marketplace/listings/${listing.id}`,
                tokenOf.get(listing.seller)!,
              )
              note('cancel listing', reply, [200], [...listingEnded, 'stack_full'])
            },
          ],
          [
            4,
            async () => {
              if (listings.length === 0) return
              // Its time runs out: a later purchase meets it (lazy expiry) or the cron ends it.
              await pool.query(
                `UPDATE marketplace_listings SET expires_at = now() - interval '1 second'
                 WHERE id = $1 AND status = 'active'`,
                [pickRecent(listings).id],
              )
              outcomes['expire listing'] = (outcomes['expire listing'] ?? 0) + 1
            },
          ],
          [
            15,
            async () => {
              const requester = pick(players)
              const recipient = other(requester)
              const body = {
                recipient_id: recipient,
                requester_items: lines(between(0, 2)),
                requester_tokens: sometimes(30),
                recipient_items: lines(between(0, 2)),
                recipient_tokens: sometimes(30),
              }
              if (body.requester_items.length + body.recipient_items.length === 0) {
                body.requester_tokens += 1
              }
              const reply = await post('/v1/trades', tokenOf.get(requester)!, body)
              if (reply.status === 201) trades.push({ id: reply.json.id, requester, recipient })
              note(
                'offer',
                reply,
                [201],
                ['insufficient_quantity', 'insufficient_funds', 'trade_limit'],
              )
            },
          ],
          [
            14,
            async () => {
              if (trades.length === 0) return
              const trade = pickRecent(trades)
              const reply = await post(
                `/v1/trades/${trade.id}/accept`,
                tokenOf.get(trade.recipient)!,
              )
              note(
                'accept',
                reply,
                [200],
                [...tradeEnded, 'insufficient_quantity', 'insufficient_funds', 'stack_full'],
              )
            },
          ],
          [
            6,
            async () => {
              if (trades.length === 0) return
              const trade = pickRecent(trades)
              const reply = await post(
                `/v1/trades/${trade.id}/decline`,
                tokenOf.get(trade.recipient)!,
              )
              note('decline', reply, [200], tradeEnded)
            },
          ],
          [
            6,
            async () => {
              if (trades.length === 0) return
              const trade = pickRecent(trades)
              const reply = await post(
                `/v1/trades/${trade.id}/cancel`,
                tokenOf.get(trade.requester)!,
              )
              note('cancel trade', reply, [200], [...tradeEnded, 'stack_full'])
            },
          ],
          [
            3,
            async () => {
              if (trades.length === 0) return
              await pool.query(
                `UPDATE trade_requests SET expires_at = now() - interval '1 second'
                 WHERE id = $1 AND status = 'pending'`,
                [pickRecent(trades).id],
              )
              outcomes['expire trade'] = (outcomes['expire trade'] ?? 0) + 1
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

        const deadline = Date.now() + LOAD_DURATION_MS
        let operationsRun = 0
        const worker = async () => {
          while (Date.now() < deadline) {
            await randomOperation()()
            operationsRun++
          }
        }
        // The cron's expiry, run as the scheduled handler runs it, while everything else goes on.
        const cron = { runs: 0, listings: 0, trades: 0 }
        const cronLoop = async () => {
          const client: NexusClient = createNexusClient(server.url, {
            wsProxy: server.proxyAddress,
          })
          try {
            while (Date.now() < deadline) {
              cron.listings += await expireDueListings(client.db)
              cron.trades += await expireDueTrades(client.db)
              cron.runs++
              await new Promise((resolve) => setTimeout(resolve, 1_000))
            }
          } finally {
            await client.close()
          }
        }
        const reads = {
          count: 0,
          wrongTokens: [] as number[],
          wrongUnits: [] as string[],
          negative: 0,
        }
        const reader = async () => {
          const client = new pg.Client({ connectionString: server.url })
          await client.connect()
          try {
            while (Date.now() < deadline) {
              const now = await ledger(client)
              reads.count++
              const tokens = now.balances + now.escrow_tokens
              if (tokens !== startTokenTotal) reads.wrongTokens.push(tokens)
              if (now.lowest_balance < 0) reads.negative++
              for (const row of now.items) {
                if (row.held + row.listed + row.traded !== startUnits.get(row.item_id)) {
                  reads.wrongUnits.push(JSON.stringify(row))
                }
                if (row.lowest !== null && row.lowest < 0) reads.negative++
              }
            }
          } finally {
            await client.end()
          }
        }
        const started = Date.now()
        await Promise.all([reader(), cronLoop(), ...Array.from({ length: LOAD_WORKERS }, worker)])
        const seconds = (Date.now() - started) / 1000
        const end = await ledger()
        const serverErrors = Object.entries(outcomes)
          .filter(([label]) => / 5\d\d/.test(label))
          .reduce((n, [, count]) => n + count, 0)
        console.log(
          `[concurrency] market load: ${operationsRun} operations in ${seconds.toFixed(1)} s ` +
            `(${(operationsRun / seconds).toFixed(0)} operations/s) by ${LOAD_WORKERS} workers across ${LOAD_PLAYERS} players; ` +
            `cron ${cron.runs} runs ended ${cron.listings} listings and ${cron.trades} trades; ` +
            `${JSON.stringify(outcomes)}; ${reads.count} ledger reads: ${reads.wrongTokens.length} with a wrong token total, ` +
            `${reads.wrongUnits.length} with a wrong unit total, ${reads.negative} with a negative value; ` +
            `end tokens ${end.balances} + ${end.escrow_tokens} in escrow (start ${startTokenTotal}), items ${JSON.stringify(end.items)}`,
        )

        expect(
          failures,
          `${failures.slice(0, 5).join('\n')}\napp errors: ${appErrors.slice(0, 3)}`,
        ).toEqual([])
        expect(serverErrors).toBe(0)
        expect(reads.count).toBeGreaterThan(0)
        expect(reads.wrongTokens, 'reads whose token total differed').toEqual([])
        expect(reads.wrongUnits.slice(0, 5), 'reads whose units differed').toEqual([])
        expect(reads.negative).toBe(0)
        expect(end.balances + end.escrow_tokens).toBe(startTokenTotal)
        expect(end.lowest_balance).toBeGreaterThanOrEqual(0)
        for (const row of end.items) {
          expect(row.held + row.listed + row.traded, JSON.stringify(row)).toBe(
            startUnits.get(row.item_id),
          )
        }
        for (const op of [
          'list',
          'buy',
          'cancel listing',
          'offer',
          'accept',
          'decline',
          'cancel trade',
        ]) {
          const succeeded = Object.keys(outcomes).some((label) => label.startsWith(`${op} 2`))
          expect(succeeded, `${op} never succeeded: ${JSON.stringify(outcomes)}`).toBe(true)
        }
        expect(cron.listings + cron.trades, 'the cron ended something').toBeGreaterThan(0)

        await reconcileAudit({ players, items, startTokens, outcomes })
      },
      LOAD_DURATION_MS + 120_000,
    )
  })

  /**
   * Every `transactions` row matches a state change: replaying the audit rows of the load (and
   * their token legs) from the starting state gives exactly the final inventories, listing and
   * trade escrow, and balances; each row's parties match the listing or trade it references; and
   * each row's tokens match its legs.
   */
  async function reconcileAudit(input: {
    players: string[]
    items: string[]
    startTokens: Map<string, number>
    outcomes: Record<string, number>
  }) {
    const { players, items, startTokens, outcomes } = input
    type AuditRow = {
      id: string
      transaction_type: string
      from_user: string | null
      to_user: string | null
      items_transferred: Array<{ item_id: string; quantity: number }>
      tokens_transferred: number
      reference_id: string | null
      metadata: Record<string, any>
    }
    const audit = (
      await pool.query<AuditRow>(
        `SELECT id, transaction_type, from_user, to_user, items_transferred, tokens_transferred,
                reference_id, metadata
         FROM transactions WHERE from_user = ANY($1::uuid[]) OR to_user = ANY($1::uuid[])`,
        [players],
      )
    ).rows
    const listingRows = (
      await pool.query<{ id: string; seller_id: string; item_id: string; escrow_quantity: number }>(
        'SELECT id, seller_id, item_id, escrow_quantity FROM marketplace_listings WHERE seller_id = ANY($1::uuid[])',
        [players],
      )
    ).rows
    const tradeRows = (
      await pool.query<{
        id: string
        requester_id: string
        recipient_id: string
        status: string
        escrow_held: boolean
        requester_items: Array<{ item_id: string; quantity: number }>
        requester_tokens: number
        recipient_items: Array<{ item_id: string; quantity: number }>
        recipient_tokens: number
      }>('SELECT * FROM trade_requests WHERE requester_id = ANY($1::uuid[])', [players])
    ).rows
    const listingsById = new Map(listingRows.map((row) => [row.id, row]))
    const tradesById = new Map(tradeRows.map((row) => [row.id, row]))
    const legs = (
      await pool.query<{
        user_id: string
        amount: number
        transaction_type: string
        reference_id: string
      }>(
        `SELECT user_id, amount, transaction_type, reference_id FROM token_transactions
         WHERE reference_id = ANY($1::uuid[])`,
        [audit.map((row) => row.id)],
      )
    ).rows
    const orphanLegs = await pool.query(
      `SELECT count(*)::int AS n FROM token_transactions tt
       WHERE tt.user_id = ANY($1::uuid[])
         AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.id = tt.reference_id)`,
      [players],
    )
    expect(orphanLegs.rows, 'token legs without their audit row').toEqual([{ n: 0 }])

    // Places that hold units or tokens, replayed from the audit.
    const units = new Map<string, number>()
    const add = (place: string, n: number) => units.set(place, (units.get(place) ?? 0) + n)
    const escrowTokens = new Map<string, number>()
    const addTokens = (tradeId: string, n: number) =>
      escrowTokens.set(tradeId, (escrowTokens.get(tradeId) ?? 0) + n)
    const expectedLegs = new Map<string, string[]>()
    const problems: string[] = []
    const legKey = (user: string, amount: number, type: string) => `${user} ${amount} ${type}`

    for (const row of audit) {
      const lines = row.items_transferred
      const T = row.tokens_transferred
      const move = (from: string | null, to: string | null) => {
        for (const line of lines) {
          if (line.quantity <= 0) problems.push(`non-positive line in ${row.id}`)
          if (from) add(`${from}|${line.item_id}`, -line.quantity)
          if (to) add(`${to}|${line.item_id}`, line.quantity)
        }
      }
      const listing = row.reference_id ? listingsById.get(row.reference_id) : undefined
      const trade = row.reference_id ? tradesById.get(row.reference_id) : undefined
      const legsWillBe = (...entries: Array<[string, number, string]>) =>
        expectedLegs.set(
          row.id,
          entries
            .filter(([, amount]) => amount !== 0)
            .map(([u, a, t]) => legKey(u, a, t))
            .sort(),
        )
      switch (row.transaction_type) {
        case 'admin_grant':
          move(null, `inv:${row.to_user}`)
          legsWillBe()
          break
        case 'listing_escrow':
          if (listing?.seller_id !== row.from_user) problems.push(`escrow party ${row.id}`)
          move(`inv:${row.from_user}`, `listing:${row.reference_id}`)
          legsWillBe()
          break
        case 'listing_returned':
          if (listing?.seller_id !== row.to_user) problems.push(`return party ${row.id}`)
          move(`listing:${row.reference_id}`, `inv:${row.to_user}`)
          legsWillBe()
          break
        case 'purchase': {
          if (listing?.seller_id !== row.from_user) problems.push(`purchase party ${row.id}`)
          const fee = row.metadata.fee
          if (fee !== Math.floor((T * FEE_PERCENT) / 100)) problems.push(`fee of ${row.id}`)
          move(`listing:${row.reference_id}`, `inv:${row.to_user}`)
          legsWillBe(
            [row.to_user!, -T, 'purchase'],
            [row.from_user!, T - fee, 'sale'],
            [HOUSE_USER_ID, fee, 'marketplace_fee'],
          )
          break
        }
        case 'trade_escrow':
          if (trade?.requester_id !== row.from_user) problems.push(`trade escrow party ${row.id}`)
          move(`inv:${row.from_user}`, `trade:${row.reference_id}`)
          addTokens(row.reference_id!, T)
          legsWillBe([row.from_user!, -T, 'trade_escrow'])
          break
        case 'trade_returned':
          if (trade?.requester_id !== row.to_user) problems.push(`trade return party ${row.id}`)
          move(`trade:${row.reference_id}`, `inv:${row.to_user}`)
          addTokens(row.reference_id!, -T)
          legsWillBe([row.to_user!, T, 'trade_returned'])
          break
        case 'trade':
          if (row.metadata.side === 'requester') {
            if (trade?.requester_id !== row.from_user || trade?.recipient_id !== row.to_user) {
              problems.push(`trade party ${row.id}`)
            }
            move(`trade:${row.reference_id}`, `inv:${row.to_user}`)
            addTokens(row.reference_id!, -T)
            legsWillBe([row.to_user!, T, 'trade_received'])
          } else {
            if (trade?.recipient_id !== row.from_user || trade?.requester_id !== row.to_user) {
              problems.push(`trade party ${row.id}`)
            }
            move(`inv:${row.from_user}`, `inv:${row.to_user}`)
            legsWillBe([row.from_user!, -T, 'trade_sent'], [row.to_user!, T, 'trade_received'])
          }
          break
        default:
          problems.push(`unexpected ${row.transaction_type} row ${row.id}`)
      }
    }
    expect(problems.slice(0, 5)).toEqual([])

    // Each row's legs are exactly what its kind and tokens say.
    const actualLegs = new Map<string, string[]>()
    for (const leg of legs) {
      const list = actualLegs.get(leg.reference_id) ?? []
      list.push(legKey(leg.user_id, leg.amount, leg.transaction_type))
      actualLegs.set(leg.reference_id, list)
    }
    const legMismatches = audit
      .filter((row) => {
        const actual = (actualLegs.get(row.id) ?? []).sort()
        return JSON.stringify(actual) !== JSON.stringify(expectedLegs.get(row.id))
      })
      .map((row) => row.id)
    expect(legMismatches.slice(0, 5), 'audit rows whose token legs differ').toEqual([])

    // Replayed units equal the state, place by place.
    const state = new Map<string, number>()
    const inventories = await pool.query<{ user_id: string; item_id: string; quantity: number }>(
      'SELECT user_id, item_id, quantity FROM inventories WHERE item_id = ANY($1::uuid[])',
      [items],
    )
    for (const row of inventories.rows) state.set(`inv:${row.user_id}|${row.item_id}`, row.quantity)
    for (const row of listingRows) {
      if (row.escrow_quantity > 0)
        state.set(`listing:${row.id}|${row.item_id}`, row.escrow_quantity)
    }
    for (const row of tradeRows) {
      if (!row.escrow_held) continue
      for (const line of row.requester_items)
        state.set(`trade:${row.id}|${line.item_id}`, line.quantity)
    }
    const replayed = new Map([...units].filter(([, n]) => n !== 0))
    const differing = [...new Set([...replayed.keys(), ...state.keys()])].filter(
      (place) => replayed.get(place) !== state.get(place),
    )
    expect(
      differing.slice(0, 5).map((p) => `${p}: audit ${replayed.get(p)} state ${state.get(p)}`),
      'places whose units differ from the replayed audit',
    ).toEqual([])
    for (const row of tradeRows) {
      const held = row.escrow_held ? row.requester_tokens : 0
      if ((escrowTokens.get(row.id) ?? 0) !== held) problems.push(`escrow tokens of ${row.id}`)
    }
    expect(problems.slice(0, 5)).toEqual([])

    // Balances are the starting ones plus the legs of the load's rows.
    const balances = await tokensOf([...players, HOUSE_USER_ID])
    const delta = new Map<string, number>()
    for (const leg of legs) delta.set(leg.user_id, (delta.get(leg.user_id) ?? 0) + leg.amount)
    const wrongBalances = [...balances].filter(
      ([user, tokens]) => tokens !== startTokens.get(user)! + (delta.get(user) ?? 0),
    )
    expect(wrongBalances, 'balances that differ from start + legs').toEqual([])

    // And the rows are as many as the successful requests that write them.
    const count = (type: string) => audit.filter((row) => row.transaction_type === type).length
    const ok = (label: string) => outcomes[label] ?? 0
    expect(count('listing_escrow')).toBe(ok('list 201'))
    expect(count('purchase')).toBe(ok('buy 201'))
    expect(tradeRows.length).toBe(ok('offer 201'))
    const accepted = new Set(
      audit.filter((r) => r.transaction_type === 'trade').map((r) => r.reference_id),
    )
    expect(accepted.size).toBe(ok('accept 200'))
    expect(tradeRows.filter((row) => row.status === 'completed').length).toBe(ok('accept 200'))
    expect(tradeRows.filter((row) => row.status === 'declined').length).toBe(ok('decline 200'))
  }
})
