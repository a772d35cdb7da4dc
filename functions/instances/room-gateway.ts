/**
 * The Worker's one way to the InstanceRoom objects: every call from the Worker to a room goes
 * through here (the WebSocket upgrade by `fetch`, everything else by RPC).
 *
 * - A room is named only by a canonical instance id (a lower-case UUID), so one instance never
 *   has two live rooms; anything else is a programming error and throws.
 * - A room that cannot be reached, or throws, is `503 service_unavailable` (and a log line).
 * - A room's refusal carries a code of the closed set (`ERROR_STATUS`) and is re-thrown as
 *   `ApiError`, so the client sees the Worker's envelope with its request id.
 * - Notices follow a change that has already committed in Postgres: the change stands when the
 *   room cannot be told, so a failed notice is logged, never thrown.
 */
import type { Context } from 'hono'
import type { Answer } from '../../durable-objects/core/refusal'
import type { AcceptedPosition, InstanceRoom } from '../../durable-objects/instance-room'
import type { RoomNotice } from '../../durable-objects/instance-room/notices'
import {
  ROOM_CONNECTION_HEADER,
  type ChatHistoryItem,
  type ChatHistorySlice,
  type RoomConnection,
  type RoomPresence,
} from '../../durable-objects/instance-room/rpc'
import { CHAT_PAGE_DEFAULT_MESSAGES } from '../../durable-objects/instance-room/config'
import type { AppEnv } from '../lib/context'
import { LiveObjectGateway, type ObjectNamespace } from '../lib/live-object-gateway'
import { createLogger, describeError, type Logger } from '../lib/logger'
import { encodeCursor } from '../lib/pagination'
import type { ChatCursor } from './schemas'

/** Chat history as the API answers it. */
export interface ChatHistoryPage {
  items: ChatHistoryItem[]
  /** Pass back as `?cursor=` for the next (older) page; null on the last page. */
  next_cursor: string | null
}

/** What the Worker asks for chat history (from `ChatQuerySchema`). */
export interface ChatHistoryRequest {
  limit?: number
  /** A previous page's `next_cursor`, decoded by `ChatQuerySchema`. */
  cursor?: ChatCursor
  /** Only messages sent before this ISO 8601 time. */
  before?: string
}

/** Who connects, as the Worker authorized them (the instance id is the gateway's). */
export type RoomConnectionRequest = Omit<RoomConnection, 'instance_id'>

/** The namespace of the rooms: `INSTANCE_ROOM`, or in tests that of a fault-injecting subclass. */
export type RoomNamespace = ObjectNamespace<InstanceRoom>

/** The gateway of one request (or one test): InstanceRoom calls with the Worker's error model. */
export class RoomGateway extends LiveObjectGateway<InstanceRoom> {
  constructor(rooms: RoomNamespace, logger: Logger = createLogger()) {
    super(
      rooms,
      {
        unavailableLog: 'instance room unavailable',
        idField: 'instance_id',
        unavailableMessage: 'the live room is unavailable; try again shortly',
      },
      logger,
    )
  }

  /** Who is in the live room of `instanceId` now. */
  async presence(instanceId: string): Promise<RoomPresence & { instance_id: string }> {
    const presence = await this.call(instanceId, 'presence', (room) => room.presence())
    // A room nobody entered yet does not know its instance; it is the one it is named after.
    return {
      instance_id: presence.instance_id ?? instanceId,
      players: presence.players,
      companions: presence.companions ?? [],
    }
  }

  /**
   * Where the room last accepted `userId` (null for a player who never entered): the positions a
   * quest session running in this instance trusts.
   */
  async acceptedPosition(instanceId: string, userId: string): Promise<AcceptedPosition | null> {
    return this.call(instanceId, 'acceptedPosition', (room) => room.acceptedPosition(userId))
  }

  /** A page of the room's chat history, newest first. */
  async chatHistory(instanceId: string, request: ChatHistoryRequest): Promise<ChatHistoryPage> {
    const after = request.cursor
    const answer = await this.call<Answer<ChatHistorySlice>>(instanceId, 'chatHistory', (room) =>
      room.chatHistory({
        limit: request.limit ?? CHAT_PAGE_DEFAULT_MESSAGES,
        before_seq: after?.seq,
        before_ms: request.before === undefined ? undefined : Date.parse(request.before),
      }),
    )
    const slice = this.unwrap(instanceId, 'chatHistory', answer)
    return {
      items: slice.items,
      next_cursor:
        slice.next_before_seq === null ? null : encodeCursor({ seq: slice.next_before_seq }),
    }
  }

  /** One chat message or emote still held by the room (for reports), or null. */
  async chatMessage(instanceId: string, messageId: string): Promise<ChatHistoryItem | null> {
    return this.call(instanceId, 'chatMessage', (room) => room.chatMessage(messageId))
  }

  /** Tells the live room about a committed change; logs (never throws) when it cannot. */
  async notify(instanceId: string, notice: RoomNotice): Promise<void> {
    const room = this.stubOf(instanceId)
    try {
      const answer = await room.applyNotice(notice)
      if (!answer.ok) throw new Error(`refused: ${answer.error.code}: ${answer.error.message}`)
    } catch (error) {
      this.logger.warn('room notice failed', {
        instance_id: instanceId,
        notice: notice.type,
        ...describeError(error),
      })
    }
  }

  /**
   * Asks the room to apply a request it may refuse (`environment_command`): resolves when applied,
   * throws the room's refusal as `ApiError` (or 503 when the room cannot be reached).
   */
  async command(instanceId: string, notice: RoomNotice): Promise<void> {
    await this.answer(instanceId, 'applyNotice', (room) => room.applyNotice(notice))
  }

  /** Opens a WebSocket on the room for an authorized user; returns the client end. */
  async connect(instanceId: string, connection: RoomConnectionRequest): Promise<WebSocket> {
    const body: RoomConnection = { instance_id: instanceId, ...connection }
    return this.upgrade(instanceId, 'https://room/connect', {
      [ROOM_CONNECTION_HEADER]: JSON.stringify(body),
    })
  }
}

/** The gateway for the request of `c`. */
export function roomGateway(c: Context<AppEnv>): RoomGateway {
  return new RoomGateway(c.env.INSTANCE_ROOM, c.var.log)
}
