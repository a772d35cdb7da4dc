/**
 * Fan-out of one tick: which events each viewer receives, as the JSON of its `batch` frame.
 *
 * The rule is `deliversTo`. Applying it per viewer and per event costs viewers × events checks
 * and one join per viewer; with 200 players moving at 10 Hz that loop was the largest JavaScript
 * cost in the room's CPU profile. `TickFanout` instead serializes each event once, joins
 * the events a zone sees once per zone, and cuts a viewer's frame out of its zone's joined text:
 * only the viewer's own events (a player never receives what it is the subject of) are left out,
 * as string slices, which V8 makes without copying. A viewer who is the target of a `user`
 * event this tick (a zone crossing) takes the exact per-event path.
 *
 * Blocks: a chat or emote is never delivered between two players of a blocked pair (either way).
 * The room hands the fan-out its pairs (`BlockPairs`); a viewer with no pair takes the zone path
 * unchanged, and a viewer with pairs has the blocked senders' chat and emotes of this tick cut
 * out of the zone's text like its own events, so the common no-block case costs one map lookup.
 */
import { joinBytes } from '../../functions/lib/encoding'
import type { ServerEvent } from './protocol'
import {
  encodeBatchHeader,
  encodeJsonRecord,
  encodeMoverRecord,
  isCompactPosition,
  PROTOCOL_V1,
  type RoomProtocol,
} from './wire'
import { canSee, type Zone } from './zones'

/** Who receives an event: everyone, viewers of a zone, viewers standing in zones, one user. */
export type Audience =
  | { kind: 'all' }
  | { kind: 'seers'; zone: Zone }
  | { kind: 'zones'; zones: Zone[] }
  | { kind: 'user'; userId: string }

/**
 * One event of a tick with its audience. The resume ring stores these (not per-client frames),
 * so a resuming client gets exactly what its area of interest would have shown it.
 */
export interface RoomEnvelope {
  event: ServerEvent
  to: Audience
  /** The player the event is about; never delivered to them. */
  subject?: string
  /** A move's `nexus.v2` mover record: whose number, and what changed (wire.ts). */
  mover?: MoverTag
}

/**
 * What a move needs for its `nexus.v2` record besides the event: the mover's per-room number and
 * which parts of its state changed since its previous move (`MOVER_*` flags). `kind: 'entity'`
 * is the place for non-player movers (companions, NPCs), numbered in their own space.
 */
export interface MoverTag {
  kind: 'player' | 'entity'
  number: number
  changes: number
}

/** A receiver of events: who it is and where it stands. */
export interface Viewer {
  userId: string
  zone: Zone
}

/** Users each player is in a blocked pair with (symmetric: if a holds b, b holds a). */
export type BlockPairs = ReadonlyMap<string, ReadonlySet<string>>

const NO_BLOCKS: BlockPairs = new Map()

/**
 * The sender of a chat or emote, or the owner of a companion's detail (what a block hides), or
 * undefined for other events.
 */
export function chatSenderOf(event: ServerEvent): string | undefined {
  if (event.type === 'companion_detail') return event.owner_id
  return event.type === 'chat' || event.type === 'emote' ? event.user_id : undefined
}

/**
 * Whether `viewer` receives `envelope`; `blocked` are the users the viewer is in a blocked pair
 * with, whose chat and emotes it never receives.
 */
export function deliversTo(
  envelope: RoomEnvelope,
  viewer: Viewer,
  blocked?: ReadonlySet<string>,
): boolean {
  if (envelope.subject === viewer.userId) return false
  if (blocked !== undefined) {
    const sender = chatSenderOf(envelope.event)
    if (sender !== undefined && blocked.has(sender)) return false
  }
  const to = envelope.to
  switch (to.kind) {
    case 'all':
      return true
    case 'seers':
      return canSee(viewer.zone, to.zone)
    case 'zones':
      return to.zones.includes(viewer.zone)
    case 'user':
      return to.userId === viewer.userId
    default:
      return assertNever(to)
  }
}

/**
 * Whether an observer (staff watching every zone, not a player) receives `envelope`: everything
 * but the per-player view changes, i.e. events addressed to one player and zone-line `leave`s
 * (an observer sees every zone, so nobody leaves its view until they leave the room: `left`).
 */
export function deliversToObserver(envelope: RoomEnvelope): boolean {
  return envelope.to.kind !== 'user' && envelope.event.type !== 'leave'
}

/** The events of `envelopes` that an observer receives, in order. */
export function observerEventsOf(envelopes: RoomEnvelope[]): ServerEvent[] {
  return envelopes.filter(deliversToObserver).map((e) => e.event)
}

/** The events of `envelopes` that `viewer` receives, in order (see `deliversTo`). */
export function eventsFor(
  envelopes: RoomEnvelope[],
  viewer: Viewer,
  blocked?: ReadonlySet<string>,
): ServerEvent[] {
  return envelopes.filter((envelope) => deliversTo(envelope, viewer, blocked)).map((e) => e.event)
}

/** The `batch` frame around already serialized, comma-joined events. */
function batchFrameJson(seq: number, joinedEvents: string): string {
  return `{"type":"batch","seq":${seq},"events":[${joinedEvents}]}`
}

/** One viewer's frame, in the encoding of its connection. */
export type TickFrame = string | Uint8Array

/** The events one zone's viewers see (before each viewer's own events are left out). */
interface ZoneView {
  /** Indexes into the tick's envelopes, ascending. */
  indexes: number[]
  /** Position in `indexes` of an envelope index, or -1 when the zone does not see it. */
  positionOf: Int32Array
  /** The events joined in one encoding, built on first use. */
  joined: Partial<Record<RoomProtocol, JoinedEvents>>
}

/** A zone's events in one encoding: v1 JSON text joined with commas, or v2 records back to back. */
interface JoinedEvents {
  /** The events, joined. */
  joined: string | Uint8Array
  /** Where each event starts in `joined`, by position in `indexes`; one extra entry at the end. */
  starts: number[]
}

/**
 * The frames of one tick, built lazily per zone and per encoding and cut per viewer. Each event
 * is encoded once per encoding used this tick (`nexus.v1` JSON, `nexus.v2` record), and each
 * zone's events are joined once per encoding.
 */
export class TickFanout {
  private readonly eventJson: (string | undefined)[]
  private readonly eventRecords: (Uint8Array | undefined)[]
  private readonly zoneViews = new Map<Zone, ZoneView>()
  /** Envelope indexes by subject (events a player must not receive), ascending. */
  private readonly bySubject = new Map<string, number[]>()
  /** Users that are the target of a `user` event this tick. */
  private readonly userTargets = new Set<string>()
  /** The observers' frame per encoding, built on first use (null: nothing for observers). */
  private readonly observerFrames: Partial<Record<RoomProtocol, TickFrame | null>> = {}
  /** Chat and emote envelope indexes by sender, ascending (what a block may hide). */
  private readonly bySender = new Map<string, number[]>()
  private header: Uint8Array | undefined

  constructor(
    private readonly seq: number,
    private readonly envelopes: RoomEnvelope[],
    private readonly blocks: BlockPairs = NO_BLOCKS,
  ) {
    this.eventJson = new Array(envelopes.length)
    this.eventRecords = new Array(envelopes.length)
    envelopes.forEach((envelope, index) => {
      if (envelope.to.kind === 'user') this.userTargets.add(envelope.to.userId)
      const sender = chatSenderOf(envelope.event)
      if (sender !== undefined) appendTo(this.bySender, sender, index)
      if (envelope.subject !== undefined) appendTo(this.bySubject, envelope.subject, index)
    })
  }

  /** The `batch` frame for `viewer` in `protocol`, or null when it receives nothing this tick. */
  frameFor(viewer: Viewer, protocol: RoomProtocol = PROTOCOL_V1): TickFrame | null {
    const blocked = this.blocks.get(viewer.userId)
    if (this.userTargets.has(viewer.userId)) {
      const selected = this.envelopes
        .map((_, i) => i)
        .filter((i) => deliversTo(this.envelopes[i], viewer, blocked))
      return this.frameOf(selected, protocol)
    }
    const view = this.zoneView(viewer.zone)
    const hidden = blocked === undefined ? undefined : this.hiddenFrom(blocked)
    // Left out of the zone's events: the viewer's own, and chat of blocked senders.
    const own = this.bySubject.get(viewer.userId)
    const left = (hidden ? mergeAscending(own, hidden) : own) ?? []
    const cut = left.map((index) => view.positionOf[index]).filter((position) => position >= 0)
    if (view.indexes.length - cut.length === 0) return null
    const joined = (view.joined[protocol] ??= this.join(view.indexes, protocol))
    // Keep the runs between the events left out, each one slice of the joined events.
    const runs: Array<[number, number]> = []
    let runStart = 0
    for (const skipped of [...cut, view.indexes.length]) {
      if (skipped > runStart) runs.push([joined.starts[runStart], joined.starts[skipped]])
      runStart = skipped + 1
    }
    return this.frameOfRuns(joined.joined, runs)
  }

  /** The `batch` frame for observers in `protocol` (the same for all of them), or null. */
  observerFrame(protocol: RoomProtocol = PROTOCOL_V1): TickFrame | null {
    if (this.observerFrames[protocol] === undefined) {
      const selected = this.envelopes
        .map((_, i) => i)
        .filter((i) => deliversToObserver(this.envelopes[i]))
      this.observerFrames[protocol] = this.frameOf(selected, protocol)
    }
    return this.observerFrames[protocol]
  }

  /** A frame of the envelopes at `indexes` (ascending), or null when there are none. */
  private frameOf(indexes: number[], protocol: RoomProtocol): TickFrame | null {
    if (indexes.length === 0) return null
    const joined = this.join(indexes, protocol)
    return this.frameOfRuns(joined.joined, [[0, joined.starts[indexes.length]]])
  }

  /** The frame around `runs` (start and end offsets) of joined events. */
  private frameOfRuns(joined: string | Uint8Array, runs: Array<[number, number]>): TickFrame {
    if (typeof joined === 'string') {
      // JSON runs end with the comma that followed their last event; drop it.
      const parts = runs.map(([start, end]) => joined.slice(start, end - 1))
      return batchFrameJson(this.seq, parts.length === 1 ? parts[0] : parts.join(','))
    }
    this.header ??= encodeBatchHeader(this.seq)
    let size = this.header.length
    for (const [start, end] of runs) size += end - start
    const frame = new Uint8Array(size)
    frame.set(this.header, 0)
    let at = this.header.length
    for (const [start, end] of runs) {
      frame.set(joined.subarray(start, end), at)
      at += end - start
    }
    return frame
  }

  /** The envelopes at `indexes` joined in one encoding. */
  private join(indexes: number[], protocol: RoomProtocol): JoinedEvents {
    const starts: number[] = []
    let offset = 0
    if (protocol === PROTOCOL_V1) {
      const texts = indexes.map((index) => this.jsonOf(index))
      for (const text of texts) {
        starts.push(offset)
        offset += text.length + 1
      }
      starts.push(offset)
      // A trailing comma, so every event's run ends one past a comma (see frameOfRuns).
      return { joined: texts.join(',') + ',', starts }
    }
    const records = indexes.map((index) => this.recordOf(index))
    for (const record of records) {
      starts.push(offset)
      offset += record.length
    }
    starts.push(offset)
    return { joined: joinBytes(records), starts }
  }

  private jsonOf(index: number): string {
    return (this.eventJson[index] ??= JSON.stringify(this.envelopes[index].event))
  }

  /** The `nexus.v2` record of an envelope: a mover record for a compact move, else its JSON. */
  private recordOf(index: number): Uint8Array {
    let record = this.eventRecords[index]
    if (record === undefined) {
      const envelope = this.envelopes[index]
      const event = envelope.event
      record =
        envelope.mover !== undefined && event.type === 'move' && isCompactPosition(event.position)
          ? encodeMoverRecord(
              envelope.mover.kind,
              envelope.mover.number,
              event,
              envelope.mover.changes,
            )
          : encodeJsonRecord(this.jsonOf(index))
      this.eventRecords[index] = record
    }
    return record
  }

  /** Indexes of this tick's chat and emotes sent by `blocked` users, ascending; undefined if none. */
  private hiddenFrom(blocked: ReadonlySet<string>): number[] | undefined {
    let hidden: number[] | undefined
    for (const [sender, indexes] of this.bySender) {
      if (blocked.has(sender)) hidden = mergeAscending(hidden, indexes)
    }
    return hidden
  }

  private zoneView(zone: Zone): ZoneView {
    const cached = this.zoneViews.get(zone)
    if (cached) return cached
    // A stand-in viewer that is nobody: it sees what the zone sees, own events included.
    const standIn: Viewer = { userId: '', zone }
    const indexes: number[] = []
    const positionOf = new Int32Array(this.envelopes.length).fill(-1)
    this.envelopes.forEach((envelope, index) => {
      if (envelope.to.kind === 'user' || !deliversTo(envelope, standIn)) return
      positionOf[index] = indexes.length
      indexes.push(index)
    })
    const view: ZoneView = { indexes, positionOf, joined: {} }
    this.zoneViews.set(zone, view)
    return view
  }
}

function appendTo(map: Map<string, number[]>, key: string, index: number): void {
  const list = map.get(key)
  if (list) list.push(index)
  else map.set(key, [index])
}

/** The union of two ascending index lists, ascending, without duplicates. */
function mergeAscending(a: number[] | undefined, b: number[] | undefined): number[] | undefined {
  if (a === undefined || a.length === 0) return b
  if (b === undefined || b.length === 0) return a
  return [...new Set([...a, ...b])].sort((x, y) => x - y)
}

function assertNever(value: never): never {
  throw new Error(`unhandled audience: ${JSON.stringify(value)}`)
}
