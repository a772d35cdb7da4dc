/** `/v1/memory/admin/avatar-agents`: avatar agent CRUD for admins and services. */
import { createRoute } from '@hono/zod-openapi'
import { requireAuth, requireRole } from '../../lib/auth'
import { memory } from '../../lib/db'
import {
  bearerSecurity,
  createRouter,
  errorResponseSpec,
  jsonBody,
  jsonResponse,
} from '../../lib/openapi'
import { decodeCursor, pageSchema } from '../../lib/pagination'
import {
  AgentIdParamSchema,
  AgentSchema,
  AgentsCursorSchema,
  CreateAgentBodySchema,
  ListAgentsQuerySchema,
  UpdateAgentBodySchema,
} from './schemas'
import { createAgent, deleteAgent, getAgent, listAgents, updateAgent } from './service'

const tags = ['memory admin']
const security = bearerSecurity
const unauthorized = errorResponseSpec('Missing or invalid access token')
const forbidden = errorResponseSpec('Neither an admin nor a service')
const notFound = errorResponseSpec('No agent with that id')
const conflict = errorResponseSpec('An agent with that name already exists (`conflict`)')

export const avatarAgentsRouter = createRouter()
for (const path of ['/memory/admin/avatar-agents', '/memory/admin/avatar-agents/*']) {
  avatarAgentsRouter.use(path, requireAuth, requireRole('admin', 'service'))
}

avatarAgentsRouter
  .openapi(
    createRoute({
      method: 'get',
      path: '/memory/admin/avatar-agents',
      tags,
      security,
      summary: 'Avatar agents by name',
      request: { query: ListAgentsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(AgentSchema), 'A page of agents'),
        400: errorResponseSpec('Invalid limit, cursor or filter'),
        401: unauthorized,
        403: forbidden,
      },
    }),
    async (c) => {
      const { limit, cursor, is_active } = c.req.valid('query')
      const after = decodeCursor(cursor, AgentsCursorSchema)
      return c.json(await listAgents(memory(c).db, { limit, after, isActive: is_active }), 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/memory/admin/avatar-agents',
      tags,
      security,
      summary: 'Create an avatar agent',
      request: { body: jsonBody(CreateAgentBodySchema) },
      responses: {
        201: jsonResponse(AgentSchema, 'Created'),
        400: errorResponseSpec('Invalid body'),
        401: unauthorized,
        403: forbidden,
        409: conflict,
      },
    }),
    async (c) => c.json(await createAgent(memory(c).db, c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/memory/admin/avatar-agents/{agentId}',
      tags,
      security,
      summary: 'One avatar agent',
      request: { params: AgentIdParamSchema },
      responses: {
        200: jsonResponse(AgentSchema, 'The agent'),
        400: errorResponseSpec('Invalid agent id'),
        401: unauthorized,
        403: forbidden,
        404: notFound,
      },
    }),
    async (c) => c.json(await getAgent(memory(c).db, c.req.valid('param').agentId), 200),
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/memory/admin/avatar-agents/{agentId}',
      tags,
      security,
      summary: 'Change an avatar agent',
      request: { params: AgentIdParamSchema, body: jsonBody(UpdateAgentBodySchema) },
      responses: {
        200: jsonResponse(AgentSchema, 'The changed agent'),
        400: errorResponseSpec('Invalid agent id or body'),
        401: unauthorized,
        403: forbidden,
        404: notFound,
        409: conflict,
      },
    }),
    async (c) =>
      c.json(
        await updateAgent(memory(c).db, c.req.valid('param').agentId, c.req.valid('json')),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/memory/admin/avatar-agents/{agentId}',
      tags,
      security,
      summary: 'Delete an avatar agent',
      request: { params: AgentIdParamSchema },
      responses: {
        204: { description: 'Deleted' },
        400: errorResponseSpec('Invalid agent id'),
        401: unauthorized,
        403: forbidden,
        404: notFound,
      },
    }),
    async (c) => {
      await deleteAgent(memory(c).db, c.req.valid('param').agentId)
      return c.body(null, 204)
    },
  )
