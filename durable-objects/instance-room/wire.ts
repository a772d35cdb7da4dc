/**
 * `nexus.v2`, the room's compact movement encoding (docs/protocol-v2.md is the specification a
 * client in any language implements). Pure functions over bytes, shared by the room (encoding
 * batches, decoding client moves) and the SDK (client/room/codec.ts: decoding batches, encoding
 * moves), so both ends read one definition of the format.
 *
 * Binary frames carry the movement path; everything else stays the JSON of `nexus.v1`:
 * - a server batch is one binary frame: a kind byte, the seq, then records in the tick's order.
 *   A mover record is a player's (or, later, a non-player mover's) move in 16 bytes when only
 *   the position changed; any other event is a record wrapping its `nexus.v1` JSON, so the order
 *   of a tick's events is kept exactly and new event types need no format change;
 * - a client move is one binary frame (a mover record without number and zone);
 * - welcome, errors, pong and every client frame but `move` are JSON text frames, as in v1.
 *
 * Numbers are the room's quantization (protocol.ts): millimetres for positions and velocities,
 * 1e-4 for quaternion components, so decoding gives exactly the values a v1 client reads.
 */
import type { Activity, Position, Rotation, Velocity } from './protocol'
import { ZONES, type Zone } from './zones'

/** The JSON subprotocol: every frame JSON text. */
export const PROTOCOL_V1 = 'nexus.v1'
/** The compact subprotocol: binary movement frames, JSON for the rest. */
export const PROTOCOL_V2 = 'nexus.v2'
/** A room subprotocol. */
export type RoomProtocol = typeof PROTOCOL_V1 | typeof PROTOCOL_V2

/** First byte of a server binary frame: a batch. */
export const SERVER_FRAME_BATCH = 0x01
/** First byte of a client binary frame: a move. */
export const CLIENT_FRAME_MOVE = 0x01

/** Record classes (the tag byte's two high bits). */
export const RECORD_PLAYER_MOVER = 0b00 << 6
/** A non-player mover (companions, NPCs): same body, numbers from the entity space. */
export const RECORD_ENTITY_MOVER = 0b01 << 6
/** An event as its `nexus.v1` JSON: varint byte length, then UTF-8 JSON. */
export const RECORD_JSON_EVENT = 0b10 << 6
/** An extension: tag bits 0–5 name it, varint byte length, payload; skip unknown ones. */
export const RECORD_EXTENSION = 0b11 << 6
const RECORD_CLASS_MASK = 0b11 << 6

/** Mover tag flags: velocity follows (else unchanged). */
export const MOVER_VELOCITY = 1 << 0
/** Mover tag flags: rotation follows (else unchanged). */
export const MOVER_ROTATION = 1 << 1
/** Mover tag flags: the rotation is about the vertical axis only (y and w; x = z = 0). */
export const MOVER_ROTATION_YAW = 1 << 2
/** Mover tag flags: the zone follows (else unchanged). */
export const MOVER_ZONE = 1 << 3
const MOVER_ACTIVITY_SHIFT = 4
const MOVER_ACTIVITY_MASK = 0b11 << MOVER_ACTIVITY_SHIFT

/** Activities by their 2-bit code. */
export const ACTIVITIES: readonly Activity[] = ['idle', 'moving', 'interacting']

/** Largest per-room mover number (u16). */
export const MAX_MOVER_NUMBER = 0xffff

const MM_PER_METRE = 1000
const ROTATION_UNITS = 10_000

/** The state a mover record describes (a `move` event's fields). */
export interface MoverState {
  position: Position
  velocity: Velocity
  rotation: Rotation
  activity: Activity
  zone: Zone
}

/** Which parts of a mover's state changed since its previous record (MOVER_* flags). */
export function moverChanges(
  before: Pick<MoverState, 'velocity' | 'rotation' | 'zone'>,
  after: Pick<MoverState, 'velocity' | 'rotation' | 'zone'>,
): number {
  const v0 = before.velocity
  const v1 = after.velocity
  const r0 = before.rotation
  const r1 = after.rotation
  let changes = 0
  if (v0.x !== v1.x || v0.y !== v1.y || v0.z !== v1.z) changes |= MOVER_VELOCITY
  if (r0.x !== r1.x || r0.y !== r1.y || r0.z !== r1.z || r0.w !== r1.w) changes |= MOVER_ROTATION
  if (before.zone !== after.zone) changes |= MOVER_ZONE
  return changes
}

/** Whether a position fits a mover record (the seed's optional keys need the JSON record). */
export function isCompactPosition(position: Position): boolean {
  return position.terrain_altitude === undefined && position.relative_to === undefined
}

// ------------------------------------------------------------------ writing

/** A growable byte buffer with the format's primitive writers. */
export class WireWriter {
  private bytes: Uint8Array
  private view: DataView
  length = 0

  constructor(capacity = 64) {
    this.bytes = new Uint8Array(capacity)
    this.view = new DataView(this.bytes.buffer)
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra))
    grown.set(this.bytes.subarray(0, this.length))
    this.bytes = grown
    this.view = new DataView(grown.buffer)
  }

  u8(value: number): void {
    this.ensure(1)
    this.bytes[this.length++] = value
  }

  u16(value: number): void {
    this.ensure(2)
    this.view.setUint16(this.length, value, true)
    this.length += 2
  }

  i16(value: number): void {
    this.ensure(2)
    this.view.setInt16(this.length, value, true)
    this.length += 2
  }

  i32(value: number): void {
    this.ensure(4)
    this.view.setInt32(this.length, value, true)
    this.length += 4
  }

  /** Unsigned LEB128, exact up to 2^53 (arithmetic, not 32-bit shifts). */
  varUint(value: number): void {
    this.ensure(8)
    let rest = value
    while (rest >= 0x80) {
      this.bytes[this.length++] = (rest % 0x80) | 0x80
      rest = Math.floor(rest / 0x80)
    }
    this.bytes[this.length++] = rest
  }

  /** Zigzag LEB128 of a 32-bit signed integer. */
  varInt(value: number): void {
    this.varUint(((value << 1) ^ (value >> 31)) >>> 0)
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length)
    this.bytes.set(bytes, this.length)
    this.length += bytes.length
  }

  /** The bytes written (a copy the caller owns). */
  toBytes(): Uint8Array<ArrayBuffer> {
    return this.bytes.slice(0, this.length)
  }
}

/** Writes a mover's tag byte and body; `number` is omitted for a client move (null). */
function writeMover(
  out: WireWriter,
  recordClass: number,
  number: number | null,
  state: Omit<MoverState, 'zone'> & { zone?: Zone },
  changes: number,
): void {
  const rotation = state.rotation
  const yaw = rotation.x === 0 && rotation.z === 0
  let tag = recordClass | (ACTIVITIES.indexOf(state.activity) << MOVER_ACTIVITY_SHIFT)
  if (changes & MOVER_VELOCITY) tag |= MOVER_VELOCITY
  if (changes & MOVER_ROTATION) tag |= yaw ? MOVER_ROTATION | MOVER_ROTATION_YAW : MOVER_ROTATION
  if (changes & MOVER_ZONE && state.zone !== undefined) tag |= MOVER_ZONE
  out.u8(tag)
  if (number !== null) out.u16(number)
  const { x, y, z } = state.position
  out.i32(Math.round(x * MM_PER_METRE))
  out.i32(Math.round(y * MM_PER_METRE))
  out.i32(Math.round(z * MM_PER_METRE))
  if (tag & MOVER_VELOCITY) {
    out.varInt(Math.round(state.velocity.x * MM_PER_METRE))
    out.varInt(Math.round(state.velocity.y * MM_PER_METRE))
    out.varInt(Math.round(state.velocity.z * MM_PER_METRE))
  }
  if (tag & MOVER_ROTATION) {
    if (!yaw) out.i16(Math.round(rotation.x * ROTATION_UNITS))
    out.i16(Math.round(rotation.y * ROTATION_UNITS))
    if (!yaw) out.i16(Math.round(rotation.z * ROTATION_UNITS))
    out.i16(Math.round(rotation.w * ROTATION_UNITS))
  }
  if (tag & MOVER_ZONE) out.u8(ZONES.indexOf(state.zone!))
}

/**
 * A mover record: a player's (or entity's) move, with velocity, rotation and zone only when
 * `changes` says they changed since the mover's previous record.
 */
export function encodeMoverRecord(
  kind: 'player' | 'entity',
  number: number,
  state: MoverState,
  changes: number,
): Uint8Array {
  const out = new WireWriter(32)
  writeMover(
    out,
    kind === 'player' ? RECORD_PLAYER_MOVER : RECORD_ENTITY_MOVER,
    number,
    state,
    changes,
  )
  return out.toBytes()
}

const utf8Encoder = new TextEncoder()

/** A record carrying one event as its `nexus.v1` JSON text. */
export function encodeJsonRecord(json: string): Uint8Array {
  const body = utf8Encoder.encode(json)
  const out = new WireWriter(body.length + 6)
  out.u8(RECORD_JSON_EVENT)
  out.varUint(body.length)
  out.raw(body)
  return out.toBytes()
}

/** The first bytes of a batch frame: its kind and seq. */
export function encodeBatchHeader(seq: number): Uint8Array {
  const out = new WireWriter(10)
  out.u8(SERVER_FRAME_BATCH)
  out.varUint(seq)
  return out.toBytes()
}

/** What a client move frame carries; omitted parts keep the player's current values. */
export interface ClientMove {
  position: { x: number; y: number; z: number }
  velocity?: Velocity
  rotation?: Rotation
  activity: Activity
}

/** A client's `move` as a binary frame. */
export function encodeClientMove(move: ClientMove): Uint8Array<ArrayBuffer> {
  const out = new WireWriter(48)
  out.u8(CLIENT_FRAME_MOVE)
  const changes = (move.velocity ? MOVER_VELOCITY : 0) | (move.rotation ? MOVER_ROTATION : 0)
  writeMover(
    out,
    RECORD_PLAYER_MOVER,
    null,
    {
      position: move.position,
      velocity: move.velocity ?? ZERO,
      rotation: move.rotation ?? IDENTITY,
      activity: move.activity,
    },
    changes,
  )
  return out.toBytes()
}

const ZERO: Velocity = { x: 0, y: 0, z: 0 }
const IDENTITY: Rotation = { x: 0, y: 0, z: 0, w: 1 }

// ------------------------------------------------------------------ reading

/** A malformed frame (the message says where). */
export class WireError extends Error {
  override name = 'WireError'
}

/** A cursor over a frame's bytes with the format's primitive readers; throws `WireError`. */
export class WireReader {
  private readonly view: DataView
  at = 0

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  get done(): boolean {
    return this.at >= this.bytes.length
  }

  private need(count: number): void {
    if (this.at + count > this.bytes.length) throw new WireError('frame ends inside a field')
  }

  u8(): number {
    this.need(1)
    return this.bytes[this.at++]
  }

  u16(): number {
    this.need(2)
    const value = this.view.getUint16(this.at, true)
    this.at += 2
    return value
  }

  i16(): number {
    this.need(2)
    const value = this.view.getInt16(this.at, true)
    this.at += 2
    return value
  }

  i32(): number {
    this.need(4)
    const value = this.view.getInt32(this.at, true)
    this.at += 4
    return value
  }

  varUint(): number {
    let value = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      const byte = this.u8()
      value += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) return value
      scale *= 0x80
    }
    throw new WireError('varint longer than 8 bytes')
  }

  varInt(): number {
    const zigzag = this.varUint()
    if (zigzag > 0xffffffff) throw new WireError('signed varint out of 32-bit range')
    return (zigzag >>> 1) ^ -(zigzag & 1)
  }

  slice(length: number): Uint8Array {
    this.need(length)
    const bytes = this.bytes.subarray(this.at, this.at + length)
    this.at += length
    return bytes
  }
}

/** A decoded mover record; parts absent from the record are undefined (unchanged). */
export interface MoverRecord {
  kind: 'player' | 'entity'
  /** The per-room number (0 in a client move, which has none). */
  number: number
  position: { x: number; y: number; z: number }
  velocity: Velocity | undefined
  rotation: Rotation | undefined
  zone: Zone | undefined
  activity: Activity
}

function readMover(input: WireReader, tag: number, withNumber: boolean): MoverRecord {
  const activity = ACTIVITIES[(tag & MOVER_ACTIVITY_MASK) >> MOVER_ACTIVITY_SHIFT]
  if (activity === undefined) throw new WireError('unknown activity code')
  const number = withNumber ? input.u16() : 0
  const position = {
    x: input.i32() / MM_PER_METRE,
    y: input.i32() / MM_PER_METRE,
    z: input.i32() / MM_PER_METRE,
  }
  let velocity: Velocity | undefined
  if (tag & MOVER_VELOCITY) {
    velocity = {
      x: input.varInt() / MM_PER_METRE,
      y: input.varInt() / MM_PER_METRE,
      z: input.varInt() / MM_PER_METRE,
    }
  }
  let rotation: Rotation | undefined
  if (tag & MOVER_ROTATION) {
    if (tag & MOVER_ROTATION_YAW) {
      const y = input.i16() / ROTATION_UNITS
      rotation = { x: 0, y, z: 0, w: input.i16() / ROTATION_UNITS }
    } else {
      rotation = {
        x: input.i16() / ROTATION_UNITS,
        y: input.i16() / ROTATION_UNITS,
        z: input.i16() / ROTATION_UNITS,
        w: input.i16() / ROTATION_UNITS,
      }
    }
  } else if (tag & MOVER_ROTATION_YAW) {
    throw new WireError('yaw flag without rotation')
  }
  let zone: Zone | undefined
  if (tag & MOVER_ZONE) {
    zone = ZONES[input.u8()]
    if (zone === undefined) throw new WireError('unknown zone index')
  }
  return {
    kind: (tag & RECORD_CLASS_MASK) === RECORD_ENTITY_MOVER ? 'entity' : 'player',
    number,
    position,
    velocity,
    rotation,
    zone,
    activity,
  }
}

/** Receives a batch frame's records in order. */
export interface BatchVisitor {
  seq(seq: number): void
  mover(record: MoverRecord): void
  /** An event record: its `nexus.v1` JSON as UTF-8 bytes. */
  json(bytes: Uint8Array): void
  /** An extension record this decoder does not know; skipped by default. */
  extension?(type: number, payload: Uint8Array): void
}

/** Walks a server batch frame; throws `WireError` on a malformed one. */
export function readBatchFrame(bytes: Uint8Array, visitor: BatchVisitor): void {
  const input = new WireReader(bytes)
  if (input.u8() !== SERVER_FRAME_BATCH) throw new WireError('not a batch frame')
  visitor.seq(input.varUint())
  while (!input.done) {
    const tag = input.u8()
    switch (tag & RECORD_CLASS_MASK) {
      case RECORD_PLAYER_MOVER:
      case RECORD_ENTITY_MOVER:
        visitor.mover(readMover(input, tag, true))
        break
      case RECORD_JSON_EVENT:
        visitor.json(input.slice(input.varUint()))
        break
      default: {
        const payload = input.slice(input.varUint())
        visitor.extension?.(tag & ~RECORD_CLASS_MASK, payload)
      }
    }
  }
}

/** The seq of a server binary frame without reading its records, or null. */
export function peekBinarySeq(bytes: Uint8Array): number | null {
  try {
    const input = new WireReader(bytes)
    return input.u8() === SERVER_FRAME_BATCH ? input.varUint() : null
  } catch {
    return null
  }
}

/** Decodes a client's binary move frame (bounds are the room's to check). */
export function readClientMove(bytes: Uint8Array): MoverRecord {
  const input = new WireReader(bytes)
  if (input.u8() !== CLIENT_FRAME_MOVE) throw new WireError('unknown client frame kind')
  const tag = input.u8()
  if ((tag & RECORD_CLASS_MASK) !== RECORD_PLAYER_MOVER) throw new WireError('not a move record')
  if (tag & MOVER_ZONE) throw new WireError('a client move carries no zone')
  const move = readMover(input, tag, false)
  if (!input.done) throw new WireError('bytes after the move')
  return move
}
