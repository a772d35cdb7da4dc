/**
 * Instance representations. Resources mirror the seed's column names (snake_case); `metadata` and
 * visitor `permissions` follow the seed's JSONB structures, validated with strict objects so a
 * client can store nothing the seed does not describe (except under `custom_properties`).
 */
import { z } from '@hono/zod-openapi'
import { CHAT_PAGE_MAX_MESSAGES } from '../../durable-objects/instance-room/config'
import {
  activitySchema,
  chatScopeSchema,
  environmentSettingsSchema,
} from '../../durable-objects/instance-room/protocol'
import { maxSpeedSchema } from '../../durable-objects/instance-room/movement-limit'
import { zoneSchema } from '../../durable-objects/instance-room/zones'
import { idSchema } from '../lib/ids'
import { CharacterSnapshotSchema } from '../social/schemas'
import { cursorParam, TimestampIdPageQuerySchema } from '../lib/pagination'

/** Bytes `custom_properties` may take once serialized. */
export const MAX_CUSTOM_PROPERTIES_BYTES = 8192
/** Bytes `custom_permissions` of one visitor may take once serialized. */
export const MAX_CUSTOM_PERMISSIONS_BYTES = 2048
/** Users one instance may list as admins, and as invited. */
export const MAX_ADMIN_USER_IDS = 50
export const MAX_INVITED_USER_IDS = 500
/** Largest `max_visitors` an instance may declare. */
export const MAX_VISITORS_LIMIT = 500

const serializedSize = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length

/** Postgres TEXT and JSONB cannot hold U+0000: accepting it would turn into a 500 at the insert. */
const hasNoNul = (text: string) => !text.includes('\u0000')
const noNul = { error: 'must not contain a NUL character' }
const jsonHasNoNul = (value: unknown) => !JSON.stringify(value).includes('\\u0000')

const label = (max: number) => z.string().trim().min(1).max(max).refine(hasNoNul, noNul)
const descriptionSchema = z.string().trim().max(2000).refine(hasNoNul, noNul).nullable().optional()

/**
 * `metadata.environment` as a client writes it: the live room's own schema, so a value the room
 * would refuse (a weather it does not know) is a 400 here too; `last_changed_*` are stamped by the
 * server.
 */
export const EnvironmentBodySchema = environmentSettingsSchema

/** `metadata.permissions`: instance-wide rules, admins and invitations. */
export const InstancePermissionsBodySchema = z.strictObject({
  default_can_change_environment: z.boolean().optional(),
  require_vote_for_changes: z.boolean().optional(),
  admin_user_ids: z.array(idSchema('admin_user_ids[]')).max(MAX_ADMIN_USER_IDS).optional(),
  invited_user_ids: z.array(idSchema('invited_user_ids[]')).max(MAX_INVITED_USER_IDS).optional(),
})

/** Walkable area of the instance on the ground plane, read by the room to clamp positions. */
export const BoundsSchema = z
  .strictObject({
    min_x: z.number().finite(),
    max_x: z.number().finite(),
    min_z: z.number().finite(),
    max_z: z.number().finite(),
  })
  .refine((b) => b.min_x < b.max_x && b.min_z < b.max_z, {
    error: 'bounds need min_x < max_x and min_z < max_z',
  })

/**
 * `metadata.custom_properties`: free JSON, bounded in size; `bounds` and `max_speed_mps` (the
 * room's speed limit, see durable-objects/instance-room/movement-limit.ts) are checked when present.
 */
export const CustomPropertiesSchema = z
  .object({ bounds: BoundsSchema.optional(), max_speed_mps: maxSpeedSchema.optional() })
  .catchall(z.unknown())
  .refine((p) => Object.keys(p).length <= 64, { error: 'at most 64 custom properties' })
  .refine((p) => serializedSize(p) <= MAX_CUSTOM_PROPERTIES_BYTES, {
    error: `custom_properties must serialize to at most ${MAX_CUSTOM_PROPERTIES_BYTES} bytes`,
  })
  .refine(jsonHasNoNul, noNul)

/** Instance metadata as a client writes it. */
export const InstanceMetadataBodySchema = z
  .strictObject({
    schema_version: z.literal(1).optional(),
    environment: EnvironmentBodySchema.optional(),
    permissions: InstancePermissionsBodySchema.optional(),
    custom_properties: CustomPropertiesSchema.optional(),
  })
  .openapi('InstanceMetadataBody')

export const CreateInstanceBodySchema = z
  .strictObject({
    type: z.enum(['personal', 'communal']),
    name: label(100),
    description: descriptionSchema,
    max_visitors: z.number().int().min(1).max(MAX_VISITORS_LIMIT).default(10),
    is_public: z.boolean().default(true),
    metadata: InstanceMetadataBodySchema.optional(),
  })
  .openapi('CreateInstanceBody')

export const UpdateInstanceBodySchema = z
  .strictObject({
    name: label(100).optional(),
    description: descriptionSchema,
    max_visitors: z.number().int().min(1).max(MAX_VISITORS_LIMIT).optional(),
    is_public: z.boolean().optional(),
    metadata: InstanceMetadataBodySchema.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to update' })
  .openapi('UpdateInstanceBody')

/** The permission flags of a visitor (seed: `instance_visitors.permissions`). */
const permissionFlags = {
  can_build: z.boolean(),
  can_chat: z.boolean(),
  can_change_environment: z.boolean(),
  can_trade: z.boolean(),
  can_invite: z.boolean(),
  can_modify_buildings: z.boolean(),
  can_spawn_items: z.boolean(),
}

const CustomPermissionsSchema = z
  .record(z.string().min(1).max(64), z.unknown())
  .refine((p) => serializedSize(p) <= MAX_CUSTOM_PERMISSIONS_BYTES, {
    error: `custom_permissions must serialize to at most ${MAX_CUSTOM_PERMISSIONS_BYTES} bytes`,
  })
  .refine(jsonHasNoNul, noNul)

/**
 * A change to one visitor's permissions: the flags given replace the stored ones, the others are
 * kept; `custom_permissions`, when given, replaces the stored object.
 */
export const VisitorPermissionsBodySchema = z
  .strictObject({
    can_build: permissionFlags.can_build.optional(),
    can_chat: permissionFlags.can_chat.optional(),
    can_change_environment: permissionFlags.can_change_environment.optional(),
    can_trade: permissionFlags.can_trade.optional(),
    can_invite: permissionFlags.can_invite.optional(),
    can_modify_buildings: permissionFlags.can_modify_buildings.optional(),
    can_spawn_items: permissionFlags.can_spawn_items.optional(),
    custom_permissions: CustomPermissionsSchema.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to update' })
  .openapi('VisitorPermissionsBody')

export const VisitorPermissionsSchema = z
  .object({ ...permissionFlags, custom_permissions: z.record(z.string(), z.unknown()).optional() })
  .openapi('VisitorPermissions')

export const InstanceSchema = z
  .object({
    id: z.uuid(),
    type: z.enum(['personal', 'communal']),
    instance_subtype: z.string().nullable(),
    owner_id: z.uuid().nullable(),
    name: z.string(),
    description: z.string().nullable(),
    max_visitors: z.number().int(),
    is_public: z.boolean(),
    quest_id: z.uuid().nullable(),
    created_at: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    visitor_count: z.number().int(),
  })
  .openapi('Instance')

export const VisitorSchema = z
  .object({
    instance_id: z.uuid(),
    user_id: z.uuid(),
    username: z.string(),
    display_name: z.string().nullable(),
    joined_at: z.string().nullable(),
    is_owner: z.boolean(),
    permissions: VisitorPermissionsSchema,
  })
  .openapi('Visitor')

export const InstanceIdParamSchema = z.object({ id: idSchema('id') })

export const VisitorParamSchema = z.object({ id: idSchema('id'), user_id: idSchema('user_id') })

/** Visitors are listed earliest first by (joined_at, user_id). */
export const ListVisitorsQuerySchema = TimestampIdPageQuerySchema

/** Instances are listed newest first by (created_at, id). */
export const ListInstancesQuerySchema = TimestampIdPageQuerySchema.extend({
  type: z.enum(['personal', 'communal']).optional(),
  owner: z
    .union([z.literal('me'), idSchema('owner')])
    .optional()
    .openapi({
      description: 'An owner id, or `me`',
    }),
  public: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
})

/** `POST /v1/instances/:id/invitations`: the user to invite. */
export const InvitationBodySchema = z
  .strictObject({ user_id: idSchema('user_id') })
  .openapi('InvitationBody')

/** An invitation: the user may enter the private instance. */
export const InvitationSchema = z
  .object({
    instance_id: z.uuid(),
    user_id: z.uuid(),
    username: z.string(),
    invited: z.literal(true),
  })
  .openapi('Invitation')

/**
 * Chat history query: `cursor` is a previous page's `next_cursor`; `before` (ISO 8601) keeps only
 * messages sent earlier. Both may be given.
 */
/** The chat history cursor: the room seq of the previous page's last message. */
export const ChatCursorSchema = z.object({ seq: z.int().min(1) })
export type ChatCursor = z.infer<typeof ChatCursorSchema>

export const ChatQuerySchema = z.object({
  cursor: cursorParam(ChatCursorSchema),
  before: z.iso
    .datetime({ offset: true, error: 'before must be an ISO 8601 timestamp' })
    .optional(),
  limit: z.coerce.number().int().min(1).max(CHAT_PAGE_MAX_MESSAGES).optional(),
})

const RoomPositionSchema = z.object({
  x: z.number(),
  y: z.number(),
  z: z.number(),
  terrain_altitude: z.number().optional(),
  relative_to: z.string().optional(),
})

/** Who is in an instance's live room now (answered by the room). */
export const RoomPresenceSchema = z
  .object({
    instance_id: z.uuid(),
    players: z.array(
      z.object({
        user_id: z.uuid(),
        username: z.string(),
        zone: zoneSchema,
        position: RoomPositionSchema,
        activity: activitySchema,
        /** The player's active character (functions/social/characters.ts), or null. */
        character: CharacterSnapshotSchema.nullable(),
      }),
    ),
    /**
     * Companions present with their owners (functions/companions). `name` and `appearance` are
     * null for the companions of a player you block or who blocks you.
     */
    companions: z.array(
      z.object({
        companion_id: z.uuid(),
        owner_id: z.uuid(),
        zone: zoneSchema,
        position: RoomPositionSchema,
        behavior_state: z.string(),
        name: z.string().nullable(),
        appearance: z.record(z.string(), z.unknown()).nullable(),
      }),
    ),
  })
  .openapi('RoomPresence')

/** One page of a live room's chat history, newest first. */
export const ChatHistoryPageSchema = z
  .object({
    items: z.array(
      z.object({
        message_id: z.uuid(),
        user_id: z.uuid(),
        username: z.string(),
        message_type: z.enum(['text', 'emote']),
        scope: chatScopeSchema,
        zone: zoneSchema,
        text: z.string(),
        sent_at: z.string().openapi({ format: 'date-time' }),
        synced: z.boolean().openapi({ description: 'Already written to chat_messages' }),
      }),
    ),
    next_cursor: z.string().nullable(),
  })
  .openapi('ChatHistoryPage')

/** Cursor of the instance list (newest first) and of the visitor list (earliest first). */
export const InstanceCursorSchema = z.object({ t: z.string(), id: z.uuid() })
export const VisitorCursorSchema = z.object({ t: z.string(), id: z.uuid() })

export type InstanceMetadataBody = z.infer<typeof InstanceMetadataBodySchema>
export type CreateInstanceBody = z.infer<typeof CreateInstanceBodySchema>
export type UpdateInstanceBody = z.infer<typeof UpdateInstanceBodySchema>
export type VisitorPermissionsBody = z.infer<typeof VisitorPermissionsBodySchema>
export type InvitationBody = z.infer<typeof InvitationBodySchema>
export type VisitorPermissions = z.infer<typeof VisitorPermissionsSchema>
