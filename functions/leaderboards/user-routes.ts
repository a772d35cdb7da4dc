/**
 * A user's ranks and personal bests, relative to `/v1/users`: a nested router mounted by the users
 * router (whose authentication and body limit apply).
 */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { authRoutes, createNestedRouter, errorResponseSpec, jsonResponse } from '../lib/openapi'
import {
  GlobalRanksSchema,
  PersonalBestsQuerySchema,
  PersonalBestsSchema,
  QuestRankSchema,
  UserIdParamSchema,
  UserRankQuerySchema,
} from './schemas'
import { getUserGlobalRanks, getUserQuestRank, listPersonalBests } from './service'

const route = authRoutes({ tags: ['leaderboards'] })

export const userLeaderboardRoutes = createNestedRouter()
  .openapi(
    route({
      method: 'get',
      path: '/{id}/rank',
      summary: "A user's rank on a quest's board (`quest_id`), or on every global board",
      request: { params: UserIdParamSchema, query: UserRankQuerySchema },
      responses: {
        200: {
          content: {
            'application/json': { schema: QuestRankSchema.or(GlobalRanksSchema) },
          },
          description:
            'With quest_id: the rank on that board (null without an entry); without: every global board',
        },
        400: errorResponseSpec('Invalid id, quest_id, period or period_start'),
        404: errorResponseSpec('No such user, or no such quest (or not one you may see)'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const userId = c.req.valid('param').id
      const { quest_id: questId, ...board } = c.req.valid('query')
      const db = nexus(c).db
      return c.json(
        questId === undefined
          ? await getUserGlobalRanks(db, { actor, user_id: userId })
          : await getUserQuestRank(db, { actor, user_id: userId, quest_id: questId, ...board }),
        200,
      )
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}/personal-bests',
      summary: "A user's best completion of each quest with its all-time rank, newest first",
      request: { params: UserIdParamSchema, query: PersonalBestsQuerySchema },
      responses: {
        200: jsonResponse(PersonalBestsSchema, 'A page of personal bests'),
        400: errorResponseSpec('Invalid id, limit or cursor'),
        404: errorResponseSpec('No such user'),
      },
    }),
    async (c) =>
      c.json(
        await listPersonalBests(nexus(c).db, {
          actor: identityOf(c),
          user_id: c.req.valid('param').id,
          ...c.req.valid('query'),
        }),
        200,
      ),
  )
