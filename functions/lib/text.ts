/**
 * Text and free JSON at the boundary: what Postgres can store (no U+0000 in TEXT or JSONB) and
 * how large a client's JSON object may be once serialized.
 */
import { z } from '@hono/zod-openapi'

/** True when `text` has no NUL character (Postgres TEXT and JSONB cannot hold U+0000). */
export const hasNoNul = (text: string): boolean => !text.includes('\u0000')

/** True when no string inside `value` holds a NUL character. */
export const jsonHasNoNul = (value: unknown): boolean => !JSON.stringify(value).includes('\\u0000')

/** Deepest nesting of objects and arrays a client's free JSON may have. */
export const MAX_JSON_DEPTH = 16

/** How deeply objects and arrays nest in `value` (a scalar is 0), counting no deeper than `limit + 1`. */
export function jsonDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  if (value === null || typeof value !== 'object') return 0
  if (limit < 0) return 1
  let deepest = 0
  for (const child of Object.values(value)) deepest = Math.max(deepest, jsonDepth(child, limit - 1))
  return deepest + 1
}

/** Bytes of `value` serialized as JSON (UTF-8). */
export const serializedBytes = (value: unknown): number =>
  new TextEncoder().encode(JSON.stringify(value)).length

const noNul = { error: 'must not contain a NUL character' }

/** Trimmed text of 1–`max` characters without NUL. */
export const labelSchema = (max: number) =>
  z.string().trim().min(1).max(max).refine(hasNoNul, noNul)

/** Text of at most `max` characters without NUL (may be empty). */
export const textSchema = (max: number) => z.string().max(max).refine(hasNoNul, noNul)

/**
 * A free JSON object of at most `maxBytes` once serialized, `maxKeys` top-level keys and
 * `MAX_JSON_DEPTH` levels (Postgres refuses very deep JSONB), without NUL anywhere; `shape`
 * validates the keys the server reads.
 */
export const boundedJsonObject = <Shape extends z.ZodRawShape>(
  maxBytes: number,
  shape: Shape,
  maxKeys = 64,
) =>
  z
    .object(shape)
    .catchall(z.unknown())
    .refine((value) => Object.keys(value).length <= maxKeys, {
      error: `at most ${maxKeys} keys`,
    })
    .refine((value) => serializedBytes(value) <= maxBytes, {
      error: `must serialize to at most ${maxBytes} bytes`,
    })
    .refine((value) => jsonDepth(value) <= MAX_JSON_DEPTH, {
      error: `must nest at most ${MAX_JSON_DEPTH} levels deep`,
    })
    .refine(jsonHasNoNul, noNul)

/**
 * A path to a model or image: absolute on the asset host (`/models/house.glb`) or an https URL;
 * no whitespace or control characters.
 */
export const assetPathSchema = z
  .string()
  .min(2)
  .max(1024)
  .regex(/^(\/|https:\/\/)[^\s\u0000-\u001f]+$/, {
    error: 'must be an absolute path (/models/x.glb) or an https URL, without spaces',
  })
