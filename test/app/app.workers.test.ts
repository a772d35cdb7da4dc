import { SELF } from 'cloudflare:test'
import { createRoute, z } from '@hono/zod-openapi'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../functions/app'
import { createRouter } from '../../functions/lib/openapi'

describe('unknown routes', () => {
  it('answers 404 in the error envelope', async () => {
    const res = await SELF.fetch('http://nexus.test/v1/no-such-thing')
    const body = (await res.json()) as any
    expect(res.status, JSON.stringify(body)).toBe(404)
    expect(body.error.code).toBe('not_found')
    expect(body.error.message).toContain('/v1/no-such-thing')
    expect(body.error.request_id).toBe(res.headers.get('X-Request-Id'))
  })
})

describe('X-Request-Id', () => {
  it('echoes a client-supplied request id', async () => {
    const res = await SELF.fetch('http://nexus.test/no-route', {
      headers: { 'X-Request-Id': 'client-req-42' },
    })
    const body = (await res.json()) as any
    expect(res.headers.get('X-Request-Id')).toBe('client-req-42')
    expect(body.error.request_id).toBe('client-req-42')
  })

  it('generates an id when none is supplied', async () => {
    const res = await SELF.fetch('http://nexus.test/health')
    expect(res.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('replaces a request id that could forge log lines', async () => {
    const res = await SELF.fetch('http://nexus.test/health', {
      headers: { 'X-Request-Id': 'bad id {"level":"error"}' },
    })
    expect(res.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('validation errors', () => {
  // A route built with the shared router factory, so the test exercises the shared hook.
  const probe = createRouter({ auth: false }).openapi(
    createRoute({
      method: 'post',
      path: '/probe',
      request: {
        body: {
          content: {
            'application/json': { schema: z.strictObject({ amount: z.number().int().positive() }) },
          },
        },
      },
      responses: { 200: { description: 'ok' } },
    }),
    (c) => c.json({ ok: true }, 200),
  )
  const app = createApp()
  app.route('/test', probe)

  it('answers 400 validation_error with the zod issues', async () => {
    const res = await app.request('/test/probe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: -1, extra: true }),
    })
    const body = (await res.json()) as any
    expect(res.status, JSON.stringify(body)).toBe(400)
    expect(body.error.code).toBe('validation_error')
    expect(Array.isArray(body.error.details)).toBe(true)
    const paths = body.error.details.map((issue: any) => issue.path.join('.') || issue.code)
    expect(paths).toContain('amount')
    expect(body.error.details.some((issue: any) => issue.code === 'unrecognized_keys')).toBe(true)
  })

  it('answers 400 for a malformed JSON body, never 500', async () => {
    const res = await app.request('/test/probe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"amount": ',
    })
    const body = (await res.json()) as any
    expect(res.status, JSON.stringify(body)).toBe(400)
    expect(['bad_request', 'validation_error']).toContain(body.error.code)
  })

  it('accepts a valid body', async () => {
    const res = await app.request('/test/probe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 3 }),
    })
    expect(res.status).toBe(200)
  })
})

describe('GET /openapi.json', () => {
  it('lists the routes in an OpenAPI 3.1 document', async () => {
    const res = await SELF.fetch('http://nexus.test/openapi.json')
    const doc = (await res.json()) as any
    expect(res.status).toBe(200)
    expect(doc.openapi).toBe('3.1.0')
    for (const path of [
      '/health',
      '/v1/auth/register',
      '/v1/auth/login',
      '/v1/auth/refresh',
      '/v1/users/me',
      '/v1/users/{id}',
      '/v1/economy/transfers',
      '/v1/economy/daily-claim',
      '/v1/admin/economy/grants',
    ]) {
      expect(Object.keys(doc.paths), path).toContain(path)
    }
    expect(doc.paths['/health'].get.responses).toHaveProperty('503')
  })
})

describe('GET /docs', () => {
  it('serves an HTML reference listing the routes', async () => {
    const res = await SELF.fetch('http://nexus.test/docs')
    const html = await res.text()
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/html')
    expect(html).toContain('<code>/health</code>')
  })
})
