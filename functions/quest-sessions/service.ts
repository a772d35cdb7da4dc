/**
 * Quest sessions on the Worker's side: who may see and act on a session, and opening one.
 *
 * The live session is its QuestSession object (durable-objects/quest-session): it decides every
 * lifecycle change and claim and writes `quest_instances` at once on each status change. This
 * module only authorizes (from Postgres) and opens sessions.
 *
 * Access rules (one place: `loadSession`):
 * - **see** (GET, connect as a spectator, join): the host and participants, staff, and anyone who
 *   may see the quest (public and not a draft, or their own); everyone else gets 404.
 * - **play**: participants (decided by the session object, which holds the live list).
 * - Opening a session needs an `active` or `featured` quest; a draft can be tried by its creator
 *   (and staff) as an unranked session; an archived quest opens none (409). A host has at most
 *   `MAX_OPEN_SESSIONS_PER_HOST` sessions that have not ended.
 */
import { and, desc, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { instances, questInstances } from '../../db/schema/nexus'
import { DEFAULT_QUEST_MAX_SPEED_MPS } from '../../durable-objects/quest-session/config'
import type { SessionStatus } from '../../durable-objects/quest-session/protocol'
import type { QuestData, QuestRewards } from '../../durable-objects/quest-session/quest-data'
import type {
  SessionActor,
  SessionDefinition,
  SessionType,
  SessionView,
} from '../../durable-objects/quest-session/rpc'
import type { Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp as iso } from '../lib/time'
import { isStaff, loadQuest } from '../quests/service'
import type { SessionGateway } from './session-gateway'

/** Sessions one host may have open (waiting, in progress or paused) at once. */
export const MAX_OPEN_SESSIONS_PER_HOST = 5

/** Statuses of a session that has not ended. */
const OPEN_STATUSES = sql`('waiting', 'in_progress', 'paused')`

/** The caller as a session object sees them (the stored username, not the token's). */
async function actorOf(db: Db, identity: Identity): Promise<SessionActor> {
  const [user] = (
    await db.execute<{ username: string }>(
      sql`SELECT username FROM users WHERE id = ${identity.userId}::uuid`,
    )
  ).rows
  if (!user) throw new ApiError('not_found', 'your account does not exist')
  return { user_id: identity.userId, username: user.username, staff: isStaff(identity) }
}

/**
 * The session row and the caller's relation to it; 404 when they may not see it. Returns the
 * caller as the session object should see them.
 */
export async function loadSession(db: Db, sessionId: string, identity: Identity) {
  const [row] = (
    await db.execute<{
      id: string
      instance_id: string | null
      host_user_id: string | null
      participants: string[]
      creator_id: string | null
      quest_public: boolean | null
      quest_status: string | null
    }>(sql`
      SELECT qi.id, qi.instance_id, qi.host_user_id, to_jsonb(qi.participants) AS participants,
             q.creator_id, q.is_public AS quest_public, q.status AS quest_status
      FROM quest_instances qi LEFT JOIN quests q ON q.id = qi.quest_id
      WHERE qi.id = ${sessionId}::uuid`)
  ).rows
  if (!row) throw new ApiError('not_found', 'no quest session with that id')
  const me = identity.userId
  const plays = row.host_user_id === me || row.participants.includes(me)
  const questVisible =
    (row.quest_public !== false && !['draft', 'hidden'].includes(row.quest_status ?? 'active')) ||
    row.creator_id === me
  if (!plays && !isStaff(identity) && !questVisible) {
    throw new ApiError('not_found', 'no quest session with that id')
  }
  return { session: row, actor: await actorOf(db, identity) }
}

/**
 * Opens a session of a quest with the caller as host: the session object first (with everything
 * it runs on, the quest's answer keys included), then, in one transaction, its holodeck (for a
 * `holodeck` quest) and the `quest_instances` row. A failure after the object was opened leaves
 * an object nobody knows the id of, which abandons itself after 5 minutes.
 */
export async function createSession(
  db: Db,
  gateway: SessionGateway,
  input: { actor: Identity; quest_id: string; session_type: SessionType },
): Promise<SessionView> {
  const { actor: identity, quest_id: questId } = input
  const { quest, access } = await loadQuest(db, questId, identity)
  const status = quest.status ?? 'active'
  if (status === 'archived') throw new ApiError('conflict', 'this quest is archived')
  if (status === 'hidden') throw new ApiError('conflict', 'this quest was hidden by a moderator')
  if (status === 'draft' && !access.canManage) {
    throw new ApiError('not_found', 'no quest with that id')
  }
  const actor = await actorOf(db, identity)
  await assertMayHost(db, identity.userId)

  const sessionId = crypto.randomUUID()
  const data = quest.questData as QuestData
  const holodeck = quest.requiresInstanceType === 'holodeck'
  const instanceId = holodeck ? crypto.randomUUID() : null
  const definition: SessionDefinition = {
    session_id: sessionId,
    quest_id: quest.id,
    quest_title: quest.title,
    quest_version: quest.questVersion ?? 1,
    instance_id: instanceId,
    session_type: input.session_type,
    is_ranked: quest.isRanked !== false && input.session_type !== 'practice' && status !== 'draft',
    host: { user_id: actor.user_id, username: actor.username },
    quest_data: data,
    rewards: (quest.rewards ?? {}) as QuestRewards,
    time_limit_seconds: quest.timeLimitSeconds ?? null,
    min_participants: quest.minParticipants ?? 1,
    max_participants: quest.maxParticipants ?? 1,
  }
  const view = await gateway.open(definition)
  await recordSession(db, {
    definition,
    instance_template: (quest.instanceTemplate ?? null) as InstanceTemplate | null,
  })
  return view
}

/** `quests.instance_template` as a holodeck reads it. */
interface InstanceTemplate {
  bounds?: Record<string, number>
  environment?: Record<string, unknown>
}

/**
 * Writes an opened session to Postgres in one transaction: the host's open-session limit (checked
 * under a lock of the host's user row, so simultaneous openings by one host count one after the
 * other), the holodeck for a session that has one, and the `quest_instances` row.
 */
export async function recordSession(
  db: Db,
  input: { definition: SessionDefinition; instance_template: InstanceTemplate | null },
): Promise<void> {
  const { definition } = input
  const host = definition.host.user_id
  await db.transaction(async (tx) => {
    await assertMayHost(tx, host, { lock: true })
    if (definition.instance_id !== null) {
      const template = input.instance_template ?? {}
      await tx.insert(instances).values({
        id: definition.instance_id,
        type: 'personal',
        instanceSubtype: 'quest_holodeck',
        ownerId: host,
        name: `Holodeck: ${definition.quest_title}`.slice(0, 100),
        description: `The holodeck of quest session ${definition.session_id}`,
        maxVisitors: definition.max_participants,
        isPublic: false,
        questId: definition.quest_id,
        metadata: {
          schema_version: 1,
          environment: template.environment ?? {},
          permissions: { invited_user_ids: [host] },
          custom_properties: {
            ...(template.bounds ? { bounds: template.bounds } : {}),
            max_speed_mps: definition.quest_data.max_speed_mps ?? DEFAULT_QUEST_MAX_SPEED_MPS,
            quest_session_id: definition.session_id,
          },
        },
      })
    }
    await tx.insert(questInstances).values({
      id: definition.session_id,
      questId: definition.quest_id,
      instanceId: definition.instance_id,
      participants: [host],
      hostUserId: host,
      state: { status: 'waiting', quest_version: definition.quest_version },
      sessionType: definition.session_type,
      status: 'waiting',
    })
  })
}

/** Refuses a host who already has `MAX_OPEN_SESSIONS_PER_HOST` open sessions. */
async function assertMayHost(db: Db, userId: string, options: { lock?: boolean } = {}) {
  // The user row is the lock: two simultaneous creations by one host count one after the other.
  if (options.lock) {
    await db.execute(sql`SELECT 1 FROM users WHERE id = ${userId}::uuid FOR UPDATE`)
  }
  const [{ open }] = (
    await db.execute<{ open: number }>(sql`
      SELECT count(*)::int AS open FROM quest_instances
      WHERE host_user_id = ${userId}::uuid AND status IN ${OPEN_STATUSES}`)
  ).rows
  if (open >= MAX_OPEN_SESSIONS_PER_HOST) {
    throw new ApiError(
      'conflict',
      `you already host ${open} open sessions; finish or abandon one first`,
      { open_sessions: open, limit: MAX_OPEN_SESSIONS_PER_HOST },
    )
  }
}

/**
 * Lets a new participant into the session's holodeck (its invitation list), once; a no-op for a
 * session without one. Idempotent, so a repeated join repairs a lost invitation.
 */
export async function inviteToHolodeck(db: Db, instanceId: string, userId: string): Promise<void> {
  await db.execute(sql`
    UPDATE instances SET metadata = jsonb_set(
      jsonb_set(coalesce(metadata, '{}'::jsonb), '{permissions}',
                coalesce(metadata -> 'permissions', '{}'::jsonb)),
      '{permissions,invited_user_ids}',
      coalesce(metadata -> 'permissions' -> 'invited_user_ids', '[]'::jsonb) || to_jsonb(${userId}::text))
    WHERE id = ${instanceId}::uuid
      AND NOT coalesce(metadata -> 'permissions' -> 'invited_user_ids', '[]'::jsonb) ? ${userId}`)
}

/** The caller's sessions (hosted or joined), newest first, from Postgres. */
export async function listMySessions(
  db: Db,
  input: { actor: Identity; status?: string; limit: number; cursor?: TimestampIdCursor },
) {
  const me = input.actor.userId
  const createdAt = sql`coalesce(${questInstances.createdAt}, 'epoch'::timestamptz)`
  const rows = await db
    .select({ session: questInstances, cursorT: cursorTimestamp(createdAt) })
    .from(questInstances)
    .where(
      and(
        sql`(${questInstances.participants} @> ARRAY[${me}::uuid] OR ${questInstances.hostUserId} = ${me}::uuid)`,
        input.status ? sql`${questInstances.status} = ${input.status}` : undefined,
        afterTimestampId(createdAt, questInstances.id, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(createdAt), desc(questInstances.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    ({ session: s }) => ({
      id: s.id,
      quest_id: s.questId,
      instance_id: s.instanceId ?? null,
      host_user_id: s.hostUserId,
      participants: s.participants,
      session_type: s.sessionType ?? 'standard',
      status: s.status as SessionStatus,
      started_at: iso(s.startedAt),
      completed_at: iso(s.completedAt),
      ended_at: iso(s.endedAt),
      total_pause_duration_seconds: s.totalPauseDurationSeconds ?? 0,
      is_abandoned: s.isAbandoned ?? false,
      created_at: iso(s.createdAt),
      last_sync_at: iso(s.lastSyncAt),
    }),
    (r) => ({ t: r.cursorT, id: r.session.id }),
  )
}
