/**
 * Contact cards (`user_contact_cards`): one shareable card per user, fetched by its share code.
 * The owner writes a headline, a bio and links, and chooses which profile fields the card shows
 * (`shown_fields`); the card shows those and nothing else. Rotating the code makes old shares
 * stop working; deleting the card does too. A blocked pair cannot read each other's card (404).
 */
import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { userContactCards, users, type UserContactCard } from '../../db/schema/nexus'
import type { Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import { constraintOf, isUniqueViolation } from '../lib/pg-errors'
import { isoTimestamp } from '../lib/time'
import { blockBetween } from './blocks'
import { activeCharacterOf } from './characters'
import { CARD_FIELDS } from './schemas'

/** Crockford's base32 (no I, L, O, U): codes are read aloud and typed by people. */
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const CODE_LENGTH = 10
/** Attempts at a fresh code before giving up (50 random bits: a clash is already unlikely). */
const CODE_ATTEMPTS = 3

type CardField = (typeof CARD_FIELDS)[number]

/** A new random share code. */
export function newShareCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(CODE_LENGTH))
  return Array.from(bytes, (b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join('')
}

/** The card as its reader sees it (`withCode` for its owner). */
async function cardView(db: Db, card: UserContactCard, withCode: boolean) {
  const [owner] = await db.select().from(users).where(eq(users.id, card.userId))
  if (!owner) throw new ApiError('not_found', 'no contact card with that code')
  const fields = card.shownFields.filter((f): f is CardField =>
    (CARD_FIELDS as readonly string[]).includes(f),
  )
  const shown: Record<string, unknown> = {}
  for (const field of fields) {
    switch (field) {
      case 'display_name':
        shown.display_name = owner.displayName ?? null
        break
      case 'avatar_url':
        shown.avatar_url = owner.avatarUrl ?? null
        break
      case 'akashic_rank':
        shown.akashic_rank = { rank: owner.akashicRank, title: owner.akashicRankTitle }
        break
      case 'active_character':
        shown.active_character = await activeCharacterOf(db, owner.id)
        break
    }
  }
  return {
    user: { id: owner.id, username: owner.username },
    ...(withCode ? { share_code: card.shareCode } : {}),
    headline: card.headline ?? null,
    bio: card.bio ?? null,
    links: card.links,
    shown_fields: fields,
    shown,
    updated_at: isoTimestamp(card.updatedAt),
  }
}

async function ownCard(db: Db, userId: string) {
  const [card] = await db.select().from(userContactCards).where(eq(userContactCards.userId, userId))
  return card
}

/** The caller's card (404 when they have none). */
export async function getOwnCard(db: Db, input: { actor: Identity }) {
  const card = await ownCard(db, input.actor.userId)
  if (!card) throw new ApiError('not_found', 'you have no contact card')
  return cardView(db, card, true)
}

/** Runs `write` with fresh share codes until one is not taken. */
async function withFreshCode<T>(write: (code: string) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write(newShareCode())
    } catch (error) {
      const codeTaken =
        isUniqueViolation(error) && constraintOf(error) === 'user_contact_cards_share_code_key'
      if (attempt >= CODE_ATTEMPTS || !codeTaken) throw error
    }
  }
}

/** Creates or replaces the caller's card; fields left out keep their value (or default). */
export async function putOwnCard(
  db: Db,
  input: {
    actor: Identity
    headline?: string | null
    bio?: string | null
    links?: { label: string; url: string }[]
    shown_fields?: CardField[]
  },
) {
  const me = input.actor.userId
  const changes = {
    headline: input.headline,
    bio: input.bio,
    links: input.links,
    shownFields: input.shown_fields && [...new Set(input.shown_fields)],
  }
  const { card, created } = await withFreshCode(async (code) => {
    const [row] = await db
      .insert(userContactCards)
      .values({ userId: me, shareCode: code, ...changes })
      .onConflictDoUpdate({
        target: userContactCards.userId,
        set: { ...changes, updatedAt: sql`now()` },
      })
      // xmax is 0 on a freshly inserted row version, not on an updated one.
      .returning({ created: sql<boolean>`(xmax = 0)` })
    return { card: await ownCard(db, me), created: row.created }
  })
  return { created, card: await cardView(db, card!, true) }
}

/** Gives the caller's card a new share code; the old one stops working. */
export async function rotateShareCode(db: Db, input: { actor: Identity }) {
  const me = input.actor.userId
  const updated = await withFreshCode((code) =>
    db
      .update(userContactCards)
      .set({ shareCode: code, updatedAt: sql`now()` })
      .where(eq(userContactCards.userId, me))
      .returning(),
  )
  if (updated.length === 0) throw new ApiError('not_found', 'you have no contact card')
  return cardView(db, updated[0], true)
}

/** Deletes the caller's card. */
export async function deleteOwnCard(db: Db, input: { actor: Identity }) {
  const deleted = await db
    .delete(userContactCards)
    .where(eq(userContactCards.userId, input.actor.userId))
    .returning({ userId: userContactCards.userId })
  if (deleted.length === 0) throw new ApiError('not_found', 'you have no contact card')
}

/** The card behind a share code; 404 for an unknown code and between a blocked pair. */
export async function getCardByCode(db: Db, input: { actor: Identity; share_code: string }) {
  const [card] = await db
    .select()
    .from(userContactCards)
    .where(eq(userContactCards.shareCode, input.share_code))
  const notFound = new ApiError('not_found', 'no contact card with that code')
  if (!card) throw notFound
  const me = input.actor.userId
  if (card.userId !== me) {
    const block = await blockBetween(db, me, card.userId)
    if (block.byActor || block.byOther) throw notFound
  }
  return cardView(db, card, card.userId === me)
}
