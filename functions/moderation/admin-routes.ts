/**
 * `/v1/admin/moderation` (moderator and admin roles): the report queue with context, pending
 * media, actions and their audit log.
 *
 * After an action commits, a changed mute or ban is passed on at once: to the BanList object
 * (so the user's tokens stop working; this isolate drops its copy of the list) and to every live
 * room where the user is a visitor (a ban closes their socket with 4005; a mute refuses their
 * chat frames). Should the BanList object be unreachable, the ban stands in Postgres and the
 * scheduled handler puts it in the list within 15 minutes (`repairBanList`).
 */
import type { Context } from 'hono'
import type { Db } from '../../db/client'
import { identityOf } from '../lib/auth'
import { banListOf, forgetBanList } from '../lib/bans'
import type { AppEnv } from '../lib/context'
import { nexus } from '../lib/db'
import { idempotencyKeyOf, runIdempotent } from '../lib/idempotency'
import { describeError } from '../lib/logger'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { pageSchema } from '../lib/pagination'
import { MediaSchema } from '../media/schemas'
import { noticeRooms, visitorInstancesOf } from '../social/live'
import { z } from '@hono/zod-openapi'
import {
  ActionBodySchema,
  ActionsQuerySchema,
  MediaQueueQuerySchema,
  ModerationActionSchema,
  QueuedReportSchema,
  ReportIdParamSchema,
  ReportQueueQuerySchema,
} from './schemas'
import type { SanctionState } from './sanctions'
import {
  getQueuedReport,
  listActions,
  listMediaQueue,
  listReportQueue,
  moderate,
  type ActionEffects,
} from './service'

const MODERATORS = ['moderator', 'admin'] as const
const route = authRoutes({ tags: ['moderation'], roles: [...MODERATORS] })

/** Passes a committed sanction change on to the ban list and the live rooms. */
async function enforceSanctions(
  c: Context<AppEnv>,
  db: Db,
  change: { user_id: string; state: SanctionState },
): Promise<void> {
  const { user_id: userId, state } = change
  try {
    const list = banListOf(c.env)
    if (state.banned) await list.ban(userId, state.banned_until_ms)
    else await list.lift(userId)
  } catch (error) {
    c.var.log.error('ban list not updated; the scheduled repair will', {
      user_id: userId,
      ...describeError(error),
    })
  }
  forgetBanList(c.env)
  await noticeRooms(c, await visitorInstancesOf(db, userId), {
    type: 'sanctions_changed',
    user_id: userId,
    muted_until_ms: state.muted_until_ms,
    banned: state.banned,
    updated_at_ms: state.updated_at_ms,
  })
}

export const moderationAdminRouter = createRouter({ auth: true, roles: [...MODERATORS] })
  .openapi(
    route({
      method: 'get',
      path: '/reports',
      summary: 'The report queue: open reports oldest first, with what was reported',
      request: { query: ReportQueueQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(QueuedReportSchema), 'A page of reports'),
        400: errorResponseSpec('Invalid filter, limit or cursor'),
      },
    }),
    async (c) => c.json(await listReportQueue(nexus(c).db, c.req.valid('query')), 200),
  )
  .openapi(
    route({
      method: 'get',
      path: '/reports/{id}',
      summary: 'One report with its context',
      request: { params: ReportIdParamSchema },
      responses: {
        200: jsonResponse(QueuedReportSchema, 'The report'),
        404: errorResponseSpec('No such report'),
      },
    }),
    async (c) => c.json(await getQueuedReport(nexus(c).db, c.req.valid('param')), 200),
  )
  .openapi(
    route({
      method: 'get',
      path: '/media',
      summary: 'Uploads by moderation status (pending ones oldest first)',
      request: { query: MediaQueueQuerySchema },
      responses: {
        200: jsonResponse(
          pageSchema(
            MediaSchema.extend({
              uploader: z.object({ id: z.uuid(), username: z.string() }).nullable(),
            }),
          ),
          'A page of media',
        ),
        400: errorResponseSpec('Invalid status, limit or cursor'),
      },
    }),
    async (c) => c.json(await listMediaQueue(nexus(c).db, c.req.valid('query')), 200),
  )
  .openapi(
    route({
      method: 'post',
      path: '/actions',
      summary: 'Act: approve or reject media, hide a quest, mute, ban, rate, dismiss a report',
      description:
        "Every action is audited (`GET /actions`). `report_id` resolves that report with the action. A ban stops the user's tokens at once (403) and closes their live sockets with 4005; a mute refuses their chat frames with an error frame `muted`. An optional Idempotency-Key makes a retry replay the first answer.",
      request: { body: jsonBody(ActionBodySchema) },
      responses: {
        201: jsonResponse(ModerationActionSchema, 'Done and audited'),
        400: errorResponseSpec('Invalid action, or a sanction of yourself'),
        404: errorResponseSpec('No such target or report'),
        409: errorResponseSpec(
          'The report is already resolved, or the quest is already (not) hidden',
        ),
        422: errorResponseSpec('Idempotency-Key reused with a different request'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const body = c.req.valid('json')
      const db = nexus(c).db
      let effects: ActionEffects = {}
      const response = await runIdempotent(
        c,
        db,
        { userId: actor.userId, key: idempotencyKeyOf(c, false), request: body },
        async (tx) => {
          const result = await moderate(tx, { actor, body })
          effects = result.effects
          return { status: 201, body: result.action }
        },
      )
      if (effects.sanctions) await enforceSanctions(c, db, effects.sanctions)
      return response
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/actions',
      summary: 'The audit log of moderator actions, newest first',
      request: { query: ActionsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(ModerationActionSchema), 'A page of actions'),
        400: errorResponseSpec('Invalid filter, limit or cursor'),
      },
    }),
    async (c) => c.json(await listActions(nexus(c).db, c.req.valid('query')), 200),
  )
