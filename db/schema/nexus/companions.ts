/**
 * AI companions and their conversation history. Long-term memories live in the memory database.
 */
import { sql } from 'drizzle-orm'
import { boolean, index, integer, jsonb, pgTable, text, uuid, varchar } from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { users } from './users'

/** Companion definitions and personalities. */
export const aiCompanions = pgTable(
  'ai_companions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id').references(() => users.id),
    name: text('name').notNull(),
    personalityPrompt: text('personality_prompt'),
    voiceId: varchar('voice_id', { length: 50 }).default('sultry_witch'),
    appearance: jsonb('appearance').default({}),
    position: jsonb('position').default({ x: 0, y: 0, z: 0 }),
    behaviorState: varchar('behavior_state', { length: 30 }).default('following'),
    memoryCapacity: integer('memory_capacity').default(1000),
    isActive: boolean('is_active').default(true),
    createdAt: timestamptz('created_at').defaultNow(),
    lastActive: timestamptz('last_active').defaultNow(),
  },
  (t) => [
    index('idx_companions_owner').on(t.ownerId),
    index('idx_companions_active').on(t.isActive),
  ],
)

/** Conversation history with a companion (`messages` is a `jsonb[]`). */
export const companionConversations = pgTable(
  'companion_conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    companionId: uuid('companion_id').references(() => aiCompanions.id),
    userId: uuid('user_id').references(() => users.id),
    messages: jsonb('messages')
      .array()
      .default(sql`'{}'`),
    contextData: jsonb('context_data').default({}),
    startedAt: timestamptz('started_at').defaultNow(),
    lastMessage: timestamptz('last_message').defaultNow(),
    isArchived: boolean('is_archived').default(false),
  },
  (t) => [
    index('idx_companion_conversations_companion').on(t.companionId),
    index('idx_companion_conversations_user').on(t.userId),
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
