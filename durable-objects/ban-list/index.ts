/**
 * BanList: one Durable Object (named `global`) holding the accounts banned now, with a version
 * that changes on every change. Workers ask it at most once per `BAN_LIST_TTL_MS` per isolate
 * (`functions/lib/bans.ts`), passing the version they hold; an unchanged list costs a version
 * compare and no payload. Postgres (`user_sanctions`, `moderation_actions`) stays the record;
 * this object is what every request can afford to consult.
 *
 * Storage: the table `bans` (user id, end in epoch ms or NULL for permanent) and the version in
 * the key/value store, so an eviction forgets nothing. Expired bans are dropped when read.
 */
import { DurableObject } from 'cloudflare:workers'

/** One banned account: its user id and when the ban ends (epoch ms), null when permanent. */
export type BanEntry = [userId: string, untilMs: number | null]

/** The answer to `snapshot`: the version, and the list unless the caller holds that version. */
export interface BanListSnapshot {
  version: number
  /** Null when the caller's version is current. */
  bans: BanEntry[] | null
}

const VERSION_KEY = 'version'

/** The BanList Durable Object (RPC only). */
export class BanList extends DurableObject {
  private readonly bans = new Map<string, number | null>()
  private version = 0

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never)
    ctx.storage.sql.exec(
      'CREATE TABLE IF NOT EXISTS bans (user_id TEXT PRIMARY KEY, until_ms INTEGER)',
    )
    for (const row of ctx.storage.sql.exec<{ user_id: string; until_ms: number | null }>(
      'SELECT user_id, until_ms FROM bans',
    )) {
      this.bans.set(row.user_id, row.until_ms)
    }
    ctx.blockConcurrencyWhile(async () => {
      this.version = (await ctx.storage.get<number>(VERSION_KEY)) ?? 0
    })
  }

  /** The bans in force, or only the version when the caller already holds it. */
  snapshot(knownVersion: number): BanListSnapshot {
    if (knownVersion === this.version) return { version: this.version, bans: null }
    const now = Date.now()
    const bans: BanEntry[] = []
    for (const [userId, untilMs] of this.bans) {
      if (untilMs !== null && untilMs <= now) {
        this.bans.delete(userId)
        this.ctx.storage.sql.exec('DELETE FROM bans WHERE user_id = ?', userId)
      } else {
        bans.push([userId, untilMs])
      }
    }
    return { version: this.version, bans }
  }

  /** Bans `userId` until `untilMs` (null: permanently); answers the new version. */
  async ban(userId: string, untilMs: number | null): Promise<number> {
    this.bans.set(userId, untilMs)
    this.ctx.storage.sql.exec(
      'INSERT OR REPLACE INTO bans (user_id, until_ms) VALUES (?, ?)',
      userId,
      untilMs,
    )
    return this.bump()
  }

  /** Lifts `userId`'s ban; answers the new version. */
  async lift(userId: string): Promise<number> {
    this.bans.delete(userId)
    this.ctx.storage.sql.exec('DELETE FROM bans WHERE user_id = ?', userId)
    return this.bump()
  }

  /** Replaces the whole list (the scheduled repair from Postgres); answers the new version. */
  async replaceAll(bans: BanEntry[]): Promise<number> {
    const next = new Map(bans)
    const same =
      next.size === this.bans.size &&
      [...next].every(([userId, until]) => this.bans.has(userId) && this.bans.get(userId) === until)
    if (same) return this.version
    this.bans.clear()
    this.ctx.storage.sql.exec('DELETE FROM bans')
    for (const [userId, untilMs] of next) {
      this.bans.set(userId, untilMs)
      this.ctx.storage.sql.exec(
        'INSERT INTO bans (user_id, until_ms) VALUES (?, ?)',
        userId,
        untilMs,
      )
    }
    return this.bump()
  }

  private async bump(): Promise<number> {
    this.version += 1
    await this.ctx.storage.put(VERSION_KEY, this.version)
    return this.version
  }
}
