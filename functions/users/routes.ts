/** `/v1/users`: one's own profile, others' public profiles, search by username prefix. */
import { userLeaderboardRoutes } from '../leaderboards/user-routes'
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { pageSchema } from '../lib/pagination'
import {
  ListUsersQuerySchema,
  ProfileSchema,
  PublicUserSchema,
  UpdateMeBodySchema,
  UserIdParamSchema,
} from './schemas'
import { getProfile, getPublicUser, listUsers, updateProfile } from './service'
import { userInventoryRouter } from '../inventory/routes'

const route = authRoutes({ tags: ['users'] })

export const usersRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'get',
      path: '/me',
      summary: 'Your own profile with balance, akashic and attribute fields',
      responses: { 200: jsonResponse(ProfileSchema, 'Your profile') },
    }),
    async (c) => c.json(await getProfile(nexus(c).db, { actor: identityOf(c) }), 200),
  )
  .openapi(
    route({
      method: 'patch',
      path: '/me',
      summary: 'Change your display name, avatar or preferences (nothing else)',
      request: { body: jsonBody(UpdateMeBodySchema) },
      responses: {
        200: jsonResponse(ProfileSchema, 'The updated profile'),
        400: errorResponseSpec('Unknown or invalid field'),
      },
    }),
    async (c) =>
      c.json(
        await updateProfile(nexus(c).db, { actor: identityOf(c), ...c.req.valid('json') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}',
      summary: "Another user's public profile",
      request: { params: UserIdParamSchema },
      responses: {
        200: jsonResponse(PublicUserSchema, 'Public profile'),
        400: errorResponseSpec('Not a user id'),
        404: errorResponseSpec('No such user'),
      },
    }),
    async (c) =>
      c.json(
        await getPublicUser(nexus(c).db, {
          actor: identityOf(c),
          user_id: c.req.valid('param').id,
        }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary: 'Users by username prefix, a page at a time',
      request: { query: ListUsersQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(PublicUserSchema), 'A page of users'),
        400: errorResponseSpec('Invalid limit or cursor'),
      },
    }),
    async (c) =>
      c.json(await listUsers(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }), 200),
  )
  .route('/', userInventoryRouter)
  // `/{id}/rank` and `/{id}/personal-bests` (leaderboards domain).
  .route('/', userLeaderboardRoutes)
