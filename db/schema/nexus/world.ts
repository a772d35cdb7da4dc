/**
 * The live world: instances (virtual spaces), who is in them, real-time user states, socket
 * sessions and world chat.
 */
import { sql } from 'drizzle-orm'
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { users } from './users'

/** Virtual spaces: personal, communal, quest holodecks. */
export const instances = pgTable(
  'instances',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    type: varchar('type', { length: 20 }).notNull(),
    instanceSubtype: varchar('instance_subtype', { length: 20 }),
    ownerId: uuid('owner_id').references(() => users.id),
    name: text('name').notNull(),
    description: text('description'),
    maxVisitors: integer('max_visitors').default(10),
    isPublic: boolean('is_public').default(true),
    // Links to quests; the seed gives no foreign key (quests are defined later than instances).
    questId: uuid('quest_id'),
    createdAt: timestamptz('created_at').defaultNow(),
    metadata: jsonb('metadata').default({}),
  },
  (t) => [
    check('instances_type_check', sql`${t.type} IN ('personal', 'communal')`),
    index('idx_instances_type').on(t.type),
    index('idx_instances_owner').on(t.ownerId),
    index('idx_instances_public').on(t.isPublic),
  ],
)

/** Who is in which instance, with granular permissions. */
export const instanceVisitors = pgTable(
  'instance_visitors',
  {
    instanceId: uuid('instance_id')
      .notNull()
      .references(() => instances.id),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    joinedAt: timestamptz('joined_at').defaultNow(),
    permissions: jsonb('permissions').default({ can_build: false, can_trade: true }),
    /** When the Worker last let this visitor into the live room (migration 0050, decision 86). */
    lastConnectedAt: timestamptz('last_connected_at'),
  },
  (t) => [
    primaryKey({ columns: [t.instanceId, t.userId] }),
    index('idx_instance_visitors_user').on(t.userId),
    index('idx_instance_visitors_user_connected')
      .on(t.userId, t.lastConnectedAt.desc().nullsFirst())
      .where(sql`last_connected_at IS NOT NULL`),
  ],
)

/** Real-time position and movement of each user (ephemeral, synced from the instance room). */
export const userStates = pgTable(
  'user_states',
  {
    userId: uuid('user_id')
      .primaryKey()
      .references(() => users.id),
    position: jsonb('position').notNull().default({ x: 0, y: 0, z: 0 }),
    velocity: jsonb('velocity').default({ x: 0, y: 0, z: 0 }),
    rotation: jsonb('rotation').default({ x: 0, y: 0, z: 0, w: 1 }),
    zone: varchar('zone', { length: 20 }).default('center'),
    instanceId: uuid('instance_id'),
    activityState: varchar('activity_state', { length: 20 }).default('idle'),
    lastUpdate: timestamptz('last_update').defaultNow(),
  },
  (t) => [
    index('idx_user_states_zone').on(t.zone),
    index('idx_user_states_instance').on(t.instanceId),
  ],
)

/** Active socket connections, for monitoring. */
export const activeSessions = pgTable(
  'active_sessions',
  {
    sessionId: text('session_id').primaryKey(),
    userId: uuid('user_id').references(() => users.id),
    socketId: text('socket_id'),
    instanceId: uuid('instance_id').references(() => instances.id),
    zone: varchar('zone', { length: 20 }),
    connectedAt: timestamptz('connected_at').defaultNow(),
    lastHeartbeat: timestamptz('last_heartbeat').defaultNow(),
    clientInfo: jsonb('client_info').default({}),
  },
  (t) => [
    index('idx_active_sessions_user').on(t.userId),
    index('idx_active_sessions_instance').on(t.instanceId),
  ],
)

/** World chat, kept for moderation and history. */
export const chatMessages = pgTable(
  'chat_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    senderId: uuid('sender_id').references(() => users.id),
    instanceId: uuid('instance_id').references(() => instances.id),
    zone: varchar('zone', { length: 20 }),
    messageType: varchar('message_type', { length: 20 }).default('text'),
    content: text('content').notNull(),
    timestamp: timestamptz('timestamp').defaultNow(),
    metadata: jsonb('metadata').default({}),
  },
  (t) => [
    index('idx_chat_messages_instance').on(t.instanceId),
    index('idx_chat_messages_timestamp').on(t.timestamp.desc().nullsFirst()),
    index('idx_chat_messages_sender').on(t.senderId),
  ],
)

/** An instance row. */
export type Instance = typeof instances.$inferSelect
/** Values for inserting an instance. */
export type NewInstance = typeof instances.$inferInsert
/** An instance visitor row. */
export type InstanceVisitor = typeof instanceVisitors.$inferSelect
/** Values for inserting an instance visitor. */
export type NewInstanceVisitor = typeof instanceVisitors.$inferInsert
/** A user state row. */
export type UserState = typeof userStates.$inferSelect
/** Values for inserting a user state. */
export type NewUserState = typeof userStates.$inferInsert
/** An active session row. */
export type ActiveSession = typeof activeSessions.$inferSelect
/** Values for inserting an active session. */
export type NewActiveSession = typeof activeSessions.$inferInsert
/** A chat message row. */
export type ChatMessage = typeof chatMessages.$inferSelect
/** Values for inserting a chat message. */
export type NewChatMessage = typeof chatMessages.$inferInsert
