/**
 * A player's progression: essences, akashic rank with the progress to the next rank and tier, the
 * 12 attributes with their base and effective values (the active bond's blessing amplified by
 * faith, `amplifiedBonuses`), tablets and hidden deities; and the essence and attribute histories.
 */
import { and, asc, desc, eq } from 'drizzle-orm'
import type { Db } from '../../db/client'
import {
  akashicTabletDiscoveries,
  akashicTransactions,
  attributeTransactions,
  hiddenDeityDiscoveries,
  attributeColumn,
  users,
  type AkashicTransaction,
  type AttributeName,
  type AttributeTransaction,
  type User,
} from '../../db/schema/nexus'
import { activeBondRow, bondResource, TABLETS_FOR_THOTH } from '../deities/service'
import type { Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp } from '../lib/time'
import { attributeNames } from '../users/schemas'
import { rankProgress } from './tiers'

/** The four essences and their total. */
export const essencesOf = (u: User) => ({
  resonance: u.akashicResonance,
  wisdom: u.akashicWisdom,
  creativity: u.akashicCreativity,
  connection: u.akashicConnection,
  total: u.akashicResonance + u.akashicWisdom + u.akashicCreativity + u.akashicConnection,
})

/** The rows of a user's progression and its public view. */
async function loadProgression(db: Db, userId: string) {
  const [[user], bond, tablets, hidden] = await Promise.all([
    db.select().from(users).where(eq(users.id, userId)),
    activeBondRow(db, userId),
    db
      .select({
        tabletNumber: akashicTabletDiscoveries.tabletNumber,
        tabletName: akashicTabletDiscoveries.tabletName,
        discoveredAt: akashicTabletDiscoveries.discoveredAt,
      })
      .from(akashicTabletDiscoveries)
      .where(eq(akashicTabletDiscoveries.userId, userId))
      .orderBy(asc(akashicTabletDiscoveries.tabletNumber)),
    db
      .select()
      .from(hiddenDeityDiscoveries)
      .where(eq(hiddenDeityDiscoveries.userId, userId))
      .orderBy(asc(hiddenDeityDiscoveries.discoveredAt)),
  ])
  if (!user) throw new ApiError('not_found', 'no user with that id')

  const bondView = bond ? bondResource(bond) : null
  const attributes = Object.fromEntries(
    attributeNames.map((name) => {
      const base = user[attributeColumn(name)]
      const bonus = bondView?.bonuses[name] ?? 0
      return [name, { base, blessing_bonus: bonus, effective: base + bonus }]
    }),
  ) as Record<AttributeName, { base: number; blessing_bonus: number; effective: number }>
  const values = Object.values(attributes)
  const progress = rankProgress(user.akashicResonance)
  const publicView = {
    user_id: user.id,
    username: user.username,
    display_name: user.displayName ?? null,
    avatar_url: user.avatarUrl ?? null,
    essences: essencesOf(user),
    // The stored rank is authoritative (the SQL trigger); the progress figures come from the tiers.
    rank: {
      ...progress,
      rank: user.akashicRank,
      title: user.akashicRankTitle,
      last_rank_up: isoTimestamp(user.lastRankUp),
    },
    attributes,
    attributes_total: {
      base: values.reduce((sum, a) => sum + a.base, 0),
      effective: values.reduce((sum, a) => sum + a.effective, 0),
    },
    bond: bondView,
    tablets: { found: tablets.length, required: TABLETS_FOR_THOTH },
    hidden_deities_discovered: hidden.length,
  }
  return { user, tablets, hidden, publicView }
}

/** What anyone may see of `user_id`'s progression. */
export async function getPublicProgression(db: Db, input: { actor: Identity; user_id: string }) {
  return (await loadProgression(db, input.user_id)).publicView
}

/** The caller's own progression: the public view plus the tablets and deities found and unlocks. */
export async function getOwnProgression(db: Db, input: { actor: Identity }) {
  const { user, tablets, hidden, publicView } = await loadProgression(db, input.actor.userId)
  return {
    ...publicView,
    tablets_found: tablets.map((t) => ({
      tablet_number: t.tabletNumber,
      tablet_name: t.tabletName ?? null,
      discovered_at: isoTimestamp(t.discoveredAt),
    })),
    hidden_deities: hidden.map((h) => ({
      deity_name: h.deityName,
      discovered_at: isoTimestamp(h.discoveredAt),
      discovery_method: h.discoveryMethod ?? null,
    })),
    unlocks: { bob: user.bobUnlocked ?? false, thoth: user.thothUnlocked ?? false },
  }
}

/**
 * A page of the caller's rows of an audit table, newest first by (created_at, id). Both tables
 * have the same `user_id`, `created_at` and `id` columns.
 */
async function historyPage<Row, Item>(
  db: Db,
  table: typeof akashicTransactions | typeof attributeTransactions,
  input: { actor: Identity; limit: number; cursor?: TimestampIdCursor },
  toItem: (row: Row) => Item,
) {
  const t = table as typeof akashicTransactions
  const rows = await db
    .select({ row: t, cursorT: cursorTimestamp(t.createdAt) })
    .from(t)
    .where(
      and(
        eq(t.userId, input.actor.userId),
        afterTimestampId(t.createdAt, t.id, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(t.createdAt), desc(t.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    ({ row }) => toItem(row as Row),
    (r) => ({ t: r.cursorT, id: r.row.id }),
  )
}

/** The caller's essence awards, newest first, a page at a time. */
export function listEssenceHistory(
  db: Db,
  input: { actor: Identity; limit: number; cursor?: TimestampIdCursor },
) {
  return historyPage(db, akashicTransactions, input, (r: AkashicTransaction) => ({
    id: r.id,
    transaction_type: r.transactionType,
    essence_type: r.essenceType ?? null,
    amount: r.amount,
    source_type: r.sourceType ?? null,
    source_id: r.sourceId ?? null,
    metadata: r.metadata ?? {},
    created_at: isoTimestamp(r.createdAt),
  }))
}

/** The caller's attribute changes, newest first, a page at a time. */
export function listAttributeHistory(
  db: Db,
  input: { actor: Identity; limit: number; cursor?: TimestampIdCursor },
) {
  return historyPage(db, attributeTransactions, input, (r: AttributeTransaction) => ({
    id: r.id,
    attribute_name: r.attributeName,
    amount_change: r.amountChange,
    source_type: r.sourceType,
    source_id: r.sourceId ?? null,
    metadata: r.metadata ?? {},
    created_at: isoTimestamp(r.createdAt),
  }))
}
