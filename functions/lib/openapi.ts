/**
 * The shapes every domain router shares: the router factory (validation errors, authentication
 * applied once per router), the route helper of authenticated routes, and response schemas.
 */
import { createRoute, OpenAPIHono, z, type RouteConfig } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import type { AppEnv } from './context'
import { requireAuth, requireRole, type Role } from './auth'
import { ApiError, ERROR_CODES, errorResponse } from './errors'

/** One validation problem: where (`path`), what kind (`code`) and a message for people. */
export interface ValidationIssue {
  path: (string | number)[]
  code: string
  message: string
}

/** zod issues as the API reports them in `details`. */
export const validationIssues = (
  issues: readonly { path: PropertyKey[]; code: string; message: string }[],
): ValidationIssue[] =>
  issues.map((issue) => ({
    path: issue.path.map((key) => (typeof key === 'number' ? key : String(key))),
    code: issue.code,
    message: issue.message,
  }))

/** Largest request body a route accepts unless its router allows more. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

/**
 * A domain router, mounted by `createApp` at its own prefix (`/v1/economy`) with paths relative to
 * it. `auth: true` requires a bearer token on every route of the router (`roles`: one of them),
 * applied here once; public routers (accounts, health) pass `auth: false`. Bodies larger than
 * `maxBodyBytes` (1 MB unless given) are refused with 413 before anything reads them. Validation
 * failures of bodies, queries, params and headers become a 400 `validation_error` listing the
 * issues.
 */
export function createRouter(options: {
  auth: boolean
  roles?: Role[]
  maxBodyBytes?: number
}): OpenAPIHono<AppEnv> {
  const router = createNestedRouter()
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  router.use(
    '*',
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () => {
        throw new ApiError('payload_too_large', `the request body is larger than ${maxBodyBytes} bytes`)
      },
    }),
  )
  if (options.auth) router.use('*', requireAuth)
  if (options.roles) router.use('*', requireRole(...options.roles))
  return router
}

/**
 * A router mounted inside a domain router (`parent.route('/avatar-agents', nested)`): the parent's
 * body limit and authentication already apply to its paths, so it adds only the validation hook.
 */
export function createNestedRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        return errorResponse(
          c,
          new ApiError('validation_error', 'the request is invalid', validationIssues(result.error.issues)),
        )
      }
    },
  })
}

/** The error envelope, for route definitions; `code` is one of the closed set. */
export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).openapi({ example: 'validation_error' }),
      message: z.string(),
      request_id: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error')

/** A JSON error response entry for `createRoute({ responses })`. */
export const errorResponseSpec = (description: string) => ({
  content: { 'application/json': { schema: ErrorEnvelopeSchema } },
  description,
})

/** A required JSON request body for `createRoute({ request: { body } })`. */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  content: { 'application/json': { schema } },
  required: true,
})

/** A JSON response entry for `createRoute({ responses })`. */
export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
})

/** The bearer-token security requirement, for authenticated routes. */
const bearerSecurity = [{ bearerAuth: [] }]

type RouteInput = Omit<RouteConfig, 'tags' | 'security'>

/**
 * The route factory of an authenticated router: every route gets the router's `tags`, the bearer
 * `security` requirement and the 401 response; with `roles`, the 403 of a caller lacking them.
 * A route's own responses (including its own 403) are kept.
 */
export function authRoutes(options: { tags: string[]; roles?: Role[] }) {
  const shared = {
    401: errorResponseSpec('Missing, expired or untrusted access token'),
    ...(options.roles
      ? { 403: errorResponseSpec(`Needs the ${options.roles.join(' or ')} role`) }
      : {}),
  }
  return <P extends string, R extends RouteInput & { path: P }>(config: R) =>
    createRoute({
      ...config,
      tags: options.tags,
      security: bearerSecurity,
      responses: { ...shared, ...config.responses },
    }) as ReturnType<typeof createRoute<P, R>>
}
