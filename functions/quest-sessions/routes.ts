/**
 * `/v1/quest-sessions`: live quest sessions. Every read and change is answered by the session's
 * QuestSession object through `session-gateway.ts`; who may see a session is decided here from
 * Postgres (`service.ts`). Sessions are opened with `POST /v1/quests/{id}/sessions`.
 */
import { z } from '@hono/zod-openapi'
import { identityOf, offeredProtocols, ROOM_PROTOCOL } from '../lib/auth'
import { nexus } from '../lib/db'
import { ApiError } from '../lib/errors'
import { authRoutes, createRouter, errorResponseSpec, jsonResponse } from '../lib/openapi'
import { pageSchema } from '../lib/pagination'
import {
  ListSessionsQuerySchema,
  SessionIdParamSchema,
  SessionSchema,
  SessionSummarySchema,
} from './schemas'
import { inviteToHolodeck, listMySessions, loadSession } from './service'
import { sessionGateway, type LifecycleChange } from './session-gateway'

const route = authRoutes({ tags: ['quest sessions'] })
const notFound = errorResponseSpec('No such session, or one of a quest you may not see')
const unavailable = errorResponseSpec(
  'The session object cannot be reached (`service_unavailable`)',
)

/** The lifecycle routes: who may ask, and what the session answers when it refuses. */
const CHANGES: Record<LifecycleChange, { summary: string; conflict: string }> = {
  leave: {
    summary: 'Leave the session (you keep your progress but get no completion)',
    conflict: 'The session has ended',
  },
  start: {
    summary: 'Start the session (host; at least min_participants)',
    conflict: 'Not waiting, or too few participants',
  },
  pause: {
    summary: "Pause the quest's clock (a participant)",
    conflict: 'Not in progress',
  },
  resume: { summary: 'Resume a paused session (host)', conflict: 'Not paused' },
  abandon: {
    summary: 'End the session for everyone (host or staff)',
    conflict: 'The session has ended',
  },
}

let router = createRouter({ auth: true })
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary: 'Your sessions (hosted or joined), newest first',
      request: { query: ListSessionsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(SessionSummarySchema), 'A page of sessions'),
        400: errorResponseSpec('Invalid status, limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await listMySessions(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}',
      summary: 'The live session (answered by its session object)',
      request: { params: SessionIdParamSchema },
      responses: {
        200: jsonResponse(SessionSchema, 'The session'),
        404: notFound,
        503: unavailable,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      await loadSession(nexus(c).db, id, identityOf(c))
      return c.json(await sessionGateway(c).describe(id), 200)
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/{id}/join',
      summary: 'Join a waiting session',
      description:
        'Answers 201 when you joined, 200 when you already were a participant. For a holodeck session you are also invited into its instance.',
      request: { params: SessionIdParamSchema },
      responses: {
        200: jsonResponse(SessionSchema, 'Already a participant'),
        201: jsonResponse(SessionSchema, 'Joined'),
        404: notFound,
        409: errorResponseSpec('The session is full (`capacity_reached`) or no longer waiting'),
        503: unavailable,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const db = nexus(c).db
      const { session, actor } = await loadSession(db, id, identityOf(c))
      const { joined, session: view } = await sessionGateway(c).join(id, actor)
      if (session.instance_id !== null)
        await inviteToHolodeck(db, session.instance_id, actor.user_id)
      return joined ? c.json(view, 201) : c.json(view, 200)
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}/ws',
      summary: 'Connect to the live session (WebSocket upgrade)',
      description: `Offer the subprotocols \`${ROOM_PROTOCOL}, bearer.<access token>\` (the answer selects \`${ROOM_PROTOCOL}\`), or pass \`?token=\`. Participants play; anyone else who may see the session watches.`,
      request: {
        params: SessionIdParamSchema,
        query: z.object({ token: z.string().max(8192).optional() }),
      },
      responses: {
        101: { description: 'Switching protocols: connected to the session' },
        400: errorResponseSpec('Not a WebSocket upgrade'),
        404: notFound,
        503: unavailable,
      },
    }),
    async (c) => {
      const identity = identityOf(c)
      if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket') {
        throw new ApiError('bad_request', 'this route expects a WebSocket upgrade')
      }
      const { id } = c.req.valid('param')
      const { actor } = await loadSession(nexus(c).db, id, identity)
      const webSocket = await sessionGateway(c).connect(id, {
        user_id: actor.user_id,
        username: actor.username,
      })
      const headers = new Headers()
      if (offeredProtocols(c).includes(ROOM_PROTOCOL)) {
        headers.set('Sec-WebSocket-Protocol', ROOM_PROTOCOL)
      }
      return new Response(null, { status: 101, webSocket, headers })
    },
  )

for (const [change, { summary, conflict }] of Object.entries(CHANGES) as [
  LifecycleChange,
  (typeof CHANGES)[LifecycleChange],
][]) {
  router = router.openapi(
    route({
      method: 'post',
      path: `/{id}/${change}`,
      summary,
      request: { params: SessionIdParamSchema },
      responses: {
        200: jsonResponse(SessionSchema, 'The session after the change'),
        403: errorResponseSpec('You may not do this in this session'),
        404: notFound,
        409: errorResponseSpec(conflict),
        503: unavailable,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const { actor } = await loadSession(nexus(c).db, id, identityOf(c))
      return c.json(await sessionGateway(c).change(id, change, actor), 200)
    },
  )
}

export const questSessionsRouter = router
