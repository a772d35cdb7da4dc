/**
 * Instances: virtual spaces, who may see and enter them, and their visitors' permissions.
 *
 * Access rules (one place: `accessOf`):
 * - **see** (read the instance, its visitors, presence and chat): public instances; private ones
 *   only for the owner, instance admins (`metadata.permissions.admin_user_ids`), current visitors
 *   (an `instance_visitors` row), invited users (`metadata.permissions.invited_user_ids`) and staff
 *   (platform `admin` or `moderator` role). Everyone else gets 404, so private instances do not
 *   leak their existence.
 * - **join**: public instances; private ones for the owner, instance admins, invited users and
 *   existing visitors. Staff see private instances but need an invitation like anyone (403).
 * - **manage** (PATCH, visitors' permissions, removing visitors): the owner, instance admins and
 *   platform admins; only the owner (or a platform admin) changes `admin_user_ids` or removes an
 *   instance admin. An invitation is not revoked by editing the list alone: an existing visitor
 *   row also admits, so shutting someone out is list edit + visitor removal.
 * - **delete**: the owner or a platform admin.
 * - **invite** (`invitations`): whoever manages the instance, and visitors whose permissions carry
 *   `can_invite`; withdrawing an invitation is for those who manage it.
 *
 * Capacity: `max_visitors` counts visitor rows other than the owner's; the owner and instance
 * admins may always enter. Joins lock the instance row and count after the lock, so two joins
 * cannot both take the last place (test/instances/concurrency.test.ts). Lowering `max_visitors` below the current count removes no one; it only stops new joins.
 */
import { and, asc, desc, eq, sql, type SQL } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { instances, instanceVisitors, users, type Instance } from '../../db/schema/nexus'
import { hasRole, type Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp as iso } from '../lib/time'
import {
  MAX_INVITED_USER_IDS,
  type CreateInstanceBody,
  type InstanceMetadataBody,
  type InvitationBody,
  type UpdateInstanceBody,
  type VisitorPermissions,
  type VisitorPermissionsBody,
} from './schemas'

type Json = Record<string, unknown>

/** Permissions of a new visitor; `can_change_environment` follows the instance's default. */
export function defaultVisitorPermissions(metadata: Json): VisitorPermissions {
  return {
    can_build: false,
    can_chat: true,
    can_change_environment: permissionsOf(metadata).default_can_change_environment === true,
    can_trade: true,
    can_invite: false,
    can_modify_buildings: false,
    can_spawn_items: false,
  }
}

/**
 * Permissions of the owner and instance admins, whatever their row says. Creating items stays
 * with platform admins (seed: "admin-only"), so it is not part of hosting an instance.
 */
export const HOST_PERMISSIONS = {
  can_build: true,
  can_chat: true,
  can_change_environment: true,
  can_trade: true,
  can_invite: true,
  can_modify_buildings: true,
} as const

/** What the caller may do with one instance. */
export interface InstanceAccess {
  isOwner: boolean
  isInstanceAdmin: boolean
  isVisitor: boolean
  isInvited: boolean
  canSee: boolean
  canJoin: boolean
  canManage: boolean
  canDelete: boolean
  /** Only the owner (or a platform admin) may change the admin list. */
  canChangeAdmins: boolean
}

const asObject = (value: unknown): Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {}

const permissionsOf = (metadata: Json) => asObject(metadata.permissions)

const idsIn = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []

/** The caller's rights on `instance`, given whether they have a visitor row. */
export function accessOf(
  instance: Instance,
  identity: Identity,
  isVisitor: boolean,
): InstanceAccess {
  const metadata = asObject(instance.metadata)
  const isOwner = instance.ownerId === identity.userId
  const isInstanceAdmin = idsIn(permissionsOf(metadata).admin_user_ids).includes(identity.userId)
  const isInvited = idsIn(permissionsOf(metadata).invited_user_ids).includes(identity.userId)
  const isPlatformAdmin = hasRole(identity, 'admin')
  const isStaff = hasRole(identity, 'admin', 'moderator')
  const isPublic = instance.isPublic !== false
  const canJoin = isPublic || isOwner || isInstanceAdmin || isInvited || isVisitor
  return {
    isOwner,
    isInstanceAdmin,
    isVisitor,
    isInvited,
    canSee: canJoin || isStaff,
    canJoin,
    canManage: isOwner || isInstanceAdmin || isPlatformAdmin,
    canDelete: isOwner || isPlatformAdmin,
    canChangeAdmins: isOwner || isPlatformAdmin,
  }
}

/** Visitors counted against `max_visitors`: every row but the owner's. */
const visitorCountSql = sql<number>`(SELECT count(*)::int FROM instance_visitors v
  WHERE v.instance_id = ${instances.id} AND v.user_id IS DISTINCT FROM ${instances.ownerId})`

/** Metadata as the caller may read it: the invitation list is for those who manage it. */
export function readableMetadata(metadata: unknown, canManage: boolean): Json {
  const copy = { ...asObject(metadata) }
  if (!canManage && copy.permissions) {
    const { invited_user_ids: _hidden, ...rest } = asObject(copy.permissions)
    copy.permissions = rest
  }
  return copy
}

/** The API representation of an instance. */
export function instanceResource(row: Instance, visitorCount: number, canManage: boolean) {
  return {
    id: row.id,
    type: row.type as 'personal' | 'communal',
    instance_subtype: row.instanceSubtype ?? null,
    owner_id: row.ownerId ?? null,
    name: row.name,
    description: row.description ?? null,
    max_visitors: row.maxVisitors ?? 10,
    is_public: row.isPublic !== false,
    quest_id: row.questId ?? null,
    created_at: iso(row.createdAt),
    metadata: readableMetadata(row.metadata, canManage),
    visitor_count: visitorCount,
  }
}

/** One instance with the caller's visitor row and rights; `lock` takes the row lock (tx only). */
export async function loadInstance(
  db: Db,
  instanceId: string,
  identity: Identity,
  options: { lock?: boolean } = {},
) {
  const query = db.select().from(instances).where(eq(instances.id, instanceId))
  const [instance] = options.lock ? await query.for('update') : await query
  if (!instance) throw new ApiError('not_found', 'no instance with that id')
  // Counted in a statement of its own, after the lock: under READ COMMITTED a new statement sees
  // the joins committed while this one waited, whereas a count inside the locking SELECT would use
  // the snapshot taken before the wait and let every racing join through.
  const [{ visitorCount }] = await db
    .select({ visitorCount: sql<number>`count(*)::int` })
    .from(instanceVisitors)
    .where(
      and(
        eq(instanceVisitors.instanceId, instanceId),
        sql`${instanceVisitors.userId} IS DISTINCT FROM ${instance.ownerId}::uuid`,
      ),
    )
  const [visitor] = await db
    .select()
    .from(instanceVisitors)
    .where(
      and(
        eq(instanceVisitors.instanceId, instanceId),
        eq(instanceVisitors.userId, identity.userId),
      ),
    )
  const access = accessOf(instance, identity, visitor !== undefined)
  if (!access.canSee) throw new ApiError('not_found', 'no instance with that id')
  return { instance, visitorCount, visitor, access }
}

/** The stored metadata after applying `changes`: sections merge key by key, except `custom_properties`, which is replaced. */
function mergeMetadata(current: Json, changes: InstanceMetadataBody, changedBy: string): Json {
  const next: Json = { ...current, schema_version: 1 }
  if (changes.environment) {
    next.environment = {
      ...asObject(current.environment),
      ...changes.environment,
      last_changed_by: changedBy,
      last_changed_at: Date.now(),
    }
  }
  if (changes.permissions) {
    next.permissions = { ...asObject(current.permissions), ...changes.permissions }
  }
  if (changes.custom_properties) next.custom_properties = changes.custom_properties
  return next
}

/** Creates an instance owned by the caller. */
export async function createInstance(db: Db, input: { actor: Identity } & CreateInstanceBody) {
  const { actor: identity, ...body } = input
  const metadata = mergeMetadata(
    { schema_version: 1, environment: {}, permissions: {}, custom_properties: {} },
    body.metadata ?? {},
    identity.userId,
  )
  const [row] = await db
    .insert(instances)
    .values({
      type: body.type,
      ownerId: identity.userId,
      name: body.name,
      description: body.description ?? null,
      maxVisitors: body.max_visitors,
      isPublic: body.is_public,
      metadata,
    })
    .returning()
  return instanceResource(row, 0, true)
}

/** One instance the caller may see. */
export async function getInstance(db: Db, input: { actor: Identity; instance_id: string }) {
  const { actor: identity, instance_id: instanceId } = input
  const { instance, visitorCount, access } = await loadInstance(db, instanceId, identity)
  return instanceResource(instance, visitorCount, access.canManage)
}

/** Instances the caller may see, newest first, a page at a time. */
export async function listInstances(
  db: Db,
  input: {
    actor: Identity
    type?: 'personal' | 'communal'
    owner?: string
    public?: boolean
    limit: number
    cursor?: TimestampIdCursor
  },
) {
  const { actor: identity, ...query } = input
  const me = identity.userId
  const staff = hasRole(identity, 'admin', 'moderator')
  const ownerId = query.owner === 'me' ? me : query.owner
  const createdAt = sql`coalesce(${instances.createdAt}, 'epoch'::timestamptz)`
  const visible: SQL | undefined = staff
    ? undefined
    : sql`(${instances.isPublic} IS NOT FALSE
        OR ${instances.ownerId} = ${me}::uuid
        OR EXISTS (SELECT 1 FROM instance_visitors v WHERE v.instance_id = ${instances.id} AND v.user_id = ${me}::uuid)
        OR ${instances.metadata} -> 'permissions' -> 'admin_user_ids' @> jsonb_build_array(${me}::text)
        OR ${instances.metadata} -> 'permissions' -> 'invited_user_ids' @> jsonb_build_array(${me}::text))`
  const rows = await db
    .select({
      instance: instances,
      visitorCount: visitorCountSql,
      cursorT: cursorTimestamp(createdAt),
    })
    .from(instances)
    .where(
      and(
        visible,
        query.type ? eq(instances.type, query.type) : undefined,
        ownerId ? eq(instances.ownerId, ownerId) : undefined,
        query.public === undefined
          ? undefined
          : query.public
            ? sql`${instances.isPublic} IS NOT FALSE`
            : sql`${instances.isPublic} IS FALSE`,
        afterTimestampId(createdAt, instances.id, query.cursor, 'desc'),
      ),
    )
    .orderBy(desc(createdAt), desc(instances.id))
    .limit(query.limit + 1)
  return pageOf(
    rows,
    query.limit,
    (r) =>
      instanceResource(
        r.instance,
        r.visitorCount,
        staff || accessOf(r.instance, identity, false).canManage,
      ),
    (r) => ({ t: r.cursorT, id: r.instance.id }),
  )
}

/** Applies an update by the owner or an admin. */
export async function updateInstance(
  db: Db,
  input: { actor: Identity; instance_id: string; changes: UpdateInstanceBody },
) {
  const { actor: identity, instance_id: instanceId, changes: body } = input
  return db.transaction(async (tx) => {
    const { instance, visitorCount, access } = await loadInstance(tx, instanceId, identity, {
      lock: true,
    })
    if (!access.canManage) {
      throw new ApiError('forbidden', 'only the owner or an admin of this instance may change it')
    }
    if (body.metadata?.permissions?.admin_user_ids !== undefined && !access.canChangeAdmins) {
      throw new ApiError('forbidden', 'only the owner may change the admins of this instance')
    }
    const set: Partial<typeof instances.$inferInsert> = {}
    if (body.name !== undefined) set.name = body.name
    if (body.description !== undefined) set.description = body.description
    if (body.max_visitors !== undefined) set.maxVisitors = body.max_visitors
    if (body.is_public !== undefined) set.isPublic = body.is_public
    if (body.metadata) {
      set.metadata = mergeMetadata(asObject(instance.metadata), body.metadata, identity.userId)
    }
    const [row] = await tx
      .update(instances)
      .set(set)
      .where(eq(instances.id, instanceId))
      .returning()
    return instanceResource(row, visitorCount, true)
  })
}

/**
 * Deletes an instance (owner or platform admin). Visitor rows and monitoring sessions go with it;
 * chat history, asset usage and user states keep their rows with `instance_id` cleared. An
 * instance that still holds buildings or quest sessions is refused (409): those are players'
 * property and progress, and removing them silently would be worse than asking.
 */
export async function deleteInstance(db: Db, input: { actor: Identity; instance_id: string }) {
  const { actor: identity, instance_id: instanceId } = input
  return db.transaction(async (tx) => {
    const { access } = await loadInstance(tx, instanceId, identity, { lock: true })
    if (!access.canDelete)
      throw new ApiError('forbidden', 'only the owner may delete this instance')
    const [dependents] = (
      await tx.execute<{ buildings: number; quest_instances: number }>(sql`
        SELECT (SELECT count(*)::int FROM buildings WHERE instance_id = ${instanceId}::uuid) AS buildings,
               (SELECT count(*)::int FROM quest_instances WHERE instance_id = ${instanceId}::uuid) AS quest_instances`)
    ).rows
    if (dependents.buildings > 0 || dependents.quest_instances > 0) {
      throw new ApiError(
        'conflict',
        'this instance still holds buildings or quest sessions; remove them first',
        dependents,
      )
    }
    await tx.execute(sql`DELETE FROM instance_visitors WHERE instance_id = ${instanceId}::uuid`)
    await tx.execute(sql`DELETE FROM active_sessions WHERE instance_id = ${instanceId}::uuid`)
    await tx.execute(
      sql`UPDATE chat_messages SET instance_id = NULL WHERE instance_id = ${instanceId}::uuid`,
    )
    await tx.execute(
      sql`UPDATE asset_usage SET instance_id = NULL WHERE instance_id = ${instanceId}::uuid`,
    )
    await tx.execute(
      sql`UPDATE user_states SET instance_id = NULL WHERE instance_id = ${instanceId}::uuid`,
    )
    await tx.delete(instances).where(eq(instances.id, instanceId))
  })
}

/** The permissions that apply to a visitor: hosts get `HOST_PERMISSIONS` over their row. */
export function effectivePermissions(
  stored: unknown,
  metadata: unknown,
  access: Pick<InstanceAccess, 'isOwner' | 'isInstanceAdmin'>,
): VisitorPermissions {
  const merged = { ...defaultVisitorPermissions(asObject(metadata)), ...asObject(stored) }
  return (
    access.isOwner || access.isInstanceAdmin ? { ...merged, ...HOST_PERMISSIONS } : merged
  ) as VisitorPermissions
}

/**
 * Enters an instance: creates the caller's visitor row with default permissions, or returns the
 * existing one. 404 when the caller may not see it, 403 when they may see but not enter it,
 * 409 `capacity_reached` when it is full.
 */
export async function joinInstance(
  db: Db,
  input: {
    actor: Identity
    instance_id: string
    /** Joining to connect to the live room: stamps `last_connected_at` (decision 86). */
    connecting?: boolean
  },
) {
  const { actor: identity, instance_id: instanceId } = input
  return db.transaction(async (tx) => {
    const { instance, visitorCount, visitor, access } = await loadInstance(
      tx,
      instanceId,
      identity,
      {
        lock: true,
      },
    )
    if (!access.canJoin) {
      throw new ApiError('forbidden', 'this instance is private; you need an invitation to enter')
    }
    // The stored username, not the token's: it is the canonical one and safe for a header.
    const [user] = await tx
      .select({ username: users.username })
      .from(users)
      .where(eq(users.id, identity.userId))
    if (!user) throw new ApiError('not_found', 'your account does not exist')
    const result = (row: { joinedAt: Date | null; permissions: unknown }, created: boolean) => ({
      created,
      instance,
      access,
      username: user.username,
      visitor: {
        instance_id: instanceId,
        user_id: identity.userId,
        joined_at: iso(row.joinedAt),
        is_owner: access.isOwner,
        permissions: effectivePermissions(row.permissions, instance.metadata, access),
      },
    })
    if (visitor) {
      if (input.connecting) await stampConnection(tx, instanceId, identity.userId)
      return result(visitor, false)
    }

    const maxVisitors = instance.maxVisitors ?? 10
    if (!access.isOwner && !access.isInstanceAdmin && visitorCount >= maxVisitors) {
      throw new ApiError('capacity_reached', 'this instance is full', {
        max_visitors: maxVisitors,
        visitor_count: visitorCount,
      })
    }
    const permissions = defaultVisitorPermissions(asObject(instance.metadata))
    const inserted = await tx.execute<{ joined_at: Date | string | null }>(sql`
      INSERT INTO instance_visitors (instance_id, user_id, permissions, last_connected_at)
      SELECT ${instanceId}::uuid, id, ${JSON.stringify(permissions)}::jsonb,
             ${input.connecting ? sql`now()` : sql`NULL`}
      FROM users WHERE id = ${identity.userId}::uuid
      RETURNING joined_at`)
    const [row] = inserted.rows
    if (!row) throw new ApiError('not_found', 'your account does not exist')
    const joinedAt = row.joined_at === null ? null : new Date(row.joined_at)
    return result({ joinedAt, permissions }, true)
  })
}

function stampConnection(tx: Db, instanceId: string, userId: string) {
  return tx
    .update(instanceVisitors)
    .set({ lastConnectedAt: sql`now()` })
    .where(and(eq(instanceVisitors.instanceId, instanceId), eq(instanceVisitors.userId, userId)))
}

/** How many live rooms a player-directed notice goes to (decision 86). */
export const LIVE_ROOMS_PER_PLAYER = 8

/**
 * The instances whose live rooms `userId` connected to most recently (newest first, at most
 * `LIVE_ROOMS_PER_PLAYER`): where a notice for that one player is sent. A superset of the rooms
 * they are connected to now, up to that many: the stamp is written before the Worker answers the
 * upgrade, and leaving or being removed deletes it; a room they already left drops the notice.
 */
export async function liveRoomsOf(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .select({ instanceId: instanceVisitors.instanceId })
    .from(instanceVisitors)
    .where(
      and(
        eq(instanceVisitors.userId, userId),
        sql`${instanceVisitors.lastConnectedAt} IS NOT NULL`,
      ),
    )
    .orderBy(sql`${instanceVisitors.lastConnectedAt} DESC`)
    .limit(LIVE_ROOMS_PER_PLAYER)
  return rows.map((row) => row.instanceId)
}

/** Leaves an instance: the caller's visitor row (and the permissions on it) is removed. */
export async function leaveInstance(db: Db, input: { actor: Identity; instance_id: string }) {
  const { actor: identity, instance_id: instanceId } = input
  const deleted = await db
    .delete(instanceVisitors)
    .where(
      and(
        eq(instanceVisitors.instanceId, instanceId),
        eq(instanceVisitors.userId, identity.userId),
      ),
    )
    .returning({ userId: instanceVisitors.userId })
  if (deleted.length === 0) throw new ApiError('not_found', 'you are not in that instance')
}

/**
 * Removes another user's visitor row (owner, instance admins, platform admins). The owner cannot
 * be removed, and only the owner removes an instance admin. Together with taking the user off
 * `invited_user_ids`, this is how a private instance's host shuts someone out.
 */
export async function removeVisitor(
  db: Db,
  input: { actor: Identity; instance_id: string; user_id: string },
) {
  const { actor: identity, instance_id: instanceId, user_id: targetUserId } = input
  const { instance, access } = await loadInstance(db, instanceId, identity)
  if (!access.canManage) {
    throw new ApiError(
      'forbidden',
      'only the owner or an admin of this instance may remove visitors',
    )
  }
  if (targetUserId === instance.ownerId) {
    throw new ApiError('forbidden', 'the owner of an instance cannot be removed from it')
  }
  const adminIds = idsIn(permissionsOf(asObject(instance.metadata)).admin_user_ids)
  if (adminIds.includes(targetUserId) && !access.canChangeAdmins) {
    throw new ApiError('forbidden', 'only the owner may remove an admin of this instance')
  }
  const deleted = await db
    .delete(instanceVisitors)
    .where(
      and(eq(instanceVisitors.instanceId, instanceId), eq(instanceVisitors.userId, targetUserId)),
    )
    .returning({ userId: instanceVisitors.userId })
  if (deleted.length === 0) {
    throw new ApiError('not_found', 'that user is not a visitor of this instance')
  }
}

/** The visitors of an instance the caller may see, earliest first, a page at a time. */
export async function listVisitors(
  db: Db,
  input: { actor: Identity; instance_id: string; limit: number; cursor?: TimestampIdCursor },
) {
  const { actor: identity, instance_id: instanceId } = input
  const { instance } = await loadInstance(db, instanceId, identity)
  const metadata = asObject(instance.metadata)
  const adminIds = idsIn(permissionsOf(metadata).admin_user_ids)
  const joinedAt = sql`coalesce(${instanceVisitors.joinedAt}, 'epoch'::timestamptz)`
  const rows = await db
    .select({
      visitor: instanceVisitors,
      username: users.username,
      displayName: users.displayName,
      cursorT: cursorTimestamp(joinedAt),
    })
    .from(instanceVisitors)
    .innerJoin(users, eq(users.id, instanceVisitors.userId))
    .where(
      and(
        eq(instanceVisitors.instanceId, instanceId),
        afterTimestampId(joinedAt, instanceVisitors.userId, input.cursor, 'asc'),
      ),
    )
    .orderBy(asc(joinedAt), asc(instanceVisitors.userId))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    (r) => {
      const isOwner = r.visitor.userId === instance.ownerId
      return {
        instance_id: instanceId,
        user_id: r.visitor.userId,
        username: r.username,
        display_name: r.displayName ?? null,
        joined_at: iso(r.visitor.joinedAt),
        is_owner: isOwner,
        permissions: effectivePermissions(r.visitor.permissions, metadata, {
          isOwner,
          isInstanceAdmin: adminIds.includes(r.visitor.userId),
        }),
      }
    },
    (r) => ({ t: r.cursorT, id: r.visitor.userId }),
  )
}

/**
 * Changes one visitor's permissions (owner, instance admins, platform admins). The flags given
 * replace the stored ones; `can_spawn_items` may only be granted by a platform admin.
 */
export async function setVisitorPermissions(
  db: Db,
  input: {
    actor: Identity
    instance_id: string
    user_id: string
    changes: VisitorPermissionsBody
  },
) {
  const { actor: identity, instance_id: instanceId, user_id: targetUserId, changes } = input
  const { instance, access } = await loadInstance(db, instanceId, identity)
  if (!access.canManage) {
    throw new ApiError(
      'forbidden',
      "only the owner or an admin of this instance may change visitors' permissions",
    )
  }
  if (changes.can_spawn_items === true && !hasRole(identity, 'admin')) {
    throw new ApiError('forbidden', 'only a platform admin may let a visitor create items')
  }
  const [row] = await db
    .update(instanceVisitors)
    .set({
      permissions: sql`${JSON.stringify(defaultVisitorPermissions(asObject(instance.metadata)))}::jsonb || coalesce(${instanceVisitors.permissions}, '{}'::jsonb) || ${JSON.stringify(changes)}::jsonb`,
    })
    .where(
      and(eq(instanceVisitors.instanceId, instanceId), eq(instanceVisitors.userId, targetUserId)),
    )
    .returning()
  if (!row) throw new ApiError('not_found', 'that user is not a visitor of this instance')
  const [user] = await db
    .select({ username: users.username, displayName: users.displayName })
    .from(users)
    .where(eq(users.id, targetUserId))
  const metadata = asObject(instance.metadata)
  const isOwner = targetUserId === instance.ownerId
  return {
    instance_id: instanceId,
    user_id: targetUserId,
    username: user?.username ?? '',
    display_name: user?.displayName ?? null,
    joined_at: iso(row.joinedAt),
    is_owner: isOwner,
    permissions: effectivePermissions(row.permissions, metadata, {
      isOwner,
      isInstanceAdmin: idsIn(permissionsOf(metadata).admin_user_ids).includes(targetUserId),
    }),
  }
}

/**
 * Adds a user to `metadata.permissions.invited_user_ids` (201), or confirms they already are on it
 * (200). The instance row is locked, so concurrent invitations never lose one another.
 */
export async function inviteUser(
  db: Db,
  input: { actor: Identity; instance_id: string; user_id: string },
) {
  const { actor: identity, instance_id: instanceId } = input
  const body = { user_id: input.user_id }
  return db.transaction(async (tx) => {
    const { instance, visitor, access } = await loadInstance(tx, instanceId, identity, {
      lock: true,
    })
    const metadata = asObject(instance.metadata)
    const mayInvite =
      access.canManage ||
      (access.isVisitor &&
        effectivePermissions(visitor?.permissions, metadata, access).can_invite === true)
    if (!mayInvite) {
      throw new ApiError('forbidden', 'you may not invite people to this instance (can_invite)')
    }
    const [invitee] = await tx
      .select({ username: users.username })
      .from(users)
      .where(eq(users.id, body.user_id))
    if (!invitee) throw new ApiError('not_found', 'no user with that id')
    const invited = idsIn(permissionsOf(metadata).invited_user_ids)
    const resource = {
      instance_id: instanceId,
      user_id: body.user_id,
      username: invitee.username,
      invited: true as const,
    }
    if (invited.includes(body.user_id)) return { created: false, invitation: resource }
    if (invited.length >= MAX_INVITED_USER_IDS) {
      throw new ApiError(
        'conflict',
        `this instance already has ${MAX_INVITED_USER_IDS} invitations; withdraw some first`,
      )
    }
    await writeInvitedUserIds(tx, instanceId, metadata, [...invited, body.user_id])
    return { created: true, invitation: resource }
  })
}

/** Takes a user off the invitation list (owner, instance admins, platform admins). */
export async function withdrawInvitation(
  db: Db,
  input: { actor: Identity; instance_id: string; user_id: string },
) {
  const { actor: identity, instance_id: instanceId, user_id: targetUserId } = input
  return db.transaction(async (tx) => {
    const { instance, access } = await loadInstance(tx, instanceId, identity, { lock: true })
    if (!access.canManage) {
      throw new ApiError(
        'forbidden',
        'only the owner or an admin of this instance may withdraw invitations',
      )
    }
    const metadata = asObject(instance.metadata)
    const invited = idsIn(permissionsOf(metadata).invited_user_ids)
    if (!invited.includes(targetUserId)) {
      throw new ApiError('not_found', 'that user is not invited to this instance')
    }
    await writeInvitedUserIds(
      tx,
      instanceId,
      metadata,
      invited.filter((id) => id !== targetUserId),
    )
  })
}

async function writeInvitedUserIds(
  tx: Tx,
  instanceId: string,
  metadata: Json,
  invitedUserIds: string[],
) {
  const next = {
    ...metadata,
    permissions: { ...permissionsOf(metadata), invited_user_ids: invitedUserIds },
  }
  await tx.update(instances).set({ metadata: next }).where(eq(instances.id, instanceId))
}
