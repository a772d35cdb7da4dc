/**
 * Awards by the game: essences, attributes, akashic tablets and hidden-deity discoveries, through
 * the seed's SQL (`award_akashic_essence`, `award_attributes`, the discovery tables and their
 * triggers), in one transaction under the player's row lock. The operator route
 * (`POST /v1/admin/progression/awards`) and quest rewards take this same path.
 *
 * - Essence audit rows carry the seed's transaction type (`quest_completion`, `donation`,
 *   `token_collection`, `passive_income`, or `manual`) apart from the source (decision 55).
 * - An attribute never goes below zero: an award that would take one below is refused whole
 *   (409 with the attribute, its value and the change); the CHECKs of 0022 are the last line.
 * - The 13th distinct tablet unlocks Thoth exactly once (the trigger of 0022, proved under
 *   concurrent discoveries on PostgreSQL); discovering Bob unlocks him. `unlocked` reports what
 *   this award unlocked, so exactly one award ever says `thoth: true`.
 */
import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { attributeColumn, users, type User } from '../../db/schema/nexus'
import { hasRole, type Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import { attributeNames } from '../users/schemas'
import { ESSENCES, type AwardBody } from './schemas'
import { essencesOf } from './service'

/** What an award asks for (the body of the operator route). */
export type AwardInput = Omit<AwardBody, 'essences' | 'attributes'> & {
  essences?: Partial<Record<(typeof ESSENCES)[number], number | undefined>>
  attributes?: Partial<Record<(typeof attributeNames)[number], number | undefined>>
}

const amountOf = (amounts: Record<string, number | undefined> | undefined, name: string) =>
  amounts?.[name] ?? 0

/**
 * Applies an award to `input.user_id`. Only the `service` and `admin` roles may award (the quest
 * engine passes its service identity). Opens its own transaction, a savepoint inside a caller's
 * (an idempotent request, or a quest completion that awards its rewards in its own transaction).
 */
export async function awardProgression(db: Db, input: AwardInput & { actor: Identity }) {
  const { actor, user_id: userId } = input
  if (!hasRole(actor, 'service', 'admin')) {
    throw new ApiError('forbidden', 'awards need the service or admin role')
  }
  const metadata = { ...input.metadata, awarded_by: actor.userId }
  const sourceType = input.source_type ?? null
  const sourceId = input.source_id ?? null

  return db.transaction(async (tx) => {
    // Every award of one player runs after the previous one committed (and before the next).
    const [before] = await tx.select().from(users).where(eq(users.id, userId)).for('no key update')
    if (!before) throw new ApiError('not_found', 'no user with that id')

    const essences = ESSENCES.map((name) => amountOf(input.essences, name))
    if (essences.some((amount) => amount !== 0)) {
      await tx.execute(sql`SELECT award_akashic_essence(
        ${userId}::uuid, ${essences[0]}::int, ${essences[1]}::int, ${essences[2]}::int,
        ${essences[3]}::int, ${sourceType}::varchar, ${sourceId}::uuid,
        ${JSON.stringify(metadata)}::jsonb, ${input.transaction_type}::varchar)`)
    }

    const attributes = attributeNames.map((name) => amountOf(input.attributes, name))
    if (attributes.some((amount) => amount !== 0)) {
      attributeNames.forEach((name, i) => {
        const value = before[attributeColumn(name)]
        if (value + attributes[i] < 0) {
          throw new ApiError('conflict', `the award would take ${name} below zero`, {
            attribute: name,
            value,
            change: attributes[i],
          })
        }
      })
      // award_attributes has no transaction type: it goes into the audit row's metadata.
      await tx.execute(sql`SELECT award_attributes(
        ${userId}::uuid, ${sql.join(
          attributes.map((amount) => sql`${amount}::int`),
          sql`, `,
        )}, ${sourceType ?? 'manual'}::varchar, ${sourceId}::uuid,
        ${JSON.stringify({ ...metadata, transaction_type: input.transaction_type })}::jsonb)`)
    }

    const tablets = await recordTablets(tx, userId, input.tablets ?? [])
    const newDeities = await recordHiddenDeities(tx, userId, input.hidden_deities ?? [])

    const [after] = await tx.select().from(users).where(eq(users.id, userId))
    return awardResult(input, before, after, tablets, newDeities)
  })
}

/** Inserts the tablets not yet found (the trigger mirrors them and unlocks Thoth at 13). */
async function recordTablets(tx: Db, userId: string, tablets: NonNullable<AwardInput['tablets']>) {
  const fresh: number[] = []
  for (const tablet of tablets) {
    const { rows } = await tx.execute<{ tablet_number: number }>(sql`
      INSERT INTO akashic_tablet_discoveries
        (user_id, tablet_number, tablet_name, lore_text, location_found)
      VALUES (${userId}::uuid, ${tablet.tablet_number}, ${tablet.tablet_name ?? null},
              ${tablet.lore_text ?? null},
              ${tablet.location_found ? JSON.stringify(tablet.location_found) : null}::jsonb)
      ON CONFLICT (user_id, tablet_number) DO NOTHING
      RETURNING tablet_number`)
    if (rows[0]) fresh.push(rows[0].tablet_number)
  }
  const asked = [...new Set(tablets.map((t) => t.tablet_number))].sort((a, b) => a - b)
  return {
    new: fresh.sort((a, b) => a - b),
    already_found: asked.filter((n) => !fresh.includes(n)),
  }
}

/** Records discoveries of hidden deities (only deities that are hidden); returns the new ones. */
async function recordHiddenDeities(
  tx: Db,
  userId: string,
  discoveries: NonNullable<AwardInput['hidden_deities']>,
) {
  if (discoveries.length === 0) return []
  const names = [...new Set(discoveries.map((d) => d.deity_name.toLowerCase()))]
  const { rows: hidden } = await tx.execute<{ deity_name: string }>(sql`
    SELECT deity_name FROM deities
    WHERE is_hidden AND deity_name IN (${sql.join(
      names.map((n) => sql`${n}`),
      sql`, `,
    )})`)
  const known = new Set(hidden.map((r) => r.deity_name))
  const unknown = names.filter((n) => !known.has(n))
  if (unknown.length > 0) {
    throw new ApiError('validation_error', 'only hidden deities can be discovered', [
      {
        path: ['hidden_deities'],
        code: 'custom',
        message: `not a hidden deity: ${unknown.join(', ')}`,
      },
    ])
  }
  const fresh: string[] = []
  for (const discovery of discoveries) {
    const { rows } = await tx.execute<{ deity_name: string }>(sql`
      INSERT INTO hidden_deity_discoveries (user_id, deity_name, discovery_method)
      VALUES (${userId}::uuid, ${discovery.deity_name.toLowerCase()},
              ${discovery.discovery_method ?? null})
      ON CONFLICT (user_id, deity_name) DO NOTHING
      RETURNING deity_name`)
    if (rows[0]) fresh.push(rows[0].deity_name)
  }
  return fresh
}

function awardResult(
  input: AwardInput,
  before: User,
  after: User,
  tablets: { new: number[]; already_found: number[] },
  newDeities: string[],
) {
  return {
    user_id: after.id,
    transaction_type: input.transaction_type,
    essences: essencesOf(after),
    rank: {
      rank: after.akashicRank,
      title: after.akashicRankTitle,
      previous_rank: before.akashicRank,
      ranked_up: after.akashicRank > before.akashicRank,
    },
    attributes: Object.fromEntries(attributeNames.map((n) => [n, after[attributeColumn(n)]])),
    tablets: { ...tablets, found: after.akashicTabletsCollected?.length ?? 0 },
    hidden_deities: { new: newDeities },
    unlocked: {
      thoth: !before.thothUnlocked && (after.thothUnlocked ?? false),
      bob: !before.bobUnlocked && (after.bobUnlocked ?? false),
    },
  }
}
