/**
 * Cursor pagination for every list endpoint: `?limit=&cursor=`, answered with
 * `{ items, next_cursor }`. A cursor is an opaque base64url JSON of the last row's sort key, so
 * pages stay stable while rows are inserted. The query schema decodes and validates the cursor,
 * so a forged or foreign cursor is a 400 like any other bad parameter.
 *
 * Most lists are ordered by (timestamp, id): `TimestampIdCursorSchema`, `cursorTimestamp` (the
 * column as the cursor stores it) and `afterTimestampId` (the keyset condition) serve them all.
 */
import { z } from '@hono/zod-openapi'
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import { fromBase64, toBase64Url } from './encoding'

/** Default and maximum page sizes. */
export const DEFAULT_PAGE_LIMIT = 20
export const MAX_PAGE_LIMIT = 100
/** Longest cursor accepted. */
const MAX_CURSOR_CHARS = 512

/** `?limit=` of every list. */
export const LimitSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(MAX_PAGE_LIMIT)
  .default(DEFAULT_PAGE_LIMIT)

/** Encodes a sort key as an opaque cursor. */
export function encodeCursor(key: Record<string, string | number>): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify(key)))
}

/** Decodes a cursor made by `encodeCursor`; undefined when it is not one (or does not fit `schema`). */
function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(new TextDecoder().decode(fromBase64(cursor))))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

/**
 * `?cursor=` decoded into the sort key `key` describes; an invalid cursor is a validation error
 * at `cursor`.
 */
export const cursorParam = <T>(key: z.ZodType<T>) =>
  z
    .string()
    .max(MAX_CURSOR_CHARS)
    .transform((cursor, ctx): T => {
      const decoded = decodeCursor(cursor, key)
      if (decoded === undefined) {
        ctx.addIssue({ code: 'custom', message: 'the cursor is not valid for this list' })
        return z.NEVER
      }
      return decoded
    })
    .optional()
    .openapi({ type: 'string', description: 'The `next_cursor` of the previous page' })

/** The query of a list ordered by `key`: `limit` and the decoded `cursor`. */
export const pageQuery = <T>(key: z.ZodType<T>) =>
  z.object({ limit: LimitSchema, cursor: cursorParam(key) })

const CURSOR_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/

/**
 * A timestamp as cursors carry it (UTC, up to microseconds). It must name a real instant Postgres
 * accepts: the calendar fields must survive a round trip (no February 31st), year 1 or later.
 */
export const CursorTimestampSchema = z.string().refine((text) => {
  if (!CURSOR_TIMESTAMP.test(text) || text.startsWith('0000')) return false
  const ms = Date.parse(text)
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === text.slice(0, 19)
})

/** The sort key of lists ordered by (timestamp, id). */
export const TimestampIdCursorSchema = z.object({ t: CursorTimestampSchema, id: z.uuid() })
export type TimestampIdCursor = z.infer<typeof TimestampIdCursorSchema>

/** The query of a list ordered by (timestamp, id). */
export const TimestampIdPageQuerySchema = pageQuery(TimestampIdCursorSchema)

/** `column` as a cursor stores it: UTC with Postgres's microseconds (a JS Date keeps only ms). */
export const cursorTimestamp = (column: SQLWrapper): SQL<string> =>
  sql<string>`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

/**
 * The keyset condition of a (timestamp, id) list: rows after `cursor` in `order`; undefined (no
 * condition) on the first page.
 */
export function afterTimestampId(
  timestamp: SQLWrapper,
  id: SQLWrapper,
  cursor: TimestampIdCursor | undefined,
  order: 'asc' | 'desc',
): SQL | undefined {
  if (cursor === undefined) return undefined
  const key = sql`(${cursor.t}::timestamptz, ${cursor.id}::uuid)`
  return order === 'desc' ? sql`(${timestamp}, ${id}) < ${key}` : sql`(${timestamp}, ${id}) > ${key}`
}

/** A page of a list: the items and the cursor of the next page (null on the last). */
export interface Page<Item> {
  items: Item[]
  next_cursor: string | null
}

/** Builds a page from `limit + 1` fetched rows: the extra row only signals that more exist. */
export function pageOf<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  keyOf: (row: Row) => Record<string, string | number>,
): Page<Item> {
  const hasMore = rows.length > limit
  const pageRows = hasMore ? rows.slice(0, limit) : rows
  return {
    items: pageRows.map(toItem),
    next_cursor: hasMore ? encodeCursor(keyOf(pageRows[pageRows.length - 1])) : null,
  }
}

/** The OpenAPI schema of a page of `item`. */
export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() })
