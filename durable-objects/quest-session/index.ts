/**
 * QuestSession: one Durable Object per live quest session. It will hold the quest's live state,
 * sync to Postgres every 30 s and write the completion once. This is the skeleton the quest issue
 * fills in.
 */
import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../../functions/lib/env'

export class QuestSession extends DurableObject<Env> {
  override async fetch(_request: Request): Promise<Response> {
    return Response.json(
      { error: { code: 'not_implemented', message: 'QuestSession is not live yet', requestId: '' } },
      { status: 501 },
    )
  }
}
