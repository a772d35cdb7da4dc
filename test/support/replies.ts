/**
 * Requests through the whole app (`app.request`, as the concurrency suites send them) and what
 * suites assert on their replies: counts by status and the bodies of the unexpected ones.
 */
import type { OpenAPIHono } from '@hono/zod-openapi'
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

/** Counts replies by `status code` (e.g. `201`, `409 insufficient_funds`). */
export function tally(replies: Reply[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const r of replies) {
    const label = r.status < 300 ? String(r.status) : `${r.status} ${r.json?.error?.code}`
    counts[label] = (counts[label] ?? 0) + 1
  }
  return counts
}

/** The bodies of the replies with an unexpected status, for assertion messages. */
export function unexpected(replies: Reply[], expected: number[]): string {
  const odd = replies.filter((r) => !expected.includes(r.status))
  if (odd.length === 0) return 'none'
  const bodies = odd.slice(0, 5).map((r) => `${r.status} ${r.text}`)
  return `${odd.length} unexpected: ${bodies.join(' | ')}; app errors: ${appErrors.slice(0, 3).join(' | ')}`
}

/** A sender of requests to `app` with the bindings `env`, read to the end. */
export function appSender(app: OpenAPIHono<AppEnv>, env: () => Env) {
  return async function send(
    method: string,
    path: string,
    token: string,
    options: { body?: unknown; idempotencyKey?: string } = {},
  ): Promise<Reply> {
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
      env(),
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
