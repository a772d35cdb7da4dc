/**
 * Log recording for suites that send thousands of requests: per-request lines are dropped,
 * error-level lines are kept in `appErrors` for assertion messages. Call `recordLogs()` once at the
 * top of the suite.
 */
import { afterAll } from 'vitest'
import { setLogSink } from '../../functions/lib/logger'

/** The app's error-level log lines, as JSON, in the order they were logged. */
export const appErrors: string[] = []

/** Records the app's log lines instead of printing them, until the file's tests end. */
export function recordLogs(): void {
  setLogSink((level, line) => {
    if (level === 'error') appErrors.push(JSON.stringify(line))
  })
  afterAll(() => setLogSink(undefined))
}
