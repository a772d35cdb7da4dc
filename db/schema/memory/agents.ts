/**
 * Agent avatars: voice, look and personality of AI agents.
 */
import { boolean, pgTable, text, uuid, varchar } from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'

/** Agent avatar configurations. */
export const avatarAgents = pgTable('avatar_agents', {
  agentId: uuid('agent_id').primaryKey().defaultRandom(),
  agentName: varchar('agent_name', { length: 50 }).notNull().unique(),
  avatarUrl: text('avatar_url'),
  voiceId: varchar('voice_id', { length: 50 }),
  personalityPrompt: text('personality_prompt'),
  createdAt: timestamptz('created_at').defaultNow(),
  isActive: boolean('is_active').default(true),
})

/** An agent row. */
export type AvatarAgent = typeof avatarAgents.$inferSelect
/** Values for inserting an agent. */
export type NewAvatarAgent = typeof avatarAgents.$inferInsert
