/** OpenAPI helpers: the router factory every domain uses, and shared response schemas. */
import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from './context'
import { ApiError, errorResponse } from './errors'

/**
 * A domain router. Validation failures of bodies, queries, params and headers become a 400
 * `validation_error` envelope carrying the zod issues.
 */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        return errorResponse(
          c,
          new ApiError('validation_error', 'the request is invalid', result.error.issues),
        )
      }
    },
  })
}

/** The error envelope, for route definitions. */
export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_error' }),
      message: z.string(),
      requestId: z.string(),
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
export const bearerSecurity = [{ bearerAuth: [] }]

/** The 401 entry every authenticated route declares. */
export const unauthorizedResponse = errorResponseSpec('Missing or invalid access token')
