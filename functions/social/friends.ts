/**
 * Friends. One `user_friends` row per unordered pair (`user_low < user_high`): a request is a
 * `pending` row naming who asked, accepting turns it `accepted`. Because the pair is the primary
 * key, two users asking each other at the same moment meet on one row (the second request accepts
 * the first), and the same request sent 30 times at once is one request.
 *
 * No request between a blocked pair (`assertNotBlocked`); a block deletes the pair's row.
 * Presence: a friend's live instance (from `active_sessions`, which the live rooms keep) is shown
 * only while that friend shares presence with you (`share_presence`, per friend, on by default).
 */
import { and, eq, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { userFriends, users } from '../../db/schema/nexus'
import type { Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import { pageOf, type TimestampIdCursor } from '../lib/pagination'
import { isoTimestamp } from '../lib/time'
import { assertNotBlocked, lockPair, lockUserSocial } from './blocks'
import { MAX_FRIENDS_PER_USER, MAX_PENDING_FRIEND_REQUESTS } from './schemas'

/** A session heartbeat older than this does not count as being live (a room that died unsynced). */
const PRESENCE_FRESH_SECONDS = 300

/** The pair key of two users. */
function pairOf(a: string, b: string): { low: string; high: string } {
  return a < b ? { low: a, high: b } : { low: b, high: a }
}

const pairWhere = (a: string, b: string) => {
  const { low, high } = pairOf(a, b)
  return and(eq(userFriends.userLow, low), eq(userFriends.userHigh, high))
}

/**
 * The caller's side of each friendship row: `edges` unfolds the pair rows into (user, friend)
 * rows with the sharing flags of both sides.
 */
const edgesSql = (me: string) => sql`(
  SELECT user_high AS friend_id, requested_by, status, requested_at, accepted_at,
         low_shares_presence AS i_share, high_shares_presence AS they_share
  FROM user_friends WHERE user_low = ${me}::uuid
  UNION ALL
  SELECT user_low, requested_by, status, requested_at, accepted_at,
         high_shares_presence, low_shares_presence
  FROM user_friends WHERE user_high = ${me}::uuid
) e`

interface EdgeRow extends Record<string, unknown> {
  friend_id: string
  username: string
  display_name: string | null
  avatar_url: string | null
  last_seen: Date | null
  requested_by: string
  status: 'pending' | 'accepted'
  requested_at: Date | null
  accepted_at: Date | null
  i_share: boolean
  they_share: boolean
  live_instance_id: string | null
  cursor_t: string
}

/** One page of the caller's edges matching `where`, ordered by `timeColumn` desc then friend id. */
async function edgePage(
  db: Db,
  me: string,
  filter: SQL,
  timeColumn: 'accepted_at' | 'requested_at',
  page: { limit: number; cursor?: TimestampIdCursor },
) {
  const time = sql.raw(`e.${timeColumn}`)
  const after = page.cursor
    ? sql`AND (${time}, e.friend_id) < (${page.cursor.t}::timestamptz, ${page.cursor.id}::uuid)`
    : sql``
  const rows = await db.execute<EdgeRow>(sql`
    SELECT e.*, u.username, u.display_name, u.avatar_url, u.last_seen,
           to_char(${time} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_t,
           CASE WHEN e.status = 'accepted' AND e.they_share THEN (
             SELECT s.instance_id FROM active_sessions s
             WHERE s.user_id = e.friend_id AND s.instance_id IS NOT NULL
               AND s.last_heartbeat > now() - make_interval(secs => ${PRESENCE_FRESH_SECONDS})
             ORDER BY s.last_heartbeat DESC LIMIT 1) END AS live_instance_id
    FROM ${edgesSql(me)} JOIN users u ON u.id = e.friend_id
    WHERE ${filter} ${after}
    ORDER BY ${time} DESC, e.friend_id DESC
    LIMIT ${page.limit + 1}`)
  return rows.rows
}

const friendItem = (r: EdgeRow) => ({
  user: {
    id: r.friend_id,
    username: r.username,
    display_name: r.display_name,
    avatar_url: r.avatar_url,
  },
  since: isoTimestamp(r.accepted_at),
  share_presence: r.i_share,
  presence: r.they_share
    ? {
        online: r.live_instance_id !== null,
        instance_id: r.live_instance_id,
        last_seen: isoTimestamp(r.last_seen),
      }
    : null,
})

const requestItem = (me: string) => (r: EdgeRow) => ({
  user: { id: r.friend_id, username: r.username },
  direction: r.requested_by === me ? ('outgoing' as const) : ('incoming' as const),
  status: r.status,
  requested_at: isoTimestamp(r.requested_at),
  accepted_at: isoTimestamp(r.accepted_at),
})

const cursorOf = (r: EdgeRow) => ({ t: r.cursor_t, id: r.friend_id })

/** The caller's friends, most recent first, with presence where they share it. */
export async function listFriends(
  db: Db,
  input: { actor: Identity; limit: number; cursor?: TimestampIdCursor },
) {
  const rows = await edgePage(
    db,
    input.actor.userId,
    sql`e.status = 'accepted'`,
    'accepted_at',
    input,
  )
  return pageOf(rows, input.limit, friendItem, cursorOf)
}

/** Pending requests to (`incoming`) or from (`outgoing`) the caller, newest first. */
export async function listFriendRequests(
  db: Db,
  input: {
    actor: Identity
    direction: 'incoming' | 'outgoing'
    limit: number
    cursor?: TimestampIdCursor
  },
) {
  const me = input.actor.userId
  const mine = input.direction === 'outgoing'
  const filter = sql`e.status = 'pending' AND (e.requested_by = ${me}::uuid) = ${mine}`
  const rows = await edgePage(db, me, filter, 'requested_at', input)
  return pageOf(rows, input.limit, requestItem(me), cursorOf)
}

/** The caller's edge with `friendId`, or undefined. */
async function edgeWith(db: Db, me: string, friendId: string): Promise<EdgeRow | undefined> {
  const rows = await edgePage(db, me, sql`e.friend_id = ${friendId}::uuid`, 'requested_at', {
    limit: 1,
  })
  return rows[0]
}

async function countEdges(db: Db, me: string, filter: SQL): Promise<number> {
  const rows = await db.execute<{ count: number }>(
    sql`SELECT count(*)::int AS count FROM ${edgesSql(me)} WHERE ${filter}`,
  )
  return rows.rows[0].count
}

async function assertUnderFriendCap(tx: Db, me: string): Promise<void> {
  if ((await countEdges(tx, me, sql`e.status = 'accepted'`)) >= MAX_FRIENDS_PER_USER) {
    throw new ApiError('conflict', `you may have at most ${MAX_FRIENDS_PER_USER} friends`)
  }
}

/**
 * Sends a friend request to `user_id`, or accepts theirs when they already asked. Answers the
 * pair's state and whether this call created the request.
 */
export async function requestFriend(db: Db, input: { actor: Identity; user_id: string }) {
  const me = input.actor.userId
  const other = input.user_id
  if (other === me) {
    throw new ApiError('validation_error', 'you cannot befriend yourself', [
      { path: ['user_id'], code: 'custom', message: 'must be another user' },
    ])
  }
  return db.transaction(async (tx) => {
    const [target] = await tx.select({ id: users.id }).from(users).where(eq(users.id, other))
    if (!target) throw new ApiError('not_found', 'no user with that id')
    await lockPair(tx, me, other)
    await assertNotBlocked(tx, me, other)
    await lockUserSocial(tx, 'friends', me)
    const existing = await edgeWith(tx, me, other)
    if (existing?.status === 'accepted' || existing?.requested_by === me) {
      return { created: false, request: requestItem(me)(existing) }
    }
    if (existing) return { created: false, request: await acceptIn(tx, me, other) }
    const pending = sql`e.status = 'pending' AND e.requested_by = ${me}::uuid`
    if ((await countEdges(tx, me, pending)) >= MAX_PENDING_FRIEND_REQUESTS) {
      throw new ApiError(
        'conflict',
        `you may have at most ${MAX_PENDING_FRIEND_REQUESTS} friend requests waiting`,
      )
    }
    await assertUnderFriendCap(tx, me)
    const { low, high } = pairOf(me, other)
    // Two users asking each other at once meet here: the later insert finds the earlier row.
    const inserted = await tx
      .insert(userFriends)
      .values({ userLow: low, userHigh: high, requestedBy: me })
      .onConflictDoNothing()
      .returning({ requestedBy: userFriends.requestedBy })
    if (inserted.length === 0) {
      const now = await edgeWith(tx, me, other)
      if (now && now.status === 'pending' && now.requested_by !== me) {
        return { created: false, request: await acceptIn(tx, me, other) }
      }
      return { created: false, request: requestItem(me)(now!) }
    }
    return { created: true, request: requestItem(me)((await edgeWith(tx, me, other))!) }
  })
}

/** Accepts the pending request `from` sent to `me`, inside `tx`. */
async function acceptIn(tx: Db, me: string, from: string) {
  await assertUnderFriendCap(tx, me)
  const updated = await tx
    .update(userFriends)
    .set({ status: 'accepted', acceptedAt: sql`now()` })
    .where(
      and(
        pairWhere(me, from),
        eq(userFriends.status, 'pending'),
        eq(userFriends.requestedBy, from),
      ),
    )
    .returning({ status: userFriends.status })
  if (updated.length === 0) throw new ApiError('not_found', 'no friend request from this user')
  return requestItem(me)((await edgeWith(tx, me, from))!)
}

/** Accepts the pending request of `user_id`. */
export async function acceptFriend(db: Db, input: { actor: Identity; user_id: string }) {
  const me = input.actor.userId
  return db.transaction(async (tx) => {
    await lockPair(tx, me, input.user_id)
    await assertNotBlocked(tx, me, input.user_id, 'no friend request from this user')
    await lockUserSocial(tx, 'friends', me)
    return acceptIn(tx, me, input.user_id)
  })
}

/**
 * Deletes the pair's row when it is in `status` and (for requests) was sent by `requestedBy`;
 * 404 `message` otherwise.
 */
async function deletePair(
  db: Db,
  me: string,
  other: string,
  match: { status: 'pending' | 'accepted'; requestedBy?: string },
  message: string,
): Promise<void> {
  const deleted = await db
    .delete(userFriends)
    .where(
      and(
        pairWhere(me, other),
        eq(userFriends.status, match.status),
        match.requestedBy ? eq(userFriends.requestedBy, match.requestedBy) : undefined,
      ),
    )
    .returning({ status: userFriends.status })
  if (deleted.length === 0) throw new ApiError('not_found', message)
}

/** Declines the pending request of `user_id` (it is deleted; they may ask again). */
export async function declineFriend(db: Db, input: { actor: Identity; user_id: string }) {
  const { actor, user_id: other } = input
  await deletePair(
    db,
    actor.userId,
    other,
    { status: 'pending', requestedBy: other },
    'no friend request from this user',
  )
}

/** Withdraws the caller's own pending request to `user_id`. */
export async function cancelFriendRequest(db: Db, input: { actor: Identity; user_id: string }) {
  const me = input.actor.userId
  await deletePair(
    db,
    me,
    input.user_id,
    { status: 'pending', requestedBy: me },
    'no friend request to this user',
  )
}

/** Ends a friendship. */
export async function removeFriend(db: Db, input: { actor: Identity; user_id: string }) {
  await deletePair(
    db,
    input.actor.userId,
    input.user_id,
    { status: 'accepted' },
    'this user is not your friend',
  )
}

/** Changes whether the caller shares presence with the friend `user_id`. */
export async function updateFriend(
  db: Db,
  input: { actor: Identity; user_id: string; share_presence: boolean },
) {
  const me = input.actor.userId
  const { low } = pairOf(me, input.user_id)
  const column = me === low ? 'lowSharesPresence' : 'highSharesPresence'
  const updated = await db
    .update(userFriends)
    .set({ [column]: input.share_presence })
    .where(and(pairWhere(me, input.user_id), eq(userFriends.status, 'accepted')))
    .returning({ status: userFriends.status })
  if (updated.length === 0) throw new ApiError('not_found', 'this user is not your friend')
  return friendItem((await edgeWith(db, me, input.user_id))!)
}
