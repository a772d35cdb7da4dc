/**
 * Avatar agents: the look, voice and personality of AI agents, managed by admins and services.
 * Names are unique (`avatar_agents_agent_name_unique`); a clash is a 409 `conflict`.
 */
import { and, asc, eq, gt, type SQL } from 'drizzle-orm'
import type { MemoryDb as Db } from '../../../db/client'
import { avatarAgents, type AvatarAgent } from '../../../db/schema/memory'
import type { Identity } from '../../lib/auth'
import { ApiError } from '../../lib/errors'
import { pageOf } from '../../lib/pagination'
import { isUniqueViolation } from '../../lib/pg-errors'
import { isoTimestamp } from '../../lib/time'
import type { CreateAgentBody, UpdateAgentBody } from './schemas'

/** The API form of an agent row. */
export function agentView(row: AvatarAgent) {
  return {
    agent_id: row.agentId,
    agent_name: row.agentName,
    avatar_url: row.avatarUrl ?? null,
    voice_id: row.voiceId ?? null,
    personality_prompt: row.personalityPrompt ?? null,
    // The column allows NULL; the seed's default is TRUE.
    is_active: row.isActive ?? true,
    created_at: isoTimestamp(row.createdAt),
  }
}

function nameTaken(name: string | undefined): ApiError {
  return new ApiError('conflict', 'an agent with that name already exists', {
    agent_name: name,
  })
}

/**
 * Agents by name, a page at a time, optionally only active or inactive ones. The callers are
 * admins and services (the router's roles); `actor` is there for the service contract.
 */
export async function listAgents(
  db: Db,
  page: { actor: Identity; limit: number; cursor?: { name: string }; is_active?: boolean },
) {
  const filters: (SQL | undefined)[] = [
    page.cursor ? gt(avatarAgents.agentName, page.cursor.name) : undefined,
    page.is_active === undefined ? undefined : eq(avatarAgents.isActive, page.is_active),
  ]
  const rows = await db
    .select()
    .from(avatarAgents)
    .where(and(...filters))
    .orderBy(asc(avatarAgents.agentName))
    .limit(page.limit + 1)
  return pageOf(rows, page.limit, agentView, (r) => ({ name: r.agentName }))
}

/** One agent; 404 when unknown. */
export async function getAgent(db: Db, input: { actor: Identity; agent_id: string }) {
  const [row] = await db
    .select()
    .from(avatarAgents)
    .where(eq(avatarAgents.agentId, input.agent_id))
  if (!row) throw new ApiError('not_found', 'no avatar agent with that id')
  return agentView(row)
}

/** Creates an agent; 409 when the name is taken. */
export async function createAgent(db: Db, input: { actor: Identity } & CreateAgentBody) {
  const { actor: _actor, ...body } = input
  try {
    const [row] = await db
      .insert(avatarAgents)
      .values({
        agentName: body.agent_name,
        avatarUrl: body.avatar_url ?? null,
        voiceId: body.voice_id ?? null,
        personalityPrompt: body.personality_prompt ?? null,
        isActive: body.is_active ?? true,
      })
      .returning()
    return agentView(row)
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(body.agent_name)
    throw error
  }
}

/** Changes the given fields of an agent; 404 when unknown, 409 when the new name is taken. */
export async function updateAgent(
  db: Db,
  input: { actor: Identity; agent_id: string; changes: UpdateAgentBody },
) {
  const { agent_id: agentId, changes: body } = input
  const changes: Partial<typeof avatarAgents.$inferInsert> = {}
  if (body.agent_name !== undefined) changes.agentName = body.agent_name
  if (body.avatar_url !== undefined) changes.avatarUrl = body.avatar_url
  if (body.voice_id !== undefined) changes.voiceId = body.voice_id
  if (body.personality_prompt !== undefined) changes.personalityPrompt = body.personality_prompt
  if (body.is_active !== undefined) changes.isActive = body.is_active
  try {
    const [row] = await db
      .update(avatarAgents)
      .set(changes)
      .where(eq(avatarAgents.agentId, agentId))
      .returning()
    if (!row) throw new ApiError('not_found', 'no avatar agent with that id')
    return agentView(row)
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(body.agent_name)
    throw error
  }
}

/** Deletes an agent (nothing references agents); 404 when unknown. */
export async function deleteAgent(
  db: Db,
  input: { actor: Identity; agent_id: string },
): Promise<void> {
  const agentId = input.agent_id
  const deleted = await db
    .delete(avatarAgents)
    .where(eq(avatarAgents.agentId, agentId))
    .returning({ id: avatarAgents.agentId })
  if (deleted.length === 0) throw new ApiError('not_found', 'no avatar agent with that id')
}
