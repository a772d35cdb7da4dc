/**
 * Quests: definitions, their lifecycle, and the objects linked to them.
 *
 * Access rules (one place: `accessOf`):
 * - **see**: a public quest that is not a draft (active, featured, archived) is visible to everyone;
 *   drafts and private quests only to their creator and staff (moderators, admins). Anyone else
 *   gets 404, so they do not leak their existence.
 * - **manage** (PATCH, DELETE, quest objects): the creator and staff.
 * - **feature**: moderators and admins only (`active ⇄ featured`); the creator may archive a
 *   featured quest.
 * - Quiz answer keys in `quest_data` are shown to those who manage the quest; everyone else sees
 *   the quest without them (sessions never send them to clients either).
 *
 * Lifecycle: `draft → active → featured/archived` (see `STATUS_CHANGES`). A quest with sessions or
 * completions is not deleted (409; archive it): its completions are players' history. A change of
 * what a session runs on (objectives, rewards, time limit, participants, instance) bumps
 * `quest_version`; running sessions keep the definition they were opened with.
 */
import { and, asc, desc, eq, sql, type SQL } from 'drizzle-orm'
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core'
import type { Db } from '../../db/client'
import { questObjectRelationships, quests, type NewQuest, type Quest } from '../../db/schema/nexus'
import {
  publicQuestData,
  type QuestData,
  type QuestRewards,
} from '../../durable-objects/quest-session/quest-data'
import { hasRole, type Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp as iso } from '../lib/time'
import type {
  AddQuestObjectBody,
  CreateQuestBody,
  ListQuestsQuery,
  QuestStatus,
  UpdateQuestBody,
} from './schemas'

/** What the caller may do with one quest. */
export interface QuestAccess {
  canSee: boolean
  canManage: boolean
  isStaff: boolean
}

/** Staff: moderators and admins. */
export const isStaff = (identity: Identity): boolean => hasRole(identity, 'moderator', 'admin')

/** The caller's rights on `quest`. */
export function accessOf(quest: Quest, identity: Identity): QuestAccess {
  const staff = isStaff(identity)
  const isCreator = quest.creatorId === identity.userId
  const listed = quest.isPublic !== false && quest.status !== 'draft' && quest.status !== 'hidden'
  return { canSee: listed || isCreator || staff, canManage: isCreator || staff, isStaff: staff }
}

/** Status changes the API allows; those touching `featured` are for staff only. */
const STATUS_CHANGES: Record<QuestStatus, readonly QuestStatus[]> = {
  draft: ['active', 'archived'],
  active: ['featured', 'archived'],
  featured: ['active', 'archived'],
  archived: ['active'],
  // Only moderation lifts it (the moderation queue's unhide action).
  hidden: [],
}

/** Fields a running session depends on: changing one bumps `quest_version`. */
const VERSIONED_FIELDS = [
  'quest_data',
  'rewards',
  'time_limit_seconds',
  'min_participants',
  'max_participants',
  'requires_instance_type',
  'instance_template',
] as const

/** The quest's API fields and the columns holding them (`status` has rules of its own). */
const COLUMN_OF = {
  title: 'title',
  description: 'description',
  challenge_type: 'challengeType',
  category: 'category',
  tags: 'tags',
  quest_data: 'questData',
  difficulty_rating: 'difficultyRating',
  complexity_level: 'complexityLevel',
  estimated_duration_minutes: 'estimatedDurationMinutes',
  time_limit_seconds: 'timeLimitSeconds',
  min_participants: 'minParticipants',
  max_participants: 'maxParticipants',
  supports_coop: 'supportsCoop',
  rewards: 'rewards',
  requires_instance_type: 'requiresInstanceType',
  instance_template: 'instanceTemplate',
  is_ranked: 'isRanked',
  is_public: 'isPublic',
  media_assets: 'mediaAssets',
  learning_objectives: 'learningObjectives',
  subject_area: 'subjectArea',
  metadata: 'metadata',
} as const satisfies Record<string, keyof NewQuest>

/** The columns of the API fields given (undefined ones left out). */
function columnsOf(fields: Partial<Record<keyof typeof COLUMN_OF, unknown>>): Partial<NewQuest> {
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([field, value]) => value !== undefined && Object.hasOwn(COLUMN_OF, field))
      .map(([field, value]) => [COLUMN_OF[field as keyof typeof COLUMN_OF], value]),
  )
}

const asObject = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}

/** The API representation of a quest; answer keys only for those who manage it. */
export function questResource(row: Quest, canManage: boolean) {
  const data = row.questData as QuestData
  return {
    id: row.id,
    title: row.title,
    description: row.description ?? null,
    creator_id: row.creatorId ?? null,
    creator_type: row.creatorType ?? 'user',
    challenge_type: row.challengeType,
    category: row.category ?? null,
    tags: row.tags ?? [],
    quest_data: canManage ? asObject(data) : asObject(publicQuestData(data)),
    difficulty_rating: row.difficultyRating ?? null,
    complexity_level: row.complexityLevel ?? null,
    estimated_duration_minutes: row.estimatedDurationMinutes ?? null,
    time_limit_seconds: row.timeLimitSeconds ?? null,
    min_participants: row.minParticipants ?? 1,
    max_participants: row.maxParticipants ?? 1,
    supports_coop: row.supportsCoop ?? false,
    rewards: asObject(row.rewards),
    requires_instance_type: row.requiresInstanceType ?? 'any',
    instance_template: row.instanceTemplate === null ? null : asObject(row.instanceTemplate),
    quest_version: row.questVersion ?? 1,
    status: (row.status ?? 'active') as QuestStatus,
    is_ranked: row.isRanked !== false,
    is_public: row.isPublic !== false,
    media_assets: asObject(row.mediaAssets),
    learning_objectives: row.learningObjectives ?? null,
    subject_area: row.subjectArea ?? null,
    play_count: row.playCount,
    completion_count: row.completionCount,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    last_played: iso(row.lastPlayed),
    featured_at: iso(row.featuredAt),
    metadata: asObject(row.metadata),
  }
}

/** One quest with the caller's rights; 404 when they may not see it. `lock`: FOR UPDATE (tx). */
export async function loadQuest(
  db: Db,
  questId: string,
  identity: Identity,
  options: { lock?: boolean } = {},
) {
  const query = db.select().from(quests).where(eq(quests.id, questId))
  const [quest] = options.lock ? await query.for('update') : await query
  if (!quest) throw new ApiError('not_found', 'no quest with that id')
  const access = accessOf(quest, identity)
  if (!access.canSee) throw new ApiError('not_found', 'no quest with that id')
  return { quest, access }
}

/** 400 unless every item a quest's rewards name is in the catalogue (a promise it can keep). */
async function assertRewardItemsExist(db: Db, rewards: QuestRewards | undefined): Promise<void> {
  const lines = rewards?.items ?? []
  if (lines.length === 0) return
  const { rows } = await db.execute<{ id: string }>(sql`
    SELECT id::text FROM items
    WHERE id IN (${sql.join(
      lines.map((line) => sql`${line.item_id}::uuid`),
      sql`, `,
    )})`)
  const known = new Set(rows.map((row) => row.id))
  const issues = lines
    .map((line, index) => ({ line, index }))
    .filter(({ line }) => !known.has(line.item_id))
    .map(({ index }) => ({
      path: ['rewards', 'items', index, 'item_id'],
      code: 'custom',
      message: 'no catalogue item with that id',
    }))
  if (issues.length > 0) {
    throw new ApiError('validation_error', 'a reward names an item that does not exist', issues)
  }
}

/** Creates a quest owned by the caller. */
export async function createQuest(db: Db, input: { actor: Identity } & CreateQuestBody) {
  const { actor, ...body } = input
  if (body.creator_type !== 'user' && !hasRole(actor, 'admin', 'service')) {
    throw new ApiError('forbidden', `only admins and services create ${body.creator_type} quests`)
  }
  await assertRewardItemsExist(db, body.rewards as QuestRewards | undefined)
  const [row] = await db
    .insert(quests)
    .values({
      ...columnsOf(body),
      title: body.title,
      challengeType: body.challenge_type,
      questData: body.quest_data,
      rewards: body.rewards,
      creatorId: actor.userId,
      creatorType: body.creator_type,
      supportsCoop: body.supports_coop ?? body.max_participants > 1,
      status: body.status,
    })
    .returning()
  return questResource(row, true)
}

/** One quest the caller may see. */
export async function getQuest(db: Db, input: { actor: Identity; quest_id: string }) {
  const { quest, access } = await loadQuest(db, input.quest_id, input.actor)
  return questResource(quest, access.canManage)
}

/** Quests the caller may see, newest first, filtered, a page at a time. */
export async function listQuests(db: Db, input: { actor: Identity } & ListQuestsQuery) {
  const { actor, ...query } = input
  const staff = isStaff(actor)
  const me = actor.userId
  const creatorId = query.creator === 'me' ? me : query.creator
  const createdAt = sql`coalesce(${quests.createdAt}, 'epoch'::timestamptz)`
  const visible: SQL | undefined = staff
    ? undefined
    : sql`((${quests.isPublic} IS NOT FALSE AND ${quests.status} <> 'draft') OR ${quests.creatorId} = ${me}::uuid)`
  const status: SQL = query.status
    ? sql`${quests.status} = ${query.status}`
    : sql`${quests.status} IN ('active', 'featured')`
  const tags =
    query.tags === undefined
      ? undefined
      : sql`${quests.tags} ${sql.raw(query.tags_match === 'all' ? '@>' : '&&')}
            ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(query.tags)}::jsonb))`
  const text =
    query.q === undefined
      ? undefined
      : sql`to_tsvector('english', ${quests.title} || ' ' || coalesce(${quests.description}, '')) @@ websearch_to_tsquery('english', ${query.q})`
  const rows = await db
    .select({ quest: quests, cursorT: cursorTimestamp(createdAt) })
    .from(quests)
    .where(
      and(
        visible,
        status,
        query.challenge_type ? eq(quests.challengeType, query.challenge_type) : undefined,
        query.category ? eq(quests.category, query.category) : undefined,
        query.difficulty_rating ? eq(quests.difficultyRating, query.difficulty_rating) : undefined,
        creatorId ? eq(quests.creatorId, creatorId) : undefined,
        tags,
        text,
        afterTimestampId(createdAt, quests.id, query.cursor, 'desc'),
      ),
    )
    .orderBy(desc(createdAt), desc(quests.id))
    .limit(query.limit + 1)
  return pageOf(
    rows,
    query.limit,
    (r) => questResource(r.quest, accessOf(r.quest, actor).canManage),
    (r) => ({ t: r.cursorT, id: r.quest.id }),
  )
}

/** Applies a change by the creator or staff (lifecycle rules in `STATUS_CHANGES`). */
export async function updateQuest(
  db: Db,
  input: { actor: Identity; quest_id: string; changes: UpdateQuestBody },
) {
  const { actor, quest_id: questId, changes } = input
  return db.transaction(async (tx) => {
    const { quest, access } = await loadQuest(tx, questId, actor, { lock: true })
    if (!access.canManage) {
      throw new ApiError('forbidden', 'only the creator of this quest or a moderator may change it')
    }
    const min = changes.min_participants ?? quest.minParticipants ?? 1
    const max = changes.max_participants ?? quest.maxParticipants ?? 1
    if (min > max) {
      throw new ApiError('validation_error', 'max_participants must be at least min_participants', [
        { path: ['max_participants'], code: 'custom', message: `must be at least ${min}` },
      ])
    }
    const set: PgUpdateSetSource<typeof quests> = { updatedAt: sql`now()` }
    const from = (quest.status ?? 'active') as QuestStatus
    if (changes.status !== undefined && changes.status !== from) {
      if (!STATUS_CHANGES[from].includes(changes.status)) {
        throw new ApiError('conflict', `a ${from} quest cannot become ${changes.status}`, {
          status: from,
          allowed: STATUS_CHANGES[from],
        })
      }
      // Featuring, and taking a quest off the featured list, are moderation; archiving is not.
      const moderation =
        changes.status === 'featured' || (from === 'featured' && changes.status === 'active')
      if (moderation && !access.isStaff) {
        throw new ApiError('forbidden', 'only moderators feature quests or take them off')
      }
      set.status = changes.status
      if (changes.status === 'featured') set.featuredAt = sql`now()`
    }
    await assertRewardItemsExist(tx, changes.rewards as QuestRewards | undefined)
    Object.assign(set, columnsOf(changes))
    if (VERSIONED_FIELDS.some((field) => changes[field] !== undefined)) {
      set.questVersion = sql`coalesce(${quests.questVersion}, 1) + 1`
    }
    const [row] = await tx.update(quests).set(set).where(eq(quests.id, questId)).returning()
    return questResource(row, true)
  })
}

/** Deletes a quest nobody has played (creator or staff); one with sessions is archived instead. */
export async function deleteQuest(db: Db, input: { actor: Identity; quest_id: string }) {
  const { actor, quest_id: questId } = input
  await db.transaction(async (tx) => {
    const { access } = await loadQuest(tx, questId, actor, { lock: true })
    if (!access.canManage) {
      throw new ApiError('forbidden', 'only the creator of this quest or a moderator may delete it')
    }
    const [played] = (
      await tx.execute<{ sessions: number; completions: number }>(sql`
        SELECT (SELECT count(*)::int FROM quest_instances WHERE quest_id = ${questId}::uuid) AS sessions,
               (SELECT count(*)::int FROM challenge_completions WHERE quest_id = ${questId}::uuid) AS completions`)
    ).rows
    if (played.sessions > 0 || played.completions > 0) {
      throw new ApiError(
        'conflict',
        'this quest has sessions or completions; archive it instead (PATCH status: archived)',
        played,
      )
    }
    await tx.delete(quests).where(eq(quests.id, questId))
  })
}

/** The table holding each kind of quest object, to check that a linked object exists. */
const OBJECT_TABLES: Record<AddQuestObjectBody['object_type'], string> = {
  asset: 'assets',
  building: 'buildings',
  media: 'user_uploaded_media',
  user_item: 'items',
}

function questObjectResource(row: typeof questObjectRelationships.$inferSelect) {
  return {
    quest_id: row.questId,
    object_id: row.objectId,
    object_type: row.objectType as AddQuestObjectBody['object_type'],
    relationship_type: row.relationshipType as AddQuestObjectBody['relationship_type'],
    metadata: asObject(row.metadata),
    created_at: iso(row.createdAt),
  }
}

/** The objects linked to a quest the caller may see, earliest first. */
export async function listQuestObjects(
  db: Db,
  input: { actor: Identity; quest_id: string; limit: number; cursor?: TimestampIdCursor },
) {
  await loadQuest(db, input.quest_id, input.actor)
  const createdAt = sql`coalesce(${questObjectRelationships.createdAt}, 'epoch'::timestamptz)`
  const rows = await db
    .select({ link: questObjectRelationships, cursorT: cursorTimestamp(createdAt) })
    .from(questObjectRelationships)
    .where(
      and(
        eq(questObjectRelationships.questId, input.quest_id),
        afterTimestampId(createdAt, questObjectRelationships.objectId, input.cursor, 'asc'),
      ),
    )
    .orderBy(asc(createdAt), asc(questObjectRelationships.objectId))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    (r) => questObjectResource(r.link),
    (r) => ({ t: r.cursorT, id: r.link.objectId }),
  )
}

/** Links an existing object to a quest (creator or staff): 201, or 200 when already linked. */
export async function addQuestObject(
  db: Db,
  input: { actor: Identity; quest_id: string } & AddQuestObjectBody,
) {
  const { actor, quest_id: questId, ...body } = input
  return db.transaction(async (tx) => {
    const { access } = await loadQuest(tx, questId, actor)
    if (!access.canManage) {
      throw new ApiError('forbidden', "only the quest's creator or a moderator links objects to it")
    }
    const table = sql.raw(OBJECT_TABLES[body.object_type])
    const [exists] = (
      await tx.execute(sql`SELECT 1 FROM ${table} WHERE id = ${body.object_id}::uuid`)
    ).rows
    if (!exists) throw new ApiError('not_found', `no ${body.object_type} with that id`)
    const inserted = await tx
      .insert(questObjectRelationships)
      .values({
        questId,
        objectId: body.object_id,
        objectType: body.object_type,
        relationshipType: body.relationship_type,
        metadata: body.metadata ?? {},
      })
      .onConflictDoNothing()
      .returning()
    if (inserted[0]) return { created: true, object: questObjectResource(inserted[0]) }
    const [existing] = await tx
      .select()
      .from(questObjectRelationships)
      .where(
        and(
          eq(questObjectRelationships.questId, questId),
          eq(questObjectRelationships.objectId, body.object_id),
          eq(questObjectRelationships.relationshipType, body.relationship_type),
        ),
      )
    return { created: false, object: questObjectResource(existing) }
  })
}

/** Removes a link (creator or staff). */
export async function removeQuestObject(
  db: Db,
  input: { actor: Identity; quest_id: string; object_id: string; relationship_type: string },
) {
  const { actor, quest_id: questId } = input
  const { access } = await loadQuest(db, questId, actor)
  if (!access.canManage) {
    throw new ApiError('forbidden', "only the quest's creator or a moderator unlinks its objects")
  }
  const deleted = await db
    .delete(questObjectRelationships)
    .where(
      and(
        eq(questObjectRelationships.questId, questId),
        eq(questObjectRelationships.objectId, input.object_id),
        eq(questObjectRelationships.relationshipType, input.relationship_type),
      ),
    )
    .returning({ objectId: questObjectRelationships.objectId })
  if (deleted.length === 0) throw new ApiError('not_found', 'that object is not linked this way')
}
