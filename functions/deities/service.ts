/**
 * Deities, their lock state for a player, and bonds: one active bond per user (the partial unique
 * index of decision 7), switched in one transaction under the user's row lock.
 *
 * Lock state by the deity's `unlock_method`: `rank` (the ring deities: akashic rank at least
 * `min_rank_required`), `akashic_tablets` (Thoth: `users.thoth_unlocked`, set by the 13th tablet),
 * `special_unlock` (Bob: `users.bob_unlocked`, set by his discovery). A hidden deity is listed only
 * to players who discovered or unlocked it; to anyone else it does not exist (404).
 */
import { and, asc, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import {
  deities,
  deityBlessings,
  userDeityBonds,
  type AttributeName,
  type Deity,
  type DeityBlessing,
  type UserDeityBond,
} from '../../db/schema/nexus'
import type { Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import { isoTimestamp } from '../lib/time'

/** Tablets that unlock Thoth. */
export const TABLETS_FOR_THOTH = 13

/** What decides a player's lock states. */
interface PlayerUnlocks {
  rank: number
  bob: boolean
  thoth: boolean
  tablets: number
  discovered: string[]
}

/** The player's unlock state; with `lock`, their users row stays locked until the transaction ends. */
async function playerUnlocks(db: Db, userId: string, lock = false): Promise<PlayerUnlocks> {
  const { rows } = await db.execute<{
    rank: number
    bob: boolean
    thoth: boolean
    tablets: number
    discovered: string[]
  }>(sql`
    SELECT u.akashic_rank AS rank, COALESCE(u.bob_unlocked, FALSE) AS bob,
      COALESCE(u.thoth_unlocked, FALSE) AS thoth,
      COALESCE(cardinality(u.akashic_tablets_collected), 0)::int AS tablets,
      ARRAY(SELECT h.deity_name::text FROM hidden_deity_discoveries h WHERE h.user_id = u.id)
        AS discovered
    FROM users u WHERE u.id = ${userId}::uuid
    ${lock ? sql`FOR NO KEY UPDATE` : sql``}`)
  if (!rows[0]) throw new ApiError('not_found', 'this account does not exist')
  return rows[0]
}

/** Whether `player` may bond with `deity`, and what the unlock asks. */
function lockState(deity: Deity, player: PlayerUnlocks) {
  switch (deity.unlockMethod) {
    case 'akashic_tablets':
      return {
        unlocked: player.thoth,
        unlock_method: 'akashic_tablets' as const,
        tablets_required: TABLETS_FOR_THOTH,
        tablets_found: player.tablets,
      }
    case 'special_unlock':
      return { unlocked: player.bob, unlock_method: 'special_unlock' as const }
    default: {
      const minRank = deity.minRankRequired ?? 1
      return {
        unlocked: player.rank >= minRank,
        unlock_method: 'rank' as const,
        min_rank_required: minRank,
        your_rank: player.rank,
      }
    }
  }
}

/** A hidden deity exists for a player once discovered or unlocked. */
const visibleTo = (deity: Deity, player: PlayerUnlocks) =>
  !deity.isHidden ||
  player.discovered.includes(deity.deityName) ||
  lockState(deity, player).unlocked

const blessingResource = (b: DeityBlessing) => ({
  id: b.id,
  blessing_name: b.blessingName,
  display_name: b.displayName,
  description: b.description ?? null,
  primary_attribute: b.primaryAttribute as AttributeName,
  primary_bonus: b.primaryBonus,
  secondary_attribute: b.secondaryAttribute as AttributeName,
  secondary_bonus: b.secondaryBonus,
  theme_archetype: b.themeArchetype ?? null,
})

function deityResource(
  d: Deity,
  player: PlayerUnlocks,
  blessings: DeityBlessing[],
  bondedDeityId: string | undefined,
) {
  const hasPosition = d.positionX !== null && d.positionY !== null && d.positionZ !== null
  return {
    id: d.id,
    deity_name: d.deityName,
    display_name: d.displayName,
    pantheon: d.pantheon,
    gender: d.gender ?? null,
    primary_color: d.primaryColor ?? null,
    color_hex: d.colorHex ?? null,
    position: hasPosition ? { x: d.positionX!, y: d.positionY!, z: d.positionZ! } : null,
    primary_attribute: (d.primaryAttribute as AttributeName | null) ?? null,
    secondary_attribute: (d.secondaryAttribute as AttributeName | null) ?? null,
    voice_personality: d.voicePersonality ?? null,
    personality_archetype: d.personalityArchetype ?? null,
    in_ritual_ring: d.inRitualRing ?? false,
    is_hidden: d.isHidden ?? false,
    lore_description: d.loreDescription ?? null,
    quote: d.quote ?? null,
    unlock_description: d.unlockDescription ?? null,
    lock: lockState(d, player),
    bonded: d.id === bondedDeityId,
    blessings: blessings.filter((b) => b.deityId === d.id).map(blessingResource),
  }
}

/** The active deities the caller can see, ring first in ring order, each with its lock state. */
export async function listDeities(db: Db, input: { actor: Identity }) {
  const player = await playerUnlocks(db, input.actor.userId)
  const [rows, blessings, bond] = await Promise.all([
    db
      .select()
      .from(deities)
      .where(eq(deities.isActive, true))
      .orderBy(asc(deities.isHidden), asc(deities.createdAt), asc(deities.deityName)),
    db.select().from(deityBlessings).orderBy(asc(deityBlessings.blessingName)),
    activeBondRow(db, input.actor.userId),
  ])
  return {
    items: rows
      .filter((d) => visibleTo(d, player))
      .map((d) => deityResource(d, player, blessings, bond?.bond.deityId)),
  }
}

/** One deity with its lock state and blessings; 404 for a hidden deity the caller has not found. */
export async function getDeity(db: Db, input: { actor: Identity; deity_id: string }) {
  const player = await playerUnlocks(db, input.actor.userId)
  const deity = await visibleDeity(db, input.deity_id, player)
  const [blessings, bond] = await Promise.all([
    db.select().from(deityBlessings).where(eq(deityBlessings.deityId, deity.id)),
    activeBondRow(db, input.actor.userId),
  ])
  return deityResource(deity, player, blessings, bond?.bond.deityId)
}

async function visibleDeity(db: Db, deityId: string, player: PlayerUnlocks): Promise<Deity> {
  const [deity] = await db
    .select()
    .from(deities)
    .where(and(eq(deities.id, deityId), eq(deities.isActive, true)))
  if (!deity || !visibleTo(deity, player)) throw new ApiError('not_found', 'no deity with that id')
  return deity
}

/** A blessing's bonuses amplified by faith (rounded to the nearest point, halves up). */
export function amplifiedBonuses(
  blessing: DeityBlessing,
  amplification: number,
): Partial<Record<AttributeName, number>> {
  // toFixed first: 1 + (faith - 20) / 80 is inexact in binary, and 5 × 1.1 must round as 5.5.
  const amplify = (bonus: number) => Math.round(Number((bonus * amplification).toFixed(6)))
  const bonuses: Partial<Record<AttributeName, number>> = {}
  for (const [attribute, bonus] of [
    [blessing.primaryAttribute, blessing.primaryBonus],
    [blessing.secondaryAttribute, blessing.secondaryBonus],
  ] as const) {
    const name = attribute as AttributeName
    bonuses[name] = (bonuses[name] ?? 0) + amplify(bonus)
  }
  return bonuses
}

interface BondRow {
  bond: UserDeityBond
  deity: Deity
  blessing: DeityBlessing
}

/** The user's active bond with its deity and blessing, or null. */
export async function activeBondRow(db: Db, userId: string): Promise<BondRow | null> {
  const [row] = await db
    .select({ bond: userDeityBonds, deity: deities, blessing: deityBlessings })
    .from(userDeityBonds)
    .innerJoin(deities, eq(deities.id, userDeityBonds.deityId))
    .innerJoin(deityBlessings, eq(deityBlessings.id, userDeityBonds.blessingId))
    .where(and(eq(userDeityBonds.userId, userId), eq(userDeityBonds.isActive, true)))
  return row ?? null
}

/** A bond as the API shows it. */
export function bondResource({ bond, deity, blessing }: BondRow) {
  const amplification = bond.currentAmplification ?? 1
  return {
    id: bond.id,
    deity: { id: deity.id, deity_name: deity.deityName, display_name: deity.displayName },
    blessing: blessingResource(blessing),
    is_active: bond.isActive,
    bonded_at: isoTimestamp(bond.bondedAt),
    unbonded_at: isoTimestamp(bond.unbondedAt),
    faith_at_bonding: bond.faithAtBonding ?? null,
    amplification,
    days_bonded: bond.daysBonded ?? 0,
    bonuses: amplifiedBonuses(blessing, amplification),
  }
}

/** The caller's active bond, or null. */
export async function getActiveBond(db: Db, input: { actor: Identity }) {
  const row = await activeBondRow(db, input.actor.userId)
  return { bond: row ? bondResource(row) : null }
}

/** Ends a bond: inactive, unbonded now, with the whole days it lasted. Returns the ended row. */
async function endBondRow(db: Db, bondId: string): Promise<UserDeityBond> {
  const [bond] = await db
    .update(userDeityBonds)
    .set({
      isActive: false,
      unbondedAt: sql`now()`,
      daysBonded: sql`GREATEST(floor(extract(epoch FROM now() - ${userDeityBonds.bondedAt}) / 86400), 0)::int`,
    })
    .where(eq(userDeityBonds.id, bondId))
    .returning()
  return bond
}

/**
 * Bonds the caller with one of a deity's blessings. A locked deity is 403 (with its lock state);
 * a bond already active with the same blessing is returned unchanged (`created: false`); any
 * other active bond is ended in the same transaction.
 */
export async function bondWithDeity(
  db: Db,
  input: { actor: Identity; deity_id: string; blessing_id: string },
) {
  const userId = input.actor.userId
  return db.transaction(async (tx) => {
    // The row lock orders this user's bond changes, so two concurrent bonds cannot both see "no
    // bond" (the unique index would refuse the second anyway, with a 500 instead of a switch).
    const player = await playerUnlocks(tx, userId, true)
    const deity = await visibleDeity(tx, input.deity_id, player)
    const [blessing] = await tx
      .select()
      .from(deityBlessings)
      .where(and(eq(deityBlessings.id, input.blessing_id), eq(deityBlessings.deityId, deity.id)))
    if (!blessing) throw new ApiError('not_found', 'this deity has no blessing with that id')
    const lock = lockState(deity, player)
    if (!lock.unlocked) {
      throw new ApiError('forbidden', `${deity.displayName} is locked for you`, { lock })
    }
    const current = await activeBondRow(tx, userId)
    if (current?.bond.blessingId === blessing.id) {
      return { created: false, bond: bondResource(current) }
    }
    if (current) await endBondRow(tx, current.bond.id)
    const [bond] = await tx
      .insert(userDeityBonds)
      .values({ userId, deityId: deity.id, blessingId: blessing.id })
      .returning()
    return { created: true, bond: bondResource({ bond, deity, blessing }) }
  })
}

/** Ends the caller's active bond; 404 when there is none. Returns the ended bond. */
export async function endBond(db: Db, input: { actor: Identity }) {
  const userId = input.actor.userId
  return db.transaction(async (tx) => {
    await playerUnlocks(tx, userId, true)
    const current = await activeBondRow(tx, userId)
    if (!current) throw new ApiError('not_found', 'you have no active bond')
    const bond = await endBondRow(tx, current.bond.id)
    return { bond: bondResource({ ...current, bond }) }
  })
}
