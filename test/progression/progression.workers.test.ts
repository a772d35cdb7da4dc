import { describe, expect, it } from 'vitest'
import { api, registerPlayer, type ApiResponse, sqlRows } from '../support/api'
import { awardTo } from '../support/leaderboards'

/** The id of one of a deity's blessings. */
async function blessingOf(deity: string, blessing: string) {
  const [row] = await sqlRows<{ deity_id: string; id: string }>(
    `SELECT b.deity_id, b.id FROM deity_blessings b JOIN deities d ON d.id = b.deity_id
     WHERE d.deity_name = $1 AND b.blessing_name = $2`,
    [deity, blessing],
  )
  return row
}

describe('GET /v1/progression/me', () => {
  it("shows a new player's essences, rank and progress, attributes, tablets and unlocks", async () => {
    const player = await registerPlayer('prog')
    const res = await api('/v1/progression/me', { token: player.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({
      user_id: player.id,
      essences: { resonance: 0, wisdom: 0, creativity: 0, connection: 0, total: 0 },
      rank: {
        rank: 1,
        title: 'Newcomer',
        tier: { title: 'Newcomer', min_resonance: 0, max_resonance: 99 },
        next_rank: { rank: 2, at_resonance: 10, resonance_needed: 10 },
        next_tier: { title: 'Explorer', at_resonance: 100, resonance_needed: 100 },
        tier_progress: 0,
      },
      attributes_total: { base: 120, effective: 120 },
      bond: null,
      tablets: { found: 0, required: 13 },
      hidden_deities_discovered: 0,
      tablets_found: [],
      hidden_deities: [],
      unlocks: { bob: false, thoth: false },
    })
    expect(res.body.attributes.faith).toEqual({ base: 10, blessing_bonus: 0, effective: 10 })
    expect(Object.keys(res.body.attributes)).toHaveLength(12)
  })

  it('applies the active blessing amplified by faith to the effective attributes', async () => {
    const player = await registerPlayer('bless')
    // Faith 60: amplification 1.5. Hunter's Precision: +8 agility, +5 cunning → +12, +8 (7.5 up).
    await awardTo(player.id, { essences: { resonance: 200 }, attributes: { faith: 50 } })
    const hunter = await blessingOf('artemis', 'hunters_precision')
    const bond = await api(`/v1/deities/${hunter.deity_id}/bond`, {
      token: player.token,
      body: { blessing_id: hunter.id },
    })
    expect(bond.status, bond.text).toBe(201)
    const res = await api('/v1/progression/me', { token: player.token })
    expect(res.body.bond, res.text).toMatchObject({
      amplification: 1.5,
      bonuses: { agility: 12, cunning: 8 },
    })
    expect(res.body.attributes.agility).toEqual({ base: 10, blessing_bonus: 12, effective: 22 })
    expect(res.body.attributes.cunning).toEqual({ base: 10, blessing_bonus: 8, effective: 18 })
    expect(res.body.attributes_total).toEqual({ base: 170, effective: 190 })
    expect(res.body.rank).toMatchObject({
      rank: 12,
      title: 'Explorer',
      next_rank: { rank: 13, at_resonance: 220, resonance_needed: 20 },
    })
    // Faith raised to 100: amplification 2.0, as the bond follows faith (trigger).
    await awardTo(player.id, { attributes: { faith: 40 } })
    const doubled = await api('/v1/progression/me', { token: player.token })
    expect(doubled.body.attributes.agility.effective, doubled.text).toBe(26)
  })
})

describe('GET /v1/progression/:user_id', () => {
  it("shows anyone a player's public progression without the private fields", async () => {
    const [owner, viewer] = await Promise.all([registerPlayer('pub'), registerPlayer('view')])
    await awardTo(owner.id, { tablets: [{ tablet_number: 4 }], essences: { creativity: 3 } })
    const res = await api(`/v1/progression/${owner.id.toUpperCase()}`, { token: viewer.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({
      user_id: owner.id,
      essences: { creativity: 3, total: 3 },
      tablets: { found: 1, required: 13 },
    })
    for (const hidden of ['tablets_found', 'hidden_deities', 'unlocks']) {
      expect(res.body, `must not expose ${hidden}`).not.toHaveProperty(hidden)
    }
  })

  it('answers 404 for an unknown user, 400 for a malformed id, 401 without a token', async () => {
    const viewer = await registerPlayer('v')
    const unknown = await api(`/v1/progression/${crypto.randomUUID()}`, { token: viewer.token })
    expect(unknown.status, unknown.text).toBe(404)
    const bad = await api('/v1/progression/not-an-id', { token: viewer.token })
    expect(bad.status, bad.text).toBe(400)
    const anonymous = await api('/v1/progression/me')
    expect(anonymous.status, anonymous.text).toBe(401)
  })
})

describe('GET /v1/progression/me/essence-history and /me/attribute-history', () => {
  it('pages your history newest first, and only yours', async () => {
    const [player, other] = await Promise.all([registerPlayer('hist'), registerPlayer('oth')])
    await awardTo(player.id, { essences: { resonance: 1 } })
    await awardTo(player.id, { essences: { resonance: 2, wisdom: 3 } })
    await awardTo(player.id, { essences: { connection: 4 }, attributes: { magic: 2 } })
    await awardTo(other.id, { essences: { resonance: 99 } })
    const seen: any[] = []
    let cursor: string | null = null
    do {
      const res: ApiResponse = await api(
        `/v1/progression/me/essence-history?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: player.token },
      )
      expect(res.status, res.text).toBe(200)
      seen.push(...res.body.items)
      cursor = res.body.next_cursor
    } while (cursor)
    expect(seen.map((e) => e.amount)).toHaveLength(4)
    expect(seen[0]).toMatchObject({
      essence_type: 'connection',
      amount: 4,
      transaction_type: 'manual',
    })
    expect(seen[3]).toMatchObject({ essence_type: 'resonance', amount: 1 })
    const attributes = await api('/v1/progression/me/attribute-history', { token: player.token })
    expect(attributes.body.items, attributes.text).toMatchObject([
      { attribute_name: 'magic', amount_change: 2, source_type: 'manual' },
    ])
    const forged = await api(
      '/v1/progression/me/essence-history?cursor=eyJ0IjoiMjAyNi0wMi0zMVQwMDowMDowMFoiLCJpZCI6IngifQ',
      {
        token: player.token,
      },
    )
    expect(forged.status, forged.text).toBe(400)
  })
})
