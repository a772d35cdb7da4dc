/**
 * The InstanceRoom WebSocket protocol: zod schemas for client frames, TypeScript types for server
 * frames. JSON text frames only, with snake_case keys like the rest of the API. Shapes mirror the
 * seed's JSONB (`user_states.position`, `velocity`, `rotation`; `instances.metadata.environment`)
 * so states sync to Postgres unchanged.
 *
 * Every client object is strict: an unknown key rejects the whole frame, so a client can never
 * smuggle server-owned fields (e.g. `last_changed_by`) through to storage or other players.
 */
import { z } from 'zod'
import { parseJsonFrame, type FrameErrorCode, type ParsedFrame } from '../core/frames'
import {
  MAX_CHAT_CHARS,
  MAX_COORDINATE_METERS,
  MAX_FRAME_BYTES,
  MAX_VELOCITY_METERS_PER_SECOND,
  QUATERNION_NORM_TOLERANCE,
} from './config'
import type { BuildingChange, BuildingSnapshot } from './buildings'
import type { CompanionBody, CompanionSnapshot, RoomCompanion } from './companion-wire'
import type { RoomCharacter } from './notices'
import type { TradeChange, TradeSnapshot } from './trades'
import { readClientMove, WireError, type MoverRecord } from './wire'
import type { Zone } from './zones'

// zod v4's z.number() already rejects NaN and ±Infinity; the bounds keep magnitudes sane too.
/**
 * Rounds to a fixed step. Movement is quantized as it is accepted (millimetres, mm/s, 1e-4 of a
 * quaternion component): far below what a player can see, and it keeps every relayed number
 * short, which matters when a room fans out a quarter of a million updates a second.
 */
const quantized = (step: number) => (value: number) => Math.round(value / step) * step
/** Metres, rounded to the millimetre. */
export const POSITION_STEP_METERS = 0.001
/** Quaternion components, rounded to this step (norm error stays far below the tolerance). */
export const ROTATION_STEP = 0.0001

const coordinate = z
  .number()
  .min(-MAX_COORDINATE_METERS)
  .max(MAX_COORDINATE_METERS)
  .transform((v) => Number(quantized(POSITION_STEP_METERS)(v).toFixed(3)))
const velocityComponent = z
  .number()
  .min(-MAX_VELOCITY_METERS_PER_SECOND)
  .max(MAX_VELOCITY_METERS_PER_SECOND)
  .transform((v) => Number(quantized(POSITION_STEP_METERS)(v).toFixed(3)))
const quaternionComponent = z
  .number()
  .min(-1 - QUATERNION_NORM_TOLERANCE)
  .max(1 + QUATERNION_NORM_TOLERANCE)
  .transform((v) => Number(quantized(ROTATION_STEP)(v).toFixed(4)))

/** Lowercase identifier used for presets and emote names, e.g. `sunset`, `wave`. */
const slug = z.string().regex(/^[a-z0-9_]{1,32}$/, 'expected 1–32 characters of a-z, 0-9 or _')

/**
 * `user_states.position`: x, y, z in meters plus the seed's two optional "future" keys
 * (`terrain_altitude`, `relative_to` for moving platforms), accepted so clients can start sending
 * them without a protocol change.
 */
export const positionSchema = z.strictObject({
  x: coordinate,
  y: coordinate,
  z: coordinate,
  terrain_altitude: coordinate.optional(),
  relative_to: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected an id of 1–64 characters')
    .optional(),
})

/** `user_states.velocity`: meters per second along x, y, z. */
export const velocitySchema = z.strictObject({
  x: velocityComponent,
  y: velocityComponent,
  z: velocityComponent,
})

/** `user_states.rotation`: a unit quaternion `{ x, y, z, w }` (seed default `{0,0,0,1}`). */
export const rotationSchema = z
  .strictObject({
    x: quaternionComponent,
    y: quaternionComponent,
    z: quaternionComponent,
    w: quaternionComponent,
  })
  .refine(
    ({ x, y, z, w }) => Math.abs(Math.hypot(x, y, z, w) - 1) <= QUATERNION_NORM_TOLERANCE,
    'rotation must be a unit quaternion',
  )

/** `user_states.activity_state` values; the seed ties them to update frequency. */
export const activitySchema = z.enum(['idle', 'moving', 'interacting'])

/** Where a chat message is delivered: the sender's area of interest, or the whole instance. */
export const chatScopeSchema = z.enum(['zone', 'instance'])

/**
 * Weather states. The seed shows only `clear`; the rest is a small closed set because weather
 * drives client effects that must exist for every value.
 */
export const weatherSchema = z.enum(['clear', 'cloudy', 'overcast', 'rain', 'storm', 'snow', 'fog'])

/**
 * The player-settable part of `instances.metadata.environment`. The seed gives one example per key
 * (`sunset`, `18:30`, `clear`, `warm`) and no list, so sky presets and lighting moods are open
 * slugs (they name client-side assets), time of day is 24-hour `HH:MM`, weather is an enum.
 */
export const environmentSettingsSchema = z.strictObject({
  sky_preset: slug.optional(),
  time_of_day: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected 24-hour HH:MM')
    .optional(),
  weather: weatherSchema.optional(),
  lighting_mood: slug.optional(),
})

// Trimmed first, so the length limits apply to what other players will see.
const chatText = z
  .string()
  .trim()
  .min(1, 'chat text is empty')
  .refine((text) => countCodePoints(text) <= MAX_CHAT_CHARS, {
    message: `chat text is longer than ${MAX_CHAT_CHARS} characters`,
  })
  // Postgres TEXT cannot hold U+0000; accepting it would make the chat sync fail on every retry.
  .refine((text) => !text.includes('\u0000'), { message: 'chat text contains a NUL character' })

/** `hello`: first frame of a connection; `last_seq` asks to resume after that batch. */
export const helloFrameSchema = z.strictObject({
  type: z.literal('hello'),
  last_seq: z.int().min(0).optional(),
})

/** `move`: the sender's full movement state, sent at most once per tick. */
export const moveFrameSchema = z.strictObject({
  type: z.literal('move'),
  position: positionSchema,
  velocity: velocitySchema,
  rotation: rotationSchema,
  activity: activitySchema,
})

/** `chat`: a text message (`chat_messages.message_type = 'text'`). */
export const chatFrameSchema = z.strictObject({
  type: z.literal('chat'),
  text: chatText,
  scope: chatScopeSchema,
})

/** `emote`: a named animation (`chat_messages.message_type = 'emote'`). */
export const emoteFrameSchema = z.strictObject({
  type: z.literal('emote'),
  name: slug,
})

/** `env.set`: change some of the environment; needs `can_change_environment` in the room. */
export const envSetFrameSchema = z.strictObject({
  type: z.literal('env.set'),
  environment: environmentSettingsSchema.refine(
    (settings) => Object.values(settings).some((value) => value !== undefined),
    'environment must set at least one of sky_preset, time_of_day, weather, lighting_mood',
  ),
})

/** `ping`: application-level keepalive / latency probe, answered with `pong`. */
export const pingFrameSchema = z.strictObject({ type: z.literal('ping') })

/** Every frame a client may send, discriminated on `type`. */
export const clientFrameSchema = z.discriminatedUnion('type', [
  helloFrameSchema,
  moveFrameSchema,
  chatFrameSchema,
  emoteFrameSchema,
  envSetFrameSchema,
  pingFrameSchema,
])

/** A validated client frame; handle it with an exhaustive `switch (frame.type)`. */
export type ClientFrame = z.infer<typeof clientFrameSchema>
/** A client frame's `type`. */
export type ClientFrameType = ClientFrame['type']
/** A validated `hello` frame. */
export type HelloFrame = z.infer<typeof helloFrameSchema>
/** A validated `move` frame. */
export type MoveFrame = z.infer<typeof moveFrameSchema>
/** A validated `chat` frame (text already trimmed). */
export type ChatFrame = z.infer<typeof chatFrameSchema>
/** A validated `emote` frame. */
export type EmoteFrame = z.infer<typeof emoteFrameSchema>
/** A validated `env.set` frame. */
export type EnvSetFrame = z.infer<typeof envSetFrameSchema>
/** A validated `ping` frame. */
export type PingFrame = z.infer<typeof pingFrameSchema>

/** Mirrors `user_states.position`. */
export type Position = z.infer<typeof positionSchema>
/** Mirrors `user_states.velocity`. */
export type Velocity = z.infer<typeof velocitySchema>
/** Mirrors `user_states.rotation`. */
export type Rotation = z.infer<typeof rotationSchema>
/** Mirrors `user_states.activity_state`. */
export type Activity = z.infer<typeof activitySchema>
/** Where a chat message goes. */
export type ChatScope = z.infer<typeof chatScopeSchema>
/** The settable environment keys. */
export type EnvironmentSettings = z.infer<typeof environmentSettingsSchema>

/** `instances.metadata.environment`: the settings plus who changed them last and when. */
export type InstanceEnvironment = EnvironmentSettings & {
  /** User id (or deity name, as in the seed's example) of the last change. */
  last_changed_by?: string
  /** Epoch milliseconds of the last change (the seed stores a number). */
  last_changed_at?: number
}

// One schema per stored key, so each key is validated on its own.
const storedEnvironmentKeySchemas: Record<keyof InstanceEnvironment, z.ZodType> = {
  ...environmentSettingsSchema.shape,
  last_changed_by: z.string().max(128),
  last_changed_at: z.number(),
}

/**
 * Reads `instances.metadata.environment`, keeping each valid key and dropping invalid ones, so a
 * single bad value written by an older service does not blank the whole environment.
 */
export function parseInstanceEnvironment(metadata: unknown): InstanceEnvironment {
  if (typeof metadata !== 'object' || metadata === null) return {}
  const stored: unknown = (metadata as { environment?: unknown }).environment
  if (typeof stored !== 'object' || stored === null) return {}
  const environment: Record<string, unknown> = {}
  for (const [key, schema] of Object.entries(storedEnvironmentKeySchemas)) {
    const value = (stored as Record<string, unknown>)[key]
    if (value !== undefined && schema.safeParse(value).success) environment[key] = value
  }
  return environment as InstanceEnvironment
}

/** Why a client frame was rejected. */
export type ClientFrameErrorCode = FrameErrorCode

/** Outcome of parseClientFrame. */
export type ParseClientFrameResult = ParsedFrame<ClientFrame>

/**
 * Parses one raw WebSocket message. Size is checked before anything else (UTF-8 bytes against
 * MAX_FRAME_BYTES), then UTF-8 and JSON, then the schema. Never throws.
 */
export function parseClientFrame(raw: string | ArrayBuffer): ParseClientFrameResult {
  return parseJsonFrame(raw, clientFrameSchema, MAX_FRAME_BYTES)
}

/**
 * Parses a `nexus.v2` binary move (wire.ts) into the `move` frame a JSON client would have sent:
 * a part the frame leaves out keeps the player's `current` value, and the result passes the same
 * schema (bounds, quantization, unit quaternion) as a JSON move. Never throws.
 */
export function parseBinaryMove(
  raw: ArrayBuffer,
  current: { velocity: Velocity; rotation: Rotation },
): ParseClientFrameResult {
  if (raw.byteLength > MAX_FRAME_BYTES) {
    return {
      ok: false,
      code: 'frame_too_large',
      message: `frame is larger than ${MAX_FRAME_BYTES} bytes`,
    }
  }
  let move: MoverRecord
  try {
    move = readClientMove(new Uint8Array(raw))
  } catch (error) {
    const message = error instanceof WireError ? error.message : 'unreadable binary frame'
    return { ok: false, code: 'invalid_frame', message: `binary move: ${message}` }
  }
  const parsed = moveFrameSchema.safeParse({
    type: 'move',
    position: move.position,
    velocity: move.velocity ?? current.velocity,
    rotation: move.rotation ?? current.rotation,
    activity: move.activity,
  })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return {
      ok: false,
      code: 'invalid_frame',
      message: `${issue.path.join('.')}: ${issue.message}`,
    }
  }
  return { ok: true, frame: parsed.data }
}

function countCodePoints(text: string): number {
  let count = 0
  for (const _ of text) count++
  return count
}

/** A player as other players see them. */
export interface PlayerSnapshot {
  user_id: string
  /**
   * The player's short number in this room while connected (1–65535), which `nexus.v2` mover
   * records use instead of the user id; another player may get it after this one leaves.
   */
  number: number
  zone: Zone
  position: Position
  velocity: Velocity
  rotation: Rotation
  activity: Activity
  /** The player's active character, or null. */
  character: RoomCharacter | null
}

/** One event inside a `batch`. */
export type ServerEvent =
  /** A visible player's new movement state. */
  | {
      type: 'move'
      user_id: string
      zone: Zone
      position: Position
      velocity: Velocity
      rotation: Rotation
      activity: Activity
    }
  /** A player came into the receiver's area of interest (crossed a zone line, or joined nearby). */
  | { type: 'enter'; player: PlayerSnapshot }
  /** A player left the receiver's area of interest; drop them from the scene. */
  | { type: 'leave'; user_id: string }
  /** A chat message; `zone` is the sender's zone when it was sent. */
  | {
      type: 'chat'
      message_id: string
      user_id: string
      scope: ChatScope
      zone: Zone
      text: string
      sent_at_ms: number
    }
  /** A visible player played an emote. */
  | { type: 'emote'; user_id: string; name: string }
  /** The instance environment changed; `environment` is the full state after the change. */
  | { type: 'env'; environment: InstanceEnvironment }
  /** A player connected to the instance (an `enter` follows if they are in view). */
  | { type: 'join'; user_id: string }
  /** A player disconnected from the instance. */
  | { type: 'left'; user_id: string }
  /**
   * A building was placed, moved or removed (buildings.ts); apply it when `building.version` is
   * newer than the version held for that building.
   */
  | { type: 'building'; change: BuildingChange; building: BuildingSnapshot }
  /** A visible player changed their active character. */
  | { type: 'character'; user_id: string; character: RoomCharacter | null }
  /**
   * A trade of the receiver's was offered to them, or completed, declined or cancelled by the other
   * party (trades.ts); only the player concerned receives it.
   */
  | { type: 'trade'; change: TradeChange; trade: TradeSnapshot }
  /** A companion came into view (companions.ts): the public minimum of it. */
  | { type: 'companion_enter'; companion: CompanionBody }
  /** Who a companion in view is; never sent between a blocked pair. */
  | {
      type: 'companion_detail'
      companion_id: string
      owner_id: string
      name: string
      appearance: RoomCompanion['appearance']
    }
  /** A companion in view moved (it follows its owner) or changed its behaviour state. */
  | {
      type: 'companion_move'
      companion_id: string
      zone: Zone
      position: Position
      behavior_state: RoomCompanion['behavior_state']
    }
  /** A companion went out of view, or left with its owner. */
  | { type: 'companion_leave'; companion_id: string }

/** A server event's `type`. */
export type ServerEventType = ServerEvent['type']

/** Error codes a client may receive in an `error` frame. */
export type ServerErrorCode =
  | ClientFrameErrorCode
  | 'rate_limited'
  | 'forbidden'
  /** A moderator muted the player; chat and emotes are refused until the mute ends. */
  | 'muted'
  | 'internal'
  /** A move farther than the room's speed limit allows; `position` is where the player stays. */
  | 'implausible_move'

/** First server frame, and the answer to a `hello` that cannot be resumed from the ring. */
export interface WelcomeMessage {
  type: 'welcome'
  session_id: string
  /** The latest batch seq included in this snapshot; resume with `hello { last_seq }`. */
  seq: number
  you: PlayerSnapshot
  /** Players in the receiver's area of interest, excluding the receiver. */
  players: PlayerSnapshot[]
  environment: InstanceEnvironment
  /**
   * The latest version of the instance's buildings the room knows; fetch
   * `GET /v1/instances/:id/buildings` when it is newer than what the client holds (buildings.ts).
   */
  buildings_version: number
  /** Companions in the receiver's area of interest (`detail` null for a blocked pair's). */
  companions: CompanionSnapshot[]
}

/** All events of one tick for one receiver. */
export interface BatchMessage {
  type: 'batch'
  seq: number
  events: ServerEvent[]
}

/** A rejected frame or action; the connection stays open unless a close follows. */
export interface ErrorMessage {
  type: 'error'
  code: ServerErrorCode
  message: string
  /** With `implausible_move`: the player's last accepted position. */
  position?: Position
}

/** Answer to `ping`. */
export interface PongMessage {
  type: 'pong'
  server_time_ms: number
}

/** The instance's area on the ground plane, in metres (zones are its thirds on x and z). */
export interface AreaBoundsSnapshot {
  min_x: number
  max_x: number
  min_z: number
  max_z: number
}

/**
 * First frame of an observer connection (staff watching the room without being in it), and its
 * answer to a `hello` that cannot be resumed. An observer sees every player and every zone: its
 * batches carry all events except the per-player view changes (`leave` for a zone line, and the
 * `enter`/`leave` addressed to one player); a player is gone on `left`.
 */
export interface ObserverWelcomeMessage {
  type: 'observer_welcome'
  session_id: string
  /** The latest batch seq included in this snapshot; resume with `hello { last_seq }`. */
  seq: number
  /** Every connected player. */
  players: PlayerSnapshot[]
  environment: InstanceEnvironment
  bounds: AreaBoundsSnapshot
  /** Every companion in the room. */
  companions: CompanionSnapshot[]
}

/** Every frame the server sends; build them with `satisfies ServerMessage`. */
export type ServerMessage =
  WelcomeMessage | ObserverWelcomeMessage | BatchMessage | ErrorMessage | PongMessage
