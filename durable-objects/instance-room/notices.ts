/**
 * Notices: changes made over HTTP that a live InstanceRoom must follow at once. The Worker posts
 * one to the room's `POST /notice` after the change has committed in Postgres:
 * - `visitor_left` / `visitor_removed`: the user's socket is closed (4001 / 4003) and they leave.
 * - `permissions_changed`: the user's open socket gets the new chat and environment rights.
 * - `instance_deleted`: every socket is closed (4004) and the room flushes to Postgres.
 * - `environment_changed`: a `PATCH` of `metadata.environment`; the room merges the changed keys
 *   into its own copy (which is newer than Postgres between syncs) and tells everyone.
 */
import { z } from 'zod'

/** What a connection may do, from the Worker's authorization. */
export interface RoomPermissions {
  canChat: boolean
  canChangeEnvironment: boolean
}

/** The room's rights from a visitor's (effective) permissions JSON. */
export function roomPermissionsOf(
  permissions: Record<string, unknown>,
  isOwner: boolean,
): RoomPermissions {
  return {
    canChat: permissions.can_chat !== false,
    canChangeEnvironment: isOwner || permissions.can_change_environment === true,
  }
}

const userId = z.uuid()

/** A notice as the room accepts it. */
export const roomNoticeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('visitor_left'), userId }),
  z.strictObject({ type: z.literal('visitor_removed'), userId }),
  z.strictObject({
    type: z.literal('permissions_changed'),
    userId,
    permissions: z.strictObject({ canChat: z.boolean(), canChangeEnvironment: z.boolean() }),
  }),
  z.strictObject({ type: z.literal('instance_deleted') }),
  z.strictObject({
    type: z.literal('environment_changed'),
    changedBy: userId,
    /** Only the keys the PATCH set; the room keeps those its own rules accept. */
    changes: z.record(z.string(), z.unknown()),
  }),
])

export type RoomNotice = z.infer<typeof roomNoticeSchema>
