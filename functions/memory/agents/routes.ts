/**
 * `/v1/admin/memory/avatar-agents`: avatar agent CRUD, mounted inside the memory admin router
 * (admins and services; its authentication applies here).
 */
import { identityOf } from '../../lib/auth'
import { memory } from '../../lib/db'
import {
  authRoutes,
  createNestedRouter,
  errorResponseSpec,
  jsonBody,
  jsonResponse,
} from '../../lib/openapi'
import { pageSchema } from '../../lib/pagination'
import {
  AgentIdParamSchema,
  AgentSchema,
  CreateAgentBodySchema,
  ListAgentsQuerySchema,
  UpdateAgentBodySchema,
} from './schemas'
import { createAgent, deleteAgent, getAgent, listAgents, updateAgent } from './service'

const route = authRoutes({ tags: ['memory admin'], roles: ['admin', 'service'] })
const notFound = errorResponseSpec('No agent with that id')
const conflict = errorResponseSpec('An agent with that name already exists (`conflict`)')

export const avatarAgentsRouter = createNestedRouter()
avatarAgentsRouter
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary: 'Avatar agents by name',
      request: { query: ListAgentsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(AgentSchema), 'A page of agents'),
        400: errorResponseSpec('Invalid limit, cursor or filter'),
      },
    }),
    async (c) =>
      c.json(await listAgents(memory(c).db, { actor: identityOf(c), ...c.req.valid('query') }), 200),
  )
  .openapi(
    route({
      method: 'post',
      path: '/',
      summary: 'Create an avatar agent',
      request: { body: jsonBody(CreateAgentBodySchema) },
      responses: {
        201: jsonResponse(AgentSchema, 'Created'),
        400: errorResponseSpec('Invalid body'),
        409: conflict,
      },
    }),
    async (c) =>
      c.json(await createAgent(memory(c).db, { actor: identityOf(c), ...c.req.valid('json') }), 201),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{agent_id}',
      summary: 'One avatar agent',
      request: { params: AgentIdParamSchema },
      responses: {
        200: jsonResponse(AgentSchema, 'The agent'),
        400: errorResponseSpec('Invalid agent id'),
        404: notFound,
      },
    }),
    async (c) =>
      c.json(await getAgent(memory(c).db, { actor: identityOf(c), ...c.req.valid('param') }), 200),
  )
  .openapi(
    route({
      method: 'patch',
      path: '/{agent_id}',
      summary: 'Change an avatar agent',
      request: { params: AgentIdParamSchema, body: jsonBody(UpdateAgentBodySchema) },
      responses: {
        200: jsonResponse(AgentSchema, 'The changed agent'),
        400: errorResponseSpec('Invalid agent id or body'),
        404: notFound,
        409: conflict,
      },
    }),
    async (c) =>
      c.json(
        await updateAgent(memory(c).db, {
          actor: identityOf(c),
          ...c.req.valid('param'),
          changes: c.req.valid('json'),
        }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'delete',
      path: '/{agent_id}',
      summary: 'Delete an avatar agent',
      request: { params: AgentIdParamSchema },
      responses: {
        204: { description: 'Deleted' },
        400: errorResponseSpec('Invalid agent id'),
        404: notFound,
      },
    }),
    async (c) => {
      await deleteAgent(memory(c).db, { actor: identityOf(c), ...c.req.valid('param') })
      return c.body(null, 204)
    },
  )
