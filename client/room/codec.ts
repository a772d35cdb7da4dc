/**
 * The room protocol on the wire, in one module: which subprotocol the client offers, how a
 * client frame becomes a WebSocket message and how a server message becomes a typed frame.
 * Everything else in the SDK works on decoded frames, so a new encoding (e.g. a binary
 * movement encoding next to `nexus.v1`) changes this file only.
 *
 * Today: `nexus.v1`, JSON text frames with snake_case keys (durable-objects/instance-room/protocol.ts).
 */
import type { ClientFrame, ServerMessage } from '../../durable-objects/instance-room/protocol'

/** The subprotocol of the room protocol; the access token travels as a second one. */
export const ROOM_SUBPROTOCOL = 'nexus.v1'

/** Prefix of the subprotocol that carries the access token (browsers cannot set headers). */
const BEARER_SUBPROTOCOL_PREFIX = 'bearer.'

/** The subprotocols to offer for a connection authenticated by `accessToken`. */
export function subprotocolsFor(accessToken: string): string[] {
  return [ROOM_SUBPROTOCOL, `${BEARER_SUBPROTOCOL_PREFIX}${accessToken}`]
}

/** A WebSocket message as the runtimes hand it over (browsers, `ws`, workerd). */
export type WireData = string | ArrayBuffer | ArrayBufferView | { toString(): string }

/** A client frame as the message to send. */
export function encodeClientFrame(frame: ClientFrame): string {
  return JSON.stringify(frame)
}

/** A server message as a typed frame; throws on a message that is not a frame. */
export function decodeServerMessage(data: WireData): ServerMessage {
  const message = JSON.parse(textOf(data)) as ServerMessage
  if (typeof message !== 'object' || message === null || typeof message.type !== 'string') {
    throw new Error('not a room frame')
  }
  return message
}

const BATCH_PREFIX = '{"type":"batch","seq":'

/**
 * The seq of a `batch` message without decoding it, or null for any other message. For clients
 * that must stay light (a load generator reading a quarter of a million updates a second): the
 * room writes every batch as `{"type":"batch","seq":N,...` (instance-room/fanout.ts).
 */
export function peekBatchSeq(data: WireData): number | null {
  const text = textOf(data)
  if (!text.startsWith(BATCH_PREFIX)) return null
  let seq = 0
  for (let i = BATCH_PREFIX.length; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return i === BATCH_PREFIX.length ? null : seq
    seq = seq * 10 + digit
  }
  return null
}

const utf8 = new TextDecoder()

/** The text of a message (the room sends text frames only). */
export function textOf(data: WireData): string {
  if (typeof data === 'string') return data
  if (data instanceof ArrayBuffer) return utf8.decode(data)
  if (ArrayBuffer.isView(data)) return utf8.decode(data)
  return data.toString()
}
