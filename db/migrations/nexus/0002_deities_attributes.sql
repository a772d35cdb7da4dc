-- Deities and attributes: faith amplification of blessings, attribute awards with their audit
-- trail, and the attribute leaderboards.
-- Valid on PostgreSQL 15 and later; needs no extension.

-- Blessing amplification from faith: 1.0 up to faith 20, then linear to 2.0 at faith 100
-- (1.25 at 40, 1.5 at 60, 1.75 at 80); capped at 2.0 above 100.
CREATE OR REPLACE FUNCTION calculate_blessing_amplification(p_faith integer)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN p_faith IS NULL OR p_faith <= 20 THEN 1.0::double precision
    WHEN p_faith >= 100 THEN 2.0::double precision
    ELSE 1.0::double precision + (p_faith - 20)::double precision / 80.0
  END
$$;

-- Keeps the user's active bonds' current_amplification in step with attr_faith.
CREATE OR REPLACE FUNCTION update_blessing_amplification() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.attr_faith IS DISTINCT FROM OLD.attr_faith THEN
    UPDATE user_deity_bonds
    SET current_amplification = calculate_blessing_amplification(NEW.attr_faith)
    WHERE user_id = NEW.id AND is_active = TRUE;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER trigger_update_blessing_amplification
  AFTER UPDATE OF attr_faith ON users
  FOR EACH ROW EXECUTE FUNCTION update_blessing_amplification();

-- A new bond starts from the user's current faith (the seed's default of 1.0 would be wrong for a
-- user whose faith is already above 20).
CREATE OR REPLACE FUNCTION initialize_bond_amplification() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_faith integer;
BEGIN
  SELECT attr_faith INTO v_faith FROM users WHERE id = NEW.user_id;
  IF NEW.faith_at_bonding IS NULL THEN
    NEW.faith_at_bonding := v_faith;
  END IF;
  NEW.current_amplification := calculate_blessing_amplification(v_faith);
  RETURN NEW;
END;
$$;

CREATE TRIGGER trigger_initialize_bond_amplification
  BEFORE INSERT ON user_deity_bonds
  FOR EACH ROW EXECUTE FUNCTION initialize_bond_amplification();

-- Adds to the 12 attributes and writes one attribute_transactions row per non-zero change.
-- Returns the new attribute values and the user's akashic rank. An unknown user raises
-- no_data_found (P0002) before anything is written.
CREATE OR REPLACE FUNCTION award_attributes(
  p_user_id uuid,
  p_strength integer DEFAULT 0,
  p_agility integer DEFAULT 0,
  p_endurance integer DEFAULT 0,
  p_magic integer DEFAULT 0,
  p_wisdom integer DEFAULT 0,
  p_cunning integer DEFAULT 0,
  p_leadership integer DEFAULT 0,
  p_faith integer DEFAULT 0,
  p_charisma integer DEFAULT 0,
  p_creativity integer DEFAULT 0,
  p_artistry integer DEFAULT 0,
  p_innovation integer DEFAULT 0,
  p_source_type varchar(50) DEFAULT 'manual',
  p_source_id uuid DEFAULT NULL,
  p_metadata jsonb DEFAULT '{}'
) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_user users%ROWTYPE;
BEGIN
  UPDATE users SET
    attr_strength = attr_strength + COALESCE(p_strength, 0),
    attr_agility = attr_agility + COALESCE(p_agility, 0),
    attr_endurance = attr_endurance + COALESCE(p_endurance, 0),
    attr_magic = attr_magic + COALESCE(p_magic, 0),
    attr_wisdom = attr_wisdom + COALESCE(p_wisdom, 0),
    attr_cunning = attr_cunning + COALESCE(p_cunning, 0),
    attr_leadership = attr_leadership + COALESCE(p_leadership, 0),
    attr_faith = attr_faith + COALESCE(p_faith, 0),
    attr_charisma = attr_charisma + COALESCE(p_charisma, 0),
    attr_creativity = attr_creativity + COALESCE(p_creativity, 0),
    attr_artistry = attr_artistry + COALESCE(p_artistry, 0),
    attr_innovation = attr_innovation + COALESCE(p_innovation, 0)
  WHERE id = p_user_id
  RETURNING * INTO v_user;

  IF NOT FOUND THEN
    RAISE EXCEPTION 'award_attributes: user % does not exist', p_user_id
      USING ERRCODE = 'no_data_found';
  END IF;

  INSERT INTO attribute_transactions
    (user_id, attribute_name, amount_change, source_type, source_id, metadata)
  SELECT p_user_id, a.attribute, a.amount, COALESCE(p_source_type, 'manual'), p_source_id,
         COALESCE(p_metadata, '{}')
  FROM (VALUES
    ('strength', p_strength), ('agility', p_agility), ('endurance', p_endurance),
    ('magic', p_magic), ('wisdom', p_wisdom), ('cunning', p_cunning),
    ('leadership', p_leadership), ('faith', p_faith), ('charisma', p_charisma),
    ('creativity', p_creativity), ('artistry', p_artistry), ('innovation', p_innovation)
  ) AS a (attribute, amount)
  WHERE COALESCE(a.amount, 0) <> 0;

  RETURN jsonb_build_object(
    'user_id', v_user.id,
    'attr_strength', v_user.attr_strength,
    'attr_agility', v_user.attr_agility,
    'attr_endurance', v_user.attr_endurance,
    'attr_magic', v_user.attr_magic,
    'attr_wisdom', v_user.attr_wisdom,
    'attr_cunning', v_user.attr_cunning,
    'attr_leadership', v_user.attr_leadership,
    'attr_faith', v_user.attr_faith,
    'attr_charisma', v_user.attr_charisma,
    'attr_creativity', v_user.attr_creativity,
    'attr_artistry', v_user.attr_artistry,
    'attr_innovation', v_user.attr_innovation,
    'akashic_rank', v_user.akashic_rank
  );
END;
$$;

-- Attribute rankings: each of the 12 attributes, the total and the overall rank.
CREATE MATERIALIZED VIEW attribute_leaderboards AS
SELECT
  u.id,
  u.username,
  u.display_name,
  u.avatar_url,
  u.akashic_rank,
  u.attr_strength, u.attr_agility, u.attr_endurance,
  u.attr_magic, u.attr_wisdom, u.attr_cunning,
  u.attr_leadership, u.attr_faith, u.attr_charisma,
  u.attr_creativity, u.attr_artistry, u.attr_innovation,
  RANK() OVER (ORDER BY u.attr_strength DESC) AS strength_rank,
  RANK() OVER (ORDER BY u.attr_agility DESC) AS agility_rank,
  RANK() OVER (ORDER BY u.attr_endurance DESC) AS endurance_rank,
  RANK() OVER (ORDER BY u.attr_magic DESC) AS magic_rank,
  RANK() OVER (ORDER BY u.attr_wisdom DESC) AS wisdom_rank,
  RANK() OVER (ORDER BY u.attr_cunning DESC) AS cunning_rank,
  RANK() OVER (ORDER BY u.attr_leadership DESC) AS leadership_rank,
  RANK() OVER (ORDER BY u.attr_faith DESC) AS faith_rank,
  RANK() OVER (ORDER BY u.attr_charisma DESC) AS charisma_rank,
  RANK() OVER (ORDER BY u.attr_creativity DESC) AS creativity_rank,
  RANK() OVER (ORDER BY u.attr_artistry DESC) AS artistry_rank,
  RANK() OVER (ORDER BY u.attr_innovation DESC) AS innovation_rank,
  t.total_attributes,
  RANK() OVER (ORDER BY t.total_attributes DESC) AS overall_rank
FROM users u
CROSS JOIN LATERAL (
  SELECT u.attr_strength + u.attr_agility + u.attr_endurance
       + u.attr_magic + u.attr_wisdom + u.attr_cunning
       + u.attr_leadership + u.attr_faith + u.attr_charisma
       + u.attr_creativity + u.attr_artistry + u.attr_innovation AS total_attributes
) t
WHERE u.akashic_rank > 0;

-- Unique index so the view can be refreshed concurrently.
CREATE UNIQUE INDEX idx_attribute_leaderboards_id ON attribute_leaderboards (id);
CREATE INDEX idx_attribute_leaderboards_overall ON attribute_leaderboards (overall_rank);

-- Refreshes attribute_leaderboards without blocking readers.
CREATE OR REPLACE FUNCTION refresh_attribute_leaderboards() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY attribute_leaderboards;
  INSERT INTO materialized_view_refreshes (view_name, refreshed_at)
  VALUES ('attribute_leaderboards', now())
  ON CONFLICT (view_name) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at;
END;
$$;
