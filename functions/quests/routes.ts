/**
 * `/v1/quests`: quests (create, list, get, change, delete), the objects linked to them, and
 * opening a live session of one. Access rules live in `service.ts`; sessions in
 * `functions/quest-sessions`.
 */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { pageSchema } from '../lib/pagination'
import { createSession } from '../quest-sessions/service'
import { sessionGateway } from '../quest-sessions/session-gateway'
import { questLeaderboardRoutes } from '../leaderboards/quest-routes'
import { SessionSchema } from '../quest-sessions/schemas'
import {
  AddQuestObjectBodySchema,
  CreateQuestBodySchema,
  CreateSessionBodySchema,
  ListQuestObjectsQuerySchema,
  ListQuestsQuerySchema,
  QuestIdParamSchema,
  QuestObjectParamSchema,
  QuestObjectSchema,
  QuestSchema,
  UpdateQuestBodySchema,
} from './schemas'
import {
  addQuestObject,
  createQuest,
  deleteQuest,
  getQuest,
  listQuestObjects,
  listQuests,
  removeQuestObject,
  updateQuest,
} from './service'

const route = authRoutes({ tags: ['quests'] })
const notFound = errorResponseSpec('No such quest, or a draft or private one you may not see')
const invalidQuest = errorResponseSpec(
  'Unknown or invalid field; `details` lists each problem with its path (e.g. `quest_data.objectives.1.radius`)',
)

export const questsRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'post',
      path: '/',
      summary: 'Create a quest',
      description:
        '`quest_data.objectives` are what a session runs: `reach_location`, `collect_items`, `interact`, `answer` (README, "Quests and quest sessions"). A quest a session could not run is refused with the path of the bad field. `rewards` go to each participant when a session completes (essences, attributes, tokens; items are refused until the items module exists).',
      request: { body: jsonBody(CreateQuestBodySchema) },
      responses: {
        201: jsonResponse(QuestSchema, 'The new quest'),
        400: invalidQuest,
        403: errorResponseSpec('`creator_type` deity or system needs the admin or service role'),
      },
    }),
    async (c) =>
      c.json(await createQuest(nexus(c).db, { actor: identityOf(c), ...c.req.valid('json') }), 201),
  )
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary: 'Quests you may see, newest first, with filters',
      request: { query: ListQuestsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(QuestSchema), 'A page of quests'),
        400: errorResponseSpec('Invalid filter, limit or cursor'),
      },
    }),
    async (c) =>
      c.json(await listQuests(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }), 200),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}',
      summary: 'One quest',
      request: { params: QuestIdParamSchema },
      responses: { 200: jsonResponse(QuestSchema, 'The quest'), 404: notFound },
    }),
    async (c) =>
      c.json(
        await getQuest(nexus(c).db, { actor: identityOf(c), quest_id: c.req.valid('param').id }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'patch',
      path: '/{id}',
      summary: 'Change a quest (its creator or a moderator)',
      description:
        'Lifecycle: draft → active → featured/archived (featured ⇄ active by moderators only; archived → active). Changing what a session runs on bumps `quest_version`; running sessions keep what they were opened with.',
      request: { params: QuestIdParamSchema, body: jsonBody(UpdateQuestBodySchema) },
      responses: {
        200: jsonResponse(QuestSchema, 'The changed quest'),
        400: invalidQuest,
        403: errorResponseSpec('Not the creator or a moderator, or featuring without being one'),
        404: notFound,
        409: errorResponseSpec('A status change the lifecycle does not allow'),
      },
    }),
    async (c) =>
      c.json(
        await updateQuest(nexus(c).db, {
          actor: identityOf(c),
          quest_id: c.req.valid('param').id,
          changes: c.req.valid('json'),
        }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete a quest nobody has played (its creator or a moderator)',
      request: { params: QuestIdParamSchema },
      responses: {
        204: { description: 'Deleted' },
        403: errorResponseSpec('Not the creator or a moderator'),
        404: notFound,
        409: errorResponseSpec('The quest has sessions or completions: archive it instead'),
      },
    }),
    async (c) => {
      await deleteQuest(nexus(c).db, { actor: identityOf(c), quest_id: c.req.valid('param').id })
      return c.body(null, 204)
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}/objects',
      summary: "The quest's linked objects (quest_object_relationships), earliest first",
      request: { params: QuestIdParamSchema, query: ListQuestObjectsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(QuestObjectSchema), 'A page of linked objects'),
        400: errorResponseSpec('Invalid limit or cursor'),
        404: notFound,
      },
    }),
    async (c) =>
      c.json(
        await listQuestObjects(nexus(c).db, {
          actor: identityOf(c),
          quest_id: c.req.valid('param').id,
          ...c.req.valid('query'),
        }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'post',
      path: '/{id}/objects',
      summary: 'Link an object to the quest (its creator or a moderator)',
      description: 'The object must exist: an asset, building, media upload or item definition.',
      request: { params: QuestIdParamSchema, body: jsonBody(AddQuestObjectBodySchema) },
      responses: {
        200: jsonResponse(QuestObjectSchema, 'Already linked this way'),
        201: jsonResponse(QuestObjectSchema, 'Linked'),
        400: errorResponseSpec('Invalid body'),
        403: errorResponseSpec('Not the creator or a moderator'),
        404: errorResponseSpec('No such quest, or no such object'),
      },
    }),
    async (c) => {
      const result = await addQuestObject(nexus(c).db, {
        actor: identityOf(c),
        quest_id: c.req.valid('param').id,
        ...c.req.valid('json'),
      })
      return result.created ? c.json(result.object, 201) : c.json(result.object, 200)
    },
  )
  .openapi(
    route({
      method: 'delete',
      path: '/{id}/objects/{object_id}/{relationship_type}',
      summary: 'Unlink an object (its creator or a moderator)',
      request: { params: QuestObjectParamSchema },
      responses: {
        204: { description: 'Unlinked' },
        403: errorResponseSpec('Not the creator or a moderator'),
        404: errorResponseSpec('No such quest, or the object is not linked this way'),
      },
    }),
    async (c) => {
      const { id, ...link } = c.req.valid('param')
      await removeQuestObject(nexus(c).db, { actor: identityOf(c), quest_id: id, ...link })
      return c.body(null, 204)
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/{id}/sessions',
      summary: 'Open a live session of the quest, with you as host',
      description:
        "A `holodeck` quest gets its own private instance (`instance_subtype: quest_holodeck`) whose room has the quest's speed limit. Play over `GET /v1/quest-sessions/{id}/ws`. A host has at most 5 open sessions.",
      request: { params: QuestIdParamSchema, body: jsonBody(CreateSessionBodySchema) },
      responses: {
        201: jsonResponse(SessionSchema, 'The new session (waiting)'),
        400: errorResponseSpec('Invalid session type'),
        404: notFound,
        409: errorResponseSpec('The quest is archived, or you host too many open sessions'),
        503: errorResponseSpec('The session object cannot be reached'),
      },
    }),
    async (c) =>
      c.json(
        await createSession(nexus(c).db, sessionGateway(c), {
          actor: identityOf(c),
          quest_id: c.req.valid('param').id,
          session_type: c.req.valid('json').session_type,
        }),
        201,
      ),
  )
  // `/{id}/leaderboard` (the leaderboards domain), inside this router so its auth applies once.
  .route('/', questLeaderboardRoutes)
