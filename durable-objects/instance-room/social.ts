/**
 * What a live room keeps of blocks and moderation (issue 15), in its storage (tables
 * `block_pairs` and `sanctions`, schema version 4) and mirrored in memory.
 *
 * Block pairs: each connection brings the user's pairs with the instance's visitors, and
 * `block_changed` notices add or remove one pair. Stored symmetrically (a→b and b→a), so the
 * fan-out asks one map per viewer. A pair is kept while either user is present: a player's pairs
 * are dropped when they leave (their next connection brings fresh ones), and a connection only
 * adds pairs, so a block notice that overtakes the connection of a user it concerns is not lost.
 *
 * Sanctions: the mute a connection brings and the mutes and bans of notices, the newest by the
 * sanction's own time (`updated_at_ms`) winning. A ban notice also refuses the user's new
 * connections for `BAN_REFUSAL_MS`: the Worker refuses banned users itself, this only covers an
 * upgrade that passed the Worker's check just before the ban.
 */
import { BAN_REFUSAL_MS } from './config'

interface SanctionState {
  mutedUntilMs: number | null
  banRefusedUntilMs: number | null
  updatedAtMs: number
}

interface SanctionRow extends Record<string, SqlStorageValue> {
  user_id: string
  muted_until_ms: number | null
  ban_refused_until_ms: number | null
  updated_at_ms: number
}

/** Blocks and sanctions of one room. */
export class RoomSocial {
  /** Users each user is in a blocked pair with (symmetric); the fan-out reads it. */
  readonly blockPairs = new Map<string, Set<string>>()
  private readonly sanctions = new Map<string, SanctionState>()

  constructor(private readonly sql: SqlStorage) {
    for (const row of sql.exec<{ user_id: string; other_id: string }>(
      'SELECT user_id, other_id FROM block_pairs',
    )) {
      this.remember(row.user_id, row.other_id)
    }
    for (const row of sql.exec<SanctionRow>('SELECT * FROM sanctions')) {
      this.sanctions.set(row.user_id, {
        mutedUntilMs: row.muted_until_ms,
        banRefusedUntilMs: row.ban_refused_until_ms,
        updatedAtMs: row.updated_at_ms,
      })
    }
  }

  /** Adds the pairs a connection of `userId` brings (never removes: see the file comment). */
  addPairs(userId: string, others: readonly string[]): void {
    for (const other of others) this.setPair(userId, other, true)
  }

  /** Records that `a` and `b` do (or no longer) block each other. */
  setPair(a: string, b: string, blocked: boolean): void {
    if (a === b) return
    if (blocked) {
      if (this.blockPairs.get(a)?.has(b)) return
      this.remember(a, b)
      this.sql.exec(
        'INSERT OR IGNORE INTO block_pairs (user_id, other_id) VALUES (?, ?), (?, ?)',
        a,
        b,
        b,
        a,
      )
    } else {
      this.forget(a, b)
      this.sql.exec(
        'DELETE FROM block_pairs WHERE (user_id = ? AND other_id = ?) OR (user_id = ? AND other_id = ?)',
        a,
        b,
        b,
        a,
      )
    }
  }

  /** `userId` left the room: their pairs go (a later connection brings them again). */
  forgetPairsOf(userId: string): void {
    for (const other of this.blockPairs.get(userId) ?? []) this.forget(userId, other)
    this.blockPairs.delete(userId)
    this.sql.exec('DELETE FROM block_pairs WHERE user_id = ? OR other_id = ?', userId, userId)
  }

  /**
   * Applies a sanction state heard at `updatedAtMs` (from a connection or a notice) unless a newer
   * one was heard already; `banned` starts refusing new connections. Returns whether it applied.
   */
  applySanctions(
    userId: string,
    state: { mutedUntilMs: number | null; banned: boolean; updatedAtMs: number },
    nowMs: number,
  ): boolean {
    const current = this.sanctions.get(userId)
    if (current && current.updatedAtMs > state.updatedAtMs) return false
    const next: SanctionState = {
      mutedUntilMs: state.mutedUntilMs,
      banRefusedUntilMs: state.banned ? nowMs + BAN_REFUSAL_MS : null,
      updatedAtMs: state.updatedAtMs,
    }
    this.sanctions.set(userId, next)
    this.sql.exec(
      `INSERT OR REPLACE INTO sanctions (user_id, muted_until_ms, ban_refused_until_ms, updated_at_ms)
       VALUES (?, ?, ?, ?)`,
      userId,
      next.mutedUntilMs,
      next.banRefusedUntilMs,
      next.updatedAtMs,
    )
    return true
  }

  /** When `userId`'s mute ends, or null when they are not muted at `nowMs`. */
  mutedUntil(userId: string, nowMs: number): number | null {
    const until = this.sanctions.get(userId)?.mutedUntilMs ?? null
    return until !== null && until > nowMs ? until : null
  }

  /** Whether a recent ban notice refuses a new connection of `userId`. */
  refusesConnection(userId: string, nowMs: number): boolean {
    const until = this.sanctions.get(userId)?.banRefusedUntilMs ?? null
    return until !== null && until > nowMs
  }

  private remember(a: string, b: string): void {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ]) {
      const set = this.blockPairs.get(x)
      if (set) set.add(y)
      else this.blockPairs.set(x, new Set([y]))
    }
  }

  private forget(a: string, b: string): void {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ]) {
      const set = this.blockPairs.get(x)
      set?.delete(y)
      if (set?.size === 0) this.blockPairs.delete(x)
    }
  }
}
