/** Middleware for request ids and the one structured log line per request. */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from './context'
import { log } from './logger'

/** A client-supplied id is echoed only when it is short and plain, so logs cannot be forged. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Takes `X-Request-Id` from the client (or generates one) and echoes it on the response. */
export const requestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const supplied = c.req.header('X-Request-Id')
  const id = supplied && CLIENT_REQUEST_ID.test(supplied) ? supplied : crypto.randomUUID()
  c.set('requestId', id)
  await next()
  c.header('X-Request-Id', id)
}

/** Logs method, path, status, duration and request id once the response is ready. */
export const requestLog: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = Date.now()
  await next()
  log(c.res.status >= 500 ? 'error' : 'info', 'request', {
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    ms: Date.now() - started,
    requestId: c.get('requestId'),
  })
}
