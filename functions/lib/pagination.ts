/**
 * Cursor pagination for every list endpoint: `?limit=&cursor=`, answered with
 * `{ items, nextCursor }`. A cursor is an opaque base64url JSON of the last row's sort key, so
 * pages stay stable while rows are inserted.
 */
import { z } from '@hono/zod-openapi'
import { fromBase64, toBase64Url } from './encoding'
import { ApiError } from './errors'

/** Default and maximum page sizes. */
export const DEFAULT_PAGE_LIMIT = 20
export const MAX_PAGE_LIMIT = 100

/** The query parameters shared by list endpoints. */
export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
  cursor: z.string().max(512).optional(),
})

/** Encodes a sort key as an opaque cursor. */
export function encodeCursor(key: Record<string, string | number>): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify(key)))
}

/** Decodes a cursor made by `encodeCursor` and validates it with `schema`; 400 when invalid. */
export function decodeCursor<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined
  try {
    const json = new TextDecoder().decode(fromBase64(cursor))
    return schema.parse(JSON.parse(json))
  } catch {
    throw new ApiError('validation_error', 'the cursor is not valid for this list', [
      { path: ['cursor'], message: 'invalid cursor' },
    ])
  }
}

/** Builds a page from `limit + 1` fetched rows: the extra row only signals that more exist. */
export function pageOf<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  keyOf: (row: Row) => Record<string, string | number>,
): { items: Item[]; nextCursor: string | null } {
  const hasMore = rows.length > limit
  const pageRows = hasMore ? rows.slice(0, limit) : rows
  return {
    items: pageRows.map(toItem),
    nextCursor: hasMore ? encodeCursor(keyOf(pageRows[pageRows.length - 1])) : null,
  }
}

/** The OpenAPI schema of a page of `item`. */
export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() })
