/** Middleware for request ids, the request's logger, and the one structured log line per request. */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from './context'
import { createLogger } from './logger'

/** A client-supplied id is echoed only when it is short and plain, so logs cannot be forged. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * Takes `X-Request-Id` from the client (or generates one), echoes it on the response, and gives the
 * request a logger carrying it.
 */
export const requestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const supplied = c.req.header('X-Request-Id')
  const id = supplied && CLIENT_REQUEST_ID.test(supplied) ? supplied : crypto.randomUUID()
  c.set('requestId', id)
  c.set('log', createLogger({ request_id: id }))
  await next()
  c.header('X-Request-Id', id)
}

/** Logs method, path, status and duration once the response is ready. */
export const requestLog: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = Date.now()
  await next()
  c.var.log[c.res.status >= 500 ? 'error' : 'info']('request', {
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    ms: Date.now() - started,
  })
}
