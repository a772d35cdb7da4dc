/**
 * The room protocol on the wire, in one module: which subprotocols the client offers, how a
 * client frame becomes a WebSocket message and how a server message becomes a typed frame.
 * Everything else in the SDK works on decoded frames (the `nexus.v1` shapes), whichever
 * encoding the connection speaks.
 *
 * - `nexus.v1`: JSON text frames with snake_case keys (durable-objects/instance-room/protocol.ts).
 * - `nexus.v2` (docs/protocol-v2.md): batches are binary frames whose moves are compact mover
 *   records naming players by their per-room number; a client's moves are binary too; every
 *   other frame is the same JSON as v1. A `RoomCodec` keeps what decoding v2 needs: the number
 *   of each player in view (from `welcome` and `enter`) and their last velocity, rotation and
 *   zone (a record carries them only when they change).
 */
import type {
  BatchMessage,
  ClientFrame,
  PlayerSnapshot,
  Rotation,
  ServerEvent,
  ServerMessage,
  Velocity,
} from '../../durable-objects/instance-room/protocol'
import {
  encodeClientMove,
  MAX_MOVER_NUMBER,
  peekBinarySeq,
  PROTOCOL_V1,
  PROTOCOL_V2,
  readBatchFrame,
  type MoverRecord,
  type RoomProtocol,
} from '../../durable-objects/instance-room/wire'
import type { Zone } from '../../durable-objects/instance-room/zones'

export { PROTOCOL_V1, PROTOCOL_V2, type RoomProtocol }

/** The JSON subprotocol (kept for callers of the first SDK). */
export const ROOM_SUBPROTOCOL = PROTOCOL_V1

/** Prefix of the subprotocol that carries the access token (browsers cannot set headers). */
const BEARER_SUBPROTOCOL_PREFIX = 'bearer.'

/**
 * The subprotocols to offer for a connection authenticated by `accessToken`: with `nexus.v2`,
 * both encodings (the server picks v2; an older server picks v1), then the token.
 */
export function subprotocolsFor(
  accessToken: string,
  protocol: RoomProtocol = PROTOCOL_V2,
): string[] {
  const offered = protocol === PROTOCOL_V2 ? [PROTOCOL_V2, PROTOCOL_V1] : [PROTOCOL_V1]
  return [...offered, `${BEARER_SUBPROTOCOL_PREFIX}${accessToken}`]
}

/** A WebSocket message as the runtimes hand it over (browsers, `ws`, workerd). */
export type WireData = string | ArrayBuffer | ArrayBufferView | { toString(): string }

/** A client frame as the message to send (JSON, the encoding of every v1 frame). */
export function encodeClientFrame(frame: ClientFrame): string {
  return JSON.stringify(frame)
}

/** A JSON server message as a typed frame; throws on a message that is not a frame. */
export function decodeServerMessage(data: WireData): ServerMessage {
  const message = JSON.parse(textOf(data)) as ServerMessage
  if (typeof message !== 'object' || message === null || typeof message.type !== 'string') {
    throw new Error('not a room frame')
  }
  return message
}

/**
 * The encoding of one room connection (see the file comment). `protocol` is the subprotocol the
 * server selected; set it when a socket opens (`opened`), which also forgets what the previous
 * socket's encoding knew only where a fresh `welcome` will tell it again.
 */
export class RoomCodec {
  protocol: RoomProtocol = PROTOCOL_V1
  /**
   * Players in view by number (v2), an array as numbers are small. The snapshots are the very
   * objects of the `welcome` and `enter` that named them, which the connection's
   * `PlayerTracker` holds too: a mover record is applied to its snapshot as it is decoded.
   */
  private byNumber: Array<PlayerSnapshot | undefined> = []
  /**
   * For the last binary batch decoded, which of its events were moves already applied to their
   * player's snapshot (the tracker need not look them up again); null after any other message.
   */
  lastBatchApplied: boolean[] | null = null
  private readonly numberOf = new Map<string, number>()
  /** What the last binary move sent said, so unchanged parts are left out. */
  private sentVelocity: Velocity | null = null
  private sentRotation: Rotation | null = null

  /** A socket opened and the server selected `selected` (its `protocol`; '' when none). */
  opened(selected: string): void {
    this.protocol = selected === PROTOCOL_V2 ? PROTOCOL_V2 : PROTOCOL_V1
    // The room knows nothing this socket sent yet: the first move carries everything.
    this.sentVelocity = null
    this.sentRotation = null
  }

  /** A client frame as the message to send: binary for a v2 move, JSON otherwise. */
  encode(frame: ClientFrame): string | Uint8Array<ArrayBuffer> {
    if (this.protocol !== PROTOCOL_V2 || frame.type !== 'move') return encodeClientFrame(frame)
    const { velocity, rotation } = frame
    const bytes = encodeClientMove({
      position: frame.position,
      velocity: sameVector(velocity, this.sentVelocity) ? undefined : velocity,
      rotation: sameRotation(rotation, this.sentRotation) ? undefined : rotation,
      activity: frame.activity,
    })
    this.sentVelocity = velocity
    this.sentRotation = rotation
    return bytes
  }

  /** A server message as a typed frame; throws on a message that is neither encoding's frame. */
  decode(data: WireData): ServerMessage {
    const bytes = binaryOf(data)
    this.lastBatchApplied = null
    if (bytes === null) {
      const message = decodeServerMessage(data)
      if (message.type === 'welcome' || message.type === 'observer_welcome') {
        this.byNumber = []
        this.numberOf.clear()
        for (const player of message.players) this.see(player)
      } else if (message.type === 'batch') {
        for (const event of message.events) this.follow(event)
      } else if (message.type === 'error') {
        // A move may have been refused or dropped: the room still holds the values it accepted
        // last, so the next move carries velocity and rotation again.
        this.sentVelocity = null
        this.sentRotation = null
      }
      return message
    }
    const batch: BatchMessage = { type: 'batch', seq: 0, events: [] }
    const applied: boolean[] = []
    readBatchFrame(bytes, {
      seq: (seq) => {
        batch.seq = seq
      },
      mover: (record) => {
        const event = this.moveOf(record)
        if (event) {
          batch.events.push(event)
          applied.push(true)
        }
      },
      json: (json) => {
        const event = JSON.parse(utf8.decode(json)) as ServerEvent
        this.follow(event)
        batch.events.push(event)
        applied.push(false)
      },
    })
    this.lastBatchApplied = applied
    return batch
  }

  /**
   * A player mover record as the v1 `move` event, applied to the player's snapshot, or null for
   * a number not in view.
   */
  private moveOf(record: MoverRecord): ServerEvent | null {
    if (record.kind !== 'player') return null
    const view = this.byNumber[record.number]
    if (!view) return null
    if (record.velocity) view.velocity = record.velocity
    if (record.rotation) view.rotation = record.rotation
    if (record.zone) view.zone = record.zone
    view.position = record.position
    view.activity = record.activity
    return {
      type: 'move',
      user_id: view.user_id,
      zone: view.zone,
      position: record.position,
      velocity: view.velocity,
      rotation: view.rotation,
      activity: record.activity,
    }
  }

  /** Keeps the number map in step with the events that bring players into and out of view. */
  private follow(event: ServerEvent): void {
    switch (event.type) {
      case 'enter':
        this.see(event.player)
        break
      case 'leave':
      case 'left': {
        const number = this.numberOf.get(event.user_id)
        if (number === undefined) break
        this.numberOf.delete(event.user_id)
        if (this.byNumber[number]?.user_id === event.user_id) this.byNumber[number] = undefined
        break
      }
      case 'move': {
        // A move sent as JSON inside a v2 batch (a position the compact record cannot hold).
        const number = this.numberOf.get(event.user_id)
        const view = number === undefined ? undefined : this.byNumber[number]
        if (view) {
          view.velocity = event.velocity
          view.rotation = event.rotation
          view.zone = event.zone
        }
        break
      }
      default:
        break
    }
  }

  private see(player: PlayerSnapshot): void {
    if (!Number.isInteger(player.number) || player.number < 0 || player.number > MAX_MOVER_NUMBER) {
      return
    }
    const previous = this.byNumber[player.number]
    if (previous) this.numberOf.delete(previous.user_id)
    this.byNumber[player.number] = player
    this.numberOf.set(player.user_id, player.number)
  }
}

function sameVector(a: Velocity, b: Velocity | null): boolean {
  return b !== null && a.x === b.x && a.y === b.y && a.z === b.z
}

function sameRotation(a: Rotation, b: Rotation | null): boolean {
  return b !== null && a.x === b.x && a.y === b.y && a.z === b.z && a.w === b.w
}

const BATCH_PREFIX = '{"type":"batch","seq":'

/**
 * The seq of a `batch` message without decoding it, or null for any other message. For clients
 * that must stay light (a load generator reading a quarter of a million updates a second): the
 * room writes every JSON batch as `{"type":"batch","seq":N,...` (instance-room/fanout.ts), and
 * every binary one as its kind byte and the seq.
 */
export function peekBatchSeq(data: WireData): number | null {
  const bytes = binaryOf(data)
  if (bytes !== null) return peekBinarySeq(bytes)
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

/**
 * The bytes of a binary message, or null for a text one. `ws` hands text frames to Node as
 * Buffers too, so a Buffer that starts like JSON (`{`) is text: a v2 binary frame starts with
 * its kind byte (0x01), never with `{`.
 */
export function binaryOf(data: WireData): Uint8Array | null {
  if (typeof data === 'string') return null
  let bytes: Uint8Array
  if (data instanceof ArrayBuffer) bytes = new Uint8Array(data)
  else if (ArrayBuffer.isView(data)) {
    bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  } else return null
  return bytes[0] === 0x7b ? null : bytes
}

/** The text of a text message. */
export function textOf(data: WireData): string {
  if (typeof data === 'string') return data
  if (data instanceof ArrayBuffer) return utf8.decode(data)
  if (ArrayBuffer.isView(data)) return utf8.decode(data)
  return data.toString()
}
