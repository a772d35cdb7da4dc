/**
 * Who may touch whose memories: a player only their own; a `service` token acts for any user it
 * names (writes, reads, searches); `admin` reads and deletes any user's. Another user's memory is a
 * 404, never a 403, so ids are not disclosed.
 */
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
