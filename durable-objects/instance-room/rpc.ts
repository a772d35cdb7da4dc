/**
 * The InstanceRoom's contract with the Worker (its gateway, `functions/instances/room-gateway.ts`):
 * the WebSocket upgrade request, and the arguments and results of its RPC methods. snake_case
 * keys, like every other boundary of the API.
 */
import { z } from 'zod'
import type { TickStats } from '../core/live-object'
import type { ChatScope, Position, Activity } from './protocol'
import { roomCharacterSchema, roomPermissionsSchema, type RoomCharacter } from './notices'
import { MAX_BLOCK_PARTNERS } from './config'
import {
  MAX_ROOM_COMPANIONS_PER_OWNER,
  roomCompanionSchema,
  type PresentCompanion,
} from './companion-wire'
import { PROTOCOL_V1, PROTOCOL_V2 } from './wire'
import type { Zone } from './zones'

/** The upgrade request's header carrying `RoomConnection` as JSON. */
export const ROOM_CONNECTION_HEADER = 'X-Nexus-Connection'

/**
 * Who connects, as the Worker authorized them. The room trusts it: only the Worker can reach the
 * room, and the token stays in the Worker.
 */
export const roomConnectionSchema = z.strictObject({
  instance_id: z.uuid(),
  user_id: z.uuid(),
  username: z.string().min(1).max(64),
  permissions: roomPermissionsSchema,
  /**
   * `observer`: staff watching the room read-only, not a player (no presence, no events about
   * them, may only send `hello` and `ping`). Absent means `player`.
   */
  role: z.enum(['player', 'observer']).optional(),
  /** The subprotocol the Worker selected (wire.ts); absent means `nexus.v1`. */
  protocol: z.enum([PROTOCOL_V1, PROTOCOL_V2]).optional(),
  /** The instance's readable metadata (area bounds, environment seed). */
  metadata: z.record(z.string(), z.unknown()),
  /** The version of the instance's buildings in Postgres at connect (buildings.ts). */
  buildings_version: z.int().min(0).optional(),

  /** Visitors of the instance the user blocks or is blocked by (functions/social/blocks.ts). */
  blocked_user_ids: z.array(z.uuid()).max(MAX_BLOCK_PARTNERS).default([]),
  /** Epoch ms the user's chat mute ends; null when not muted. */
  muted_until_ms: z.int().nullable().default(null),
  /** When the user's sanctions last changed (epoch ms), to order this against notices. */
  sanctions_updated_at_ms: z.int().default(0),
  /** The user's active character. */
  character: roomCharacterSchema.nullable().default(null),

  /** The user's awake companions, who come in with them (companions.ts). */
  companions: z.array(roomCompanionSchema).max(MAX_ROOM_COMPANIONS_PER_OWNER).default([]),
})

/** A connection request (fields with defaults may be left out). */
export type RoomConnection = z.input<typeof roomConnectionSchema>

/** A connected player in the presence list. */
export interface PresentPlayer {
  user_id: string
  username: string
  zone: Zone
  position: Position
  activity: Activity
  character: RoomCharacter | null
}

/** Who is in the room now. */
export interface RoomPresence {
  /** The instance this room belongs to; null while nobody ever connected. */
  instance_id: string | null
  players: PresentPlayer[]
  /** The companions present with their owners. */
  companions: PresentCompanion[]
}

/** Which page of chat history to read, newest first. */
export interface ChatHistoryQuery {
  limit: number
  /** Only messages older than this room seq (the position of the previous page's last item). */
  before_seq?: number
  /** Only messages sent before this time (epoch milliseconds). */
  before_ms?: number
}

/** A chat message or emote of the room's history. */
export interface ChatHistoryItem {
  message_id: string
  user_id: string
  username: string
  message_type: 'text' | 'emote'
  scope: ChatScope
  zone: Zone
  text: string
  /** ISO 8601. */
  sent_at: string
  /** Already written to Postgres (`chat_messages`). */
  synced: boolean
}

/** One page of chat history; `next_before_seq` is null on the last page. */
export interface ChatHistorySlice {
  items: ChatHistoryItem[]
  next_before_seq: number | null
}

/** How the room is doing (`roomLoad` RPC): who is connected and how its ticks are going. */
export interface RoomLoad extends TickStats {
  players: number
  sockets: number
  /** New players are being refused with `room_full`. */
  refusing_players: boolean
}
