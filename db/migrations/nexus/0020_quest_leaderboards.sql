-- Per-quest leaderboards that are correct the moment a completion commits (db/README decisions 50,
-- 51, 53). One entry per (quest, period, period start, user): the user's best verified, ranked
-- completion in that period. Written by triggers on challenge_completions in the completion's own
-- transaction, so a rank read after the commit already counts it; closed periods keep their rows
-- (the archive). A rank is 1 + the entries ahead, counted from per-score-bucket counts
-- (quest_leaderboard_buckets) plus a short index range in the player's own bucket, so it costs the
-- same at rank 50,000 of a hot quest as at rank 5.
-- Valid on PostgreSQL 15 and later; needs no extension.

-- The start of the period containing p_at, in UTC: '-infinity' for all_time, Monday 00:00 for
-- weekly, midnight for daily.
CREATE OR REPLACE FUNCTION leaderboard_period_start(p_period text, p_at timestamptz)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p_period
    WHEN 'all_time' THEN '-infinity'::timestamptz
    WHEN 'weekly' THEN date_trunc('week', p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
    WHEN 'daily' THEN date_trunc('day', p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
  END
$$;

-- The bucket of a value: values below 100 are their own bucket; larger values keep two
-- significant digits (100-109 -> 100, 12,345 -> 12,000), so buckets are at most 10% of their
-- value wide and a board of any size has at most ~90 buckets per power of ten.
CREATE OR REPLACE FUNCTION leaderboard_bucket(p_value bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN p_value < 100 THEN p_value
    ELSE p_value - p_value % (10::bigint ^ (length(p_value::text) - 2))::bigint
  END
$$;

-- The first value of the bucket after p_value's.
CREATE OR REPLACE FUNCTION leaderboard_next_bucket(p_value bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN p_value < 100 THEN p_value + 1
    ELSE leaderboard_bucket(p_value) + (10::bigint ^ (length(p_value::text) - 2))::bigint
  END
$$;

-- Derived data (rebuildable from challenge_completions with rebuild_quest_leaderboards()), so it
-- carries no foreign keys: the completions it is made from already have them.
-- Order on a board: score desc, time asc, completed_at asc, then user id desc (only for exact ties
-- of all three). neg_time_taken and neg_completed_us hold the ascending keys negated, so "better
-- than" is one row comparison the index answers: (score, neg_time_taken, neg_completed_us, user_id)
-- greater is better.
CREATE TABLE quest_leaderboard_entries (
  quest_id uuid NOT NULL,
  period varchar(8) NOT NULL CHECK (period IN ('all_time', 'weekly', 'daily')),
  period_start timestamptz NOT NULL,
  user_id uuid NOT NULL,
  completion_id uuid NOT NULL,
  score integer NOT NULL,
  time_taken_seconds integer NOT NULL,
  completed_at timestamptz NOT NULL,
  neg_time_taken integer NOT NULL,
  neg_completed_us bigint NOT NULL,
  PRIMARY KEY (quest_id, period, period_start, user_id)
);

-- Top N, around-me and rank (count of the entries ahead) are range scans of this index.
CREATE INDEX idx_quest_leaderboard_order ON quest_leaderboard_entries
  (quest_id, period, period_start, score, neg_time_taken, neg_completed_us, user_id);
-- A user's personal bests (all_time entries, newest first) and the per-user rebuild.
CREATE INDEX idx_quest_leaderboard_user ON quest_leaderboard_entries
  (user_id, period, completed_at DESC, quest_id DESC);

-- How many entries of each board have a score in each bucket, kept by the statement triggers
-- below (one set-based upsert per statement). Writes to one quest's boards run one transaction at
-- a time (the per-quest advisory lock of trigger_rank_at_completion, also taken by this migration's
-- own triggers), so the counter rows are never contended by two writers of the same board.
CREATE TABLE quest_leaderboard_buckets (
  quest_id uuid NOT NULL,
  period varchar(8) NOT NULL,
  period_start timestamptz NOT NULL,
  bucket bigint NOT NULL,
  entries integer NOT NULL,
  PRIMARY KEY (quest_id, period, period_start, bucket)
);

-- Moves the bucket counts by the entries a statement inserted, updated or deleted (transition
-- tables; each trigger below runs only the branch whose tables it has).
CREATE OR REPLACE FUNCTION count_quest_leaderboard_buckets() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO quest_leaderboard_buckets AS b
    SELECT quest_id, period, period_start, leaderboard_bucket(score), count(*)::int
    FROM new_entries GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (quest_id, period, period_start, bucket)
      DO UPDATE SET entries = b.entries + EXCLUDED.entries;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO quest_leaderboard_buckets AS b
    SELECT quest_id, period, period_start, leaderboard_bucket(score), sum(delta)::int
    FROM (SELECT quest_id, period, period_start, score, -1 AS delta FROM old_entries
          UNION ALL SELECT quest_id, period, period_start, score, 1 FROM new_entries) d
    GROUP BY 1, 2, 3, 4 HAVING sum(delta) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (quest_id, period, period_start, bucket)
      DO UPDATE SET entries = b.entries + EXCLUDED.entries;
  ELSE
    UPDATE quest_leaderboard_buckets b SET entries = b.entries - d.n
    FROM (SELECT quest_id, period, period_start, leaderboard_bucket(score) AS bucket,
                 count(*)::int AS n
          FROM old_entries GROUP BY 1, 2, 3, 4) d
    WHERE (b.quest_id, b.period, b.period_start, b.bucket)
        = (d.quest_id, d.period, d.period_start, d.bucket);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER trigger_quest_leaderboard_buckets_insert
  AFTER INSERT ON quest_leaderboard_entries
  REFERENCING NEW TABLE AS new_entries
  FOR EACH STATEMENT EXECUTE FUNCTION count_quest_leaderboard_buckets();
CREATE TRIGGER trigger_quest_leaderboard_buckets_update
  AFTER UPDATE ON quest_leaderboard_entries
  REFERENCING OLD TABLE AS old_entries NEW TABLE AS new_entries
  FOR EACH STATEMENT EXECUTE FUNCTION count_quest_leaderboard_buckets();
CREATE TRIGGER trigger_quest_leaderboard_buckets_delete
  AFTER DELETE ON quest_leaderboard_entries
  REFERENCING OLD TABLE AS old_entries
  FOR EACH STATEMENT EXECUTE FUNCTION count_quest_leaderboard_buckets();

-- The rank on a board of the entry with this key: 1 + the entries ahead of it (greater key), as
-- the bucket counts above its score's bucket plus the entries of its own bucket ahead of it.
-- STABLE: in one statement it reads the statement's snapshot, like the rows it ranks.
CREATE OR REPLACE FUNCTION quest_leaderboard_rank(
  p_quest_id uuid, p_period varchar, p_period_start timestamptz,
  p_score integer, p_neg_time_taken integer, p_neg_completed_us bigint, p_user_id uuid
) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT (1
    + COALESCE((SELECT sum(b.entries) FROM quest_leaderboard_buckets b
                WHERE b.quest_id = p_quest_id AND b.period = p_period
                  AND b.period_start = p_period_start
                  AND b.bucket > leaderboard_bucket(p_score)), 0)
    + (SELECT count(*) FROM quest_leaderboard_entries e
       WHERE e.quest_id = p_quest_id AND e.period = p_period AND e.period_start = p_period_start
         AND (e.score, e.neg_time_taken, e.neg_completed_us, e.user_id)
           > (p_score, p_neg_time_taken, p_neg_completed_us, p_user_id)
         AND e.score < leaderboard_next_bucket(p_score)))::integer
$$;

-- The entries of a set of completions: for each (quest, period, period start, user) the best of
-- them that counts (verified, ranked, with a quest and a user).
CREATE OR REPLACE FUNCTION quest_leaderboard_candidates(p_completions challenge_completions[])
RETURNS SETOF quest_leaderboard_entries
LANGUAGE sql STABLE AS $$
  SELECT DISTINCT ON (c.quest_id, p.period, p.period_start, c.user_id)
    c.quest_id, p.period, p.period_start, c.user_id, c.id, c.score, c.time_taken_seconds,
    c.completed_at, -c.time_taken_seconds,
    -(floor(extract(epoch FROM c.completed_at) * 1000000))::bigint
  FROM unnest(p_completions) AS c
  CROSS JOIN LATERAL (
    SELECT v.period::varchar(8), leaderboard_period_start(v.period, c.completed_at)
    FROM (VALUES ('all_time'), ('weekly'), ('daily')) AS v (period)
  ) AS p (period, period_start)
  WHERE c.completion_verified AND c.is_ranked_attempt
    AND c.quest_id IS NOT NULL AND c.user_id IS NOT NULL
  ORDER BY c.quest_id, p.period, p.period_start, c.user_id,
           c.score DESC, c.time_taken_seconds ASC, c.completed_at ASC, c.id
$$;

-- Upserts candidate entries, replacing an existing entry only when the candidate is better. Safe
-- under concurrency on its own: ON CONFLICT locks the existing entry and re-checks the WHERE on
-- its latest version.
CREATE OR REPLACE FUNCTION upsert_quest_leaderboard_entries(p_completions challenge_completions[])
RETURNS void
LANGUAGE sql AS $$
  INSERT INTO quest_leaderboard_entries AS e
  SELECT * FROM quest_leaderboard_candidates(p_completions)
  ON CONFLICT (quest_id, period, period_start, user_id) DO UPDATE SET
    completion_id = EXCLUDED.completion_id,
    score = EXCLUDED.score,
    time_taken_seconds = EXCLUDED.time_taken_seconds,
    completed_at = EXCLUDED.completed_at,
    neg_time_taken = EXCLUDED.neg_time_taken,
    neg_completed_us = EXCLUDED.neg_completed_us
  WHERE (EXCLUDED.score, EXCLUDED.neg_time_taken, EXCLUDED.neg_completed_us)
      > (e.score, e.neg_time_taken, e.neg_completed_us)
$$;

-- Recomputes one user's entries of one quest from their completions (after a completion is
-- updated or deleted: its entry may have to fall back to the next best, or disappear).
CREATE OR REPLACE FUNCTION rebuild_quest_leaderboard_user(p_quest_id uuid, p_user_id uuid)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF p_quest_id IS NULL OR p_user_id IS NULL THEN
    RETURN;
  END IF;
  -- The same lock as trigger_rank_at_completion: changes to one quest's board happen one at a time.
  PERFORM pg_advisory_xact_lock(hashtextextended('challenge_completions:' || p_quest_id::text, 0));
  DELETE FROM quest_leaderboard_entries WHERE user_id = p_user_id AND quest_id = p_quest_id;
  PERFORM upsert_quest_leaderboard_entries(ARRAY(
    SELECT c FROM challenge_completions c WHERE c.user_id = p_user_id AND c.quest_id = p_quest_id
  ));
END;
$$;

-- Rebuilds every board from challenge_completions (migration backfill, bulk loads, repair), one
-- quest at a time. Returns the number of entries.
CREATE OR REPLACE FUNCTION rebuild_quest_leaderboards() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_quest_id uuid;
BEGIN
  DELETE FROM quest_leaderboard_entries;
  DELETE FROM quest_leaderboard_buckets;
  FOR v_quest_id IN SELECT DISTINCT quest_id FROM challenge_completions WHERE quest_id IS NOT NULL
  LOOP
    INSERT INTO quest_leaderboard_entries
    SELECT * FROM quest_leaderboard_candidates(ARRAY(
      SELECT c FROM challenge_completions c WHERE c.quest_id = v_quest_id
    ));
  END LOOP;
  -- Counted again from the entries: the triggers may be off (a bulk load in replica mode).
  DELETE FROM quest_leaderboard_buckets;
  INSERT INTO quest_leaderboard_buckets
  SELECT quest_id, period, period_start, leaderboard_bucket(score), count(*)::int
  FROM quest_leaderboard_entries GROUP BY 1, 2, 3, 4;
  RETURN (SELECT count(*) FROM quest_leaderboard_entries);
END;
$$;

-- New completions: one set-based upsert per INSERT statement (a bulk insert is one pass).
CREATE OR REPLACE FUNCTION quest_leaderboards_after_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- One writer per quest board at a time (the same key as trigger_rank_at_completion), in quest
  -- order, so the bucket counters of a board are never updated by two transactions at once.
  PERFORM pg_advisory_xact_lock(hashtextextended('challenge_completions:' || q::text, 0))
  FROM (SELECT DISTINCT quest_id AS q FROM new_completions WHERE quest_id IS NOT NULL ORDER BY 1) l;
  PERFORM upsert_quest_leaderboard_entries(ARRAY(SELECT n::challenge_completions FROM new_completions n));
  RETURN NULL;
END;
$$;

CREATE TRIGGER trigger_quest_leaderboards_insert
  AFTER INSERT ON challenge_completions
  REFERENCING NEW TABLE AS new_completions
  FOR EACH STATEMENT EXECUTE FUNCTION quest_leaderboards_after_insert();

-- A completion changed in a way that matters to the boards (verified later, made unranked,
-- corrected), or was deleted: rebuild the affected users' entries of the affected quests.
CREATE OR REPLACE FUNCTION quest_leaderboards_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM rebuild_quest_leaderboard_user(OLD.quest_id, OLD.user_id);
  END IF;
  IF TG_OP = 'UPDATE' AND (OLD.quest_id, OLD.user_id) IS DISTINCT FROM (NEW.quest_id, NEW.user_id) THEN
    PERFORM rebuild_quest_leaderboard_user(NEW.quest_id, NEW.user_id);
  END IF;
  RETURN NULL;
END;
$$;

-- mark_high_scores updates only is_high_score / is_personal_best, so it never fires this.
CREATE TRIGGER trigger_quest_leaderboards_update
  AFTER UPDATE OF quest_id, user_id, score, time_taken_seconds, completed_at,
                  completion_verified, is_ranked_attempt
  ON challenge_completions
  FOR EACH ROW
  WHEN ((OLD.quest_id, OLD.user_id, OLD.score, OLD.time_taken_seconds, OLD.completed_at,
         OLD.completion_verified, OLD.is_ranked_attempt)
        IS DISTINCT FROM
        (NEW.quest_id, NEW.user_id, NEW.score, NEW.time_taken_seconds, NEW.completed_at,
         NEW.completion_verified, NEW.is_ranked_attempt))
  EXECUTE FUNCTION quest_leaderboards_after_change();

CREATE TRIGGER trigger_quest_leaderboards_delete
  AFTER DELETE ON challenge_completions
  FOR EACH ROW EXECUTE FUNCTION quest_leaderboards_after_change();

-- The seed refreshed challenge_leaderboards from the completion INSERT itself every 5 minutes: the
-- unlucky player whose completion was due paid a full refresh (seconds at a million completions,
-- see `npm run bench:leaderboards`). The API serves the boards above instead; the materialized
-- view stays for reporting and is refreshed by the scheduled handler (decision 52).
DROP TRIGGER trigger_auto_refresh_leaderboards ON challenge_completions;

SELECT rebuild_quest_leaderboards();
