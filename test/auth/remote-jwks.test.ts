import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  REMOTE_JWKS_COOLDOWN_MS,
  REMOTE_JWKS_TTL_MS,
  remoteKeySets,
} from '../../functions/lib/remote-jwks'

const URL_ = 'https://gateway.test/.well-known/jwks.json'
let jwks: unknown
let token: string

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] }
  token = await new SignJWT({ sub: 'someone' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setExpirationTime('5m')
    .sign(privateKey)
})

/** A key-set server whose answers the test controls, counting the fetches. */
function gateway() {
  const state = { fetches: 0, failing: false, clock: 1_000_000 }
  const keySet = remoteKeySets({
    now: () => state.clock,
    fetch: async () => {
      state.fetches += 1
      await new Promise((resolve) => setTimeout(resolve, 5))
      return state.failing
        ? new Response('down', { status: 503 })
        : Response.json(jwks, { headers: { 'content-type': 'application/json' } })
    },
  })
  return { state, keySet }
}

describe('remote key sets (AUTH_JWKS_URL)', () => {
  it('verifies with the fetched set and keeps it until the TTL, then fetches again', async () => {
    const { state, keySet } = gateway()
    const { payload } = await jwtVerify(token, await keySet(URL_))
    expect(payload.sub).toBe('someone')
    await keySet(URL_)
    expect(state.fetches).toBe(1)
    state.clock += REMOTE_JWKS_TTL_MS
    await keySet(URL_)
    expect(state.fetches).toBe(2)
  })

  it('refetches for an unknown key only after the cooldown', async () => {
    const { state, keySet } = gateway()
    await keySet(URL_)
    await keySet(URL_, 'unknown_key')
    expect(state.fetches).toBe(1)
    state.clock += REMOTE_JWKS_COOLDOWN_MS
    await keySet(URL_, 'unknown_key')
    expect(state.fetches).toBe(2)
  })

  it('keeps the last set while the gateway is down, retrying after the cooldown, not per call', async () => {
    const { state, keySet } = gateway()
    await keySet(URL_)
    state.failing = true
    state.clock += REMOTE_JWKS_TTL_MS
    const keys = await keySet(URL_)
    expect((await jwtVerify(token, keys)).payload.sub).toBe('someone')
    await keySet(URL_)
    expect(state.fetches).toBe(2)
    state.clock += REMOTE_JWKS_COOLDOWN_MS
    await keySet(URL_)
    expect(state.fetches).toBe(3)
  })

  it('refuses when no set was ever fetched and the gateway is down', async () => {
    const { state, keySet } = gateway()
    state.failing = true
    await expect(keySet(URL_)).rejects.toThrow(/503/)
  })

  it('never hands one caller the fetch of another (each cold caller fetches itself)', async () => {
    const { state, keySet } = gateway()
    await Promise.all([keySet(URL_), keySet(URL_), keySet(URL_)])
    expect(state.fetches).toBe(3)
  })
})
