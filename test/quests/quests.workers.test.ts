/**
 * `/v1/quests` through the real Worker entrance: creation with validation paths, visibility of
 * drafts, private quests and answer keys, list filters, the lifecycle, deletion and quest objects.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { api, registerPlayer, sqlRows, tokenFor, type Player } from '../support/api'
import { createQuest, EVERY_OBJECTIVE, openSession } from '../support/quests'

let creator: Player
let other: Player
let moderatorToken: string
let adminToken: string

beforeAll(async () => {
  ;[creator, other] = await Promise.all([registerPlayer('qc'), registerPlayer('qo')])
  const moderator = await registerPlayer('qm')
  moderatorToken = await tokenFor(moderator, ['moderator'])
  adminToken = await tokenFor(await registerPlayer('qadm'), ['admin'])
})

const patch = (token: string, id: string, body: unknown) =>
  api(`/v1/quests/${id}`, { method: 'PATCH', token, body })

/** A unique word, so list tests see only their own quests. */
const marker = () => `m${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`

describe('POST /v1/quests', () => {
  it('creates an active quest owned by the caller, with defaults applied to its objectives', async () => {
    const quest = await createQuest(creator)
    expect(quest).toMatchObject({
      creator_id: creator.id,
      creator_type: 'user',
      status: 'active',
      quest_version: 1,
      play_count: 0,
      supports_coop: true,
      requires_instance_type: 'any',
    })
    expect(quest.quest_data.objectives[0]).toMatchObject({ required: true, points: 100 })
    // The creator sees the answer key.
    expect(quest.quest_data.objectives[3].answer).toBe('Paris')
  })

  it('refuses a quest a session could not run, naming the path of each bad field', async () => {
    const res = await api('/v1/quests', {
      token: creator.token,
      body: {
        title: 'Broken',
        challenge_type: 'isekai_adventure',
        quest_data: {
          objectives: [
            { id: 'a', type: 'reach_location', location: { x: 0, y: 0, z: 0 }, radius: 0 },
            { id: 'b', type: 'collect_items', item_id: 'x', quantity: 5, objects: [] },
          ],
        },
        rewards: { items: [{ item_id: 'sword', quantity: 1 }], attributes: { discovery: 5 } },
      },
    })
    expect(res.status, res.text).toBe(400)
    expect(res.body.error.code).toBe('validation_error')
    const paths = res.body.error.details.map((d: { path: unknown[] }) => d.path.join('.'))
    expect(paths, res.text).toEqual(
      expect.arrayContaining([
        'quest_data.objectives.0.radius',
        'quest_data.objectives.1.objects',
        'rewards.items.0.item_id',
        'rewards.attributes',
      ]),
    )
  })

  it('refuses unknown keys, NUL characters, min above max and a deity quest from a player', async () => {
    const base = { title: 'x', challenge_type: 'microgame', quest_data: EVERY_OBJECTIVE }
    for (const [body, status] of [
      [{ ...base, secret: 1 }, 400],
      [{ ...base, title: 'bad\u0000title' }, 400],
      [{ ...base, min_participants: 3, max_participants: 2 }, 400],
      [{ ...base, challenge_type: 'Not A Slug' }, 400],
      [{ ...base, creator_type: 'deity' }, 403],
    ] as const) {
      const res = await api('/v1/quests', { token: creator.token, body })
      expect(res.status, `${JSON.stringify(body).slice(0, 80)}: ${res.text}`).toBe(status)
    }
    const deity = await api('/v1/quests', {
      token: adminToken,
      body: { ...base, creator_type: 'deity' },
    })
    expect(deity.status, deity.text).toBe(201)
  })

  it('needs a token', async () => {
    const res = await api('/v1/quests', { body: { title: 'x' } })
    expect(res.status, res.text).toBe(401)
  })
})

describe('GET /v1/quests/:id', () => {
  it('hides quiz answer keys from everyone but the creator and moderators', async () => {
    const quest = await createQuest(creator)
    const seen = await api(`/v1/quests/${quest.id.toUpperCase()}`, { token: other.token })
    expect(seen.status, seen.text).toBe(200)
    expect(seen.body.id).toBe(quest.id)
    const riddle = seen.body.quest_data.objectives.find((o: any) => o.id === 'riddle')
    expect(riddle.question).toBe('The capital of France?')
    expect(riddle).not.toHaveProperty('answer')
    const asModerator = await api(`/v1/quests/${quest.id}`, { token: moderatorToken })
    expect(asModerator.body.quest_data.objectives[3].answer).toBe('Paris')
  })

  it('answers 404 for a draft or a private quest of someone else, and for a bad id', async () => {
    const draft = await createQuest(creator, { status: 'draft' })
    const hidden = await createQuest(creator, { is_public: false })
    for (const id of [draft.id, hidden.id]) {
      const res = await api(`/v1/quests/${id}`, { token: other.token })
      expect(res.status, res.text).toBe(404)
      expect((await api(`/v1/quests/${id}`, { token: creator.token })).status).toBe(200)
      expect((await api(`/v1/quests/${id}`, { token: moderatorToken })).status).toBe(200)
    }
    expect((await api('/v1/quests/not-a-uuid', { token: other.token })).status).toBe(400)
  })
})

describe('GET /v1/quests', () => {
  it('filters by type, category, tags (any or all), difficulty, status and text, newest first', async () => {
    const word = marker()
    const make = (body: Record<string, unknown>) =>
      createQuest(creator, { description: `quest about ${word}`, ...body })
    const a = await make({
      challenge_type: 'microgame',
      category: 'trivia',
      tags: ['red', 'blue'],
      difficulty_rating: 2,
    })
    const b = await make({
      challenge_type: 'microgame',
      category: 'puzzle',
      tags: ['red'],
      difficulty_rating: 4,
    })
    const c = await make({ challenge_type: 'educational', tags: ['blue'], status: 'draft' })
    const list = async (query: string, token = other.token) => {
      const res = await api(`/v1/quests?q=${word}&${query}`, { token })
      expect(res.status, res.text).toBe(200)
      return res.body.items.map((q: { id: string }) => q.id)
    }
    expect(await list('')).toEqual([b.id, a.id])
    expect(await list('challenge_type=microgame&category=trivia')).toEqual([a.id])
    expect(await list('tags=red,blue&tags_match=all')).toEqual([a.id])
    expect(await list('tags=blue')).toEqual([a.id])
    expect(await list('difficulty_rating=4')).toEqual([b.id])
    // Drafts: only the creator's own (or staff) and only when asked for.
    expect(await list('status=draft')).toEqual([])
    expect(await list('status=draft', creator.token)).toEqual([c.id])
    expect(await list('status=draft', moderatorToken)).toEqual([c.id])
  })

  it('pages with a cursor and refuses a forged one', async () => {
    const word = marker()
    const ids = []
    for (let i = 0; i < 3; i++) ids.push((await createQuest(creator, { description: word })).id)
    const first = await api(`/v1/quests?q=${word}&limit=2`, { token: other.token })
    expect(first.body.items).toHaveLength(2)
    const second = await api(`/v1/quests?q=${word}&limit=2&cursor=${first.body.next_cursor}`, {
      token: other.token,
    })
    expect([...first.body.items, ...second.body.items].map((q: any) => q.id)).toEqual(ids.reverse())
    expect(second.body.next_cursor).toBeNull()
    const forged = await api(`/v1/quests?cursor=eyJ0IjoieCJ9`, { token: other.token })
    expect(forged.status, forged.text).toBe(400)
    expect((await api(`/v1/quests?difficulty_rating=9`, { token: other.token })).status).toBe(400)
  })
})

describe('PATCH /v1/quests/:id', () => {
  it('follows the lifecycle, with featuring for moderators only, and versions what sessions run', async () => {
    const quest = await createQuest(creator, { status: 'draft' })
    expect((await patch(creator.token, quest.id, { status: 'active' })).body.status).toBe('active')
    const featuring = await patch(creator.token, quest.id, { status: 'featured' })
    expect(featuring.status, featuring.text).toBe(403)
    const featured = await patch(moderatorToken, quest.id, { status: 'featured' })
    expect(featured.status, featured.text).toBe(200)
    expect(featured.body.featured_at).not.toBeNull()
    const toDraft = await patch(creator.token, quest.id, { status: 'draft' })
    expect(toDraft.status, toDraft.text).toBe(409)
    expect((await patch(creator.token, quest.id, { status: 'archived' })).body.status).toBe(
      'archived',
    )
    const renamed = await patch(creator.token, quest.id, { title: 'Renamed' })
    expect(renamed.body.quest_version, renamed.text).toBe(1)
    const changed = await patch(creator.token, quest.id, { time_limit_seconds: 600 })
    expect(changed.body.quest_version, changed.text).toBe(2)
  })

  it('refuses others (403, or 404 when they cannot see it) and invalid changes (400)', async () => {
    const quest = await createQuest(creator)
    expect((await patch(other.token, quest.id, { title: 'mine now' })).status).toBe(403)
    const hidden = await createQuest(creator, { is_public: false })
    expect((await patch(other.token, hidden.id, { title: 'x' })).status).toBe(404)
    const invalid = await patch(creator.token, quest.id, { min_participants: 5 })
    expect(invalid.status, invalid.text).toBe(400)
    expect((await patch(creator.token, quest.id, {})).status).toBe(400)
    const badData = await patch(creator.token, quest.id, {
      quest_data: { objectives: [{ id: 'x' }] },
    })
    expect(badData.status, badData.text).toBe(400)
    expect(badData.body.error.details[0].path.slice(0, 3)).toEqual(['quest_data', 'objectives', 0])
  })
})

describe('DELETE /v1/quests/:id', () => {
  it('deletes a quest nobody played and refuses one with sessions (archive it instead)', async () => {
    const unplayed = await createQuest(creator)
    expect(
      (await api(`/v1/quests/${unplayed.id}`, { method: 'DELETE', token: other.token })).status,
    ).toBe(403)
    const deleted = await api(`/v1/quests/${unplayed.id}`, {
      method: 'DELETE',
      token: creator.token,
    })
    expect(deleted.status, deleted.text).toBe(204)
    expect((await api(`/v1/quests/${unplayed.id}`, { token: creator.token })).status).toBe(404)

    const played = await createQuest(creator)
    await openSession(creator, played.id)
    const refused = await api(`/v1/quests/${played.id}`, {
      method: 'DELETE',
      token: moderatorToken,
    })
    expect(refused.status, refused.text).toBe(409)
    expect(refused.body.error.details).toMatchObject({ sessions: 1, completions: 0 })
  })
})

describe('/v1/quests/:id/objects', () => {
  it('links, lists and unlinks existing objects, by the creator only', async () => {
    const quest = await createQuest(creator)
    const [asset] = await sqlRows<{ id: string }>(
      `INSERT INTO assets (asset_name, category, glb_path, license, source, original_author, display_name)
       VALUES ($1, 'prop', '/a.glb', 'CC0', 'polyhaven', 'Poly Haven', 'Lantern') RETURNING id`,
      [`lantern_${crypto.randomUUID()}`],
    )
    const body = {
      object_id: asset.id,
      object_type: 'asset',
      relationship_type: 'location',
      metadata: { hint: 'north' },
    }
    const path = `/v1/quests/${quest.id}/objects`
    expect((await api(path, { token: other.token, body })).status).toBe(403)
    const added = await api(path, { token: creator.token, body })
    expect(added.status, added.text).toBe(201)
    expect((await api(path, { token: creator.token, body })).status).toBe(200)
    const missing = await api(path, {
      token: creator.token,
      body: { ...body, object_id: crypto.randomUUID() },
    })
    expect(missing.status, missing.text).toBe(404)
    const listed = await api(path, { token: other.token })
    expect(listed.body.items, listed.text).toEqual([
      expect.objectContaining({
        object_id: asset.id,
        object_type: 'asset',
        metadata: { hint: 'north' },
      }),
    ])
    const unlink = `${path}/${asset.id}/location`
    expect((await api(unlink, { method: 'DELETE', token: other.token })).status).toBe(403)
    expect((await api(unlink, { method: 'DELETE', token: creator.token })).status).toBe(204)
    expect((await api(unlink, { method: 'DELETE', token: creator.token })).status).toBe(404)
  })
})
