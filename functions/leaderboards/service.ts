/**
 * Leaderboards, read from the tables the completion and user triggers keep in the writing
 * transaction (migrations 0020 and 0021), so a rank read after a commit already counts it, through
 * the read functions of migrations 0023 and 0025 (one call each: one snapshot, plans kept per
 * server connection; a quest board read returns one json value).
 *
 * - Quest boards: one entry per player (their best verified, ranked completion of the period),
 *   ordered by score desc, time asc, completed_at asc, then user id. Every rank is distinct:
 *   1 + the entries ahead, from per-bucket counts (`quest_leaderboard_rank`), the same cost at any
 *   rank.
 * - Global boards (akashic, attributes): ties share a rank (RANK(), as the seed's views), from the
 *   bucket counts too (`global_leaderboard_rank`).
 */
import { sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { hasRole, type Identity, type Role } from '../lib/auth'
import { ApiError } from '../lib/errors'
import { encodeCursor, pageOf, type TimestampIdCursor } from '../lib/pagination'
import { hintOf, isNoDataFound } from '../lib/pg-errors'
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
 * Who is reading, as the read functions take it: their id and whether they are staff. A quest
 * the reader may not see (someone else's draft or private quest) is a 404 on its boards, by the
 * rule of `quest_leaderboard_visible` (the quests router owns the quest's own visibility).
 */
const viewerOf = (actor: Identity) =>
  sql`${actor.userId}::uuid, ${hasRole(actor, ...STAFF_ROLES)}::boolean`

/** The SQL arguments naming one board of a quest (after its id). */
const boardArgs = (board: BoardPeriod) =>
  sql`${board.period}::varchar, ${board.storedStart}::timestamptz`

// ---------------------------------------------------------------------------------------------
// Quest boards

/**
 * A board row as the read functions of migration 0025 return it (a json array: one protocol
 * message and one JSON.parse for a whole page instead of one per row and value).
 */
type QuestJsonRow = [
  user_id: string,
  score: number,
  time_taken_seconds: number,
  completed_at: string,
  completion_id: string,
  neg_completed_us: number,
  username: string,
  display_name: string | null,
  avatar_url: string | null,
]

/** What the read functions return: rows best first, and the entries ahead of the first one. */
type QuestBoardJson = { ahead: number; rows: QuestJsonRow[] }

/**
 * Runs a quest board read function (it returns one json value, or null); its `no_data_found` (the
 * quest is missing or hidden from the reader, or with the hint `user` the user is missing) becomes
 * a 404.
 */
async function readQuestBoard<T>(db: Db, call: SQL): Promise<T | null> {
  try {
    const { rows } = await db.execute<{ board: T | null }>(sql`SELECT ${call} AS board`)
    return rows[0].board
  } catch (error) {
    if (!isNoDataFound(error)) throw error
    const what = hintOf(error) === 'user' ? 'user' : 'quest'
    throw new ApiError('not_found', `no ${what} with that id`)
  }
}

const questEntry = (row: QuestJsonRow, rank: number) => ({
  rank,
  user_id: row[0],
  username: row[6],
  display_name: row[7],
  avatar_url: row[8],
  score: row[1],
  time_taken_seconds: row[2],
  completed_at: isoTimestamp(row[3])!,
  completion_id: row[4],
})

const questCursor = (row: QuestJsonRow): QuestBoardCursor => ({
  s: row[1],
  t: -row[2],
  c: row[5],
  u: row[0],
})

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
  const quest = sql`${questId}::uuid, ${viewerOf(actor)}, ${boardArgs(board)}`
  if (input.around === 'me') {
    const limit = input.limit ?? DEFAULT_AROUND_LIMIT
    const around = await readQuestBoard<QuestBoardJson>(
      db,
      sql`quest_leaderboard_around_json(${quest}, ${limit}::int)`,
    )
    if (!around) return { ...head, items: [], next_cursor: null, me: null }
    // The viewer's row is always there (PostgreSQL prints uuids in lower case).
    const me = actor.userId.toLowerCase()
    const mine = around.rows.findIndex((row) => row[0] === me)
    const firstRank = around.ahead + 1 - mine
    const items = around.rows.map((row, i) => questEntry(row, firstRank + i))
    return { ...head, items, next_cursor: null, me: items[mine] }
  }
  const limit = input.limit ?? DEFAULT_TOP_LIMIT
  const after = cursor
    ? sql`${cursor.s}::int, ${cursor.t}::int, ${cursor.c}::bigint, ${cursor.u}::uuid`
    : sql`NULL::int, NULL::int, NULL::bigint, NULL::uuid`
  const { ahead, rows } = (await readQuestBoard<QuestBoardJson>(
    db,
    sql`quest_leaderboard_page_json(${quest}, ${limit + 1}::int, ${after})`,
  ))!
  const page = rows.slice(0, limit)
  return {
    ...head,
    items: page.map((row, i) => questEntry(row, ahead + 1 + i)),
    next_cursor: rows.length > limit ? encodeCursor(questCursor(page[page.length - 1])) : null,
  }
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
  const found = await readQuestBoard<{ ahead: number; row: QuestJsonRow }>(
    db,
    sql`quest_leaderboard_user_json(${questId}::uuid, ${viewerOf(actor)}, ${boardArgs(board)},
      ${userId}::uuid)`,
  )
  const entry = found ? questEntry(found.row, found.ahead + 1) : null
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
  const { rows } = await db.execute<{
    quest_id: string | null
    quest_title: string
    score: number
    time_taken_seconds: number
    completed_at: Date | string
    completion_id: string
    cursor_t: string
    ahead: number
  }>(sql`
    SELECT r.* FROM users x LEFT JOIN LATERAL (
      SELECT e.quest_id, e.score, e.time_taken_seconds, e.completed_at, e.completion_id,
        q.title AS quest_title,
        to_char(e.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_t,
        quest_leaderboard_rank(e.quest_id, e.period, e.period_start, e.score, e.neg_time_taken,
                               e.neg_completed_us, e.user_id) - 1 AS ahead
      FROM quest_leaderboard_entries e JOIN quests q ON q.id = e.quest_id
      WHERE e.user_id = x.id AND e.period = 'all_time'
        AND quest_leaderboard_visible(e.quest_id, ${viewerOf(actor)})
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

/** A row of `global_leaderboard_row` (migration 0023). */
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
  const { board, actor, cursor } = input
  if (input.around === 'me') {
    const limit = input.limit ?? DEFAULT_AROUND_LIMIT
    const { rows } = await db.execute<GlobalRow>(
      sql`SELECT * FROM global_leaderboard_around(${board}::varchar, ${actor.userId}::uuid, ${limit}::int)`,
    )
    const ranks = rankGlobalRows(rows)
    const items = rows.map((row, i) => globalEntry(row, ranks[i]))
    const mine = rows.findIndex((row) => row.is_me)
    return { board, items, next_cursor: null, me: mine === -1 ? null : items[mine] }
  }
  const limit = input.limit ?? DEFAULT_TOP_LIMIT
  const after = cursor ? sql`${cursor.v}::bigint, ${cursor.u}::uuid` : sql`NULL::bigint, NULL::uuid`
  const { rows } = await db.execute<GlobalRow>(
    sql`SELECT * FROM global_leaderboard_page(${board}::varchar, ${limit + 1}::int, ${after})`,
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
