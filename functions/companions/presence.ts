/**
 * Companions in the live rooms (durable-objects/instance-room/companions.ts): what a connection
 * brings in, the notices that follow a change, and what a blocked pair may see of each other's.
 */
import type { Context } from 'hono'
import type { Db } from '../../db/client'
import type { AiCompanion } from '../../db/schema/nexus'
import type {
  PresentCompanion,
  RoomCompanion,
} from '../../durable-objects/instance-room/companion-wire'
import type { AppEnv } from '../lib/context'
import { blockedAmong } from '../social/blocks'
import { noticeRooms, visitorInstancesOf } from '../social/live'
import { activeCompanionsOf } from './service'

/** Rooms told of a companion change at most; the most recently joined first. */
const MAX_COMPANION_NOTICE_ROOMS = 100

/** A companion as it travels into a room. */
export const roomCompanionOf = (row: AiCompanion): RoomCompanion => ({
  companion_id: row.id,
  name: row.name,
  appearance: row.appearance ?? {},
  behavior_state: row.behaviorState as RoomCompanion['behavior_state'],
})

/** The awake companions `ownerId` brings into a room they connect to. */
export async function roomCompanionsOf(db: Db, ownerId: string): Promise<RoomCompanion[]> {
  return (await activeCompanionsOf(db, ownerId)).map(roomCompanionOf)
}

/**
 * Tells the rooms the owner may be live in that a companion changed: it arrives or changes when
 * awake, leaves when asleep or deleted (`companion` null).
 */
export async function noticeCompanionChange(
  c: Context<AppEnv>,
  db: Db,
  ownerId: string,
  companionId: string,
  companion: AiCompanion | null,
): Promise<void> {
  const rooms = await visitorInstancesOf(db, ownerId, MAX_COMPANION_NOTICE_ROOMS)
  await noticeRooms(c, rooms, {
    type: 'companion_changed',
    user_id: ownerId,
    companion_id: companionId,
    companion: companion && companion.isActive ? roomCompanionOf(companion) : null,
  })
}

/** Presence as `viewerId` may see it: no name or look of a blocked pair's companions. */
export async function presentCompanionsFor(
  db: Db,
  viewerId: string,
  companions: PresentCompanion[],
) {
  const owners = [...new Set(companions.map((companion) => companion.owner_id))]
  const hidden = await blockedAmong(db, viewerId, owners)
  return companions.map((companion) =>
    hidden.has(companion.owner_id) ? { ...companion, name: null, appearance: null } : companion,
  )
}
