/**
 * The QuestSession's pure rules in Node: quest_data validation (with the path of the bad field),
 * the session clock (pause arithmetic, time limit, abandonment), and objective decisions.
 */
import { describe, expect, it } from 'vitest'
import { ABANDON_AFTER_DISCONNECTED_MS } from '../../durable-objects/quest-session/config'
import {
  claimableObjective,
  decideClaim,
  type ObjectiveLedger,
} from '../../durable-objects/quest-session/objectives'
import {
  publicObjective,
  questDataSchema,
  rewardsSchema,
  type QuestData,
} from '../../durable-objects/quest-session/quest-data'
import {
  dueDeadline,
  elapsedMs,
  nextDeadlineMs,
  transition,
  type SessionState,
} from '../../durable-objects/quest-session/timing'

const point = (x: number, z = 0) => ({ x, y: 0, z })

const QUEST: QuestData = questDataSchema.parse({
  objectives: [
    { id: 'gate', type: 'reach_location', location: point(10), radius: 2 },
    {
      id: 'shells',
      type: 'collect_items',
      item_id: 'shell',
      quantity: 3,
      points: 100,
      objects: [1, 2, 3, 4].map((i) => ({ object_id: `s${i}`, position: point(20 + i) })),
      after: ['gate'],
    },
    { id: 'keeper', type: 'interact', target_id: 'keeper', position: point(0, 5) },
    { id: 'quiz', type: 'answer', question: '2 + 2?', answer: 'four', accepted_answers: ['4'] },
  ],
})

function issuesOf(data: unknown) {
  const parsed = questDataSchema.safeParse(data)
  if (parsed.success) throw new Error('expected invalid quest_data')
  return parsed.error.issues.map((issue) => issue.path.join('.'))
}

describe('quest_data', () => {
  it('applies defaults: required, 100 points, reach 3 m, 3 attempts', () => {
    const [gate, , keeper, quiz] = QUEST.objectives
    expect(gate).toMatchObject({ required: true, points: 100 })
    expect(keeper).toMatchObject({ reach: 3 })
    expect(quiz).toMatchObject({ max_attempts: 3 })
  })

  it('names the path of each field a session could not run', () => {
    expect(
      issuesOf({
        objectives: [
          { id: 'a', type: 'reach_location', location: point(0), radius: -1 },
          {
            id: 'a',
            type: 'collect_items',
            item_id: 'x',
            quantity: 3,
            objects: [{ object_id: 'o', position: point(0) }],
          },
          { id: 'c', type: 'teleport' },
          {
            id: 'd',
            type: 'answer',
            question: 'q',
            options: ['x', 'y'],
            answer: 'z',
            after: ['nope'],
          },
        ],
      }).sort(),
    ).toEqual([
      'objectives.0.radius',
      'objectives.1.objects',
      'objectives.2.type',
      'objectives.3.answer',
    ])
    // The refinements over the whole document (ids, prerequisites, a required objective).
    expect(
      issuesOf({
        objectives: [
          { id: 'a', type: 'reach_location', location: point(0), radius: 1, required: false },
          {
            id: 'a',
            type: 'collect_items',
            item_id: 'x',
            quantity: 3,
            objects: [{ object_id: 'o', position: point(0) }],
            required: false,
          },
          {
            id: 'd',
            type: 'answer',
            question: 'q',
            options: ['x', 'y'],
            answer: 'z',
            after: ['nope'],
            required: false,
          },
        ],
      }).sort(),
    ).toEqual(
      [
        'objectives',
        'objectives.1.id',
        'objectives.1.objects',
        'objectives.2.after.0',
        'objectives.2.answer',
      ].sort(),
    )
  })

  it('refuses unknown keys, empty objectives and malformed item rewards, keeping the path', () => {
    // The unknown key, the empty list, and "nothing required" (an empty list requires nothing).
    expect(issuesOf({ objectives: [], rewards: {} }).sort()).toEqual([
      '',
      'objectives',
      'objectives',
    ])
    const rewards = rewardsSchema.safeParse({
      items: [{ item_id: 'seed', quantity: 1 }],
      attributes: { discovery: 5 },
    })
    expect(rewards.success).toBe(false)
    expect(rewards.error!.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'attributes',
      'items.0.item_id',
    ])
  })

  it('hides the answer key from clients', () => {
    expect(publicObjective(QUEST.objectives[3])).not.toHaveProperty('answer')
    expect(publicObjective(QUEST.objectives[3])).not.toHaveProperty('accepted_answers')
  })
})

const T0 = 1_000_000

function waiting(): SessionState {
  return {
    status: 'waiting',
    end_reason: null,
    host_user_id: 'host',
    created_at_ms: T0,
    started_at_ms: null,
    paused_at_ms: null,
    resumed_at_ms: null,
    total_pause_ms: 0,
    ended_at_ms: null,
    plays_at_start: 0,
    disconnected_since_ms: null,
    is_abandoned: false,
  }
}

describe('the session clock', () => {
  it('excludes paused time from elapsed time and moves the time limit by it', () => {
    let state = transition(waiting(), 'in_progress', T0)
    expect(nextDeadlineMs(state, 60)).toBe(T0 + 60_000)
    state = transition(state, 'paused', T0 + 10_000)
    expect(elapsedMs(state, T0 + 70_000)).toBe(10_000)
    expect(nextDeadlineMs(state, 60)).toBeNull()
    state = transition(state, 'in_progress', T0 + 70_000)
    expect(state.total_pause_ms).toBe(60_000)
    expect(state.resumed_at_ms).toBe(T0 + 70_000)
    expect(elapsedMs(state, T0 + 75_000)).toBe(15_000)
    expect(nextDeadlineMs(state, 60)).toBe(T0 + 120_000)
    expect(dueDeadline(state, 60, T0 + 119_999)).toBeNull()
    expect(dueDeadline(state, 60, T0 + 120_000)).toBe('time_limit')
  })

  it('ends a pause when the session ends while paused', () => {
    let state = transition(waiting(), 'in_progress', T0)
    state = transition(state, 'paused', T0 + 5_000)
    state = transition(state, 'abandoned', T0 + 9_000, 'abandoned_by_host')
    expect(state).toMatchObject({
      total_pause_ms: 4_000,
      ended_at_ms: T0 + 9_000,
      is_abandoned: true,
    })
    expect(elapsedMs(state, T0 + 100_000)).toBe(5_000)
  })

  it('abandons after every participant has been disconnected for five minutes', () => {
    const state = { ...transition(waiting(), 'in_progress', T0), disconnected_since_ms: T0 }
    expect(dueDeadline(state, null, T0 + ABANDON_AFTER_DISCONNECTED_MS - 1)).toBeNull()
    expect(dueDeadline(state, null, T0 + ABANDON_AFTER_DISCONNECTED_MS)).toBe('all_disconnected')
    expect(nextDeadlineMs({ ...state, disconnected_since_ms: null }, null)).toBeNull()
  })
})

function ledger(
  rows: Array<[string, 'open' | 'completed' | 'failed', number?]> = [],
  credits: Array<[string, string, string]> = [],
): ObjectiveLedger {
  return {
    rows: new Map(
      rows.map(([id, status, attempts]) => [
        id,
        {
          objective_id: id,
          ordinal: 0,
          status,
          attempts: attempts ?? 0,
          completed_by: null,
          completed_at_ms: null,
        },
      ]),
    ),
    credits: credits.map(([objective_id, object_id, user_id]) => ({
      objective_id,
      object_id,
      user_id,
      points: 0,
      at_ms: 0,
    })),
  }
}

describe('objective decisions', () => {
  const claim = (frame: any, state = ledger()) => claimableObjective(QUEST, state, frame)

  it('refuses unknown, mistyped, completed and locked objectives', () => {
    expect(claim({ type: 'reach', objective_id: 'nowhere' })).toMatchObject({
      ok: false,
      refusal: { code: 'unknown_objective' },
    })
    expect(claim({ type: 'reach', objective_id: 'quiz' })).toMatchObject({
      ok: false,
      refusal: { code: 'wrong_objective_type' },
    })
    expect(
      claim({ type: 'reach', objective_id: 'gate' }, ledger([['gate', 'completed']])),
    ).toMatchObject({
      ok: false,
      refusal: { code: 'already_completed' },
    })
    expect(claim({ type: 'collect', objective_id: 'shells', object_id: 's1' })).toMatchObject({
      ok: false,
      refusal: { code: 'locked' },
    })
  })

  it('credits a location only within its radius', () => {
    const gate = QUEST.objectives[0]
    const frame = { type: 'reach', objective_id: 'gate' } as const
    expect(decideClaim(gate, ledger(), frame, point(11.9))).toMatchObject({ ok: true })
    expect(decideClaim(gate, ledger(), frame, point(12.1))).toMatchObject({
      ok: false,
      refusal: { code: 'out_of_reach' },
    })
  })

  it('spreads an objective’s points over the collected objects and completes at the quantity', () => {
    const shells = QUEST.objectives[1]
    const frame = (id: string) =>
      ({ type: 'collect', objective_id: 'shells', object_id: id }) as const
    const credits: Array<[string, string, string]> = []
    const points: number[] = []
    for (const [i, id] of ['s1', 's2', 's3'].entries()) {
      const decided = decideClaim(shells, ledger([], credits), frame(id), point(20 + i + 1))
      if (!decided.ok || decided.decision.kind !== 'credit')
        throw new Error(JSON.stringify(decided))
      points.push(decided.decision.points)
      expect(decided.decision.completes).toBe(i === 2)
      credits.push(['shells', id, 'u'])
    }
    expect(points).toEqual([33, 33, 34])
    expect(decideClaim(shells, ledger([], credits), frame('s1'), point(21))).toMatchObject({
      ok: false,
      refusal: { code: 'already_collected' },
    })
    expect(decideClaim(shells, ledger(), frame('s9'), point(21))).toMatchObject({
      ok: false,
      refusal: { code: 'unknown_object' },
    })
    expect(decideClaim(shells, ledger(), frame('s4'), point(20))).toMatchObject({
      ok: false,
      refusal: { code: 'out_of_reach' },
    })
  })

  it('checks the interaction target and distance', () => {
    const keeper = QUEST.objectives[2]
    expect(
      decideClaim(
        keeper,
        ledger(),
        { type: 'interact', objective_id: 'keeper', target_id: 'thief' },
        point(0, 5),
      ),
    ).toMatchObject({
      ok: false,
      refusal: { code: 'wrong_target' },
    })
    expect(
      decideClaim(
        keeper,
        ledger(),
        { type: 'interact', objective_id: 'keeper', target_id: 'keeper' },
        point(0, 7),
      ),
    ).toMatchObject({
      ok: true,
    })
  })

  it('accepts any form of the key, counts wrong answers and fails on the last attempt', () => {
    const quiz = QUEST.objectives[3]
    const answer = (text: string) =>
      ({ type: 'answer', objective_id: 'quiz', answer: text }) as const
    expect(decideClaim(quiz, ledger(), answer('  FOUR '), null)).toMatchObject({
      ok: true,
      decision: { kind: 'credit' },
    })
    expect(decideClaim(quiz, ledger(), answer('4'), null)).toMatchObject({
      ok: true,
      decision: { kind: 'credit' },
    })
    expect(decideClaim(quiz, ledger([['quiz', 'open', 1]]), answer('five'), null)).toEqual({
      ok: true,
      decision: { kind: 'wrong_answer', attempts_left: 1, fails: false },
    })
    expect(decideClaim(quiz, ledger([['quiz', 'open', 2]]), answer('five'), null)).toEqual({
      ok: true,
      decision: { kind: 'wrong_answer', attempts_left: 0, fails: true },
    })
  })
})
