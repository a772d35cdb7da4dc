/**
 * Database errors in logs: drizzle's error message carries the whole SQL and its parameters, and
 * Postgres's messages quote values, so `describeError` must keep neither (a failed register would
 * otherwise log a password hash and an e-mail address).
 */
import { drizzle } from 'drizzle-orm/pglite'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createLogger, describeError } from '../../functions/lib/logger'
import { suitePglite } from '../support/pglite'

const SECRET_HASH = 'pbkdf2-sha256$100000$c2VjcmV0LXNhbHQ=$c2VjcmV0LWhhc2g='
const SECRET_EMAIL = 'private.person@example.com'

describe('describeError', () => {
  const pg = suitePglite('nexus')

  async function failingInsert(): Promise<unknown> {
    const db = drizzle(pg.db)
    const [user] = (
      await db.execute<{ id: string }>(sql`
        INSERT INTO users (username, email) VALUES ('logcheck', ${SECRET_EMAIL}) RETURNING id`)
    ).rows
    try {
      // The second row breaks the unique e-mail constraint, with the secrets as parameters.
      await db.execute(sql`
        INSERT INTO users (username, email) VALUES ('logcheck2', ${SECRET_EMAIL})`)
      await db.execute(sql`
        INSERT INTO user_credentials (user_id, password_hash) VALUES (${user.id}::uuid, ${SECRET_HASH})`)
    } catch (error) {
      return error
    }
    throw new Error('the insert did not fail')
  }

  it('keeps SQLSTATE, table and constraint of a database error, and no parameter or SQL', async () => {
    const error = await failingInsert()
    expect(String((error as Error).message), 'the raw error does carry the secret').toContain(
      SECRET_EMAIL,
    )
    const fields = describeError(error)
    const line = JSON.stringify(fields)
    expect(line).not.toContain(SECRET_EMAIL)
    expect(line).not.toContain('INSERT')
    expect(fields).toMatchObject({ sqlstate: '23505', table: 'users' })
    expect(String(fields.constraint)).toMatch(/email/)
  })

  it('keeps the message and stack frames of an ordinary error', () => {
    const fields = describeError(new TypeError('x is not a function'))
    expect(fields).toMatchObject({ error: 'x is not a function', error_name: 'TypeError' })
    expect(String(fields.stack)).toMatch(/^\s+at /)
  })

  it("drops the message of a query wrapper whose cause is not Postgres's", () => {
    const wrapped = new Error(`Failed query: INSERT INTO t VALUES ($1)\nparams: ${SECRET_HASH}`, {
      cause: new Error('Connection terminated unexpectedly'),
    })
    const line = JSON.stringify(describeError(wrapped))
    expect(line).not.toContain(SECRET_HASH)
    expect(line).toContain('Connection terminated unexpectedly')
  })
})

describe('createLogger', () => {
  it('writes the bound fields (the request id) into every line', () => {
    const lines: string[] = []
    const original = console.log
    console.log = (line: string) => lines.push(line)
    try {
      createLogger({ request_id: 'req-1' }).with({ instance_id: 'i-1' }).info('hello', { n: 1 })
    } finally {
      console.log = original
    }
    expect(JSON.parse(lines[0])).toMatchObject({
      level: 'info',
      msg: 'hello',
      request_id: 'req-1',
      instance_id: 'i-1',
      n: 1,
    })
  })
})
