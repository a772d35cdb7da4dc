/**
 * Requests through the whole HTTP stack (`app.request`) for the Node concurrency suites, and the
 * tallies their assertions print.
 */
import { randomUUID } from 'node:crypto'
import type { OpenAPIHono } from '@hono/zod-openapi'
import { expect } from 'vitest'
import type { AppEnv } from '../../functions/lib/context'
import type { Env } from '../../functions/lib/env'
import { appErrors } from './recording-logger'

/** A response read to the end: status, raw body text, parsed JSON and headers. */
export interface Reply {
  status: number
  text: string
  // Any JSON shape: assertions read fields and print `text` when one is missing.
  json: any
  headers: Headers
}

/** A sender of authenticated requests to `app` with the bindings `env`. */
export function replySender(app: OpenAPIHono<AppEnv>, env: Env) {
  return async (
    method: string,
    path: string,
    token: string,
    options: { body?: unknown; idempotencyKey?: string } = {},
  ): Promise<Reply> => {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` }
    if (options.body !== undefined) headers['Content-Type'] = 'application/json'
    if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey
    const res = await app.request(
      path,
      {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      },
      env,
    )
    const text = await res.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: res.status, text, json, headers: res.headers }
  }
}

/** The label of a reply: its status, and the error code of a refusal (`409 conflict`). */
export const replyLabel = (r: Reply): string =>
  r.status < 300 ? String(r.status) : `${r.status} ${r.json?.error?.code}`

/** Counts replies by `replyLabel`. */
export function tally(replies: Reply[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const r of replies) counts[replyLabel(r)] = (counts[replyLabel(r)] ?? 0) + 1
  return counts
}

/** The bodies of the replies with an unexpected status, for assertion messages. */
export function unexpected(replies: Reply[], expected: number[]): string {
  const odd = replies.filter((r) => !expected.includes(r.status))
  if (odd.length === 0) return 'none'
  const bodies = odd.slice(0, 5).map((r) => `${r.status} ${r.text}`)
  return `${odd.length} unexpected: ${bodies.join(' | ')}; app errors: ${appErrors.slice(0, 3).join(' | ')}`
}

/** Catalogue items and grants through the HTTP stack, as an admin, for suites that move units. */
export function itemRequests(send: ReturnType<typeof replySender>, adminToken: string) {
  return {
    /** Creates a catalogue item (the body overrides a name and a model) and returns its id. */
    async createItem(body: Record<string, unknown>): Promise<string> {
      const reply = await send('POST', '/v1/items', adminToken, {
        body: { name: `item ${randomUUID()}`, glb_path: '/models/x.glb', ...body },
      })
      expect(reply.status, reply.text).toBe(201)
      return reply.json.id
    },
    /** Grants units to a user (a fresh Idempotency-Key); returns the reply. */
    grant(userId: string, items: Array<{ item_id: string; quantity: number }>): Promise<Reply> {
      return send('POST', '/v1/admin/inventory/grants', adminToken, {
        body: { user_id: userId, items, reason: 'concurrency test' },
        idempotencyKey: randomUUID(),
      })
    },
  }
}
