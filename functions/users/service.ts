/** Profiles: one's own (with balance, akashic and attribute fields), others' public subset, search. */
import { and, asc, eq, gt, like, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { userBalances, users, type User } from '../../db/schema/nexus'
import type { Identity } from '../lib/auth'
import { balanceResource } from '../lib/balance'
import { ApiError } from '../lib/errors'
import { pageOf } from '../lib/pagination'
import { blockedPairSql } from '../social/blocks'
import { isoTimestamp as iso } from '../lib/time'
import { attributeNames } from './schemas'

/** The public subset of a user. */
export function publicUser(u: User) {
  return {
    id: u.id,
    username: u.username,
    display_name: u.displayName ?? null,
    avatar_url: u.avatarUrl ?? null,
    akashic_rank: u.akashicRank,
    akashic_rank_title: u.akashicRankTitle,
    created_at: iso(u.createdAt),
  }
}

const attributeColumn = (name: (typeof attributeNames)[number]) =>
  `attr${name[0].toUpperCase()}${name.slice(1)}` as keyof User

/** The caller's own profile; 404 when the account no longer exists. */
export async function getProfile(db: Db, input: { actor: Identity }) {
  const userId = input.actor.userId
  const [row] = await db
    .select({ user: users, balance: userBalances })
    .from(users)
    .leftJoin(userBalances, eq(userBalances.userId, users.id))
    .where(eq(users.id, userId))
  if (!row) throw new ApiError('not_found', 'this account does not exist')
  const { user: u, balance: b } = row
  return {
    ...publicUser(u),
    email: u.email ?? null,
    is_premium: u.isPremium ?? null,
    subscription_type: u.subscriptionType ?? null,
    last_seen: iso(u.lastSeen),
    metadata: u.metadata ?? {},
    akashic: {
      resonance: u.akashicResonance,
      wisdom: u.akashicWisdom,
      creativity: u.akashicCreativity,
      connection: u.akashicConnection,
      rank: u.akashicRank,
      rank_title: u.akashicRankTitle,
    },
    attributes: Object.fromEntries(
      attributeNames.map((n) => [n, Number(u[attributeColumn(n)] ?? 0)]),
    ),
    balance: balanceResource(b),
  }
}

/** Applies the allowed profile changes; `metadata.preferences` replaces the stored preferences. */
export async function updateProfile(
  db: Db,
  input: {
    actor: Identity
    display_name?: string | null
    avatar_url?: string | null
    metadata?: { preferences: Record<string, unknown> }
  },
) {
  const { actor, ...changes } = input
  const userId = actor.userId
  const set: Partial<typeof users.$inferInsert> = {}
  if (changes.display_name !== undefined) set.displayName = changes.display_name
  if (changes.avatar_url !== undefined) set.avatarUrl = changes.avatar_url
  if (changes.metadata) {
    set.metadata = sql`jsonb_set(coalesce(${users.metadata}, '{}'::jsonb), '{preferences}', ${JSON.stringify(changes.metadata.preferences)}::jsonb)`
  }
  const updated = await db
    .update(users)
    .set(set)
    .where(eq(users.id, userId))
    .returning({ id: users.id })
  if (updated.length === 0) throw new ApiError('not_found', 'this account does not exist')
  return getProfile(db, { actor })
}

/**
 * The public minimum a blocked pair still sees of each other (social/blocks.ts): the game's
 * public facts, without the name and picture the user chose.
 */
const minimalUser = (u: User) => ({ ...publicUser(u), display_name: null, avatar_url: null })

/** Another user's public profile (the public minimum between a blocked pair). */
export async function getPublicUser(db: Db, input: { actor: Identity; user_id: string }) {
  const [row] = await db
    .select({ user: users, blocked: blockedPairSql(input.actor.userId, users.id) })
    .from(users)
    .where(eq(users.id, input.user_id))
  if (!row) throw new ApiError('not_found', 'no user with that id')
  return row.blocked ? minimalUser(row.user) : publicUser(row.user)
}

/** Users ordered by username, optionally by prefix, a page at a time. */
export async function listUsers(
  db: Db,
  query: { actor: Identity; prefix?: string; limit: number; cursor?: { u: string } },
) {
  const escaped = query.prefix?.replace(/[\\%_]/g, (ch) => `\\${ch}`)
  const rows = await db
    .select({ user: users, blocked: blockedPairSql(query.actor.userId, users.id) })
    .from(users)
    .where(
      and(
        escaped ? like(sql`lower(${users.username})`, `${escaped}%`) : undefined,
        query.cursor ? gt(users.username, query.cursor.u) : undefined,
      ),
    )
    .orderBy(asc(users.username))
    .limit(query.limit + 1)
  return pageOf(
    rows,
    query.limit,
    (r) => (r.blocked ? minimalUser(r.user) : publicUser(r.user)),
    (r) => ({ u: r.user.username }),
  )
}
