-- Asset licence rules (issue 12): check_asset_license now also applies the asset's
-- `min_user_level` and `requires_quest`, which decision 16 left out, and the reasons for a refusal
-- are one function, so the API can tell a player why (decision 66). Valid on PostgreSQL 15+.

-- Every rule p_user_id fails for the asset, as codes; empty when the asset may be used.
--   asset_not_found   no such asset (the only code then)
--   inactive          is_active is false
--   owner_only        a 'user_owned' asset, and p_user_id is not its owner
--   premium_required  requires_premium, and the user is not premium
--   level_required    the user's akashic_rank (their level, 1-100) is below min_user_level
--   quest_required    requires_quest, and the user has no verified completion of a quest that
--                     rewards the asset (quest_object_relationships: object_type 'asset',
--                     relationship_type 'reward'); an asset no quest rewards is usable by nobody
-- A NULL or unknown user is nobody: not the owner, not premium, level 0, no completions.
CREATE OR REPLACE FUNCTION asset_license_refusals(p_asset_id uuid, p_user_id uuid)
RETURNS text[]
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN a.id IS NULL THEN ARRAY['asset_not_found'] ELSE array_remove(ARRAY[
    CASE WHEN a.is_active IS FALSE THEN 'inactive' END,
    CASE WHEN a.license = 'user_owned' AND a.owner_id IS DISTINCT FROM p_user_id
         THEN 'owner_only' END,
    CASE WHEN a.requires_premium IS TRUE AND u.is_premium IS NOT TRUE
         THEN 'premium_required' END,
    CASE WHEN coalesce(a.min_user_level, 0) > coalesce(u.akashic_rank, 0)
         THEN 'level_required' END,
    CASE WHEN a.requires_quest IS TRUE AND NOT EXISTS (
           SELECT 1
           FROM quest_object_relationships r
           JOIN challenge_completions c ON c.quest_id = r.quest_id
           WHERE r.object_id = a.id AND r.object_type = 'asset' AND r.relationship_type = 'reward'
             AND c.user_id = p_user_id AND c.completion_verified)
         THEN 'quest_required' END
  ], NULL) END
  FROM (SELECT 1) AS one
  LEFT JOIN assets a ON a.id = p_asset_id
  LEFT JOIN users u ON u.id = p_user_id
$$;

-- The seed's signature and one row, as before; can_use is "no refusal at all".
CREATE OR REPLACE FUNCTION check_asset_license(p_asset_id uuid, p_user_id uuid)
RETURNS TABLE (can_use boolean, requires_attribution boolean, attribution_text text)
LANGUAGE sql STABLE AS $$
  SELECT
    cardinality(asset_license_refusals(p_asset_id, p_user_id)) = 0,
    COALESCE(a.license LIKE 'CC-BY%', FALSE),
    CASE WHEN a.id IS NOT NULL THEN asset_attribution(a) END
  FROM (SELECT 1) AS one
  LEFT JOIN assets a ON a.id = p_asset_id
$$;
