/**
 * The economy under concurrent requests, against a real multi-connection PostgreSQL: every request
 * goes through the whole HTTP stack (`app.request`: auth, validation, idempotency, services, the
 * Neon driver through the local proxy), and the database state is then checked directly with `pg`.
 *
 * Needs `NEXUS_CONCURRENCY_DATABASE_URL` (`.ci/run` starts PostgreSQL 15 with
 * `scripts/ci-postgres.sh` and sets it); without it the suite is skipped with one visible line.
 */
import { randomUUID } from 'node:crypto'
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
import { replySender, tally, unexpected } from '../support/http-replies'
import { appErrors, recordLogs } from '../support/recording-logger'

// Per-request log lines are dropped; error lines are kept in `appErrors` for assertion messages.
recordLogs()

const adminUrl = concurrencyDatabaseUrl('economy')

/** Tokens the users trigger gives every new account. */
const STARTING_TOKENS = 100
/** How long the bank test's workers keep transferring. */
const BANK_DURATION_MS = 20_000
const BANK_USERS = 20
const BANK_WORKERS = 8
const BANK_MAX_AMOUNT = 50

describe.skipIf(!adminUrl)('the economy on a real multi-connection PostgreSQL', () => {
  const app = createApp()
  let server: ConcurrencyPostgres
  let pool: pg.Pool

  let send: ReturnType<typeof replySender>

  beforeAll(async () => {
    server = await startConcurrencyPostgres(adminUrl!)
    pool = directPool(server.url)
    send = replySender(app, server.env)
  })

  afterAll(async () => {
    await pool?.end()
    await server?.close()
  })

  const newUsers = (count: number) => createUsers(pool, 'conc', count)
  const tokenOf = (userId: string) => playerToken(server, userId)

  /** Sum and minimum of the balances of `userIds`, read in one statement (one snapshot). */
  async function balanceTotals(
    userIds: string[],
    client: pg.Pool | pg.Client = pool,
  ): Promise<{ sum: number; min: number }> {
    const { rows } = await client.query<{ sum: number; min: number }>(
      `SELECT sum(tokens)::int AS sum, min(tokens)::int AS min FROM user_balances
       WHERE user_id = ANY($1::uuid[])`,
      [userIds],
    )
    return rows[0]
  }

  async function tokensOf(userId: string): Promise<number> {
    const { rows } = await pool.query<{ tokens: number }>(
      'SELECT tokens FROM user_balances WHERE user_id = $1',
      [userId],
    )
    return rows[0].tokens
  }

  /** Audit rows touching `userIds`, counted by type in `transactions` and `token_transactions`. */
  async function auditCounts(userIds: string[]) {
    const audit = await pool.query<{ transaction_type: string; n: number }>(
      `SELECT transaction_type, count(*)::int AS n FROM transactions
       WHERE from_user = ANY($1::uuid[]) OR to_user = ANY($1::uuid[]) GROUP BY 1`,
      [userIds],
    )
    const ledger = await pool.query<{ transaction_type: string; n: number }>(
      `SELECT transaction_type, count(*)::int AS n FROM token_transactions
       WHERE user_id = ANY($1::uuid[]) GROUP BY 1`,
      [userIds],
    )
    return {
      transactions: Object.fromEntries(audit.rows.map((r) => [r.transaction_type, r.n])),
      tokenTransactions: Object.fromEntries(ledger.rows.map((r) => [r.transaction_type, r.n])),
    }
  }

  describe('the new-account outbound cap under concurrency', () => {
    it('lets exactly 20 of 60 parallel 10-token transfers through from a 5-day-old account (cap 200)', async () => {
      const [sender] = await createUsers(pool, 'young', 1, 5)
      const [recipient] = await newUsers(1)
      await pool.query('UPDATE user_balances SET tokens = 1000 WHERE user_id = $1', [sender])
      const token = await tokenOf(sender)
      const replies = await Promise.all(
        Array.from({ length: 60 }, () =>
          send('POST', '/v1/economy/transfers', token, {
            body: { to_user_id: recipient, amount: 10 },
            idempotencyKey: randomUUID(),
          }),
        ),
      )
      expect(unexpected(replies, [201, 429])).toBe('none')
      expect(tally(replies)).toEqual({ '201': 20, '429 rate_limited': 40 })
      expect(await tokensOf(sender)).toBe(800)
    })
  })

  describe('POST /v1/economy/transfers under concurrency', () => {
    it('lets exactly 100 of 200 parallel 10-token transfers through from 1,000 tokens', async () => {
      const [sender, recipient] = await newUsers(2)
      await pool.query('UPDATE user_balances SET tokens = 1000 WHERE user_id = $1', [sender])
      const before = await balanceTotals([sender, recipient])
      expect(before).toEqual({ sum: 1000 + STARTING_TOKENS, min: STARTING_TOKENS })
      const token = await tokenOf(sender)

      const replies = await Promise.all(
        Array.from({ length: 200 }, () =>
          send('POST', '/v1/economy/transfers', token, {
            body: { to_user_id: recipient, amount: 10 },
            idempotencyKey: randomUUID(),
          }),
        ),
      )

      const succeeded = replies.filter((r) => r.status === 201)
      const refused = replies.filter((r) => r.status === 409)
      const after = await balanceTotals([sender, recipient])
      const finalBalance = await tokensOf(sender)
      console.log(
        `[concurrency] transfers: ${succeeded.length} succeeded, ${refused.length} insufficient_funds, ` +
          `${replies.length - succeeded.length - refused.length} other; final balance ${finalBalance}, ` +
          `tokens ${before.sum} before / ${after.sum} after`,
      )

      expect(unexpected(replies, [201, 409])).toBe('none')
      expect(succeeded.length, JSON.stringify(tally(replies))).toBe(100)
      expect(refused.length, JSON.stringify(tally(replies))).toBe(100)
      for (const r of refused) {
        expect(r.json?.error?.code, r.text).toBe('insufficient_funds')
        expect(r.json?.error?.details, r.text).toEqual({ balance: 0, amount: 10 })
      }
      // Each success saw a distinct balance after its debit: 990, 980, …, 0. A lost update would
      // repeat one of them.
      const balancesAfterDebit = succeeded.map((r) => r.json?.balance?.tokens).sort((a, b) => b - a)
      expect(balancesAfterDebit).toEqual(Array.from({ length: 100 }, (_, i) => 990 - 10 * i))

      expect(finalBalance).toBe(0)
      expect(await tokensOf(recipient)).toBe(STARTING_TOKENS + 1000)
      expect(after.sum).toBe(before.sum)
      const balanceReply = await send('GET', '/v1/economy/balance', token)
      expect(balanceReply.status, balanceReply.text).toBe(200)
      expect(balanceReply.json.tokens, balanceReply.text).toBe(0)
      expect(balanceReply.json.total_spent, balanceReply.text).toBe(1000)

      expect(await auditCounts([sender, recipient])).toEqual({
        transactions: { gift: 100 },
        tokenTransactions: { gift_sent: 100, gift_received: 100 },
      })
      // Refusals are stored under their keys too, so a retry replays the 409 instead of re-running.
      const keys = await pool.query<{ status_code: number; n: number }>(
        `SELECT status_code, count(*)::int AS n FROM idempotency_keys WHERE user_id = $1
         GROUP BY 1 ORDER BY 1`,
        [sender],
      )
      expect(keys.rows).toEqual([
        { status_code: 201, n: 100 },
        { status_code: 409, n: 100 },
      ])
    })

    it('debits once for 20 parallel transfers sharing one Idempotency-Key, with identical responses', async () => {
      const [sender, recipient] = await newUsers(2)
      const token = await tokenOf(sender)
      const key = `conc-${randomUUID()}`

      const replies = await Promise.all(
        Array.from({ length: 20 }, () =>
          send('POST', '/v1/economy/transfers', token, {
            body: { to_user_id: recipient, amount: 25, note: 'one gift, sent twenty times' },
            idempotencyKey: key,
          }),
        ),
      )

      const firsts = replies.filter((r) => r.headers.get('Idempotent-Replayed') !== 'true')
      const distinctBodies = new Set(replies.map((r) => r.text))
      const senderTokens = await tokensOf(sender)
      const totals = await balanceTotals([sender, recipient])
      const audit = await auditCounts([sender, recipient])
      console.log(
        `[concurrency] same Idempotency-Key: ${replies.length} requests, ${tally(replies)['201'] ?? 0} × 201, ` +
          `${firsts.length} executed, ${replies.length - firsts.length} replayed, ` +
          `${distinctBodies.size} distinct body; ${audit.transactions.gift ?? 0} debit, sender ${STARTING_TOKENS} → ${senderTokens}`,
      )

      expect(unexpected(replies, [201])).toBe('none')
      expect(
        [...distinctBodies],
        'every reply must be byte-identical to the first response',
      ).toHaveLength(1)
      expect(firsts.length, replies.map((r) => r.text).join('\n')).toBe(1)
      expect(replies[0].json.amount, replies[0].text).toBe(25)
      expect(replies[0].json.balance.tokens, replies[0].text).toBe(STARTING_TOKENS - 25)

      expect(senderTokens).toBe(STARTING_TOKENS - 25)
      expect(await tokensOf(recipient)).toBe(STARTING_TOKENS + 25)
      expect(totals.sum).toBe(2 * STARTING_TOKENS)
      expect(audit).toEqual({
        transactions: { gift: 1 },
        tokenTransactions: { gift_sent: 1, gift_received: 1 },
      })
      const keys = await pool.query('SELECT 1 FROM idempotency_keys WHERE user_id = $1', [sender])
      expect(keys.rowCount).toBe(1)
    })
  })

  describe('POST /v1/economy/daily-claim under concurrency', () => {
    it('credits exactly one of 50 parallel claims', async () => {
      const [claimer] = await newUsers(1)
      const token = await tokenOf(claimer)

      const replies = await Promise.all(
        Array.from({ length: 50 }, () => send('POST', '/v1/economy/daily-claim', token)),
      )

      const credited = replies.filter((r) => r.status === 200)
      const refused = replies.filter((r) => r.status === 409)
      const tokens = await tokensOf(claimer)
      console.log(
        `[concurrency] daily claims: ${credited.length} credited, ${refused.length} already_claimed, ` +
          `${replies.length - credited.length - refused.length} other; balance ${STARTING_TOKENS} → ${tokens}`,
      )

      expect(unexpected(replies, [200, 409])).toBe('none')
      expect(credited.length, JSON.stringify(tally(replies))).toBe(1)
      for (const r of refused) expect(r.json?.error?.code, r.text).toBe('already_claimed')
      expect(credited[0].json, credited[0].text).toMatchObject({
        reward: 10,
        streak: 1,
        tokens: STARTING_TOKENS + 10,
      })
      expect(tokens).toBe(STARTING_TOKENS + 10)
      const balanceReply = await send('GET', '/v1/economy/balance', token)
      expect(balanceReply.json, balanceReply.text).toMatchObject({ tokens: 110, daily_streak: 1 })
      expect(await auditCounts([claimer])).toEqual({
        transactions: { daily_claim: 1 },
        tokenTransactions: { daily_claim: 1 },
      })
    })
  })

  describe('the bank invariant under concurrent random transfers', () => {
    it(
      `keeps the total constant and no balance negative while ${BANK_WORKERS} workers transfer for ${BANK_DURATION_MS / 1000} s`,
      async () => {
        const userIds = await newUsers(BANK_USERS)
        const tokens = new Map(
          await Promise.all(userIds.map(async (id) => [id, await tokenOf(id)] as const)),
        )
        const start = await balanceTotals(userIds)
        expect(start).toEqual({ sum: BANK_USERS * STARTING_TOKENS, min: STARTING_TOKENS })

        const deadline = Date.now() + BANK_DURATION_MS
        const statusCounts: Record<string, number> = {}
        const failures: string[] = []
        const pick = () => userIds[Math.floor(Math.random() * userIds.length)]

        const worker = async () => {
          while (Date.now() < deadline) {
            const from = pick()
            let to = pick()
            while (to === from) to = pick()
            const amount = 1 + Math.floor(Math.random() * BANK_MAX_AMOUNT)
            const reply = await send('POST', '/v1/economy/transfers', tokens.get(from)!, {
              body: { to_user_id: to, amount },
              idempotencyKey: randomUUID(),
            })
            const label =
              reply.status === 201 ? '201' : `${reply.status} ${reply.json?.error?.code}`
            statusCounts[label] = (statusCounts[label] ?? 0) + 1
            if (reply.status !== 201 && label !== '409 insufficient_funds') {
              failures.push(`${reply.status} ${reply.text}`)
            }
          }
        }

        // The reader has its own connection, outside the app, and reads while transfers commit.
        const reads = { count: 0, badSums: [] as number[], negativeMins: [] as number[] }
        const reader = async () => {
          const client = new pg.Client({ connectionString: server.url })
          await client.connect()
          try {
            while (Date.now() < deadline) {
              const { sum, min } = await balanceTotals(userIds, client)
              reads.count += 1
              if (sum !== start.sum) reads.badSums.push(sum)
              if (min < 0) reads.negativeMins.push(min)
            }
          } finally {
            await client.end()
          }
        }

        await Promise.all([reader(), ...Array.from({ length: BANK_WORKERS }, worker)])

        const end = await balanceTotals(userIds)
        const succeeded = statusCounts['201'] ?? 0
        const refused = statusCounts['409 insufficient_funds'] ?? 0
        const serverErrors = Object.entries(statusCounts)
          .filter(([label]) => label.startsWith('5'))
          .reduce((n, [, c]) => n + c, 0)
        console.log(
          `[concurrency] bank: ${succeeded + refused + failures.length} transfers in ${BANK_DURATION_MS / 1000} s ` +
            `by ${BANK_WORKERS} workers: ${succeeded} succeeded, ${refused} insufficient_funds, ` +
            `${serverErrors} 5xx, ${failures.length} other failures; ${reads.count} reads, ` +
            `${reads.badSums.length} with a wrong total, ${reads.negativeMins.length} with a negative balance; ` +
            `total ${start.sum} → ${end.sum}, lowest balance ${end.min}`,
        )

        expect(
          failures,
          `${failures.slice(0, 5).join('\n')}\napp errors: ${appErrors.slice(0, 3)}`,
        ).toEqual([])
        expect(serverErrors).toBe(0)
        expect(reads.count).toBeGreaterThan(0)
        expect(reads.badSums, `reads whose total differed from ${start.sum}`).toEqual([])
        expect(reads.negativeMins, 'reads that saw a negative balance').toEqual([])
        expect(end.sum).toBe(start.sum)
        expect(end.min).toBeGreaterThanOrEqual(0)
        expect(succeeded).toBeGreaterThan(0)
        expect(refused, JSON.stringify(statusCounts)).toBeGreaterThan(0)

        // The audit trail reconciles: one gift per success, and every balance equals the starting
        // tokens plus the sum of its ledger rows.
        expect(await auditCounts(userIds)).toEqual({
          transactions: { gift: succeeded },
          tokenTransactions: { gift_sent: succeeded, gift_received: succeeded },
        })
        const mismatched = await pool.query(
          `SELECT b.user_id, b.tokens, $2::int + coalesce(sum(t.amount), 0)::int AS ledger
           FROM user_balances b LEFT JOIN token_transactions t ON t.user_id = b.user_id
           WHERE b.user_id = ANY($1::uuid[])
           GROUP BY b.user_id, b.tokens
           HAVING b.tokens <> $2::int + coalesce(sum(t.amount), 0)`,
          [userIds, STARTING_TOKENS],
        )
        expect(mismatched.rows, JSON.stringify(mismatched.rows)).toEqual([])
      },
      BANK_DURATION_MS + 40_000,
    )
  })
})
