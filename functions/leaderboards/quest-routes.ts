/**
 * Per-quest leaderboard routes, relative to `/v1/quests`: a nested router (the quests router's
 * authentication and body limit apply), mounted by the quests router.
 */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { authRoutes, createNestedRouter, errorResponseSpec, jsonResponse } from '../lib/openapi'
import { QuestBoardQuerySchema, QuestBoardSchema, QuestIdParamSchema } from './schemas'
import { getQuestLeaderboard } from './service'

const route = authRoutes({ tags: ['leaderboards'] })

export const questLeaderboardRoutes = createNestedRouter().openapi(
  route({
    method: 'get',
    path: '/{id}/leaderboard',
    summary: "A quest's leaderboard: the top, a page from a cursor, or the rows around you",
    description:
      'One entry per player: their best verified, ranked completion of the period (score desc, time asc, earlier first). Periods roll over at 00:00 UTC (daily) and Monday 00:00 UTC (weekly); closed periods stay readable with `period_start`. Correct as soon as a completion commits.',
    request: { params: QuestIdParamSchema, query: QuestBoardQuerySchema },
    responses: {
      200: jsonResponse(QuestBoardSchema, 'The board'),
      400: errorResponseSpec('Invalid quest id, period, period_start, limit or cursor'),
      404: errorResponseSpec('No such quest (or not one you may see)'),
    },
  }),
  async (c) =>
    c.json(
      await getQuestLeaderboard(nexus(c).db, {
        actor: identityOf(c),
        quest_id: c.req.valid('param').id,
        ...c.req.valid('query'),
      }),
      200,
    ),
)
