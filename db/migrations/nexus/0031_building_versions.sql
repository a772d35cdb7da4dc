-- Buildings (issue 12): a version per instance so live clients can tell which state of the
-- instance's buildings they hold, and whether a building's unit came out of its owner's inventory
-- (it goes back there when the building is removed). Valid on PostgreSQL 15 and later.

-- One row per instance that ever held a building (decision 64). Every placement, move and removal
-- locks it, adds 1 to `version` and stamps the building with the new value, so versions of one
-- instance are strictly increasing in commit order; `building_count` enforces the per-instance cap.
CREATE TABLE instance_building_versions (
  instance_id uuid PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
  version bigint NOT NULL DEFAULT 0 CHECK (version >= 0),
  building_count integer NOT NULL DEFAULT 0 CHECK (building_count >= 0)
);

ALTER TABLE buildings ADD COLUMN version bigint NOT NULL DEFAULT 0;
-- True when placing the building took one unit of `item_id` from `owner_id`'s inventory
-- (decision 65); deity placements and rows written by other means never hold a unit.
ALTER TABLE buildings ADD COLUMN from_inventory boolean NOT NULL DEFAULT FALSE;
ALTER TABLE buildings ADD CONSTRAINT buildings_unit_has_owner_and_item
  CHECK (NOT from_inventory OR (owner_id IS NOT NULL AND item_id IS NOT NULL));

-- An instance's buildings are listed oldest first (keyset on (created_at, id)).
CREATE INDEX idx_buildings_instance_created ON buildings (instance_id, created_at, id);
