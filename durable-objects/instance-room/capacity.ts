/**
 * How many players one room takes: `ROOM_MAX_PLAYERS` (what one room carries at 10 Hz,
 * docs/capacity.md), or fewer when the instance says so in
 * `metadata.custom_properties.max_live_players` (an owner's cap on their live room; also how the
 * tests reach `room_full` without 500 sockets). Past it a connecting player is closed with 4013
 * `room_full`.
 */
import { z } from 'zod'
import { ROOM_MAX_PLAYERS, TICK_MS } from './config'

const metadataWithCapSchema = z.object({
  custom_properties: z.object({
    max_live_players: z.int().min(1).max(ROOM_MAX_PLAYERS),
  }),
})

/** The room's player cap for an instance's metadata (an invalid cap is ignored). */
export function livePlayerCapOf(metadata: unknown): number {
  const parsed = metadataWithCapSchema.safeParse(metadata)
  return parsed.success ? parsed.data.custom_properties.max_live_players : ROOM_MAX_PLAYERS
}

/**
 * The broadcast tick: `ROOM_TICK_MS` from the environment (20–100 ms, for measuring the
 * latency/frame-rate trade in `bench:room --tick-ms`), else `TICK_MS`.
 */
export function roomTickMsOf(env: { ROOM_TICK_MS?: string }): number {
  const configured = Number(env.ROOM_TICK_MS)
  return Number.isInteger(configured) && configured >= 20 && configured <= 100
    ? configured
    : TICK_MS
}
