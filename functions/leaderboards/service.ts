/**
 * Leaderboards, read from the tables the completion and user triggers keep in the writing
 * transaction (migrations 0020 and 0021), so a rank read after a commit already counts it.
 *
 * - Quest boards: one entry per player (their best verified, ranked completion of the period),
 *   ordered by score desc, time asc, completed_at asc, then user id. Every rank is distinct:
 *   1 + the entries ahead, counted on the board's index (cost grows with the rank, ~0.1 ms per
 *   1,000 entries ahead on the embedded database; see README, "Leaderboards").
 * - Global boards (akashic, attributes): ties share a rank (RANK(), as the seed's views), computed
 *   from the bucket counts in time independent of the rank (`global_leaderboard_rank`).
 *
 * Each read is one SQL statement, so the rows and their ranks come from one snapshot.
 */
import { eq, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { quests } from '../../db/schema/nexus'
import { hasRole, type Identity, type Role } from '../lib/auth'
import { ApiError } from '../lib/errors'
import { encodeCursor, pageOf, type TimestampIdCursor } from '../lib/pagination'
import { isoTimestamp } from '../lib/time'
import { boardPeriod, type BoardPeriod, type Period } from './periods'
import {
  DEFAULT_AROUND_LIMIT,
  DEFAULT_TOP_LIMIT,
  GLOBAL_BOARDS,
  type GlobalBoard,
  type GlobalBoardCursor,
  type QuestBoardCursor,
} from './schemas'

/** Roles that see every quest's boards, public or not. */
const STAFF_ROLES: Role[] = ['moderator', 'admin', 'service']

/**
 * 404 unless the caller may see the quest: public and not a draft, or their own, or staff.
 * (The quests router owns the quest's own visibility rules; this is the same rule for its boards.)
 */
export async function assertQuestVisible(db: Db, actor: Identity, questId: string): Promise<void> {
  const [quest] = await db
    .select({ creatorId: quests.creatorId, isPublic: quests.isPublic, status: quests.status })
    .from(quests)
    .where(eq(quests.id, questId))
  const visible =
    quest !== undefined &&
    (hasRole(actor, ...STAFF_ROLES) ||
      quest.creatorId === actor.userId ||
      (quest.isPublic !== false && quest.status !== 'draft'))
  if (!visible) throw new ApiError('not_found', 'no quest with that id')
}

/** The same rule as `assertQuestVisible`, as a condition on `quests q`. */
function questVisibleSql(actor: Identity): SQL {
  if (hasRole(actor, ...STAFF_ROLES)) return sql`TRUE`
  return sql`(q.creator_id = ${actor.userId}::uuid
    OR (q.is_public IS DISTINCT FROM FALSE AND q.status IS DISTINCT FROM 'draft'))`
}

// ---------------------------------------------------------------------------------------------
// Quest boards

/** A quest board row as the queries return it. */
type QuestRow = {
  user_id: string
  username: string
  display_name: string | null
  avatar_url: string | null
  score: number
  time_taken_seconds: number
  completed_at: Date | string
  completion_id: string
  neg_time_taken: number
  neg_completed_us: number | string
  /** Entries ahead of the first row of a page, or of the caller's row around them. */
  ahead: number
  is_me?: boolean
}

/** The entries of one board, as `e`. */
const onQuestBoard = (questId: string, board: BoardPeriod) =>
  sql`e.quest_id = ${questId}::uuid AND e.period = ${board.period}
    AND e.period_start = ${board.storedStart}::timestamptz`

/** The sort key of a board row; greater is better. */
const questKey = (alias: string) =>
  sql.raw(`(${alias}.score, ${alias}.neg_time_taken, ${alias}.neg_completed_us, ${alias}.user_id)`)
const QUEST_ORDER_DESC = sql.raw(
  'score DESC, neg_time_taken DESC, neg_completed_us DESC, user_id DESC',
)
const QUEST_ORDER_ASC = sql.raw('score, neg_time_taken, neg_completed_us, user_id')
const PLAYER_COLUMNS = sql.raw('u.username, u.display_name, u.avatar_url')

const questEntry = (row: QuestRow, rank: number) => ({
  rank,
  user_id: row.user_id,
  username: row.username,
  display_name: row.display_name,
  avatar_url: row.avatar_url,
  score: row.score,
  time_taken_seconds: row.time_taken_seconds,
  completed_at: isoTimestamp(row.completed_at)!,
  completion_id: row.completion_id,
})

const questCursor = (row: QuestRow): QuestBoardCursor => ({
  s: row.score,
  t: row.neg_time_taken,
  c: Number(row.neg_completed_us),
  u: row.user_id,
})

const cursorKey = (c: QuestBoardCursor) =>
  sql`(${c.s}::int, ${c.t}::int, ${c.c}::bigint, ${c.u}::uuid)`

/**
 * `period`'s board of a quest: a page of the top (`limit`, from `cursor`), or with
 * `around: 'me'` the caller's entry with `limit` rows above and below.
 */
export async function getQuestLeaderboard(
  db: Db,
  input: {
    actor: Identity
    quest_id: string
    period: Period
    period_start?: Date
    limit?: number
    cursor?: QuestBoardCursor
    around?: 'me'
  },
) {
  const { actor, quest_id: questId } = input
  await assertQuestVisible(db, actor, questId)
  const board = boardPeriod(input.period, input.period_start, new Date())
  const head = {
    quest_id: questId,
    period: board.period,
    period_start: board.start,
    period_end: board.end,
  }
  if (input.around === 'me') {
    const limit = input.limit ?? DEFAULT_AROUND_LIMIT
    const { items, me } = await questBoardAround(db, questId, board, actor.userId, limit)
    return { ...head, items, next_cursor: null, me }
  }
  const limit = input.limit ?? DEFAULT_TOP_LIMIT
  const { rows } = await db.execute<QuestRow>(sql`
    WITH page AS (
      SELECT e.* FROM quest_leaderboard_entries e
      WHERE ${onQuestBoard(questId, board)}
        ${input.cursor ? sql`AND ${questKey('e')} < ${cursorKey(input.cursor)}` : sql``}
      ORDER BY ${QUEST_ORDER_DESC}
      LIMIT ${limit + 1}
    )
    SELECT p.*, ${PLAYER_COLUMNS},
      ${
        input.cursor
          ? sql`(SELECT count(*)::int FROM quest_leaderboard_entries e
                 WHERE ${onQuestBoard(questId, board)}
                   AND ${questKey('e')} >= ${cursorKey(input.cursor)})`
          : sql`0`
      } AS ahead
    FROM page p JOIN users u ON u.id = p.user_id
    ORDER BY ${QUEST_ORDER_DESC}`)
  const page = rows.slice(0, limit)
  return {
    ...head,
    items: page.map((row, i) => questEntry(row, row.ahead + i + 1)),
    next_cursor: rows.length > limit ? encodeCursor(questCursor(page[page.length - 1])) : null,
  }
}

/** The caller's entry with `limit` rows above and below it; empty when they have no entry. */
async function questBoardAround(
  db: Db,
  questId: string,
  board: BoardPeriod,
  userId: string,
  limit: number,
) {
  const { rows } = await db.execute<QuestRow>(sql`
    WITH me AS (
      SELECT e.* FROM quest_leaderboard_entries e
      WHERE ${onQuestBoard(questId, board)} AND e.user_id = ${userId}::uuid
    ),
    above AS (
      SELECT e.* FROM quest_leaderboard_entries e, me m
      WHERE ${onQuestBoard(questId, board)} AND ${questKey('e')} > ${questKey('m')}
      ORDER BY ${sql.raw('e.score, e.neg_time_taken, e.neg_completed_us, e.user_id')}
      LIMIT ${limit}
    ),
    below AS (
      SELECT e.* FROM quest_leaderboard_entries e, me m
      WHERE ${onQuestBoard(questId, board)} AND ${questKey('e')} < ${questKey('m')}
      ORDER BY ${sql.raw('e.score DESC, e.neg_time_taken DESC, e.neg_completed_us DESC, e.user_id DESC')}
      LIMIT ${limit}
    ),
    ahead AS (
      SELECT count(*)::int AS n FROM quest_leaderboard_entries e, me m
      WHERE ${onQuestBoard(questId, board)} AND ${questKey('e')} > ${questKey('m')}
    )
    SELECT r.*, ${PLAYER_COLUMNS}, (SELECT n FROM ahead) AS ahead
    FROM (
      SELECT *, FALSE AS is_me FROM above
      UNION ALL SELECT *, TRUE FROM me
      UNION ALL SELECT *, FALSE FROM below
    ) r JOIN users u ON u.id = r.user_id
    ORDER BY ${QUEST_ORDER_DESC}`)
  const mine = rows.findIndex((row) => row.is_me)
  if (mine === -1) return { items: [], me: null }
  const myRank = rows[mine].ahead + 1
  const items = rows.map((row, i) => questEntry(row, myRank + i - mine))
  return { items, me: items[mine] }
}

/** `user_id`'s rank and entry on one board of a quest (rank null when they have no entry). */
export async function getUserQuestRank(
  db: Db,
  input: {
    actor: Identity
    user_id: string
    quest_id: string
    period: Period
    period_start?: Date
  },
) {
  const { actor, quest_id: questId, user_id: userId } = input
  await assertUserExists(db, userId)
  await assertQuestVisible(db, actor, questId)
  const board = boardPeriod(input.period, input.period_start, new Date())
  const { rows } = await db.execute<QuestRow>(sql`
    SELECT e.*, ${PLAYER_COLUMNS},
      (SELECT count(*)::int FROM quest_leaderboard_entries a
       WHERE a.quest_id = e.quest_id AND a.period = e.period AND a.period_start = e.period_start
         AND ${questKey('a')} > ${questKey('e')}) AS ahead
    FROM quest_leaderboard_entries e JOIN users u ON u.id = e.user_id
    WHERE ${onQuestBoard(questId, board)} AND e.user_id = ${userId}::uuid`)
  const entry = rows[0] ? questEntry(rows[0], rows[0].ahead + 1) : null
  return {
    user_id: userId,
    quest_id: questId,
    period: board.period,
    period_start: board.start,
    period_end: board.end,
    rank: entry?.rank ?? null,
    entry,
  }
}

/** 404 unless the user exists. */
async function assertUserExists(db: Db, userId: string): Promise<void> {
  const { rows } = await db.execute(sql`SELECT 1 FROM users WHERE id = ${userId}::uuid`)
  if (rows.length === 0) throw new ApiError('not_found', 'no user with that id')
}

/**
 * `user_id`'s personal bests (their all-time entries), newest first, each with its current
 * all-time rank; quests the caller may not see are left out.
 */
export async function listPersonalBests(
  db: Db,
  input: { actor: Identity; user_id: string; limit: number; cursor?: TimestampIdCursor },
) {
  const { actor, user_id: userId, limit, cursor } = input
  await assertUserExists(db, userId)
  const { rows } = await db.execute<
    QuestRow & { quest_id: string; quest_title: string; cursor_t: string }
  >(sql`
    SELECT e.*, q.title AS quest_title,
      to_char(e.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_t,
      (SELECT count(*)::int FROM quest_leaderboard_entries a
       WHERE a.quest_id = e.quest_id AND a.period = e.period AND a.period_start = e.period_start
         AND ${questKey('a')} > ${questKey('e')}) AS ahead
    FROM quest_leaderboard_entries e JOIN quests q ON q.id = e.quest_id
    WHERE e.user_id = ${userId}::uuid AND e.period = 'all_time' AND ${questVisibleSql(actor)}
      ${cursor ? sql`AND (e.completed_at, e.quest_id) < (${cursor.t}::timestamptz, ${cursor.id}::uuid)` : sql``}
    ORDER BY e.completed_at DESC, e.quest_id DESC
    LIMIT ${limit + 1}`)
  return pageOf(
    rows,
    limit,
    (row) => ({
      quest_id: row.quest_id,
      quest_title: row.quest_title,
      rank: row.ahead + 1,
      score: row.score,
      time_taken_seconds: row.time_taken_seconds,
      completed_at: isoTimestamp(row.completed_at)!,
      completion_id: row.completion_id,
    }),
    (row) => ({ t: row.cursor_t, id: row.quest_id }),
  )
}

// ---------------------------------------------------------------------------------------------
// Global boards

/** A global board row as the queries return it. */
type GlobalRow = {
  user_id: string
  value: number | string
  username: string
  display_name: string | null
  avatar_url: string | null
  akashic_rank: number
  akashic_rank_title: string
  /** Set on the rows of the first two distinct values (see `rankGlobalRows`). */
  value_rank: number | null
  is_me?: boolean
}

const GLOBAL_PLAYER_COLUMNS = sql.raw(
  'u.username, u.display_name, u.avatar_url, u.akashic_rank, u.akashic_rank_title',
)
const GLOBAL_ORDER_DESC = sql.raw('value DESC, user_id DESC')

/**
 * Ranks rows listed in board order (value desc). Ties share a rank. The query ranks the first two
 * distinct values of the rows with `global_leaderboard_rank`; every later value's rank follows
 * from the one before it plus how many rows hold that one, all of which are in the window (the
 * first value's rows may begin above the window, the second's cannot).
 */
function rankGlobalRows(rows: GlobalRow[]): number[] {
  const ranks: number[] = []
  let previousValue: string | undefined
  let previousRank = 0
  let rowsOfPrevious = 0
  for (const row of rows) {
    const value = String(row.value)
    if (value !== previousValue) {
      previousRank = row.value_rank ?? previousRank + rowsOfPrevious
      previousValue = value
      rowsOfPrevious = 0
    }
    rowsOfPrevious += 1
    ranks.push(previousRank)
  }
  return ranks
}

const globalEntry = (row: GlobalRow, rank: number) => ({
  rank,
  user_id: row.user_id,
  username: row.username,
  display_name: row.display_name,
  avatar_url: row.avatar_url,
  value: Number(row.value),
  akashic_rank: row.akashic_rank,
  akashic_rank_title: row.akashic_rank_title,
})

/** Selects `window` (CTEs ending in `board_rows`) with players and its first two values' ranks. */
const rankedWindow = (board: GlobalBoard, window: SQL) => sql`
  WITH ${window},
  first_values AS MATERIALIZED (
    SELECT value, global_leaderboard_rank(${board}, value)::int AS value_rank
    FROM (SELECT DISTINCT value FROM board_rows ORDER BY value DESC LIMIT 2) v
  )
  SELECT r.*, ${GLOBAL_PLAYER_COLUMNS}, f.value_rank
  FROM board_rows r
  JOIN users u ON u.id = r.user_id
  LEFT JOIN first_values f ON f.value = r.value
  ORDER BY ${GLOBAL_ORDER_DESC}`

/** A page of a global board (`limit` from `cursor`), or the caller with `limit` rows around. */
export async function getGlobalLeaderboard(
  db: Db,
  input: {
    actor: Identity
    board: GlobalBoard
    limit?: number
    cursor?: GlobalBoardCursor
    around?: 'me'
  },
) {
  const { board, actor } = input
  if (input.around === 'me') {
    const limit = input.limit ?? DEFAULT_AROUND_LIMIT
    const { rows } = await db.execute<GlobalRow>(
      rankedWindow(
        board,
        sql`me AS (
          SELECT e.user_id, e.value FROM global_leaderboard_entries e
          WHERE e.board = ${board} AND e.user_id = ${actor.userId}::uuid
        ),
        board_rows AS (
          (SELECT e.user_id, e.value, FALSE AS is_me FROM global_leaderboard_entries e, me m
           WHERE e.board = ${board} AND (e.value, e.user_id) > (m.value, m.user_id)
           ORDER BY e.value, e.user_id LIMIT ${limit})
          UNION ALL SELECT user_id, value, TRUE FROM me
          UNION ALL
          (SELECT e.user_id, e.value, FALSE FROM global_leaderboard_entries e, me m
           WHERE e.board = ${board} AND (e.value, e.user_id) < (m.value, m.user_id)
           ORDER BY e.value DESC, e.user_id DESC LIMIT ${limit})
        )`,
      ),
    )
    const ranks = rankGlobalRows(rows)
    const items = rows.map((row, i) => globalEntry(row, ranks[i]))
    const mine = rows.findIndex((row) => row.is_me)
    return { board, items, next_cursor: null, me: mine === -1 ? null : items[mine] }
  }
  const limit = input.limit ?? DEFAULT_TOP_LIMIT
  const cursor = input.cursor
  const { rows } = await db.execute<GlobalRow>(
    rankedWindow(
      board,
      sql`board_rows AS (
        SELECT e.user_id, e.value FROM global_leaderboard_entries e
        WHERE e.board = ${board}
          ${cursor ? sql`AND (e.value, e.user_id) < (${cursor.v}::bigint, ${cursor.u}::uuid)` : sql``}
        ORDER BY e.value DESC, e.user_id DESC
        LIMIT ${limit + 1}
      )`,
    ),
  )
  const ranks = rankGlobalRows(rows)
  const page = rows.slice(0, limit)
  const last = page[page.length - 1]
  return {
    board,
    items: page.map((row, i) => globalEntry(row, ranks[i])),
    next_cursor:
      rows.length > limit ? encodeCursor({ v: Number(last.value), u: last.user_id }) : null,
  }
}

/** `user_id`'s rank and value on every global board (null on a board they are not on). */
export async function getUserGlobalRanks(db: Db, input: { actor: Identity; user_id: string }) {
  const userId = input.user_id
  await assertUserExists(db, userId)
  const { rows } = await db.execute<{ board: GlobalBoard; value: number | string; rank: number }>(
    sql`
    SELECT e.board, e.value, global_leaderboard_rank(e.board, e.value)::int AS rank
    FROM global_leaderboard_entries e
    WHERE e.board IN (${sql.join(
      GLOBAL_BOARDS.map((b) => sql`${b}`),
      sql`, `,
    )}) AND e.user_id = ${userId}::uuid`,
  )
  const found = new Map(rows.map((r) => [r.board, r]))
  return {
    user_id: userId,
    boards: Object.fromEntries(
      GLOBAL_BOARDS.map((board) => {
        const row = found.get(board)
        return [
          board,
          row ? { rank: row.rank, value: Number(row.value) } : { rank: null, value: null },
        ]
      }),
    ) as Record<GlobalBoard, { rank: number | null; value: number | null }>,
  }
}
