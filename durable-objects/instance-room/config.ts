/**
 * Tunables of the InstanceRoom Durable Object, in one place, with units in their names. The
 * sync cadence, the resume ring and the generic close codes are the core's (`../core/config.ts`).
 * Pure constants: safe to import from workerd and from Node tests.
 */

/**
 * Broadcast tick: events collected during one tick go out as one `batch` frame. 25 ms: the tick
 * wait is the largest part of a move's latency, and bench:room measured p50 34–39 ms / p99
 * 66–93 ms at 200 clients in one zone with it, against 56 / 107 ms at 50 ms (README).
 */
export const TICK_MS = 25

/** History a reconnecting client can resume from (the resume ring holds this many ms of ticks). */
export const RESUME_HISTORY_MS = 10_000

/** Largest client frame accepted, measured in UTF-8 bytes before any parsing. */
export const MAX_FRAME_BYTES = 16 * 1024

/** Longest chat message, in Unicode code points after trimming. */
export const MAX_CHAT_CHARS = 500

/** Invalid frames (malformed, unknown type, bad fields) a connection may send before close 1008. */
export const MAX_BAD_FRAMES = 5

/** Sustained rate of client frames per connection: the token bucket's refill rate. */
export const MAX_CLIENT_FRAMES_PER_SECOND = 20

/** Frames a connection may send back to back before the rate limit applies: the bucket's size. */
export const CLIENT_FRAME_BURST = 40

/** Side of the default square instance area, centred on the origin, when metadata names none. */
export const DEFAULT_AREA_METERS = 300

/** Largest absolute x, y or z accepted for a position or for area bounds (100 km). */
export const MAX_COORDINATE_METERS = 100_000

/**
 * Largest absolute velocity component accepted. A sanity bound on the wire format, not a
 * movement-plausibility check (deity flight is fast); anti-teleport logic belongs in the room.
 */
export const MAX_VELOCITY_METERS_PER_SECOND = 1_000

/** Allowed distance of a rotation quaternion's length from 1 (clients send float32 quaternions). */
export const QUATERNION_NORM_TOLERANCE = 0.01

/** WebSocket close code: policy violation (too many bad frames, not allowed in this instance). */
export const CLOSE_POLICY_VIOLATION = 1008

/** WebSocket close code: a frame larger than MAX_FRAME_BYTES. */
export const CLOSE_MESSAGE_TOO_BIG = 1009

/** WebSocket close code (application range): the player left the instance over HTTP. */
export const CLOSE_LEFT_INSTANCE = 4001

/** WebSocket close code (application range): an owner or admin removed the player. */
export const CLOSE_REMOVED = 4003

/** WebSocket close code (application range): the instance was deleted. */
export const CLOSE_INSTANCE_DELETED = 4004

/** WebSocket close code (application range): a moderator banned the player. */
export const CLOSE_BANNED = 4005

/**
 * Players one room serves. Past it a connecting player gets close 4013 `room_full` (the SDK
 * retries with backoff). 500 is what one room carries at 10 Hz on the benchmark machine with
 * p99 under 150 ms (docs/capacity.md); more players need more instances.
 */
export const ROOM_MAX_PLAYERS = 500

/**
 * Back-pressure: when the room's ticks run this late on average, smoothed (a saturated object), new
 * players are refused with `room_full` until it recovers, instead of everyone's latency growing
 * without bound.
 */
export const ROOM_OVERLOAD_LATE_MS = 100

/** WebSocket close code (application range): the room is full or overloaded; try again later. */
export const CLOSE_ROOM_FULL = 4013

/** How long a ban notice refuses the user's new connections (closing the race with an upgrade). */
export const BAN_REFUSAL_MS = 60_000

/** Block partners one connection may carry (the Worker sends only visitors of the instance). */
export const MAX_BLOCK_PARTNERS = 2_000

/** Chat messages the room keeps after they are synced, for the chat history. */
export const CHAT_HISTORY_MESSAGES = 1_000

/** Chat history messages per page when no `limit` is given. */
export const CHAT_PAGE_DEFAULT_MESSAGES = 50

/** Largest chat history `limit`. */
export const CHAT_PAGE_MAX_MESSAGES = 200
