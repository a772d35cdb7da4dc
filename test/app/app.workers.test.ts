import { SELF } from 'cloudflare:test'
import { createRoute, z } from '@hono/zod-openapi'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../functions/app'
import { ERROR_CODES } from '../../functions/lib/errors'
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

  it('puts every admin route under /v1/admin/<domain>', async () => {
    const doc = (await (await SELF.fetch('http://nexus.test/openapi.json')).json()) as any
    const paths = Object.keys(doc.paths)
    for (const path of [
      '/v1/admin/economy/grants',
      '/v1/admin/memory/compress',
      '/v1/admin/memory/avatar-agents',
      '/v1/admin/memory/avatar-agents/{agent_id}',
    ]) {
      expect(paths, path).toContain(path)
    }
    expect(paths.filter((path) => /admin/.test(path) && !path.startsWith('/v1/admin/'))).toEqual([])
  })

  it('declares bearer security and a 401 on every route outside /health, /v1/auth and the docs', async () => {
    const doc = (await (await SELF.fetch('http://nexus.test/openapi.json')).json()) as any
    const missing: string[] = []
    for (const [path, operations] of Object.entries<any>(doc.paths)) {
      if (path === '/health' || path.startsWith('/v1/auth/')) continue
      for (const [method, operation] of Object.entries<any>(operations)) {
        if (!operation.security?.length || !operation.responses?.['401']) {
          missing.push(`${method.toUpperCase()} ${path}`)
        }
      }
    }
    expect(missing).toEqual([])
  })

  it('lists the closed set of error codes in the error schema', async () => {
    const doc = (await (await SELF.fetch('http://nexus.test/openapi.json')).json()) as any
    const codes = doc.components.schemas.Error.properties.error.properties.code.enum
    expect([...codes].sort()).toEqual([...ERROR_CODES].sort())
  })

  it('uses snake_case for every property of every schema', async () => {
    const doc = (await (await SELF.fetch('http://nexus.test/openapi.json')).json()) as any
    const camel: string[] = []
    const walk = (schema: any, where: string) => {
      if (!schema || typeof schema !== 'object') return
      for (const [key, value] of Object.entries<any>(schema.properties ?? {})) {
        if (/[A-Z]/.test(key)) camel.push(`${where}.${key}`)
        walk(value, `${where}.${key}`)
      }
      for (const nested of ['items', 'additionalProperties']) walk(schema[nested], where)
      for (const list of ['allOf', 'anyOf', 'oneOf']) for (const s of schema[list] ?? []) walk(s, where)
    }
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) walk(schema, name)
    for (const [path, operations] of Object.entries<any>(doc.paths)) {
      for (const operation of Object.values<any>(operations)) {
        for (const parameter of operation.parameters ?? []) {
          if (parameter.in !== 'header' && /[A-Z]/.test(parameter.name)) {
            camel.push(`${path} ${parameter.name}`)
          }
        }
        walk(operation.requestBody?.content?.['application/json']?.schema, `${path} body`)
      }
    }
    expect(camel).toEqual([])
  })
})

describe('request bodies', () => {
  it('answers 413 payload_too_large to a body over 1 MB before anything reads it', async () => {
    const res = await SELF.fetch('http://nexus.test/v1/auth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'x'.repeat(2 * 1024 * 1024) }),
    })
    const body = (await res.json()) as any
    expect(res.status, JSON.stringify(body)).toBe(413)
    expect(body.error.code).toBe('payload_too_large')
    expect(body.error.request_id).toBeTruthy()
  })

  it('answers 413 to an oversized body sent without a Content-Length (streamed)', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 32) return controller.close()
        sent++
        controller.enqueue(chunk)
      },
    })
    const res = await SELF.fetch('http://nexus.test/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: stream,
      // @ts-expect-error duplex is required by undici-style fetch for streamed bodies
      duplex: 'half',
    })
    expect(res.status, await res.text()).toBe(413)
  })
})

describe('routing', () => {
  it('applies authentication per router: a public route needs no token, a private one does', async () => {
    const publicRoute = await SELF.fetch('http://nexus.test/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nobody_at_all', password: 'x' }),
    })
    expect(publicRoute.status).toBe(401)
    expect(((await publicRoute.json()) as any).error.code).toBe('unauthorized')
    for (const path of ['/v1/economy/balance', '/v1/users/me', '/v1/instances', '/v1/admin/economy/grants']) {
      const res = await SELF.fetch(`http://nexus.test${path}`)
      const body = (await res.json()) as any
      expect(res.status, `${path}: ${JSON.stringify(body)}`).toBe(401)
      expect(res.headers.get('WWW-Authenticate')).toBe('Bearer')
    }
  })

  it('answers 404 in the envelope for an unknown path under a public prefix', async () => {
    const res = await SELF.fetch('http://nexus.test/v1/auth/nothing-here')
    const body = (await res.json()) as any
    expect(res.status, JSON.stringify(body)).toBe(404)
    expect(body.error.code).toBe('not_found')
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
