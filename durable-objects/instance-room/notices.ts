/**
 * Notices: changes made over HTTP that a live InstanceRoom must follow at once. The Worker sends
 * one through the room gateway (`functions/instances/room-gateway.ts`, RPC `applyNotice`) after
 * the change has committed in Postgres:
 * - `visitor_left` / `visitor_removed`: the user's socket is closed (4001 / 4003) and they leave.
 * - `permissions_changed`: the user's open socket gets the new chat and environment rights.
 * - `instance_deleted`: every socket is closed (4004) and the room flushes to Postgres.
 * - `environment_changed`: a `PATCH` of `metadata.environment`; the room merges the changed keys
 *   into its own copy (which is newer than Postgres between syncs) and tells everyone.
 * - `building_changed`: a building was placed, moved or removed (`buildings.ts`); everyone gets a
 *   `building` event and the room remembers the version.
 * - `trade_changed`: a trade concerning one player changed (`trades.ts`); that player, when
 *   connected here, gets a `trade` event.
 */
import { z } from 'zod'
import { buildingChangedNoticeSchema } from './buildings'
import { tradeChangedNoticeSchema } from './trades'

/** What a connection may do in the room, from the Worker's authorization. */
export interface RoomPermissions {
  can_chat: boolean
  can_change_environment: boolean
}

/** The room's rights from a visitor's (effective) permissions JSON. */
export function roomPermissionsOf(
  permissions: Record<string, unknown>,
  isOwner: boolean,
): RoomPermissions {
  return {
    can_chat: permissions.can_chat !== false,
    can_change_environment: isOwner || permissions.can_change_environment === true,
  }
}

const userId = z.uuid()

/** `RoomPermissions` as the room validates them (in notices and connection requests). */
export const roomPermissionsSchema = z.strictObject({
  can_chat: z.boolean(),
  can_change_environment: z.boolean(),
})

/** A notice as the room accepts it (it validates what comes over RPC too). */
export const roomNoticeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('visitor_left'), user_id: userId }),
  z.strictObject({ type: z.literal('visitor_removed'), user_id: userId }),
  z.strictObject({
    type: z.literal('permissions_changed'),
    user_id: userId,
    permissions: roomPermissionsSchema,
  }),
  z.strictObject({ type: z.literal('instance_deleted') }),
  z.strictObject({
    type: z.literal('environment_changed'),
    changed_by: userId,
    /** Only the keys the PATCH set; the room keeps those its own rules accept. */
    changes: z.record(z.string(), z.unknown()),
  }),
  buildingChangedNoticeSchema,
  tradeChangedNoticeSchema,
])

/** A notice the Worker sends. */
export type RoomNotice = z.infer<typeof roomNoticeSchema>
