/**
 * Characters (`user_characters`): a player's selectable avatars, at most one active (a partial
 * unique index). The active one travels with the player into a live room: its snapshot is part
 * of the connection the Worker hands the room, of the room's presence and of the `enter` and
 * `welcome` snapshots other players get; activating or changing it while connected tells the
 * rooms the player is live in.
 */
import { and, asc, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { userCharacters, userUploadedMedia, type UserCharacter } from '../../db/schema/nexus'
import type { Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp } from '../lib/time'
import { lockUserSocial } from './blocks'
import { MAX_CHARACTERS_PER_USER, type Appearance } from './schemas'

/** What other players see of a character. */
export interface CharacterSnapshot {
  id: string
  name: string
  base_model: string
  appearance: Appearance
  media_id: string | null
}

/** The snapshot of a character row. */
export const characterSnapshot = (row: UserCharacter): CharacterSnapshot => ({
  id: row.id,
  name: row.name,
  base_model: row.baseModel,
  appearance: row.appearance ?? {},
  media_id: row.mediaId ?? null,
})

const characterResource = (row: UserCharacter) => ({
  ...characterSnapshot(row),
  is_active: row.isActive,
  created_at: isoTimestamp(row.createdAt),
  updated_at: isoTimestamp(row.updatedAt),
})

/** The active character of `userId`, or null. */
export async function activeCharacterOf(db: Db, userId: string): Promise<CharacterSnapshot | null> {
  const [row] = await db
    .select()
    .from(userCharacters)
    .where(and(eq(userCharacters.userId, userId), eq(userCharacters.isActive, true)))
  return row ? characterSnapshot(row) : null
}

/** A custom skin must be the caller's own image or SVG, not rejected and not archived. */
async function assertUsableMedia(db: Db, userId: string, mediaId: string): Promise<void> {
  const [media] = await db
    .select({
      mediaType: userUploadedMedia.mediaType,
      status: userUploadedMedia.moderationStatus,
      archived: userUploadedMedia.isArchived,
    })
    .from(userUploadedMedia)
    .where(and(eq(userUploadedMedia.id, mediaId), eq(userUploadedMedia.userId, userId)))
  if (!media || media.archived) throw new ApiError('not_found', 'you have no media with that id')
  if (!['image', 'svg'].includes(media.mediaType) || media.status === 'rejected') {
    throw new ApiError(
      'validation_error',
      'a character skin must be an image or SVG not rejected',
      [{ path: ['media_id'], code: 'custom', message: 'must be an image or SVG not rejected' }],
    )
  }
}

/** The caller's characters, oldest first. */
export async function listCharacters(
  db: Db,
  input: { actor: Identity; limit: number; cursor?: TimestampIdCursor },
) {
  const rows = await db
    .select({ row: userCharacters, cursorT: cursorTimestamp(userCharacters.createdAt) })
    .from(userCharacters)
    .where(
      and(
        eq(userCharacters.userId, input.actor.userId),
        afterTimestampId(userCharacters.createdAt, userCharacters.id, input.cursor, 'asc'),
      ),
    )
    .orderBy(asc(userCharacters.createdAt), asc(userCharacters.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    (r) => characterResource(r.row),
    (r) => ({ t: r.cursorT, id: r.row.id }),
  )
}

/** The caller's character `id` (404 for anyone else's). */
async function ownCharacter(db: Db, userId: string, id: string, lock = false) {
  const query = db
    .select()
    .from(userCharacters)
    .where(and(eq(userCharacters.id, id), eq(userCharacters.userId, userId)))
  const [row] = lock ? await query.for('update') : await query
  if (!row) throw new ApiError('not_found', 'you have no character with that id')
  return row
}

/** Makes `id` the only active character of `userId` (rows locked by the caller). */
async function makeActive(tx: Db, userId: string, id: string): Promise<void> {
  // Two statements: the partial unique index is checked row by row, so one UPDATE flipping both
  // rows could see two active rows midway.
  await tx
    .update(userCharacters)
    .set({ isActive: false, updatedAt: sql`now()` })
    .where(and(eq(userCharacters.userId, userId), eq(userCharacters.isActive, true)))
  await tx
    .update(userCharacters)
    .set({ isActive: true, updatedAt: sql`now()` })
    .where(eq(userCharacters.id, id))
}

/** Creates a character (the first one, or one created with `active`, becomes active). */
export async function createCharacter(
  db: Db,
  input: {
    actor: Identity
    name: string
    base_model: string
    appearance?: Appearance
    media_id?: string | null
    active?: boolean
  },
) {
  const me = input.actor.userId
  return db.transaction(async (tx) => {
    await lockUserSocial(tx, 'characters', me)
    if (input.media_id) await assertUsableMedia(tx, me, input.media_id)
    const [{ count }] = (
      await tx.execute<{ count: number }>(
        sql`SELECT count(*)::int AS count FROM user_characters WHERE user_id = ${me}::uuid`,
      )
    ).rows
    if (count >= MAX_CHARACTERS_PER_USER) {
      throw new ApiError('conflict', `you may keep at most ${MAX_CHARACTERS_PER_USER} characters`)
    }
    const [row] = await tx
      .insert(userCharacters)
      .values({
        userId: me,
        name: input.name,
        baseModel: input.base_model,
        appearance: input.appearance ?? {},
        mediaId: input.media_id ?? null,
      })
      .returning()
    const activate = count === 0 || input.active === true
    if (activate) await makeActive(tx, me, row.id)
    return { resource: characterResource({ ...row, isActive: activate }), activated: activate }
  })
}

/** Changes a character; answers it and whether it is the active one. */
export async function updateCharacter(
  db: Db,
  input: {
    actor: Identity
    id: string
    name?: string
    base_model?: string
    appearance?: Appearance
    media_id?: string | null
  },
) {
  const me = input.actor.userId
  return db.transaction(async (tx) => {
    await ownCharacter(tx, me, input.id, true)
    if (input.media_id) await assertUsableMedia(tx, me, input.media_id)
    const [row] = await tx
      .update(userCharacters)
      .set({
        name: input.name,
        baseModel: input.base_model,
        appearance: input.appearance,
        mediaId: input.media_id,
        updatedAt: sql`now()`,
      })
      .where(eq(userCharacters.id, input.id))
      .returning()
    return characterResource(row)
  })
}

/** Makes a character the active one. */
export async function activateCharacter(db: Db, input: { actor: Identity; id: string }) {
  const me = input.actor.userId
  return db.transaction(async (tx) => {
    await lockUserSocial(tx, 'characters', me)
    const row = await ownCharacter(tx, me, input.id, true)
    await makeActive(tx, me, row.id)
    return characterResource({ ...row, isActive: true })
  })
}

/** Deletes a character; answers whether it was the active one (the player then has none). */
export async function deleteCharacter(db: Db, input: { actor: Identity; id: string }) {
  const deleted = await db
    .delete(userCharacters)
    .where(and(eq(userCharacters.id, input.id), eq(userCharacters.userId, input.actor.userId)))
    .returning({ isActive: userCharacters.isActive })
  if (deleted.length === 0) throw new ApiError('not_found', 'you have no character with that id')
  return { was_active: deleted[0].isActive }
}
