/**
 * When a live object writes to Postgres: from its alarm (never `setInterval`, which would keep a
 * hibernating object awake and dies with it), every SYNC_INTERVAL_MS while something changed,
 * at once when the last client leaves, and again with exponential backoff after a failure.
 *
 * The pattern of tldraw's sync worker: changes are counted by dirty versions in the object's own
 * storage, a sync reads what is pending (`collect`, null when nothing changed: the sync is
 * skipped without opening a connection), writes it in one idempotent transaction (`write`) and
 * marks exactly the versions it read (`markSynced`), so a change made during the await stays
 * pending. Syncs are serialized: a second caller waits for the first, then collects again. The
 * failure count is persisted in meta, so the backoff survives an eviction.
 */
import { describeError, log } from '../../functions/lib/logger'
import { SYNC_INTERVAL_MS, SYNC_RETRY_BASE_MS, SYNC_RETRY_MAX_MS } from './config'
import type { MetaStore } from './storage'

/** Result of one sync attempt. */
export type SyncOutcome = 'skipped' | 'synced' | 'failed'

/** What an object supplies to be synced. */
export interface SyncCallbacks<TSnapshot> {
  /** Reads what changed since the last sync, or null when nothing did. */
  collect(): TSnapshot | null
  /** Writes `snapshot` to Postgres in one transaction; must be idempotent; throws on failure. */
  write(snapshot: TSnapshot): Promise<void>
  /** Marks what `snapshot` contained as synced (by the versions `collect` read). */
  markSynced(snapshot: TSnapshot): void
  /** Fields that identify the object in log lines (e.g. `{ instanceId }`). */
  logFields(): Record<string, unknown>
}

/** Meta key of the consecutive failure count. */
const FAILURES_KEY = 'sync_failures'

/** The delay before retry number `failures` (1, 2, …): doubling from the base, capped. */
export function retryDelayMs(failures: number): number {
  return Math.min(SYNC_RETRY_BASE_MS * 2 ** (Math.max(1, failures) - 1), SYNC_RETRY_MAX_MS)
}

/** Schedules and runs an object's Postgres syncs. */
export class SyncScheduler<TSnapshot> {
  private inFlight: Promise<SyncOutcome> | null = null
  /** An alarm is known to be set, so a change need not ask storage again (hot path). */
  private alarmKnownScheduled = false

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly meta: MetaStore,
    private readonly callbacks: SyncCallbacks<TSnapshot>,
  ) {}

  /** Consecutive failed syncs (0 after a success). */
  get failures(): number {
    return this.meta.getNumber(FAILURES_KEY)
  }

  /**
   * Something changed: make sure an alarm will sync it within SYNC_INTERVAL_MS. An alarm set
   * later than that by the object for its own deadlines (a quest's time limit) is brought
   * forward; the object's `alarm()` re-arms its deadline after the sync.
   */
  async schedule(): Promise<void> {
    if (this.alarmKnownScheduled) return
    this.alarmKnownScheduled = true
    const due = Date.now() + SYNC_INTERVAL_MS
    const current = await this.storage.getAlarm()
    // A later alarm during a backoff is the backoff itself: it is kept.
    if (current === null || (current > due && this.failures === 0)) {
      await this.storage.setAlarm(due)
    }
  }

  /** The object's `alarm()`: sync, then retry with backoff, or schedule what is still pending. */
  async onAlarm(): Promise<void> {
    this.alarmKnownScheduled = false
    await this.afterSync(await this.sync())
  }

  /** Syncs now (the last client left) and then re-checks, as the alarm does. */
  async flush(): Promise<SyncOutcome> {
    const outcome = await this.sync()
    // Re-check after the await: someone may have joined, or more changed, meanwhile.
    await this.afterSync(outcome)
    return outcome
  }

  /**
   * One serialized sync. On failure nothing is marked, so the next attempt sends the same
   * changes (plus newer ones) again.
   */
  async sync(): Promise<SyncOutcome> {
    while (this.inFlight !== null) await this.inFlight
    const run = this.run()
    this.inFlight = run
    try {
      return await run
    } finally {
      this.inFlight = null
    }
  }

  private async run(): Promise<SyncOutcome> {
    const snapshot = this.callbacks.collect()
    if (snapshot === null) return 'skipped'
    try {
      await this.callbacks.write(snapshot)
    } catch (error) {
      const failures = this.failures + 1
      this.meta.setNumber(FAILURES_KEY, failures)
      log('error', 'live object sync failed', {
        ...this.callbacks.logFields(),
        failures,
        ...describeError(error),
      })
      return 'failed'
    }
    this.callbacks.markSynced(snapshot)
    if (this.failures !== 0) this.meta.setNumber(FAILURES_KEY, 0)
    return 'synced'
  }

  private async afterSync(outcome: SyncOutcome): Promise<void> {
    if (outcome === 'failed') {
      this.alarmKnownScheduled = true
      await this.storage.setAlarm(Date.now() + retryDelayMs(this.failures))
    } else if (this.callbacks.collect() !== null) {
      await this.schedule()
    }
  }
}
