/**
 * `/v1/companions`: your AI companions (create, list with the shared ones, read, change, delete,
 * optionally forgetting their memories) and your conversations with a companion.
 * `/v1/conversations`: one conversation with its messages, archiving, and the turn loop
 * (`POST /:id/messages`, streamed as server-sent events or answered as JSON).
 */
import type { Context } from 'hono'
import { z } from '@hono/zod-openapi'
import { identityOf } from '../lib/auth'
import type { AppEnv } from '../lib/context'
import { memory, nexus, runAfterResponse } from '../lib/db'
import { getConfig } from '../lib/env'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { pageSchema } from '../lib/pagination'
import { takeRateLimit, type RateLimit } from '../lib/rate-limits'
import { roomGateway } from '../instances/room-gateway'
import { chooseEmbedder } from '../memory/embedder'
import { forgetCompanion } from '../memory/service'
import {
  archiveConversation,
  conversationResource,
  createConversation,
  getConversation,
  listConversations,
} from './conversations'
import { noticeCompanionChange } from './presence'
import { chooseResponder } from './responders'
import {
  AnyCompanionSchema,
  CompanionIdParamSchema,
  ConversationIdParamSchema,
  ConversationSchema,
  ConversationWithMessagesSchema,
  CreateCompanionBodySchema,
  CreateConversationBodySchema,
  DeleteCompanionQuerySchema,
  DeletedCompanionSchema,
  ListCompanionsQuerySchema,
  ListConversationsQuerySchema,
  MessagePageQuerySchema,
  OwnCompanionSchema,
  TurnBodySchema,
  TurnResultSchema,
  UpdateCompanionBodySchema,
} from './schemas'
import {
  companionResource,
  createCompanion,
  deleteCompanion,
  listCompanions,
  resolveCompanion,
  resolvedResource,
  updateCompanion,
} from './service'
import { beginCompanionTurn, runCompanionTurn, type TurnDeps, type TurnEvent } from './turn'

/** Turns one player may start per minute (each may cost a model call). */
const COMPANION_TURNS: RateLimit = { name: 'companion-turns', limit: 30, windowMs: 60 * 1000 }

const route = authRoutes({ tags: ['companions'] })
const notFound = errorResponseSpec('No companion of yours (nor a shared one) with that id')

const dbsOf = (c: Context<AppEnv>) => ({ nexus: nexus(c).db, memory: memory(c).db })

export const companionsRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'post',
      path: '/',
      summary: 'Create a companion',
      description:
        'Awake (`is_active`) unless asked otherwise: an awake companion follows you in the live room you are in. At most 20 companions, 3 awake.',
      request: { body: jsonBody(CreateCompanionBodySchema) },
      responses: {
        201: jsonResponse(OwnCompanionSchema, 'Created'),
        400: errorResponseSpec('Invalid body'),
        409: errorResponseSpec('Too many companions, or too many awake (`details.reason`)'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const db = nexus(c).db
      const row = await createCompanion(db, { actor, body: c.req.valid('json') })
      if (row.isActive) await noticeCompanionChange(c, db, actor.userId, row.id, row)
      return c.json(companionResource(row), 201)
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary: 'Your companions (newest first), then the shared ones (by name)',
      description: '`kind=own` or `kind=shared` keeps one of the two.',
      request: { query: ListCompanionsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(AnyCompanionSchema), 'A page of companions'),
        400: errorResponseSpec('Invalid limit, cursor or kind'),
      },
    }),
    async (c) =>
      c.json(
        await listCompanions(dbsOf(c), { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}',
      summary: 'One of your companions, or a shared one',
      request: { params: CompanionIdParamSchema },
      responses: {
        200: jsonResponse(AnyCompanionSchema, 'The companion'),
        400: errorResponseSpec('Invalid id'),
        404: notFound,
      },
    }),
    async (c) => {
      const resolved = await resolveCompanion(dbsOf(c), identityOf(c), c.req.valid('param').id)
      return c.json(resolvedResource(resolved), 200)
    },
  )
  .openapi(
    route({
      method: 'patch',
      path: '/{id}',
      summary: 'Change one of your companions',
      description: 'A live room you are in follows at once (name, look, behaviour, awake or not).',
      request: { params: CompanionIdParamSchema, body: jsonBody(UpdateCompanionBodySchema) },
      responses: {
        200: jsonResponse(OwnCompanionSchema, 'The changed companion'),
        400: errorResponseSpec('Invalid id or body'),
        403: errorResponseSpec('A shared companion (operators manage those)'),
        404: notFound,
        409: errorResponseSpec('Too many companions awake (`too_many_active`)'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const { id } = c.req.valid('param')
      const row = await updateCompanion(dbsOf(c), { actor, id, changes: c.req.valid('json') })
      await noticeCompanionChange(c, nexus(c).db, actor.userId, row.id, row)
      return c.json(companionResource(row), 200)
    },
  )
  .openapi(
    route({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete one of your companions and its conversations',
      description:
        '`?forget=true` also forgets every memory it keeps (memory database). Without it the memories stay, reachable only by forgetting yourself (`DELETE /v1/memory/users/:user_id`) or by services.',
      request: { params: CompanionIdParamSchema, query: DeleteCompanionQuerySchema },
      responses: {
        200: jsonResponse(DeletedCompanionSchema, 'Deleted'),
        400: errorResponseSpec('Invalid id'),
        403: errorResponseSpec('A shared companion (operators manage those)'),
        404: notFound,
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const { id } = c.req.valid('param')
      const { conversations } = await deleteCompanion(dbsOf(c), { actor, id })
      await noticeCompanionChange(c, nexus(c).db, actor.userId, id, null)
      const forgotten = c.req.valid('query').forget
        ? await forgetCompanion(memory(c).db, { companion_id: id })
        : null
      return c.json({ id, conversations, forgotten }, 200)
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/{id}/conversations',
      summary: 'Start a conversation with one of your companions or a shared one',
      request: { params: CompanionIdParamSchema, body: jsonBody(CreateConversationBodySchema) },
      responses: {
        201: jsonResponse(ConversationSchema, 'Started'),
        400: errorResponseSpec('Invalid id or body'),
        404: notFound,
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const companion = await resolveCompanion(dbsOf(c), actor, c.req.valid('param').id)
      const row = await createConversation(nexus(c).db, {
        actor,
        companion,
        context_data: c.req.valid('json').context_data,
      })
      return c.json(conversationResource(row), 201)
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}/conversations',
      summary: 'Your conversations with a companion, newest first',
      description: 'Archived ones only with `include_archived=true`.',
      request: { params: CompanionIdParamSchema, query: ListConversationsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(ConversationSchema), 'A page of conversations'),
        400: errorResponseSpec('Invalid id, limit or cursor'),
        404: notFound,
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const companion = await resolveCompanion(dbsOf(c), actor, c.req.valid('param').id)
      return c.json(
        await listConversations(nexus(c).db, { actor, companion, ...c.req.valid('query') }),
        200,
      )
    },
  )

const conversationRoute = authRoutes({ tags: ['companions'] })
const noConversation = errorResponseSpec('No conversation of yours with that id')

/** What a turn of this request uses: its databases, embedder, responder and the live rooms. */
function turnDeps(c: Context<AppEnv>): TurnDeps {
  return {
    nexus: nexus(c).db,
    memory: memory(c).db,
    embedder: chooseEmbedder(c.env),
    responder: chooseResponder(c.env, getConfig(c.env).COMPANION_LOCAL_CHUNK_DELAY_MS),
    rooms: roomGateway(c),
    log: c.var.log,
  }
}

/** One server-sent event. */
const sseFrame = (event: TurnEvent) =>
  `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`

export const conversationsRouter = createRouter({ auth: true })
  .openapi(
    conversationRoute({
      method: 'get',
      path: '/{id}',
      summary: 'One of your conversations with a page of its messages, newest first',
      request: { params: ConversationIdParamSchema, query: MessagePageQuerySchema },
      responses: {
        200: jsonResponse(ConversationWithMessagesSchema, 'The conversation and messages'),
        400: errorResponseSpec('Invalid id, limit or cursor'),
        404: noConversation,
      },
    }),
    async (c) =>
      c.json(
        await getConversation(nexus(c).db, {
          actor: identityOf(c),
          ...c.req.valid('param'),
          ...c.req.valid('query'),
        }),
        200,
      ),
  )
  .openapi(
    conversationRoute({
      method: 'post',
      path: '/{id}/archive',
      summary: 'Archive one of your conversations (it takes no more messages)',
      request: { params: ConversationIdParamSchema },
      responses: {
        200: jsonResponse(ConversationSchema, 'Archived'),
        400: errorResponseSpec('Invalid id'),
        404: noConversation,
      },
    }),
    async (c) => {
      const row = await archiveConversation(nexus(c).db, {
        actor: identityOf(c),
        ...c.req.valid('param'),
      })
      return c.json(conversationResource(row), 200)
    },
  )
  .openapi(
    conversationRoute({
      method: 'post',
      path: '/{id}/messages',
      summary: 'Talk: the companion recalls, answers, may act on the world, and remembers',
      description:
        'With `Accept: text/event-stream` the answer streams as server-sent events: `turn` (your stored message), `recall` (the memories it recalled), `delta` (answer text, in order), `tool` (each tool command and whether it was applied), then `done` (the stored answer, what was remembered, the relationship) or `error`. Otherwise the answer comes as one JSON object (201). Either way the turn runs to its end and is stored even if you disconnect. One turn at a time per conversation; 30 turns a minute.',
      request: { params: ConversationIdParamSchema, body: jsonBody(TurnBodySchema) },
      responses: {
        200: {
          content: { 'text/event-stream': { schema: z.string() } },
          description: 'The turn as server-sent events (with Accept: text/event-stream)',
        },
        201: jsonResponse(TurnResultSchema, 'The completed turn'),
        400: errorResponseSpec('Invalid id or body'),
        404: noConversation,
        409: errorResponseSpec(
          'Archived, a turn in progress, or the companion asleep or gone (`details.reason`)',
        ),
        429: errorResponseSpec('Too many turns; wait `Retry-After` seconds'),
        503: errorResponseSpec('The companion could not answer'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      await takeRateLimit(c, COMPANION_TURNS, actor.userId, 'too many messages; slow down')
      const deps = turnDeps(c)
      const turn = await beginCompanionTurn(deps, {
        actor,
        conversation_id: c.req.valid('param').id,
        body: c.req.valid('json'),
      })
      if (!(c.req.header('Accept') ?? '').includes('text/event-stream')) {
        return c.json(await runCompanionTurn(deps, turn), 201)
      }
      // The turn runs to its end under waitUntil whatever the client does; writes to a client
      // that went away are dropped.
      const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>()
      const writer = writable.getWriter()
      const encoder = new TextEncoder()
      let connected = true
      const send = (event: TurnEvent) => {
        if (!connected) return
        writer.write(encoder.encode(sseFrame(event))).catch(() => {
          connected = false
        })
      }
      runAfterResponse(c, 'companion turn', async () => {
        try {
          await runCompanionTurn(deps, turn, send)
        } finally {
          if (connected) await writer.close().catch(() => undefined)
        }
      })
      c.header('Content-Type', 'text/event-stream; charset=utf-8')
      c.header('Cache-Control', 'no-cache, no-transform')
      return c.body(readable, 200)
    },
  )
