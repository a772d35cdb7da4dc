/**
 * Buildings in the live room. Buildings live in Postgres (`functions/buildings`); the room only
 * relays their changes and remembers the latest version it heard of:
 *
 * - the Worker sends a `building_changed` notice after each placement, move or removal commits;
 *   the room puts a `building` event (`{ change, building }`) into every player's next batch
 *   (buildings are part of the whole instance, not of a zone);
 * - each instance's buildings carry a version (`instance_building_versions`, bumped by every
 *   change and stamped on the building as `building.version`), strictly increasing in commit
 *   order; the room keeps the highest it has seen, also from the Worker at each connect, and
 *   sends it in `welcome` as `buildings_version`.
 *
 * A client applies an event when `building.version` is greater than the version it holds for
 * that building (notices may arrive out of order), keeping removed ids as tombstones; after a
 * `welcome` whose `buildings_version` is greater than its cache it fetches
 * `GET /v1/instances/:id/buildings` (each page carries `version`) and applies events newer than
 * what it fetched. A client never polls.
 */
import { z } from 'zod'

/** Meta key of the highest building version the room has seen. */
export const BUILDINGS_VERSION_SEEN_KEY = 'buildings_version_seen'

/** What happened to a building. */
export const BUILDING_CHANGES = ['placed', 'moved', 'removed'] as const
export type BuildingChange = (typeof BUILDING_CHANGES)[number]

const vector3 = z.object({ x: z.number(), y: z.number(), z: z.number() })

/** A building as the API answers it and as `building` events carry it. */
export const buildingSnapshotSchema = z.object({
  id: z.uuid(),
  instance_id: z.uuid(),
  owner_id: z.uuid().nullable(),
  item_id: z.uuid().nullable(),
  asset_id: z.uuid().nullable(),
  placed_by_companion: z.string().nullable(),
  name: z.string().nullable(),
  glb_path: z.string(),
  position: vector3,
  rotation: vector3.extend({ w: z.number() }),
  scale: vector3,
  is_public: z.boolean(),
  interactions: z.record(z.string(), z.unknown()),
  license_snapshot: z.record(z.string(), z.unknown()),
  from_inventory: z.boolean(),
  version: z.int().min(0),
  created_at: z.string().nullable(),
  last_modified: z.string().nullable(),
  modified_by: z.uuid().nullable(),
})

/** A building as the API answers it and as `building` events carry it. */
export type BuildingSnapshot = z.infer<typeof buildingSnapshotSchema>

/** The `building_changed` notice (one variant of `roomNoticeSchema`). */
export const buildingChangedNoticeSchema = z.strictObject({
  type: z.literal('building_changed'),
  change: z.enum(BUILDING_CHANGES),
  /** The building after the change (for `removed`, as it was, with the removal's version). */
  building: buildingSnapshotSchema,
})
