import { describe, expect, it } from 'vitest'
import { api, registerPlayer, sqlRows } from '../support/api'

describe('GET /v1/users/me', () => {
  it('returns the profile with balance, akashic and attribute fields', async () => {
    const player = await registerPlayer('me')
    const res = await api('/v1/users/me', { token: player.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.id).toBe(player.id)
    expect(res.body.balance).toMatchObject({ tokens: 100, total_earned: 100, total_spent: 0 })
    expect(res.body.akashic).toMatchObject({ resonance: 0, rank: 1, rank_title: 'Newcomer' })
    expect(Object.keys(res.body.attributes)).toHaveLength(12)
    expect(res.body.attributes.faith).toBe(10)
  })

  it('answers 404 for a valid token whose account was deleted', async () => {
    const player = await registerPlayer('gone')
    await sqlRows('DELETE FROM user_balances WHERE user_id = $1', [player.id])
    await sqlRows('DELETE FROM user_credentials WHERE user_id = $1', [player.id])
    await sqlRows('DELETE FROM refresh_tokens WHERE user_id = $1', [player.id])
    await sqlRows('DELETE FROM users WHERE id = $1', [player.id])
    const res = await api('/v1/users/me', { token: player.token })
    expect(res.status, res.text).toBe(404)
  })
})

describe('PATCH /v1/users/me', () => {
  it('changes display name, avatar and preferences', async () => {
    const player = await registerPlayer('patch')
    const res = await api('/v1/users/me', {
      method: 'PATCH',
      token: player.token,
      body: {
        display_name: 'Allen the Builder',
        avatar_url: 'https://cdn.example/avatar.png',
        metadata: { preferences: { ui_theme: 'dark', audio_volume: 0.8 } },
      },
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body.display_name).toBe('Allen the Builder')
    expect(res.body.avatar_url).toBe('https://cdn.example/avatar.png')
    expect(res.body.metadata.preferences).toEqual({ ui_theme: 'dark', audio_volume: 0.8 })
  })

  it.each([
    ['tokens', { tokens: 1_000_000 }],
    ['akashic_resonance', { akashic_resonance: 100_000 }],
    ['is_premium', { is_premium: true }],
    ['metadata.stats', { metadata: { preferences: {}, stats: { quests_completed: 999 } } }],
    ['username', { username: 'someone_else' }],
    ['a javascript: avatar', { avatar_url: 'javascript:alert(1)' }],
    ['an empty body', {}],
    ['a NUL character', { display_name: 'a\u0000b' }],
  ])('refuses %s with 400 and changes nothing', async (_, body) => {
    const player = await registerPlayer('mass')
    const before = await api('/v1/users/me', { token: player.token })
    const res = await api('/v1/users/me', { method: 'PATCH', token: player.token, body })
    expect(res.status, res.text).toBe(400)
    expect(res.body.error.code).toBe('validation_error')
    const after = await api('/v1/users/me', { token: player.token })
    expect({ ...after.body, last_seen: null }).toEqual({ ...before.body, last_seen: null })
  })
})

describe('GET /v1/users/:id', () => {
  it("returns another user's public subset only", async () => {
    const viewer = await registerPlayer('viewer')
    const target = await registerPlayer('target')
    const res = await api(`/v1/users/${target.id}`, { token: viewer.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.username).toBe(target.username)
    for (const hidden of ['email', 'balance', 'metadata', 'last_seen', 'attributes']) {
      expect(res.body, `must not expose ${hidden}`).not.toHaveProperty(hidden)
    }
  })

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const viewer = await registerPlayer('v404')
    const missing = await api(`/v1/users/${crypto.randomUUID()}`, { token: viewer.token })
    expect(missing.status, missing.text).toBe(404)
    const malformed = await api('/v1/users/not-a-uuid', { token: viewer.token })
    expect(malformed.status, malformed.text).toBe(400)
  })

  it('answers 401 without a token', async () => {
    const res = await api(`/v1/users/${crypto.randomUUID()}`)
    expect(res.status, res.text).toBe(401)
  })
})

describe('GET /v1/users', () => {
  it('pages through users by prefix with a cursor', async () => {
    const prefix = `pg${Date.now().toString(36)}`
    const players = []
    for (let i = 0; i < 5; i++) players.push(await registerPlayer(`${prefix}${i}`))
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = `?prefix=${prefix}&limit=2${cursor ? `&cursor=${cursor}` : ''}`
      const res = await api(`/v1/users${query}`, { token: players[0].token })
      expect(res.status, res.text).toBe(200)
      expect(res.body.items.length).toBeLessThanOrEqual(2)
      seen.push(...res.body.items.map((u: any) => u.username))
      cursor = res.body.next_cursor
    } while (cursor)
    expect(seen).toEqual(players.map((p) => p.username).sort())
  })

  it('treats % and _ in the prefix literally', async () => {
    const player = await registerPlayer('lit')
    const res = await api('/v1/users?prefix=%25', { token: player.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.items).toEqual([])
  })

  it.each(['limit=0', 'limit=101', 'limit=abc', 'cursor=not-a-cursor'])(
    'answers 400 for %s',
    async (q) => {
      const player = await registerPlayer('badq')
      const res = await api(`/v1/users?${q}`, { token: player.token })
      expect(res.status, res.text).toBe(400)
    },
  )
})
