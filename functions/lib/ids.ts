/**
 * Canonical ids. A UUID is accepted in any letter case at the boundary (path, query, body, token
 * `sub`) and lower-cased there, so everything after it (SQL, comparisons, Durable Object names)
 * sees one spelling of each id. `3F2504E0-…` and `3f2504e0-…` are the same user, the same
 * instance and the same live room.
 */
import { z } from '@hono/zod-openapi'

/** A UUID in canonical (lower-case) form; `name` goes into the validation message. */
export const idSchema = (name = 'id') =>
  z
    .uuid({ error: `${name} must be a UUID` })
    .transform((id) => id.toLowerCase())
    .openapi({ format: 'uuid' })

/** Lower-cases a UUID known to be valid (e.g. from the database or an already parsed token). */
export const canonicalId = (id: string): string => id.toLowerCase()

/** True when `id` is a UUID in canonical form: the only names a Durable Object may take. */
export const isCanonicalId = (id: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)
