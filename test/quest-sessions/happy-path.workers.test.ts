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
  sessionMove,
  sessionStub,
} from '../support/quests'

let alice: Player
let bob: Player

beforeAll(async () => {
  ;[alice, bob] = await Promise.all([registerPlayer('qa'), registerPlayer('qb')])
})

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
    const done = (client: typeof a.client, id: string) =>
      client.waitForEvent(
        (e) =>
          e.type === 'objective' && e.objective.id === id && e.objective.status === 'completed',
        `${id} done`,
      )
    // One second later on the session's clock: each may have walked 10 m (plus a 10 m burst).
    await sessionStub(session.id).advanceClock(1_000)
    expect(await sessionMove(a.client, alice, 9.5, 0)).toBeNull()
    a.client.send({ type: 'reach', objective_id: 'garden' })
    await done(a.client, 'garden')
    expect(await sessionMove(b.client, bob, 8, 3)).toBeNull()
    b.client.send({ type: 'interact', objective_id: 'sage', target_id: 'old_sage' })
    await done(b.client, 'sage')
    b.client.send({ type: 'answer', objective_id: 'riddle', answer: ' paris ' })
    await done(b.client, 'riddle')
    await sessionStub(session.id).advanceClock(1_000)
    expect(await sessionMove(a.client, alice, 11.5, 1.5)).toBeNull()
    a.client.send({ type: 'collect', objective_id: 'flowers', object_id: 'flower_a' })
    await a.client.waitForEvent((e) => e.type === 'collected', 'flower_a')
    expect(await sessionMove(b.client, bob, 11.5, -1.5)).toBeNull()
    b.client.send({ type: 'collect', objective_id: 'flowers', object_id: 'flower_b' })
    const completed = await a.client.waitForEvent((e) => e.type === 'completed', 'completed')
    // 2 s moved forward on the session's clock, and the real time the test took.
    expect(completed.time_taken_seconds).toBeGreaterThanOrEqual(2)
    expect(completed.time_taken_seconds).toBeLessThan(4)

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
