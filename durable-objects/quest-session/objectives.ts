/**
 * The rules of objectives: which claim a session accepts and what it credits. Pure functions over
 * the quest's objectives and a ledger read from storage, so every rule is tested in Node; the
 * session (`session.ts`) reads the ledger, asks, and writes what was decided.
 */
import { distanceMeters, type Point } from '../core/movement'
import type { ClaimFrame, ObjectiveStatus, ObjectiveView, QuestErrorCode } from './protocol'
import { publicObjective, sameAnswer, type Objective, type QuestData } from './quest-data'
import type { CreditRow, ObjectiveRow } from './schema'

/** The live state of a session's objectives. */
export interface ObjectiveLedger {
  rows: Map<string, ObjectiveRow>
  credits: CreditRow[]
}

/** Why a claim is refused. */
export interface ClaimRefusal {
  code: QuestErrorCode
  message: string
}

/** What an accepted claim does. */
export type ClaimDecision =
  /** Credit `user` with `points` (for `object_id`, '' when the objective is one step). */
  | { kind: 'credit'; object_id: string; points: number; completes: boolean }
  /** A wrong answer: one attempt used; `fails` when it was the last one. */
  | { kind: 'wrong_answer'; attempts_left: number; fails: boolean }

/** The objective type each claim frame is for. */
const CLAIM_TYPES: Record<ClaimFrame['type'], Objective['type']> = {
  reach: 'reach_location',
  collect: 'collect_items',
  interact: 'interact',
  answer: 'answer',
}

/** An objective's status: locked until the objectives it comes `after` are completed. */
export function objectiveStatus(objective: Objective, ledger: ObjectiveLedger): ObjectiveStatus {
  const row = ledger.rows.get(objective.id)
  if (row?.status === 'completed' || row?.status === 'failed') return row.status
  const locked = objective.after?.some((id) => ledger.rows.get(id)?.status !== 'completed')
  return locked ? 'locked' : 'open'
}

/** The objective a claim names, if it may be claimed now (open, of the frame's type). */
export function claimableObjective(
  data: QuestData,
  ledger: ObjectiveLedger,
  frame: ClaimFrame,
): { ok: true; objective: Objective } | { ok: false; refusal: ClaimRefusal } {
  const objective = data.objectives.find((o) => o.id === frame.objective_id)
  if (!objective) {
    return refused('unknown_objective', `this quest has no objective "${frame.objective_id}"`)
  }
  if (objective.type !== CLAIM_TYPES[frame.type]) {
    return refused(
      'wrong_objective_type',
      `"${objective.id}" is a ${objective.type} objective; ${frame.type} does not apply to it`,
    )
  }
  switch (objectiveStatus(objective, ledger)) {
    case 'completed':
      return refused('already_completed', `"${objective.id}" is already completed`)
    case 'failed':
      return refused('objective_failed', `"${objective.id}" has failed`)
    case 'locked':
      return refused('locked', `"${objective.id}" opens after ${objective.after?.join(', ')}`)
    case 'open':
      return { ok: true, objective }
  }
}

/** Whether a claim on `objective` is judged by where the player is. */
export const needsPosition = (objective: Objective): boolean => objective.type !== 'answer'

/**
 * Decides a claim on an open objective, given the position the session accepted for the player
 * (null for quiz answers).
 */
export function decideClaim(
  objective: Objective,
  ledger: ObjectiveLedger,
  frame: ClaimFrame,
  position: Point | null,
): { ok: true; decision: ClaimDecision } | { ok: false; refusal: ClaimRefusal } {
  switch (objective.type) {
    case 'reach_location': {
      const distance = distanceMeters(position!, objective.location)
      if (distance > objective.radius) {
        return refused(
          'out_of_reach',
          `you are ${distance.toFixed(1)} m from the location; within ${objective.radius} m counts`,
        )
      }
      return credit('', objective.points, true)
    }
    case 'collect_items': {
      const objectId = (frame as Extract<ClaimFrame, { type: 'collect' }>).object_id
      const placed = objective.objects.find((o) => o.object_id === objectId)
      if (!placed) return refused('unknown_object', `"${objective.id}" places no "${objectId}"`)
      const collected = ledger.credits.filter((c) => c.objective_id === objective.id)
      if (collected.some((c) => c.object_id === objectId)) {
        return refused('already_collected', `"${objectId}" was already collected`)
      }
      const distance = distanceMeters(position!, placed.position)
      if (distance > objective.reach) {
        return refused(
          'out_of_reach',
          `"${objectId}" is ${distance.toFixed(1)} m away; within ${objective.reach} m counts`,
        )
      }
      const nth = collected.length + 1
      // The points are spread over the objects so that the quantity adds up to them exactly.
      const points =
        Math.floor((objective.points * nth) / objective.quantity) -
        Math.floor((objective.points * (nth - 1)) / objective.quantity)
      return credit(objectId, points, nth >= objective.quantity)
    }
    case 'interact': {
      const targetId = (frame as Extract<ClaimFrame, { type: 'interact' }>).target_id
      if (targetId !== objective.target_id) {
        return refused('wrong_target', `"${objective.id}" is about another target`)
      }
      const distance = distanceMeters(position!, objective.position)
      if (distance > objective.reach) {
        return refused(
          'out_of_reach',
          `"${targetId}" is ${distance.toFixed(1)} m away; within ${objective.reach} m counts`,
        )
      }
      return credit('', objective.points, true)
    }
    case 'answer': {
      const given = (frame as Extract<ClaimFrame, { type: 'answer' }>).answer
      const attempts = ledger.rows.get(objective.id)?.attempts ?? 0
      if (attempts >= objective.max_attempts) {
        return refused('no_attempts_left', `"${objective.id}" has no attempts left`)
      }
      const keys = [objective.answer, ...(objective.accepted_answers ?? [])]
      if (keys.some((key) => sameAnswer(key, given))) return credit('', objective.points, true)
      const attemptsLeft = objective.max_attempts - attempts - 1
      return {
        ok: true,
        decision: { kind: 'wrong_answer', attempts_left: attemptsLeft, fails: attemptsLeft === 0 },
      }
    }
  }
}

/** True when every required objective is completed. */
export function allRequiredCompleted(data: QuestData, ledger: ObjectiveLedger): boolean {
  return data.objectives.every((o) => !o.required || ledger.rows.get(o.id)?.status === 'completed')
}

/** True when every objective, required or not, is completed. */
export function everyObjectiveCompleted(data: QuestData, ledger: ObjectiveLedger): boolean {
  return data.objectives.every((o) => ledger.rows.get(o.id)?.status === 'completed')
}

/** The most a team can score. */
export const maxPossibleScore = (data: QuestData): number =>
  data.objectives.reduce((sum, o) => sum + o.points, 0)

/** Points credited to each user. */
export function scoresByUser(ledger: ObjectiveLedger): Map<string, number> {
  const scores = new Map<string, number>()
  for (const c of ledger.credits) scores.set(c.user_id, (scores.get(c.user_id) ?? 0) + c.points)
  return scores
}

/** Required objectives completed, as a percentage (the team's progress). */
export function completionPercentage(data: QuestData, ledger: ObjectiveLedger): number {
  const required = data.objectives.filter((o) => o.required)
  const done = required.filter((o) => ledger.rows.get(o.id)?.status === 'completed').length
  return Math.floor((done * 100) / required.length)
}

/** An objective as clients see it, with its live state. */
export function objectiveView(objective: Objective, ledger: ObjectiveLedger): ObjectiveView {
  const row = ledger.rows.get(objective.id)
  const credits = ledger.credits.filter((c) => c.objective_id === objective.id)
  const target = objective.type === 'collect_items' ? objective.quantity : 1
  const view: ObjectiveView = {
    ...publicObjective(objective),
    status: objectiveStatus(objective, ledger),
    progress:
      objective.type === 'collect_items' ? credits.length : row?.status === 'completed' ? 1 : 0,
    target,
    completed_by: row?.completed_by ?? null,
    completed_at_ms: row?.completed_at_ms ?? null,
  }
  if (objective.type === 'collect_items') {
    view.collected = credits.map((c) => ({ object_id: c.object_id, user_id: c.user_id }))
  }
  if (objective.type === 'answer') {
    view.attempts_left = Math.max(0, objective.max_attempts - (row?.attempts ?? 0))
  }
  return view
}

function refused(code: QuestErrorCode, message: string): { ok: false; refusal: ClaimRefusal } {
  return { ok: false, refusal: { code, message } }
}

function credit(
  objectId: string,
  points: number,
  completes: boolean,
): { ok: true; decision: ClaimDecision } {
  return { ok: true, decision: { kind: 'credit', object_id: objectId, points, completes } }
}
