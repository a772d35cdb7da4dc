/**
 * Movement plausibility, shared by every live object that accepts positions (the instance room
 * for its moves, the quest session for its own position stream): a player cannot be at a place
 * they could not have reached at the speed limit.
 *
 * A distance budget, like a token bucket in metres: it refills at `max_speed_mps` up to
 * `max_speed_mps × MOVEMENT_BURST_SECONDS`, and each move spends its straight-line distance. So
 * moves that arrive bunched (sent 100 ms apart, received 5 ms apart) are not refused, while the
 * sustained speed never exceeds the limit and a teleport is refused whatever the frame rate.
 * Pure arithmetic over a small serializable track, so it can ride in storage or attachments.
 */
import { MOVEMENT_BURST_SECONDS, MOVEMENT_SLACK_METERS } from './config'

/** A point in metres. */
export interface Point {
  x: number
  y: number
  z: number
}

/** Where a player last was, as accepted, and the distance they may still cover at once. */
export interface MovementTrack {
  position: Point
  /** When `position` was accepted (epoch ms, the object's clock). */
  at_ms: number
  /** Metres the player may move right now without waiting. */
  budget_m: number
}

/** The outcome of a move. */
export type MoveCheck =
  { ok: true; track: MovementTrack } | { ok: false; distance_m: number; allowed_m: number }

/** Straight-line distance between two points, in metres. */
export function distanceMeters(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z)
}

/** The largest budget: `MOVEMENT_BURST_SECONDS` of travel at the limit. */
const budgetCap = (maxSpeedMps: number) => maxSpeedMps * MOVEMENT_BURST_SECONDS

/** A track starting at `position` at `atMs` with a full budget. */
export function startTrack(position: Point, atMs: number, maxSpeedMps: number): MovementTrack {
  return { position: pointOf(position), at_ms: atMs, budget_m: budgetCap(maxSpeedMps) }
}

/**
 * Checks a move of `track` to `to` at `nowMs` against `maxSpeedMps`: accepted with the new track,
 * or refused with the distance asked and the distance allowed (the track is then unchanged). A
 * clock that stands still or goes back refills nothing.
 */
export function checkMove(
  track: MovementTrack,
  to: Point,
  nowMs: number,
  maxSpeedMps: number,
): MoveCheck {
  const elapsedS = Math.max(0, nowMs - track.at_ms) / 1000
  const budget = Math.min(budgetCap(maxSpeedMps), track.budget_m + elapsedS * maxSpeedMps)
  const distance = distanceMeters(track.position, to)
  if (distance > budget + MOVEMENT_SLACK_METERS) {
    return { ok: false, distance_m: distance, allowed_m: budget }
  }
  return {
    ok: true,
    track: {
      position: pointOf(to),
      at_ms: Math.max(track.at_ms, nowMs),
      budget_m: Math.max(0, budget - distance),
    },
  }
}

/**
 * Whether `target` can be reached from `origin` within `elapsedMs` at `maxSpeedMps` (plus one
 * burst): the earliest a player who set out from `origin` could be there.
 */
export function reachableWithin(
  origin: Point,
  target: Point,
  elapsedMs: number,
  maxSpeedMps: number,
): boolean {
  const allowed = (Math.max(0, elapsedMs) / 1000) * maxSpeedMps + budgetCap(maxSpeedMps)
  return distanceMeters(origin, target) <= allowed + MOVEMENT_SLACK_METERS
}

function pointOf(point: Point): Point {
  return { x: point.x, y: point.y, z: point.z }
}
