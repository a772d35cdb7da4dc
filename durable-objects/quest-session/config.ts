/**
 * Tunables of the QuestSession Durable Object, with units in their names. The sync cadence, the
 * resume ring and the generic close codes are the core's (`../core/config.ts`).
 * Pure constants: safe to import from workerd and from Node tests.
 */

/** Broadcast tick: a session's events go out as one `batch` per client per tick. */
export const QUEST_TICK_MS = 50

/** Largest client frame accepted, in UTF-8 bytes before any parsing. */
export const MAX_QUEST_FRAME_BYTES = 4 * 1024

/** Invalid frames (malformed, unknown type, bad fields) a connection may send before close 1008. */
export const MAX_BAD_QUEST_FRAMES = 10

/** A session whose participants have all been disconnected this long is abandoned. */
export const ABANDON_AFTER_DISCONNECTED_MS = 5 * 60_000

/** Speed limit of a quest that names none (m/s): a fast run, not a vehicle. */
export const DEFAULT_QUEST_MAX_SPEED_MPS = 15

/** How close a player must be to collect an object or interact with a target, when not given. */
export const DEFAULT_REACH_METERS = 3

/** Wrong answers a quiz objective accepts (over all participants) when not given. */
export const DEFAULT_ANSWER_ATTEMPTS = 3

/** Points an objective is worth when not given. */
export const DEFAULT_OBJECTIVE_POINTS = 100

/** Largest `max_participants` a quest may declare. */
export const MAX_PARTICIPANTS_LIMIT = 50

/** Objectives one quest may hold. */
export const MAX_OBJECTIVES = 50

/** Objects one `collect_items` objective may place. */
export const MAX_OBJECTS_PER_OBJECTIVE = 200

/** Largest serialized `quest_data`, in bytes. */
export const MAX_QUEST_DATA_BYTES = 64 * 1024

/** WebSocket close code (application range): the user left the session over HTTP. */
export const CLOSE_LEFT_SESSION = 4001
