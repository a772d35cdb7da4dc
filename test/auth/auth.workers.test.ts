import { describe, expect, it } from 'vitest'
import { TEST_PASSWORD, api, registerPlayer, sqlRows, uniqueUsername } from '../support/api'

describe('POST /v1/auth/register', () => {
  it('creates an account with a lower-cased username and returns a token pair', async () => {
    const username = uniqueUsername('Reg').toUpperCase()
    const res = await api('/v1/auth/register', {
      body: { username, password: TEST_PASSWORD, email: `${username}@Example.com` },
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body.user.username).toBe(username.toLowerCase())
    expect(res.body.user.email).toBe(`${username}@example.com`.toLowerCase())
    expect(res.body.access_token.split('.')).toHaveLength(3)
    expect(res.body.refresh_token.length).toBeGreaterThan(30)
    expect(res.body.token_type).toBe('Bearer')
    expect(res.body.expires_in).toBe(900)
    const me = await api('/v1/users/me', { token: res.body.access_token })
    expect(me.status, me.text).toBe(200)
    expect(me.body.balance.tokens).toBe(100)
  })

  it('keeps the password out of users and stores only a PBKDF2 hash', async () => {
    const player = await registerPlayer('hash')
    const [credentials] = await sqlRows<{ password_hash: string }>(
      'SELECT password_hash FROM user_credentials WHERE user_id = $1',
      [player.id],
    )
    expect(credentials.password_hash).toMatch(/^pbkdf2-sha256\$100000\$/)
    expect(credentials.password_hash).not.toContain(TEST_PASSWORD)
    const [user] = await sqlRows('SELECT * FROM users WHERE id = $1', [player.id])
    expect(JSON.stringify(user)).not.toContain('pbkdf2')
  })

  it('refuses a duplicate username whatever its case with 409', async () => {
    const player = await registerPlayer('dup')
    const res = await api('/v1/auth/register', {
      body: { username: player.username.toUpperCase(), password: TEST_PASSWORD },
    })
    expect(res.status, res.text).toBe(409)
    expect(res.body.error.code).toBe('conflict')
    expect(res.body.error.details.field).toBe('username')
  })

  it('refuses a duplicate email with 409', async () => {
    const email = `${uniqueUsername('mail')}@example.com`
    const first = await api('/v1/auth/register', {
      body: { username: uniqueUsername('m1'), password: TEST_PASSWORD, email },
    })
    expect(first.status, first.text).toBe(201)
    const res = await api('/v1/auth/register', {
      body: { username: uniqueUsername('m2'), password: TEST_PASSWORD, email },
    })
    expect(res.status, res.text).toBe(409)
    expect(res.body.error.details.field).toBe('email')
  })

  it.each([
    ['a too-short username', { username: 'ab', password: TEST_PASSWORD }],
    ['a username with a space', { username: 'bad name', password: TEST_PASSWORD }],
    ['a 33-character username', { username: 'a'.repeat(33), password: TEST_PASSWORD }],
    ['a 9-character password', { username: 'okname', password: '123456789' }],
    ['a malformed email', { username: 'okname', password: TEST_PASSWORD, email: 'nope' }],
    ['an unknown key', { username: 'okname', password: TEST_PASSWORD, roles: ['admin'] }],
  ])('answers 400 for %s', async (_, body) => {
    const res = await api('/v1/auth/register', { body })
    expect(res.status, res.text).toBe(400)
    expect(res.body.error.code).toBe('validation_error')
  })
})

describe('POST /v1/auth/login', () => {
  it('signs in with the right password, whatever the username case', async () => {
    const player = await registerPlayer('login')
    const res = await api('/v1/auth/login', {
      body: { username: player.username.toUpperCase(), password: TEST_PASSWORD },
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body.user.id).toBe(player.id)
  })

  it('gives the same 401 for a wrong password and an unknown user', async () => {
    const player = await registerPlayer('same')
    const wrong = await api('/v1/auth/login', {
      body: { username: player.username, password: 'not the password' },
    })
    const unknown = await api('/v1/auth/login', {
      body: { username: uniqueUsername('ghost'), password: 'not the password' },
    })
    expect(wrong.status, wrong.text).toBe(401)
    expect(unknown.status, unknown.text).toBe(401)
    const strip = (b: any) => ({ ...b.error, request_id: undefined })
    expect(strip(wrong.body)).toEqual(strip(unknown.body))
  })

  it('answers 429 with Retry-After after five failures within 15 minutes', async () => {
    const player = await registerPlayer('lock')
    for (let i = 0; i < 5; i++) {
      const res = await api('/v1/auth/login', {
        body: { username: player.username, password: 'wrong-' + i },
      })
      expect(res.status, res.text).toBe(401)
    }
    const locked = await api('/v1/auth/login', {
      body: { username: player.username, password: TEST_PASSWORD },
    })
    expect(locked.status, locked.text).toBe(429)
    expect(locked.body.error.code).toBe('rate_limited')
    const retryAfter = Number(locked.headers.get('Retry-After'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(15 * 60)
  })
})

describe('POST /v1/auth/refresh', () => {
  it('rotates the refresh token: the new one works, the old one no longer does', async () => {
    const player = await registerPlayer('rot')
    const first = await api('/v1/auth/refresh', { body: { refresh_token: player.refresh_token } })
    expect(first.status, first.text).toBe(200)
    expect(first.body.refresh_token).not.toBe(player.refresh_token)
    const me = await api('/v1/users/me', { token: first.body.access_token })
    expect(me.status, me.text).toBe(200)
    const second = await api('/v1/auth/refresh', {
      body: { refresh_token: first.body.refresh_token },
    })
    expect(second.status, second.text).toBe(200)
  })

  it('revokes the whole family when a rotated token is presented again', async () => {
    const player = await registerPlayer('reuse')
    const rotated = await api('/v1/auth/refresh', { body: { refresh_token: player.refresh_token } })
    expect(rotated.status, rotated.text).toBe(200)
    const replay = await api('/v1/auth/refresh', { body: { refresh_token: player.refresh_token } })
    expect(replay.status, replay.text).toBe(401)
    expect(replay.body.error.code).toBe('invalid_token')
    // The legitimate holder's newer token is revoked too.
    const newer = await api('/v1/auth/refresh', {
      body: { refresh_token: rotated.body.refresh_token },
    })
    expect(newer.status, newer.text).toBe(401)
  })

  it('answers 401 for an unknown refresh token', async () => {
    const res = await api('/v1/auth/refresh', { body: { refresh_token: 'x'.repeat(43) } })
    expect(res.status, res.text).toBe(401)
  })
})

describe('POST /v1/auth/logout', () => {
  it('revokes the refresh token', async () => {
    const player = await registerPlayer('out')
    const res = await api('/v1/auth/logout', { body: { refresh_token: player.refresh_token } })
    expect(res.status, res.text).toBe(204)
    const after = await api('/v1/auth/refresh', { body: { refresh_token: player.refresh_token } })
    expect(after.status, after.text).toBe(401)
  })
})
