/**
 * Who may touch whose memories: a player only their own; a `service` token acts for any user it
 * names (writes, reads, searches); `admin` reads and deletes any user's. Another user's memory is a
 * 404, never a 403, so ids are not disclosed.
 *
 * Which companions (decision 93): a memory's `companion_id` is the id of a companion of nexus
 * (`ai_companions.id`) or of a shared avatar agent (`avatar_agents.agent_id`), as canonical
 * lower-case UUID text. A player may use only their own companions and the active shared agents;
 * an admin any companion or agent that exists; a service any `companion_id` (its own NPCs and
 * deities keep their free-text names, e.g. `deity_artemis`). Anything else is a 404.
 */
import type { Db, MemoryDb } from '../../db/client'
import { companionExists, resolveCompanion } from '../companions/service'
import { hasRole, type Identity, type Role } from '../lib/auth'
import { ApiError } from '../lib/errors'

/** The user the caller acts for: themself, or `requested` when one of `roles` allows it. */
export function actingUser(actor: Identity, requested: string | undefined, roles: Role[]): string {
  if (requested === undefined || requested === actor.userId) return actor.userId
  if (!hasRole(actor, ...roles)) {
    throw new ApiError('forbidden', `acting for another user needs the ${roles.join(' or ')} role`)
  }
  return requested
}

/** `null` (any user) for roles that may touch every user's memories, else the caller. */
export const ownerFilter = (actor: Identity): string | null =>
  hasRole(actor, 'service', 'admin') ? null : actor.userId

/**
 * Refuses (404) a `companion_id` the caller may not use, after refusing (403) acting for another
 * user without one of `roles` (so the role check answers first, as it always has).
 */
export async function assertCompanionAccess(
  dbs: { nexus: Db; memory: MemoryDb },
  input: { actor: Identity; companion_id: string; user_id?: string; roles?: Role[] },
): Promise<void> {
  const { actor, companion_id: companionId } = input
  if (input.roles) actingUser(actor, input.user_id, input.roles)
  if (hasRole(actor, 'service')) return
  if (hasRole(actor, 'admin')) {
    if (!(await companionExists(dbs, companionId))) {
      throw new ApiError('not_found', 'no such companion')
    }
    return
  }
  await resolveCompanion(dbs, actor, companionId)
}
