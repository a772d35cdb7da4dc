/** Helpers for workerd tests of companions, conversations and turns. */
import { SELF } from 'cloudflare:test'
import { EventSourceParserStream } from 'eventsource-parser/stream'
import { expect } from 'vitest'
import { createMemoryClient } from '../../db/client'
import { api, registerPlayer, testEnv, tokenFor, type Player } from './api'
import { sleep } from './room-client'

/** Creates a companion of `owner`; the body overrides the defaults. */
export async function createCompanion(owner: Player, body: Record<string, unknown> = {}) {
  const res = await api('/v1/companions', { token: owner.token, body: { name: 'Freya', ...body } })
  expect(res.status, res.text).toBe(201)
  return res.body as { id: string; [key: string]: any }
}

/** Starts a conversation of `player` with the companion `companionId`. */
export async function startConversation(player: Player, companionId: string) {
  const res = await api(`/v1/companions/${companionId}/conversations`, {
    token: player.token,
    body: {},
  })
  expect(res.status, res.text).toBe(201)
  return res.body as { id: string; [key: string]: any }
}

/** One turn answered as JSON. */
export const say = (
  player: Player,
  conversationId: string,
  content: string,
  extra: Record<string, unknown> = {},
) =>
  api(`/v1/conversations/${conversationId}/messages`, {
    token: player.token,
    body: { content, ...extra },
  })

/** A server-sent event as the test reads it. */
export interface SseEvent {
  event: string
  data: any
}

/** Opens a streamed turn; returns the response and a reader of its events. */
export async function openStream(player: Player, conversationId: string, content: string) {
  const res = await SELF.fetch(`http://nexus.test/v1/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${player.token}`,
      'Content-Type': 'application/json',
      Accept: 'text/event-stream',
    },
    body: JSON.stringify({ content }),
  })
  expect(res.status, res.status === 200 ? '' : await res.text()).toBe(200)
  expect(res.headers.get('Content-Type')).toContain('text/event-stream')
  const reader = res
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader()
  return {
    res,
    /** The next event, or null at the end of the stream. */
    async next(): Promise<SseEvent | null> {
      const { done, value } = await reader.read()
      return done ? null : { event: value.event ?? 'message', data: JSON.parse(value.data) }
    },
    /** Leaves: the client goes away mid-stream. */
    async cancel() {
      await reader.cancel()
    },
  }
}

/** Every event of a streamed turn, to its end. */
export async function streamAll(player: Player, conversationId: string, content: string) {
  const stream = await openStream(player, conversationId, content)
  const events: SseEvent[] = []
  for (let e = await stream.next(); e !== null; e = await stream.next()) events.push(e)
  return events
}

/** Waits until the conversation holds `count` messages (a later marker, not a sleep). */
export async function waitForMessages(player: Player, conversationId: string, count: number) {
  const deadline = Date.now() + 10_000
  for (;;) {
    const res = await api(`/v1/conversations/${conversationId}?limit=100`, { token: player.token })
    expect(res.status, res.text).toBe(200)
    if (res.body.message_count >= count && res.body.messages.items.length >= count) return res.body
    if (Date.now() > deadline) throw new Error(`never reached ${count} messages: ${res.text}`)
    await sleep(20)
  }
}

/** Runs one statement on the memory database. */
export async function memorySql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = createMemoryClient(testEnv.MEMORY_DATABASE_URL!, {
    wsProxy: testEnv.NEON_WS_PROXY,
  })
  try {
    return (await client.pool.query(text, params)).rows as T[]
  } finally {
    await client.close()
  }
}

/** A fresh active avatar agent (a shared companion), created by an admin. */
export async function createSharedAgent(name = `agent_${crypto.randomUUID().slice(0, 8)}`) {
  const admin = await registerPlayer('agadm')
  const res = await api('/v1/admin/memory/avatar-agents', {
    token: await tokenFor(admin, ['admin']),
    body: { agent_name: name, personality_prompt: 'A wise owl.' },
  })
  expect(res.status, res.text).toBe(201)
  return res.body as { agent_id: string; agent_name: string }
}
