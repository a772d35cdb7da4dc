/** Request and response schemas of avatar agents (`avatar_agents`). */
import { z } from '@hono/zod-openapi'
import { idSchema } from '../../lib/ids'
import { pageQuery } from '../../lib/pagination'

const AgentNameSchema = z
  .string()
  .trim()
  .min(1, { error: 'agent_name must not be empty' })
  .max(50, { error: 'agent_name must be at most 50 characters' })

const AvatarUrlSchema = z
  .url({ protocol: /^https?$/, error: 'avatar_url must be an http(s) URL' })
  .max(2048)
  .nullable()

const VoiceIdSchema = z.string().trim().min(1).max(50).nullable()

/** Prompts are instructions for a language model; 8,000 characters is ample and bounds the row. */
export const MAX_PERSONALITY_PROMPT_CHARS = 8_000
const PersonalityPromptSchema = z.string().max(MAX_PERSONALITY_PROMPT_CHARS).nullable()

export const CreateAgentBodySchema = z
  .strictObject({
    agent_name: AgentNameSchema,
    avatar_url: AvatarUrlSchema.optional(),
    voice_id: VoiceIdSchema.optional(),
    personality_prompt: PersonalityPromptSchema.optional(),
    is_active: z.boolean().optional(),
  })
  .openapi('CreateAvatarAgentBody')

export const UpdateAgentBodySchema = z
  .strictObject({
    agent_name: AgentNameSchema.optional(),
    avatar_url: AvatarUrlSchema.optional(),
    voice_id: VoiceIdSchema.optional(),
    personality_prompt: PersonalityPromptSchema.optional(),
    is_active: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'change at least one field' })
  .openapi('UpdateAvatarAgentBody')

export const AgentSchema = z
  .object({
    agent_id: z.uuid(),
    agent_name: z.string(),
    avatar_url: z.string().nullable(),
    voice_id: z.string().nullable(),
    personality_prompt: z.string().nullable(),
    is_active: z.boolean(),
    created_at: z.string().nullable(),
  })
  .openapi('AvatarAgent')

export const AgentIdParamSchema = z.object({ agent_id: idSchema('agent_id') })

/** Agents are listed by name; the cursor is the last name of the page. */
export const ListAgentsQuerySchema = pageQuery(z.object({ name: z.string().max(64) })).extend({
  is_active: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
})

export type CreateAgentBody = z.infer<typeof CreateAgentBodySchema>
export type UpdateAgentBody = z.infer<typeof UpdateAgentBodySchema>
