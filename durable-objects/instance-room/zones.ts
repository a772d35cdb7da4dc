/**
 * The 9-zone grid of an instance (seed 000, `user_states.zone`) and who can see whom.
 *
 * Orientation (the same for every instance):
 * - y is up and plays no part in zoning;
 * - +x points east, so `west` is the low-x third of the area and `east` the high-x third;
 * - +z points north, so `north` is the high-z third and `south` the low-z third.
 * Seen from above with north at the top, this is the usual map: x to the right, z upwards.
 *
 * The area is split into equal thirds along x and along z. A point on a line between two zones
 * belongs to the zone east of a north–south line and to the zone south of an east–west line, so
 * every point maps to exactly one zone. Points outside the area clamp to the nearest edge zone.
 *
 * A player's area of interest is their zone and every zone touching it, diagonals included:
 * 4 zones from a corner, 6 from an edge, all 9 from `center`. Visibility is symmetric.
 */
import { z } from 'zod'
import { DEFAULT_AREA_METERS, MAX_COORDINATE_METERS } from './config'

/** The seed's zone names, north row first, each row west to east (index = row * 3 + column). */
export const ZONES = [
  'north_west',
  'north',
  'north_east',
  'west',
  'center',
  'east',
  'south_west',
  'south',
  'south_east',
] as const

/** One of the 9 zones, spelled as in `user_states.zone` and `chat_messages.zone`. */
export type Zone = (typeof ZONES)[number]

/** zod schema for a zone name. */
export const zoneSchema = z.enum(ZONES)

/** The zone `user_states.zone` defaults to in the seed; also used for non-finite positions. */
export const DEFAULT_ZONE: Zone = 'center'

/** The instance's playable rectangle on the ground plane, in meters. */
export interface AreaBounds {
  minX: number
  maxX: number
  minZ: number
  maxZ: number
}

const HALF_DEFAULT_AREA_METERS = DEFAULT_AREA_METERS / 2

/** A DEFAULT_AREA_METERS square centred on the origin. */
export const DEFAULT_AREA_BOUNDS: Readonly<AreaBounds> = Object.freeze({
  minX: -HALF_DEFAULT_AREA_METERS,
  maxX: HALF_DEFAULT_AREA_METERS,
  minZ: -HALF_DEFAULT_AREA_METERS,
  maxZ: HALF_DEFAULT_AREA_METERS,
})

const boundCoordinate = z.number().min(-MAX_COORDINATE_METERS).max(MAX_COORDINATE_METERS)

/**
 * Area bounds as stored in instance metadata, snake_case like the rest of the seed's JSONB:
 * `{ "min_x": -150, "max_x": 150, "min_z": -150, "max_z": 150 }` (meters).
 */
export const metadataBoundsSchema = z
  .strictObject({
    min_x: boundCoordinate,
    max_x: boundCoordinate,
    min_z: boundCoordinate,
    max_z: boundCoordinate,
  })
  .refine((bounds) => bounds.max_x > bounds.min_x && bounds.max_z > bounds.min_z, {
    message: 'max_x and max_z must be greater than min_x and min_z',
  })

// Only the path to the bounds is checked; the rest of the metadata belongs to other features.
const metadataWithBoundsSchema = z.object({
  custom_properties: z.object({ bounds: metadataBoundsSchema }),
})

/**
 * Reads the area from `instances.metadata.custom_properties.bounds` (the seed leaves
 * `custom_properties` free-form, so bounds live there rather than in a new top-level key).
 * Missing or invalid bounds give DEFAULT_AREA_BOUNDS: a bad metadata row must not stop a room.
 */
export function parseAreaBounds(metadata: unknown): AreaBounds {
  const parsed = metadataWithBoundsSchema.safeParse(metadata)
  if (!parsed.success) return { ...DEFAULT_AREA_BOUNDS }
  const { min_x, max_x, min_z, max_z } = parsed.data.custom_properties.bounds
  return { minX: min_x, maxX: max_x, minZ: min_z, maxZ: max_z }
}

function zoneAt(row: number, column: number): Zone {
  return ZONES[row * 3 + column]
}

function rowOf(zone: Zone): number {
  return Math.floor(ZONES.indexOf(zone) / 3)
}

function columnOf(zone: Zone): number {
  return ZONES.indexOf(zone) % 3
}

function clampToThird(index: number): number {
  return Math.min(2, Math.max(0, index))
}

/**
 * The zone containing a position (only x and z matter). Positions outside the bounds clamp to
 * the nearest edge or corner zone; a non-finite coordinate gives DEFAULT_ZONE.
 */
export function zoneOf(
  position: { x: number; z: number },
  bounds: AreaBounds = DEFAULT_AREA_BOUNDS,
): Zone {
  if (!Number.isFinite(position.x) || !Number.isFinite(position.z)) return DEFAULT_ZONE
  // Multiply before dividing so thirds of round areas (e.g. ±50 of a 300 m square) land exactly.
  const column = Math.floor(((position.x - bounds.minX) * 3) / (bounds.maxX - bounds.minX))
  const row = Math.floor(((bounds.maxZ - position.z) * 3) / (bounds.maxZ - bounds.minZ))
  return zoneAt(clampToThird(row), clampToThird(column))
}

/** True when a player in `viewerZone` can see one in `moverZone` (same or touching zones). */
export function canSee(viewerZone: Zone, moverZone: Zone): boolean {
  return (
    Math.abs(rowOf(viewerZone) - rowOf(moverZone)) <= 1 &&
    Math.abs(columnOf(viewerZone) - columnOf(moverZone)) <= 1
  )
}

const AREA_OF_INTEREST: Readonly<Record<Zone, readonly Zone[]>> = Object.fromEntries(
  ZONES.map((zone) => [zone, Object.freeze(ZONES.filter((other) => canSee(zone, other)))]),
) as Record<Zone, readonly Zone[]>

/** The zone and its adjacent zones (diagonals included), in ZONES order. */
export function areaOfInterest(zone: Zone): readonly Zone[] {
  return AREA_OF_INTEREST[zone]
}

/** Zones whose players start and stop seeing a mover, in ZONES order. */
export interface VisibilityChange {
  gained: Zone[]
  lost: Zone[]
}

/**
 * What changes when a player moves from `oldZone` to `newZone`. Players in `gained` zones and the
 * mover now see each other (send `enter` both ways); players in `lost` zones and the mover no
 * longer do (send `leave` both ways). `null` stands for "not in the instance": a join is
 * `visibilityChange(null, zone)`, a departure `visibilityChange(zone, null)`.
 */
export function visibilityChange(oldZone: Zone | null, newZone: Zone | null): VisibilityChange {
  const before = oldZone === null ? [] : areaOfInterest(oldZone)
  const after = newZone === null ? [] : areaOfInterest(newZone)
  return {
    gained: after.filter((zone) => !before.includes(zone)),
    lost: before.filter((zone) => !after.includes(zone)),
  }
}
