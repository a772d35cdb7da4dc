/** `/v1/users`: one's own profile, others' public profiles, search by username prefix. */
import { createRoute, z } from '@hono/zod-openapi'
import { identityOf, requireAuth } from '../lib/auth'
import { nexus } from '../lib/db'
import {
  bearerSecurity,
  createRouter,
  errorResponseSpec,
  jsonBody,
  jsonResponse,
  unauthorizedResponse,
} from '../lib/openapi'
import { decodeCursor, pageSchema } from '../lib/pagination'
import {
  ListUsersQuerySchema,
  ProfileSchema,
  PublicUserSchema,
  UpdateMeBodySchema,
  UserIdParamSchema,
} from './schemas'
import { getProfile, getPublicUser, listUsers, updateProfile } from './service'

const tags = ['users']
const security = bearerSecurity

export const usersRouter = createRouter()
usersRouter.use('/users', requireAuth)
usersRouter.use('/users/*', requireAuth)

usersRouter
  .openapi(
    createRoute({
      method: 'get',
      path: '/users/me',
      tags,
      security,
      summary: 'Your own profile with balance, akashic and attribute fields',
      responses: { 200: jsonResponse(ProfileSchema, 'Your profile'), 401: unauthorizedResponse },
    }),
    async (c) => c.json(await getProfile(nexus(c).db, identityOf(c).userId), 200),
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/users/me',
      tags,
      security,
      summary: 'Change your display name, avatar or preferences (nothing else)',
      request: { body: jsonBody(UpdateMeBodySchema) },
      responses: {
        200: jsonResponse(ProfileSchema, 'The updated profile'),
        400: errorResponseSpec('Unknown or invalid field'),
        401: unauthorizedResponse,
      },
    }),
    async (c) =>
      c.json(await updateProfile(nexus(c).db, identityOf(c).userId, c.req.valid('json')), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/users/{id}',
      tags,
      security,
      summary: "Another user's public profile",
      request: { params: UserIdParamSchema },
      responses: {
        200: jsonResponse(PublicUserSchema, 'Public profile'),
        401: unauthorizedResponse,
        404: errorResponseSpec('No such user'),
      },
    }),
    async (c) => c.json(await getPublicUser(nexus(c).db, c.req.valid('param').id), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/users',
      tags,
      security,
      summary: 'Users by username prefix, a page at a time',
      request: { query: ListUsersQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(PublicUserSchema), 'A page of users'),
        400: errorResponseSpec('Invalid limit or cursor'),
        401: unauthorizedResponse,
      },
    }),
    async (c) => {
      const { prefix, limit, cursor } = c.req.valid('query')
      const after = decodeCursor(cursor, z.object({ u: z.string() }))?.u
      return c.json(await listUsers(nexus(c).db, { prefix, limit, after }), 200)
    },
  )
