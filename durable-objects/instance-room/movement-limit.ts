/**
 * The room's speed limit: opt-in per instance, as `metadata.custom_properties.max_speed_mps`.
 * With one, a move farther than the player could have gone since their last accepted position is
 * refused (`implausible_move`) and the player stays where they were (`../core/movement.ts`); the
 * quest holodecks set it, so a quest session can trust the room's accepted positions. Without one
 * (ordinary instances) every position within the wire format's bounds is accepted, as before.
 */
import { z } from 'zod'
import { MAX_VELOCITY_METERS_PER_SECOND } from './config'

/** The limit as instance metadata carries it. */
export const maxSpeedSchema = z.number().positive().max(MAX_VELOCITY_METERS_PER_SECOND)

const metadataWithLimitSchema = z.object({
  custom_properties: z.object({ max_speed_mps: maxSpeedSchema }),
})

/** The instance's speed limit in m/s, or null when it has none (or an invalid one). */
export function maxSpeedOf(metadata: unknown): number | null {
  const parsed = metadataWithLimitSchema.safeParse(metadata)
  return parsed.success ? parsed.data.custom_properties.max_speed_mps : null
}

/** Where the room last accepted a player, for a quest session running in the instance. */
export interface AcceptedPosition {
  user_id: string
  /** True while the player has an open socket in the room. */
  connected: boolean
  position: { x: number; y: number; z: number }
  /** When the room accepted that position (epoch ms). */
  accepted_at_ms: number
  /** The room's speed limit; null when it accepts any position. */
  max_speed_mps: number | null
}
