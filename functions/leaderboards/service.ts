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
import { sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client'
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
 * Whether the caller may see quest `q`'s boards, as a condition on `quests q`: public and not a
 * draft, or their own, or staff. (The quests router owns the quest's own visibility; a quest the
 * caller may not see is a 404 here too.)
 */
function questVisibleSql(actor: Identity): SQL {
  if (hasRole(actor, ...STAFF_ROLES)) return sql`TRUE`
  return sql`(q.creator_id = ${actor.userId}::uuid
    OR (q.is_public IS DISTINCT FROM FALSE AND q.status IS DISTINCT FROM 'draft'))`
}

// ---------------------------------------------------------------------------------------------
// Quest boards

/** A quest board row as the queries return it (all null on an empty board). */
type QuestRow = {
  visible: boolean
  user_exists?: boolean
  user_id: string | null
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
  ahead: number | null
  is_me?: boolean
}
type EntryRow = QuestRow & { user_id: string }

/** The entries of one board, as `alias`. */
const onQuestBoard = (alias: string, questId: string, board: BoardPeriod) =>
  sql`${sql.raw(alias)}.quest_id = ${questId}::uuid AND ${sql.raw(alias)}.period = ${board.period}
    AND ${sql.raw(alias)}.period_start = ${board.storedStart}::timestamptz`

/** The sort key of a board row; greater is better. */
const questKey = (alias: string) =>
  sql.raw(`(${alias}.score, ${alias}.neg_time_taken, ${alias}.neg_completed_us, ${alias}.user_id)`)
const questOrder = (alias: string, direction: 'ASC' | 'DESC') =>
  sql.raw(
    ['score', 'neg_time_taken', 'neg_completed_us', 'user_id']
      .map((column) => `${alias}.${column} ${direction}`)
      .join(', '),
  )
/** The columns of an entry that a row carries (the fewer, the faster a page is decoded). */
const entryColumns = (alias: string) =>
  sql.raw(
    ['user_id', 'score', 'time_taken_seconds', 'completed_at', 'completion_id', 'neg_time_taken']
      .concat('neg_completed_us')
      .map((column) => `${alias}.${column}`)
      .join(', '),
  )
const PLAYER_COLUMNS = sql.raw('u.username, u.display_name, u.avatar_url')

/**
 * Runs `rows` (a lateral query over quest `questId`'s board) in the same statement as the quest's
 * visibility check: one round trip. 404 unless the quest exists and the caller may see it;
 * returns the board rows (none for an empty board).
 */
async function onVisibleQuest(
  db: Db,
  actor: Identity,
  questId: string,
  rows: SQL,
  extra: SQL = sql``,
): Promise<{ rows: EntryRow[]; first: QuestRow }> {
  const result = await db.execute<QuestRow>(sql`
    SELECT ${questVisibleSql(actor)} AS visible ${extra}, r.*
    FROM quests q LEFT JOIN LATERAL (${rows}) r ON TRUE
    WHERE q.id = ${questId}::uuid
    ORDER BY ${questOrder('r', 'DESC')}`)
  const first = result.rows[0]
  if (!first?.visible) throw new ApiError('not_found', 'no quest with that id')
  return { rows: result.rows.filter((row): row is EntryRow => row.user_id !== null), first }
}

const questEntry = (row: EntryRow, rank: number) => ({
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

const questCursor = (row: EntryRow): QuestBoardCursor => ({
  s: row.score,
  t: row.neg_time_taken,
  c: Number(row.neg_completed_us),
  u: row.user_id,
})

const cursorKey = (c: QuestBoardCursor) =>
  sql`(${c.s}::int, ${c.t}::int, ${c.c}::bigint, ${c.u}::uuid)`

/**
 * The entries ahead of row `alias` on its board (its rank − 1), from the bucket counts
 * (`quest_leaderboard_rank`, migration 0020): the same cost at any rank. `board` names the board
 * (SQL for quest id, period and period start); by default the row's own columns.
 */
const entriesAhead = (alias: string, board?: { questId: string; period: BoardPeriod }) => {
  const a = sql.raw(alias)
  const where = board
    ? sql`${board.questId}::uuid, ${board.period.period}, ${board.period.storedStart}::timestamptz`
    : sql`${a}.quest_id, ${a}.period, ${a}.period_start`
  return sql`(quest_leaderboard_rank(${where}, ${a}.score, ${a}.neg_time_taken,
    ${a}.neg_completed_us, ${a}.user_id) - 1)`
}

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
  const { actor, quest_id: questId, cursor } = input
  const board = boardPeriod(input.period, input.period_start, new Date())
  const head = {
    quest_id: questId,
    period: board.period,
    period_start: board.start,
    period_end: board.end,
  }
  if (input.around === 'me') {
    const limit = input.limit ?? DEFAULT_AROUND_LIMIT
    const { items, me } = await questBoardAround(db, actor, questId, board, limit)
    return { ...head, items, next_cursor: null, me }
  }
  const limit = input.limit ?? DEFAULT_TOP_LIMIT
  const { rows } = await onVisibleQuest(
    db,
    actor,
    questId,
    sql`
      WITH page AS (
        SELECT ${entryColumns('e')}, ${PLAYER_COLUMNS}
        FROM quest_leaderboard_entries e JOIN users u ON u.id = e.user_id
        WHERE ${onQuestBoard('e', questId, board)}
          ${cursor ? sql`AND ${questKey('e')} < ${cursorKey(cursor)}` : sql``}
        ORDER BY ${questOrder('e', 'DESC')}
        LIMIT ${limit + 1}
      )
      SELECT page.*, ${
        cursor
          ? sql`(SELECT ${entriesAhead('f', { questId, period: board })} FROM page f
                 ORDER BY ${questOrder('f', 'DESC')} LIMIT 1)`
          : sql`0`
      } AS ahead
      FROM page`,
  )
  const page = rows.slice(0, limit)
  return {
    ...head,
    items: page.map((row, i) => questEntry(row, (row.ahead ?? 0) + i + 1)),
    next_cursor: rows.length > limit ? encodeCursor(questCursor(page[page.length - 1])) : null,
  }
}

/** The caller's entry with `limit` rows above and below it; empty when they have no entry. */
async function questBoardAround(
  db: Db,
  actor: Identity,
  questId: string,
  board: BoardPeriod,
  limit: number,
) {
  // The lateral subqueries take the caller's key as parameters of their index scans.
  const { rows } = await onVisibleQuest(
    db,
    actor,
    questId,
    sql`
      SELECT w.*, ${PLAYER_COLUMNS}
      FROM quest_leaderboard_entries m
      CROSS JOIN LATERAL (
        (SELECT ${entryColumns('e')}, FALSE AS is_me, NULL::int AS ahead
         FROM quest_leaderboard_entries e
         WHERE ${onQuestBoard('e', questId, board)} AND ${questKey('e')} > ${questKey('m')}
         ORDER BY ${questOrder('e', 'ASC')} LIMIT ${limit})
        UNION ALL
        SELECT ${entryColumns('m')}, TRUE, ${entriesAhead('m', { questId, period: board })}
        UNION ALL
        (SELECT ${entryColumns('e')}, FALSE, NULL
         FROM quest_leaderboard_entries e
         WHERE ${onQuestBoard('e', questId, board)} AND ${questKey('e')} < ${questKey('m')}
         ORDER BY ${questOrder('e', 'DESC')} LIMIT ${limit})
      ) w
      JOIN users u ON u.id = w.user_id
      WHERE ${onQuestBoard('m', questId, board)} AND m.user_id = ${actor.userId}::uuid`,
  )
  const mine = rows.findIndex((row) => row.is_me)
  if (mine === -1) return { items: [], me: null }
  const myRank = rows[mine].ahead! + 1
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
  const board = boardPeriod(input.period, input.period_start, new Date())
  const { rows, first } = await onVisibleQuest(
    db,
    actor,
    questId,
    sql`
      SELECT ${entryColumns('m')}, ${PLAYER_COLUMNS},
        ${entriesAhead('m', { questId, period: board })} AS ahead
      FROM quest_leaderboard_entries m JOIN users u ON u.id = m.user_id
      WHERE ${onQuestBoard('m', questId, board)} AND m.user_id = ${userId}::uuid`,
    sql`, EXISTS (SELECT 1 FROM users WHERE id = ${userId}::uuid) AS user_exists`,
  )
  if (!first.user_exists) throw new ApiError('not_found', 'no user with that id')
  const entry = rows[0] ? questEntry(rows[0], rows[0].ahead! + 1) : null
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

/**
 * `user_id`'s personal bests (their all-time entries), newest first, each with its current
 * all-time rank; quests the caller may not see are left out.
 */
export async function listPersonalBests(
  db: Db,
  input: { actor: Identity; user_id: string; limit: number; cursor?: TimestampIdCursor },
) {
  const { actor, user_id: userId, limit, cursor } = input
  const { rows } = await db.execute<
    EntryRow & { quest_id: string | null; quest_title: string; cursor_t: string }
  >(sql`
    SELECT r.* FROM users x LEFT JOIN LATERAL (
      SELECT ${entryColumns('e')}, e.quest_id, q.title AS quest_title,
        to_char(e.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_t,
        ${entriesAhead('e')} AS ahead
      FROM quest_leaderboard_entries e JOIN quests q ON q.id = e.quest_id
      WHERE e.user_id = x.id AND e.period = 'all_time' AND ${questVisibleSql(actor)}
        ${cursor ? sql`AND (e.completed_at, e.quest_id) < (${cursor.t}::timestamptz, ${cursor.id}::uuid)` : sql``}
      ORDER BY e.completed_at DESC, e.quest_id DESC
      LIMIT ${limit + 1}
    ) r ON TRUE
    WHERE x.id = ${userId}::uuid
    ORDER BY r.completed_at DESC, r.quest_id DESC`)
  if (rows.length === 0) throw new ApiError('not_found', 'no user with that id')
  return pageOf(
    rows.filter((row) => row.quest_id !== null),
    limit,
    (row) => ({
      quest_id: row.quest_id!,
      quest_title: row.quest_title,
      rank: row.ahead! + 1,
      score: row.score,
      time_taken_seconds: row.time_taken_seconds,
      completed_at: isoTimestamp(row.completed_at)!,
      completion_id: row.completion_id,
    }),
    (row) => ({ t: row.cursor_t, id: row.quest_id! }),
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
        // The lateral subqueries take the caller's value as parameters of their index scans.
        sql`board_rows AS (
          SELECT w.* FROM global_leaderboard_entries m
          CROSS JOIN LATERAL (
            (SELECT e.user_id, e.value, FALSE AS is_me FROM global_leaderboard_entries e
             WHERE e.board = ${board} AND (e.value, e.user_id) > (m.value, m.user_id)
             ORDER BY e.value, e.user_id LIMIT ${limit})
            UNION ALL SELECT m.user_id, m.value, TRUE
            UNION ALL
            (SELECT e.user_id, e.value, FALSE FROM global_leaderboard_entries e
             WHERE e.board = ${board} AND (e.value, e.user_id) < (m.value, m.user_id)
             ORDER BY e.value DESC, e.user_id DESC LIMIT ${limit})
          ) w
          WHERE m.board = ${board} AND m.user_id = ${actor.userId}::uuid
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
  const { rows } = await db.execute<{
    board: GlobalBoard | null
    value: number | string
    rank: number
  }>(sql`
    SELECT r.* FROM users x LEFT JOIN LATERAL (
      SELECT e.board, e.value, global_leaderboard_rank(e.board, e.value)::int AS rank
      FROM global_leaderboard_entries e
      WHERE e.board IN (${sql.join(
        GLOBAL_BOARDS.map((b) => sql`${b}`),
        sql`, `,
      )}) AND e.user_id = x.id
    ) r ON TRUE
    WHERE x.id = ${userId}::uuid`)
  if (rows.length === 0) throw new ApiError('not_found', 'no user with that id')
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
