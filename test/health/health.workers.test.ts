import { SELF, createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import worker from '../../functions/index'
import type { Env } from '../../functions/lib/env'

/** Calls the Worker with `overrides` applied to its bindings. */
async function fetchWithEnv(
  path: string,
  overrides: Partial<Record<keyof Env, unknown>>,
  init?: RequestInit,
) {
  const ctx = createExecutionContext()
  const res = await worker.fetch(
    new Request(`http://nexus.test${path}`, init),
    { ...(env as unknown as Env), ...overrides } as Env,
    ctx,
  )
  await waitOnExecutionContext(ctx)
  return res
}

/**
 * Records the Worker's error-level log lines (JSON, one per `console.error` call) while `work`
 * runs, and returns them parsed.
 */
async function withErrorLog<T>(work: () => Promise<T>): Promise<{ result: T; lines: any[] }> {
  const lines: any[] = []
  const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => {
    lines.push(JSON.parse(String(line)))
  })
  try {
    return { result: await work(), lines }
  } finally {
    spy.mockRestore()
  }
}

afterEach(() => vi.restoreAllMocks())

/** A Postgres URL on a loopback port where nothing listens (the proxy refuses it, too). */
const UNREACHABLE_DB_URL = 'postgres://postgres@127.0.0.1:9/postgres'

describe('GET /health', () => {
  it('reports both databases ok with their latency', async () => {
    const res = await SELF.fetch('http://nexus.test/health')
    const body = (await res.json()) as any
    expect(res.status, JSON.stringify(body)).toBe(200)
    expect(body, JSON.stringify(body)).toEqual({
      status: 'ok',
      version: '0.1.0',
      databases: {
        nexus: { ok: true, latency_ms: expect.any(Number) },
        memory: { ok: true, latency_ms: expect.any(Number) },
      },
    })
  })

  it('returns 503 with no error text when the memory database is unreachable, and logs why', async () => {
    const { result: res, lines } = await withErrorLog(() =>
      fetchWithEnv('/health', { MEMORY_DATABASE_URL: UNREACHABLE_DB_URL }),
    )
    const text = await res.text()
    expect(res.status, text).toBe(503)
    expect(JSON.parse(text), text).toEqual({
      status: 'degraded',
      version: '0.1.0',
      databases: {
        nexus: { ok: true, latency_ms: expect.any(Number) },
        memory: { ok: false, latency_ms: expect.any(Number) },
      },
    })
    const requestId = res.headers.get('X-Request-Id')
    const failure = lines.find((l) => l.msg === 'health: database check failed')
    expect(failure, JSON.stringify(lines)).toMatchObject({ database: 'memory', requestId })
    expect(failure.reason, JSON.stringify(failure)).toBeTruthy()
    expect(text).not.toContain(failure.reason)
  })

  it('returns 503 naming nexus as not ok when the nexus database is unreachable', async () => {
    const { result: res, lines } = await withErrorLog(() =>
      fetchWithEnv('/health', { NEXUS_DATABASE_URL: UNREACHABLE_DB_URL }),
    )
    const body = (await res.json()) as any
    expect(res.status, JSON.stringify(body)).toBe(503)
    expect(body.databases, JSON.stringify(body)).toEqual({
      nexus: { ok: false, latency_ms: expect.any(Number) },
      memory: { ok: true, latency_ms: expect.any(Number) },
    })
    expect(lines.map((l) => l.database).filter(Boolean), JSON.stringify(lines)).toEqual(['nexus'])
  })
})

describe('configuration', () => {
  it('answers 500 config_error without naming a missing variable, and logs its name', async () => {
    const { result: res, lines } = await withErrorLog(() =>
      fetchWithEnv('/health', { NEXUS_DATABASE_URL: undefined }),
    )
    const text = await res.text()
    expect(res.status, text).toBe(500)
    const body = JSON.parse(text)
    expect(body.error.code, text).toBe('config_error')
    expect(body.error.message, text).toMatch(/misconfigured.*logs/)
    expect(body.error.details, text).toBeUndefined()
    expect(text).not.toContain('NEXUS_DATABASE_URL')
    const logged = lines.find((l) => l.msg === 'configuration invalid')
    expect(logged?.problems, JSON.stringify(lines)).toEqual(['NEXUS_DATABASE_URL is required'])
  })

  it('answers 500 config_error without naming a malformed variable or its value', async () => {
    const { result: res, lines } = await withErrorLog(() =>
      fetchWithEnv('/health', { MEMORY_DATABASE_URL: 'not a url' }),
    )
    const text = await res.text()
    expect(res.status, text).toBe(500)
    expect(JSON.parse(text).error.code, text).toBe('config_error')
    expect(text).not.toContain('MEMORY_DATABASE_URL')
    expect(text).not.toContain('not a url')
    const logged = lines.find((l) => l.msg === 'configuration invalid')
    expect(logged?.problems, JSON.stringify(lines)).toEqual([
      'MEMORY_DATABASE_URL must be a postgres:// URL',
    ])
    expect(JSON.stringify(lines)).not.toContain('not a url')
  })

  it('answers 500 config_error without naming AUTH_JWT_SECRET when built-in accounts are off', async () => {
    const { result: res, lines } = await withErrorLog(() =>
      fetchWithEnv(
        '/v1/auth/register',
        { AUTH_JWT_SECRET: undefined },
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            username: `cfg_${crypto.randomUUID().slice(0, 8)}`,
            password: 'correct horse battery staple',
          }),
        },
      ),
    )
    const text = await res.text()
    expect(res.status, text).toBe(500)
    expect(JSON.parse(text).error.code, text).toBe('config_error')
    expect(text).not.toContain('AUTH_JWT_SECRET')
    expect(JSON.stringify(lines)).toContain('AUTH_JWT_SECRET is not set')
  })
})
