/**
 * How a live object says no to the Worker: with a code of the Worker's closed set
 * (`functions/lib/errors.ts`), never with its own envelope. The object's gateway re-throws a
 * refusal as `ApiError`, so the client gets the Worker's envelope with its request id.
 */
import { ERROR_STATUS, type ErrorCode } from '../../functions/lib/errors'

/** A refusal: what went wrong, in the Worker's terms. */
export interface Refusal {
  ok: false
  error: { code: ErrorCode; message: string }
}

/** The answer of an RPC method that may refuse. */
export type Answer<T> = { ok: true; value: T } | Refusal

/** A refusal with `code` and `message`. */
export function refuse(code: ErrorCode, message: string): Refusal {
  return { ok: false, error: { code, message } }
}

/** An accepted answer. */
export function accept<T>(value: T): { ok: true; value: T } {
  return { ok: true, value }
}

/** A refused WebSocket upgrade: the refusal as its JSON body, with the status of its code. */
export function refusalResponse(code: ErrorCode, message: string): Response {
  return Response.json(refuse(code, message), { status: ERROR_STATUS[code] })
}
