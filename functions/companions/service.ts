/**
 * Companions: a player's own AI companions (`ai_companions`, nexus) and the shared ones (active
 * `avatar_agents` of the memory database, read there: no cross-database join).
 *
 * Who may touch what: a companion is its owner's only; anyone else gets the 404 of a companion
 * that does not exist (also staff: a companion is private). A shared companion is readable by
 * every player and managed by operators (`/v1/admin/memory/avatar-agents`), so changing one is a
 * 403. `resolveCompanion` is the one place that maps an id to one or the other; the memory routes
 * use it too (`functions/memory/access.ts`).
 *
 * Limits (held under concurrency by a per-owner transaction lock): MAX_COMPANIONS_PER_USER
 * companions, MAX_ACTIVE_COMPANIONS awake at once.
 */
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm'
import type { Db, MemoryDb } from '../../db/client'
import { aiCompanions, type AiCompanion } from '../../db/schema/nexus'
import { avatarAgents, type AvatarAgent } from '../../db/schema/memory'
import type { Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import { isCanonicalId } from '../lib/ids'
import { afterTimestampId, cursorTimestamp, encodeCursor, type Page } from '../lib/pagination'
import { isoTimestamp } from '../lib/time'
import { lockUserSocial } from '../social/blocks'
import {
  MAX_ACTIVE_COMPANIONS,
  MAX_COMPANIONS_PER_USER,
  type BehaviorState,
  type CompanionListCursor,
  type CreateCompanionBody,
  type UpdateCompanionBody,
} from './schemas'

/** The two databases a companion spans. */
export interface CompanionDbs {
  nexus: Db
  memory: MemoryDb
}

/** A companion the caller may talk to: one of theirs, or a shared avatar agent. */
export type ResolvedCompanion =
  { kind: 'own'; companion: AiCompanion } | { kind: 'shared'; agent: AvatarAgent }

const notFound = () => new ApiError('not_found', 'no such companion')

/** The API form of an owned companion. */
export function companionResource(row: AiCompanion) {
  const position = row.position as { x: number; y: number; z: number } | null
  return {
    id: row.id,
    kind: 'own' as const,
    owner_id: row.ownerId!,
    name: row.name,
    personality_prompt: row.personalityPrompt ?? null,
    voice_id: row.voiceId ?? null,
    appearance: row.appearance ?? {},
    position: position ?? null,
    behavior_state: row.behaviorState as BehaviorState,
    memory_capacity: row.memoryCapacity,
    is_active: row.isActive,
    created_at: isoTimestamp(row.createdAt),
    last_active: isoTimestamp(row.lastActive),
  }
}

/** The API form of a shared companion (an avatar agent). */
export function sharedCompanionResource(agent: AvatarAgent) {
  return {
    id: agent.agentId,
    kind: 'shared' as const,
    name: agent.agentName,
    personality_prompt: agent.personalityPrompt ?? null,
    voice_id: agent.voiceId ?? null,
    avatar_url: agent.avatarUrl ?? null,
    created_at: isoTimestamp(agent.createdAt),
  }
}

/** The resource of either kind. */
export const resolvedResource = (resolved: ResolvedCompanion) =>
  resolved.kind === 'own'
    ? companionResource(resolved.companion)
    : sharedCompanionResource(resolved.agent)

/** The key of a companion's memories in the memory database: its id (decision 93). */
export const memoryKeyOf = (resolved: ResolvedCompanion): string =>
  resolved.kind === 'own' ? resolved.companion.id : resolved.agent.agentId

/**
 * The companion `id` names for `actor`: theirs, or an active shared agent; 404 otherwise (another
 * player's companion is indistinguishable from none).
 */
export async function resolveCompanion(
  dbs: CompanionDbs,
  actor: Identity,
  id: string,
): Promise<ResolvedCompanion> {
  if (!isCanonicalId(id)) throw notFound()
  const [row] = await dbs.nexus.select().from(aiCompanions).where(eq(aiCompanions.id, id))
  if (row) {
    if (row.ownerId !== actor.userId) throw notFound()
    return { kind: 'own', companion: row }
  }
  const [agent] = await dbs.memory
    .select()
    .from(avatarAgents)
    .where(and(eq(avatarAgents.agentId, id), eq(avatarAgents.isActive, true)))
  if (!agent) throw notFound()
  return { kind: 'shared', agent }
}

/** Whether a companion or avatar agent with this id exists at all (any owner, any state). */
export async function companionExists(dbs: CompanionDbs, id: string): Promise<boolean> {
  if (!isCanonicalId(id)) return false
  const [row] = await dbs.nexus
    .select({ id: aiCompanions.id })
    .from(aiCompanions)
    .where(eq(aiCompanions.id, id))
  if (row) return true
  const [agent] = await dbs.memory
    .select({ id: avatarAgents.agentId })
    .from(avatarAgents)
    .where(eq(avatarAgents.agentId, id))
  return agent !== undefined
}

/** One of the caller's own companions (404 for anyone else's, 403 for a shared one). */
export async function ownCompanion(dbs: CompanionDbs, actor: Identity, id: string) {
  const resolved = await resolveCompanion(dbs, actor, id)
  if (resolved.kind === 'shared') {
    throw new ApiError('forbidden', 'shared companions are managed by the operators')
  }
  return resolved.companion
}

/** Refuses a change that would leave the owner with too many companions awake. */
async function assertActiveRoom(tx: Db, ownerId: string, exceptId?: string): Promise<void> {
  const [{ n }] = (
    await tx.execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM ai_companions
      WHERE owner_id = ${ownerId}::uuid AND is_active
        ${exceptId ? sql`AND id <> ${exceptId}::uuid` : sql``}`)
  ).rows
  if (n >= MAX_ACTIVE_COMPANIONS) {
    throw new ApiError(
      'conflict',
      `at most ${MAX_ACTIVE_COMPANIONS} of your companions can be awake at once; put one to rest first`,
      { reason: 'too_many_active', max_active: MAX_ACTIVE_COMPANIONS },
    )
  }
}

/** Creates a companion for the caller (awake unless `is_active: false`). */
export async function createCompanion(
  db: Db,
  input: { actor: Identity; body: CreateCompanionBody },
) {
  const { actor, body } = input
  return db.transaction(async (tx) => {
    await lockUserSocial(tx, 'companions', actor.userId)
    const [{ n }] = (
      await tx.execute<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM ai_companions WHERE owner_id = ${actor.userId}::uuid`,
      )
    ).rows
    if (n >= MAX_COMPANIONS_PER_USER) {
      throw new ApiError('conflict', `you may have at most ${MAX_COMPANIONS_PER_USER} companions`, {
        reason: 'too_many_companions',
        max_companions: MAX_COMPANIONS_PER_USER,
      })
    }
    const isActive = body.is_active ?? true
    if (isActive) await assertActiveRoom(tx, actor.userId)
    const [row] = await tx
      .insert(aiCompanions)
      .values({
        ownerId: actor.userId,
        name: body.name,
        personalityPrompt: body.personality_prompt ?? null,
        ...(body.voice_id !== undefined ? { voiceId: body.voice_id } : {}),
        appearance: body.appearance ?? {},
        behaviorState: body.behavior_state ?? 'following',
        memoryCapacity: body.memory_capacity ?? 1000,
        isActive,
      })
      .returning()
    return row
  })
}

/** Changes the given fields of one of the caller's companions. */
export async function updateCompanion(
  dbs: CompanionDbs,
  input: { actor: Identity; id: string; changes: UpdateCompanionBody },
) {
  const { actor, id, changes: body } = input
  await ownCompanion(dbs, actor, id)
  return dbs.nexus.transaction(async (tx) => {
    await lockUserSocial(tx, 'companions', actor.userId)
    const [current] = await tx
      .select()
      .from(aiCompanions)
      .where(and(eq(aiCompanions.id, id), eq(aiCompanions.ownerId, actor.userId)))
    if (!current) throw notFound()
    if (body.is_active === true && !current.isActive) await assertActiveRoom(tx, actor.userId, id)
    const changes: Partial<typeof aiCompanions.$inferInsert> = {}
    if (body.name !== undefined) changes.name = body.name
    if (body.personality_prompt !== undefined) changes.personalityPrompt = body.personality_prompt
    if (body.voice_id !== undefined) changes.voiceId = body.voice_id
    if (body.appearance !== undefined) changes.appearance = body.appearance
    if (body.behavior_state !== undefined) changes.behaviorState = body.behavior_state
    if (body.memory_capacity !== undefined) changes.memoryCapacity = body.memory_capacity
    if (body.is_active !== undefined) changes.isActive = body.is_active
    const [row] = await tx
      .update(aiCompanions)
      .set(changes)
      .where(eq(aiCompanions.id, id))
      .returning()
    return row
  })
}

/**
 * Deletes one of the caller's companions and its conversations (their messages cascade). Its
 * memories are the memory database's: the route forgets them when asked (`?forget=true`).
 */
export async function deleteCompanion(dbs: CompanionDbs, input: { actor: Identity; id: string }) {
  await ownCompanion(dbs, input.actor, input.id)
  return dbs.nexus.transaction(async (tx) => {
    const { rows } = await tx.execute<{ n: number }>(sql`
      WITH gone AS (DELETE FROM companion_conversations WHERE companion_id = ${input.id}::uuid
                    RETURNING 1)
      SELECT count(*)::int AS n FROM gone`)
    const deleted = await tx
      .delete(aiCompanions)
      .where(and(eq(aiCompanions.id, input.id), eq(aiCompanions.ownerId, input.actor.userId)))
      .returning({ id: aiCompanions.id })
    if (deleted.length === 0) throw notFound()
    return { conversations: Number(rows[0]?.n ?? 0) }
  })
}

/**
 * The caller's companions (newest first), then the shared ones (by name), a page at a time;
 * `kind` keeps one of the two.
 */
export async function listCompanions(
  dbs: CompanionDbs,
  input: {
    actor: Identity
    limit: number
    cursor?: CompanionListCursor
    kind?: 'own' | 'shared'
  },
): Promise<Page<ReturnType<typeof resolvedResource>>> {
  const { actor, limit, cursor, kind } = input
  const items: ReturnType<typeof resolvedResource>[] = []
  let next: CompanionListCursor | null = null

  if (kind !== 'shared' && cursor?.phase !== 'shared') {
    const rows = await dbs.nexus
      .select({ row: aiCompanions, cursorT: cursorTimestamp(aiCompanions.createdAt) })
      .from(aiCompanions)
      .where(
        and(
          eq(aiCompanions.ownerId, actor.userId),
          afterTimestampId(
            aiCompanions.createdAt,
            aiCompanions.id,
            cursor?.phase === 'own' ? cursor : undefined,
            'desc',
          ),
        ),
      )
      .orderBy(desc(aiCompanions.createdAt), desc(aiCompanions.id))
      .limit(limit + 1)
    for (const { row } of rows.slice(0, limit)) items.push(companionResource(row))
    if (rows.length > limit) {
      const last = rows[limit - 1]
      return {
        items,
        next_cursor: encodeCursor({ phase: 'own', t: last.cursorT, id: last.row.id }),
      }
    }
  }
  if (kind !== 'own' && items.length < limit) {
    const after = cursor?.phase === 'shared' ? cursor.name : undefined
    const room = limit - items.length
    const agents = await dbs.memory
      .select()
      .from(avatarAgents)
      .where(
        and(
          eq(avatarAgents.isActive, true),
          after === undefined ? undefined : gt(avatarAgents.agentName, after),
        ),
      )
      .orderBy(asc(avatarAgents.agentName))
      .limit(room + 1)
    for (const agent of agents.slice(0, room)) items.push(sharedCompanionResource(agent))
    if (agents.length > room) next = { phase: 'shared', name: agents[room - 1].agentName }
  } else if (kind !== 'own' && items.length === limit) {
    // The page is full of own companions; the shared ones come next, if there are any.
    const [anyAgent] = await dbs.memory
      .select({ id: avatarAgents.agentId })
      .from(avatarAgents)
      .where(eq(avatarAgents.isActive, true))
      .limit(1)
    if (anyAgent) next = { phase: 'shared', name: '' }
  }
  return { items, next_cursor: next === null ? null : encodeCursor(next) }
}

/** Conversations of the caller with their companions or any companion (for forgetting a user). */
export async function deleteConversationsOfUser(db: Db, userId: string): Promise<number> {
  const { rows } = await db.execute<{ n: number }>(sql`
    WITH gone AS (
      DELETE FROM companion_conversations
      WHERE user_id = ${userId}::uuid
         OR companion_id IN (SELECT id FROM ai_companions WHERE owner_id = ${userId}::uuid)
      RETURNING 1)
    SELECT count(*)::int AS n FROM gone`)
  return Number(rows[0]?.n ?? 0)
}

/** The owner's awake companions, newest first (those that accompany them into live rooms). */
export async function activeCompanionsOf(db: Db, ownerId: string): Promise<AiCompanion[]> {
  return db
    .select()
    .from(aiCompanions)
    .where(and(eq(aiCompanions.ownerId, ownerId), eq(aiCompanions.isActive, true)))
    .orderBy(desc(aiCompanions.createdAt), desc(aiCompanions.id))
    .limit(MAX_ACTIVE_COMPANIONS)
}

/** Marks a companion as just active (a turn). */
export async function touchCompanion(db: Db, id: string): Promise<void> {
  await db.update(aiCompanions).set({ lastActive: new Date() }).where(eq(aiCompanions.id, id))
}
