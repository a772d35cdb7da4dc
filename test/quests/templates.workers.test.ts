/**
 * `/v1/challenge-templates` through the real Worker entrance: listing, and quests generated from
 * a template's rules with a seed (the same seed gives the same quest).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { CHALLENGE_TEMPLATES } from '../../db/seed/challenge-templates'
import { api, registerPlayer, sqlRows, type Player } from '../support/api'

let player: Player
let other: Player

beforeAll(async () => {
  ;[player, other] = await Promise.all([registerPlayer('tp'), registerPlayer('to')])
})

/** Inserts a template (fresh name) and returns its id. */
async function insertTemplate(
  seedName: string,
  overrides: { is_public?: boolean; created_by?: string } = {},
) {
  const seed = CHALLENGE_TEMPLATES.find((t) => t.name === seedName)!
  const [row] = await sqlRows<{ id: string }>(
    `INSERT INTO challenge_templates (name, challenge_type, category, template_structure, default_difficulty,
                                      is_public, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [
      `${seedName} ${crypto.randomUUID()}`,
      seed.challengeType,
      seed.category,
      JSON.stringify(seed.templateStructure),
      seed.defaultDifficulty,
      overrides.is_public ?? true,
      overrides.created_by ?? null,
    ],
  )
  return row.id
}

const instantiate = (token: string, templateId: string, body: Record<string, unknown> = {}) =>
  api(`/v1/challenge-templates/${templateId}/quests`, { token, body })

describe('GET /v1/challenge-templates', () => {
  it('lists public templates and says which ones a session can run', async () => {
    const hunt = await insertTemplate('Treasure Hunt')
    const match3 = await insertTemplate('Classic Match-3')
    const res = await api('/v1/challenge-templates?challenge_type=isekai_adventure&limit=100', {
      token: player.token,
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body.items.find((t: any) => t.id === hunt)).toMatchObject({ instantiable: true })
    const one = await api(`/v1/challenge-templates/${match3}`, { token: player.token })
    expect(one.body).toMatchObject({ id: match3, instantiable: false, challenge_type: 'microgame' })
  })

  it('hides a private template from everyone but its author', async () => {
    const hidden = await insertTemplate('Treasure Hunt', {
      is_public: false,
      created_by: player.id,
    })
    expect((await api(`/v1/challenge-templates/${hidden}`, { token: other.token })).status).toBe(
      404,
    )
    expect((await api(`/v1/challenge-templates/${hidden}`, { token: player.token })).status).toBe(
      200,
    )
    expect((await instantiate(other.token, hidden)).status).toBe(404)
  })
})

describe('POST /v1/challenge-templates/:id/quests', () => {
  it('generates the same quest for the same seed and another for another seed', async () => {
    const template = await insertTemplate('Treasure Hunt')
    const first = await instantiate(player.token, template, { seed: 'moonrise', difficulty: 3 })
    expect(first.status, first.text).toBe(201)
    const again = await instantiate(other.token, template, { seed: 'moonrise', difficulty: 3 })
    const different = await instantiate(player.token, template, { seed: 'sunset', difficulty: 3 })
    expect([again.status, different.status], different.text).toEqual([201, 201])
    expect(again.body.quest_data, again.text).toEqual(first.body.quest_data)
    expect(again.body.id).not.toBe(first.body.id)
    expect(different.body.quest_data).not.toEqual(first.body.quest_data)
    expect(first.body).toMatchObject({
      creator_id: player.id,
      difficulty_rating: 3,
      // 20 resonance × 1.5² at difficulty 3; 10 tokens × 1.5².
      rewards: { akashic_resonance: 45, tokens: 23 },
      time_limit_seconds: 1200,
      metadata: { generated_from: { template_id: template, seed: 'moonrise', difficulty: 3 } },
    })
    const types = first.body.quest_data.objectives.map((o: { type: string }) => o.type)
    expect(new Set(types)).toEqual(
      new Set(['reach_location', 'collect_items', 'interact', 'answer']),
    )
    // The one who did not create the generated quest does not see the riddle's answer.
    const seen = await api(`/v1/quests/${first.body.id}`, { token: other.token })
    expect(
      seen.body.quest_data.objectives.find((o: any) => o.type === 'answer'),
    ).not.toHaveProperty('answer')
    const [counted] = await sqlRows<{ times_instantiated: number }>(
      'SELECT times_instantiated FROM challenge_templates WHERE id = $1',
      [template],
    )
    expect(counted.times_instantiated).toBe(3)
  })

  it('refuses a template a session cannot run (409), a bad seed (400) and a missing template (404)', async () => {
    const match3 = await insertTemplate('Classic Match-3')
    const refused = await instantiate(player.token, match3)
    expect(refused.status, refused.text).toBe(409)
    const hunt = await insertTemplate('Treasure Hunt')
    expect((await instantiate(player.token, hunt, { seed: 'has space' })).status).toBe(400)
    expect((await instantiate(player.token, hunt, { difficulty: 6 })).status).toBe(400)
    expect((await instantiate(player.token, crypto.randomUUID())).status).toBe(404)
  })
})
