import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../scripts/lib/embedded-postgres'

let database: EmbeddedDatabase

beforeAll(async () => {
  database = await startEmbeddedDatabase({ port: 0 })
})

afterAll(() => database?.close())

describe('embedded database server', () => {
  it('keeps each connection’s extended-protocol messages together under concurrency', async () => {
    // Parameterized queries are Parse/Bind/Execute/Sync units; interleaved across connections
    // (with transactions in between) they fail with "unnamed prepared statement does not exist".
    const failures: string[] = []
    await Promise.all(
      Array.from({ length: 10 }, async (_, c) => {
        const client = new pg.Client({ connectionString: database.url })
        await client.connect()
        try {
          for (let q = 0; q < 15; q++) {
            try {
              await client.query('BEGIN')
              const a = await client.query(`SELECT $1::int AS a_${c}`, [q])
              await client.query('COMMIT')
              const b = await client.query(`SELECT $1::text AS b_${c}, $2::int AS n`, ['x', q])
              expect([a.rows[0][`a_${c}`], b.rows[0].n]).toEqual([q, q])
            } catch (error) {
              failures.push((error as Error).message)
            }
          }
        } finally {
          await client.end()
        }
      }),
    )
    expect(failures).toEqual([])
  })

  it('keeps transactions isolated from other connections', async () => {
    const a = new pg.Client({ connectionString: database.url })
    const b = new pg.Client({ connectionString: database.url })
    await Promise.all([a.connect(), b.connect()])
    try {
      await a.query('CREATE TABLE IF NOT EXISTS tx_probe (n int)')
      await a.query('BEGIN')
      await a.query('INSERT INTO tx_probe VALUES ($1)', [1])
      const bCount = b.query('SELECT count(*)::int AS n FROM tx_probe')
      await a.query('ROLLBACK')
      expect((await bCount).rows[0].n).toBe(0)
    } finally {
      await Promise.all([a.end(), b.end()])
    }
  })

  it('names the port and the variable when the port is taken', async () => {
    await expect(
      startEmbeddedDatabase({ port: database.port, envVar: 'NEXUS_DB_PORT' }),
    ).rejects.toThrow(new RegExp(`port ${database.port} .*NEXUS_DB_PORT`))
  })
})
