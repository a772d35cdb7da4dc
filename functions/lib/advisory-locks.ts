/**
 * Transaction-scoped advisory locks that serialize one user's requests of one kind, so a per-user
 * cap counted inside the transaction (listings for sale, open trade offers) holds under
 * simultaneous requests. Taken first in its transaction, before any row lock, so it adds no
 * deadlock to the fixed lock order of the rows.
 */
import { sql } from 'drizzle-orm'
import type { Tx } from '../../db/client'

/** Waits for, then holds until commit, the lock of (`scope`, `userId`). */
export async function lockUserScope(tx: Tx, scope: string, userId: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`${scope}:${userId}`}, 0))`)
}
