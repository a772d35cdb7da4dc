/**
 * Tunables of the live-object core (every Durable Object built on `LiveObject`), with units in
 * their names. An object's own tunables live in its folder's `config.ts`.
 * Pure constants: safe to import from workerd and from Node tests.
 */

/** Interval between Postgres syncs of an object's changes, run from its alarm. */
export const SYNC_INTERVAL_MS = 30_000

/** First retry delay after a failed Postgres sync; doubles on each consecutive failure. */
export const SYNC_RETRY_BASE_MS = 1_000

/** Ceiling of the sync retry delay, so a long database outage is retried at least once a minute. */
export const SYNC_RETRY_MAX_MS = 60_000

/** Batches kept for resuming clients; at one batch per 50 ms tick, 200 ≈ 10 s of history. */
export const RESUME_RING_BATCHES = 200

/** WebSocket close code: normal closure. */
export const CLOSE_NORMAL = 1000

/** WebSocket close code: the object failed while handling this socket; the client may reconnect. */
export const CLOSE_INTERNAL_ERROR = 1011

/**
 * Movement plausibility (`movement.ts`): seconds of travel at the speed limit a player may cover
 * at once, so moves bunched by network jitter are not refused; sustained speed stays at the limit.
 */
export const MOVEMENT_BURST_SECONDS = 1

/** Slack added to every movement budget for quantized coordinates (millimetres on three axes). */
export const MOVEMENT_SLACK_METERS = 0.01
