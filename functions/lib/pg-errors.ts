/** Recognizing Postgres errors by SQLSTATE (the Neon driver and pg expose `code`). */

const sqlState = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown; cause?: { code?: unknown } } | null)?.code
  if (typeof code === 'string') return code
  // drizzle wraps driver errors; the driver's error is the cause.
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code
  return typeof cause === 'string' ? cause : undefined
}

/** A unique constraint refused the row (23505). */
export const isUniqueViolation = (error: unknown): boolean => sqlState(error) === '23505'

/** A CHECK constraint refused the row (23514). */
export const isCheckViolation = (error: unknown): boolean => sqlState(error) === '23514'

/** The constraint name of a driver error, when it carries one. */
export function constraintOf(error: unknown): string | undefined {
  const e = error as { constraint?: unknown; cause?: { constraint?: unknown } } | null
  const name = e?.constraint ?? e?.cause?.constraint
  return typeof name === 'string' ? name : undefined
}

/**
 * Text Postgres cannot store (a NUL character: SQLSTATE 22P05 or 22021). Validation rejects it
 * where it knows; this is the last line, so such input is a 400 rather than a 500 everywhere.
 */
export const isUnstorableText = (error: unknown): boolean =>
  ['22P05', '22021'].includes(sqlState(error) ?? '')

/**
 * A date or time Postgres cannot represent (22007 format, 22008 field overflow). Validation
 * refuses them at the boundary; this is the last line, so such input is a 400, never a 500.
 */
export const isInvalidDatetime = (error: unknown): boolean =>
  ['22007', '22008'].includes(sqlState(error) ?? '')

/** A number out of its column's range (22003), e.g. a balance past the integer limit. */
export const isNumericOverflow = (error: unknown): boolean => sqlState(error) === '22003'

/** A function raised `no_data_found` (P0002): the row it needed does not exist. */
export const isNoDataFound = (error: unknown): boolean => sqlState(error) === 'P0002'

/** The HINT of a driver error (a function's `RAISE … USING HINT`), when it carries one. */
export function hintOf(error: unknown): string | undefined {
  const e = error as { hint?: unknown; cause?: { hint?: unknown } } | null
  const hint = e?.hint ?? e?.cause?.hint
  return typeof hint === 'string' ? hint : undefined
}
