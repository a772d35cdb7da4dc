/**
 * A user's sanctions (`user_sanctions`): a chat mute until a time, a ban until a time or for
 * good. Postgres is the record; the live rooms hear of a change by a `sanctions_changed` notice,
 * and bans also go to the BanList object that every request consults (`functions/lib/bans.ts`).
 */
import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { userSanctions } from '../../db/schema/nexus'
import { banListOf } from '../lib/bans'
import type { Env } from '../lib/env'

/** A user's sanctions as the API and the rooms see them. */
export interface SanctionState {
  /** Epoch ms the mute ends; null when not muted now. */
  muted_until_ms: number | null
  banned: boolean
  /** Epoch ms the ban ends; null when permanent or not banned. */
  banned_until_ms: number | null
  /** When the row last changed (epoch ms); 0 when the user never had one. */
  updated_at_ms: number
}

const NONE: SanctionState = {
  muted_until_ms: null,
  banned: false,
  banned_until_ms: null,
  updated_at_ms: 0,
}

/** The sanctions in force for `userId` now. */
export async function sanctionsOf(db: Db, userId: string): Promise<SanctionState> {
  const [row] = await db.select().from(userSanctions).where(eq(userSanctions.userId, userId))
  if (!row) return NONE
  const now = Date.now()
  const mutedUntil = row.mutedUntil?.getTime() ?? null
  const bannedUntil = row.bannedUntil?.getTime() ?? null
  const banned = row.bannedAt !== null && (bannedUntil === null || bannedUntil > now)
  return {
    muted_until_ms: mutedUntil !== null && mutedUntil > now ? mutedUntil : null,
    banned,
    banned_until_ms: banned ? bannedUntil : null,
    updated_at_ms: row.updatedAt.getTime(),
  }
}

/**
 * Changes `userId`'s sanctions inside the caller's transaction: `mute` sets the end of the mute
 * (null lifts it), `ban` bans until a time (`{ until: null }` for good) or lifts it (null).
 * Answers the new state.
 */
export async function changeSanctions(
  tx: Db,
  userId: string,
  change: { mute?: Date | null; ban?: { until: Date | null } | null },
): Promise<SanctionState> {
  const set: Partial<typeof userSanctions.$inferInsert> = {
    updatedAt: sql`clock_timestamp()` as never,
  }
  if (change.mute !== undefined) set.mutedUntil = change.mute
  if (change.ban !== undefined) {
    set.bannedAt = change.ban === null ? null : (sql`now()` as never)
    set.bannedUntil = change.ban?.until ?? null
  }
  await tx
    .insert(userSanctions)
    .values({ userId, ...set })
    .onConflictDoUpdate({ target: userSanctions.userId, set })
  return sanctionsOf(tx, userId)
}

/** Every ban in force (for the scheduled repair of the BanList object). */
export async function activeBans(db: Db): Promise<[string, number | null][]> {
  const rows = await db.execute<{ user_id: string; until_ms: string | null }>(sql`
    SELECT user_id, (extract(epoch FROM banned_until) * 1000)::bigint::text AS until_ms
    FROM user_sanctions
    WHERE banned_at IS NOT NULL AND (banned_until IS NULL OR banned_until > now())`)
  return rows.rows.map((r) => [r.user_id, r.until_ms === null ? null : Number(r.until_ms)])
}

/**
 * Puts Postgres's bans in force into the BanList object (the scheduled handler runs it): repairs
 * a ban whose push to the object failed, and drops bans that ended. Answers how many are in force.
 */
export async function repairBanList(db: Db, env: Env): Promise<number> {
  const bans = await activeBans(db)
  await banListOf(env).replaceAll(bans)
  return bans.length
}
