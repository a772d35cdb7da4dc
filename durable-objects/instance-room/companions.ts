/**
 * Companions in a live room (issue 14): a player's awake AI companions are present where their
 * owner is, following them at a distance, and visible to the players who see the companion's zone.
 *
 * - They arrive with their owner's connection (`RoomConnection.companions`) and leave with them;
 *   `companion_changed` notices (functions/companions/presence.ts) add, change or remove one.
 * - **Following** (`behavior_state = following`): a leash. While the companion is more than
 *   `COMPANION_FOLLOW_DISTANCE_M` from its owner on the ground plane, it is pulled along the line
 *   to them until it is exactly that far (y follows the owner). In any other state it stays put.
 *   A `companion_move` goes out when the companion has moved `COMPANION_MOVE_STEP_M` since the
 *   last one, so a walking owner costs one companion event every few moves and an owner without
 *   companions costs one map lookup per move.
 * - **Events** (`protocol.ts`): `companion_enter {companion}` (the public minimum: id, owner,
 *   zone, position, state) and `companion_detail {companion_id, owner_id, name, appearance}` when
 *   it comes into view; `companion_move` while visible; `companion_leave {companion_id}` when it
 *   goes out of view or away. Audiences follow the companion's own zone, like a player's.
 * - **Blocks**: `companion_detail` is never delivered between a blocked pair (the fan-out hides
 *   it like chat, `fanout.ts`), and snapshots carry `detail: null` for them: a blocked player sees
 *   that a companion is there and nothing of it beyond the public minimum.
 *
 * Stored in the room's `companions` table (schema version 5) so hibernation keeps them.
 */
import type {
  CompanionBody,
  CompanionSnapshot,
  PresentCompanion,
  RoomCompanion,
} from './companion-wire'
import type { RoomEnvelope } from './fanout'
import type { Position } from './protocol'
import { visibilityChange, type Zone } from './zones'

/** Ground distance a following companion keeps from its owner. */
export const COMPANION_FOLLOW_DISTANCE_M = 2
/** Distance a companion moves before the room tells anyone (between two `companion_move`s). */
export const COMPANION_MOVE_STEP_M = 0.5
import { MAX_ROOM_COMPANIONS_PER_OWNER } from './companion-wire'

interface LiveCompanion extends PresentCompanion {
  /** Where the last `companion_move` (or enter) put it for the viewers. */
  sentPosition: Position
}

/** The companions of one room. */
export class RoomCompanions {
  private readonly byId = new Map<string, LiveCompanion>()
  private readonly byOwner = new Map<string, LiveCompanion[]>()

  constructor(
    private readonly sql: SqlStorage,
    private readonly zoneOf: (position: Position) => Zone,
  ) {
    for (const row of sql.exec<Record<string, string>>('SELECT * FROM companions')) {
      const position = JSON.parse(row.position) as Position
      this.remember({
        companion_id: row.companion_id,
        owner_id: row.owner_id,
        name: row.name,
        appearance: JSON.parse(row.appearance),
        behavior_state: row.behavior_state as RoomCompanion['behavior_state'],
        zone: row.zone as Zone,
        position,
        sentPosition: position,
      })
    }
  }

  /** Drops, without events, the companions whose owner is not connected (after a restart). */
  retainOwners(connected: ReadonlySet<string>): void {
    for (const ownerId of [...this.byOwner.keys()]) {
      if (!connected.has(ownerId)) this.removeOwner(ownerId)
    }
  }

  /** The owner arrived at `ownerPosition` with `companions`: placed around them, and shown. */
  arrive(ownerId: string, ownerPosition: Position, companions: RoomCompanion[]): RoomEnvelope[] {
    const envelopes = this.depart(ownerId)
    companions.slice(0, MAX_ROOM_COMPANIONS_PER_OWNER).forEach((companion, index) => {
      const angle = (index * 2 * Math.PI) / MAX_ROOM_COMPANIONS_PER_OWNER
      const position = quantize({
        x: ownerPosition.x + COMPANION_FOLLOW_DISTANCE_M * Math.sin(angle),
        y: ownerPosition.y,
        z: ownerPosition.z - COMPANION_FOLLOW_DISTANCE_M * Math.cos(angle),
      })
      envelopes.push(...this.place(ownerId, companion, position))
    })
    return envelopes
  }

  /** The owner left: their companions go with them. */
  depart(ownerId: string): RoomEnvelope[] {
    const envelopes: RoomEnvelope[] = []
    for (const companion of this.byOwner.get(ownerId) ?? []) {
      envelopes.push(leave(companion.companion_id, companion.zone))
    }
    this.removeOwner(ownerId)
    return envelopes
  }

  /**
   * A `companion_changed` notice: `companion` null removes it; an unknown one arrives next to its
   * owner (if connected, at `ownerPosition`); a known one takes its new name, look and state.
   */
  change(
    ownerId: string,
    companionId: string,
    companion: RoomCompanion | null,
    ownerPosition: Position | null,
  ): RoomEnvelope[] {
    const current = this.byId.get(companionId)
    if (current && current.owner_id !== ownerId) return []
    if (companion === null) {
      if (!current) return []
      this.forget(current)
      return [leave(companionId, current.zone)]
    }
    if (!current) {
      if (ownerPosition === null) return []
      const count = this.byOwner.get(ownerId)?.length ?? 0
      if (count >= MAX_ROOM_COMPANIONS_PER_OWNER) return []
      const position = quantize({
        x: ownerPosition.x,
        y: ownerPosition.y,
        z: ownerPosition.z - COMPANION_FOLLOW_DISTANCE_M,
      })
      return this.place(ownerId, companion, position)
    }
    current.name = companion.name
    current.appearance = companion.appearance
    current.behavior_state = companion.behavior_state
    this.store(current)
    return [detail(current), move(current)]
  }

  /** The owner moved: following companions are pulled along (events only per step). */
  ownerMoved(ownerId: string, ownerPosition: Position): RoomEnvelope[] {
    const companions = this.byOwner.get(ownerId)
    if (companions === undefined) return []
    const envelopes: RoomEnvelope[] = []
    for (const companion of companions) {
      if (companion.behavior_state !== 'following') continue
      const dx = companion.position.x - ownerPosition.x
      const dz = companion.position.z - ownerPosition.z
      const distance = Math.hypot(dx, dz)
      if (distance <= COMPANION_FOLLOW_DISTANCE_M) continue
      const pull = COMPANION_FOLLOW_DISTANCE_M / distance
      companion.position = quantize({
        x: ownerPosition.x + dx * pull,
        y: ownerPosition.y,
        z: ownerPosition.z + dz * pull,
      })
      const sent = companion.sentPosition
      const step = Math.hypot(
        companion.position.x - sent.x,
        companion.position.y - sent.y,
        companion.position.z - sent.z,
      )
      if (step < COMPANION_MOVE_STEP_M) continue
      envelopes.push(...this.relocate(companion))
    }
    return envelopes
  }

  /** Companions for a `welcome` (those `canSee` admits) or an observer (all); no detail for `blocked`. */
  snapshots(
    visible: (zone: Zone) => boolean,
    blocked: ReadonlySet<string> | undefined,
  ): CompanionSnapshot[] {
    const snapshots: CompanionSnapshot[] = []
    for (const companion of this.byId.values()) {
      if (!visible(companion.zone)) continue
      const hidden = blocked?.has(companion.owner_id) ?? false
      snapshots.push({
        ...bodyOf(companion),
        detail: hidden ? null : { name: companion.name, appearance: companion.appearance },
      })
    }
    return snapshots
  }

  /** Every companion in the room, with its detail (for the presence RPC). */
  present(): PresentCompanion[] {
    return [...this.byId.values()].map((companion) => ({
      ...bodyOf(companion),
      name: companion.name,
      appearance: companion.appearance,
    }))
  }

  private place(ownerId: string, companion: RoomCompanion, position: Position): RoomEnvelope[] {
    const live: LiveCompanion = {
      ...companion,
      owner_id: ownerId,
      position,
      sentPosition: position,
      zone: this.zoneOf(position),
    }
    this.remember(live)
    this.store(live)
    return [enter(live), detail(live)]
  }

  /** Sends the companion's new position; a zone line crossed changes who sees it. */
  private relocate(companion: LiveCompanion): RoomEnvelope[] {
    const envelopes: RoomEnvelope[] = []
    const oldZone = companion.zone
    const newZone = this.zoneOf(companion.position)
    companion.zone = newZone
    companion.sentPosition = companion.position
    if (newZone !== oldZone) {
      const change = visibilityChange(oldZone, newZone)
      // Leave first: an observer, who sees every zone, ends the batch with the companion present.
      if (change.lost.length > 0) {
        envelopes.push({
          event: { type: 'companion_leave', companion_id: companion.companion_id },
          to: { kind: 'zones', zones: change.lost },
        })
      }
      if (change.gained.length > 0) {
        const to = { kind: 'zones' as const, zones: change.gained }
        envelopes.push({ ...enter(companion), to }, { ...detail(companion), to })
      }
    }
    envelopes.push(move(companion))
    this.store(companion)
    return envelopes
  }

  private remember(companion: LiveCompanion): void {
    this.byId.set(companion.companion_id, companion)
    const list = this.byOwner.get(companion.owner_id)
    if (list) list.push(companion)
    else this.byOwner.set(companion.owner_id, [companion])
  }

  private forget(companion: LiveCompanion): void {
    this.byId.delete(companion.companion_id)
    const rest = (this.byOwner.get(companion.owner_id) ?? []).filter((c) => c !== companion)
    if (rest.length > 0) this.byOwner.set(companion.owner_id, rest)
    else this.byOwner.delete(companion.owner_id)
    this.sql.exec('DELETE FROM companions WHERE companion_id = ?', companion.companion_id)
  }

  private removeOwner(ownerId: string): void {
    for (const companion of this.byOwner.get(ownerId) ?? []) {
      this.byId.delete(companion.companion_id)
    }
    this.byOwner.delete(ownerId)
    this.sql.exec('DELETE FROM companions WHERE owner_id = ?', ownerId)
  }

  private store(companion: LiveCompanion): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO companions
         (companion_id, owner_id, name, appearance, behavior_state, position, zone)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      companion.companion_id,
      companion.owner_id,
      companion.name,
      JSON.stringify(companion.appearance),
      companion.behavior_state,
      JSON.stringify(companion.position),
      companion.zone,
    )
  }
}

const bodyOf = (companion: LiveCompanion): CompanionBody => ({
  companion_id: companion.companion_id,
  owner_id: companion.owner_id,
  zone: companion.zone,
  position: companion.position,
  behavior_state: companion.behavior_state,
})

const seers = (companion: LiveCompanion) => ({ kind: 'seers' as const, zone: companion.zone })

const enter = (companion: LiveCompanion): RoomEnvelope => ({
  event: { type: 'companion_enter', companion: bodyOf(companion) },
  to: seers(companion),
})

const detail = (companion: LiveCompanion): RoomEnvelope => ({
  event: {
    type: 'companion_detail',
    companion_id: companion.companion_id,
    owner_id: companion.owner_id,
    name: companion.name,
    appearance: companion.appearance,
  },
  to: seers(companion),
})

const move = (companion: LiveCompanion): RoomEnvelope => ({
  event: {
    type: 'companion_move',
    companion_id: companion.companion_id,
    zone: companion.zone,
    position: companion.position,
    behavior_state: companion.behavior_state,
  },
  to: seers(companion),
})

const leave = (companionId: string, zone: Zone): RoomEnvelope => ({
  event: { type: 'companion_leave', companion_id: companionId },
  to: { kind: 'seers', zone },
})

/** Millimetres, like every accepted position (protocol.ts). */
function quantize(position: Position): Position {
  const mm = (value: number) => Number((Math.round(value * 1000) / 1000).toFixed(3))
  return { x: mm(position.x), y: mm(position.y), z: mm(position.z) }
}
