-- Asset licensing: the licence snapshot taken when a building is placed, asset info and licence
-- checks for in-world display and placement, and the popular-assets view.
-- Valid on PostgreSQL 15 and later; needs no extension.

-- Attribution line for an asset, e.g. 'Fir Sapling by Poly Haven (polyhaven), CC0'.
CREATE OR REPLACE FUNCTION asset_attribution(p_asset assets) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT COALESCE(p_asset.display_name, p_asset.asset_name)
         || ' by ' || COALESCE(p_asset.original_author, p_asset.owner_name, 'unknown author')
         || ' (' || p_asset.source || '), ' || p_asset.license
$$;

-- Records the asset's licence on the building at placement (the legal record must not change
-- when the registry does). Also fills glb_path from the asset when the insert leaves it out.
CREATE OR REPLACE FUNCTION populate_license_snapshot() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_asset assets%ROWTYPE;
BEGIN
  IF NEW.asset_id IS NULL THEN
    RETURN NEW;
  END IF;
  SELECT * INTO v_asset FROM assets WHERE id = NEW.asset_id;
  IF NOT FOUND THEN
    -- The foreign key reports the missing asset.
    RETURN NEW;
  END IF;
  NEW.license_snapshot := jsonb_build_object(
    'asset_name', v_asset.asset_name,
    'license', v_asset.license,
    'source', v_asset.source,
    'original_author', v_asset.original_author,
    'original_url', v_asset.original_url,
    'owner_name', v_asset.owner_name,
    'attribution', asset_attribution(v_asset),
    'snapshot_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
  );
  NEW.glb_path := COALESCE(NEW.glb_path, v_asset.glb_path);
  RETURN NEW;
END;
$$;

CREATE TRIGGER trigger_populate_license_snapshot
  BEFORE INSERT ON buildings
  FOR EACH ROW EXECUTE FUNCTION populate_license_snapshot();

-- Asset info with licence for in-world display; no row for an unknown asset.
CREATE OR REPLACE FUNCTION get_asset_info(p_asset_id uuid)
RETURNS TABLE (asset_name text, display_name text, license text, attribution text, owner_name text)
LANGUAGE sql STABLE AS $$
  SELECT a.asset_name, COALESCE(a.display_name, a.asset_name), a.license::text,
         asset_attribution(a), a.owner_name
  FROM assets a
  WHERE a.id = p_asset_id
$$;

-- Whether p_user_id may use the asset, and the attribution it requires. Always one row:
--   can_use: the asset exists and is active; 'user_owned' assets only by their owner; assets that
--            require premium only by premium users.
--   requires_attribution: CC-BY family licences.
CREATE OR REPLACE FUNCTION check_asset_license(p_asset_id uuid, p_user_id uuid)
RETURNS TABLE (can_use boolean, requires_attribution boolean, attribution_text text)
LANGUAGE sql STABLE AS $$
  SELECT
    COALESCE(
      a.id IS NOT NULL
      AND a.is_active IS NOT FALSE
      AND (a.license <> 'user_owned' OR a.owner_id = p_user_id)
      AND (a.requires_premium IS NOT TRUE
           OR EXISTS (SELECT 1 FROM users u WHERE u.id = p_user_id AND u.is_premium)),
      FALSE),
    COALESCE(a.license LIKE 'CC-BY%', FALSE),
    CASE WHEN a.id IS NOT NULL THEN asset_attribution(a) END
  FROM (SELECT 1) AS one
  LEFT JOIN assets a ON a.id = p_asset_id
$$;

-- Placement counts per asset. The seed filtered au.action in WHERE, which turned the LEFT JOIN into
-- an inner join; the filter sits in the join so never-placed assets show 0.
CREATE VIEW popular_assets AS
SELECT
  a.asset_name,
  a.display_name,
  a.category,
  COUNT(au.id) AS usage_count,
  COUNT(DISTINCT au.used_by) AS unique_users
FROM assets a
LEFT JOIN asset_usage au ON a.id = au.asset_id AND au.action = 'placed'
GROUP BY a.id, a.asset_name, a.display_name, a.category
ORDER BY usage_count DESC;
