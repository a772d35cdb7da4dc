/**
 * Property-based fuzzing of the memory routes' bodies and ids: random JSON, hostile keys, huge
 * strings, NUL characters, wrong-length embeddings, another user's id. Every answer must be a 4xx
 * envelope or a success, never a 5xx, and nothing may be written for the victim.
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { createMemoryClient } from '../../db/client'
import { api, registerPlayer, testEnv, type Player } from '../support/api'

/** Runs per property: enough to cover the shapes, small enough for a 2-core machine. */
const RUNS = 40

let victim: Player
let attacker: Player
const companionId = `fuzz-${crypto.randomUUID().slice(0, 8)}`

beforeAll(async () => {
  victim = await registerPlayer('mvictim')
  attacker = await registerPlayer('mattack')
})

const victimMemories = async () => {
  const client = createMemoryClient(testEnv.MEMORY_DATABASE_URL!, {
    wsProxy: testEnv.NEON_WS_PROXY,
  })
  try {
    const { rows } = await client.pool.query(
      'SELECT count(*)::int AS n FROM companion_memories WHERE user_id = $1',
      [victim.id],
    )
    return rows[0].n as number
  } finally {
    await client.close()
  }
}

const hostileValue = () =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.double(),
    fc.integer(),
    fc.string({ maxLength: 40 }),
    fc.string({ minLength: 10_001, maxLength: 12_000 }),
    fc.constantFrom('a\u0000b', victim.id, 'NaN', 'core', 'sparse', 'hybrid', 1e309, -0),
    fc.array(fc.double({ noNaN: true }), { minLength: 767, maxLength: 769 }),
    fc.constant(null),
  )

const hostileBody = (keys: string[]) =>
  fc.oneof(
    fc.dictionary(
      fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 10 })),
      hostileValue(),
      {
        maxKeys: 6,
      },
    ),
    fc.jsonValue({ maxDepth: 2 }),
  )

const expectClientOutcome = (res: { status: number; text: string; body: any }) => {
  expect(res.status, res.text).toBeLessThan(500)
  if (res.status >= 400) expect(typeof res.body?.error?.code, res.text).toBe('string')
}

describe('memory routes under hostile input', () => {
  it('POST memories answers 2xx or a 4xx envelope and never writes for another user', async () => {
    const keys = [
      'content',
      'embedding',
      'significance_score',
      'emotional_intensity',
      'emotional_valence',
      'key_phrases',
      'interaction_context',
      'tier',
      'user_id',
    ]
    await fc.assert(
      fc.asyncProperty(hostileBody(keys), async (body) => {
        const res = await api(`/v1/memory/companions/${companionId}/memories`, {
          token: attacker.token,
          body,
        })
        expectClientOutcome(res)
      }),
      { numRuns: RUNS },
    )
    expect(await victimMemories()).toBe(0)
  })

  it('search answers 2xx or a 4xx envelope', async () => {
    const keys = ['query', 'embedding', 'k', 'mode', 'tiers', 'user_id']
    await fc.assert(
      fc.asyncProperty(hostileBody(keys), async (body) => {
        const res = await api(`/v1/memory/companions/${companionId}/search`, {
          token: attacker.token,
          body,
        })
        expectClientOutcome(res)
      }),
      { numRuns: RUNS },
    )
  })

  it('ids in paths answer 4xx for anything malformed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 80 }), async (id) => {
        const encoded = encodeURIComponent(id)
        for (const [method, path] of [
          ['GET', `/v1/memory/companions/${encoded}/memories/${encoded}`],
          ['DELETE', `/v1/memory/companions/${companionId}/memories/${encoded}`],
          ['GET', `/v1/memory/companions/${encoded}/relationship`],
          ['DELETE', `/v1/memory/users/${encoded}`],
        ]) {
          expectClientOutcome(await api(path, { method, token: attacker.token }))
        }
      }),
      { numRuns: RUNS },
    )
  })
})
