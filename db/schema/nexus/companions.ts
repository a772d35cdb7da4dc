/**
 * AI companions, their conversations and the messages of those (migration 0060, db/README.md
 * decisions 90-97). Long-term memories live in the memory database.
 */
import { sql } from 'drizzle-orm'
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  unique,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { users } from './users'

/** The seed's behaviour states of a companion. */
export const COMPANION_BEHAVIOR_STATES = [
  'following',
  'idle',
  'exploring',
  'talking',
  'performing',
] as const

/** Companion definitions and personalities. */
export const aiCompanions = pgTable(
  'ai_companions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id').references(() => users.id),
    name: text('name').notNull(),
    personalityPrompt: text('personality_prompt'),
    voiceId: varchar('voice_id', { length: 50 }).default('sultry_witch'),
    appearance: jsonb('appearance')
      .$type<Record<string, string | number | boolean | null>>()
      .notNull()
      .default({}),
    position: jsonb('position').default({ x: 0, y: 0, z: 0 }),
    behaviorState: varchar('behavior_state', { length: 30 }).notNull().default('following'),
    memoryCapacity: integer('memory_capacity').notNull().default(1000),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    lastActive: timestamptz('last_active').defaultNow(),
  },
  (t) => [
    index('idx_companions_owner').on(t.ownerId),
    index('idx_companions_active').on(t.isActive),
    index('idx_companions_owner_created').on(
      t.ownerId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    check(
      'ai_companions_behavior_state_check',
      sql`${t.behaviorState} IN ('following', 'idle', 'exploring', 'talking', 'performing')`,
    ),
    check('ai_companions_memory_capacity_check', sql`${t.memoryCapacity} >= 1`),
    check('ai_companions_appearance_object', sql`jsonb_typeof(${t.appearance}) = 'object'`),
  ],
)

/**
 * A conversation of a user with one of their companions or with a shared avatar agent of the
 * memory database (`agent_id`, no foreign key across databases). Its messages are rows of
 * `companion_messages`, not the seed's `messages jsonb[]` (decision 91).
 */
export const companionConversations = pgTable(
  'companion_conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    companionId: uuid('companion_id').references(() => aiCompanions.id, { onDelete: 'cascade' }),
    agentId: uuid('agent_id'),
    userId: uuid('user_id').references(() => users.id),
    contextData: jsonb('context_data').default({}),
    startedAt: timestamptz('started_at').notNull().defaultNow(),
    lastMessage: timestamptz('last_message').defaultNow(),
    isArchived: boolean('is_archived').notNull().default(false),
    /** How many messages the conversation holds; the next message's `seq` is this + 1. */
    messageCount: integer('message_count').notNull().default(0),
    /** The turn in progress (its lease), or null. */
    turnId: uuid('turn_id'),
    turnStartedAt: timestamptz('turn_started_at'),
  },
  (t) => [
    index('idx_companion_conversations_companion').on(t.companionId),
    index('idx_companion_conversations_user').on(t.userId),
    index('idx_companion_conversations_companion_user')
      .on(t.companionId, t.userId, t.startedAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`companion_id IS NOT NULL`),
    index('idx_companion_conversations_agent_user')
      .on(t.agentId, t.userId, t.startedAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`agent_id IS NOT NULL`),
    check('companion_conversations_message_count_check', sql`${t.messageCount} >= 0`),
    check(
      'companion_conversations_one_partner',
      sql`num_nonnulls(${t.companionId}, ${t.agentId}) = 1`,
    ),
  ],
)

/** One message of a conversation, numbered by `seq` from 1. */
export const companionMessages = pgTable(
  'companion_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => companionConversations.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    role: varchar('role', { length: 16 }).notNull(),
    content: text('content').notNull(),
    toolCommands: jsonb('tool_commands').$type<unknown[]>().notNull().default([]),
    context: jsonb('context').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    unique('companion_messages_conversation_seq').on(t.conversationId, t.seq),
    check('companion_messages_seq_check', sql`${t.seq} >= 1`),
    check('companion_messages_role_check', sql`${t.role} IN ('user', 'assistant', 'system')`),
    check('companion_messages_tool_commands_array', sql`jsonb_typeof(${t.toolCommands}) = 'array'`),
  ],
)

/** A companion row. */
export type AiCompanion = typeof aiCompanions.$inferSelect
/** Values for inserting a companion. */
export type NewAiCompanion = typeof aiCompanions.$inferInsert
/** A conversation row. */
export type CompanionConversation = typeof companionConversations.$inferSelect
/** Values for inserting a conversation. */
export type NewCompanionConversation = typeof companionConversations.$inferInsert
/** A message row. */
export type CompanionMessage = typeof companionMessages.$inferSelect
/** Values for inserting a message. */
export type NewCompanionMessage = typeof companionMessages.$inferInsert
