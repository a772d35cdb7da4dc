/**
 * What the live rooms learn from the social and moderation domains: the connection context of a
 * player entering a room (block partners, mute, active character), and notices to the rooms a
 * player may be live in when one of those changes.
 *
 * Which rooms: a player can be live only in an instance where they are a visitor (the upgrade
 * writes the visitor row before it connects), so notices go to the instances of their visitor
 * rows, which the upgrade's own reads then cannot miss (see `blockPartnersIn`).
 */
import type { Context } from 'hono'
import { desc, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { instanceVisitors } from '../../db/schema/nexus'
import type { RoomNotice } from '../../durable-objects/instance-room/notices'
import { roomGateway } from '../instances/room-gateway'
import type { AppEnv } from '../lib/context'
import { sanctionsOf } from '../moderation/sanctions'
import { blockPartnersIn } from './blocks'
import { activeCharacterOf, type CharacterSnapshot } from './characters'

/** Rooms told of a cosmetic change (a character) at most; the most recently joined first. */
const MAX_COSMETIC_NOTICE_ROOMS = 100
/** Notices sent at once. */
const NOTICE_CONCURRENCY = 8

/** The social part of a room connection. */
export interface RoomSocialContext {
  blocked_user_ids: string[]
  muted_until_ms: number | null
  sanctions_updated_at_ms: number
  character: CharacterSnapshot | null
}

/**
 * What the room needs of `user_id` entering `instance_id`. Read after the visitor row is written
 * (see the file comment).
 */
export async function roomSocialContext(
  db: Db,
  input: { user_id: string; instance_id: string },
): Promise<RoomSocialContext> {
  const [blocked, sanctions, character] = await Promise.all([
    blockPartnersIn(db, input),
    sanctionsOf(db, input.user_id),
    activeCharacterOf(db, input.user_id),
  ])
  return {
    blocked_user_ids: blocked,
    muted_until_ms: sanctions.muted_until_ms,
    sanctions_updated_at_ms: sanctions.updated_at_ms,
    character,
  }
}

/** Instances where `userId` is a visitor, most recently joined first (at most `limit`). */
export async function visitorInstancesOf(
  db: Db,
  userId: string,
  limit?: number,
): Promise<string[]> {
  const query = db
    .select({ instanceId: instanceVisitors.instanceId })
    .from(instanceVisitors)
    .where(eq(instanceVisitors.userId, userId))
    .orderBy(desc(sql`coalesce(${instanceVisitors.joinedAt}, 'epoch'::timestamptz)`))
  const rows = limit === undefined ? await query : await query.limit(limit)
  return rows.map((r) => r.instanceId)
}

/** Sends `notice` to each room of `instanceIds` (a room that cannot be told is logged). */
export async function noticeRooms(
  c: Context<AppEnv>,
  instanceIds: string[],
  notice: RoomNotice,
): Promise<void> {
  const gateway = roomGateway(c)
  const queue = [...new Set(instanceIds)]
  const workers = Array.from({ length: Math.min(NOTICE_CONCURRENCY, queue.length) }, async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      await gateway.notify(id, notice)
    }
  })
  await Promise.all(workers)
}

/** Tells the rooms `userId` may be live in that their active character changed. */
export async function noticeCharacterChange(c: Context<AppEnv>, db: Db, userId: string) {
  const [rooms, character] = await Promise.all([
    visitorInstancesOf(db, userId, MAX_COSMETIC_NOTICE_ROOMS),
    activeCharacterOf(db, userId),
  ])
  await noticeRooms(c, rooms, { type: 'character_changed', user_id: userId, character })
}
