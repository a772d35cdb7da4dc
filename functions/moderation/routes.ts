/** `/v1/moderation`: players report things and suggest maturity ratings. */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { pageSchema, TimestampIdPageQuerySchema } from '../lib/pagination'
import { takeRateLimit, type RateLimit } from '../lib/rate-limits'
import { roomGateway } from '../instances/room-gateway'
import {
  CreateReportBodySchema,
  RateBodySchema,
  RatingParamSchema,
  RatingSummarySchema,
  ReportSchema,
} from './schemas'
import { createReport, listOwnReports, rateContent, ratingSummary } from './service'

/** Reports one account may file per hour. */
const REPORTS: RateLimit = { name: 'reports', limit: 30, windowMs: 60 * 60 * 1000 }

const route = authRoutes({ tags: ['moderation'] })
const notFound = errorResponseSpec('No such thing, or not one you could see')

export const moderationRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'post',
      path: '/reports',
      summary: 'Report a user, chat message, media, quest or companion',
      description:
        'One open report per reporter and target: reporting again answers the open report (200). A chat message not yet written to Postgres is found in its live room when `instance_id` is given. You can report only what you could see (a message of a room you visited).',
      request: { body: jsonBody(CreateReportBodySchema) },
      responses: {
        201: jsonResponse(ReportSchema, 'Reported'),
        200: jsonResponse(ReportSchema, 'Your open report on this target'),
        400: errorResponseSpec('Invalid body or a report of yourself'),
        404: notFound,
        429: errorResponseSpec('Too many reports; see Retry-After'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      await takeRateLimit(c, REPORTS, actor.userId, 'too many reports; try again later')
      const gateway = roomGateway(c)
      const result = await createReport(nexus(c).db, {
        actor,
        ...c.req.valid('json'),
        liveChat: (instanceId, messageId) => gateway.chatMessage(instanceId, messageId),
      })
      return result.created ? c.json(result.report, 201) : c.json(result.report, 200)
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/reports',
      summary: 'Your reports and what became of them, newest first',
      request: { query: TimestampIdPageQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(ReportSchema), 'A page of your reports'),
        400: errorResponseSpec('Invalid limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await listOwnReports(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/ratings/{content_type}/{content_id}',
      summary: 'The maturity ratings of media, a quest or a companion',
      request: { params: RatingParamSchema },
      responses: { 200: jsonResponse(RatingSummarySchema, 'Ratings'), 404: notFound },
    }),
    async (c) =>
      c.json(
        await ratingSummary(nexus(c).db, { actor: identityOf(c), ...c.req.valid('param') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'put',
      path: '/ratings/{content_type}/{content_id}',
      summary: 'Suggest a maturity rating (G, PG, T, M, AO); moderators set the official one',
      request: { params: RatingParamSchema, body: jsonBody(RateBodySchema) },
      responses: {
        200: jsonResponse(RatingSummarySchema, 'Ratings with yours'),
        400: errorResponseSpec('Invalid rating'),
        404: notFound,
      },
    }),
    async (c) =>
      c.json(
        await rateContent(nexus(c).db, {
          actor: identityOf(c),
          ...c.req.valid('param'),
          ...c.req.valid('json'),
        }),
        200,
      ),
  )
