/**
 * Idempotency for money-moving POSTs (`Idempotency-Key` header).
 *
 * The key, the caller, a hash of the request and the stored response are written in the same
 * transaction as the effect:
 * - a first request inserts the key, runs the effect, stores its response, commits;
 * - a concurrent request with the same key blocks on the key's unique index until the first
 *   commits, then replays the stored response (so the effect runs once);
 * - a replay with a different request body answers 422 `idempotency_key_reused`;
 * - a business refusal (an `ApiError` below 500, e.g. insufficient funds) is stored and replayed
 *   too; its partial writes are rolled back to a savepoint first;
 * - an unexpected error rolls everything back, so the key stays free for a retry.
 * Keys expire after `IDEMPOTENCY_TTL_HOURS`; the scheduled handler deletes expired ones.
 */
import { z } from '@hono/zod-openapi'
import type { Context, TypedResponse } from 'hono'
import { sql } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import type { AppEnv } from './context'
import { sha256Hex } from './encoding'
import { ApiError, errorEnvelope } from './errors'

/** Hours a key and its stored response are kept. */
export const IDEMPOTENCY_TTL_HOURS = 24
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/

/** The `Idempotency-Key` header of a money- or item-moving POST, for route definitions. */
export const IdempotencyHeaderSchema = z.object({
  'idempotency-key': z.string().min(1).max(255).openapi({
    description:
      'Unique per intended operation; a retry with the same key and body replays the response',
  }),
})

/** What an effect produces: the response to send (and to replay). */
export interface EffectResult<Status extends 200 | 201 = 200 | 201> {
  status: Status
  body: unknown
}

/** Reads and validates the `Idempotency-Key` header; 400 when required and missing or malformed. */
export function idempotencyKeyOf(c: Context<AppEnv>, required: boolean): string | undefined {
  const key = c.req.header('Idempotency-Key')
  if (key === undefined) {
    if (!required) return undefined
    throw new ApiError('validation_error', 'this request needs an Idempotency-Key header', [
      { path: ['Idempotency-Key'], message: 'required' },
    ])
  }
  if (!KEY_PATTERN.test(key)) {
    throw new ApiError(
      'validation_error',
      'Idempotency-Key must be 1-255 printable ASCII characters',
      [{ path: ['Idempotency-Key'], message: 'invalid' }],
    )
  }
  return key
}

/**
 * Runs `effect` in one transaction, exactly once per (user, key) when a key is given.
 * `request` is what identifies the request (typically the validated body).
 */
export async function runIdempotent<Status extends 200 | 201>(
  c: Context<AppEnv>,
  db: Db,
  options: { userId: string; key: string | undefined; request: unknown },
  effect: (tx: Tx) => Promise<EffectResult<Status>>,
  // Typed as the success status: a replayed refusal carries one of the route's declared errors.
): Promise<TypedResponse<never, Status, 'json'>> {
  const { userId, key } = options
  if (key === undefined) {
    const result = await db.transaction(effect)
    return c.json(result.body as never, result.status)
  }
  const requestHash = await sha256Hex(
    JSON.stringify([c.req.method, c.req.path, options.request ?? null]),
  )

  const outcome = await db.transaction(async (tx) => {
    // Blocks while another transaction holds the same key uncommitted.
    const inserted = await tx.execute(sql`
      INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, response_body, expires_at)
      VALUES (${userId}::uuid, ${key}, ${requestHash}, 0, '',
              now() + make_interval(hours => ${IDEMPOTENCY_TTL_HOURS}))
      ON CONFLICT (user_id, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, status_code = 0, response_body = '',
            created_at = now(), expires_at = EXCLUDED.expires_at
        WHERE idempotency_keys.expires_at <= now()
      RETURNING 1`)
    if (inserted.rows.length === 0) {
      const stored = await tx.execute<{
        request_hash: string
        status_code: number
        response_body: string
      }>(sql`
        SELECT request_hash, status_code, response_body FROM idempotency_keys
        WHERE user_id = ${userId}::uuid AND key = ${key}`)
      const row = stored.rows[0]
      if (!row || row.request_hash !== requestHash) {
        throw new ApiError(
          'idempotency_key_reused',
          'this Idempotency-Key was used with a different request; use a new key',
        )
      }
      return { replayed: true, status: row.status_code, json: row.response_body }
    }

    let result: { status: number; body: unknown }
    try {
      result = await tx.transaction((savepoint) => effect(savepoint))
    } catch (error) {
      if (!(error instanceof ApiError) || error.status >= 500) throw error
      for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value)
      result = { status: error.status, body: errorEnvelope(c, error) }
    }
    const json = JSON.stringify(result.body)
    await tx.execute(sql`
      UPDATE idempotency_keys SET status_code = ${result.status}, response_body = ${json}
      WHERE user_id = ${userId}::uuid AND key = ${key}`)
    return { replayed: false, status: result.status, json }
  })

  if (outcome.replayed) c.header('Idempotent-Replayed', 'true')
  // The stored text is sent as it is, so every replay is byte-identical to the first response.
  return c.body(outcome.json, outcome.status as Status, {
    'Content-Type': 'application/json',
  }) as unknown as TypedResponse<never, Status, 'json'>
}

/** Deletes expired keys; returns how many. Called from the scheduled handler. */
export async function deleteExpiredIdempotencyKeys(db: Db): Promise<number> {
  const result = await db.execute(sql`DELETE FROM idempotency_keys WHERE expires_at <= now()`)
  return result.rowCount ?? 0
}

/** The HTTP status `runIdempotent` answered (its typed response shows only the success status). */
export const answeredStatus = (response: TypedResponse<never, 200 | 201, 'json'>): number =>
  (response as unknown as Response).status
