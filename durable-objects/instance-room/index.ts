/**
 * InstanceRoom: one Durable Object per live instance (addressed by the instance id). It will hold
 * the players' positions in the 9-zone grid, fan out updates, carry chat and environment, and sync
 * to Postgres from an alarm every 30 s. This is the skeleton the instance issue fills in.
 */
import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../../functions/lib/env'

export class InstanceRoom extends DurableObject<Env> {
  override async fetch(_request: Request): Promise<Response> {
    return Response.json(
      { error: { code: 'not_implemented', message: 'InstanceRoom is not live yet', requestId: '' } },
      { status: 501 },
    )
  }
}
