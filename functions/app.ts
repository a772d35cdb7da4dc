/**
 * createApp(): the middleware chain and one router per domain, each mounted at its own prefix
 * (admin routes of a domain at `/v1/admin/<domain>`), so no router's middleware runs on another's
 * paths.
 *
 * Order: request id and logger → structured log → per-request database clients → the router
 * (body limit, authentication) → route. Errors of every kind end in the envelope of
 * `lib/errors.ts`.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from './lib/context'
import { closeRequestClients } from './lib/db'
import { renderDocsPage } from './lib/docs-page'
import { ApiError, errorResponse, type ErrorCode } from './lib/errors'
import { createLogger, describeError } from './lib/logger'
import { isInvalidDatetime, isUnstorableText } from './lib/pg-errors'
import { requestId, requestLog } from './lib/request-context'
import { authRouter } from './auth/routes'
import { consoleRouter } from './console/routes'
import { economyAdminRouter } from './economy/admin-routes'
import { economyRouter } from './economy/routes'
import { healthRouter } from './health/routes'
import { instancesRouter } from './instances/routes'
import { memoryAdminRouter } from './memory/admin-routes'
import { memoryRouter } from './memory/routes'
import { questSessionsRouter } from './quest-sessions/routes'
import { questsRouter } from './quests/routes'
import { challengeTemplatesRouter } from './quests/template-routes'
import { usersRouter } from './users/routes'
import { assetsAdminRouter } from './assets/admin-routes'
import { assetsRouter } from './assets/routes'
import { inventoryAdminRouter } from './inventory/admin-routes'
import { inventoryRouter } from './inventory/routes'
import { itemsAdminRouter, itemTemplatesAdminRouter } from './items/admin-routes'
import { itemsRouter } from './items/routes'
import { marketplaceRouter } from './marketplace/routes'
import { tradesRouter } from './trades/routes'
import { socialRouter } from './social/routes'
import { mediaRouter } from './media/routes'
import { moderationRouter } from './moderation/routes'
import { companionsRouter, conversationsRouter } from './companions/routes'
import { moderationAdminRouter } from './moderation/admin-routes'
import { deitiesRouter } from './deities/routes'
import { leaderboardsRouter } from './leaderboards/routes'
import { progressionAdminRouter } from './progression/admin-routes'
import { progressionRouter } from './progression/routes'

/** Maps statuses raised by Hono itself (malformed JSON, body limits) to our codes. */
const HTTP_EXCEPTION_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
}

const OPENAPI_INFO = {
  title: 'BBWorlds NEXUS API',
  version: '0.1.0',
  description:
    'Backend of the BBWorlds persistent multiplayer world: Workers + Durable Objects over Postgres.',
}

/** Builds the application. */
export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()

  app.use('*', requestId, requestLog, closeRequestClients)

  app.route('/', healthRouter)
  app.route('/v1/auth', authRouter)
  app.route('/v1/users', usersRouter)
  app.route('/v1/economy', economyRouter)
  app.route('/v1/instances', instancesRouter)
  app.route('/v1/memory', memoryRouter)
  app.route('/v1/quests', questsRouter)
  app.route('/v1/challenge-templates', challengeTemplatesRouter)
  app.route('/v1/quest-sessions', questSessionsRouter)
  app.route('/v1/admin/economy', economyAdminRouter)
  app.route('/v1/admin/memory', memoryAdminRouter)
  app.route('/v1/items', itemsRouter)
  app.route('/v1/inventory', inventoryRouter)
  app.route('/v1/assets', assetsRouter)
  app.route('/v1/admin/items', itemsAdminRouter)
  app.route('/v1/admin/item-templates', itemTemplatesAdminRouter)
  app.route('/v1/admin/inventory', inventoryAdminRouter)
  app.route('/v1/admin/assets', assetsAdminRouter)
  app.route('/v1/marketplace', marketplaceRouter)
  app.route('/v1/trades', tradesRouter)
  app.route('/v1/social', socialRouter)
  app.route('/v1/media', mediaRouter)
  app.route('/v1/moderation', moderationRouter)
  app.route('/v1/admin/moderation', moderationAdminRouter)
  app.route('/v1/leaderboards', leaderboardsRouter)
  app.route('/v1/progression', progressionRouter)
  app.route('/v1/deities', deitiesRouter)
  app.route('/v1/admin/progression', progressionAdminRouter)

  app.route('/console', consoleRouter)

  app.route('/v1/companions', companionsRouter)
  app.route('/v1/conversations', conversationsRouter)

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  })

  app.doc31('/openapi.json', { openapi: '3.1.0', info: OPENAPI_INFO })
  app.get('/docs', (c) =>
    c.html(renderDocsPage(app.getOpenAPI31Document({ openapi: '3.1.0', info: OPENAPI_INFO }))),
  )

  app.notFound((c) =>
    errorResponse(c, new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`)),
  )

  app.onError((error, c) => {
    // A failure before the request-context middleware ran has no request logger yet.
    const logger = c.get('log') ?? createLogger()
    if (error instanceof ApiError) {
      if (error.status >= 500) logger.error(error.message, { code: error.code })
      return errorResponse(c, error)
    }
    if (error instanceof HTTPException && error.status < 500) {
      const code = HTTP_EXCEPTION_CODES[error.status] ?? 'bad_request'
      return errorResponse(c, new ApiError(code, error.message || code))
    }
    if (isUnstorableText(error)) {
      return errorResponse(
        c,
        new ApiError('validation_error', 'the request contains text that cannot be stored (NUL)'),
      )
    }
    if (isInvalidDatetime(error)) {
      return errorResponse(
        c,
        new ApiError('validation_error', 'the request contains a date or time out of range'),
      )
    }
    logger.error('unhandled error', describeError(error))
    return errorResponse(c, new ApiError('internal_error', 'internal server error'))
  })

  return app
}
