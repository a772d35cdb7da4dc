import { describe, expect, it } from 'vitest'
import { api, registerPlayer, sqlRows, tokenFor } from '../support/api'

/** A service token (the game's own identity) of a fresh account. */
async function serviceToken() {
  return tokenFor(await registerPlayer('svc'), ['service'])
}

/** POSTs an award with a fresh (or given) Idempotency-Key. */
function award(token: string, body: unknown, key: string = crypto.randomUUID()) {
  return api('/v1/admin/progression/awards', { token, body, headers: { 'Idempotency-Key': key } })
}

describe('POST /v1/admin/progression/awards', () => {
  it('awards essences with the transaction type apart from the source, and ranks up', async () => {
    const [player, token] = await Promise.all([registerPlayer('aw'), serviceToken()])
    const questId = crypto.randomUUID()
    const res = await award(token, {
      user_id: player.id,
      transaction_type: 'quest_completion',
      source_type: 'quest',
      source_id: questId,
      essences: { resonance: 150, wisdom: 20 },
      metadata: { completion_id: 'c-1' },
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      user_id: player.id,
      transaction_type: 'quest_completion',
      essences: { resonance: 150, wisdom: 20, creativity: 0, connection: 0, total: 170 },
      rank: { rank: 11, title: 'Explorer', previous_rank: 1, ranked_up: true },
      unlocked: { thoth: false, bob: false },
    })
    const rows = await sqlRows(
      `SELECT essence_type, amount, transaction_type, source_type, source_id, metadata
       FROM akashic_transactions WHERE user_id = $1 ORDER BY essence_type`,
      [player.id],
    )
    expect(rows).toEqual([
      expect.objectContaining({
        essence_type: 'resonance',
        amount: 150,
        transaction_type: 'quest_completion',
        source_type: 'quest',
        source_id: questId,
      }),
      expect.objectContaining({ essence_type: 'wisdom', amount: 20 }),
    ])
    expect((rows[0] as any).metadata).toMatchObject({ completion_id: 'c-1' })
  })

  it('awards attributes and refuses, whole, an award that would take one below zero', async () => {
    const [player, token] = await Promise.all([registerPlayer('attr'), serviceToken()])
    const ok = await award(token, {
      user_id: player.id,
      transaction_type: 'donation',
      source_type: 'donation',
      attributes: { faith: 5, strength: -10 },
    })
    expect(ok.status, ok.text).toBe(201)
    expect(ok.body.attributes, ok.text).toMatchObject({ faith: 15, strength: 0 })
    const below = await award(token, {
      user_id: player.id,
      transaction_type: 'manual',
      essences: { resonance: 500 },
      attributes: { agility: 3, strength: -1 },
    })
    expect(below.status, below.text).toBe(409)
    expect(below.body.error).toMatchObject({
      code: 'conflict',
      details: { attribute: 'strength', value: 0, change: -1 },
    })
    const [user] = await sqlRows<{ attr_strength: number; attr_agility: number; res: number }>(
      'SELECT attr_strength, attr_agility, akashic_resonance AS res FROM users WHERE id = $1',
      [player.id],
    )
    expect(user, 'nothing of the refused award was applied').toEqual({
      attr_strength: 0,
      attr_agility: 10,
      res: 0,
    })
    const audit = await sqlRows(
      `SELECT attribute_name, amount_change, source_type, metadata->>'transaction_type' AS type
       FROM attribute_transactions WHERE user_id = $1 ORDER BY attribute_name`,
      [player.id],
    )
    expect(audit).toEqual([
      { attribute_name: 'faith', amount_change: 5, source_type: 'donation', type: 'donation' },
      { attribute_name: 'strength', amount_change: -10, source_type: 'donation', type: 'donation' },
    ])
  })

  it('unlocks Thoth with the 13th distinct tablet, in that award only', async () => {
    const [player, token] = await Promise.all([registerPlayer('thoth'), serviceToken()])
    const tablets = (numbers: number[]) => numbers.map((n) => ({ tablet_number: n }))
    const first = await award(token, {
      user_id: player.id,
      transaction_type: 'manual',
      tablets: tablets([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12]),
    })
    expect(first.status, first.text).toBe(201)
    expect(first.body.tablets).toEqual({
      new: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
      already_found: [],
      found: 12,
    })
    expect(first.body.unlocked.thoth).toBe(false)
    const thirteenth = await award(token, {
      user_id: player.id,
      transaction_type: 'manual',
      tablets: [
        { tablet_number: 13, tablet_name: 'The Last Tablet', location_found: { x: 1 } },
        { tablet_number: 3 },
      ],
    })
    expect(thirteenth.body, thirteenth.text).toMatchObject({
      tablets: { new: [13], already_found: [3], found: 13 },
      unlocked: { thoth: true },
    })
    const again = await award(token, {
      user_id: player.id,
      transaction_type: 'manual',
      tablets: tablets([13]),
    })
    expect(again.body.unlocked.thoth, again.text).toBe(false)
    const discoveries = await sqlRows(
      `SELECT discovery_method FROM hidden_deity_discoveries WHERE user_id = $1 AND deity_name = 'thoth'`,
      [player.id],
    )
    expect(discoveries).toEqual([{ discovery_method: 'akashic_tablets' }])
  })

  it('unlocks Bob when he is discovered, and refuses a deity that is not hidden', async () => {
    const [player, token] = await Promise.all([registerPlayer('bob'), serviceToken()])
    const found = await award(token, {
      user_id: player.id,
      transaction_type: 'manual',
      hidden_deities: [{ deity_name: 'Bob', discovery_method: 'secret_door' }],
    })
    expect(found.status, found.text).toBe(201)
    expect(found.body).toMatchObject({ hidden_deities: { new: ['bob'] }, unlocked: { bob: true } })
    const zeus = await award(token, {
      user_id: player.id,
      transaction_type: 'manual',
      hidden_deities: [{ deity_name: 'zeus' }],
    })
    expect(zeus.status, zeus.text).toBe(400)
  })

  it('replays a retry with the same key and refuses the key with another body', async () => {
    const [player, token] = await Promise.all([registerPlayer('idem'), serviceToken()])
    const body = {
      user_id: player.id,
      transaction_type: 'passive_income',
      essences: { connection: 7 },
    }
    const key = crypto.randomUUID()
    const first = await award(token, body, key)
    const replay = await award(token, body, key)
    expect(replay.status, replay.text).toBe(201)
    expect(replay.text).toBe(first.text)
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true')
    const [{ connection }] = await sqlRows<{ connection: number }>(
      'SELECT akashic_connection AS connection FROM users WHERE id = $1',
      [player.id],
    )
    expect(connection, 'awarded once').toBe(7)
    const reused = await award(token, { ...body, essences: { connection: 8 } }, key)
    expect(reused.status, reused.text).toBe(422)
  })

  it.each([
    ['no Idempotency-Key', undefined, {}],
    ['an empty award', 'k', {}],
    ['an unknown transaction type', 'k', { transaction_type: 'gift' }],
    ['an unknown essence', 'k', { essences: { luck: 1 } }],
    ['an unknown field', 'k', { essences: { wisdom: 1 }, bonus: 1 }],
    ['an amount too large', 'k', { essences: { wisdom: 10_000_000 } }],
    ['a tablet 14', 'k', { tablets: [{ tablet_number: 14 }] }],
    ['a NUL in text', 'k', { essences: { wisdom: 1 }, source_type: 'a\u0000b' }],
    ['a malformed user id', 'k', { user_id: 'nope', essences: { wisdom: 1 } }],
  ])('refuses %s with 400', async (_, key, overrides) => {
    const [player, token] = await Promise.all([registerPlayer('bad'), serviceToken()])
    const res = await api('/v1/admin/progression/awards', {
      token,
      body: { user_id: player.id, transaction_type: 'manual', ...overrides },
      headers: key ? { 'Idempotency-Key': `${key}-${crypto.randomUUID()}` } : {},
    })
    expect(res.status, res.text).toBe(400)
  })

  it('answers 404 for an unknown user, with the user id in any case', async () => {
    const [player, token] = await Promise.all([registerPlayer('case'), serviceToken()])
    const unknown = await award(token, {
      user_id: crypto.randomUUID(),
      transaction_type: 'manual',
      essences: { wisdom: 1 },
    })
    expect(unknown.status, unknown.text).toBe(404)
    const upper = await award(token, {
      user_id: player.id.toUpperCase(),
      transaction_type: 'manual',
      essences: { wisdom: 1 },
    })
    expect(upper.status, upper.text).toBe(201)
    expect(upper.body.user_id).toBe(player.id)
  })

  it('is refused to players and moderators, and without a token', async () => {
    const player = await registerPlayer('nope')
    const body = { user_id: player.id, transaction_type: 'manual', essences: { resonance: 1000 } }
    for (const token of [player.token, await tokenFor(player, ['moderator'])]) {
      const res = await award(token, body)
      expect(res.status, res.text).toBe(403)
    }
    const anonymous = await api('/v1/admin/progression/awards', { body })
    expect(anonymous.status, anonymous.text).toBe(401)
    const admin = await award(await tokenFor(await registerPlayer('adm'), ['admin']), body)
    expect(admin.status, admin.text).toBe(201)
  })
})
