/**
 * Structured logs: one JSON object per line with snake_case fields, so `wrangler tail` and log
 * search can filter them. A request's logger carries its `request_id` (`c.var.log`, set by the
 * request-context middleware); a Durable Object binds its own ids the same way.
 *
 * **Never log query parameters, tokens or passwords.** `describeError` is the one way to put an
 * error into a line: for a database error it keeps the SQLSTATE, table, constraint and column and
 * drops the message (drizzle's message holds the whole SQL and its parameters, and Postgres's
 * messages quote input values); for anything else it keeps the message and the stack frames.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Fields of a log line. */
export type LogFields = Record<string, unknown>

/** Where log lines go: the console, unless a test suite records them instead. */
export type LogSink = (level: LogLevel, line: Record<string, unknown>) => void

const consoleSink: LogSink = (level, line) => {
  const text = JSON.stringify(line)
  if (level === 'error') console.error(text)
  else if (level === 'warn') console.warn(text)
  else console.log(text)
}

let sink: LogSink = consoleSink

/** Sends log lines to `next` (the console when undefined); for test suites that record them. */
export function setLogSink(next: LogSink | undefined): void {
  sink = next ?? consoleSink
}

/** Writes one JSON log line. */
export function log(level: LogLevel, msg: string, fields: LogFields = {}): void {
  sink(level, { level, msg, time: new Date().toISOString(), ...fields })
}

/** A logger whose lines all carry `fields` (e.g. the request id). */
export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  /** A logger carrying these fields as well. */
  with(fields: LogFields): Logger
}

/** A logger binding `bound` into every line. */
export function createLogger(bound: LogFields = {}): Logger {
  const at = (level: LogLevel) => (msg: string, fields: LogFields = {}) =>
    log(level, msg, { ...bound, ...fields })
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    with: (fields) => createLogger({ ...bound, ...fields }),
  }
}

/** The driver error of a database failure: drizzle wraps it as the `cause`. */
function databaseErrorOf(error: unknown): Record<string, unknown> | undefined {
  const candidates = [error, (error as { cause?: unknown } | null)?.cause]
  for (const candidate of candidates) {
    const code = (candidate as { code?: unknown } | null)?.code
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      return candidate as Record<string, unknown>
    }
  }
  return undefined
}

/** The `at …` frames of a stack, without the message lines that precede them. */
const stackFrames = (stack: string | undefined): string | undefined =>
  stack
    ?.split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n') || undefined

/**
 * A thrown value as log fields, safe to write: never the SQL, its parameters or a database
 * message (which may quote a value); see the module comment.
 */
export function describeError(error: unknown): LogFields {
  const database = databaseErrorOf(error)
  if (database) {
    const fields: LogFields = {
      error_name: error instanceof Error ? error.name : typeof error,
      sqlstate: database.code,
    }
    for (const key of ['table', 'constraint', 'column', 'schema', 'routine'] as const) {
      if (typeof database[key] === 'string') fields[key] = database[key]
    }
    const frames = stackFrames(error instanceof Error ? error.stack : undefined)
    if (frames) fields.stack = frames
    return fields
  }
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? { cause: error.cause.message } : {}
    // drizzle's wrapper of a failure that is not Postgres's (a dropped socket): its message is
    // "Failed query: <sql> params: <values>", so only the cause is kept.
    const message = /^Failed query/.test(error.message) ? 'query failed' : error.message
    return { error: message, error_name: error.name, ...cause, stack: stackFrames(error.stack) }
  }
  return { error: String(error) }
}
