/**
 * The smallest interface the Node-side tools (migrations, seeding, tests) need from a Postgres
 * connection. `pg.Client`, `pg.PoolClient` and the Neon driver's clients satisfy it directly;
 * PGlite is adapted by `pgliteSqlClient` in `scripts/lib/embedded-postgres.ts`.
 *
 * `query(sql)` without parameters must accept several statements (the simple query protocol).
 */
export interface SqlClient {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>
}

/** The two databases of the design (Good Neighbor policy: one per service, never joined). */
export type DatabaseName = 'nexus' | 'memory'

export const DATABASE_NAMES: readonly DatabaseName[] = ['nexus', 'memory']
