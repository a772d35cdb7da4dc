/**
 * Abuse limits of the account routes, held by the RateLimiter Durable Object across isolates.
 * Every test uses its own client address (`CF-Connecting-IP`), as Cloudflare would set it.
 */
import { describe, expect, it } from 'vitest'
import { TEST_PASSWORD, api, registerPlayer, uniqueUsername } from '../support/api'

/** A documentation-range IPv6 address no other test uses. */
const freshAddress = () => `2001:db8::${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`

const login = (username: string, password: string, address?: string) =>
  api('/v1/auth/login', {
    body: { username, password },
    headers: address ? { 'CF-Connecting-IP': address } : {},
  })

const register = (address: string, username = uniqueUsername('reg')) =>
  api('/v1/auth/register', {
    body: { username, password: TEST_PASSWORD },
    headers: { 'CF-Connecting-IP': address },
  })

/** Counts answers by `status code`. */
const tally = (replies: { status: number; body: any }[]) =>
  replies.reduce<Record<string, number>>((counts, r) => {
    const label = `${r.status} ${r.body?.error?.code ?? ''}`.trim()
    counts[label] = (counts[label] ?? 0) + 1
    return counts
  }, {})

describe('POST /v1/auth/login failed-login limits', () => {
  it('gives exactly five 401s to 30 wrong passwords sent at once, then 429s', async () => {
    const player = await registerPlayer('race')
    const address = freshAddress()
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => login(player.username, `wrong-${i}`, address)),
    )
    expect(tally(replies)).toEqual({ '401 unauthorized': 5, '429 rate_limited': 25 })
    const limited = replies.find((r) => r.status === 429)!
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(limited.body.error.details.retry_after_seconds).toBeLessThanOrEqual(15 * 60)
  })

  it('does the same without a client address (the username alone is the key)', async () => {
    const player = await registerPlayer('racenoaddr')
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, i) => login(player.username, `wrong-${i}`)),
    )
    expect(tally(replies)).toEqual({ '401 unauthorized': 5, '429 rate_limited': 7 })
  })

  it('locks an account only for the address that failed: its owner still signs in from elsewhere', async () => {
    const player = await registerPlayer('nodos')
    const attacker = freshAddress()
    for (let i = 0; i < 5; i++) {
      expect((await login(player.username, `wrong-${i}`, attacker)).status).toBe(401)
    }
    const blocked = await login(player.username, TEST_PASSWORD, attacker)
    expect(blocked.status, blocked.text).toBe(429)
    const owner = await login(player.username, TEST_PASSWORD, freshAddress())
    expect(owner.status, owner.text).toBe(200)
  })

  it('limits failures per address across usernames (20 in 15 minutes)', async () => {
    const address = freshAddress()
    const replies = []
    for (let i = 0; i < 21; i++) replies.push(await login(uniqueUsername('ghost'), 'wrong', address))
    expect(tally(replies)).toEqual({ '401 unauthorized': 20, '429 rate_limited': 1 })
    expect(replies[20].body.error.message).toMatch(/address/)
  })

  it('clears the failures of an account after a successful login', async () => {
    const player = await registerPlayer('clear')
    const address = freshAddress()
    for (let i = 0; i < 4; i++) expect((await login(player.username, 'wrong', address)).status).toBe(401)
    expect((await login(player.username, TEST_PASSWORD, address)).status).toBe(200)
    for (let i = 0; i < 5; i++) {
      const res = await login(player.username, 'wrong', address)
      expect(res.status, `failure ${i + 1} after the success: ${res.text}`).toBe(401)
    }
    expect((await login(player.username, 'wrong', address)).status).toBe(429)
  })

  it('does not count successful logins against the address', async () => {
    const player = await registerPlayer('many')
    const address = freshAddress()
    for (let i = 0; i < 25; i++) {
      const res = await login(player.username, TEST_PASSWORD, address)
      expect(res.status, `login ${i + 1}: ${res.text}`).toBe(200)
    }
  })
})

describe('POST /v1/auth/register per-address limit', () => {
  it('allows 10 accounts per address and day, then 429 with Retry-After; other addresses are not affected', async () => {
    const address = freshAddress()
    for (let i = 0; i < 10; i++) {
      const res = await register(address)
      expect(res.status, `registration ${i + 1}: ${res.text}`).toBe(201)
    }
    const refused = await register(address)
    expect(refused.status, refused.text).toBe(429)
    expect(refused.body.error.code).toBe('rate_limited')
    const retryAfter = Number(refused.headers.get('Retry-After'))
    expect(retryAfter).toBeGreaterThan(23 * 3600)
    expect(retryAfter).toBeLessThanOrEqual(24 * 3600)
    expect((await register(freshAddress())).status).toBe(201)
  })

  it('does not count a refused registration (username taken) against the address', async () => {
    const address = freshAddress()
    const taken = await registerPlayer('taken')
    for (let i = 0; i < 12; i++) {
      const res = await register(address, taken.username)
      expect(res.status, res.text).toBe(409)
    }
    expect((await register(address)).status).toBe(201)
  })

  it('holds under 30 registrations sent at once from one address', async () => {
    const address = freshAddress()
    const replies = await Promise.all(Array.from({ length: 30 }, () => register(address)))
    expect(tally(replies)).toEqual({ '201': 10, '429 rate_limited': 20 })
  })
})
