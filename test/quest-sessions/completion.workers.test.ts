/**
 * Sessions in a holodeck (positions from the instance room, under its speed limit) and the
 * completion written exactly once: simultaneous finishers, a doubled alarm, a restart between the
 * write and its acknowledgement, a database down at the moment of completion, and a restart in
 * the middle of a session. Through the real Worker entrance, real objects, real Postgres.
 */
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { beforeEach, describe, expect, it } from 'vitest'
import { api, registerPlayer, sqlRows, type Player } from '../support/api'
import { enterRoom, roomMove, roomStep } from '../support/instances'
import { sleep } from '../support/room-client'
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
  ;[alice, bob] = await Promise.all([registerPlayer('ca'), registerPlayer('cb')])
})

const GARDEN_ONLY = {
  objectives: [{ id: 'garden', type: 'reach_location', location: { x: 5, y: 0, z: 0 }, radius: 3 }],
  max_speed_mps: 10,
}

/** Completions, quest rewards in tokens and essence awards of one session. */
async function writtenOnce(sessionId: string) {
  const [counts] = await sqlRows<{
    completions: number
    token_rewards: number
    essence_rows: number
  }>(
    `SELECT
       (SELECT count(*)::int FROM challenge_completions WHERE quest_instance_id = $1) AS completions,
       (SELECT count(*)::int FROM token_transactions
        WHERE transaction_type = 'quest_reward' AND metadata ->> 'quest_instance_id' = $1::text) AS token_rewards,
       (SELECT count(*)::int FROM akashic_transactions
        WHERE transaction_type = 'quest_completion' AND metadata ->> 'quest_instance_id' = $1::text) AS essence_rows`,
    [sessionId],
  )
  return counts
}

describe('a session in its holodeck', () => {
  it('judges claims by the room’s accepted positions, under the room’s speed limit', async () => {
    const quest = await createQuest(alice, {
      requires_instance_type: 'holodeck',
      quest_data: {
        objectives: [
          { id: 'garden', type: 'reach_location', location: { x: 12, y: 0, z: 0 }, radius: 1 },
        ],
        max_speed_mps: 10,
      },
    })
    const session = await openSession(alice, quest.id)
    await sessionAction(bob, session.id, 'join')
    const a = (await connectSession(alice, session.id)).client
    const b = (await connectSession(bob, session.id)).client
    const roomA = await enterRoom(alice, session.instance_id!)

    // The room refuses a teleport and keeps alice where she was.
    roomA.send(roomMove(50))
    const refused = await roomA.waitFor((f) => f.code === 'implausible_move', 'room refusal')
    expect(refused.position).toMatchObject({ x: 0, z: 0 })
    // Before the start she walks to the garden, honestly: 9 m, then 3 m once the budget refilled.
    await roomStep(roomA, session.instance_id!, alice.id, 9)
    await sleep(350)
    await roomStep(roomA, session.instance_id!, alice.id, 12)
    expect(roomA.received.filter((f) => f.code === 'implausible_move')).toHaveLength(1)
    await sessionAction(alice, session.id, 'start')

    b.send({ type: 'reach', objective_id: 'garden', ref: 'b' })
    expect((await errorFor(b, 'b')).code).toBe('no_position')
    a.send({ type: 'move', position: { x: 12, y: 0, z: 0 } })
    expect((await a.waitFor((f) => f.code === 'moves_in_instance', 'own moves refused')).type).toBe(
      'error',
    )
    // 12 m from the spawn point cannot be walked in no time, whenever she set out.
    a.send({ type: 'reach', objective_id: 'garden', ref: 'early' })
    expect((await errorFor(a, 'early')).code).toBe('too_soon')
    await sessionStub(session.id).advanceClock(1_000)
    a.send({ type: 'reach', objective_id: 'garden', ref: 'ok' })
    const completed = await b.waitForEvent((e) => e.type === 'completed', 'completed')
    expect(completed.scores).toEqual([
      { user_id: alice.id, score: 100 },
      { user_id: bob.id, score: 0 },
    ])
    for (const client of [a, b, roomA]) client.close()
  })

  it('stops trusting the room once its speed limit is taken away', async () => {
    const quest = await createQuest(alice, {
      requires_instance_type: 'holodeck',
      quest_data: GARDEN_ONLY,
    })
    const session = await openSession(alice, quest.id)
    const a = (await connectSession(alice, session.id)).client
    // The host owns the holodeck and may edit it; the room reads the change on the next connect.
    const edited = await api(`/v1/instances/${session.instance_id}`, {
      method: 'PATCH',
      token: alice.token,
      body: { metadata: { custom_properties: {} } },
    })
    expect(edited.status, edited.text).toBe(200)
    const roomA = await enterRoom(alice, session.instance_id!)
    await roomStep(roomA, session.instance_id!, alice.id, 60)
    expect(roomA.received.some((f) => f.code === 'implausible_move')).toBe(false)
    await sessionAction(alice, session.id, 'start')
    await sessionStub(session.id).advanceClock(10_000)
    a.send({ type: 'reach', objective_id: 'garden', ref: 'r' })
    expect((await errorFor(a, 'r')).code).toBe('position_unavailable')
    a.close()
    roomA.close()
  })
})

describe('the completion, exactly once', () => {
  it('completes once when two participants finish the last objective in the same tick', async () => {
    const quest = await createQuest(alice, {
      requires_instance_type: 'holodeck',
      quest_data: GARDEN_ONLY,
      rewards: { akashic_resonance: 40, attributes: { agility: 2 }, tokens: 25 },
    })
    const session = await openSession(alice, quest.id)
    await sessionAction(bob, session.id, 'join')
    const a = (await connectSession(alice, session.id)).client
    const b = (await connectSession(bob, session.id)).client
    const rooms = [
      await enterRoom(alice, session.instance_id!),
      await enterRoom(bob, session.instance_id!),
    ]
    await roomStep(rooms[0], session.instance_id!, alice.id, 4, 1)
    await roomStep(rooms[1], session.instance_id!, bob.id, 4, -1)
    await sessionAction(alice, session.id, 'start')
    await sessionStub(session.id).advanceClock(1_000)
    const standing = () =>
      sqlRows<{ tokens: number; agility: number; resonance: number; completed: number }>(
        `SELECT b.tokens, u.attr_agility AS agility, u.akashic_resonance AS resonance,
                u.total_quests_completed AS completed
         FROM users u JOIN user_balances b ON b.user_id = u.id
         WHERE u.id = ANY($1::uuid[]) ORDER BY u.id`,
        [[alice.id, bob.id]],
      )
    const before = await standing()

    // Both claims wait for the room's answer at the same time; the second is checked again after.
    a.send({ type: 'reach', objective_id: 'garden', ref: 'a' })
    b.send({ type: 'reach', objective_id: 'garden', ref: 'b' })
    await a.waitForEvent((e) => e.type === 'completed', 'completed at alice')
    await b.waitForEvent((e) => e.type === 'completed', 'completed at bob')
    await a.roundTrip()
    await b.roundTrip()
    const answers = [a, b].map(
      (c) => c.received.find((f) => f.type === 'error' && f.ref)?.code ?? 'credited',
    )
    expect(answers.sort()).toEqual(['already_completed', 'credited'])
    for (const client of [a, b]) {
      expect(client.events().filter((e) => e.type === 'completed')).toHaveLength(1)
    }

    expect(await writtenOnce(session.id)).toEqual({
      completions: 2,
      token_rewards: 2,
      essence_rows: 2,
    })
    const after = await standing()
    const gained = after.map((row, i) => ({
      tokens: row.tokens - before[i].tokens,
      agility: row.agility - before[i].agility,
      resonance: row.resonance - before[i].resonance,
      completed: row.completed - before[i].completed,
    }))
    const reward = { tokens: 25, agility: 2, resonance: 40, completed: 1 }
    expect(gained).toEqual([reward, reward])
    const counts = await api(`/v1/quests/${quest.id}`, { token: alice.token })
    expect(counts.body).toMatchObject({ play_count: 2, completion_count: 2 })
    for (const client of [a, b, ...rooms]) client.close()
  })

  it('writes nothing twice under a doubled alarm or a restart between the write and its acknowledgement', async () => {
    const quest = await createQuest(alice, {
      quest_data: { objectives: [{ id: 'q', type: 'answer', question: '?', answer: 'yes' }] },
      rewards: { akashic_wisdom: 5, tokens: 10 },
    })
    const session = await openSession(alice, quest.id)
    const a = (await connectSession(alice, session.id)).client
    await sessionAction(alice, session.id, 'start')
    a.send({ type: 'answer', objective_id: 'q', answer: 'yes' })
    await a.waitForEvent((e) => e.type === 'completed', 'completed')
    const stub = sessionStub(session.id)
    await expect
      .poll(() => writtenOnce(session.id))
      .toEqual({ completions: 1, token_rewards: 1, essence_rows: 1 })

    // The acknowledgement was lost: the object believes Postgres has not seen its last version.
    const forgetAcknowledgement = () =>
      runInDurableObject(stub, (_session, state) => {
        state.storage.sql.exec(
          `UPDATE object_meta SET value = '0' WHERE key = 'session_synced_version'`,
        )
        return state.storage.setAlarm(Date.now() + 60_000)
      })
    await forgetAcknowledgement()
    await Promise.all([runDurableObjectAlarm(stub), stub.syncToPostgres(), stub.syncToPostgres()])
    // One of them wrote the pending version again (and found it there); nothing is left pending.
    expect(await stub.syncToPostgres()).toBe('skipped')
    expect(await writtenOnce(session.id)).toEqual({
      completions: 1,
      token_rewards: 1,
      essence_rows: 1,
    })

    await forgetAcknowledgement()
    await abortAllDurableObjects()
    expect(await runDurableObjectAlarm(sessionStub(session.id))).toBe(true)
    expect(await writtenOnce(session.id)).toEqual({
      completions: 1,
      token_rewards: 1,
      essence_rows: 1,
    })
    expect((await viewSession(alice, session.id)).status).toBe('completed')
  })

  it('writes a completion that Postgres could not take at once when the alarm retries', async () => {
    const quest = await createQuest(alice, {
      quest_data: { objectives: [{ id: 'q', type: 'answer', question: '?', answer: 'yes' }] },
      rewards: { tokens: 7 },
    })
    const session = await openSession(alice, quest.id)
    const a = (await connectSession(alice, session.id)).client
    await sessionAction(alice, session.id, 'start')
    const stub = sessionStub(session.id)
    await stub.injectDatabaseFault(true)
    a.send({ type: 'answer', objective_id: 'q', answer: 'yes' })
    await a.waitForEvent((e) => e.type === 'completed', 'completed')
    await a.roundTrip()
    expect(await writtenOnce(session.id)).toEqual({
      completions: 0,
      token_rewards: 0,
      essence_rows: 0,
    })
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect((await writtenOnce(session.id)).completions).toBe(0)
    await stub.injectDatabaseFault(false)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect(await writtenOnce(session.id)).toEqual({
      completions: 1,
      token_rewards: 1,
      essence_rows: 0,
    })
    const [completion] = await sqlRows<any>(
      `SELECT completion_verified, verification_hash, rank_at_completion, is_personal_best
       FROM challenge_completions WHERE quest_instance_id = $1`,
      [session.id],
    )
    expect(completion).toMatchObject({
      completion_verified: true,
      rank_at_completion: 1,
      is_personal_best: true,
    })
    expect(completion.verification_hash).toMatch(/^[0-9a-f]{64}$/)
    a.close()
  })
})

describe('a restart in the middle of a session', () => {
  it('loses nothing a client has seen acknowledged, and the session goes on to completion', async () => {
    const quest = await createQuest(alice)
    const session = await openSession(alice, quest.id)
    await sessionAction(bob, session.id, 'join')
    let a = (await connectSession(alice, session.id)).client
    let b = (await connectSession(bob, session.id)).client
    await sessionAction(alice, session.id, 'start')
    const clock = sessionStub(session.id)
    await clock.advanceClock(1_000)
    expect(await sessionMove(a, alice, 9.5, 1.5)).toBeNull()
    a.send({ type: 'reach', objective_id: 'garden' })
    await b.waitForEvent((e) => e.type === 'objective' && e.objective.id === 'garden', 'garden')
    b.send({ type: 'answer', objective_id: 'riddle', answer: 'Rome' })
    await a.waitForEvent((e) => e.type === 'answered', 'wrong answer')

    await abortAllDurableObjects()

    const again = await connectSession(alice, session.id)
    a = again.client
    b = (await connectSession(bob, session.id)).client
    const restored = again.welcome.session
    expect(restored.status).toBe('in_progress')
    expect(restored.objectives.find((o: any) => o.id === 'garden')).toMatchObject({
      status: 'completed',
      completed_by: alice.id,
    })
    expect(restored.objectives.find((o: any) => o.id === 'riddle').attempts_left).toBe(1)
    expect(restored.participants.find((p: any) => p.user_id === bob.id).mistakes).toBe(1)
    // Alice's accepted position survived: flower_a is within reach without moving.
    a.send({ type: 'collect', objective_id: 'flowers', object_id: 'flower_a', ref: 'f' })
    await b.waitForEvent((e) => e.type === 'collected', 'flower_a')
    // A stub of the aborted object is broken: a fresh one reaches the restarted object.
    await sessionStub(session.id).advanceClock(2_000)
    expect(await sessionMove(b, bob, 8, 3)).toBeNull()
    b.send({ type: 'interact', objective_id: 'sage', target_id: 'old_sage' })
    await a.waitForEvent((e) => e.type === 'objective' && e.objective.id === 'sage', 'sage')
    b.send({ type: 'answer', objective_id: 'riddle', answer: 'Paris' })
    await a.waitForEvent(
      (e) =>
        e.type === 'objective' && e.objective.id === 'riddle' && e.objective.status === 'completed',
      'riddle',
    )
    expect(await sessionMove(a, alice, 11, -1)).toBeNull()
    a.send({ type: 'collect', objective_id: 'flowers', object_id: 'flower_b' })
    const completed = await b.waitForEvent((e) => e.type === 'completed', 'completed')
    // 3 s moved forward on the session's clock, and the real time the restart took.
    expect(completed.time_taken_seconds).toBeGreaterThanOrEqual(3)
    expect(completed.time_taken_seconds).toBeLessThan(8)
    await expect.poll(async () => (await writtenOnce(session.id)).completions).toBe(2)
    a.close()
    b.close()
  })
})
