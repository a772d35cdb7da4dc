/**
 * A two-player quest from creation to rewards, through the real Worker entrance: HTTP to open,
 * join and start, WebSockets to play every objective type, and the completion, progress and
 * rewards in Postgres.
 */
import { runDurableObjectAlarm } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { api, registerPlayer, sqlRows, type Player } from '../support/api'
import {
  connectSession,
  createQuest,
  openSession,
  sessionAction,
  sessionStub,
} from '../support/quests'

let alice: Player
let bob: Player

beforeAll(async () => {
  ;[alice, bob] = await Promise.all([registerPlayer('qa'), registerPlayer('qb')])
})

/** Walks `client` from `from` to `to` in steps of at most `step` metres, `stepMs` apart. */
async function walk(
  client: {
    send(frame: unknown): void
    waitFor(p: (f: any) => boolean, what: string): Promise<any>
  },
  path: { x: number; z: number }[],
) {
  for (const point of path) {
    client.send({ type: 'move', position: { x: point.x, y: 0, z: point.z } })
  }
}

describe('a two-player quest session', () => {
  it('plays every objective type to completion and writes completions, progress and rewards once', async () => {
    const quest = await createQuest(alice)
    const session = await openSession(alice, quest.id)
    expect(session.status).toBe('waiting')
    expect(session.instance_id).toBeNull()
    const joined = await api(`/v1/quest-sessions/${session.id}/join`, {
      token: bob.token,
      method: 'POST',
    })
    expect(joined.status, joined.text).toBe(201)

    const a = await connectSession(alice, session.id)
    const b = await connectSession(bob, session.id)
    expect(a.welcome.role).toBe('participant')
    const riddle = a.welcome.session.objectives.find((o: any) => o.id === 'riddle')
    expect(riddle.question, JSON.stringify(riddle)).toBe('The capital of France?')
    expect(riddle).not.toHaveProperty('answer')

    const started = await sessionAction(alice, session.id, 'start')
    expect(started.status).toBe('in_progress')
    // Two seconds later on the session's clock, both may have walked up to 20 m.
    await sessionStub(session.id).advanceClock(2_000)
    await walk(a.client, [
      { x: 5, z: 0 },
      { x: 10, z: 0 },
    ])
    a.client.send({ type: 'reach', objective_id: 'garden', ref: 'r1' })
    await a.client.waitForEvent(
      (e) =>
        e.type === 'objective' && e.objective.id === 'garden' && e.objective.status === 'completed',
      'garden done',
    )
    a.client.send({ type: 'move', position: { x: 12, y: 0, z: 1 } })
    a.client.send({ type: 'collect', objective_id: 'flowers', object_id: 'flower_a', ref: 'c1' })
    await walk(b.client, [
      { x: 5, z: 2 },
      { x: 8, z: 3 },
    ])
    b.client.send({ type: 'interact', objective_id: 'sage', target_id: 'old_sage', ref: 'i1' })
    b.client.send({ type: 'answer', objective_id: 'riddle', answer: ' paris ', ref: 'q1' })
    await b.client.waitForEvent(
      (e) =>
        e.type === 'objective' && e.objective.id === 'riddle' && e.objective.status === 'completed',
      'riddle done',
    )
    await sessionStub(session.id).advanceClock(1_000)
    b.client.send({ type: 'move', position: { x: 12, y: 0, z: -1 } })
    b.client.send({ type: 'collect', objective_id: 'flowers', object_id: 'flower_b', ref: 'c2' })
    const completed = await a.client.waitForEvent((e) => e.type === 'completed', 'completed')
    expect(completed.time_taken_seconds).toBe(3)

    const view = await api(`/v1/quest-sessions/${session.id}`, { token: bob.token })
    expect(view.status, view.text).toBe(200)
    expect(view.body.status).toBe('completed')

    const completions = await sqlRows<any>(
      `SELECT user_id, score, time_taken_seconds, completion_verified, verification_hash, rank_at_completion,
              is_personal_best, akashic_essence_awarded, attribute_rewards_awarded
       FROM challenge_completions WHERE quest_instance_id = $1 ORDER BY score DESC`,
      [session.id],
    )
    expect(completions, JSON.stringify(completions)).toHaveLength(2)
    expect(
      completions.every(
        (c) => c.completion_verified && c.verification_hash === completed.verification_hash,
      ),
    ).toBe(true)
    // alice: garden 100 + flower 50; bob: sage 100 + riddle 100 + flower 50.
    expect(completions.map((c) => [c.user_id, c.score])).toEqual([
      [bob.id, 250],
      [alice.id, 150],
    ])

    const tokens = await sqlRows<any>(
      `SELECT user_id, amount FROM token_transactions WHERE transaction_type = 'quest_reward' AND user_id = ANY($1::uuid[])`,
      [[alice.id, bob.id]],
    )
    expect(tokens).toHaveLength(2)
    // A doubled alarm writes nothing twice.
    expect(await runDurableObjectAlarm(sessionStub(session.id))).toBe(true)
    expect(await runDurableObjectAlarm(sessionStub(session.id))).toBe(false)
    const again = await sqlRows<any>(
      `SELECT count(*)::int AS n FROM challenge_completions WHERE quest_instance_id = $1`,
      [session.id],
    )
    expect(again[0].n).toBe(2)
    a.client.close()
    b.client.close()
  })
})
