/** `/v1/leaderboards`: the global boards (akashic and attributes), top pages and around you. */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { authRoutes, createRouter, errorResponseSpec, jsonResponse } from '../lib/openapi'
import {
  AkashicBoardQuerySchema,
  AttributeBoardQuerySchema,
  AttributeParamSchema,
  GlobalBoardSchema,
} from './schemas'
import { getGlobalLeaderboard } from './service'

const route = authRoutes({ tags: ['leaderboards'] })

export const leaderboardsRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'get',
      path: '/akashic',
      summary: 'The akashic board: players with essence, by resonance or by total essence',
      description:
        'Ties share a rank. Each row carries the akashic rank (1-100) and its tier title. Correct as soon as an award commits.',
      request: { query: AkashicBoardQuerySchema },
      responses: {
        200: jsonResponse(GlobalBoardSchema, 'The board'),
        400: errorResponseSpec('Invalid by, limit, cursor or around'),
      },
    }),
    async (c) => {
      const { by, ...query } = c.req.valid('query')
      return c.json(
        await getGlobalLeaderboard(nexus(c).db, {
          actor: identityOf(c),
          board: by === 'resonance' ? 'akashic_resonance' : 'akashic_total_essence',
          ...query,
        }),
        200,
      )
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/attributes/{attribute}',
      summary: 'An attribute board (base values), or `total` for the sum of the 12',
      description: 'Ties share a rank. Correct as soon as an award commits.',
      request: { params: AttributeParamSchema, query: AttributeBoardQuerySchema },
      responses: {
        200: jsonResponse(GlobalBoardSchema, 'The board'),
        400: errorResponseSpec('Unknown attribute, or invalid limit, cursor or around'),
      },
    }),
    async (c) =>
      c.json(
        await getGlobalLeaderboard(nexus(c).db, {
          actor: identityOf(c),
          board: `attr_${c.req.valid('param').attribute}`,
          ...c.req.valid('query'),
        }),
        200,
      ),
  )
