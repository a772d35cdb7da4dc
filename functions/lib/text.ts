/**
 * Text and JSON that Postgres can store: no NUL character (text columns refuse it, jsonb refuses
 * `\u0000`), refused at the boundary with a validation error at the field.
 */
import { z } from '@hono/zod-openapi'

const NO_NUL = { error: 'must not contain a NUL character' }

/** A string of at most `max` characters without NUL. */
export const storableText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((text) => !text.includes('\u0000'), NO_NUL)

/** A JSON object of at most `maxBytes` serialized, without NUL anywhere in it. */
export const storableJsonObject = (maxBytes: number) =>
  z
    .record(z.string(), z.unknown())
    .refine((value) => !JSON.stringify(value).includes('\\u0000'), NO_NUL)
    .refine((value) => JSON.stringify(value).length <= maxBytes, {
      error: `must serialize to at most ${maxBytes} bytes`,
    })
