-- Akashic progression: a balance for every new user, rank and title from resonance, essence awards
-- with their audit trail, and the real-time akashic leaderboard.
-- Valid on PostgreSQL 15 and later; needs no extension.

-- A new user gets a balance row: 100 tokens, total_earned 100.
CREATE OR REPLACE FUNCTION create_user_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_balances (user_id, tokens, total_earned)
  VALUES (NEW.id, 100, 100)
  ON CONFLICT (user_id) DO NOTHING;
  RETURN NEW;
END;
$$;

CREATE TRIGGER trigger_create_user_balance
  AFTER INSERT ON users
  FOR EACH ROW EXECUTE FUNCTION create_user_balance();

-- Rank (1-100) and title for a resonance total, in 7 tiers:
--   Newcomer 0-99 -> 1-10, Explorer 100-999 -> 11-25, Seeker 1,000-4,999 -> 26-50,
--   Sage 5,000-19,999 -> 51-75, Master 20,000-49,999 -> 76-90, Elder 50,000-99,999 -> 91-99,
--   Eternal 100,000+ -> 100.
-- Within a tier the rank rises linearly:
--   rank = low_rank + floor((resonance - low_res) * (high_rank - low_rank + 1) / (high_res - low_res + 1))
-- so each tier's lowest resonance gets its lowest rank and its highest resonance its highest rank.
-- Negative resonance counts as 0.
CREATE OR REPLACE FUNCTION akashic_rank_for_resonance(p_resonance integer)
RETURNS TABLE (rank integer, title varchar(50))
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT
    CASE WHEN t.high_res IS NULL THEN t.low_rank
         ELSE t.low_rank + ((GREATEST(p_resonance, 0)::bigint - t.low_res)
                            * (t.high_rank - t.low_rank + 1)
                            / (t.high_res - t.low_res + 1))::integer
    END,
    t.title::varchar(50)
  FROM (VALUES
    ('Newcomer', 0, 99, 1, 10),
    ('Explorer', 100, 999, 11, 25),
    ('Seeker', 1000, 4999, 26, 50),
    ('Sage', 5000, 19999, 51, 75),
    ('Master', 20000, 49999, 76, 90),
    ('Elder', 50000, 99999, 91, 99),
    ('Eternal', 100000, NULL, 100, 100)
  ) AS t (title, low_res, high_res, low_rank, high_rank)
  WHERE GREATEST(p_resonance, 0) >= t.low_res
    AND (t.high_res IS NULL OR GREATEST(p_resonance, 0) <= t.high_res)
$$;

-- Keeps akashic_rank and akashic_rank_title in step with akashic_resonance; stamps last_rank_up when
-- the rank rises.
CREATE OR REPLACE FUNCTION update_akashic_rank_title() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_rank integer;
  v_title varchar(50);
BEGIN
  SELECT r.rank, r.title INTO v_rank, v_title
  FROM akashic_rank_for_resonance(NEW.akashic_resonance) AS r;
  NEW.akashic_rank := v_rank;
  NEW.akashic_rank_title := v_title;
  IF TG_OP = 'UPDATE' AND v_rank > OLD.akashic_rank THEN
    NEW.last_rank_up := now();
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER trigger_update_akashic_rank
  BEFORE INSERT OR UPDATE OF akashic_resonance, akashic_rank, akashic_rank_title ON users
  FOR EACH ROW EXECUTE FUNCTION update_akashic_rank_title();

-- Adds essence to a user and writes one akashic_transactions row per non-zero amount.
-- Returns the new totals, rank and title. An unknown user raises no_data_found (P0002) before
-- anything is written.
CREATE OR REPLACE FUNCTION award_akashic_essence(
  p_user_id uuid,
  p_resonance integer DEFAULT 0,
  p_wisdom integer DEFAULT 0,
  p_creativity integer DEFAULT 0,
  p_connection integer DEFAULT 0,
  p_source_type varchar(50) DEFAULT 'manual',
  p_source_id uuid DEFAULT NULL,
  p_metadata jsonb DEFAULT '{}'
) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_user users%ROWTYPE;
BEGIN
  UPDATE users SET
    akashic_resonance = akashic_resonance + COALESCE(p_resonance, 0),
    akashic_wisdom = akashic_wisdom + COALESCE(p_wisdom, 0),
    akashic_creativity = akashic_creativity + COALESCE(p_creativity, 0),
    akashic_connection = akashic_connection + COALESCE(p_connection, 0),
    akashic_last_updated = now()
  WHERE id = p_user_id
  RETURNING * INTO v_user;

  IF NOT FOUND THEN
    RAISE EXCEPTION 'award_akashic_essence: user % does not exist', p_user_id
      USING ERRCODE = 'no_data_found';
  END IF;

  INSERT INTO akashic_transactions
    (user_id, transaction_type, essence_type, amount, source_id, source_type, metadata)
  SELECT p_user_id, COALESCE(p_source_type, 'manual'), e.essence, e.amount, p_source_id,
         p_source_type, COALESCE(p_metadata, '{}')
  FROM (VALUES
    ('resonance', p_resonance),
    ('wisdom', p_wisdom),
    ('creativity', p_creativity),
    ('connection', p_connection)
  ) AS e (essence, amount)
  WHERE COALESCE(e.amount, 0) <> 0;

  RETURN jsonb_build_object(
    'user_id', v_user.id,
    'akashic_resonance', v_user.akashic_resonance,
    'akashic_wisdom', v_user.akashic_wisdom,
    'akashic_creativity', v_user.akashic_creativity,
    'akashic_connection', v_user.akashic_connection,
    'akashic_rank', v_user.akashic_rank,
    'akashic_rank_title', v_user.akashic_rank_title
  );
END;
$$;

-- Real-time akashic rankings (a plain view).
CREATE VIEW akashic_leaderboard AS
SELECT
  u.id,
  u.username,
  u.display_name,
  u.avatar_url,
  u.akashic_rank,
  u.akashic_rank_title,
  u.akashic_resonance,
  u.akashic_wisdom,
  u.akashic_creativity,
  u.akashic_connection,
  u.strength_discovery,
  u.strength_interpretation,
  u.strength_influence,
  u.total_quests_completed,
  u.total_objects_donated,
  RANK() OVER (ORDER BY u.akashic_resonance DESC) AS global_rank
FROM users u
WHERE u.akashic_resonance > 0
ORDER BY u.akashic_resonance DESC;
