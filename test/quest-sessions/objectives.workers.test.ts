/**
 * Server-authoritative objectives in a session without an instance (positions from the players'
 * own `move` frames under the quest's speed limit), through the real Worker entrance: each
 * objective type, and the cheats a client can try. Every refused frame is answered with an error
 * frame and changes nothing.
 */
import { SELF } from 'cloudflare:test'
import { beforeEach, describe, expect, it } from 'vitest'
import { api, registerPlayer, sqlRows, type Player } from '../support/api'
import { RoomClient } from '../support/room-client'
import {
  connectSession,
  createQuest,
  errorFor,
  openSession,
  sessionAction,
  sessionMove,
  sessionStub,
  viewSession,
} from '../support/quests'

let alice: Player
let bob: Player

beforeEach(async () => {
  ;[alice, bob] = await Promise.all([registerPlayer('oa'), registerPlayer('ob')])
})

const at = (x: number, z = 0) => ({ type: 'move', position: { x, y: 0, z } })

/** A started two-player session of `body`'s quest, both connected. */
async function startedSession(body: Record<string, unknown> = {}) {
  const quest = await createQuest(alice, body)
  const session = await openSession(alice, quest.id)
  await sessionAction(bob, session.id, 'join')
  const a = (await connectSession(alice, session.id)).client
  const b = (await connectSession(bob, session.id)).client
  await sessionAction(alice, session.id, 'start')
  return { quest, session, a, b, clock: sessionStub(session.id) }
}

/** What a refused frame must not change: objectives, scores and mistakes. */
async function gameState(player: Player, sessionId: string) {
  const view = await viewSession(player, sessionId)
  return {
    objectives: view.objectives.map((o: any) => [o.id, o.status, o.progress, o.completed_by]),
    participants: view.participants.map((p: any) => [p.user_id, p.score, p.mistakes]),
    status: view.status,
  }
}

describe('objectives', () => {
  it('credits a reached location, collected objects, an interaction and a right answer', async () => {
    const { session, a, b, clock } = await startedSession()
    await clock.advanceClock(1_000)
    await sessionMove(a, alice, 9)
    a.send({ type: 'reach', objective_id: 'garden', ref: 'g' })
    const garden = await a.waitForEvent(
      (e) => e.type === 'objective' && e.objective.id === 'garden',
      'garden',
    )
    expect(garden.objective).toMatchObject({
      status: 'completed',
      completed_by: alice.id,
      progress: 1,
    })

    await sessionMove(b, bob, 7, 3)
    b.send({ type: 'interact', objective_id: 'sage', target_id: 'old_sage' })
    await b.waitForEvent((e) => e.type === 'objective' && e.objective.id === 'sage', 'sage')
    b.send({ type: 'answer', objective_id: 'riddle', answer: 'PARIS' })
    const answered = await b.waitForEvent(
      (e) => e.type === 'objective' && e.objective.id === 'riddle',
      'riddle',
    )
    expect(answered.objective.status).toBe('completed')
    expect(answered.objective).not.toHaveProperty('answer')

    await clock.advanceClock(1_000)
    await sessionMove(a, alice, 12, 1)
    a.send({ type: 'collect', objective_id: 'flowers', object_id: 'flower_a' })
    const collected = await b.waitForEvent((e) => e.type === 'collected', 'collected at bob')
    expect(collected).toEqual({
      type: 'collected',
      objective_id: 'flowers',
      object_id: 'flower_a',
      user_id: alice.id,
    })
    const view = await viewSession(bob, session.id)
    expect(view.objectives.find((o: any) => o.id === 'flowers')).toMatchObject({
      status: 'open',
      progress: 1,
      target: 2,
      collected: [{ object_id: 'flower_a', user_id: alice.id }],
    })
    expect(view.participants.map((p: any) => [p.user_id, p.score])).toEqual([
      [alice.id, 150],
      [bob.id, 200],
    ])
    a.close()
    b.close()
  })

  it('fails a required quiz on its last wrong answer, and the session with it', async () => {
    const { session, a, b } = await startedSession()
    b.send({ type: 'answer', objective_id: 'riddle', answer: 'Rome' })
    const wrong = await a.waitForEvent((e) => e.type === 'answered', 'wrong answer')
    expect(wrong).toMatchObject({ user_id: bob.id, correct: false, attempts_left: 1 })
    a.send({ type: 'answer', objective_id: 'riddle', answer: 'Berlin' })
    const failed = await b.waitForEvent(
      (e) => e.type === 'status' && e.status === 'failed',
      'failed',
    )
    expect(failed.reason).toBe('objective_failed')
    const view = await viewSession(alice, session.id)
    expect(view.participants.map((p: any) => p.mistakes)).toEqual([1, 1])
    a.close()
    b.close()
  })

  it('keeps an objective locked until the ones it comes after are completed', async () => {
    const { a } = await startedSession({
      quest_data: {
        objectives: [
          { id: 'first', type: 'answer', question: '1 + 1?', answer: '2' },
          { id: 'second', type: 'answer', question: '2 + 2?', answer: '4', after: ['first'] },
        ],
      },
    })
    a.send({ type: 'answer', objective_id: 'second', answer: '4', ref: 'early' })
    expect((await errorFor(a, 'early')).code).toBe('locked')
    a.send({ type: 'answer', objective_id: 'first', answer: '2' })
    await a.waitForEvent((e) => e.type === 'objective' && e.objective.id === 'first', 'first')
    a.send({ type: 'answer', objective_id: 'second', answer: '4' })
    await a.waitForEvent((e) => e.type === 'completed', 'completed')
    a.close()
  })
})

describe('cheating', () => {
  it('refuses a location claimed from too far and a teleport to it', async () => {
    const { session, a } = await startedSession()
    const before = await gameState(alice, session.id)
    a.send({ type: 'reach', objective_id: 'garden', ref: 'far' })
    expect((await errorFor(a, 'far')).code).toBe('out_of_reach')
    // 40 m at once, at 10 m/s with a 1 s burst: refused, and alice stays at the spawn point.
    expect(await sessionMove(a, alice, 10)).toBeNull()
    const jump = await sessionMove(a, alice, 40, 40)
    expect(jump?.position).toEqual({ x: 10, y: 0, z: 0 })
    a.send({ type: 'collect', objective_id: 'flowers', object_id: 'flower_c', ref: 'c' })
    expect((await errorFor(a, 'c')).code).toBe('out_of_reach')
    // A claim cannot carry its own position.
    a.send({ type: 'reach', objective_id: 'garden', position: { x: 10, y: 0, z: 0 } })
    expect((await a.waitFor((f) => f.code === 'invalid_frame', 'invalid')).message).toMatch(
      /position/,
    )
    await a.roundTrip()
    expect(await gameState(alice, session.id)).toEqual(before)
    a.close()
  })

  it('credits an object once, refuses one out of reach, and a replayed right answer', async () => {
    const { session, a, b, clock } = await startedSession()
    await clock.advanceClock(2_000)
    // 9.6 m from the spawn point: within one burst at 10 m/s, 2.6 m from flower_a.
    await sessionMove(a, alice, 9.5, 1.5)
    await sessionMove(b, bob, 9.5, 1.5)
    a.send({ type: 'collect', objective_id: 'flowers', object_id: 'flower_a', ref: 'a1' })
    await a.waitForEvent((e) => e.type === 'collected', 'collected')
    b.send({ type: 'collect', objective_id: 'flowers', object_id: 'flower_a', ref: 'b1' })
    expect((await errorFor(b, 'b1')).code).toBe('already_collected')
    b.send({ type: 'collect', objective_id: 'flowers', object_id: 'flower_z', ref: 'b2' })
    expect((await errorFor(b, 'b2')).code).toBe('unknown_object')
    b.send({ type: 'answer', objective_id: 'riddle', answer: 'Paris', ref: 'b3' })
    await b.waitForEvent((e) => e.type === 'objective' && e.objective.id === 'riddle', 'riddle')
    const before = await gameState(alice, session.id)
    for (const client of [a, b]) {
      client.send({ type: 'answer', objective_id: 'riddle', answer: 'Paris', ref: 'again' })
      expect((await errorFor(client, 'again')).code).toBe('already_completed')
    }
    b.send({ type: 'interact', objective_id: 'sage', target_id: 'impostor', ref: 'b4' })
    expect((await errorFor(b, 'b4')).code).toBe('wrong_target')
    b.send({ type: 'reach', objective_id: 'riddle', ref: 'b5' })
    expect((await errorFor(b, 'b5')).code).toBe('wrong_objective_type')
    b.send({ type: 'reach', objective_id: 'nowhere', ref: 'b6' })
    expect((await errorFor(b, 'b6')).code).toBe('unknown_objective')
    expect(await gameState(alice, session.id)).toEqual(before)
    a.close()
    b.close()
  })

  it('refuses frames from a non-participant and claims outside a running session', async () => {
    const quest = await createQuest(alice)
    const session = await openSession(alice, quest.id)
    const a = (await connectSession(alice, session.id)).client
    a.send({ type: 'answer', objective_id: 'riddle', answer: 'Paris', ref: 'early' })
    expect((await errorFor(a, 'early')).code).toBe('not_in_progress')
    await sessionAction(alice, session.id, 'start')
    const spectator = await connectSession(bob, session.id)
    expect(spectator.welcome.role).toBe('spectator')
    const s = spectator.client
    s.send({ type: 'answer', objective_id: 'riddle', answer: 'Paris', ref: 's1' })
    expect((await errorFor(s, 's1')).code).toBe('not_participant')
    s.send(at(1, 1))
    expect(
      (await s.waitFor((f) => f.code === 'not_participant' && !f.ref, 'move refused')).type,
    ).toBe('error')
    const state = await gameState(alice, session.id)
    expect(state.objectives.every(([, status]: any[]) => status === 'open')).toBe(true)
    expect(state.participants).toEqual([[alice.id, 0, 0]])
    a.close()
    s.close()
  })

  it('answers malformed, unknown and oversized frames with errors, and requires hello first', async () => {
    const { session, a } = await startedSession()
    const before = await gameState(alice, session.id)
    a.send('not json')
    a.send({ type: 'teleport', to: 'garden' })
    a.send({ type: 'answer', objective_id: 'riddle' })
    const errors = () => a.received.filter((f) => f.type === 'error').map((f) => f.code)
    await a.waitFor(() => errors().length === 3, 'three errors')
    // The test pool may start a socket's handlers out of order; each frame got its answer.
    expect(errors().sort()).toEqual(['invalid_frame', 'invalid_frame', 'malformed_json'])
    a.send({ type: 'answer', objective_id: 'riddle', answer: 'x'.repeat(5_000) })
    expect((await a.waitForClose()).code).toBe(1009)
    expect(await gameState(alice, session.id)).toEqual(before)

    const res = await SELF.fetch(`http://nexus.test/v1/quest-sessions/${session.id}/ws`, {
      headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': `nexus.v1, bearer.${bob.token}` },
    })
    const ws = res.webSocket!
    ws.accept()
    const b = new RoomClient(ws)
    b.send({ type: 'answer', objective_id: 'riddle', answer: 'Paris' })
    expect((await b.waitFor((f) => f.type === 'error', 'hello first')).message).toMatch(/hello/)
    b.close()
  })
})

describe('Postgres between syncs', () => {
  it('holds the progress of each participant after a sync, with the seed’s state shape', async () => {
    const { session, a, b, clock } = await startedSession()
    await clock.advanceClock(1_000)
    await sessionMove(a, alice, 9)
    a.send({ type: 'reach', objective_id: 'garden' })
    await a.waitForEvent((e) => e.type === 'objective', 'garden')
    b.send({ type: 'answer', objective_id: 'riddle', answer: 'Rome' })
    await b.waitForEvent((e) => e.type === 'answered', 'wrong')
    expect(await sessionStub(session.id).syncToPostgres()).toBe('synced')
    const progress = await sqlRows<any>(
      `SELECT user_id, score, mistakes_made, completion_percentage, challenge_specific_data
       FROM quest_progress WHERE quest_instance_id = $1 ORDER BY score DESC`,
      [session.id],
    )
    expect(progress).toEqual([
      expect.objectContaining({
        user_id: alice.id,
        score: 100,
        mistakes_made: 0,
        completion_percentage: 25,
        challenge_specific_data: expect.objectContaining({ locations_reached: ['garden'] }),
      }),
      expect.objectContaining({ user_id: bob.id, score: 0, mistakes_made: 1 }),
    ])
    const [row] = await sqlRows<any>('SELECT state FROM quest_instances WHERE id = $1', [
      session.id,
    ])
    expect(row.state).toMatchObject({
      status: 'in_progress',
      objectives: {
        garden: { status: 'completed', completed_by: alice.id },
        riddle: { status: 'open' },
      },
      team_data: { leader: alice.id, size: 2 },
    })
    expect(JSON.stringify(row.state)).not.toContain('Paris')
    const res = await api(`/v1/quest-sessions/${session.id}`, { token: bob.token })
    expect(res.body.objectives.find((o: any) => o.id === 'riddle').attempts_left).toBe(1)
    a.close()
    b.close()
  })
})
