/**
 * `/v1/memory`: companion memories (write, read, delete, recall), relationships, storage
 * efficiency, forgetting a user. Who may touch whose memories: `access.ts`.
 */
import { identityOf } from '../lib/auth'
import { memory } from '../lib/db'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { pageSchema } from '../lib/pagination'
import { chooseEmbedder } from './embedder'
import {
  CompanionParamSchema,
  CreatedMemorySchema,
  CreateMemoryBodySchema,
  ForgetUserSchema,
  ListMemoriesQuerySchema,
  MemoryEfficiencySchema,
  MemoryParamSchema,
  MemorySchema,
  RelationshipSchema,
  SearchBodySchema,
  SearchResultSchema,
  UserParamSchema,
  UserQuerySchema,
} from './schemas'
import { searchMemories } from './search'
import {
  createMemory,
  deleteMemory,
  forgetUser,
  getMemory,
  getMemoryEfficiency,
  getRelationship,
  listMemories,
} from './service'

const route = authRoutes({ tags: ['memory'] })
const forbidden = errorResponseSpec('Acting for another user needs a service (or admin) token')

export const memoryRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'post',
      path: '/companions/{companion_id}/memories',
      summary: 'Store a memory of a user (or return the identical one already stored)',
      description:
        'Tier from significance unless given: ≥ 0.8 core, ≥ 0.5 important, ≥ 0.2 background, else sparse. A full tier pushes its least significant memory one tier down. Without an embedding the server computes one (none is stored for sparse). `user_id` is for service tokens.',
      request: { params: CompanionParamSchema, body: jsonBody(CreateMemoryBodySchema) },
      responses: {
        201: jsonResponse(CreatedMemorySchema, 'Memory stored'),
        200: jsonResponse(CreatedMemorySchema, 'The same text was already stored: that memory'),
        400: errorResponseSpec('Invalid body'),
        403: forbidden,
      },
    }),
    async (c) => {
      const { created, memory: result } = await createMemory(memory(c).db, {
        actor: identityOf(c),
        companion_id: c.req.valid('param').companion_id,
        body: c.req.valid('json'),
        embedder: chooseEmbedder(c.env),
      })
      return created ? c.json(result, 201) : c.json(result, 200)
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/companions/{companion_id}/memories',
      summary: 'Your memories with a companion, newest first (?user_id= for service/admin)',
      request: { params: CompanionParamSchema, query: ListMemoriesQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(MemorySchema), 'A page of memories'),
        400: errorResponseSpec('Invalid limit, cursor, tier or id'),
        403: forbidden,
      },
    }),
    async (c) =>
      c.json(
        await listMemories(memory(c).db, {
          actor: identityOf(c),
          ...c.req.valid('param'),
          ...c.req.valid('query'),
        }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/companions/{companion_id}/memories/{memory_id}',
      summary: 'One of your memories (any user’s for service/admin)',
      request: { params: MemoryParamSchema },
      responses: {
        200: jsonResponse(MemorySchema, 'The memory'),
        400: errorResponseSpec('Invalid id'),
        404: errorResponseSpec('No such memory of yours'),
      },
    }),
    async (c) =>
      c.json(await getMemory(memory(c).db, { actor: identityOf(c), ...c.req.valid('param') }), 200),
  )
  .openapi(
    route({
      method: 'delete',
      path: '/companions/{companion_id}/memories/{memory_id}',
      summary: 'Delete one of your memories (any user’s for service/admin)',
      request: { params: MemoryParamSchema },
      responses: {
        204: { description: 'Deleted' },
        400: errorResponseSpec('Invalid id'),
        404: errorResponseSpec('No such memory of yours'),
      },
    }),
    async (c) => {
      await deleteMemory(memory(c).db, { actor: identityOf(c), ...c.req.valid('param') })
      return c.body(null, 204)
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/companions/{companion_id}/search',
      summary: 'Recall your memories with a companion by vector, text or both',
      description:
        'hybrid (default) = 0.7 × cosine + 0.3 × text score, text score = ts_rank_cd r / (r + 1). Vector recall covers every tier: full vectors, PCA-384 codes, PQ-48 codes; sparse memories by text only. `user_id` is for service tokens.',
      request: { params: CompanionParamSchema, body: jsonBody(SearchBodySchema) },
      responses: {
        200: jsonResponse(SearchResultSchema, 'Best matches first'),
        400: errorResponseSpec('Invalid body'),
        403: forbidden,
      },
    }),
    async (c) =>
      c.json(
        await searchMemories(memory(c).db, {
          actor: identityOf(c),
          ...c.req.valid('param'),
          ...c.req.valid('json'),
          embedder: chooseEmbedder(c.env),
        }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/companions/{companion_id}/relationship',
      summary: 'Your relationship with a companion (?user_id= for service/admin)',
      request: { params: CompanionParamSchema, query: UserQuerySchema },
      responses: {
        200: jsonResponse(RelationshipSchema, 'Stage, trust and memory statistics'),
        400: errorResponseSpec('Invalid companion or user id'),
        403: forbidden,
        404: errorResponseSpec('No memories shared yet'),
      },
    }),
    async (c) =>
      c.json(
        await getRelationship(memory(c).db, {
          actor: identityOf(c),
          ...c.req.valid('param'),
          ...c.req.valid('query'),
        }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/companions/{companion_id}/analytics',
      summary: 'Memory storage efficiency of a companion and a user (?user_id= for service/admin)',
      description: 'From v_memory_efficiency.',
      request: { params: CompanionParamSchema, query: UserQuerySchema },
      responses: {
        200: jsonResponse(MemoryEfficiencySchema, 'Counts per tier, bytes and ratio'),
        400: errorResponseSpec('Invalid companion or user id'),
        403: forbidden,
        404: errorResponseSpec('No memories of this companion and user yet'),
      },
    }),
    async (c) =>
      c.json(
        await getMemoryEfficiency(memory(c).db, {
          actor: identityOf(c),
          ...c.req.valid('param'),
          ...c.req.valid('query'),
        }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'delete',
      path: '/users/{user_id}',
      summary: 'Forget everything about a user (yourself; anyone for admin)',
      request: { params: UserParamSchema },
      responses: {
        200: jsonResponse(ForgetUserSchema, 'Rows deleted'),
        400: errorResponseSpec('Invalid user id'),
        403: errorResponseSpec('Forgetting another user needs the admin role'),
      },
    }),
    async (c) =>
      c.json(await forgetUser(memory(c).db, { actor: identityOf(c), ...c.req.valid('param') }), 200),
  )
