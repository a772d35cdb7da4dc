/**
 * The wire shapes of companions in a live room (companions.ts has the rules): what a connection
 * and a notice bring in, and what players receive. No runtime dependencies beyond zod, so the
 * protocol types stay usable in browsers (the SDK and the console).
 */
import { z } from 'zod'
import type { Position } from './protocol'
import type { Zone } from './zones'

/** Companions one owner brings into a room. */
export const MAX_ROOM_COMPANIONS_PER_OWNER = 3

/** The seed's behaviour states. */
export const companionBehaviorSchema = z.enum([
  'following',
  'idle',
  'exploring',
  'talking',
  'performing',
])

/** A companion as it travels into the room (connection and notices). */
export const roomCompanionSchema = z.strictObject({
  companion_id: z.uuid(),
  name: z.string().min(1).max(50),
  appearance: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  behavior_state: companionBehaviorSchema,
})

/** A companion's travelling form. */
export type RoomCompanion = z.infer<typeof roomCompanionSchema>

/** What everyone who sees its zone learns of a companion: the public minimum. */
export interface CompanionBody {
  companion_id: string
  owner_id: string
  zone: Zone
  position: Position
  behavior_state: RoomCompanion['behavior_state']
}

/** Who a companion is: name and look, never shown between a blocked pair. */
export interface CompanionDetail {
  name: string
  appearance: RoomCompanion['appearance']
}

/** A companion in a `welcome` or `observer_welcome`: `detail` is null for a blocked pair. */
export interface CompanionSnapshot extends CompanionBody {
  detail: CompanionDetail | null
}

/** A companion in the room's presence (the API redacts it for blocked pairs). */
export type PresentCompanion = CompanionBody & CompanionDetail
