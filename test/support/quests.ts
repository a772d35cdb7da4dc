/** Helpers for workerd tests of quests and their live sessions. */
import { SELF } from 'cloudflare:test'
import { expect } from 'vitest'
import { EXAMPLE_QUEST, EXAMPLE_QUEST_DATA } from '../../scripts/lib/example-quest'
import { api, sqlRows, testEnv, type Player } from './api'
import { RoomClient } from './room-client'
import { testQuestSessions } from './test-worker'

/** The session objects of the test Worker (the real class with a test clock). */
export const questSessions = testQuestSessions(testEnv)

/** The stub of a session's object. */
export const sessionStub = (sessionId: string) =>
  questSessions.get(questSessions.idFromName(sessionId))

/** A quest with one objective of every type, worth 100 points each (the quiz's key is "Paris"). */
export const EVERY_OBJECTIVE = EXAMPLE_QUEST_DATA

/** Creates an active quest owned by `creator`; `body` overrides the defaults. */
export async function createQuest(creator: Player, body: Record<string, unknown> = {}) {
  const res = await api('/v1/quests', {
    token: creator.token,
    body: { ...EXAMPLE_QUEST, ...body },
  })
  expect(res.status, res.text).toBe(201)
  return res.body as { id: string; [key: string]: any }
}

/** Opens a session of `questId` hosted by `host`. */
export async function openSession(host: Player, questId: string, sessionType = 'standard') {
  const res = await api(`/v1/quests/${questId}/sessions`, {
    token: host.token,
    body: { session_type: sessionType },
  })
  expect(res.status, res.text).toBe(201)
  return res.body as { id: string; instance_id: string | null; [key: string]: any }
}

/** A lifecycle change (`join`, `start`, …) that must succeed; returns the session. */
export async function sessionAction(player: Player, sessionId: string, action: string) {
  const res = await api(`/v1/quest-sessions/${sessionId}/${action}`, {
    token: player.token,
    method: 'POST',
  })
  expect(res.status, `${action}: ${res.text}`).toBeLessThan(300)
  return res.body
}

/** Opens the session's WebSocket through the Worker's entrance, says hello, waits for welcome. */
export async function connectSession(player: Player, sessionId: string) {
  const res = await SELF.fetch(`http://nexus.test/v1/quest-sessions/${sessionId}/ws`, {
    headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': `nexus.v1, bearer.${player.token}` },
  })
  expect(res.status, res.status === 101 ? '' : await res.text()).toBe(101)
  const ws = res.webSocket!
  ws.accept()
  const client = new RoomClient(ws)
  const welcome = await client.greet()
  return { client, welcome }
}

/** The error frame answering the claim with `ref` (claims carry a ref so answers are matched). */
export async function errorFor(client: RoomClient, ref: string): Promise<any> {
  return client.waitFor((f) => f.type === 'error' && f.ref === ref, `error for ${ref}`)
}

/** The session as `player` sees it over HTTP (must answer 200). */
export async function viewSession(player: Player, sessionId: string) {
  const res = await api(`/v1/quest-sessions/${sessionId}`, { token: player.token })
  expect(res.status, res.text).toBe(200)
  return res.body
}

/** Polls `probe` until `ok` holds (5 s at most), for state another event changes. */
export async function eventually<T>(
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 5_000
  for (;;) {
    const value = await probe()
    if (ok(value)) return value
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** The `quest_instances` row of a session. */
export async function sessionRow(sessionId: string) {
  const [row] = await sqlRows<any>('SELECT * FROM quest_instances WHERE id = $1', [sessionId])
  return row
}

/**
 * Moves `player` in a session without an instance and waits for the session's answer: the
 * `position` event of that move, or its refusal. (The test pool may start a socket's handlers out
 * of order, so a test waits for each answer before a frame that depends on it.)
 */
export async function sessionMove(client: RoomClient, player: Player, x: number, z = 0) {
  const from = client.received.length
  client.send({ type: 'move', position: { x, y: 0, z } })
  const answer = await client.waitFor(
    (f) =>
      client.received.indexOf(f) >= from &&
      ((f.type === 'batch' &&
        f.events.some(
          (e: any) =>
            e.type === 'position' &&
            e.user_id === player.id &&
            e.position.x === x &&
            e.position.z === z,
        )) ||
        (f.type === 'error' && f.code === 'implausible_move')),
    `the answer to a move to (${x}, ${z})`,
  )
  return answer.type === 'error' ? answer : null
}
