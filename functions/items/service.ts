/**
 * The item catalogue: what kinds of things exist. Everyone signed in reads it; platform admins and
 * the item creators the operators allow (`item_creators`, managed at `/v1/admin/items/creators`)
 * create items, and edit them (a creator only their own items, and only while still allowed).
 * Creating a catalogue item mints no units: units enter inventories only through grants
 * (`functions/inventory`).
 */
import { and, asc, desc, eq, ilike, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { assets, itemCreators, items, users, type Item } from '../../db/schema/nexus'
import { hasRole, type Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp } from '../lib/time'
import type { CreateItemBody, ItemType, Rarity, UpdateItemBody } from './schemas'

/** The API representation of a catalogue item. */
export function itemResource(row: Item) {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    rarity: row.rarity ?? null,
    glb_path: row.glbPath ?? null,
    icon_path: row.iconPath ?? null,
    base_value: row.baseValue ?? null,
    is_tradeable: row.isTradeable,
    is_consumable: row.isConsumable,
    max_stack_size: row.maxStackSize,
    properties: (row.properties ?? {}) as Record<string, unknown>,
    creator_id: row.creatorId ?? null,
    created_at: isoTimestamp(row.createdAt),
  }
}

/** `%text%` for ILIKE with the pattern characters of `text` escaped. */
export const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`

/**
 * `userId` when that user exists, else NULL: service tokens need not have a `users` row, and a
 * creator or granter column is a foreign key.
 */
export const existingUserId = (userId: string) =>
  sql<string | null>`(SELECT id FROM users WHERE id = ${userId}::uuid)`

/** One catalogue item; 404 when there is none. */
export async function loadItem(db: Db, itemId: string): Promise<Item> {
  const [row] = await db.select().from(items).where(eq(items.id, itemId))
  if (!row) throw new ApiError('not_found', 'no item with that id')
  return row
}

/** True when the caller may create catalogue items: a platform admin or an allowed creator. */
async function mayCreateItems(db: Db, actor: Identity): Promise<boolean> {
  if (hasRole(actor, 'admin')) return true
  const [row] = await db
    .select({ userId: itemCreators.userId })
    .from(itemCreators)
    .where(eq(itemCreators.userId, actor.userId))
  return row !== undefined
}

/** The registry asset a placeable item names must exist (a typo would fail every placement). */
async function assertAssetExists(db: Db, properties: Record<string, unknown> | undefined) {
  const assetId = properties?.asset_id
  if (typeof assetId !== 'string') return
  const [asset] = await db.select({ id: assets.id }).from(assets).where(eq(assets.id, assetId))
  if (!asset) {
    throw new ApiError('validation_error', 'properties.asset_id names no asset of the registry', [
      { path: ['properties', 'asset_id'], code: 'custom', message: 'no such asset' },
    ])
  }
}

/** The catalogue, by name, a page at a time. */
export async function listItems(
  db: Db,
  input: {
    actor: Identity
    type?: ItemType
    rarity?: Rarity
    is_tradeable?: boolean
    creator_id?: string
    q?: string
    limit: number
    cursor?: { n: string; id: string }
  },
) {
  const rows = await db
    .select()
    .from(items)
    .where(
      and(
        input.type ? eq(items.type, input.type) : undefined,
        input.rarity ? eq(items.rarity, input.rarity) : undefined,
        input.is_tradeable === undefined ? undefined : eq(items.isTradeable, input.is_tradeable),
        input.creator_id ? eq(items.creatorId, input.creator_id) : undefined,
        input.q ? ilike(items.name, containsPattern(input.q)) : undefined,
        input.cursor
          ? sql`(${items.name}, ${items.id}) > (${input.cursor.n}, ${input.cursor.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(asc(items.name), asc(items.id))
    .limit(input.limit + 1)
  return pageOf(rows, input.limit, itemResource, (row) => ({ n: row.name, id: row.id }))
}

/** One catalogue item. */
export async function getItem(db: Db, input: { actor: Identity; item_id: string }) {
  return itemResource(await loadItem(db, input.item_id))
}

/** Creates a catalogue item with the caller as its creator (admins and allowed creators). */
export async function createItem(db: Db, input: { actor: Identity } & CreateItemBody) {
  const { actor, ...body } = input
  if (!(await mayCreateItems(db, actor))) {
    throw new ApiError(
      'forbidden',
      'only admins and the item creators the operators allow may create items',
    )
  }
  await assertAssetExists(db, body.properties)
  const [row] = await db
    .insert(items)
    .values({
      name: body.name,
      type: body.type,
      rarity: body.rarity,
      glbPath: body.glb_path ?? null,
      iconPath: body.icon_path ?? null,
      baseValue: body.base_value,
      isTradeable: body.is_tradeable,
      isConsumable: body.is_consumable,
      maxStackSize: body.max_stack_size,
      properties: body.properties,
      creatorId: existingUserId(actor.userId),
    })
    .returning()
  return itemResource(row)
}

/**
 * Changes a catalogue item: admins any, a creator their own while still allowed. Lowering
 * `max_stack_size` takes nothing from anyone: larger stacks are kept, they only cannot grow.
 */
export async function updateItem(
  db: Db,
  input: { actor: Identity; item_id: string; changes: UpdateItemBody },
) {
  const { actor, item_id: itemId, changes } = input
  const item = await loadItem(db, itemId)
  const mayEdit =
    hasRole(actor, 'admin') ||
    (item.creatorId === actor.userId && (await mayCreateItems(db, actor)))
  if (!mayEdit) {
    throw new ApiError('forbidden', 'only admins and the creator of this item may change it')
  }
  await assertAssetExists(db, changes.properties)
  const set: Partial<typeof items.$inferInsert> = {}
  if (changes.name !== undefined) set.name = changes.name
  if (changes.type !== undefined) set.type = changes.type
  if (changes.rarity !== undefined) set.rarity = changes.rarity
  if (changes.glb_path !== undefined) set.glbPath = changes.glb_path
  if (changes.icon_path !== undefined) set.iconPath = changes.icon_path
  if (changes.base_value !== undefined) set.baseValue = changes.base_value
  if (changes.is_tradeable !== undefined) set.isTradeable = changes.is_tradeable
  if (changes.is_consumable !== undefined) set.isConsumable = changes.is_consumable
  if (changes.max_stack_size !== undefined) set.maxStackSize = changes.max_stack_size
  if (changes.properties !== undefined) set.properties = changes.properties
  const [row] = await db.update(items).set(set).where(eq(items.id, itemId)).returning()
  if (!row) throw new ApiError('not_found', 'no item with that id')
  return itemResource(row)
}

/**
 * Deletes a catalogue item nobody holds, has placed, has listed or has in an open trade (or its
 * escrow) (admin); otherwise 409 with the counts, since deleting it would destroy players'
 * property.
 */
export async function deleteItem(db: Db, input: { actor: Identity; item_id: string }) {
  const itemId = input.item_id
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ id: items.id })
      .from(items)
      .where(eq(items.id, itemId))
      .for('update')
    if (!row) throw new ApiError('not_found', 'no item with that id')
    const [uses] = (
      await tx.execute<{
        inventories: number
        buildings: number
        listings: number
        trades: number
      }>(sql`
        SELECT (SELECT count(*)::int FROM inventories WHERE item_id = ${itemId}::uuid) AS inventories,
               (SELECT count(*)::int FROM buildings WHERE item_id = ${itemId}::uuid) AS buildings,
               (SELECT count(*)::int FROM marketplace_listings WHERE item_id = ${itemId}::uuid) AS listings,
               (SELECT count(*)::int FROM trade_requests
                WHERE (escrow_held OR status = 'pending')
                  AND (requester_items @> jsonb_build_array(jsonb_build_object('item_id', ${itemId}::text))
                       OR recipient_items @> jsonb_build_array(jsonb_build_object('item_id', ${itemId}::text)))) AS trades`)
    ).rows
    if (uses.inventories + uses.buildings + uses.listings + uses.trades > 0) {
      throw new ApiError(
        'conflict',
        'this item is held, placed or listed by players; it cannot be deleted',
        uses,
      )
    }
    await tx.delete(items).where(eq(items.id, itemId))
  })
}

/** The users allowed to create items, most recently allowed first. */
export async function listItemCreators(
  db: Db,
  input: { actor: Identity; limit: number; cursor?: TimestampIdCursor },
) {
  const rows = await db
    .select({
      creator: itemCreators,
      username: users.username,
      cursorT: cursorTimestamp(itemCreators.grantedAt),
    })
    .from(itemCreators)
    .innerJoin(users, eq(users.id, itemCreators.userId))
    .where(afterTimestampId(itemCreators.grantedAt, itemCreators.userId, input.cursor, 'desc'))
    .orderBy(desc(itemCreators.grantedAt), desc(itemCreators.userId))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    (r) => creatorResource(r.creator, r.username),
    (r) => ({ t: r.cursorT, id: r.creator.userId }),
  )
}

function creatorResource(row: typeof itemCreators.$inferSelect, username: string) {
  return {
    user_id: row.userId,
    username,
    granted_by: row.grantedBy ?? null,
    granted_at: isoTimestamp(row.grantedAt),
  }
}

/** Allows a user to create items (admin); `created` is false when they already were allowed. */
export async function allowItemCreator(db: Db, input: { actor: Identity; user_id: string }) {
  const [user] = await db
    .select({ username: users.username })
    .from(users)
    .where(eq(users.id, input.user_id))
  if (!user) throw new ApiError('not_found', 'no user with that id')
  const inserted = await db
    .insert(itemCreators)
    .values({ userId: input.user_id, grantedBy: existingUserId(input.actor.userId) })
    .onConflictDoNothing()
    .returning()
  if (inserted.length > 0)
    return { created: true, creator: creatorResource(inserted[0], user.username) }
  const [existing] = await db
    .select()
    .from(itemCreators)
    .where(eq(itemCreators.userId, input.user_id))
  return { created: false, creator: creatorResource(existing, user.username) }
}

/** Withdraws a user's permission to create items (admin); their items stay in the catalogue. */
export async function revokeItemCreator(db: Db, input: { actor: Identity; user_id: string }) {
  const deleted = await db
    .delete(itemCreators)
    .where(eq(itemCreators.userId, input.user_id))
    .returning({ userId: itemCreators.userId })
  if (deleted.length === 0) throw new ApiError('not_found', 'that user is not an item creator')
}
