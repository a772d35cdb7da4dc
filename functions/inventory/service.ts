/**
 * Inventories: what each player holds, one stack per (user, item), `0 < quantity <=
 * max_stack_size` (CHECK and trigger `trigger_enforce_inventory_stack_limit`).
 *
 * ## Moving units: the internal API
 *
 * Every movement of units (grants, gifts, consumption, drops, placing and removing buildings, and
 * the marketplace's and trades' escrow, issue 13) uses these four functions inside one
 * transaction the caller holds, with an audit row in `transactions` in that same transaction:
 *
 * 1. `lockStacks(tx, stacks)`: locks the inventory rows involved in the fixed order
 *    (user_id, item_id). A transaction that touches two or more stacks calls it first, so two
 *    transactions moving units in opposite directions cannot deadlock. Rows a transaction locks
 *    besides inventories come first (an instance's building version, a listing, a trade), and
 *    token balances (`user_balances`, economy) after.
 * 2. `takeUnits(tx, { user_id, item_id, quantity })`: a conditional removal (the stack must hold
 *    at least `quantity`); a stack that reaches 0 is deleted. Refused with 409 `conflict`,
 *    `details.reason = 'insufficient_quantity'`.
 * 3. `giveUnits(tx, { user_id, item_id, quantity })`: adds to the stack or creates it. A stack
 *    that would exceed the item's `max_stack_size` is refused whole (409 `conflict`,
 *    `details.reason = 'stack_full'`), never truncated; an unknown item is 404. A stack that does
 *    not exist yet cannot be locked by `lockStacks`: its insert waits for another transaction
 *    inserting the same stack. So a transaction that gives to several stacks gives in
 *    `inStackOrder`, or two of them could each wait for the other's new stack.
 * 4. `recordItemMovement(tx, { transaction_type, from_user_id, to_user_id, items, ... })`: the
 *    audit row (`items_transferred` = `[{ item_id, quantity }]`).
 *
 * Escrow (issue 13) is `takeUnits` from the seller into the listing's or trade's own row in the
 * same transaction, and `giveUnits` to the buyer, or `giveBackFromEscrow` to the seller, when it
 * ends; the units
 * of every item are then conserved over inventories + escrow + placed buildings
 * (`buildings.from_inventory`) − what was consumed or dropped, which the audit rows record.
 * Player-to-player movements also ask `assertItemsMayPass` (policy.ts) first.
 *
 * `grantItems` is the grant service itself: the admin route calls it, and quest rewards call it
 * inside the quest's own transaction (it opens a savepoint there).
 */
import { and, desc, eq, sql } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { inventories, items, transactions, users, type Item } from '../../db/schema/nexus'
import { itemResource, loadItem } from '../items/service'
import type { ItemType } from '../items/schemas'
import { hasRole, type Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import { canonicalId, isCanonicalId } from '../lib/ids'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { constraintOf, isCheckViolation, isUniqueViolation } from '../lib/pg-errors'
import { isoTimestamp } from '../lib/time'
import { assertItemsMayPass } from './policy'
import { PLAYER_EDITABLE_PROPERTIES, type GrantKind, type UpdateStackBody } from './schemas'

/** One stack of one user. */
export interface StackKey {
  user_id: string
  item_id: string
}

/** A number of units of one item in one user's inventory. */
export interface ItemUnits extends StackKey {
  quantity: number
}

/** Units of one item, as `transactions.items_transferred` records them. */
export interface MovedUnits {
  item_id: string
  quantity: number
}

/** The `transaction_type` of each kind of item movement. */
export type ItemMovementType =
  | 'gift'
  | GrantKind
  | 'consume'
  | 'drop'
  | 'building_placed'
  | 'building_removed'
  | 'listing_escrow'
  | 'listing_returned'
  | 'purchase'
  | 'trade_escrow'
  | 'trade_returned'
  | 'trade'

const insufficient = (item_id: string, held: number, requested: number) =>
  new ApiError('conflict', 'not enough units of this item', {
    reason: 'insufficient_quantity',
    item_id,
    held,
    requested,
  })

const stackFull = (item_id: string, max_stack_size: number) =>
  new ApiError('conflict', 'that stack would exceed the item’s max_stack_size; nothing was moved', {
    reason: 'stack_full',
    item_id,
    max_stack_size,
  })

/**
 * Locks the inventory rows of `stacks` (those that exist) in the order (user_id, item_id) and
 * returns their quantities by `user_id:item_id`.
 */
export async function lockStacks(tx: Tx, stacks: StackKey[]): Promise<Map<string, number>> {
  if (stacks.length === 0) return new Map()
  const keys = stacks.map((s) => sql`(${s.user_id}::uuid, ${s.item_id}::uuid)`)
  const rows = await tx.execute<{ user_id: string; item_id: string; quantity: number }>(sql`
    SELECT user_id, item_id, quantity FROM inventories
    WHERE (user_id, item_id) IN (${sql.join(keys, sql`, `)})
    ORDER BY user_id, item_id
    FOR UPDATE`)
  return new Map(rows.rows.map((r) => [`${r.user_id}:${r.item_id}`, r.quantity]))
}

/** `units` sorted in the lock order (user_id, item_id), for giving to several stacks. */
export const inStackOrder = <T extends StackKey>(units: T[]): T[] => {
  // Code-point order of the canonical text, which is Postgres's order of uuids.
  const key = (u: StackKey) => `${u.user_id}:${u.item_id}`
  return [...units].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
}

/**
 * Takes `quantity` units out of a stack (conditionally: only when it holds that many); deletes the
 * stack when it reaches 0. Returns what the stack holds afterwards.
 */
export async function takeUnits(tx: Tx, units: ItemUnits): Promise<number> {
  const { user_id: userId, item_id: itemId, quantity } = units
  const held = (await lockStacks(tx, [units])).get(`${userId}:${itemId}`) ?? 0
  if (held < quantity) throw insufficient(itemId, held, quantity)
  const where = sql`user_id = ${userId}::uuid AND item_id = ${itemId}::uuid`
  // The row is locked, so these conditions hold; they stay as the statement's own guard.
  const changed =
    held === quantity
      ? await tx.execute(sql`DELETE FROM inventories WHERE ${where} AND quantity = ${quantity}`)
      : await tx.execute(sql`
          UPDATE inventories SET quantity = quantity - ${quantity}
          WHERE ${where} AND quantity > ${quantity}`)
  if (changed.rowCount !== 1) throw new Error('a locked inventory row changed under its lock')
  return held - quantity
}

/**
 * Adds `quantity` units to a stack, creating it when the user holds none. Refuses (409
 * `stack_full`) when the stack would exceed the item's `max_stack_size`: nothing is truncated.
 * An unknown item or user is 404. Returns what the stack holds afterwards.
 */
export async function giveUnits(tx: Tx, units: ItemUnits): Promise<number> {
  const { user_id: userId, item_id: itemId, quantity } = units
  const [item] = await tx
    .select({ maxStackSize: items.maxStackSize })
    .from(items)
    .where(eq(items.id, itemId))
  if (!item) throw new ApiError('not_found', 'no item with that id', { item_id: itemId })
  if (quantity > item.maxStackSize) throw stackFull(itemId, item.maxStackSize)
  try {
    const added = await tx.execute<{ quantity: number }>(sql`
      INSERT INTO inventories (user_id, item_id, quantity)
      VALUES (${userId}::uuid, ${itemId}::uuid, ${quantity})
      ON CONFLICT (user_id, item_id) DO UPDATE
        SET quantity = inventories.quantity + EXCLUDED.quantity
        WHERE inventories.quantity + EXCLUDED.quantity <= ${item.maxStackSize}
      RETURNING quantity`)
    if (added.rows.length === 0) throw stackFull(itemId, item.maxStackSize)
    return added.rows[0].quantity
  } catch (error) {
    // The limit was lowered between our read and the write: the trigger refused the row.
    if (isCheckViolation(error) && constraintOf(error) === 'inventories_max_stack_size') {
      throw stackFull(itemId, item.maxStackSize)
    }
    if (constraintOf(error) === 'inventories_user_id_users_id_fk') {
      throw new ApiError('not_found', 'no user with that id', { user_id: userId })
    }
    throw error
  }
}

/**
 * Gives units held in escrow (a listing's or a trade's) back to their owner: locks the stacks and
 * gives in `inStackOrder`, inside a savepoint. With `keepIfFull`, a stack without room (409
 * `stack_full`) gives nothing back and answers false, so the caller keeps the units in escrow;
 * any other refusal, or any refusal without it, is thrown.
 */
export async function giveBackFromEscrow(
  tx: Tx,
  units: ItemUnits[],
  options: { keepIfFull: boolean },
): Promise<boolean> {
  try {
    // A savepoint: the stack limit's trigger may refuse a row, which would abort the caller's
    // whole transaction.
    await tx.transaction(async (sp) => {
      await lockStacks(sp, units)
      for (const line of inStackOrder(units)) await giveUnits(sp, line)
    })
    return true
  } catch (error) {
    const reason = error instanceof ApiError && (error.details as { reason?: unknown })?.reason
    if (options.keepIfFull && reason === 'stack_full') return false
    throw error
  }
}

/**
 * Writes the `transactions` audit row of an item movement. A movement that also moves tokens (a
 * purchase, a trade) records them here too, and its token legs (economy/ledger.ts) reference this
 * row.
 */
export async function recordItemMovement(
  tx: Tx,
  movement: {
    transaction_type: ItemMovementType
    from_user_id?: string | null
    to_user_id?: string | null
    items: MovedUnits[]
    tokens_transferred?: number
    reference_id?: string | null
    metadata?: Record<string, unknown>
  },
): Promise<{ id: string; timestamp: Date | null }> {
  const [row] = await tx
    .insert(transactions)
    .values({
      fromUser: movement.from_user_id ?? null,
      toUser: movement.to_user_id ?? null,
      transactionType: movement.transaction_type,
      itemsTransferred: movement.items,
      tokensTransferred: movement.tokens_transferred ?? 0,
      referenceId: movement.reference_id ?? null,
      metadata: movement.metadata ?? {},
    })
    .returning({ id: transactions.id, timestamp: transactions.timestamp })
  return row
}

// ---------------------------------------------------------------- reading inventories

type StackRow = { stack: typeof inventories.$inferSelect; item: Item }
type StackPageRow = StackRow & { cursorT: string }

function stackResource({ stack, item }: StackRow) {
  return {
    item_id: stack.itemId,
    quantity: stack.quantity,
    slot_position: stack.slotPosition ?? null,
    custom_properties: (stack.customProperties ?? {}) as Record<string, unknown>,
    acquired_at: isoTimestamp(stack.acquiredAt),
    item: itemResource(item),
  }
}

/** A stack as other players see it: only what a player chose to show. */
function publicStackResource(row: StackRow) {
  const own = (row.stack.customProperties ?? {}) as Record<string, unknown>
  const shown = Object.fromEntries(
    PLAYER_EDITABLE_PROPERTIES.filter((key) => own[key] !== undefined).map((key) => [
      key,
      own[key],
    ]),
  )
  return {
    item_id: row.stack.itemId,
    quantity: row.stack.quantity,
    custom_properties: shown,
    item: itemResource(row.item),
  }
}

async function stackRows(
  db: Db,
  input: { user_id: string; type?: ItemType; limit: number; cursor?: TimestampIdCursor },
): Promise<StackPageRow[]> {
  const acquiredAt = sql`coalesce(${inventories.acquiredAt}, 'epoch'::timestamptz)`
  return db
    .select({ stack: inventories, item: items, cursorT: cursorTimestamp(acquiredAt) })
    .from(inventories)
    .innerJoin(items, eq(items.id, inventories.itemId))
    .where(
      and(
        eq(inventories.userId, input.user_id),
        input.type ? eq(items.type, input.type) : undefined,
        afterTimestampId(acquiredAt, inventories.itemId, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(acquiredAt), desc(inventories.itemId))
    .limit(input.limit + 1)
}

const stackCursor = (row: StackPageRow) => ({ t: row.cursorT, id: row.stack.itemId })

/** The caller's inventory, most recently acquired first. */
export async function listInventory(
  db: Db,
  input: { actor: Identity; type?: ItemType; limit: number; cursor?: TimestampIdCursor },
) {
  const rows = await stackRows(db, { ...input, user_id: input.actor.userId })
  return pageOf(rows, input.limit, stackResource, stackCursor)
}

/**
 * Another player's inventory: visible when its owner set `metadata.preferences.
 * inventory_visibility` to `"public"` (`PATCH /v1/users/me`), and always to the owner and staff
 * (admin, moderator, service). Private otherwise (403); an unknown user is 404.
 */
export async function listUserInventory(
  db: Db,
  input: {
    actor: Identity
    user_id: string
    type?: ItemType
    limit: number
    cursor?: TimestampIdCursor
  },
) {
  const [owner] = await db
    .select({ visibility: sql<unknown>`${users.metadata} #> '{preferences,inventory_visibility}'` })
    .from(users)
    .where(eq(users.id, input.user_id))
  if (!owner) throw new ApiError('not_found', 'no user with that id')
  const isSelf = input.actor.userId === input.user_id
  const isStaff = hasRole(input.actor, 'admin', 'moderator', 'service')
  if (!isSelf && !isStaff && owner.visibility !== 'public') {
    throw new ApiError('forbidden', 'this player keeps their inventory private')
  }
  const rows = await stackRows(db, input)
  return pageOf(
    rows,
    input.limit,
    isSelf || isStaff ? stackResource : publicStackResource,
    stackCursor,
  )
}

/** One stack of the caller's; 404 when they hold none of the item. */
export async function getStack(db: Db, input: { actor: Identity; item_id: string }) {
  const [row] = await db
    .select({ stack: inventories, item: items })
    .from(inventories)
    .innerJoin(items, eq(items.id, inventories.itemId))
    .where(and(eq(inventories.userId, input.actor.userId), eq(inventories.itemId, input.item_id)))
  if (!row) throw new ApiError('not_found', 'you hold none of that item')
  return stackResource(row)
}

/**
 * Moves a stack of the caller's to another slot (409 `slot_taken` when another stack is there)
 * and sets or removes (null) the player-editable `custom_properties`, keeping the game's keys.
 */
export async function updateStack(
  db: Db,
  input: { actor: Identity; item_id: string } & UpdateStackBody,
) {
  const { actor, item_id: itemId } = input
  const set: Partial<typeof inventories.$inferInsert> = {}
  if (input.slot_position !== undefined) set.slotPosition = input.slot_position
  if (input.custom_properties) {
    const changes = input.custom_properties
    const entries = Object.entries(changes)
    const kept = Object.fromEntries(entries.filter(([, value]) => value !== null))
    const removals = entries
      .filter(([, value]) => value === null)
      .map(([key]) => sql` - ${key}::text`)
    set.customProperties = sql`(coalesce(${inventories.customProperties}, '{}'::jsonb)${sql.join(removals)}) || ${JSON.stringify(kept)}::jsonb`
  }
  try {
    const updated = await db
      .update(inventories)
      .set(set)
      .where(and(eq(inventories.userId, actor.userId), eq(inventories.itemId, itemId)))
      .returning({ itemId: inventories.itemId })
    if (updated.length === 0) throw new ApiError('not_found', 'you hold none of that item')
  } catch (error) {
    if (isUniqueViolation(error) && constraintOf(error) === 'inventories_user_slot_unique') {
      throw new ApiError('conflict', 'another stack is in that slot', {
        reason: 'slot_taken',
        slot_position: input.slot_position,
      })
    }
    throw error
  }
  return getStack(db, { actor, item_id: itemId })
}

/**
 * Takes `quantity` units of one of the caller's items out of the world: `consume` (only
 * `is_consumable` items; the game applies the effect) or `drop` (destroyed). Audited as
 * `consume` / `drop`.
 */
export async function removeUnits(
  db: Db,
  input: { actor: Identity; item_id: string; quantity: number; action: 'consume' | 'drop' },
) {
  const { actor, item_id: itemId, quantity, action } = input
  return db.transaction(async (tx) => {
    const item = await loadItem(tx, itemId)
    if (action === 'consume' && !item.isConsumable) {
      throw new ApiError('conflict', 'this item cannot be consumed', {
        reason: 'not_consumable',
        item_id: itemId,
      })
    }
    const remaining = await takeUnits(tx, { user_id: actor.userId, item_id: itemId, quantity })
    const audit = await recordItemMovement(tx, {
      transaction_type: action,
      from_user_id: actor.userId,
      items: [{ item_id: itemId, quantity }],
    })
    return { item_id: itemId, quantity, remaining, transaction_id: audit.id }
  })
}

/**
 * Gives units of a tradeable item to another player (`POST /v1/inventory/gifts`): both stacks
 * locked in order, a conditional take from the giver, a give the recipient's stack must have room
 * for, and a `gift` audit row, in one transaction.
 */
export async function giftUnits(
  db: Db,
  input: { actor: Identity; to_user_id: string; item_id: string; quantity: number; note?: string },
) {
  const { actor, to_user_id: toUserId, item_id: itemId, quantity } = input
  const fromUserId = actor.userId
  if (toUserId === fromUserId) {
    throw new ApiError('validation_error', 'you cannot give items to yourself', [
      { path: ['to_user_id'], code: 'custom', message: 'must be another user' },
    ])
  }
  return db.transaction(async (tx) => {
    const [recipient] = await tx.select({ id: users.id }).from(users).where(eq(users.id, toUserId))
    if (!recipient) throw new ApiError('not_found', 'no user with that id to receive the items')
    const item = await loadItem(tx, itemId)
    if (!item.isTradeable) {
      throw new ApiError('conflict', 'this item cannot be given or traded', {
        reason: 'not_tradeable',
        item_id: itemId,
      })
    }
    await assertItemsMayPass(tx, {
      actor_id: fromUserId,
      from_user_id: fromUserId,
      to_user_id: toUserId,
    })
    await lockStacks(tx, [
      { user_id: fromUserId, item_id: itemId },
      { user_id: toUserId, item_id: itemId },
    ])
    const remaining = await takeUnits(tx, { user_id: fromUserId, item_id: itemId, quantity })
    await giveUnits(tx, { user_id: toUserId, item_id: itemId, quantity })
    const audit = await recordItemMovement(tx, {
      transaction_type: 'gift',
      from_user_id: fromUserId,
      to_user_id: toUserId,
      items: [{ item_id: itemId, quantity }],
      metadata: input.note ? { note: input.note } : {},
    })
    return {
      id: audit.id,
      from_user_id: fromUserId,
      to_user_id: toUserId,
      item_id: itemId,
      quantity,
      note: input.note ?? null,
      remaining,
      created_at: isoTimestamp(audit.timestamp),
    }
  })
}

/**
 * Grants units to a user: the admin route (`kind: 'admin_grant'`), and quest rewards
 * (`kind: 'quest_reward'`, `reference_id` = the quest session), called with the quest's own
 * transaction as `db` (this opens a savepoint in it). All lines or none: one full stack refuses
 * the whole grant (409 `stack_full`), an unknown item is 404, a line that is not an item UUID
 * with a positive quantity is 400. Lines naming the same item are added together.
 */
export async function grantItems(
  db: Db,
  input: {
    actor?: Identity
    user_id: string
    items: MovedUnits[]
    reason: string
    kind: GrantKind
    reference_id?: string
  },
) {
  const totals = new Map<string, number>()
  for (const line of input.items) {
    // Callers inside the server (quest rewards) pass ids from stored JSON: check them here.
    const itemId = canonicalId(line.item_id)
    if (!isCanonicalId(itemId) || !Number.isSafeInteger(line.quantity) || line.quantity < 1) {
      throw new ApiError(
        'validation_error',
        'a grant line needs an item UUID and a positive quantity',
        {
          item_id: line.item_id,
          quantity: line.quantity,
        },
      )
    }
    totals.set(itemId, (totals.get(itemId) ?? 0) + line.quantity)
  }
  const lines = [...totals].map(([item_id, quantity]) => ({ item_id, quantity }))
  return db.transaction(async (tx) => {
    const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, input.user_id))
    if (!user) throw new ApiError('not_found', 'no user with that id')
    await lockStacks(
      tx,
      lines.map((line) => ({ user_id: input.user_id, item_id: line.item_id })),
    )
    const held: Array<MovedUnits & { held: number }> = []
    for (const line of lines) {
      held.push({ ...line, held: await giveUnits(tx, { user_id: input.user_id, ...line }) })
    }
    const metadata: Record<string, unknown> = { reason: input.reason }
    if (input.actor) metadata.granted_by = input.actor.userId
    const audit = await recordItemMovement(tx, {
      transaction_type: input.kind,
      to_user_id: input.user_id,
      items: lines,
      reference_id: input.reference_id,
      metadata,
    })
    return {
      id: audit.id,
      user_id: input.user_id,
      kind: input.kind,
      items: held,
      reason: input.reason,
      reference_id: input.reference_id ?? null,
      created_at: isoTimestamp(audit.timestamp),
    }
  })
}

/** The item movements the caller took part in (sent, received, consumed, ...), newest first. */
export async function listItemHistory(
  db: Db,
  input: { actor: Identity; limit: number; cursor?: TimestampIdCursor },
) {
  const me = input.actor.userId
  const at = sql`coalesce(${transactions.timestamp}, 'epoch'::timestamptz)`
  const rows = await db
    .select({ row: transactions, cursorT: cursorTimestamp(at) })
    .from(transactions)
    .where(
      and(
        sql`(${transactions.fromUser} = ${me}::uuid OR ${transactions.toUser} = ${me}::uuid)`,
        sql`jsonb_array_length(coalesce(${transactions.itemsTransferred}, '[]'::jsonb)) > 0`,
        afterTimestampId(at, transactions.id, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(at), desc(transactions.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    ({ row }) => ({
      id: row.id,
      transaction_type: row.transactionType,
      from_user_id: row.fromUser ?? null,
      to_user_id: row.toUser ?? null,
      items: (row.itemsTransferred ?? []) as MovedUnits[],
      reference_id: row.referenceId ?? null,
      metadata: (row.metadata ?? {}) as Record<string, unknown>,
      timestamp: isoTimestamp(row.timestamp),
    }),
    (r) => ({ t: r.cursorT, id: r.row.id }),
  )
}
