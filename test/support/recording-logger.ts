/**
 * A stand-in for `functions/lib/logger` in suites that send thousands of requests: per-request
 * lines are dropped, error-level lines are kept in `appErrors` for assertion messages. Use with
 * `vi.mock('../../functions/lib/logger', () => import('../support/recording-logger'))`.
 */
import { vi } from 'vitest'
import type * as Logger from '../../functions/lib/logger'

const actual = await vi.importActual<typeof Logger>('../../functions/lib/logger')

/** The app's error-level log lines, as JSON, in the order they were logged. */
export const appErrors: string[] = []

export const describeError = actual.describeError

export const log: typeof actual.log = (level, msg, fields = {}) => {
  if (level === 'error') appErrors.push(JSON.stringify({ msg, ...fields }))
}
