/** `/console`: the page, its script and stylesheet, served by the Worker with strict headers. */
import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { CONSOLE_SCRIPT } from '../../functions/console/bundle.generated'

const get = (path: string, init?: RequestInit) => SELF.fetch(`http://nexus.test${path}`, init)

describe('GET /console', () => {
  it('serves the page, which loads its script and stylesheet from this origin', async () => {
    const res = await get('/console')
    const html = await res.text()
    expect(res.status, html).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('text/html; charset=utf-8')
    expect(html).toContain('<script type="module" src="/console/console.js"></script>')
    expect(html).toContain('<link rel="stylesheet" href="/console/console.css">')
  })

  it('serves the bundled script and the stylesheet', async () => {
    const script = await get('/console/console.js')
    expect(script.status).toBe(200)
    expect(script.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8')
    expect(await script.text()).toBe(CONSOLE_SCRIPT)
    const css = await get('/console/console.css')
    expect(css.status).toBe(200)
    expect(css.headers.get('Content-Type')).toBe('text/css; charset=utf-8')
  })

  it('forbids framing and every origin but its own (it holds staff tokens)', async () => {
    const res = await get('/console')
    const csp = res.headers.get('Content-Security-Policy') ?? ''
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("connect-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(res.headers.get('X-Frame-Options')).toBe('DENY')
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(res.headers.get('Referrer-Policy')).toBe('no-referrer')
  })

  it('answers 404 in the API envelope for anything else under /console', async () => {
    const res = await get('/console/secrets.json')
    expect(res.status).toBe(404)
    expect((await res.json()) as object).toMatchObject({ error: { code: 'not_found' } })
    const post = await get('/console', { method: 'POST' })
    expect(post.status).toBe(404)
  })
})
