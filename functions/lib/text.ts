/**
 * Text and free JSON at the boundary: what Postgres can store (no U+0000 in TEXT or JSONB) and
 * how large a client's JSON object may be once serialized.
 */
import { z } from '@hono/zod-openapi'

/** True when `text` has no NUL character (Postgres TEXT and JSONB cannot hold U+0000). */
export const hasNoNul = (text: string): boolean => !text.includes('\u0000')

/** True when no string inside `value` holds a NUL character. */
export const jsonHasNoNul = (value: unknown): boolean => !JSON.stringify(value).includes('\\u0000')

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
 * A free JSON object of at most `maxBytes` once serialized and `maxKeys` top-level keys, without
 * NUL anywhere; `shape` validates the keys the server reads.
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
