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
 * - `block_changed`: two users now do (or no longer) block each other; their chat and emotes stop
 *   (or resume) reaching each other at once.
 * - `sanctions_changed`: a moderator muted, unmuted, banned or unbanned a user; a ban closes the
 *   user's socket with 4005 (`CLOSE_BANNED`).
 * - `character_changed`: the user's active character changed; the room's presence follows.
 * - `trade_changed`: a trade concerning one player changed (`trades.ts`); that player, when
 *   connected here, gets a `trade` event.
 * - `companion_changed`: one of the user's companions woke, changed or went away (companions.ts).
 * - `environment_command`: a companion's tool command for the player it talks with; unlike the
 *   others it is a request the room may refuse: `not_found` when the player is not connected here,
 *   `forbidden` without `can_change_environment`, `validation_error` when the room's environment
 *   rules (`environmentSettingsSchema`) refuse the value.
 */
import { z } from 'zod'
import { buildingChangedNoticeSchema } from './buildings'
import { roomCompanionSchema } from './companion-wire'
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

/** A character as it travels into the room (functions/social/characters.ts). */
export const roomCharacterSchema = z.strictObject({
  id: z.uuid(),
  name: z.string().min(1).max(50),
  base_model: z.string().min(1).max(64),
  appearance: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  media_id: z.uuid().nullable(),
})

/** A player's active character in the room. */
export type RoomCharacter = z.infer<typeof roomCharacterSchema>

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

  z.strictObject({
    type: z.literal('block_changed'),
    user_id: userId,
    other_user_id: userId,
    /** Whether either now blocks the other. */
    blocked: z.boolean(),
  }),
  z.strictObject({
    type: z.literal('sanctions_changed'),
    user_id: userId,
    /** Epoch ms the mute ends; null when not muted. */
    muted_until_ms: z.int().nullable(),
    banned: z.boolean(),
    /** When the sanction row changed (epoch ms): the room keeps the newest it heard of. */
    updated_at_ms: z.int(),
  }),
  z.strictObject({
    type: z.literal('character_changed'),
    user_id: userId,
    character: roomCharacterSchema.nullable(),
  }),
  tradeChangedNoticeSchema,
  z.strictObject({
    type: z.literal('companion_changed'),
    user_id: userId,
    companion_id: z.uuid(),
    /** Null: asleep or deleted, it leaves. */
    companion: roomCompanionSchema.nullable(),
  }),
  z.strictObject({
    type: z.literal('environment_command'),
    user_id: userId,
    companion_id: z.uuid(),
    /** Validated by the room itself (`environmentSettingsSchema`). */
    changes: z.record(z.string(), z.unknown()),
  }),
])

/** A notice the Worker sends. */
export type RoomNotice = z.infer<typeof roomNoticeSchema>
