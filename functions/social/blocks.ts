/**
 * Blocks. A block is directed in storage (`user_blocks`: blocker → blocked) and enforced both
 * ways: while either of two users blocks the other there is no friendship or friend request
 * between them, no token transfer (and no gift, trade or sale: those services call
 * `assertNotBlocked`), no chat or emote delivered between them in a live room, and neither sees
 * more of the other than the public minimum (id and username).
 *
 * Refusals: the one who blocked gets a 403 (they know, and can unblock); the one who is blocked
 * gets the same 404 as for a user who does not exist, so a block is never revealed to its target.
 */
import { and, desc, eq, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { userBlocks, userFriends, users } from '../../db/schema/nexus'
import type { Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp } from '../lib/time'
import { MAX_BLOCKS_PER_USER } from './schemas'

/** SQL: true when `a` and `b` (uuid expressions) block each other in either direction. */
export function blockedPairSql(a: SQLWrapper | string, b: SQLWrapper | string): SQL<boolean> {
  const left = typeof a === 'string' ? sql`${a}::uuid` : a
  const right = typeof b === 'string' ? sql`${b}::uuid` : b
  return sql<boolean>`EXISTS (SELECT 1 FROM user_blocks ub
    WHERE (ub.blocker_id = ${left} AND ub.blocked_id = ${right})
       OR (ub.blocker_id = ${right} AND ub.blocked_id = ${left}))`
}

/** Which way, if any, two users block each other. */
export async function blockBetween(
  db: Db,
  actorId: string,
  otherId: string,
): Promise<{ byActor: boolean; byOther: boolean }> {
  const rows = await db
    .select({ blockerId: userBlocks.blockerId })
    .from(userBlocks)
    .where(
      or(
        and(eq(userBlocks.blockerId, actorId), eq(userBlocks.blockedId, otherId)),
        and(eq(userBlocks.blockerId, otherId), eq(userBlocks.blockedId, actorId)),
      ),
    )
  return {
    byActor: rows.some((r) => r.blockerId === actorId),
    byOther: rows.some((r) => r.blockerId === otherId),
  }
}

/**
 * Refuses an interaction of `actorId` with `otherId` while either blocks the other: 403 when the
 * actor blocked them, 404 with `notFoundMessage` when the other blocked the actor (the same answer
 * as for an unknown user). Call it inside the transaction of the interaction: friend requests,
 * token transfers, item gifts, trades and marketplace sales between two players.
 */
export async function assertNotBlocked(
  tx: Db,
  actorId: string,
  otherId: string,
  notFoundMessage = 'no user with that id',
): Promise<void> {
  if (actorId === otherId) return
  const block = await blockBetween(tx, actorId, otherId)
  if (block.byActor) {
    throw new ApiError('forbidden', 'you have blocked this user; unblock them first', {
      reason: 'blocked_by_you',
    })
  }
  if (block.byOther) throw new ApiError('not_found', notFoundMessage)
}

/** The public minimum of a user, or a 404 when there is no such user. */
async function userRef(db: Db, userId: string) {
  const [user] = await db
    .select({ id: users.id, username: users.username })
    .from(users)
    .where(eq(users.id, userId))
  if (!user) throw new ApiError('not_found', 'no user with that id')
  return user
}

/** Serializes one user's changes to a kind of social row (so caps hold under concurrency). */
export async function lockUserSocial(tx: Db, kind: string, userId: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`${kind}:${userId}`}, 0))`)
}

/**
 * Serializes the writes that concern one pair of users (friend requests, accepting, blocking),
 * so a request checked against the blocks cannot commit after a block it did not see. Take it
 * first in the transaction, before any per-user lock.
 */
export async function lockPair(tx: Db, a: string, b: string): Promise<void> {
  const [low, high] = a < b ? [a, b] : [b, a]
  await lockUserSocial(tx, 'pair', `${low}:${high}`)
}

/**
 * Blocks `user_id`: removes any friendship or friend request between the two in the same
 * transaction. Blocking someone already blocked is not an error (`created: false`).
 */
export async function blockUser(db: Db, input: { actor: Identity; user_id: string }) {
  const me = input.actor.userId
  if (input.user_id === me) {
    throw new ApiError('validation_error', 'you cannot block yourself', [
      { path: ['user_id'], code: 'custom', message: 'must be another user' },
    ])
  }
  return db.transaction(async (tx) => {
    const user = await userRef(tx, input.user_id)
    await lockPair(tx, me, user.id)
    await lockUserSocial(tx, 'blocks', me)
    const [{ count }] = (
      await tx.execute<{ count: number }>(
        sql`SELECT count(*)::int AS count FROM user_blocks WHERE blocker_id = ${me}::uuid`,
      )
    ).rows
    const inserted = await tx
      .insert(userBlocks)
      .values({ blockerId: me, blockedId: user.id })
      .onConflictDoNothing()
      .returning({ createdAt: userBlocks.createdAt })
    if (inserted.length > 0 && count >= MAX_BLOCKS_PER_USER) {
      throw new ApiError('conflict', `you may block at most ${MAX_BLOCKS_PER_USER} users`, {
        max_blocks: MAX_BLOCKS_PER_USER,
      })
    }
    const [low, high] = [me, user.id].sort()
    await tx
      .delete(userFriends)
      .where(and(eq(userFriends.userLow, low), eq(userFriends.userHigh, high)))
    const [row] = inserted.length
      ? inserted
      : await tx
          .select({ createdAt: userBlocks.createdAt })
          .from(userBlocks)
          .where(and(eq(userBlocks.blockerId, me), eq(userBlocks.blockedId, user.id)))
    return {
      created: inserted.length > 0,
      block: { user, created_at: isoTimestamp(row.createdAt) },
    }
  })
}

/**
 * Lifts the caller's block of `user_id` (404 when there is none). `still_blocked` tells whether
 * the other still blocks the caller, so the pair stays apart.
 */
export async function unblockUser(db: Db, input: { actor: Identity; user_id: string }) {
  const me = input.actor.userId
  return db.transaction(async (tx) => {
    const deleted = await tx
      .delete(userBlocks)
      .where(and(eq(userBlocks.blockerId, me), eq(userBlocks.blockedId, input.user_id)))
      .returning({ blockedId: userBlocks.blockedId })
    if (deleted.length === 0) throw new ApiError('not_found', 'you have not blocked this user')
    const block = await blockBetween(tx, me, input.user_id)
    return { still_blocked: block.byOther }
  })
}

/** The users the caller blocks, newest first. */
export async function listBlocks(
  db: Db,
  input: { actor: Identity; limit: number; cursor?: TimestampIdCursor },
) {
  const rows = await db
    .select({
      id: users.id,
      username: users.username,
      createdAt: userBlocks.createdAt,
      cursorT: cursorTimestamp(userBlocks.createdAt),
    })
    .from(userBlocks)
    .innerJoin(users, eq(users.id, userBlocks.blockedId))
    .where(
      and(
        eq(userBlocks.blockerId, input.actor.userId),
        afterTimestampId(userBlocks.createdAt, userBlocks.blockedId, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(userBlocks.createdAt), desc(userBlocks.blockedId))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    (r) => ({ user: { id: r.id, username: r.username }, created_at: isoTimestamp(r.createdAt) }),
    (r) => ({ t: r.cursorT, id: r.id }),
  )
}

/**
 * The visitors of `instanceId` that `userId` blocks or is blocked by: what the live room needs
 * when the user connects. A pair with someone who is not a visitor yet reaches the room with that
 * user's own connection (its visitor row is written before its pairs are read), so together the
 * two connections always carry the pair.
 */
export async function blockPartnersIn(
  db: Db,
  input: { user_id: string; instance_id: string },
): Promise<string[]> {
  const rows = await db.execute<{ other: string }>(sql`
    SELECT DISTINCT other FROM (
      SELECT blocked_id AS other FROM user_blocks WHERE blocker_id = ${input.user_id}::uuid
      UNION ALL
      SELECT blocker_id FROM user_blocks WHERE blocked_id = ${input.user_id}::uuid
    ) pairs
    WHERE EXISTS (SELECT 1 FROM instance_visitors v
                  WHERE v.instance_id = ${input.instance_id}::uuid AND v.user_id = pairs.other)`)
  return rows.rows.map((r) => r.other)
}

/** Which of `candidates` are in a blocked pair with `userId` (either way). */
export async function blockedAmong(
  db: Db,
  userId: string,
  candidates: string[],
): Promise<Set<string>> {
  const others = candidates.filter((id) => id !== userId)
  if (others.length === 0) return new Set()
  const list = sql.join(
    others.map((id) => sql`${id}::uuid`),
    sql`, `,
  )
  const rows = await db.execute<{ other: string }>(sql`
    SELECT blocked_id AS other FROM user_blocks
    WHERE blocker_id = ${userId}::uuid AND blocked_id IN (${list})
    UNION
    SELECT blocker_id FROM user_blocks
    WHERE blocked_id = ${userId}::uuid AND blocker_id IN (${list})`)
  return new Set(rows.rows.map((r) => r.other))
}

/** Instances where both users are visitors: the only live rooms where a block between them matters. */
export async function instancesSharedBy(db: Db, a: string, b: string): Promise<string[]> {
  const rows = await db.execute<{ instance_id: string }>(sql`
    SELECT va.instance_id FROM instance_visitors va
    JOIN instance_visitors vb ON vb.instance_id = va.instance_id AND vb.user_id = ${b}::uuid
    WHERE va.user_id = ${a}::uuid`)
  return rows.rows.map((r) => r.instance_id)
}
