import { SignJWT, UnsecuredJWT, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { api, gatewayToken, registerPlayer, sqlRows, testEnv, uniqueUsername } from '../support/api'

const secret = () => new TextEncoder().encode(testEnv.AUTH_JWT_SECRET!)
const ISSUER = 'bbworlds-nexus'
const AUDIENCE = 'bbworlds-nexus-api'

/** A local-issuer token built claim by claim, so each test can break exactly one thing. */
function localToken(sub: string, username: string) {
  return new SignJWT({ username, roles: ['player'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
}

const expectInvalidToken = async (token: string) => {
  const res = await api('/v1/users/me', { token })
  expect(res.status, res.text).toBe(401)
  expect(res.body.error.code).toBe('invalid_token')
  expect(res.headers.get('WWW-Authenticate')).toContain('invalid_token')
}

describe('bearer token verification', () => {
  it('accepts a well-formed token of this service (control case)', async () => {
    const player = await registerPlayer('jwt')
    const token = await localToken(player.id, player.username)
      .setExpirationTime('5m')
      .sign(secret())
    const res = await api('/v1/users/me', { token })
    expect(res.status, res.text).toBe(200)
  })

  it('answers 401 unauthorized without a token', async () => {
    const res = await api('/v1/users/me')
    expect(res.status, res.text).toBe(401)
    expect(res.body.error.code).toBe('unauthorized')
  })

  it('rejects alg none', async () => {
    const player = await registerPlayer('none')
    const token = new UnsecuredJWT({ username: player.username, roles: ['admin'] })
      .setSubject(player.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .encode()
    await expectInvalidToken(token)
  })

  it('rejects a token signed with the wrong secret', async () => {
    const player = await registerPlayer('wrong')
    const token = await localToken(player.id, player.username)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('another-secret-of-sufficient-length-000'))
    await expectInvalidToken(token)
  })

  it('rejects an RS256 token where HS256 is expected', async () => {
    const player = await registerPlayer('rs')
    const { privateKey } = await generateKeyPair('RS256')
    const token = await new SignJWT({ username: player.username })
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject(player.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(privateKey)
    await expectInvalidToken(token)
  })

  it('rejects an expired token', async () => {
    const player = await registerPlayer('exp')
    const token = await localToken(player.id, player.username)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(secret())
    await expectInvalidToken(token)
  })

  it('rejects a token whose nbf is in the future', async () => {
    const player = await registerPlayer('nbf')
    const token = await localToken(player.id, player.username)
      .setNotBefore(Math.floor(Date.now() / 1000) + 600)
      .setExpirationTime('20m')
      .sign(secret())
    await expectInvalidToken(token)
  })

  it('rejects a token from an unknown issuer', async () => {
    const player = await registerPlayer('iss')
    const token = await localToken(player.id, player.username)
      .setIssuer('https://evil.example')
      .setExpirationTime('5m')
      .sign(secret())
    await expectInvalidToken(token)
  })

  it('rejects a token for another audience', async () => {
    const player = await registerPlayer('aud')
    const token = await localToken(player.id, player.username)
      .setAudience('some-other-api')
      .setExpirationTime('5m')
      .sign(secret())
    await expectInvalidToken(token)
  })

  it('rejects a token without exp', async () => {
    const player = await registerPlayer('noexp')
    const token = await localToken(player.id, player.username).sign(secret())
    await expectInvalidToken(token)
  })

  it('rejects a tampered payload', async () => {
    const player = await registerPlayer('tamper')
    const token = await localToken(player.id, player.username)
      .setExpirationTime('5m')
      .sign(secret())
    const [header, payload, signature] = token.split('.')
    const claims = JSON.parse(atob(payload.replaceAll('-', '+').replaceAll('_', '/')))
    claims.roles = ['admin']
    const forged = btoa(JSON.stringify(claims))
      .replaceAll('+', '-')
      .replaceAll('/', '_')
      .replace(/=+$/, '')
    await expectInvalidToken(`${header}.${forged}.${signature}`)
  })

  it.each(['garbage', 'a.b.c', '', 'eyJhbGciOiJIUzI1NiJ9..'])(
    'rejects the garbage token %j',
    async (token) => {
      const res = await api('/v1/users/me', { headers: { Authorization: `Bearer ${token}` } })
      expect(res.status, res.text).toBe(401)
      expect(['invalid_token', 'unauthorized']).toContain(res.body.error.code)
    },
  )
})

describe('gateway tokens', () => {
  it('creates the users row of a gateway user seen for the first time', async () => {
    const sub = crypto.randomUUID()
    const username = uniqueUsername('gw')
    const token = await gatewayToken({ sub, preferred_username: username })
    const res = await api('/v1/users/me', { token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.id).toBe(sub)
    expect(res.body.username).toBe(username)
    expect(res.body.balance.tokens).toBe(100)
    const again = await api('/v1/users/me', { token })
    expect(again.status, again.text).toBe(200)
    const rows = await sqlRows('SELECT id FROM users WHERE id = $1', [sub])
    expect(rows).toHaveLength(1)
  })

  it('rejects a gateway-issued token signed by another key', async () => {
    const { privateKey } = await generateKeyPair('RS256')
    const token = await new SignJWT({ username: 'intruder' })
      .setProtectedHeader({ alg: 'RS256', kid: 'gateway-test' })
      .setSubject(crypto.randomUUID())
      .setIssuer(testEnv.AUTH_GATEWAY_ISSUER!)
      .setAudience(testEnv.AUTH_GATEWAY_AUDIENCE!)
      .setExpirationTime('5m')
      .sign(privateKey)
    await expectInvalidToken(token)
  })

  it('rejects an HS256 token claiming the gateway issuer', async () => {
    const token = await new SignJWT({ username: 'intruder' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(crypto.randomUUID())
      .setIssuer(testEnv.AUTH_GATEWAY_ISSUER!)
      .setAudience(testEnv.AUTH_GATEWAY_AUDIENCE!)
      .setExpirationTime('5m')
      .sign(secret())
    await expectInvalidToken(token)
  })
})
