import { beforeAll, describe, expect, it } from 'vitest'
import { api, registerPlayer, tokenFor, type Player } from '../support/api'

const BASE = '/v1/admin/memory/avatar-agents'
/** A unique agent name (≤ 50 characters) sharing `prefix`, so a list can be narrowed to a test. */
const agentName = (prefix: string, label: string) => `${prefix}-${label}`

let admin: string
let service: string
let player: Player

beforeAll(async () => {
  const operator = await registerPlayer('agtadm')
  admin = await tokenFor(operator, ['admin'])
  service = await tokenFor(operator, ['service'])
  player = await registerPlayer('agtply')
})

const create = (token: string, body: unknown) => api(BASE, { token, body })

describe('POST /v1/admin/memory/avatar-agents', () => {
  it('creates an agent with defaults for the omitted fields', async () => {
    const name = agentName(crypto.randomUUID().slice(0, 8), 'bob')
    const res = await create(admin, { agent_name: name, voice_id: 'voice-7' })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      agent_name: name,
      voice_id: 'voice-7',
      avatar_url: null,
      personality_prompt: null,
      is_active: true,
    })
    expect(res.body.agent_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(Date.parse(res.body.created_at)).not.toBeNaN()
  })

  it('answers 409 for a name already taken', async () => {
    const name = agentName(crypto.randomUUID().slice(0, 8), 'twin')
    expect((await create(admin, { agent_name: name })).status).toBe(201)
    const again = await create(service, { agent_name: name })
    expect(again.status, again.text).toBe(409)
    expect(again.body.error.code).toBe('conflict')
  })

  it('rejects unknown fields, empty or long names and non-http avatar URLs', async () => {
    for (const body of [
      { agent_name: 'x', agent_id: crypto.randomUUID() },
      { agent_name: '   ' },
      { agent_name: 'n'.repeat(51) },
      { agent_name: 'ok-url', avatar_url: 'javascript:alert(1)' },
      { agent_name: 'ok-prompt', personality_prompt: 'p'.repeat(8_001) },
      {},
    ]) {
      const res = await create(admin, body)
      expect(res.status, `${JSON.stringify(body).slice(0, 80)} → ${res.text}`).toBe(400)
      expect(res.body.error.code).toBe('validation_error')
    }
  })

  it('refuses players (403) and anonymous callers (401)', async () => {
    const res = await create(player.token, { agent_name: `p-${crypto.randomUUID().slice(0, 8)}` })
    expect(res.status, res.text).toBe(403)
    expect((await api(BASE, { body: { agent_name: 'anon' } })).status).toBe(401)
  })
})

describe('GET /v1/admin/memory/avatar-agents', () => {
  it('pages through agents by name with a cursor and filters by is_active', async () => {
    const prefix = `zz${crypto.randomUUID().slice(0, 8)}`
    const names = ['a', 'b', 'c', 'd', 'e'].map((l) => agentName(prefix, l))
    for (const [i, name] of names.entries()) {
      expect((await create(admin, { agent_name: name, is_active: i !== 2 })).status).toBe(201)
    }
    // Page through everything and keep ours: names are unique, so the walk must meet each once.
    const seen: { agent_name: string; is_active: boolean }[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2'
      const res = await api(`${BASE}${query}`, { token: service })
      expect(res.status, res.text).toBe(200)
      expect(res.body.items.length).toBeLessThanOrEqual(2)
      seen.push(...res.body.items)
      cursor = res.body.next_cursor
      pages += 1
    } while (cursor && pages < 1_000)
    const ours = seen.filter((a) => a.agent_name.startsWith(prefix))
    expect(ours.map((a) => a.agent_name)).toEqual(names)
    const sorted = seen.map((a) => a.agent_name)
    expect(sorted).toEqual([...sorted].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)))

    const inactive = await api(`${BASE}?is_active=false&limit=100`, { token: admin })
    expect(inactive.status, inactive.text).toBe(200)
    const inactiveNames = inactive.body.items.map((a: { agent_name: string }) => a.agent_name)
    expect(inactiveNames).toContain(names[2])
    expect(inactiveNames).not.toContain(names[0])
  })

  it('rejects a forged cursor and a bad filter', async () => {
    expect((await api(`${BASE}?cursor=not-a-cursor`, { token: admin })).status).toBe(400)
    expect((await api(`${BASE}?is_active=maybe`, { token: admin })).status).toBe(400)
  })

  it('refuses players', async () => {
    expect((await api(BASE, { token: player.token })).status).toBe(403)
  })
})

describe('GET, PATCH, DELETE /v1/admin/memory/avatar-agents/{agentId}', () => {
  it('reads, changes and deletes an agent', async () => {
    const name = agentName(crypto.randomUUID().slice(0, 8), 'life')
    const created = await create(admin, {
      agent_name: name,
      avatar_url: 'https://cdn.example.test/bob.glb',
      personality_prompt: 'Warm and curious.',
    })
    const id = created.body.agent_id
    const read = await api(`${BASE}/${id}`, { token: service })
    expect(read.status, read.text).toBe(200)
    expect(read.body).toEqual(created.body)

    const patched = await api(`${BASE}/${id}`, {
      method: 'PATCH',
      token: admin,
      body: { is_active: false, voice_id: 'v2', avatar_url: null },
    })
    expect(patched.status, patched.text).toBe(200)
    expect(patched.body).toMatchObject({
      agent_name: name,
      is_active: false,
      voice_id: 'v2',
      avatar_url: null,
      personality_prompt: 'Warm and curious.',
    })

    const deleted = await api(`${BASE}/${id}`, { method: 'DELETE', token: admin })
    expect(deleted.status, deleted.text).toBe(204)
    expect((await api(`${BASE}/${id}`, { token: admin })).status).toBe(404)
    expect((await api(`${BASE}/${id}`, { method: 'DELETE', token: admin })).status).toBe(404)
  })

  it('answers 409 when renaming onto a taken name and 404 for an unknown agent', async () => {
    const prefix = crypto.randomUUID().slice(0, 8)
    await create(admin, { agent_name: agentName(prefix, 'one') })
    const two = await create(admin, { agent_name: agentName(prefix, 'two') })
    const clash = await api(`${BASE}/${two.body.agent_id}`, {
      method: 'PATCH',
      token: admin,
      body: { agent_name: agentName(prefix, 'one') },
    })
    expect(clash.status, clash.text).toBe(409)
    const unknown = await api(`${BASE}/${crypto.randomUUID()}`, {
      method: 'PATCH',
      token: admin,
      body: { is_active: true },
    })
    expect(unknown.status, unknown.text).toBe(404)
  })

  it('rejects an empty or unknown-field patch and a malformed id', async () => {
    const created = await create(admin, {
      agent_name: agentName(crypto.randomUUID().slice(0, 8), 'p'),
    })
    const url = `${BASE}/${created.body.agent_id}`
    for (const body of [{}, { agent_id: crypto.randomUUID() }, { created_at: 'now' }]) {
      const res = await api(url, { method: 'PATCH', token: admin, body })
      expect(res.status, res.text).toBe(400)
    }
    expect((await api(`${BASE}/not-a-uuid`, { token: admin })).status).toBe(400)
  })

  it('refuses players on every method', async () => {
    const created = await create(admin, {
      agent_name: agentName(crypto.randomUUID().slice(0, 8), 'sec'),
    })
    const url = `${BASE}/${created.body.agent_id}`
    expect((await api(url, { token: player.token })).status).toBe(403)
    const patch = await api(url, { method: 'PATCH', token: player.token, body: { voice_id: 'x' } })
    expect(patch.status).toBe(403)
    expect((await api(url, { method: 'DELETE', token: player.token })).status).toBe(403)
    expect((await api(url, { token: admin })).status).toBe(200)
  })
})
