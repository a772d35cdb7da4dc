/**
 * Property-based fuzzing of every request body of the identity and economy routes: random JSON,
 * extra keys meant for mass assignment, huge strings, NaN, negative and fractional numbers. Every
 * answer must be a 4xx error envelope (or a success for a body that happens to be valid), never a
 * 5xx, and no balance may change.
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { api, registerVeteran, sqlRows, tokenFor, type Player } from '../support/api'

/** Runs per property: enough to cover the shapes, small enough for a 2-core CI machine. */
const RUNS = 40

const hostileKeys = fc.constantFrom(
  'tokens',
  'akashic_resonance',
  '__proto__',
  'constructor',
  'is_premium',
  'fromUserId',
  'user_id',
  'roles',
)

/** Numbers JSON can carry plus the ones it cannot (serialized as strings or null by JSON). */
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 0.5, 1e21, -1e21, Number.MAX_SAFE_INTEGER + 2),
  fc.constantFrom('NaN', 'Infinity', '1e309', '-0', '10 '),
)

const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hostileNumber,
  fc.string({ maxLength: 50 }),
  fc.string({ minLength: 10_000, maxLength: 20_000 }),
  fc.constant(null),
)

/** Bodies built from the route's own keys, hostile keys and hostile values. */
const hostileBody = (keys: string[]) =>
  fc.oneof(
    fc.dictionary(
      fc.oneof(fc.constantFrom(...keys), hostileKeys, fc.string({ maxLength: 10 })),
      hostileValue,
      {
        maxKeys: 6,
      },
    ),
    fc.jsonValue({ maxDepth: 2 }),
  )

let victim: Player
let attacker: Player
let adminToken: string

const balancesOf = (ids: string[]) =>
  sqlRows<{ user_id: string; tokens: number; premium_tokens: number }>(
    'SELECT user_id, tokens, premium_tokens FROM user_balances WHERE user_id = ANY($1) ORDER BY user_id',
    [ids],
  )

beforeAll(async () => {
  victim = await registerVeteran('victim')
  attacker = await registerVeteran('attacker')
  const admin = await registerVeteran('fuzzadmin')
  adminToken = await tokenFor(admin, ['admin'])
})

const routes: Array<{
  name: string
  method: string
  path: string
  keys: string[]
  token: () => string | undefined
  idempotent?: boolean
}> = [
  {
    name: 'POST /v1/auth/register',
    method: 'POST',
    path: '/v1/auth/register',
    keys: ['username', 'password', 'email'],
    token: () => undefined,
  },
  {
    name: 'POST /v1/auth/login',
    method: 'POST',
    path: '/v1/auth/login',
    keys: ['username', 'password'],
    token: () => undefined,
  },
  {
    name: 'POST /v1/auth/refresh',
    method: 'POST',
    path: '/v1/auth/refresh',
    keys: ['refresh_token'],
    token: () => undefined,
  },
  {
    name: 'POST /v1/auth/logout',
    method: 'POST',
    path: '/v1/auth/logout',
    keys: ['refresh_token'],
    token: () => undefined,
  },
  {
    name: 'PATCH /v1/users/me',
    method: 'PATCH',
    path: '/v1/users/me',
    keys: ['display_name', 'avatar_url', 'metadata'],
    token: () => attacker.token,
  },
  {
    name: 'POST /v1/economy/transfers',
    method: 'POST',
    path: '/v1/economy/transfers',
    keys: ['to_user_id', 'amount', 'note'],
    token: () => attacker.token,
    idempotent: true,
  },
  {
    name: 'POST /v1/admin/economy/grants',
    method: 'POST',
    path: '/v1/admin/economy/grants',
    keys: ['userId', 'amount', 'currency', 'reason'],
    token: () => attacker.token,
    idempotent: true,
  },
]

describe('request body fuzzing', () => {
  it.each(routes)(
    '$name answers every hostile body with a 4xx envelope and moves no tokens',
    async (route) => {
      const before = await balancesOf([victim.id, attacker.id])
      await fc.assert(
        fc.asyncProperty(hostileBody(route.keys), async (body) => {
          const res = await api(route.path, {
            method: route.method,
            token: route.token(),
            body,
            headers: route.idempotent ? { 'Idempotency-Key': crypto.randomUUID() } : {},
          })
          expect(
            res.status,
            `${JSON.stringify(body).slice(0, 300)} -> ${res.text.slice(0, 300)}`,
          ).toBeLessThan(500)
          if (res.status >= 400) {
            expect(res.body.error?.code, res.text.slice(0, 300)).toBeTypeOf('string')
            expect(res.body.error.request_id).toBeTruthy()
          }
        }),
        { numRuns: RUNS },
      )
      expect(await balancesOf([victim.id, attacker.id])).toEqual(before)
    },
  )

  it('never lets a transfer body name another account as the payer', async () => {
    const before = await balancesOf([victim.id, attacker.id])
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 100 }), hostileKeys, async (amount, key) => {
        const res = await api('/v1/economy/transfers', {
          token: attacker.token,
          body: { to_user_id: attacker.id, amount, [key]: victim.id },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        })
        expect(res.status, res.text).toBe(400)
      }),
      { numRuns: 20 },
    )
    expect(await balancesOf([victim.id, attacker.id])).toEqual(before)
  })

  it('answers admin grants with real admin tokens and hostile bodies with 4xx only', async () => {
    await fc.assert(
      fc.asyncProperty(hostileBody(['userId', 'amount', 'currency', 'reason']), async (body) => {
        const res = await api('/v1/admin/economy/grants', {
          token: adminToken,
          body,
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        })
        expect(
          res.status,
          `${JSON.stringify(body).slice(0, 300)} -> ${res.text.slice(0, 300)}`,
        ).toBeGreaterThanOrEqual(400)
        expect(res.status).toBeLessThan(500)
      }),
      { numRuns: RUNS },
    )
  })
})
