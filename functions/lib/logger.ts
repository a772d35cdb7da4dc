/** Structured logs: one JSON object per line, so `wrangler tail` and log search can filter fields. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Writes one JSON log line. */
export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields })
  if (level === 'error') console.error(line)
  else if (level === 'warn') console.warn(line)
  else console.log(line)
}

/** Serializes an unknown thrown value for a log line (message and stack, never the raw object). */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    // drizzle wraps driver errors ("Failed query: …"); the driver's error is the cause.
    const cause = error.cause instanceof Error ? { cause: error.cause.message } : {}
    return { error: error.message, name: error.name, ...cause, stack: error.stack }
  }
  return { error: String(error) }
}
