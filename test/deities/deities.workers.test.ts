import { describe, expect, it } from 'vitest'
import { api, registerPlayer, sqlRows } from '../support/api'
import { awardTo } from '../support/leaderboards'

async function deityNamed(token: string, name: string) {
  const res = await api('/v1/deities', { token })
  return res.body.items.find((d: any) => d.deity_name === name)
}

const bond = (token: string, deityId: string, blessingId: string) =>
  api(`/v1/deities/${deityId}/bond`, { token, body: { blessing_id: blessingId } })

describe('GET /v1/deities', () => {
  it('lists the 12 ring deities with their rank locks, and no hidden deity until found', async () => {
    const player = await registerPlayer('deity')
    const res = await api('/v1/deities', { token: player.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.items).toHaveLength(12)
    const zeus = res.body.items.find((d: any) => d.deity_name === 'zeus')
    expect(zeus.lock).toEqual({
      unlocked: false,
      unlock_method: 'rank',
      min_rank_required: 76,
      your_rank: 1,
    })
    const hermes = res.body.items.find((d: any) => d.deity_name === 'hermes')
    expect(hermes.lock.unlocked).toBe(true)
    expect(hermes.blessings).toHaveLength(3)
    expect(res.body.items.some((d: any) => d.is_hidden)).toBe(false)
  })

  it('shows Thoth locked once discovered, with tablet progress, and unlocked at 13 tablets', async () => {
    const player = await registerPlayer('th')
    await awardTo(player.id, {
      hidden_deities: [{ deity_name: 'thoth' }],
      tablets: [1, 2, 3].map((n) => ({ tablet_number: n })),
    })
    const found = await deityNamed(player.token, 'thoth')
    expect(found.lock).toEqual({
      unlocked: false,
      unlock_method: 'akashic_tablets',
      tablets_required: 13,
      tablets_found: 3,
    })
    const blessing = found.blessings[0].id
    const locked = await bond(player.token, found.id, blessing)
    expect(locked.status, locked.text).toBe(403)
    expect(locked.body.error.details.lock.unlock_method).toBe('akashic_tablets')
    await awardTo(player.id, {
      tablets: [4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map((n) => ({ tablet_number: n })),
    })
    expect((await deityNamed(player.token, 'thoth')).lock.unlocked).toBe(true)
    const bonded = await bond(player.token, found.id, blessing)
    expect(bonded.status, bonded.text).toBe(201)
  })
})

describe('GET /v1/deities/:id', () => {
  it('answers 404 for a hidden deity the caller has not found, and for an unknown id', async () => {
    const [finder, other] = await Promise.all([registerPlayer('f'), registerPlayer('o')])
    await awardTo(finder.id, { hidden_deities: [{ deity_name: 'bob' }] })
    const bob = await deityNamed(finder.token, 'bob')
    expect(bob.lock).toEqual({ unlocked: true, unlock_method: 'special_unlock' })
    const seen = await api(`/v1/deities/${bob.id.toUpperCase()}`, { token: finder.token })
    expect(seen.status, seen.text).toBe(200)
    const hidden = await api(`/v1/deities/${bob.id}`, { token: other.token })
    expect(hidden.status, hidden.text).toBe(404)
    const hiddenBond = await bond(other.token, bob.id, bob.blessings[0].id)
    expect(hiddenBond.status, hiddenBond.text).toBe(404)
    const unknown = await api(`/v1/deities/${crypto.randomUUID()}`, { token: other.token })
    expect(unknown.status, unknown.text).toBe(404)
    const bad = await api('/v1/deities/zeus', { token: other.token })
    expect(bad.status, bad.text).toBe(400)
  })
})

describe('POST /v1/deities/:id/bond and DELETE /v1/deities/bond', () => {
  it('bonds, keeps one active bond when switching, and ends it', async () => {
    const player = await registerPlayer('bond')
    const hermes = await deityNamed(player.token, 'hermes')
    const demeter = await deityNamed(player.token, 'demeter')
    const first = await bond(player.token, hermes.id, hermes.blessings[0].id)
    expect(first.status, first.text).toBe(201)
    expect(first.body.bond).toMatchObject({
      is_active: true,
      deity: { deity_name: 'hermes' },
      amplification: 1,
      faith_at_bonding: 10,
    })
    const same = await bond(player.token, hermes.id, hermes.blessings[0].id)
    expect(same.status, same.text).toBe(200)
    expect(same.body.bond.id).toBe(first.body.bond.id)
    const switched = await bond(player.token, demeter.id, demeter.blessings[1].id)
    expect(switched.status, switched.text).toBe(201)
    const rows = await sqlRows<{ deity: string; is_active: boolean; ended: boolean }>(
      `SELECT d.deity_name AS deity, b.is_active, b.unbonded_at IS NOT NULL AS ended
       FROM user_deity_bonds b JOIN deities d ON d.id = b.deity_id
       WHERE b.user_id = $1 ORDER BY b.bonded_at`,
      [player.id],
    )
    expect(rows).toEqual([
      { deity: 'hermes', is_active: false, ended: true },
      { deity: 'demeter', is_active: true, ended: false },
    ])
    const current = await api('/v1/deities/bond', { token: player.token })
    expect(current.body.bond, current.text).toMatchObject({ deity: { deity_name: 'demeter' } })
    const listed = await deityNamed(player.token, 'demeter')
    expect(listed.bonded).toBe(true)
    const ended = await api('/v1/deities/bond', { method: 'DELETE', token: player.token })
    expect(ended.status, ended.text).toBe(200)
    expect(ended.body.bond).toMatchObject({ is_active: false, deity: { deity_name: 'demeter' } })
    expect(ended.body.bond.unbonded_at).not.toBeNull()
    const none = await api('/v1/deities/bond', { token: player.token })
    expect(none.body, none.text).toEqual({ bond: null })
    const again = await api('/v1/deities/bond', { method: 'DELETE', token: player.token })
    expect(again.status, again.text).toBe(404)
  })

  it('refuses a locked deity with 403 and changes nothing', async () => {
    const player = await registerPlayer('lock')
    const zeus = await deityNamed(player.token, 'zeus')
    const res = await bond(player.token, zeus.id, zeus.blessings[0].id)
    expect(res.status, res.text).toBe(403)
    expect(res.body.error.details.lock).toMatchObject({ min_rank_required: 76, your_rank: 1 })
    const current = await api('/v1/deities/bond', { token: player.token })
    expect(current.body.bond).toBeNull()
    // At rank 76 (20,000 resonance) Zeus opens.
    await awardTo(player.id, { essences: { resonance: 20_000 } })
    const open = await bond(player.token, zeus.id, zeus.blessings[0].id)
    expect(open.status, open.text).toBe(201)
  })

  it("refuses another deity's blessing (404), a bad body (400) and a missing token (401)", async () => {
    const player = await registerPlayer('bb')
    const hermes = await deityNamed(player.token, 'hermes')
    const demeter = await deityNamed(player.token, 'demeter')
    const foreign = await bond(player.token, hermes.id, demeter.blessings[0].id)
    expect(foreign.status, foreign.text).toBe(404)
    for (const body of [
      {},
      { blessing_id: 'x' },
      { blessing_id: hermes.blessings[0].id, extra: 1 },
    ]) {
      const res = await api(`/v1/deities/${hermes.id}/bond`, { token: player.token, body })
      expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(400)
    }
    const anonymous = await api(`/v1/deities/${hermes.id}/bond`, {
      body: { blessing_id: hermes.blessings[0].id },
    })
    expect(anonymous.status, anonymous.text).toBe(401)
  })
})
