/**
 * Social representations: friends and requests, blocks, contact cards and characters. Bodies are
 * strict; text refuses NUL (Postgres TEXT cannot store it); ids are canonical.
 */
import { z } from '@hono/zod-openapi'
import { idSchema } from '../lib/ids'
import { TimestampIdPageQuerySchema } from '../lib/pagination'

const hasNoNul = (text: string) => !text.includes('\u0000')
const noNul = { error: 'must not contain a NUL character' }
/** Trimmed text of 1..max characters without NUL. */
export const labelText = (max: number) => z.string().trim().min(1).max(max).refine(hasNoNul, noNul)
/** Serialized size of a JSON value in UTF-8 bytes. */
export const jsonBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length

/** Users a player may block. */
export const MAX_BLOCKS_PER_USER = 1_000
/** Accepted friends a player may have. */
export const MAX_FRIENDS_PER_USER = 1_000
/** Friend requests a player may have waiting for an answer. */
export const MAX_PENDING_FRIEND_REQUESTS = 100
/** Characters a player may keep. */
export const MAX_CHARACTERS_PER_USER = 20
/** Bytes a character's `appearance` may take serialized (it travels in room presence). */
export const MAX_APPEARANCE_BYTES = 1_024

export const UserIdParamSchema = z.object({ user_id: idSchema('user_id') })
export const TargetUserBodySchema = z.strictObject({ user_id: idSchema('user_id') })

/** The public minimum of another user: what a blocked pair still sees of each other. */
export const UserRefSchema = z.object({ id: z.uuid(), username: z.string() }).openapi('UserRef')

/** A friend's live presence, when they share it with you. */
export const FriendPresenceSchema = z
  .object({
    online: z.boolean(),
    /** The instance whose live room they are in, when online. */
    instance_id: z.uuid().nullable(),
    last_seen: z.string().nullable(),
  })
  .openapi('FriendPresence')

export const FriendSchema = z
  .object({
    user: z.object({
      id: z.uuid(),
      username: z.string(),
      display_name: z.string().nullable(),
      avatar_url: z.string().nullable(),
    }),
    since: z.string().nullable(),
    /** Whether you share your presence with this friend. */
    share_presence: z.boolean(),
    /** Null when the friend does not share theirs with you. */
    presence: FriendPresenceSchema.nullable(),
  })
  .openapi('Friend')

export const FriendRequestSchema = z
  .object({
    user: UserRefSchema,
    direction: z.enum(['incoming', 'outgoing']),
    status: z.enum(['pending', 'accepted']),
    requested_at: z.string().nullable(),
    accepted_at: z.string().nullable(),
  })
  .openapi('FriendRequest')

export const FriendRequestsQuerySchema = TimestampIdPageQuerySchema.extend({
  direction: z.enum(['incoming', 'outgoing']).default('incoming'),
})

export const UpdateFriendBodySchema = z.strictObject({ share_presence: z.boolean() })

export const BlockSchema = z
  .object({ user: UserRefSchema, created_at: z.string().nullable() })
  .openapi('Block')

/** Fields of your profile a contact card may show. */
export const CARD_FIELDS = [
  'display_name',
  'avatar_url',
  'akashic_rank',
  'active_character',
] as const

const linkSchema = z.strictObject({
  label: labelText(40),
  url: z.url({ protocol: /^https?$/, error: 'url must be an http(s) URL' }).max(2048),
})

export const ContactCardBodySchema = z
  .strictObject({
    headline: labelText(100).nullable().optional(),
    bio: z.string().trim().max(1000).refine(hasNoNul, noNul).nullable().optional(),
    links: z.array(linkSchema).max(5).optional(),
    shown_fields: z.array(z.enum(CARD_FIELDS)).max(CARD_FIELDS.length).optional(),
  })
  .openapi('ContactCardBody')

/** A character as it is stored and as it travels into a room's presence. */
export const CharacterSnapshotSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    base_model: z.string(),
    appearance: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    media_id: z.uuid().nullable(),
  })
  .openapi('CharacterSnapshot')

export const ContactCardSchema = z
  .object({
    user: UserRefSchema,
    /** Only on your own card. */
    share_code: z.string().optional(),
    headline: z.string().nullable(),
    bio: z.string().nullable(),
    links: z.array(z.object({ label: z.string(), url: z.string() })),
    shown_fields: z.array(z.enum(CARD_FIELDS)),
    /** The profile fields the owner chose to show, and only those. */
    shown: z.object({
      display_name: z.string().nullable().optional(),
      avatar_url: z.string().nullable().optional(),
      akashic_rank: z.object({ rank: z.number().int(), title: z.string() }).optional(),
      active_character: CharacterSnapshotSchema.nullable().optional(),
    }),
    updated_at: z.string().nullable(),
  })
  .openapi('ContactCard')

/** Share codes: 10 characters of Crockford's base32, accepted in any case. */
export const ShareCodeParamSchema = z.object({
  share_code: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[0-9A-Z]{10,16}$/, 'share_code is 10-16 letters and digits'),
})

/** Client-side avatar models are named by slugs (`default_female_01`). */
const baseModel = z.string().regex(/^[a-z0-9_]{1,64}$/, 'expected 1-64 characters of a-z, 0-9 or _')
/** A flat map of appearance keys (colours, slugs, sizes) to scalars. */
const appearanceValue = z.union([
  z.string().max(256).refine(hasNoNul, noNul),
  z.number(),
  z.boolean(),
  z.null(),
])
/** The type of a character's `appearance`. */
export type Appearance = Record<string, string | number | boolean | null>
/** A flat appearance map of at most MAX_APPEARANCE_BYTES (characters; companions reuse it). */
export const appearance = z
  .record(z.string().min(1).max(64), appearanceValue)
  .refine((value) => jsonBytes(value) <= MAX_APPEARANCE_BYTES, {
    error: `appearance must serialize to at most ${MAX_APPEARANCE_BYTES} bytes`,
  })
  .refine((value) => !Object.keys(value).some((key) => key.includes('\u0000')), noNul)

export const CreateCharacterBodySchema = z
  .strictObject({
    name: labelText(50),
    base_model: baseModel,
    appearance: appearance.optional(),
    /** An image or SVG you uploaded (`POST /v1/media`), used as a custom skin. */
    media_id: idSchema('media_id').nullable().optional(),
    /** Make it your active character now (your first character always is). */
    active: z.boolean().optional(),
  })
  .openapi('CreateCharacterBody')

export const UpdateCharacterBodySchema = z
  .strictObject({
    name: labelText(50).optional(),
    base_model: baseModel.optional(),
    appearance: appearance.optional(),
    media_id: idSchema('media_id').nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to update' })
  .openapi('UpdateCharacterBody')

export const CharacterSchema = CharacterSnapshotSchema.extend({
  is_active: z.boolean(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
}).openapi('Character')

export const CharacterIdParamSchema = z.object({ id: idSchema('id') })
