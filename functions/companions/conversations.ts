/**
 * Conversations and their messages (nexus). A conversation is its user's only: anyone else gets
 * the 404 of a conversation that does not exist.
 *
 * Messages are rows of `companion_messages` numbered by `seq` (decision 91): appending one is an
 * insert plus an update of the conversation's fixed-size row (`message_count`, `last_message`),
 * O(1) however long the history, where the seed's `messages jsonb[]` rewrote the whole array.
 *
 * One turn at a time per conversation: a turn claims the conversation (`turn_id`,
 * `turn_started_at`) in the transaction that stores the player's message, and releases it in the
 * one that stores the answer. A second turn meanwhile is a 409 (`turn_in_progress`); a claim
 * older than `TURN_LEASE_SECONDS` (a Worker that died mid-turn) no longer blocks.
 */
import { and, desc, eq, lt, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import {
  companionConversations,
  companionMessages,
  type CompanionConversation,
  type CompanionMessage,
} from '../../db/schema/nexus'
import type { Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  encodeCursor,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp } from '../lib/time'
import type { ResolvedCompanion } from './service'

/** How long a turn's claim on its conversation lasts at most. */
export const TURN_LEASE_SECONDS = 120
/** Messages of the conversation a turn shows the responder. */
export const RECENT_MESSAGES = 10

const notFound = () => new ApiError('not_found', 'no such conversation')

/** The API form of a conversation. */
export function conversationResource(row: CompanionConversation) {
  return {
    id: row.id,
    companion_id: (row.companionId ?? row.agentId)!,
    companion_kind: row.companionId ? ('own' as const) : ('shared' as const),
    user_id: row.userId!,
    context_data: (row.contextData ?? {}) as Record<string, unknown>,
    message_count: row.messageCount,
    is_archived: row.isArchived,
    started_at: isoTimestamp(row.startedAt),
    last_message: isoTimestamp(row.lastMessage),
  }
}

/** The API form of a message. */
export function messageResource(row: CompanionMessage) {
  return {
    id: row.id,
    seq: row.seq,
    role: row.role as 'user' | 'assistant' | 'system',
    content: row.content,
    tool_commands: row.toolCommands ?? [],
    context: row.context ?? {},
    created_at: isoTimestamp(row.createdAt),
  }
}

/** The partner columns of a conversation with `companion`. */
const partnerOf = (companion: ResolvedCompanion) =>
  companion.kind === 'own'
    ? { companionId: companion.companion.id, agentId: null }
    : { companionId: null, agentId: companion.agent.agentId }

const partnerWhere = (companion: ResolvedCompanion) =>
  companion.kind === 'own'
    ? eq(companionConversations.companionId, companion.companion.id)
    : eq(companionConversations.agentId, companion.agent.agentId)

/** Starts a conversation of the caller with `companion` (theirs or shared, already resolved). */
export async function createConversation(
  db: Db,
  input: { actor: Identity; companion: ResolvedCompanion; context_data?: Record<string, unknown> },
) {
  const [row] = await db
    .insert(companionConversations)
    .values({
      ...partnerOf(input.companion),
      userId: input.actor.userId,
      contextData: input.context_data ?? {},
    })
    .returning()
  return row
}

/** The caller's conversations with `companion`, newest first (archived ones when asked). */
export async function listConversations(
  db: Db,
  input: {
    actor: Identity
    companion: ResolvedCompanion
    limit: number
    cursor?: TimestampIdCursor
    include_archived?: boolean
  },
) {
  const t = companionConversations
  const rows = await db
    .select({ row: t, cursorT: cursorTimestamp(t.startedAt) })
    .from(t)
    .where(
      and(
        partnerWhere(input.companion),
        eq(t.userId, input.actor.userId),
        input.include_archived ? undefined : eq(t.isArchived, false),
        afterTimestampId(t.startedAt, t.id, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(t.startedAt), desc(t.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    (r) => conversationResource(r.row),
    (r) => ({ t: r.cursorT, id: r.row.id }),
  )
}

/** One of the caller's conversations; 404 for anyone else's. */
export async function loadConversation(
  db: Db,
  actor: Identity,
  id: string,
): Promise<CompanionConversation> {
  const [row] = await db
    .select()
    .from(companionConversations)
    .where(and(eq(companionConversations.id, id), eq(companionConversations.userId, actor.userId)))
  if (!row) throw notFound()
  return row
}

/** One of the caller's conversations with a page of its messages, newest first. */
export async function getConversation(
  db: Db,
  input: { actor: Identity; id: string; limit: number; cursor?: { seq: number } },
) {
  const conversation = await loadConversation(db, input.actor, input.id)
  const rows = await db
    .select()
    .from(companionMessages)
    .where(
      and(
        eq(companionMessages.conversationId, input.id),
        input.cursor ? lt(companionMessages.seq, input.cursor.seq) : undefined,
      ),
    )
    .orderBy(desc(companionMessages.seq))
    .limit(input.limit + 1)
  const hasMore = rows.length > input.limit
  const page = rows.slice(0, input.limit)
  return {
    ...conversationResource(conversation),
    messages: {
      items: page.map(messageResource),
      next_cursor: hasMore ? encodeCursor({ seq: page[page.length - 1].seq }) : null,
    },
  }
}

/** Archives one of the caller's conversations (no more turns); archiving twice is fine. */
export async function archiveConversation(db: Db, input: { actor: Identity; id: string }) {
  await loadConversation(db, input.actor, input.id)
  const [row] = await db
    .update(companionConversations)
    .set({ isArchived: true })
    .where(eq(companionConversations.id, input.id))
    .returning()
  return row
}

/** Inserts message `seq` of a conversation (the counter was already moved). */
async function insertMessage(
  tx: Db,
  conversationId: string,
  seq: number,
  message: {
    role: 'user' | 'assistant'
    content: string
    tool_commands?: unknown[]
    context?: object
  },
) {
  const [row] = await tx
    .insert(companionMessages)
    .values({
      conversationId,
      seq,
      role: message.role,
      content: message.content,
      toolCommands: message.tool_commands ?? [],
      context: (message.context ?? {}) as Record<string, unknown>,
    })
    .returning()
  return row
}

/**
 * Claims the conversation for a turn and stores the player's message, in one transaction. 409
 * when it is archived (`archived`) or another turn holds it (`turn_in_progress`).
 */
export async function beginTurn(
  db: Db,
  input: { actor: Identity; conversationId: string; turnId: string; content: string },
) {
  return db.transaction(async (tx) => {
    const { rows } = await tx.execute<{ message_count: number }>(sql`
      UPDATE companion_conversations SET
        turn_id = ${input.turnId}::uuid, turn_started_at = now(),
        message_count = message_count + 1, last_message = now()
      WHERE id = ${input.conversationId}::uuid AND user_id = ${input.actor.userId}::uuid
        AND NOT is_archived
        AND (turn_id IS NULL OR turn_started_at < now() - make_interval(secs => ${TURN_LEASE_SECONDS}))
      RETURNING message_count`)
    if (rows.length === 0) {
      const conversation = await loadConversation(tx, input.actor, input.conversationId)
      if (conversation.isArchived) {
        throw new ApiError('conflict', 'this conversation is archived; start a new one', {
          reason: 'archived',
        })
      }
      throw new ApiError('conflict', 'the companion is still answering your last message', {
        reason: 'turn_in_progress',
      })
    }
    return insertMessage(tx, input.conversationId, Number(rows[0].message_count), {
      role: 'user',
      content: input.content,
    })
  })
}

/** The conversation's messages before `beforeSeq`, oldest first (at most RECENT_MESSAGES). */
export async function recentMessages(db: Db, conversationId: string, beforeSeq: number) {
  const rows = await db
    .select({ role: companionMessages.role, content: companionMessages.content })
    .from(companionMessages)
    .where(
      and(
        eq(companionMessages.conversationId, conversationId),
        lt(companionMessages.seq, beforeSeq),
      ),
    )
    .orderBy(desc(companionMessages.seq))
    .limit(RECENT_MESSAGES)
  return rows.reverse() as Array<{ role: 'user' | 'assistant' | 'system'; content: string }>
}

/**
 * Stores the companion's answer and releases the turn (when still this turn's: a claim that
 * expired and was taken over is left to its new holder).
 */
export async function finishTurn(
  db: Db,
  input: {
    conversationId: string
    turnId: string
    answer: { content: string; tool_commands: unknown[]; context: object } | null
  },
) {
  return db.transaction(async (tx) => {
    let message: CompanionMessage | null = null
    if (input.answer) {
      const { rows } = await tx.execute<{ message_count: number }>(sql`
        UPDATE companion_conversations SET message_count = message_count + 1, last_message = now()
        WHERE id = ${input.conversationId}::uuid RETURNING message_count`)
      if (rows.length === 0) return null // deleted meanwhile (companion deleted, user forgotten)
      message = await insertMessage(tx, input.conversationId, Number(rows[0].message_count), {
        role: 'assistant',
        ...input.answer,
      })
    }
    await tx.execute(sql`
      UPDATE companion_conversations SET turn_id = NULL, turn_started_at = NULL
      WHERE id = ${input.conversationId}::uuid AND turn_id = ${input.turnId}::uuid`)
    return message
  })
}
