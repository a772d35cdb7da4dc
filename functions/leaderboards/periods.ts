/**
 * Leaderboard periods. Weekly boards start on Mondays at 00:00 UTC, daily boards at 00:00 UTC (the
 * SQL twin is `leaderboard_period_start` of migration 0020, which files each completion); all_time
 * has one board, stored with period_start '-infinity'.
 */

/** The three periods of a quest's boards. */
export const PERIODS = ['all_time', 'weekly', 'daily'] as const
export type Period = (typeof PERIODS)[number]

/** How the all_time board's period_start is stored. */
export const ALL_TIME_START = '-infinity'

const DAY_MS = 86_400_000

/** The UTC start of the weekly or daily period containing `at`. */
export function periodStartOf(period: Exclude<Period, 'all_time'>, at: Date): Date {
  const midnight = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate())
  if (period === 'daily') return new Date(midnight)
  // getUTCDay: 0 = Sunday; weeks start on Monday (ISO, as Postgres's date_trunc('week')).
  const daysSinceMonday = (at.getUTCDay() + 6) % 7
  return new Date(midnight - daysSinceMonday * DAY_MS)
}

/** The end (exclusive) of the period that starts at `start`. */
export function periodEndOf(period: Exclude<Period, 'all_time'>, start: Date): Date {
  return new Date(start.getTime() + (period === 'weekly' ? 7 : 1) * DAY_MS)
}

/** True when `start` is where a weekly or daily period begins. */
export function isPeriodStart(period: Exclude<Period, 'all_time'>, start: Date): boolean {
  return periodStartOf(period, start).getTime() === start.getTime()
}

/** A resolved board period: the stored period_start and what the API shows of it. */
export interface BoardPeriod {
  period: Period
  /** The value of `period_start` in SQL (`-infinity` for all_time). */
  storedStart: string
  /** ISO start and end for the response (null for all_time). */
  start: string | null
  end: string | null
}

/** The board of `period` starting at `start`, or the current one (by `now`) when omitted. */
export function boardPeriod(period: Period, start: Date | undefined, now: Date): BoardPeriod {
  if (period === 'all_time') return { period, storedStart: ALL_TIME_START, start: null, end: null }
  const from = start ?? periodStartOf(period, now)
  const iso = from.toISOString()
  return { period, storedStart: iso, start: iso, end: periodEndOf(period, from).toISOString() }
}
