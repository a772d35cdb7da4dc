/** User representations. Resources and bodies use the seed's column names (snake_case). */
import { z } from '@hono/zod-openapi'
import { ATTRIBUTE_NAMES } from '../../db/schema/nexus'
import { BalanceSchema } from '../lib/balance'
import { idSchema } from '../lib/ids'
import { pageQuery } from '../lib/pagination'

/** What a player may change about themself: nothing that affects progression or money. */
export const UpdateMeBodySchema = z
  .strictObject({
    display_name: z.string().trim().min(1).max(100).nullable().optional(),
    avatar_url: z
      .url({ protocol: /^https?$/, error: 'avatar_url must be an http(s) URL' })
      .max(2048)
      .nullable()
      .optional(),
    metadata: z
      .strictObject({
        preferences: z
          .record(z.string().max(64), z.unknown())
          .refine((p) => JSON.stringify(p).length <= 8192, {
            error: 'preferences must serialize to at most 8 KB',
          }),
      })
      .optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to update' })
  .openapi('UpdateMeBody')

export const PublicUserSchema = z
  .object({
    id: z.uuid(),
    username: z.string(),
    display_name: z.string().nullable(),
    avatar_url: z.string().nullable(),
    akashic_rank: z.number().int(),
    akashic_rank_title: z.string(),
    created_at: z.string().nullable(),
  })
  .openapi('PublicUser')

const attributeNames = ATTRIBUTE_NAMES

export const ProfileSchema = PublicUserSchema.extend({
  email: z.string().nullable(),
  is_premium: z.boolean().nullable(),
  subscription_type: z.string().nullable(),
  last_seen: z.string().nullable(),
  metadata: z.unknown(),
  akashic: z.object({
    resonance: z.number().int(),
    wisdom: z.number().int(),
    creativity: z.number().int(),
    connection: z.number().int(),
    rank: z.number().int(),
    rank_title: z.string(),
  }),
  attributes: z.object(Object.fromEntries(attributeNames.map((n) => [n, z.number().int()]))),
  balance: BalanceSchema,
}).openapi('Profile')

export const UserIdParamSchema = z.object({ id: idSchema('id') })

/** Users are listed by username; the cursor is the last username of the page. */
export const ListUsersQuerySchema = pageQuery(z.object({ u: z.string().max(64) })).extend({
  prefix: z.string().trim().toLowerCase().max(32).optional(),
})

export { attributeNames }
