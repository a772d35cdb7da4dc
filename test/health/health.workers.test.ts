import { SELF, createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import worker from '../../functions/index'
import type { Env } from '../../functions/lib/env'

/** Calls the Worker with `overrides` applied to its bindings. */
async function fetchWithEnv(path: string, overrides: Partial<Record<keyof Env, unknown>>) {
  const ctx = createExecutionContext()
  const res = await worker.fetch(
    new Request(`http://nexus.test${path}`),
    { ...(env as unknown as Env), ...overrides } as Env,
    ctx,
  )
  await waitOnExecutionContext(ctx)
  return res
}

/** A Postgres URL on a loopback port where nothing listens. */
const UNREACHABLE_DB_URL = 'postgres://postgres@127.0.0.1:9/postgres'

describe('GET /health', () => {
  it('reports both databases ok', async () => {
    const res = await SELF.fetch('http://nexus.test/health')
    const body = (await res.json()) as any
    expect(res.status, JSON.stringify(body)).toBe(200)
    expect(body.status).toBe('ok')
    expect(body.databases.nexus.ok).toBe(true)
    expect(body.databases.memory.ok).toBe(true)
    expect(typeof body.databases.nexus.latencyMs).toBe('number')
    expect(body.version).toBe('0.1.0')
  })

  it('returns 503 naming memory when the memory database is unreachable', async () => {
    const res = await fetchWithEnv('/health', { MEMORY_DATABASE_URL: UNREACHABLE_DB_URL })
    const body = (await res.json()) as any
    expect(res.status, JSON.stringify(body)).toBe(503)
    expect(body.status).toBe('degraded')
    expect(body.databases.memory.ok).toBe(false)
    expect(body.databases.memory.error).toMatch(/terminated|closed|refused|connect/i)
    expect(body.databases.nexus.ok).toBe(true)
  })

  it('returns 503 naming nexus when the nexus database is unreachable', async () => {
    const res = await fetchWithEnv('/health', { NEXUS_DATABASE_URL: UNREACHABLE_DB_URL })
    const body = (await res.json()) as any
    expect(res.status, JSON.stringify(body)).toBe(503)
    expect(body.databases.nexus.ok).toBe(false)
    expect(body.databases.memory.ok).toBe(true)
  })
})

describe('configuration', () => {
  it('answers 500 config_error naming a missing variable', async () => {
    const res = await fetchWithEnv('/health', { NEXUS_DATABASE_URL: undefined })
    const body = (await res.json()) as any
    expect(res.status, JSON.stringify(body)).toBe(500)
    expect(body.error.code).toBe('config_error')
    expect(body.error.message).toContain('NEXUS_DATABASE_URL')
    expect(body.error.requestId).toBeTruthy()
  })

  it('answers 500 config_error naming a malformed variable', async () => {
    const res = await fetchWithEnv('/health', { MEMORY_DATABASE_URL: 'not a url' })
    const body = (await res.json()) as any
    expect(res.status, JSON.stringify(body)).toBe(500)
    expect(body.error.code).toBe('config_error')
    expect(body.error.details.variables[0].variable).toBe('MEMORY_DATABASE_URL')
  })
})
