import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { createMemoryClient } from '../../db/client'
import {
  pcaModelToBytes,
  pqModelToBytes,
  toByteaHex,
  toPgVectorLiteral,
} from '../../functions/memory/compression/codec'
import { projectPca, trainPca, type PcaModel } from '../../functions/memory/compression/pca'
import { encodePq, trainPq, type PqModel } from '../../functions/memory/compression/pq'
import { clusteredVectors } from '../../functions/memory/compression/synthetic'
import { enforceTierCaps, readTierCaps, SEED_TIER_CAPS } from '../../functions/memory/tiers'
import { api, registerPlayer, testEnv, tokenFor } from '../support/api'
import { memorySql } from '../support/companions'

/**
 * A fresh shared companion (an active avatar agent, which every player may use: decision 93), so
 * tests never share a pair and two players can each keep memories with the same companion.
 */
const companion = async (prefix = 'c') =>
  (
    await memorySql<{ agent_id: string }>(
      'INSERT INTO avatar_agents (agent_name) VALUES ($1) RETURNING agent_id',
      [`${prefix}-${crypto.randomUUID().slice(0, 12)}`],
    )
  )[0].agent_id

/** A unit 768-d vector pointing mostly along axis `axis`, tilted by `tilt` towards axis + 1. */
function unitAlong(axis: number, tilt = 0): number[] {
  const v = new Array<number>(768).fill(0)
  v[axis] = Math.cos(tilt)
  v[(axis + 1) % 768] = Math.sin(tilt)
  return v
}

const write = (player: { token: string }, companionId: string, body: Record<string, unknown>) =>
  api(`/v1/memory/companions/${companionId}/memories`, { token: player.token, body })

const search = (player: { token: string }, companionId: string, body: Record<string, unknown>) =>
  api(`/v1/memory/companions/${companionId}/search`, { token: player.token, body })

const relationship = (player: { token: string }, companionId: string, query = '') =>
  api(`/v1/memory/companions/${companionId}/relationship${query}`, { token: player.token })

let service: { token: string }
let admin: { token: string }

beforeAll(async () => {
  service = {
    token: await tokenFor({ id: crypto.randomUUID(), username: 'svc_memory' }, ['service']),
  }
  const adminPlayer = await registerPlayer('madm')
  admin = { token: await tokenFor(adminPlayer, ['admin']) }
})

describe('POST /v1/memory/companions/:companionId/memories', () => {
  it('stores a memory with hash, snippet, key phrases, tier and sizes', async () => {
    const player = await registerPlayer('mem')
    const content = `The player loves sailing and told the story of sailing around the lighthouse at dawn. ${'x'.repeat(300)}`
    const res = await write(player, await companion(), {
      content,
      significance_score: 0.6,
      emotional_intensity: 0.4,
      emotional_valence: 0.5,
      interaction_context: { zone: 'harbour' },
    })
    expect(res.status, res.text).toBe(201)
    const expectedHash = Array.from(
      new Uint8Array(
        await crypto.subtle.digest(
          'SHA-256',
          new TextEncoder().encode(content.toLowerCase().replace(/\s+/g, ' ').trim()),
        ),
      ),
      (b) => b.toString(16).padStart(2, '0'),
    ).join('')
    expect(res.body).toMatchObject({
      user_id: player.id,
      tier: 'important',
      compression_type: 'full',
      conversation_hash: expectedHash,
      original_size: 3072,
      compressed_size: 3072,
      duplicate: false,
      interaction_context: { zone: 'harbour' },
    })
    expect(res.body.snippet).toHaveLength(200)
    expect(res.body.key_phrases[0]).toBe('sailing')
    expect(res.body.key_phrases.length).toBeLessThanOrEqual(8)
    expect(res.body.key_phrases).not.toContain('the')
    const given = await write(player, await companion(), {
      content: 'a walk by the sea',
      significance_score: 0.3,
      key_phrases: ['sea', 'walk', 'sea'],
    })
    expect(given.body.key_phrases).toEqual(['sea', 'walk'])
    const [row] = await memorySql(
      'SELECT full_embedding IS NOT NULL AS embedded FROM companion_memories WHERE memory_id = $1',
      [res.body.memory_id],
    )
    expect(row.embedded).toBe(true)
  })

  it('chooses the tier from significance: core, important, background, sparse', async () => {
    const player = await registerPlayer('tier')
    const companionId = await companion()
    const tiers: Record<string, unknown> = {}
    for (const [score, text] of [
      [0.85, 'first kiss under the stars'],
      [0.5, 'likes blue cheese'],
      [0.2, 'said hello on tuesday'],
      [0.1, 'the weather was grey'],
    ] as const) {
      const res = await write(player, companionId, { content: text, significance_score: score })
      expect(res.status, res.text).toBe(201)
      tiers[text] = [res.body.tier, res.body.compression_type, res.body.compressed_size]
    }
    expect(tiers).toEqual({
      'first kiss under the stars': ['core', 'full', 3072],
      'likes blue cheese': ['important', 'full', 3072],
      'said hello on tuesday': ['background', 'full', 3072],
      'the weather was grey': ['sparse', 'sparse_only', 0],
    })
  })

  it('returns the existing memory (200) for the same normalized text and counts an access', async () => {
    const player = await registerPlayer('dup')
    const companionId = await companion()
    const first = await write(player, companionId, {
      content: 'We   built a treehouse together',
      significance_score: 0.7,
    })
    expect(first.status, first.text).toBe(201)
    const again = await write(player, companionId, {
      content: '  we built a TREEHOUSE\n together ',
      significance_score: 0.9,
    })
    expect(again.status, again.text).toBe(200)
    expect(again.body).toMatchObject({ memory_id: first.body.memory_id, duplicate: true })
    expect(again.body.access_count).toBe(first.body.access_count + 1)
    const rows = await memorySql(
      'SELECT count(*)::int AS n FROM companion_memories WHERE companion_id = $1',
      [companionId],
    )
    expect(rows[0].n).toBe(1)
    // Another companion, or another user, stores its own copy.
    expect(
      (
        await write(player, await companion(), {
          content: 'we built a treehouse together',
          significance_score: 0.7,
        })
      ).status,
    ).toBe(201)
    const other = await registerPlayer('dup2')
    expect(
      (
        await write(other, companionId, {
          content: 'we built a treehouse together',
          significance_score: 0.7,
        })
      ).status,
    ).toBe(201)
  })

  it('links a new memory to close memories of the same pair only', async () => {
    const player = await registerPlayer('link')
    const companionId = await companion()
    const a = await write(player, companionId, {
      content: 'fishing at the lake',
      significance_score: 0.6,
      embedding: unitAlong(10),
    })
    const far = await write(player, companionId, {
      content: 'baking bread',
      significance_score: 0.6,
      embedding: unitAlong(200),
    })
    const b = await write(player, companionId, {
      content: 'fishing at the river',
      significance_score: 0.6,
      embedding: unitAlong(10, 0.3),
    })
    expect(b.status, b.text).toBe(201)
    expect(b.body.related.map((r: any) => r.memory_id)).toEqual([a.body.memory_id])
    expect(b.body.related[0].strength).toBeCloseTo(Math.cos(0.3), 4)
    expect(far.body.related).toEqual([])
    const links = await memorySql(
      'SELECT related_memory_id FROM memory_relationships WHERE memory_id = $1',
      [b.body.memory_id],
    )
    expect(links.map((l) => l.related_memory_id)).toEqual([a.body.memory_id])
  })

  it('writes for another user only with a service token', async () => {
    const player = await registerPlayer('svcw')
    const other = await registerPlayer('svcw2')
    const companionId = await companion()
    const denied = await write(player, companionId, {
      content: 'not mine',
      significance_score: 0.5,
      user_id: other.id,
    })
    expect(denied.status, denied.text).toBe(403)
    expect(denied.body.error.code).toBe('forbidden')
    const ok = await write(service, companionId, {
      content: 'on behalf',
      significance_score: 0.5,
      user_id: other.id,
    })
    expect(ok.status, ok.text).toBe(201)
    expect(ok.body.user_id).toBe(other.id)
  })

  it('answers 400 with the envelope for every bad input, 401 without a token', async () => {
    const player = await registerPlayer('bad')
    const companionId = await companion()
    const bad: Array<[string, unknown]> = [
      ['no content', { significance_score: 0.5 }],
      ['blank content', { content: '   ', significance_score: 0.5 }],
      ['no significance', { content: 'x' }],
      ['significance above 1', { content: 'x', significance_score: 1.5 }],
      ['valence below -1', { content: 'x', significance_score: 0.5, emotional_valence: -2 }],
      ['short embedding', { content: 'x', significance_score: 0.5, embedding: [1, 2, 3] }],
      [
        'zero embedding',
        { content: 'x', significance_score: 0.5, embedding: new Array(768).fill(0) },
      ],
      [
        'string in embedding',
        { content: 'x', significance_score: 0.5, embedding: [...new Array(767).fill(0), 'a'] },
      ],
      ['unknown tier', { content: 'x', significance_score: 0.5, tier: 'legendary' }],
      ['unknown key', { content: 'x', significance_score: 0.5, memory_id: crypto.randomUUID() }],
      ['user_id not a uuid', { content: 'x', significance_score: 0.5, user_id: 'me' }],
      [
        'embedding beyond float32',
        { content: 'x', significance_score: 0.5, embedding: [1e300, ...new Array(767).fill(0)] },
      ],
      ['NUL in content', { content: 'a\u0000b', significance_score: 0.5 }],
      ['NUL in a key phrase', { content: 'x', significance_score: 0.5, key_phrases: ['a\u0000'] }],
      [
        'NUL in the context',
        { content: 'x', significance_score: 0.5, interaction_context: { k: '\u0000' } },
      ],
      [
        'context too large',
        { content: 'x', significance_score: 0.5, interaction_context: { k: 'x'.repeat(9000) } },
      ],
      ['not an object', [1, 2]],
    ]
    for (const [name, body] of bad) {
      const res = await write(player, companionId, body as Record<string, unknown>)
      expect(res.status, `${name}: ${res.text}`).toBe(400)
      expect(res.body.error.code, name).toBe('validation_error')
    }
    const badCompanion = await write(player, 'bad%20id%3F', {
      content: 'x',
      significance_score: 0.5,
    })
    expect(badCompanion.status, badCompanion.text).toBe(400)
    const tooLong = await write(player, 'c'.repeat(51), { content: 'x', significance_score: 0.5 })
    expect(tooLong.status, tooLong.text).toBe(400)
    const anonymous = await api(`/v1/memory/companions/${companionId}/memories`, {
      body: { content: 'x', significance_score: 0.5 },
    })
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.error.code).toBe('unauthorized')
  })
})

describe('GET /v1/memory/companions/:companionId/memories', () => {
  it('pages through your memories newest first, optionally by tier', async () => {
    const player = await registerPlayer('list')
    const other = await registerPlayer('list2')
    const companionId = await companion()
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      const res = await write(player, companionId, {
        content: `memory number ${i}`,
        significance_score: i % 2 ? 0.9 : 0.1,
      })
      ids.push(res.body.memory_id)
    }
    await write(other, companionId, { content: 'not yours', significance_score: 0.9 })
    const base = `/v1/memory/companions/${companionId}/memories`
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res: any = await api(`${base}?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
        token: player.token,
      })
      expect(res.status, res.text).toBe(200)
      seen.push(...res.body.items.map((m: any) => m.memory_id))
      cursor = res.body.next_cursor
    } while (cursor)
    expect(seen).toEqual([...ids].reverse())
    const core = await api(`${base}?tier=core`, { token: player.token })
    expect(core.body.items.map((m: any) => m.memory_id)).toEqual([ids[3], ids[1]])
    expect((await api(`${base}?user_id=${other.id}`, { token: player.token })).status).toBe(403)
    const svc = await api(`${base}?user_id=${other.id}`, { token: service.token })
    expect(svc.body.items.map((m: any) => m.content)).toEqual(['not yours'])
    for (const query of ['?limit=0', '?limit=101', '?cursor=zzz', '?tier=gold', '?user_id=x']) {
      const res = await api(`${base}${query}`, { token: player.token })
      expect(res.status, `${query}: ${res.text}`).toBe(400)
    }
  })
})

describe('tier caps', () => {
  /** Inserts `count` memories of one tier directly (the API path is tested separately). */
  const fill = (
    companionId: string,
    userId: string,
    tier: string,
    count: number,
    significance: string,
  ) =>
    memorySql(
      `INSERT INTO companion_memories (companion_id, user_id, content, tier, significance_score,
         compression_type, full_embedding, conversation_hash, key_phrases, emotional_intensity,
         emotional_valence, original_size, compressed_size, created_at, last_accessed)
       SELECT $1, $2::uuid, $3 || ' filler ' || i, $3::memory_tier_enum, ${significance}, 'full',
         ('[' || (1 + i % 7) || repeat(',0', 767) || ']')::vector, md5($3 || i), '{}', 0, 0,
         3072, 3072, now() - interval '1 day', now() - interval '1 day'
       FROM generate_series(1, $4::int) AS i`,
      [companionId, userId, tier, count],
    )

  it('moves the least significant core memory to important when the 51st arrives', async () => {
    const player = await registerPlayer('cap')
    const companionId = await companion('cap')
    // Core significance 0.81 .. 0.99 (the least significant: filler 1 at 0.81 + 0.0036).
    await fill(companionId, player.id, 'core', 50, '0.81 + i * 0.0036')
    const res = await write(player, companionId, {
      content: 'the day we met the dragon',
      significance_score: 0.95,
      embedding: unitAlong(5),
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body.tier).toBe('core')
    expect(res.body.demoted).toHaveLength(1)
    expect(res.body.demoted[0]).toMatchObject({ from: 'core', to: 'important' })
    const [moved] = await memorySql(
      `SELECT content, tier, compression_type, full_embedding IS NOT NULL AS embedded
       FROM companion_memories WHERE memory_id = $1`,
      [res.body.demoted[0].memory_id],
    )
    expect(moved).toEqual({
      content: 'core filler 1',
      tier: 'important',
      compression_type: 'full',
      embedded: true,
    })
    const rel = await relationship(player, companionId)
    expect(rel.body).toMatchObject({
      core_memories_count: 50,
      important_memories_count: 1,
      total_memories: 51,
    })
  })

  it('reads the caps from memory_tier_config (checked in a rolled-back transaction)', async () => {
    const player = await registerPlayer('cfg')
    const companionId = await companion('cfg')
    await fill(companionId, player.id, 'core', 3, '0.8 + i * 0.01')
    const client = createMemoryClient(testEnv.MEMORY_DATABASE_URL!, {
      wsProxy: testEnv.NEON_WS_PROXY,
    })
    const rollback = new Error('rollback')
    let seen: { caps: unknown; moves: unknown } | undefined
    try {
      await client.db.transaction(async (tx) => {
        await tx.execute(sql`
          INSERT INTO memory_tier_config (tier, max_memories) VALUES ('core', 2)
          ON CONFLICT (tier) DO UPDATE SET max_memories = 2`)
        const caps = await readTierCaps(tx)
        const moves = await enforceTierCaps(tx, { companionId, userId: player.id }, 'core', caps)
        seen = { caps, moves }
        throw rollback
      })
    } catch (error) {
      if (error !== rollback) throw error
    } finally {
      await client.close()
    }
    expect(seen?.caps).toEqual({ ...SEED_TIER_CAPS, core: 2 })
    expect(seen?.moves).toEqual([{ memory_id: expect.any(String), from: 'core', to: 'important' }])
    const rel = await relationship(player, companionId)
    expect(rel.body.core_memories_count, 'rolled back').toBe(3)
  })

  it('a new memory less significant than a full tier moves down itself', async () => {
    const player = await registerPlayer('cap2')
    const companionId = await companion('cap')
    await fill(companionId, player.id, 'core', 50, '0.99')
    const res = await write(player, companionId, {
      content: 'a fairly important day',
      significance_score: 0.85,
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body.tier).toBe('important')
    expect(res.body.demoted).toEqual([
      { memory_id: res.body.memory_id, from: 'core', to: 'important' },
    ])
  })

  it('cascades core → important → background → sparse, dropping the embedding into sparse', async () => {
    const player = await registerPlayer('casc')
    const companionId = await companion('casc')
    await fill(companionId, player.id, 'core', 50, '0.9')
    await fill(companionId, player.id, 'important', 200, '0.6')
    await fill(companionId, player.id, 'background', 500, '0.3')
    const res = await write(player, companionId, {
      content: 'a momentous promise',
      significance_score: 0.99,
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body.demoted.map((d: any) => `${d.from}>${d.to}`)).toEqual([
      'core>important',
      'important>background',
      'background>sparse',
    ])
    const [sparse] = await memorySql(
      `SELECT tier, compression_type, compressed_size, full_embedding IS NULL AND compressed_embedding IS NULL
         AND quantized_embedding IS NULL AS bare
       FROM companion_memories WHERE memory_id = $1`,
      [res.body.demoted[2].memory_id],
    )
    expect(sparse).toEqual({
      tier: 'sparse',
      compression_type: 'sparse_only',
      compressed_size: 0,
      bare: true,
    })
    const rel = await relationship(player, companionId)
    expect(rel.body).toMatchObject({
      core_memories_count: 50,
      important_memories_count: 200,
      background_memories_count: 500,
      sparse_memories_count: 1,
      total_memories: 751,
      total_storage_bytes: 750 * 3072,
    })
  })
})

describe('authorization', () => {
  it('a player never reads, searches or deletes another player’s memories', async () => {
    const owner = await registerPlayer('own')
    const intruder = await registerPlayer('intr')
    const companionId = await companion()
    const created = await write(owner, companionId, {
      content: 'my secret garden',
      significance_score: 0.9,
    })
    expect(created.status, created.text).toBe(201)
    const path = `/v1/memory/companions/${companionId}/memories/${created.body.memory_id}`

    expect((await api(path, { token: intruder.token })).status).toBe(404)
    const del = await api(path, { method: 'DELETE', token: intruder.token })
    expect(del.status, del.text).toBe(404)
    expect(del.body.error.code).toBe('not_found')
    const asOther = await search(intruder, companionId, {
      query: 'secret garden',
      user_id: owner.id,
    })
    expect(asOther.status, asOther.text).toBe(403)
    const own = await search(intruder, companionId, { query: 'secret garden' })
    expect(own.status, own.text).toBe(200)
    expect(own.body.items).toEqual([])
    expect((await relationship(intruder, companionId, `?user_id=${owner.id}`)).status).toBe(403)
    const forget = await api(`/v1/memory/users/${owner.id}`, {
      method: 'DELETE',
      token: intruder.token,
    })
    expect(forget.status, forget.text).toBe(403)

    // Still there, for its owner and for a service.
    expect((await api(path, { token: owner.token })).status).toBe(200)
    const svc = await search(service, companionId, { query: 'secret garden', user_id: owner.id })
    expect(svc.body.items.map((i: any) => i.memory_id)).toEqual([created.body.memory_id])
    expect((await relationship(admin, companionId, `?user_id=${owner.id}`)).status).toBe(200)
    // A memory under another companion id is not found either.
    expect(
      (
        await api(`/v1/memory/companions/${await companion()}/memories/${created.body.memory_id}`, {
          token: owner.token,
        })
      ).status,
    ).toBe(404)
  })

  it('lets the owner and a service delete a memory', async () => {
    const owner = await registerPlayer('del')
    const companionId = await companion()
    const a = await write(owner, companionId, { content: 'first', significance_score: 0.9 })
    const b = await write(owner, companionId, { content: 'second', significance_score: 0.9 })
    const pathOf = (id: string) => `/v1/memory/companions/${companionId}/memories/${id}`
    expect(
      (await api(pathOf(a.body.memory_id), { method: 'DELETE', token: owner.token })).status,
    ).toBe(204)
    expect(
      (await api(pathOf(b.body.memory_id), { method: 'DELETE', token: service.token })).status,
    ).toBe(204)
    expect((await api(pathOf(a.body.memory_id), { token: owner.token })).status).toBe(404)
    expect((await api(pathOf('not-a-uuid'), { method: 'DELETE', token: owner.token })).status).toBe(
      400,
    )
  })
})

describe('POST /v1/memory/companions/:companionId/search', () => {
  // 300 synthetic vectors in 10 clusters train the models; the stored memories come from 4 other
  // clusters' members, far from each other.
  const data = clusteredVectors({ count: 304, clusters: 4, spread: 0.5, seed: 11 })
  const training = data.slice(0, 300)
  const probes = data.slice(300) // one per cluster
  let pcaModelId: string
  let pqModelId: string
  let pca: PcaModel
  let pq: PqModel

  beforeAll(async () => {
    pca = trainPca(training)
    pq = trainPq(training, { iterations: 4 })
    const tag = crypto.randomUUID().slice(0, 8)
    ;[{ model_id: pcaModelId }] = await memorySql(
      `INSERT INTO pca_models (model_name, n_components, explained_variance_ratio, model_data, training_samples)
       VALUES ($1, 384, $2, $3::bytea, 300) RETURNING model_id`,
      [`test-pca-${tag}`, pca.explainedVariance, toByteaHex(pcaModelToBytes(pca))],
    )
    ;[{ model_id: pqModelId }] = await memorySql(
      `INSERT INTO pq_models (model_name, centroids_data, training_samples) VALUES ($1, $2::bytea, 300)
       RETURNING model_id`,
      [`test-pq-${tag}`, toByteaHex(pqModelToBytes(pq))],
    )
  }, 120_000)

  it('finds a memory of every tier by vector recall (full, PCA-384, PQ-48) and sparse by text', async () => {
    const player = await registerPlayer('rec')
    const companionId = await companion('rec')
    const insert = (content: string, tier: string, columns: Record<string, unknown>) => {
      const names = Object.keys(columns)
      return memorySql(
        `INSERT INTO companion_memories (companion_id, user_id, content, tier, significance_score,
           conversation_hash, key_phrases, emotional_intensity, emotional_valence ${names.map((n) => `, ${n}`).join('')})
         VALUES ($1, $2, $3, $4::memory_tier_enum, 0.5, md5($3), '{}', 0, 0 ${names.map((_, i) => `, $${i + 5}`).join('')})
         RETURNING memory_id`,
        [companionId, player.id, content, tier, ...Object.values(columns)],
      ).then((rows) => rows[0].memory_id as string)
    }
    const core = await insert('core memory', 'core', {
      compression_type: 'full',
      full_embedding: toPgVectorLiteral(probes[0]),
    })
    const important = await insert('important memory', 'important', {
      compression_type: 'pca384',
      compressed_embedding: toPgVectorLiteral(projectPca(pca, probes[1])),
      pca_model_id: pcaModelId,
    })
    const background = await insert('background memory', 'background', {
      compression_type: 'pq48',
      quantized_embedding: toByteaHex(encodePq(pq, probes[2])),
      pq_model_id: pqModelId,
    })
    const sparse = await insert('the lighthouse keeper sang', 'sparse', {
      compression_type: 'sparse_only',
    })

    for (const [probe, expected, tier] of [
      [probes[0], core, 'core'],
      [probes[1], important, 'important'],
      [probes[2], background, 'background'],
    ] as const) {
      const res = await search(player, companionId, {
        embedding: Array.from(probe),
        mode: 'vector',
        k: 3,
      })
      expect(res.status, res.text).toBe(200)
      expect(res.body.items[0], res.text).toMatchObject({ memory_id: expected, tier })
      expect(res.body.items[0].similarity).toBeGreaterThan(0.8)
      expect(res.body.items.map((i: any) => i.memory_id)).not.toContain(sparse)
    }
    const onlyImportant = await search(player, companionId, {
      embedding: Array.from(probes[0]),
      mode: 'vector',
      tiers: ['important'],
    })
    expect(onlyImportant.body.items.map((i: any) => i.tier)).toEqual(['important'])

    const text = await search(player, companionId, { query: 'lighthouse keeper', mode: 'text' })
    expect(text.status, text.text).toBe(200)
    expect(text.body.items.map((i: any) => i.memory_id)).toEqual([sparse])
    const hybrid = await search(player, companionId, {
      query: 'lighthouse',
      embedding: Array.from(probes[3]),
    })
    expect(hybrid.body.items.map((i: any) => i.memory_id)).toContain(sparse)

    // Each returned memory got one access, recorded with its score.
    const [access] = await memorySql(
      `SELECT m.access_count, count(p.*)::int AS logged, max(p.access_type) AS type
       FROM companion_memories m JOIN memory_access_patterns p USING (memory_id)
       WHERE m.memory_id = $1 GROUP BY m.access_count`,
      [important],
    )
    expect(access.access_count).toBe(access.logged)
    expect(access.logged).toBeGreaterThanOrEqual(2)
  })

  it('hybrid ranking prefers the text match when the vectors tie', async () => {
    const player = await registerPlayer('hyb')
    const companionId = await companion()
    const embedding = unitAlong(42)
    const plain = await write(player, companionId, {
      content: 'we talked about the weather',
      significance_score: 0.6,
      embedding,
    })
    const match = await write(player, companionId, {
      content: 'we talked about volcanoes erupting',
      significance_score: 0.6,
      embedding: unitAlong(42, 1e-7),
    })
    expect(match.status, match.text).toBe(201)
    const res = await search(player, companionId, { query: 'volcanoes', embedding, k: 2 })
    expect(res.status, res.text).toBe(200)
    expect(res.body.mode).toBe('hybrid')
    expect(
      res.body.items.map((i: any) => i.memory_id),
      res.text,
    ).toEqual([match.body.memory_id, plain.body.memory_id])
    expect(res.body.items[0].text_score).toBeGreaterThan(0)
    expect(res.body.items[1].text_score).toBe(0)
    expect(res.body.items[0].similarity).toBeCloseTo(
      0.7 * 1 + 0.3 * res.body.items[0].text_score,
      4,
    )
  })

  it('embeds a text query with the local embedder when no embedding is given', async () => {
    const player = await registerPlayer('emb')
    const companionId = await companion()
    const target = await write(player, companionId, {
      content: 'the red kite flew over the castle',
      significance_score: 0.9,
    })
    await write(player, companionId, {
      content: 'cooking pasta with garlic',
      significance_score: 0.9,
    })
    const res = await search(player, companionId, {
      query: 'red kite castle',
      mode: 'vector',
      k: 1,
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body.items.map((i: any) => i.memory_id)).toEqual([target.body.memory_id])
  })

  it('answers 400 for bad search input', async () => {
    const player = await registerPlayer('sbad')
    const companionId = await companion()
    for (const body of [
      {},
      { query: 'x', k: 0 },
      { query: 'x', k: 51 },
      { query: 'x', mode: 'fuzzy' },
      { embedding: unitAlong(1), mode: 'text' },
      { query: 'x', tiers: [] },
      { query: 'x', tiers: ['gold'] },
      { query: 'x', extra: true },
      { query: 'a\u0000b' },
    ]) {
      const res = await search(player, companionId, body)
      expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(400)
      expect(res.body.error.code).toBe('validation_error')
    }
  })
})

describe('GET /v1/memory/companions/:companionId/relationship', () => {
  it('follows inserts and deletes and advances the stage with interactions', async () => {
    const player = await registerPlayer('rel')
    const companionId = await companion()
    expect((await relationship(player, companionId)).status).toBe(404)
    const ids: string[] = []
    for (const [i, score] of [0.9, 0.6, 0.1].entries()) {
      const res = await write(player, companionId, {
        content: `shared moment ${i}`,
        significance_score: score,
      })
      ids.push(res.body.memory_id)
      const rel = await relationship(player, companionId)
      expect(rel.status, rel.text).toBe(200)
      expect(rel.body.stage).toBe(i < 2 ? 'stranger' : 'acquaintance')
    }
    let rel = await relationship(player, companionId)
    expect(rel.body).toMatchObject({
      user_id: player.id,
      companion_id: companionId,
      interaction_count: 3,
      total_memories: 3,
      core_memories_count: 1,
      important_memories_count: 1,
      sparse_memories_count: 1,
      total_storage_bytes: 2 * 3072,
    })
    expect(rel.body.trust_level).toBeCloseTo((0.9 + 0.6 + 0.1) / 3, 6)

    const del = await api(`/v1/memory/companions/${companionId}/memories/${ids[0]}`, {
      method: 'DELETE',
      token: player.token,
    })
    expect(del.status, del.text).toBe(204)
    rel = await relationship(player, companionId)
    expect(rel.body).toMatchObject({
      total_memories: 2,
      core_memories_count: 0,
      total_storage_bytes: 3072,
      stage: 'acquaintance',
    })
    expect(rel.body.trust_level).toBeCloseTo(0.35, 6)
  })

  it('reaches friend after 15 interactions with enough trust', async () => {
    const player = await registerPlayer('fr')
    const companionId = await companion()
    for (let i = 0; i < 15; i++) {
      await write(player, companionId, {
        content: `adventure number ${i}`,
        significance_score: 0.45,
        tier: 'sparse',
      })
    }
    const rel = await relationship(player, companionId)
    expect(rel.body).toMatchObject({
      interaction_count: 15,
      stage: 'friend',
      sparse_memories_count: 15,
    })
  })
})

describe('DELETE /v1/memory/users/:userId', () => {
  it('removes every row that mentions the user and nothing of others', async () => {
    const player = await registerPlayer('fgt')
    const bystander = await registerPlayer('fgt2')
    const c1 = await companion()
    const c2 = await companion()
    const a = await write(player, c1, {
      content: 'walk in the park',
      significance_score: 0.9,
      embedding: unitAlong(7),
    })
    await write(player, c1, {
      content: 'walk in the woods',
      significance_score: 0.5,
      embedding: unitAlong(7, 0.1),
    })
    await write(player, c2, { content: 'a song by the fire', significance_score: 0.3 })
    const kept = await write(bystander, c1, {
      content: 'walk in the park',
      significance_score: 0.9,
    })
    await search(player, c1, { query: 'walk' })
    await memorySql(
      `INSERT INTO compression_analytics (companion_id, user_id, period_start, period_end)
       VALUES ($1, $2, now() - interval '1 day', now()), ($1, $3, now() - interval '1 day', now())`,
      [c1, player.id, bystander.id],
    )
    // Snapshots of each pair, and a companion-wide one (an aggregate over both users).
    await memorySql(
      `INSERT INTO memory_analytics (companion_id, user_id, total_memories)
       VALUES ($1, $2, 2), ($3, $2, 1), ($1, $4, 1), ($1, NULL, 3)`,
      [c1, player.id, c2, bystander.id],
    )

    const res = await api(`/v1/memory/users/${player.id}`, {
      method: 'DELETE',
      token: player.token,
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toEqual({
      user_id: player.id,
      memories: 3,
      relationships: 2,
      compression_analytics: 1,
      memory_analytics: 2,
      conversations: 0,
    })

    const [left] = await memorySql(
      `SELECT (SELECT count(*) FROM companion_memories WHERE user_id = $1)::int AS memories,
              (SELECT count(*) FROM companion_relationships WHERE user_id = $1)::int AS relationships,
              (SELECT count(*) FROM compression_analytics WHERE user_id = $1)::int AS analytics,
              (SELECT count(*) FROM memory_analytics WHERE user_id = $1)::int AS snapshots,
              (SELECT count(*) FROM memory_access_patterns WHERE memory_id = $2)::int AS accesses,
              (SELECT count(*) FROM memory_relationships WHERE memory_id = $2 OR related_memory_id = $2)::int AS links`,
      [player.id, a.body.memory_id],
    )
    expect(left).toEqual({
      memories: 0,
      relationships: 0,
      analytics: 0,
      snapshots: 0,
      accesses: 0,
      links: 0,
    })
    expect((await relationship(player, c1)).status).toBe(404)
    const other = await relationship(bystander, c1)
    expect(other.body.total_memories).toBe(1)
    expect(
      (
        await api(`/v1/memory/companions/${c1}/memories/${kept.body.memory_id}`, {
          token: bystander.token,
        })
      ).status,
    ).toBe(200)
    const [bystanderRows] = await memorySql(
      `SELECT (SELECT count(*) FROM compression_analytics WHERE user_id = $1)::int AS analytics,
              (SELECT count(*) FROM memory_analytics WHERE user_id = $1)::int AS snapshots,
              (SELECT count(*) FROM memory_analytics
               WHERE companion_id = $2 AND user_id IS NULL)::int AS companion_wide`,
      [bystander.id, c1],
    )
    expect(bystanderRows).toEqual({ analytics: 1, snapshots: 1, companion_wide: 1 })
  })

  it('lets an admin forget anyone', async () => {
    const player = await registerPlayer('fgta')
    await write(player, await companion(), { content: 'remember me', significance_score: 0.5 })
    const res = await api(`/v1/memory/users/${player.id}`, { method: 'DELETE', token: admin.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.memories).toBe(1)
    expect(
      (await api('/v1/memory/users/nope', { method: 'DELETE', token: admin.token })).status,
    ).toBe(400)
  })
})
