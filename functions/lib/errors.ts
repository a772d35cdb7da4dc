/**
 * The one error model of the API: `ApiError` with a closed set of codes, each mapped to an HTTP
 * status, rendered as `{ "error": { "code", "message", "request_id", "details"? } }`.
 */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** Every error code the API returns, with its HTTP status. */
export const ERROR_STATUS = {
  validation_error: 400,
  bad_request: 400,
  unauthorized: 401,
  invalid_token: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  already_claimed: 409,
  insufficient_funds: 409,
  capacity_reached: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal_error: 500,
  config_error: 500,
  service_unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>

/** A code from the closed set. */
export type ErrorCode = keyof typeof ERROR_STATUS

/** Every code of the closed set, for schemas. */
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]

/** True when `code` belongs to the closed set (e.g. a code coming back from a Durable Object). */
export const isErrorCode = (code: unknown): code is ErrorCode =>
  typeof code === 'string' && Object.hasOwn(ERROR_STATUS, code)

/** The body of every error response. */
export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; request_id: string; details?: unknown }
}

/** An error meant for the client: its code, message and optional details are returned as-is. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. `Retry-After`. */
    readonly headers?: Record<string, string>,
  ) {
    super(message)
    this.name = 'ApiError'
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code]
  }
}

/** Builds the envelope for `error` with the request id of `c`. */
export function errorEnvelope(c: Context, error: ApiError): ErrorEnvelope {
  const body: ErrorEnvelope = {
    error: { code: error.code, message: error.message, request_id: c.get('requestId') ?? '' },
  }
  if (error.details !== undefined) body.error.details = error.details
  return body
}

/** Renders `error` as a JSON response in the envelope. */
export function errorResponse(c: Context, error: ApiError): Response {
  for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value)
  return c.json(errorEnvelope(c, error), error.status)
}
