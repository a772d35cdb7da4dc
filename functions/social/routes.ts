/**
 * `/v1/social`: friends and friend requests, blocks, your contact card (and others' by share
 * code), and your characters. Changes that a live room must follow (a block, the active
 * character) are told to the rooms before the response (live.ts).
 */
import type { Context } from 'hono'
import { identityOf } from '../lib/auth'
import type { AppEnv } from '../lib/context'
import { nexus } from '../lib/db'
import {
  authRoutes,
  createNestedRouter,
  createRouter,
  errorResponseSpec,
  jsonBody,
  jsonResponse,
} from '../lib/openapi'
import { pageSchema, TimestampIdPageQuerySchema } from '../lib/pagination'
import { takeRateLimit, type RateLimit } from '../lib/rate-limits'
import { blockUser, instancesSharedBy, listBlocks, unblockUser } from './blocks'
import {
  activateCharacter,
  createCharacter,
  deleteCharacter,
  listCharacters,
  updateCharacter,
} from './characters'
import {
  deleteOwnCard,
  getCardByCode,
  getOwnCard,
  putOwnCard,
  rotateShareCode,
} from './contact-cards'
import {
  acceptFriend,
  cancelFriendRequest,
  declineFriend,
  listFriendRequests,
  listFriends,
  removeFriend,
  requestFriend,
  updateFriend,
} from './friends'
import { noticeCharacterChange, noticeRooms } from './live'
import {
  BlockSchema,
  CharacterIdParamSchema,
  CharacterSchema,
  ContactCardBodySchema,
  ContactCardSchema,
  CreateCharacterBodySchema,
  FriendRequestSchema,
  FriendRequestsQuerySchema,
  FriendSchema,
  ShareCodeParamSchema,
  TargetUserBodySchema,
  UpdateCharacterBodySchema,
  UpdateFriendBodySchema,
  UserIdParamSchema,
} from './schemas'

/** Friend requests one account may send per hour. */
const FRIEND_REQUESTS: RateLimit = { name: 'friend-requests', limit: 60, windowMs: 60 * 60 * 1000 }

const route = authRoutes({ tags: ['social'] })
const badRequest = errorResponseSpec('Invalid body, id or cursor')
const noContent = { 204: { description: 'Done' } }

/** Tells the rooms both users may share whether they block each other now. */
async function noticeBlock(c: Context<AppEnv>, a: string, b: string, blocked: boolean) {
  const rooms = await instancesSharedBy(nexus(c).db, a, b)
  await noticeRooms(c, rooms, { type: 'block_changed', user_id: a, other_user_id: b, blocked })
}

const friends = createNestedRouter()
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary: 'Your friends, with the live instance of those who share their presence with you',
      request: { query: TimestampIdPageQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(FriendSchema), 'A page of friends'),
        400: badRequest,
      },
    }),
    async (c) =>
      c.json(
        await listFriends(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/requests',
      summary: 'Pending friend requests to you (incoming) or from you (outgoing)',
      request: { query: FriendRequestsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(FriendRequestSchema), 'A page of requests'),
        400: badRequest,
      },
    }),
    async (c) =>
      c.json(
        await listFriendRequests(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'post',
      path: '/requests',
      summary: 'Ask someone to be your friend (accepts their request if they already asked you)',
      request: { body: jsonBody(TargetUserBodySchema) },
      responses: {
        201: jsonResponse(FriendRequestSchema, 'Request sent'),
        200: jsonResponse(FriendRequestSchema, 'Already requested, or now friends'),
        400: badRequest,
        403: errorResponseSpec('You blocked this user'),
        404: errorResponseSpec('No such user'),
        409: errorResponseSpec('Too many friends or waiting requests'),
        429: errorResponseSpec('Too many requests; see Retry-After'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      await takeRateLimit(c, FRIEND_REQUESTS, actor.userId, 'too many friend requests; try later')
      const result = await requestFriend(nexus(c).db, { actor, ...c.req.valid('json') })
      return result.created ? c.json(result.request, 201) : c.json(result.request, 200)
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/requests/{user_id}/accept',
      summary: "Accept someone's friend request",
      request: { params: UserIdParamSchema },
      responses: {
        200: jsonResponse(FriendRequestSchema, 'Now friends'),
        404: errorResponseSpec('No request from this user'),
        409: errorResponseSpec('Too many friends'),
      },
    }),
    async (c) =>
      c.json(
        await acceptFriend(nexus(c).db, { actor: identityOf(c), ...c.req.valid('param') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'post',
      path: '/requests/{user_id}/decline',
      summary: "Decline someone's friend request",
      request: { params: UserIdParamSchema },
      responses: { ...noContent, 404: errorResponseSpec('No request from this user') },
    }),
    async (c) => {
      await declineFriend(nexus(c).db, { actor: identityOf(c), ...c.req.valid('param') })
      return c.body(null, 204)
    },
  )
  .openapi(
    route({
      method: 'delete',
      path: '/requests/{user_id}',
      summary: 'Withdraw your friend request',
      request: { params: UserIdParamSchema },
      responses: { ...noContent, 404: errorResponseSpec('No request to this user') },
    }),
    async (c) => {
      await cancelFriendRequest(nexus(c).db, { actor: identityOf(c), ...c.req.valid('param') })
      return c.body(null, 204)
    },
  )
  .openapi(
    route({
      method: 'patch',
      path: '/{user_id}',
      summary: 'Share (or stop sharing) your presence with a friend',
      request: { params: UserIdParamSchema, body: jsonBody(UpdateFriendBodySchema) },
      responses: {
        200: jsonResponse(FriendSchema, 'The friend'),
        400: badRequest,
        404: errorResponseSpec('Not your friend'),
      },
    }),
    async (c) =>
      c.json(
        await updateFriend(nexus(c).db, {
          actor: identityOf(c),
          ...c.req.valid('param'),
          ...c.req.valid('json'),
        }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'delete',
      path: '/{user_id}',
      summary: 'End a friendship',
      request: { params: UserIdParamSchema },
      responses: { ...noContent, 404: errorResponseSpec('Not your friend') },
    }),
    async (c) => {
      await removeFriend(nexus(c).db, { actor: identityOf(c), ...c.req.valid('param') })
      return c.body(null, 204)
    },
  )

const blocks = createNestedRouter()
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary: 'The users you block, newest first',
      request: { query: TimestampIdPageQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(BlockSchema), 'A page of blocks'),
        400: badRequest,
      },
    }),
    async (c) =>
      c.json(await listBlocks(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }), 200),
  )
  .openapi(
    route({
      method: 'post',
      path: '/',
      summary: 'Block a user (ends any friendship or request; enforced everywhere, both ways)',
      request: { body: jsonBody(TargetUserBodySchema) },
      responses: {
        201: jsonResponse(BlockSchema, 'Blocked'),
        200: jsonResponse(BlockSchema, 'Already blocked'),
        400: badRequest,
        404: errorResponseSpec('No such user'),
        409: errorResponseSpec('Too many blocks'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const result = await blockUser(nexus(c).db, { actor, ...c.req.valid('json') })
      await noticeBlock(c, actor.userId, result.block.user.id, true)
      return result.created ? c.json(result.block, 201) : c.json(result.block, 200)
    },
  )
  .openapi(
    route({
      method: 'delete',
      path: '/{user_id}',
      summary: 'Lift your block of a user',
      request: { params: UserIdParamSchema },
      responses: { ...noContent, 404: errorResponseSpec('You do not block this user') },
    }),
    async (c) => {
      const actor = identityOf(c)
      const { user_id: other } = c.req.valid('param')
      const { still_blocked } = await unblockUser(nexus(c).db, { actor, user_id: other })
      if (!still_blocked) await noticeBlock(c, actor.userId, other, false)
      return c.body(null, 204)
    },
  )

const contactCard = createNestedRouter()
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary: 'Your contact card, with its share code',
      responses: {
        200: jsonResponse(ContactCardSchema, 'Your card'),
        404: errorResponseSpec('You have no card'),
      },
    }),
    async (c) => c.json(await getOwnCard(nexus(c).db, { actor: identityOf(c) }), 200),
  )
  .openapi(
    route({
      method: 'put',
      path: '/',
      summary: 'Create or change your contact card and choose what it shows',
      request: { body: jsonBody(ContactCardBodySchema) },
      responses: {
        200: jsonResponse(ContactCardSchema, 'Changed'),
        201: jsonResponse(ContactCardSchema, 'Created'),
        400: badRequest,
      },
    }),
    async (c) => {
      const result = await putOwnCard(nexus(c).db, { actor: identityOf(c), ...c.req.valid('json') })
      return result.created ? c.json(result.card, 201) : c.json(result.card, 200)
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/share-code',
      summary: 'Give your card a new share code (old shares stop working)',
      responses: {
        200: jsonResponse(ContactCardSchema, 'Your card'),
        404: errorResponseSpec('You have no card'),
      },
    }),
    async (c) => c.json(await rotateShareCode(nexus(c).db, { actor: identityOf(c) }), 200),
  )
  .openapi(
    route({
      method: 'delete',
      path: '/',
      summary: 'Delete your contact card',
      responses: { ...noContent, 404: errorResponseSpec('You have no card') },
    }),
    async (c) => {
      await deleteOwnCard(nexus(c).db, { actor: identityOf(c) })
      return c.body(null, 204)
    },
  )

const contactCards = createNestedRouter().openapi(
  route({
    method: 'get',
    path: '/{share_code}',
    summary: 'A contact card by its share code (any letter case)',
    request: { params: ShareCodeParamSchema },
    responses: {
      200: jsonResponse(ContactCardSchema, 'The card'),
      400: badRequest,
      404: errorResponseSpec('No card with that code'),
    },
  }),
  async (c) =>
    c.json(
      await getCardByCode(nexus(c).db, { actor: identityOf(c), ...c.req.valid('param') }),
      200,
    ),
)

const characters = createNestedRouter()
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary: 'Your characters, oldest first',
      request: { query: TimestampIdPageQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(CharacterSchema), 'A page of characters'),
        400: badRequest,
      },
    }),
    async (c) =>
      c.json(
        await listCharacters(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'post',
      path: '/',
      summary: 'Create a character (your first one is active)',
      request: { body: jsonBody(CreateCharacterBodySchema) },
      responses: {
        201: jsonResponse(CharacterSchema, 'Created'),
        400: badRequest,
        404: errorResponseSpec('No such media of yours'),
        409: errorResponseSpec('Too many characters'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const db = nexus(c).db
      const result = await createCharacter(db, { actor, ...c.req.valid('json') })
      if (result.activated) await noticeCharacterChange(c, db, actor.userId)
      return c.json(result.resource, 201)
    },
  )
  .openapi(
    route({
      method: 'patch',
      path: '/{id}',
      summary: 'Change a character',
      request: { params: CharacterIdParamSchema, body: jsonBody(UpdateCharacterBodySchema) },
      responses: {
        200: jsonResponse(CharacterSchema, 'Changed'),
        400: badRequest,
        404: errorResponseSpec('No such character of yours'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const db = nexus(c).db
      const character = await updateCharacter(db, {
        actor,
        ...c.req.valid('param'),
        ...c.req.valid('json'),
      })
      if (character.is_active) await noticeCharacterChange(c, db, actor.userId)
      return c.json(character, 200)
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/{id}/activate',
      summary: 'Make a character your active one (shown in live rooms)',
      request: { params: CharacterIdParamSchema },
      responses: {
        200: jsonResponse(CharacterSchema, 'Active'),
        404: errorResponseSpec('No such character of yours'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const db = nexus(c).db
      const character = await activateCharacter(db, { actor, ...c.req.valid('param') })
      await noticeCharacterChange(c, db, actor.userId)
      return c.json(character, 200)
    },
  )
  .openapi(
    route({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete a character',
      request: { params: CharacterIdParamSchema },
      responses: { ...noContent, 404: errorResponseSpec('No such character of yours') },
    }),
    async (c) => {
      const actor = identityOf(c)
      const db = nexus(c).db
      const { was_active } = await deleteCharacter(db, { actor, ...c.req.valid('param') })
      if (was_active) await noticeCharacterChange(c, db, actor.userId)
      return c.body(null, 204)
    },
  )

/** The social router, mounted at `/v1/social`. */
export const socialRouter = createRouter({ auth: true })
socialRouter.route('/friends', friends)
socialRouter.route('/blocks', blocks)
socialRouter.route('/contact-card', contactCard)
socialRouter.route('/contact-cards', contactCards)
socialRouter.route('/characters', characters)
