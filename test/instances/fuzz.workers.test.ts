/**
 * Property-based fuzzing of the instance bodies: random JSON, keys meant for mass assignment, NUL
 * characters (which Postgres cannot store), huge strings and odd numbers. Every answer must be a
 * 4xx envelope or a success, never a 5xx, and no body may move an instance to another owner.
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { api, registerPlayer, sqlRows, type Player } from '../support/api'

/** Runs per property: enough to cover the shapes, small enough for a 2-core CI machine. */
const RUNS = 40

const hostileKeys = fc.constantFrom(
  'owner_id',
  'id',
  'type',
  'instance_subtype',
  'quest_id',
  '__proto__',
  'constructor',
  'admin_user_ids',
)

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('a\u0000b', '\u0000', '25:00', '18:30', ' ', 'x'.repeat(10_000)),
)

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hostileString,
  fc.constantFrom(-1, 0, 0.5, 1e21, Number.MAX_SAFE_INTEGER + 2, null, true),
  fc.dictionary(fc.oneof(hostileKeys, hostileString), fc.jsonValue({ maxDepth: 2 }), {
    maxKeys: 4,
  }),
)

/** Bodies built from the route's own keys (also nested under metadata), hostile keys and values. */
const hostileBody = (keys: string[]) =>
  fc.oneof(
    fc.dictionary(fc.oneof(fc.constantFrom(...keys), hostileKeys, hostileString), hostileValue, {
      maxKeys: 6,
    }),
    fc.record({
      type: fc.constantFrom('personal', 'communal'),
      name: hostileString,
      metadata: fc.record({
        environment: fc.dictionary(
          fc.constantFrom('sky_preset', 'time_of_day', 'weather', 'lighting_mood'),
          hostileString,
        ),
        custom_properties: fc.dictionary(hostileString, hostileValue, { maxKeys: 4 }),
      }),
    }),
  )

let owner: Player
let attacker: Player
let instanceId: string

beforeAll(async () => {
  owner = await registerPlayer('fzowner')
  attacker = await registerPlayer('fzattack')
  const created = await api('/v1/instances', {
    token: owner.token,
    body: { type: 'communal', name: 'fuzz target' },
  })
  instanceId = created.body.id
  await api(`/v1/instances/${instanceId}/join`, { method: 'POST', token: attacker.token })
})

const routes = [
  {
    name: 'POST /v1/instances',
    method: 'POST',
    path: () => '/v1/instances',
    keys: ['type', 'name', 'description', 'max_visitors', 'is_public', 'metadata'],
  },
  {
    name: 'PATCH /v1/instances/:id',
    method: 'PATCH',
    path: () => `/v1/instances/${instanceId}`,
    keys: ['name', 'description', 'max_visitors', 'is_public', 'metadata'],
  },
  {
    name: 'PUT /v1/instances/:id/visitors/:userId/permissions',
    method: 'PUT',
    path: () => `/v1/instances/${instanceId}/visitors/${attacker.id}/permissions`,
    keys: [
      'can_build',
      'can_chat',
      'can_change_environment',
      'can_spawn_items',
      'custom_permissions',
    ],
  },
]

describe('instance body fuzzing', () => {
  it.each(routes)('$name answers every hostile body without a 5xx', async (route) => {
    await fc.assert(
      fc.asyncProperty(hostileBody(route.keys), async (body) => {
        const res = await api(route.path(), { method: route.method, token: owner.token, body })
        expect(
          res.status,
          `${JSON.stringify(body).slice(0, 300)} -> ${res.text.slice(0, 300)}`,
        ).toBeLessThan(500)
        if (res.status >= 400) expect(res.body.error?.code, res.text).toBeTypeOf('string')
      }),
      { numRuns: RUNS },
    )
    const [row] = await sqlRows<{ owner_id: string; type: string }>(
      'SELECT owner_id, type FROM instances WHERE id = $1',
      [instanceId],
    )
    expect(row).toEqual({ owner_id: owner.id, type: 'communal' })
  })

  it("never lets another player's body change the instance", async () => {
    await fc.assert(
      fc.asyncProperty(hostileBody(routes[1].keys), async (body) => {
        const res = await api(`/v1/instances/${instanceId}`, {
          method: 'PATCH',
          token: attacker.token,
          body,
        })
        expect(res.status, res.text).toBeGreaterThanOrEqual(400)
        expect(res.status, res.text).toBeLessThan(500)
      }),
      { numRuns: RUNS },
    )
  })
})
