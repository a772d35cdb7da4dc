/**
 * A session's status and clock: pure arithmetic over `SessionState`, so pause arithmetic, the
 * time limit and abandonment can be checked in Node tests.
 *
 * Quest time runs from `started_at_ms` and stops while paused: elapsed = (now or end) − start −
 * total pause − the current pause. The time limit is on quest time; abandonment on wall time
 * since every participant disconnected.
 */
import { ABANDON_AFTER_DISCONNECTED_MS } from './config'
import { TERMINAL_STATUSES, type EndReason, type SessionStatus } from './protocol'

/** Status and timing of a session (meta key `state`). */
export interface SessionState {
  status: SessionStatus
  end_reason: EndReason | null
  host_user_id: string
  created_at_ms: number
  started_at_ms: number | null
  /** Start of the last pause (the current one while `status` is `paused`). */
  paused_at_ms: number | null
  resumed_at_ms: number | null
  /** Paused time of finished pauses. */
  total_pause_ms: number
  ended_at_ms: number | null
  /** Participants counted as plays when the session started. */
  plays_at_start: number
  /** Since when no participant has had an open socket (null while someone is connected). */
  disconnected_since_ms: number | null
  is_abandoned: boolean
}

/** True once the session can no longer change. */
export const isTerminal = (status: SessionStatus): boolean => TERMINAL_STATUSES.includes(status)

/** Quest time elapsed at `nowMs`, excluding pauses (0 before the start). */
export function elapsedMs(state: SessionState, nowMs: number): number {
  if (state.started_at_ms === null) return 0
  const end = state.ended_at_ms ?? nowMs
  const currentPause =
    state.status === 'paused' && state.paused_at_ms !== null ? end - state.paused_at_ms : 0
  return Math.max(0, end - state.started_at_ms - state.total_pause_ms - currentPause)
}

/** When the time limit runs out (wall clock), or null: untimed, not running, or ended. */
export function timeLimitDeadlineMs(
  state: SessionState,
  timeLimitSeconds: number | null,
): number | null {
  if (timeLimitSeconds === null || state.status !== 'in_progress' || state.started_at_ms === null) {
    return null
  }
  return state.started_at_ms + state.total_pause_ms + timeLimitSeconds * 1000
}

/** When the session is abandoned for lack of connected participants, or null. */
export function abandonDeadlineMs(state: SessionState): number | null {
  if (isTerminal(state.status) || state.disconnected_since_ms === null) return null
  return state.disconnected_since_ms + ABANDON_AFTER_DISCONNECTED_MS
}

/** The deadline that is due at `nowMs`, if any: the time limit first. */
export function dueDeadline(
  state: SessionState,
  timeLimitSeconds: number | null,
  nowMs: number,
): EndReason | null {
  const limit = timeLimitDeadlineMs(state, timeLimitSeconds)
  if (limit !== null && nowMs >= limit) return 'time_limit'
  const abandon = abandonDeadlineMs(state)
  if (abandon !== null && nowMs >= abandon) return 'all_disconnected'
  return null
}

/** The earliest of the session's deadlines, or null. */
export function nextDeadlineMs(
  state: SessionState,
  timeLimitSeconds: number | null,
): number | null {
  const deadlines = [timeLimitDeadlineMs(state, timeLimitSeconds), abandonDeadlineMs(state)].filter(
    (d): d is number => d !== null,
  )
  return deadlines.length === 0 ? null : Math.min(...deadlines)
}

/** Whole seconds of `ms` (rounded), as the seed's integer columns hold them. */
export const wholeSeconds = (ms: number): number => Math.round(ms / 1000)

/** The state after `status` changes at `nowMs` (pauses are accounted here, once). */
export function transition(
  state: SessionState,
  status: SessionStatus,
  nowMs: number,
  reason: EndReason | null = null,
): SessionState {
  const next: SessionState = { ...state, status }
  if (status === 'in_progress' && state.status === 'waiting') next.started_at_ms = nowMs
  if (status === 'paused') next.paused_at_ms = nowMs
  if (state.status === 'paused' && status !== 'paused' && state.paused_at_ms !== null) {
    // Resuming, or ending while paused: the pause ends now.
    next.total_pause_ms = state.total_pause_ms + Math.max(0, nowMs - state.paused_at_ms)
    if (status === 'in_progress') next.resumed_at_ms = nowMs
  }
  if (isTerminal(status)) {
    next.ended_at_ms = nowMs
    next.end_reason = reason
    next.is_abandoned = status === 'abandoned'
  }
  return next
}
