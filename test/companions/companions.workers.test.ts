import { describe, expect, it } from 'vitest'
import { api, registerPlayer, tokenFor } from '../support/api'
import {
  createCompanion,
  createSharedAgent,
  memorySql,
  openStream,
  say,
  startConversation,
  streamAll,
  waitForMessages,
} from '../support/companions'

describe('POST /v1/companions', () => {
  it('creates an awake companion with the seed defaults', async () => {
    const owner = await registerPlayer('cmp')
    const res = await api('/v1/companions', {
      token: owner.token,
      body: { name: 'Freya', personality_prompt: 'Warm and curious.', appearance: { hair: 'red' } },
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      kind: 'own',
      owner_id: owner.id,
      name: 'Freya',
      voice_id: 'sultry_witch',
      behavior_state: 'following',
      memory_capacity: 1000,
      is_active: true,
      appearance: { hair: 'red' },
    })
  })

  it('refuses bad bodies with 400 and anonymous callers with 401', async () => {
    const owner = await registerPlayer('cmpbad')
    for (const body of [
      {},
      { name: '' },
      { name: 'a\u0000b' },
      { name: 'x'.repeat(51) },
      { name: 'F', behavior_state: 'dancing' },
      { name: 'F', memory_capacity: 5 },
      { name: 'F', voice_id: 'Not A Slug' },
      { name: 'F', owner_id: owner.id },
      { name: 'F', appearance: { nested: { a: 1 } } },
    ]) {
      const res = await api('/v1/companions', { token: owner.token, body })
      expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(400)
    }
    expect((await api('/v1/companions', { body: { name: 'F' } })).status).toBe(401)
  })

  it('keeps at most 3 companions awake at once, also when asked 10 times at once', async () => {
    const owner = await registerPlayer('cmpcap')
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api('/v1/companions', { token: owner.token, body: { name: `C${i}` } }),
      ),
    )
    expect(results.filter((r) => r.status === 201)).toHaveLength(3)
    const refused = results.find((r) => r.status === 409)!
    expect(refused.body.error.details.reason, refused.text).toBe('too_many_active')
    const asleep = await api('/v1/companions', {
      token: owner.token,
      body: { name: 'Sleepy', is_active: false },
    })
    expect(asleep.status, asleep.text).toBe(201)
    const wake = await api(`/v1/companions/${asleep.body.id}`, {
      method: 'PATCH',
      token: owner.token,
      body: { is_active: true },
    })
    expect(wake.status, wake.text).toBe(409)
  })
})

describe('GET /v1/companions', () => {
  it('lists your companions, then the shared ones, page by page', async () => {
    const owner = await registerPlayer('cmplist')
    const a = await createCompanion(owner, { name: 'A' })
    const b = await createCompanion(owner, { name: 'B' })
    const agent = await createSharedAgent()
    const seen: any[] = []
    let cursor: string | null = null
    do {
      const res: any = await api(`/v1/companions?limit=1${cursor ? `&cursor=${cursor}` : ''}`, {
        token: owner.token,
      })
      expect(res.status, res.text).toBe(200)
      seen.push(...res.body.items)
      cursor = res.body.next_cursor
    } while (cursor && seen.length < 500)
    expect(seen.slice(0, 2).map((c) => c.id)).toEqual([b.id, a.id])
    expect(seen.find((c) => c.id === agent.agent_id)).toMatchObject({
      kind: 'shared',
      name: agent.agent_name,
    })
    const own = await api('/v1/companions?kind=own', { token: owner.token })
    expect(own.body.items.map((c: any) => c.id)).toEqual([b.id, a.id])
    for (const query of ['?cursor=nope', '?kind=theirs', '?limit=0']) {
      expect((await api(`/v1/companions${query}`, { token: owner.token })).status).toBe(400)
    }
  })
})

describe('another player’s companion', () => {
  it('is a 404 everywhere: companion, conversations, memories, turns', async () => {
    const owner = await registerPlayer('cmpown')
    const stranger = await registerPlayer('cmpstr')
    const companion = await createCompanion(owner)
    const conversation = await startConversation(owner, companion.id)
    const id = companion.id
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/v1/companions/${id}`],
      ['GET', `/v1/companions/${id.toUpperCase()}`],
      ['PATCH', `/v1/companions/${id}`, { name: 'Mine now' }],
      ['DELETE', `/v1/companions/${id}?forget=true`],
      ['POST', `/v1/companions/${id}/conversations`, {}],
      ['GET', `/v1/companions/${id}/conversations`],
      ['GET', `/v1/conversations/${conversation.id}`],
      ['POST', `/v1/conversations/${conversation.id}/archive`],
      ['POST', `/v1/conversations/${conversation.id}/messages`, { content: 'hi' }],
      ['GET', `/v1/memory/companions/${id}/memories`],
      ['POST', `/v1/memory/companions/${id}/memories`, { content: 'x', significance_score: 0.5 }],
      ['POST', `/v1/memory/companions/${id}/search`, { query: 'x' }],
      ['GET', `/v1/memory/companions/${id}/relationship`],
    ]
    for (const [method, path, body] of attempts) {
      const res = await api(path, { method, token: stranger.token, body })
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(404)
    }
    // The owner is unaffected, and any letter case is the same companion.
    const mine = await api(`/v1/companions/${id.toUpperCase()}`, { token: owner.token })
    expect(mine.status, mine.text).toBe(200)
    expect(mine.body.name).toBe('Freya')
  })

  it('lets a player use memory routes only with their companions or a shared agent', async () => {
    const player = await registerPlayer('cmpmem')
    const free = await api('/v1/memory/companions/freya/memories', {
      token: player.token,
      body: { content: 'x', significance_score: 0.5 },
    })
    expect(free.status, free.text).toBe(404)
    const agent = await createSharedAgent()
    const shared = await api(`/v1/memory/companions/${agent.agent_id.toUpperCase()}/memories`, {
      token: player.token,
      body: { content: 'I like owls', significance_score: 0.5 },
    })
    expect(shared.status, shared.text).toBe(201)
    expect(shared.body.companion_id).toBe(agent.agent_id)
    const service = await tokenFor({ id: crypto.randomUUID(), username: 'svc_cmp' }, ['service'])
    const deity = await api('/v1/memory/companions/deity_artemis/memories', {
      token: service,
      body: { content: 'hunts at dawn', significance_score: 0.5, user_id: player.id },
    })
    expect(deity.status, deity.text).toBe(201)
  })
})

describe('POST /v1/conversations/:id/messages', () => {
  it('recalls in a later conversation what was told in an earlier one, and it shapes the answer', async () => {
    const player = await registerPlayer('loop')
    const companion = await createCompanion(player, { name: 'Freya' })
    const first = await startConversation(player, companion.id)
    const told = await say(player, first.id, 'My dog is called Biscuit and he loves the beach.')
    expect(told.status, told.text).toBe(201)
    expect(told.body.remembered[0]).toMatchObject({ duplicate: false })
    expect(told.body.remembered[0].significance_score).toBeGreaterThan(0.5)
    expect(told.body.assistant_message.context.responder).toBe('local')

    const later = await startConversation(player, companion.id)
    const asked = await say(player, later.id, 'What is my dog called?')
    expect(asked.status, asked.text).toBe(201)
    expect(asked.body.recalled.length, asked.text).toBeGreaterThan(0)
    expect(asked.body.assistant_message.content).toContain('Biscuit')
    expect(asked.body.assistant_message.context.recalled[0].memory_id).toBe(
      told.body.remembered[0].memory_id,
    )
    // The relationship moved: two interactions, a quality score off the default.
    expect(asked.body.relationship.interaction_count).toBeGreaterThanOrEqual(2)
    expect(asked.body.relationship.quality_score).not.toBe(0.5)
    const [analytics] = await memorySql(
      'SELECT total_memories, retrieval_performance_ms FROM memory_analytics WHERE companion_id = $1 AND user_id = $2',
      [companion.id, player.id],
    )
    expect(analytics.total_memories).toBeGreaterThanOrEqual(2)

    const stored = await api(`/v1/conversations/${later.id}?limit=1`, { token: player.token })
    expect(stored.body.message_count).toBe(2)
    expect(stored.body.messages.items[0]).toMatchObject({ seq: 2, role: 'assistant' })
    const older = await api(
      `/v1/conversations/${later.id}?limit=1&cursor=${stored.body.messages.next_cursor}`,
      { token: player.token },
    )
    expect(older.body.messages.items[0]).toMatchObject({ seq: 1, role: 'user' })
    expect(older.body.messages.next_cursor).toBeNull()
  })

  it('talks with a shared companion, whose memories are per player', async () => {
    const agent = await createSharedAgent()
    const alice = await registerPlayer('shra')
    const bob = await registerPlayer('shrb')
    const aliceTalk = await startConversation(alice, agent.agent_id)
    await say(alice, aliceTalk.id, 'My secret word is pineapple.')
    const bobTalk = await startConversation(bob, agent.agent_id)
    const bobAsks = await say(bob, bobTalk.id, 'What is my secret word?')
    expect(bobAsks.status, bobAsks.text).toBe(201)
    expect(bobAsks.body.assistant_message.content).not.toContain('pineapple')
  })

  it('streams the turn as server-sent events in order', async () => {
    const player = await registerPlayer('sse')
    const companion = await createCompanion(player)
    const conversation = await startConversation(player, companion.id)
    const events = await streamAll(player, conversation.id, 'I love the smell of rain.')
    const kinds = events.map((e) => e.event)
    expect(kinds[0]).toBe('turn')
    expect(kinds[1]).toBe('recall')
    expect(kinds.at(-1), JSON.stringify(events)).toBe('done')
    const text = events
      .filter((e) => e.event === 'delta')
      .map((e) => e.data.text)
      .join('')
    const done = events.at(-1)!.data
    expect(text).toBe(done.assistant_message.content)
    expect(kinds.filter((k) => k === 'delta').length).toBeGreaterThan(3)
  })

  it('stores the whole answer when the client leaves in the middle of the stream', async () => {
    const player = await registerPlayer('ssecut')
    const companion = await createCompanion(player)
    const conversation = await startConversation(player, companion.id)
    await say(player, conversation.id, 'My favourite colour is a deep emerald green.')
    const stream = await openStream(player, conversation.id, 'What is my favourite colour?')
    let heard = ''
    for (let e = await stream.next(); e !== null; e = await stream.next()) {
      if (e.event === 'delta') {
        heard += e.data.text
        break
      }
    }
    await stream.cancel()
    const after = await waitForMessages(player, conversation.id, 4)
    const answer = after.messages.items[0]
    expect(answer.role).toBe('assistant')
    expect(answer.content.length, answer.content).toBeGreaterThan(heard.length)
    expect(answer.content).toContain('emerald')
    // The conversation is free again: the next turn is accepted.
    expect((await say(player, conversation.id, 'Thanks!')).status).toBe(201)
  })

  it('takes one turn at a time, and none in an archived conversation', async () => {
    const player = await registerPlayer('turn1')
    const companion = await createCompanion(player)
    const conversation = await startConversation(player, companion.id)
    const results = await Promise.all(
      Array.from({ length: 5 }, () => say(player, conversation.id, 'Hello there')),
    )
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s === 201).length, JSON.stringify(statuses)).toBeGreaterThan(0)
    for (const res of results.filter((r) => r.status !== 201)) {
      expect(res.status, res.text).toBe(409)
      expect(res.body.error.details.reason).toBe('turn_in_progress')
    }
    const archived = await api(`/v1/conversations/${conversation.id}/archive`, {
      method: 'POST',
      token: player.token,
    })
    expect(archived.body.is_archived).toBe(true)
    const refused = await say(player, conversation.id, 'Still there?')
    expect(refused.status, refused.text).toBe(409)
    expect(refused.body.error.details.reason).toBe('archived')
    const listed = await api(`/v1/companions/${companion.id}/conversations`, {
      token: player.token,
    })
    expect(listed.body.items).toEqual([])
    const all = await api(`/v1/companions/${companion.id}/conversations?include_archived=true`, {
      token: player.token,
    })
    expect(all.body.items.map((c: any) => c.id)).toEqual([conversation.id])
  })

  it('refuses a sleeping companion, bad bodies and anonymous callers', async () => {
    const player = await registerPlayer('turnbad')
    const companion = await createCompanion(player)
    const conversation = await startConversation(player, companion.id)
    for (const body of [
      {},
      { content: '' },
      { content: 'a\u0000' },
      { content: 'x'.repeat(4001) },
    ]) {
      const res = await api(`/v1/conversations/${conversation.id}/messages`, {
        token: player.token,
        body,
      })
      expect(res.status, res.text).toBe(400)
    }
    expect(
      (await api(`/v1/conversations/${conversation.id}/messages`, { body: { content: 'x' } }))
        .status,
    ).toBe(401)
    await api(`/v1/companions/${companion.id}`, {
      method: 'PATCH',
      token: player.token,
      body: { is_active: false },
    })
    const asleep = await say(player, conversation.id, 'wake up')
    expect(asleep.status, asleep.text).toBe(409)
    expect(asleep.body.error.details.reason).toBe('companion_asleep')
  })
})

describe('forgetting', () => {
  it('DELETE /v1/companions/:id?forget=true forgets its memories; without it they stay', async () => {
    const player = await registerPlayer('forget')
    const kept = await createCompanion(player, { name: 'Kept' })
    const gone = await createCompanion(player, { name: 'Gone' })
    for (const companion of [kept, gone]) {
      const conversation = await startConversation(player, companion.id)
      await say(player, conversation.id, 'My sister lives in Lisbon.')
    }
    const count = async (id: string) =>
      (
        await memorySql(
          'SELECT count(*)::int AS n FROM companion_memories WHERE companion_id = $1',
          [id],
        )
      )[0].n
    const forgot = await api(`/v1/companions/${gone.id}?forget=true`, {
      method: 'DELETE',
      token: player.token,
    })
    expect(forgot.status, forgot.text).toBe(200)
    expect(forgot.body).toMatchObject({ conversations: 1, forgotten: { relationships: 1 } })
    expect(forgot.body.forgotten.memories).toBeGreaterThan(0)
    expect(await count(gone.id)).toBe(0)
    const deleted = await api(`/v1/companions/${kept.id}`, {
      method: 'DELETE',
      token: player.token,
    })
    expect(deleted.body.forgotten).toBeNull()
    expect(await count(kept.id)).toBeGreaterThan(0)
    expect((await api(`/v1/companions/${kept.id}`, { token: player.token })).status).toBe(404)
  })

  it('DELETE /v1/memory/users/:user_id also removes your companion conversations', async () => {
    const player = await registerPlayer('forgetme')
    const companion = await createCompanion(player)
    const conversation = await startConversation(player, companion.id)
    await say(player, conversation.id, 'Remember that I collect old maps.')
    const forgot = await api(`/v1/memory/users/${player.id}`, {
      method: 'DELETE',
      token: player.token,
    })
    expect(forgot.status, forgot.text).toBe(200)
    expect(forgot.body.conversations).toBe(1)
    expect(forgot.body.memories).toBeGreaterThan(0)
    expect(
      (await api(`/v1/conversations/${conversation.id}`, { token: player.token })).status,
    ).toBe(404)
  })
})
