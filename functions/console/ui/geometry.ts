/**
 * The console map's geometry and colours, DOM-free so the browser test can compute where a
 * player's dot must be: the instance area seen from above, north up (+z up, +x right), split
 * in thirds into the 9 zones.
 */
import type { AreaBoundsSnapshot } from '../../../durable-objects/instance-room/protocol'
import type { Zone } from '../../../durable-objects/instance-room/zones'

/**
 * The zones in map order, north row first, each row west to east: `ZONES` of zones.ts, which the
 * browser bundle cannot import without pulling zod in (450 KB); a test keeps the two equal.
 */
export const MAP_ZONES = [
  'north_west',
  'north',
  'north_east',
  'west',
  'center',
  'east',
  'south_west',
  'south',
  'south_east',
] as const satisfies readonly Zone[]

/** Side of the map canvas in CSS pixels (the canvas is square). */
export const MAP_SIZE_PX = 600

/** Radius of a player's dot. */
export const DOT_RADIUS_PX = 7

/** The canvas point of a world position (x east, z north). */
export function worldToCanvas(
  bounds: AreaBoundsSnapshot,
  x: number,
  z: number,
): { px: number; py: number } {
  const clamp = (v: number) => Math.min(MAP_SIZE_PX, Math.max(0, v))
  return {
    px: clamp(((x - bounds.min_x) / (bounds.max_x - bounds.min_x)) * MAP_SIZE_PX),
    py: clamp(((bounds.max_z - z) / (bounds.max_z - bounds.min_z)) * MAP_SIZE_PX),
  }
}

/** The world position of a canvas point (inverse of `worldToCanvas`). */
export function canvasToWorld(
  bounds: AreaBoundsSnapshot,
  px: number,
  py: number,
): { x: number; z: number } {
  return {
    x: bounds.min_x + (px / MAP_SIZE_PX) * (bounds.max_x - bounds.min_x),
    z: bounds.max_z - (py / MAP_SIZE_PX) * (bounds.max_z - bounds.min_z),
  }
}

/** A player's dot colour as RGB, stable for a user id and far from the map's greys. */
export function colorOf(userId: string): [number, number, number] {
  let hash = 0
  for (let i = 0; i < userId.length; i++) hash = (hash * 31 + userId.charCodeAt(i)) >>> 0
  return hslToRgb((hash % 360) / 360, 0.85, 0.55)
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s
  const p = 2 * l - q
  const channel = (t: number) => {
    const u = t < 0 ? t + 1 : t > 1 ? t - 1 : t
    if (u < 1 / 6) return p + (q - p) * 6 * u
    if (u < 1 / 2) return q
    if (u < 2 / 3) return p + (q - p) * (2 / 3 - u) * 6
    return p
  }
  return [channel(h + 1 / 3), channel(h), channel(h - 1 / 3)].map((c) => Math.round(c * 255)) as [
    number,
    number,
    number,
  ]
}
