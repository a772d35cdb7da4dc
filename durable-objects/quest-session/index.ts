/**
 * QuestSession: one Durable Object per live quest session. It will hold the quest's live state on
 * the live-object core (durable-objects/README.md), sync to Postgres every 30 s and write the
 * completion once. This is the skeleton the quest issue fills in.
 */
import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../../functions/lib/env'
import { refusalResponse } from '../core/refusal'

/** The QuestSession Durable Object (not live yet: every request is refused). */
export class QuestSession extends DurableObject<Env> {
  override async fetch(_request: Request): Promise<Response> {
    return refusalResponse('service_unavailable', 'QuestSession is not live yet')
  }
}
