-- Global leaderboards over users (akashic resonance, total essence, each of the 12 attributes and
-- their total) whose ranks are correct at commit and cost the same for the 100,000th player as for
-- the 10th (db/README decision 54).
--
-- global_leaderboard_entries: one row per (board, user) with the user's value, kept in step with
-- users by trigger_global_leaderboards; listing and around-me are range scans of its index.
-- leaderboard_bucket_counts: how many entries each value bucket (leaderboard_bucket, 0020) holds,
-- as insert-only deltas
-- (+1 / -1 rows, never updated in place, so concurrent awards never wait for or deadlock on a
-- counter row); compact_leaderboard_bucket_counts() folds them. A rank is
--   1 + (entries in higher buckets: a sum over at most a few hundred rows)
--     + (entries of the player's own bucket with a higher value: a short index range).
-- Ties share a rank (RANK(), as the seed's akashic_leaderboard and attribute_leaderboards).
-- Valid on PostgreSQL 15 and later; needs no extension.

-- The boards a user is on and their value on each; NULL when the user is not on that board
-- (akashic boards list only players with essence, as the seed's akashic_leaderboard does).
CREATE OR REPLACE FUNCTION global_leaderboard_values(u users)
RETURNS TABLE (board varchar(32), value bigint)
LANGUAGE sql IMMUTABLE AS $$
  SELECT b.board::varchar(32), b.value
  FROM (VALUES
    ('akashic_resonance', CASE WHEN u.akashic_resonance > 0 THEN u.akashic_resonance::bigint END),
    ('akashic_total_essence',
      CASE WHEN u.akashic_resonance::bigint + u.akashic_wisdom + u.akashic_creativity
                + u.akashic_connection > 0
           THEN u.akashic_resonance::bigint + u.akashic_wisdom + u.akashic_creativity
                + u.akashic_connection END),
    ('attr_strength', u.attr_strength::bigint),
    ('attr_agility', u.attr_agility::bigint),
    ('attr_endurance', u.attr_endurance::bigint),
    ('attr_magic', u.attr_magic::bigint),
    ('attr_wisdom', u.attr_wisdom::bigint),
    ('attr_cunning', u.attr_cunning::bigint),
    ('attr_leadership', u.attr_leadership::bigint),
    ('attr_faith', u.attr_faith::bigint),
    ('attr_charisma', u.attr_charisma::bigint),
    ('attr_creativity', u.attr_creativity::bigint),
    ('attr_artistry', u.attr_artistry::bigint),
    ('attr_innovation', u.attr_innovation::bigint),
    ('attr_total', u.attr_strength::bigint + u.attr_agility + u.attr_endurance + u.attr_magic
                   + u.attr_wisdom + u.attr_cunning + u.attr_leadership + u.attr_faith
                   + u.attr_charisma + u.attr_creativity + u.attr_artistry + u.attr_innovation)
  ) AS b (board, value)
$$;

-- Derived from users (rebuild_global_leaderboards()); no foreign key, like quest boards.
CREATE TABLE global_leaderboard_entries (
  board varchar(32) NOT NULL,
  user_id uuid NOT NULL,
  value bigint NOT NULL,
  PRIMARY KEY (board, user_id)
);

-- Order on a board: value desc, then user id desc (ties share a rank; the id only fixes the order).
CREATE INDEX idx_global_leaderboard_order ON global_leaderboard_entries (board, value, user_id);

CREATE TABLE leaderboard_bucket_counts (
  board varchar(32) NOT NULL,
  bucket bigint NOT NULL,
  entries integer NOT NULL
);

CREATE INDEX idx_leaderboard_bucket_counts ON leaderboard_bucket_counts (board, bucket)
  INCLUDE (entries);

-- Moves a user's entries and bucket counts from OLD's values to NEW's (either may be NULL: an
-- inserted or deleted user).
CREATE OR REPLACE FUNCTION sync_global_leaderboards() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_user_id uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
BEGIN
  WITH changes AS (
    SELECT o.board, o.value AS old_value, n.value AS new_value
    FROM global_leaderboard_values(CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD END) AS o
    JOIN global_leaderboard_values(CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW END) AS n
      USING (board)
    WHERE o.value IS DISTINCT FROM n.value
  ),
  removed AS (
    DELETE FROM global_leaderboard_entries e
    USING changes c
    WHERE c.new_value IS NULL AND e.board = c.board AND e.user_id = v_user_id
  ),
  written AS (
    INSERT INTO global_leaderboard_entries (board, user_id, value)
    SELECT c.board, v_user_id, c.new_value FROM changes c WHERE c.new_value IS NOT NULL
    ON CONFLICT (board, user_id) DO UPDATE SET value = EXCLUDED.value
  )
  INSERT INTO leaderboard_bucket_counts (board, bucket, entries)
  SELECT c.board, d.bucket, d.entries
  FROM changes c
  CROSS JOIN LATERAL (VALUES (leaderboard_bucket(c.old_value), -1),
                             (leaderboard_bucket(c.new_value), 1)) AS d (bucket, entries)
  WHERE d.bucket IS NOT NULL
    AND leaderboard_bucket(c.old_value) IS DISTINCT FROM leaderboard_bucket(c.new_value);
  RETURN NULL;
END;
$$;

CREATE TRIGGER trigger_global_leaderboards_insert
  AFTER INSERT ON users
  FOR EACH ROW EXECUTE FUNCTION sync_global_leaderboards();

CREATE TRIGGER trigger_global_leaderboards_update
  AFTER UPDATE OF akashic_resonance, akashic_wisdom, akashic_creativity, akashic_connection,
                  attr_strength, attr_agility, attr_endurance, attr_magic, attr_wisdom,
                  attr_cunning, attr_leadership, attr_faith, attr_charisma, attr_creativity,
                  attr_artistry, attr_innovation
  ON users
  FOR EACH ROW
  WHEN ((OLD.akashic_resonance, OLD.akashic_wisdom, OLD.akashic_creativity, OLD.akashic_connection,
         OLD.attr_strength, OLD.attr_agility, OLD.attr_endurance, OLD.attr_magic, OLD.attr_wisdom,
         OLD.attr_cunning, OLD.attr_leadership, OLD.attr_faith, OLD.attr_charisma,
         OLD.attr_creativity, OLD.attr_artistry, OLD.attr_innovation)
        IS DISTINCT FROM
        (NEW.akashic_resonance, NEW.akashic_wisdom, NEW.akashic_creativity, NEW.akashic_connection,
         NEW.attr_strength, NEW.attr_agility, NEW.attr_endurance, NEW.attr_magic, NEW.attr_wisdom,
         NEW.attr_cunning, NEW.attr_leadership, NEW.attr_faith, NEW.attr_charisma,
         NEW.attr_creativity, NEW.attr_artistry, NEW.attr_innovation))
  EXECUTE FUNCTION sync_global_leaderboards();

CREATE TRIGGER trigger_global_leaderboards_delete
  AFTER DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION sync_global_leaderboards();

-- The competition rank of p_value on p_board: 1 + the entries with a higher value. Read in one
-- statement, so the bucket sums and the entries agree (one snapshot).
CREATE OR REPLACE FUNCTION global_leaderboard_rank(p_board varchar, p_value bigint)
RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT 1
    + COALESCE((SELECT sum(b.entries) FROM leaderboard_bucket_counts b
                WHERE b.board = p_board AND b.bucket > leaderboard_bucket(p_value)), 0)
    + (SELECT count(*) FROM global_leaderboard_entries e
       WHERE e.board = p_board AND e.value > p_value
         AND e.value < leaderboard_next_bucket(p_value))
$$;

-- Folds the delta rows into one row per (board, bucket); buckets that sum to zero disappear.
-- Deltas committed while it runs are not in its snapshot and stay, so no count is lost; a second
-- compaction running at the same time finds the lock taken and returns at once. Returns the number
-- of rows removed.
CREATE OR REPLACE FUNCTION compact_leaderboard_bucket_counts() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_before bigint;
  v_after bigint;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended('leaderboard_bucket_counts:compact', 0)) THEN
    RETURN 0;
  END IF;
  WITH gone AS (
    DELETE FROM leaderboard_bucket_counts RETURNING board, bucket, entries
  ),
  folded AS (
    INSERT INTO leaderboard_bucket_counts (board, bucket, entries)
    SELECT board, bucket, sum(entries) FROM gone GROUP BY board, bucket HAVING sum(entries) <> 0
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM folded) INTO v_before, v_after;
  RETURN v_before - v_after;
END;
$$;

-- Rebuilds entries and counts from users (migration backfill, bulk loads, repair).
CREATE OR REPLACE FUNCTION rebuild_global_leaderboards() RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM global_leaderboard_entries;
  DELETE FROM leaderboard_bucket_counts;
  INSERT INTO global_leaderboard_entries (board, user_id, value)
  SELECT v.board, u.id, v.value
  FROM users u CROSS JOIN LATERAL global_leaderboard_values(u) AS v
  WHERE v.value IS NOT NULL;
  INSERT INTO leaderboard_bucket_counts (board, bucket, entries)
  SELECT board, leaderboard_bucket(value), count(*)
  FROM global_leaderboard_entries GROUP BY 1, 2;
  RETURN (SELECT count(*) FROM global_leaderboard_entries);
END;
$$;

SELECT rebuild_global_leaderboards();
