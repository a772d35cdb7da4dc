/**
 * Request and response schemas of companions, conversations and turns. Resources mirror the
 * seed's columns (snake_case); bodies are strict; text refuses NUL; ids are canonical.
 */
import { z } from '@hono/zod-openapi'
import { COMPANION_BEHAVIOR_STATES } from '../../db/schema/nexus'
import { idSchema } from '../lib/ids'
import { pageQuery, TimestampIdPageQuerySchema } from '../lib/pagination'
import { boundedJsonObject, labelSchema, textSchema } from '../lib/text'
import { MAX_PERSONALITY_PROMPT_CHARS } from '../memory/agents/schemas'
import { appearance } from '../social/schemas'

/** Companions one player may own. */
export const MAX_COMPANIONS_PER_USER = 20
/** Companions of one player awake at once (each accompanies its owner in the live room). */
export const MAX_ACTIVE_COMPANIONS = 3
/** Longest message a player sends in one turn, in characters. */
export const MAX_TURN_CHARS = 4_000
/** `memory_capacity` bounds: memories a companion keeps of its owner. */
export const MIN_MEMORY_CAPACITY = 10
export const MAX_MEMORY_CAPACITY = 100_000
/** Largest `context_data` of a conversation, serialized. */
export const MAX_CONTEXT_DATA_BYTES = 8_192

export const BehaviorStateSchema = z.enum(COMPANION_BEHAVIOR_STATES, {
  error: `behavior_state must be one of ${COMPANION_BEHAVIOR_STATES.join(', ')}`,
})
export type BehaviorState = z.infer<typeof BehaviorStateSchema>

const voiceId = z
  .string()
  .regex(/^[a-z0-9_]{1,50}$/, 'voice_id is 1-50 characters of a-z, 0-9 or _')
const personalityPrompt = textSchema(MAX_PERSONALITY_PROMPT_CHARS).nullable()
const memoryCapacity = z.number().int().min(MIN_MEMORY_CAPACITY).max(MAX_MEMORY_CAPACITY)

const companionFields = {
  name: labelSchema(50),
  personality_prompt: personalityPrompt.optional(),
  voice_id: voiceId.optional(),
  appearance: appearance.optional(),
  behavior_state: BehaviorStateSchema.optional(),
  memory_capacity: memoryCapacity.optional(),
  /** Awake: accompanies you in live rooms and talks. At most MAX_ACTIVE_COMPANIONS at once. */
  is_active: z.boolean().optional(),
}

export const CreateCompanionBodySchema = z
  .strictObject(companionFields)
  .openapi('CreateCompanionBody')

export const UpdateCompanionBodySchema = z
  .strictObject({ ...companionFields, name: companionFields.name.optional() })
  .refine((body) => Object.values(body).some((v) => v !== undefined), {
    error: 'change at least one field',
  })
  .openapi('UpdateCompanionBody')

export type CreateCompanionBody = z.infer<typeof CreateCompanionBodySchema>
export type UpdateCompanionBody = z.infer<typeof UpdateCompanionBodySchema>

export const CompanionIdParamSchema = z.object({ id: idSchema('id') })

export const DeleteCompanionQuerySchema = z.object({
  forget: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .openapi({ description: 'Also forget every memory the companion keeps (memory database)' }),
})

const positionSchema = z.object({ x: z.number(), y: z.number(), z: z.number() })

/** One of your companions. */
export const OwnCompanionSchema = z
  .object({
    id: z.uuid(),
    kind: z.literal('own'),
    owner_id: z.uuid(),
    name: z.string(),
    personality_prompt: z.string().nullable(),
    voice_id: z.string().nullable(),
    appearance: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    position: positionSchema.nullable(),
    behavior_state: BehaviorStateSchema,
    memory_capacity: z.number().int(),
    is_active: z.boolean(),
    created_at: z.string().nullable(),
    last_active: z.string().nullable(),
  })
  .openapi('Companion')

/** A shared companion: an active avatar agent of the memory service, anyone may talk to it. */
export const SharedCompanionSchema = z
  .object({
    id: z.uuid(),
    kind: z.literal('shared'),
    name: z.string(),
    personality_prompt: z.string().nullable(),
    voice_id: z.string().nullable(),
    avatar_url: z.string().nullable(),
    created_at: z.string().nullable(),
  })
  .openapi('SharedCompanion')

export const AnyCompanionSchema = z
  .discriminatedUnion('kind', [OwnCompanionSchema, SharedCompanionSchema])
  .openapi('AnyCompanion')

/** Yours first (newest first), then the shared ones (by name). */
export const CompanionListCursorSchema = z.union([
  z.object({ phase: z.literal('own'), t: z.string(), id: z.uuid() }),
  z.object({ phase: z.literal('shared'), name: z.string().max(64) }),
])
export type CompanionListCursor = z.infer<typeof CompanionListCursorSchema>

export const ListCompanionsQuerySchema = pageQuery(CompanionListCursorSchema).extend({
  kind: z.enum(['own', 'shared']).optional(),
})

export const DeletedCompanionSchema = z
  .object({
    id: z.uuid(),
    conversations: z.number().int(),
    forgotten: z.object({ memories: z.number().int(), relationships: z.number().int() }).nullable(),
  })
  .openapi('DeletedCompanion')

// ---------------------------------------------------------------- conversations

export const CreateConversationBodySchema = z
  .strictObject({
    context_data: boundedJsonObject(MAX_CONTEXT_DATA_BYTES, {}).optional(),
  })
  .openapi('CreateConversationBody')

export const ConversationSchema = z
  .object({
    id: z.uuid(),
    /** The companion (or shared companion) spoken with: its id in `/v1/companions/:id`. */
    companion_id: z.uuid(),
    companion_kind: z.enum(['own', 'shared']),
    user_id: z.uuid(),
    context_data: z.record(z.string(), z.unknown()),
    message_count: z.number().int(),
    is_archived: z.boolean(),
    started_at: z.string().nullable(),
    last_message: z.string().nullable(),
  })
  .openapi('Conversation')

export const ListConversationsQuerySchema = TimestampIdPageQuerySchema.extend({
  include_archived: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
})

export const ConversationIdParamSchema = z.object({ id: idSchema('id') })

/** Messages are paged newest first by `seq`. */
export const MessagePageQuerySchema = pageQuery(z.object({ seq: z.number().int().min(1) }))

/** Outcome of one tool command of an answer. */
export const ToolCommandOutcomeSchema = z
  .object({
    /** As written in the answer: `setSky`, `setTimeOfDay`, `setWeather`, `setLighting`. */
    tool: z.string(),
    args: z.string(),
    status: z.enum(['applied', 'refused']),
    /**
     * Why it was refused: `unknown_tool`, `too_many_commands`, `not_in_instance` (the player is in
     * no live room), `forbidden` (may not change the environment there), `invalid_value` (the
     * room's environment rules refuse it), `room_unavailable`.
     */
    reason: z.string().nullable(),
    message: z.string().nullable(),
    instance_id: z.uuid().nullable(),
  })
  .openapi('ToolCommandOutcome')
export type ToolCommandOutcome = z.infer<typeof ToolCommandOutcomeSchema>

export const MessageSchema = z
  .object({
    id: z.uuid(),
    seq: z.number().int(),
    role: z.enum(['user', 'assistant', 'system']),
    content: z.string(),
    tool_commands: z.array(z.unknown()),
    /** For an answer: the memories it recalled, who answered (`responder`), what it remembered. */
    context: z.record(z.string(), z.unknown()),
    created_at: z.string().nullable(),
  })
  .openapi('CompanionMessage')

export const ConversationWithMessagesSchema = ConversationSchema.extend({
  messages: z.object({ items: z.array(MessageSchema), next_cursor: z.string().nullable() }),
}).openapi('ConversationWithMessages')

export const TurnBodySchema = z
  .strictObject({
    content: labelSchema(MAX_TURN_CHARS),
    /**
     * The live instance you are connected to, where tool commands apply (checked with the room).
     * Without it the server looks for your open room session, which may lag up to 30 s.
     */
    instance_id: idSchema('instance_id').optional(),
  })
  .openapi('TurnBody')
export type TurnBody = z.infer<typeof TurnBodySchema>

export const RecalledMemorySchema = z.object({
  memory_id: z.uuid(),
  similarity: z.number(),
  snippet: z.string().nullable(),
  tier: z.string(),
  created_at: z.string().nullable(),
})

export const RememberedMemorySchema = z.object({
  memory_id: z.uuid(),
  tier: z.string(),
  significance_score: z.number(),
  duplicate: z.boolean(),
})

export const TurnRelationshipSchema = z.object({
  stage: z.string(),
  quality_score: z.number(),
  trust_level: z.number(),
  interaction_count: z.number().int(),
})

export const TurnResultSchema = z
  .object({
    user_message: MessageSchema,
    assistant_message: MessageSchema,
    recalled: z.array(RecalledMemorySchema),
    remembered: z.array(RememberedMemorySchema),
    relationship: TurnRelationshipSchema.nullable(),
  })
  .openapi('TurnResult')
