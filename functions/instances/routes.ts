/**
 * `/v1/instances`: virtual spaces, joining and leaving them, visitors' permissions, and the
 * entrances to the live room (WebSocket, presence, chat history) held by the InstanceRoom object.
 * Access rules are documented and enforced in `service.ts`.
 */
import { z } from '@hono/zod-openapi'
import { roomPermissionsOf } from '../../durable-objects/instance-room/notices'
import { PROTOCOL_V2, type RoomProtocol } from '../../durable-objects/instance-room/wire'
import type { Context } from 'hono'
import { hasRole, identityOf, offeredProtocols, ROOM_PROTOCOL } from '../lib/auth'
import type { AppEnv } from '../lib/context'
import { assertNotBanned } from '../lib/bans'
import { nexus } from '../lib/db'
import { ApiError } from '../lib/errors'
import { blockedAmong } from '../social/blocks'
import { roomSocialContext } from '../social/live'
import { presentCompanionsFor, roomCompanionsOf } from '../companions/presence'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { pageSchema } from '../lib/pagination'
import {
  ChatHistoryPageSchema,
  ChatQuerySchema,
  CreateInstanceBodySchema,
  InstanceIdParamSchema,
  InstanceSchema,
  InvitationBodySchema,
  InvitationSchema,
  ListInstancesQuerySchema,
  ListVisitorsQuerySchema,
  RoomPresenceSchema,
  UpdateInstanceBodySchema,
  VisitorParamSchema,
  VisitorPermissionsBodySchema,
  VisitorSchema,
} from './schemas'
import {
  createInstance,
  deleteInstance,
  getInstance,
  inviteUser,
  joinInstance,
  leaveInstance,
  listInstances,
  listVisitors,
  loadInstance,
  readableMetadata,
  removeVisitor,
  setVisitorPermissions,
  updateInstance,
  withdrawInvitation,
} from './service'
import { roomGateway } from './room-gateway'
import { buildingsRouter } from '../buildings/routes'
import { buildingsVersionOf } from '../buildings/service'

const route = authRoutes({ tags: ['instances'] })

/** Refuses a plain request on a WebSocket route. */
function assertWebSocketUpgrade(c: Context<AppEnv>): void {
  if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket') {
    throw new ApiError('bad_request', 'this route expects a WebSocket upgrade')
  }
}

/**
 * The room subprotocol to select: `nexus.v2` when offered (compact movement, docs/protocol-v2.md),
 * else `nexus.v1`; null when the client offered neither (it then gets v1 without the header).
 */
function selectedRoomProtocol(c: Context<AppEnv>): RoomProtocol | null {
  const offered = offeredProtocols(c)
  if (offered.includes(PROTOCOL_V2)) return PROTOCOL_V2
  return offered.includes(ROOM_PROTOCOL) ? ROOM_PROTOCOL : null
}

/** The 101 answer carrying the room's socket, naming the selected subprotocol. */
function switchedToRoom(webSocket: WebSocket, protocol: RoomProtocol | null): Response {
  const headers = new Headers()
  if (protocol !== null) headers.set('Sec-WebSocket-Protocol', protocol)
  return new Response(null, { status: 101, webSocket, headers })
}
const notFound = errorResponseSpec('No such instance, or a private one you may not see')
const roomUnavailable = errorResponseSpec('The live room cannot be reached (`service_unavailable`)')

export const instancesRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'post',
      path: '/',
      summary: 'Create an instance you own',
      request: { body: jsonBody(CreateInstanceBodySchema) },
      responses: {
        201: jsonResponse(InstanceSchema, 'The new instance'),
        400: errorResponseSpec('Unknown or invalid field'),
      },
    }),
    async (c) =>
      c.json(
        await createInstance(nexus(c).db, { actor: identityOf(c), ...c.req.valid('json') }),
        201,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary:
        'Instances you may see (public, yours, ones you visit or are invited to), newest first',
      request: { query: ListInstancesQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(InstanceSchema), 'A page of instances'),
        400: errorResponseSpec('Invalid filter, limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await listInstances(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}',
      summary: 'One instance',
      request: { params: InstanceIdParamSchema },
      responses: {
        200: jsonResponse(InstanceSchema, 'The instance'),
        404: notFound,
      },
    }),
    async (c) =>
      c.json(
        await getInstance(nexus(c).db, {
          actor: identityOf(c),
          instance_id: c.req.valid('param').id,
        }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'patch',
      path: '/{id}',
      summary: 'Change an instance (owner or instance admins)',
      description:
        'Metadata sections merge key by key (`environment`, `permissions`); `custom_properties` is replaced as a whole. Only the owner changes `permissions.admin_user_ids`. A live room takes environment changes at once and tells its players.',
      request: { params: InstanceIdParamSchema, body: jsonBody(UpdateInstanceBodySchema) },
      responses: {
        200: jsonResponse(InstanceSchema, 'The updated instance'),
        400: errorResponseSpec('Unknown or invalid field'),
        403: errorResponseSpec('Not the owner or an admin of this instance'),
        404: notFound,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const body = c.req.valid('json')
      const identity = identityOf(c)
      const updated = await updateInstance(nexus(c).db, {
        actor: identity,
        instance_id: id,
        changes: body,
      })
      const changes = body.metadata?.environment
      if (changes) {
        await roomGateway(c).notify(id, {
          type: 'environment_changed',
          changed_by: identity.userId,
          changes,
        })
      }
      return c.json(updated, 200)
    },
  )
  .openapi(
    route({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete an instance you own',
      request: { params: InstanceIdParamSchema },
      responses: {
        204: { description: 'Deleted' },
        403: errorResponseSpec('Not the owner'),
        404: notFound,
        409: errorResponseSpec('The instance still holds buildings or quest sessions'),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const identity = identityOf(c)
      await deleteInstance(nexus(c).db, { actor: identity, instance_id: id })
      await roomGateway(c).notify(id, { type: 'instance_deleted' })
      return c.body(null, 204)
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/{id}/join',
      summary: 'Enter an instance (public, or private with an invitation)',
      description:
        'Creates your visitor row with default permissions (201), or returns it when you are already a visitor (200). Invitation: your user id in `metadata.permissions.invited_user_ids`, or an existing visitor row.',
      request: { params: InstanceIdParamSchema },
      responses: {
        200: jsonResponse(VisitorSchema.omit({ username: true, display_name: true }), 'Already in'),
        201: jsonResponse(VisitorSchema.omit({ username: true, display_name: true }), 'Joined'),
        403: errorResponseSpec('Private instance without an invitation'),
        404: notFound,
        409: errorResponseSpec('The instance is full (`capacity_reached`)'),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const identity = identityOf(c)
      const joined = await joinInstance(nexus(c).db, { actor: identity, instance_id: id })
      return joined.created ? c.json(joined.visitor, 201) : c.json(joined.visitor, 200)
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/{id}/leave',
      summary: 'Leave an instance (your visitor row and its permissions are removed)',
      request: { params: InstanceIdParamSchema },
      responses: {
        204: { description: 'Left' },
        404: errorResponseSpec('You are not in that instance'),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const identity = identityOf(c)
      await leaveInstance(nexus(c).db, { actor: identity, instance_id: id })
      await roomGateway(c).notify(id, { type: 'visitor_left', user_id: identity.userId })
      return c.body(null, 204)
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}/visitors',
      summary: 'Visitors of an instance, earliest first',
      request: { params: InstanceIdParamSchema, query: ListVisitorsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(VisitorSchema), 'A page of visitors'),
        400: errorResponseSpec('Invalid limit or cursor'),
        404: notFound,
      },
    }),
    async (c) =>
      c.json(
        await listVisitors(nexus(c).db, {
          actor: identityOf(c),
          instance_id: c.req.valid('param').id,
          ...c.req.valid('query'),
        }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'put',
      path: '/{id}/visitors/{user_id}/permissions',
      summary: "Change a visitor's permissions (owner or instance admins)",
      description:
        'The flags given replace the stored ones, the others are kept. `can_spawn_items: true` needs a platform admin.',
      request: { params: VisitorParamSchema, body: jsonBody(VisitorPermissionsBodySchema) },
      responses: {
        200: jsonResponse(VisitorSchema, 'The visitor with the new permissions'),
        400: errorResponseSpec('Unknown or invalid field'),
        403: errorResponseSpec('Not the owner or an admin of this instance'),
        404: errorResponseSpec('No such instance, or that user is not a visitor'),
      },
    }),
    async (c) => {
      const { id, user_id: userId } = c.req.valid('param')
      const visitor = await setVisitorPermissions(nexus(c).db, {
        actor: identityOf(c),
        instance_id: id,
        user_id: userId,
        changes: c.req.valid('json'),
      })
      await roomGateway(c).notify(id, {
        type: 'permissions_changed',
        user_id: userId,
        permissions: roomPermissionsOf(visitor.permissions, visitor.is_owner),
      })
      return c.json(visitor, 200)
    },
  )
  .openapi(
    route({
      method: 'delete',
      path: '/{id}/visitors/{user_id}',
      summary: 'Remove a visitor (owner or instance admins)',
      description:
        'The owner cannot be removed; only the owner removes an instance admin. To keep someone out of a private instance, also take them off `metadata.permissions.invited_user_ids`.',
      request: { params: VisitorParamSchema },
      responses: {
        204: { description: 'Removed' },
        403: errorResponseSpec('Not the owner or an admin, or the target is the owner'),
        404: errorResponseSpec('No such instance, or that user is not a visitor'),
      },
    }),
    async (c) => {
      const { id, user_id: userId } = c.req.valid('param')
      await removeVisitor(nexus(c).db, { actor: identityOf(c), instance_id: id, user_id: userId })
      await roomGateway(c).notify(id, { type: 'visitor_removed', user_id: userId })
      return c.body(null, 204)
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/{id}/invitations',
      summary: 'Invite a user into a private instance (hosts, or visitors with can_invite)',
      description:
        'Adds the user to `metadata.permissions.invited_user_ids`: 201 when added, 200 when they already were invited.',
      request: { params: InstanceIdParamSchema, body: jsonBody(InvitationBodySchema) },
      responses: {
        200: jsonResponse(InvitationSchema, 'Already invited'),
        201: jsonResponse(InvitationSchema, 'Invited'),
        400: errorResponseSpec('Invalid body'),
        403: errorResponseSpec('You may not invite people to this instance'),
        404: errorResponseSpec('No such instance, or no such user'),
        409: errorResponseSpec('The invitation list is full'),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const body = c.req.valid('json')
      const identity = identityOf(c)
      const result = await inviteUser(nexus(c).db, { actor: identity, instance_id: id, ...body })
      return result.created ? c.json(result.invitation, 201) : c.json(result.invitation, 200)
    },
  )
  .openapi(
    route({
      method: 'delete',
      path: '/{id}/invitations/{user_id}',
      summary: 'Withdraw an invitation (owner or instance admins)',
      description:
        'Takes the user off `invited_user_ids`. A visitor row also admits to a private instance, so to shut someone out remove the visitor too.',
      request: { params: VisitorParamSchema },
      responses: {
        204: { description: 'Withdrawn' },
        403: errorResponseSpec('Not the owner or an admin of this instance'),
        404: errorResponseSpec('No such instance, or that user is not invited'),
      },
    }),
    async (c) => {
      const { id, user_id: userId } = c.req.valid('param')
      await withdrawInvitation(nexus(c).db, {
        actor: identityOf(c),
        instance_id: id,
        user_id: userId,
      })
      return c.body(null, 204)
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}/presence',
      summary: 'Who is in the live room now (answered by the room)',
      request: { params: InstanceIdParamSchema },
      responses: {
        200: jsonResponse(RoomPresenceSchema, 'The players connected now'),
        404: notFound,
        503: roomUnavailable,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const actor = identityOf(c)
      await loadInstance(nexus(c).db, id, actor)
      const presence = await roomGateway(c).presence(id)
      const companions = await presentCompanionsFor(nexus(c).db, actor.userId, presence.companions)
      return c.json({ ...presence, companions }, 200)
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}/chat',
      summary: 'Recent chat of the live room, newest first (answered by the room)',
      request: { params: InstanceIdParamSchema, query: ChatQuerySchema },
      responses: {
        200: jsonResponse(ChatHistoryPageSchema, 'A page of chat, newest first'),
        400: errorResponseSpec('Invalid cursor, before or limit'),
        404: notFound,
        503: roomUnavailable,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const actor = identityOf(c)
      await loadInstance(nexus(c).db, id, actor)
      const page = await roomGateway(c).chatHistory(id, c.req.valid('query'))
      // A blocked pair's messages are not shown to each other here either (a page may shrink).
      const senders = [...new Set(page.items.map((item) => item.user_id))]
      const hidden = await blockedAmong(nexus(c).db, actor.userId, senders)
      const items = page.items.filter((item) => !hidden.has(item.user_id))
      return c.json({ ...page, items }, 200)
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}/ws',
      summary: 'Connect to the live room (WebSocket upgrade)',
      description: `Offer the subprotocols \`${PROTOCOL_V2}, ${ROOM_PROTOCOL}, bearer.<access token>\` (the answer selects \`${PROTOCOL_V2}\`, the compact movement encoding of docs/protocol-v2.md, when offered, else \`${ROOM_PROTOCOL}\`, JSON only), or pass \`?token=\`. A room past its capacity closes the socket at once with 4013 \`room_full\`. Everything is checked before the upgrade reaches the room; connecting joins the instance like POST /join.`,
      request: {
        params: InstanceIdParamSchema,
        query: z.object({ token: z.string().max(8192).optional() }),
      },
      responses: {
        101: { description: 'Switching protocols: connected to the room' },
        400: errorResponseSpec('Not a WebSocket upgrade'),
        403: errorResponseSpec('Private instance without an invitation'),
        404: notFound,
        409: errorResponseSpec('The instance is full (`capacity_reached`)'),
        503: roomUnavailable,
      },
    }),
    async (c) => {
      const identity = identityOf(c)
      assertWebSocketUpgrade(c)
      const { id } = c.req.valid('param')
      const db = nexus(c).db
      const joined = await joinInstance(db, { actor: identity, instance_id: id, connecting: true })
      // After the visitor row is written: a ban or block committed meanwhile is seen here, or
      // its notice reaches this room (functions/social/live.ts, functions/lib/bans.ts).
      await assertNotBanned(c, identity.userId, { fresh: true })
      const social = await roomSocialContext(db, { user_id: identity.userId, instance_id: id })
      const protocol = selectedRoomProtocol(c)
      const webSocket = await roomGateway(c).connect(id, {
        protocol: protocol ?? ROOM_PROTOCOL,
        user_id: identity.userId,
        username: joined.username,
        permissions: roomPermissionsOf(joined.visitor.permissions, joined.access.isOwner),
        metadata: readableMetadata(joined.instance.metadata, false),
        buildings_version: await buildingsVersionOf(nexus(c).db, id),
        ...social,
        companions: await roomCompanionsOf(db, identity.userId),
      })
      return switchedToRoom(webSocket, protocol)
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}/observe',
      summary: 'Watch the live room read-only (WebSocket upgrade; moderators and admins)',
      description: `For operators and game masters: the room's stream without joining it. An observer is not a visitor and not a player: it never appears in presence or in other players' events, sees every zone (\`observer_welcome\` with every player and the area's bounds, then every batch except per-player view changes), and may send only \`hello\` (with \`last_seq\` to resume) and \`ping\`. Authenticate as for \`/ws\`.`,
      request: {
        params: InstanceIdParamSchema,
        query: z.object({ token: z.string().max(8192).optional() }),
      },
      responses: {
        101: { description: 'Switching protocols: watching the room' },
        400: errorResponseSpec('Not a WebSocket upgrade'),
        403: errorResponseSpec('Needs the moderator or admin role'),
        404: notFound,
        503: roomUnavailable,
      },
    }),
    async (c) => {
      const identity = identityOf(c)
      if (!hasRole(identity, 'moderator', 'admin')) {
        throw new ApiError('forbidden', 'watching a room needs the moderator or admin role')
      }
      assertWebSocketUpgrade(c)
      const { id } = c.req.valid('param')
      const { instance } = await loadInstance(nexus(c).db, id, identity)
      const protocol = selectedRoomProtocol(c)
      const webSocket = await roomGateway(c).connect(id, {
        protocol: protocol ?? ROOM_PROTOCOL,
        user_id: identity.userId,
        username: identity.username,
        permissions: { can_chat: false, can_change_environment: false },
        role: 'observer',
        metadata: readableMetadata(instance.metadata, false),
      })
      return switchedToRoom(webSocket, protocol)
    },
  )
  .route('/', buildingsRouter)
