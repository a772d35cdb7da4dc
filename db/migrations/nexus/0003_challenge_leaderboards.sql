-- Challenge completions: rank at completion, quest play counts, high scores and personal bests,
-- and the challenge leaderboards materialized view with its rate-limited refresh.
-- Valid on PostgreSQL 15 and later; needs no extension.

-- The leaderboard position a completion takes among the quest's ranked attempts: better score
-- first, then shorter time, then earlier completion.
CREATE OR REPLACE FUNCTION rank_at_completion(
  p_quest_id uuid,
  p_score integer,
  p_time_taken_seconds integer,
  p_completed_at timestamptz
) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT 1 + count(*)::integer
  FROM challenge_completions c
  WHERE c.quest_id = p_quest_id
    AND c.is_ranked_attempt = TRUE
    AND (c.score > p_score
         OR (c.score = p_score AND c.time_taken_seconds < p_time_taken_seconds)
         OR (c.score = p_score AND c.time_taken_seconds = p_time_taken_seconds
             AND c.completed_at < p_completed_at))
$$;

-- Fills rank_at_completion for ranked attempts. Takes a per-quest transaction lock first so that
-- concurrent completions of one quest are ranked and marked one after the other (each sees the
-- previous one committed).
CREATE OR REPLACE FUNCTION set_rank_at_completion() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.quest_id IS NULL THEN
    RETURN NEW;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('challenge_completions:' || NEW.quest_id::text, 0));
  IF NEW.is_ranked_attempt THEN
    NEW.rank_at_completion :=
      rank_at_completion(NEW.quest_id, NEW.score, NEW.time_taken_seconds, NEW.completed_at);
  ELSE
    NEW.rank_at_completion := NULL;
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER trigger_rank_at_completion
  BEFORE INSERT ON challenge_completions
  FOR EACH ROW EXECUTE FUNCTION set_rank_at_completion();

-- A completion counts as a play and a completion of its quest.
CREATE OR REPLACE FUNCTION increment_quest_play_counts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE quests SET
    play_count = play_count + 1,
    completion_count = completion_count + 1,
    last_played = GREATEST(COALESCE(last_played, NEW.completed_at), NEW.completed_at)
  WHERE id = NEW.quest_id;
  RETURN NULL;
END;
$$;

CREATE TRIGGER trigger_increment_quest_counts
  AFTER INSERT ON challenge_completions
  FOR EACH ROW EXECUTE FUNCTION increment_quest_play_counts();

-- Re-marks the quest's ranked attempts: is_high_score for the top 10% (ceil(n / 10) rows, so the
-- best score is always a high score) and is_personal_best for each user's best. Order: score desc,
-- time asc, completed_at asc. Unranked attempts are never marked.
CREATE OR REPLACE FUNCTION mark_high_scores() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.quest_id IS NULL THEN
    RETURN NULL;
  END IF;
  WITH ranked AS (
    SELECT
      c.id,
      c.is_ranked_attempt,
      row_number() OVER (
        ORDER BY c.score DESC, c.time_taken_seconds ASC, c.completed_at ASC, c.id
      ) AS position,
      count(*) OVER () AS total,
      row_number() OVER (
        PARTITION BY c.user_id
        ORDER BY c.score DESC, c.time_taken_seconds ASC, c.completed_at ASC, c.id
      ) AS user_position
    FROM challenge_completions c
    WHERE c.quest_id = NEW.quest_id AND c.is_ranked_attempt = TRUE
  ),
  marks AS (
    SELECT c.id,
           COALESCE(r.position <= ceil(r.total / 10.0), FALSE) AS high,
           COALESCE(r.user_position = 1, FALSE) AS best
    FROM challenge_completions c
    LEFT JOIN ranked r ON r.id = c.id
    WHERE c.quest_id = NEW.quest_id
  )
  UPDATE challenge_completions c
  SET is_high_score = m.high, is_personal_best = m.best
  FROM marks m
  WHERE c.id = m.id
    AND (c.is_high_score IS DISTINCT FROM m.high OR c.is_personal_best IS DISTINCT FROM m.best);
  RETURN NULL;
END;
$$;

CREATE TRIGGER trigger_mark_high_scores
  AFTER INSERT ON challenge_completions
  FOR EACH ROW EXECUTE FUNCTION mark_high_scores();

-- Leaderboards per quest: all time, per week and per day (weeks and days in UTC). Only verified,
-- ranked attempts count. week_start/day_start (timestamptz, the UTC midnight starting the week or
-- day) are columns rather than index expressions because date_trunc on timestamptz depends on the
-- session time zone and cannot be indexed.
CREATE MATERIALIZED VIEW challenge_leaderboards AS
SELECT
  c.id AS completion_id,
  c.quest_id,
  c.user_id,
  u.username,
  u.display_name,
  c.score,
  c.time_taken_seconds,
  c.completed_at,
  c.perfect_completion,
  c.game_specific_stats,
  date_trunc('week', c.completed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS week_start,
  date_trunc('day', c.completed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day_start,
  ROW_NUMBER() OVER (
    PARTITION BY c.quest_id
    ORDER BY c.score DESC, c.time_taken_seconds ASC, c.completed_at ASC, c.id
  ) AS global_rank,
  ROW_NUMBER() OVER (
    PARTITION BY c.quest_id, date_trunc('week', c.completed_at AT TIME ZONE 'UTC')
    ORDER BY c.score DESC, c.time_taken_seconds ASC, c.completed_at ASC, c.id
  ) AS weekly_rank,
  ROW_NUMBER() OVER (
    PARTITION BY c.quest_id, date_trunc('day', c.completed_at AT TIME ZONE 'UTC')
    ORDER BY c.score DESC, c.time_taken_seconds ASC, c.completed_at ASC, c.id
  ) AS daily_rank
FROM challenge_completions c
JOIN users u ON c.user_id = u.id
WHERE c.is_ranked_attempt = TRUE
  AND c.completion_verified = TRUE
  AND c.quest_id IS NOT NULL;

-- Unique index so the view can be refreshed concurrently.
CREATE UNIQUE INDEX idx_leaderboard_global ON challenge_leaderboards (quest_id, global_rank);
CREATE INDEX idx_leaderboard_weekly ON challenge_leaderboards (quest_id, week_start, weekly_rank);
CREATE INDEX idx_leaderboard_daily ON challenge_leaderboards (quest_id, day_start, daily_rank);
CREATE INDEX idx_leaderboard_user ON challenge_leaderboards (user_id);

-- Refreshes challenge_leaderboards now, without blocking readers.
CREATE OR REPLACE FUNCTION refresh_challenge_leaderboards() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY challenge_leaderboards;
  INSERT INTO materialized_view_refreshes (view_name, refreshed_at)
  VALUES ('challenge_leaderboards', now())
  ON CONFLICT (view_name) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at;
END;
$$;

INSERT INTO materialized_view_refreshes (view_name, refreshed_at)
VALUES ('challenge_leaderboards', '-infinity'), ('attribute_leaderboards', '-infinity')
ON CONFLICT (view_name) DO NOTHING;

-- Refreshes challenge_leaderboards unless it was refreshed less than p_min_interval ago; returns
-- whether it refreshed. The claim is a conditional UPDATE, so of concurrent callers only one
-- refreshes; the others return false without waiting for the refresh.
CREATE OR REPLACE FUNCTION refresh_challenge_leaderboards_if_due(
  p_min_interval interval DEFAULT interval '5 minutes'
) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  -- Cheap unlocked check first: most calls come from the completion trigger and are not due.
  IF NOT EXISTS (
    SELECT 1 FROM materialized_view_refreshes
    WHERE view_name = 'challenge_leaderboards' AND refreshed_at <= now() - p_min_interval
  ) THEN
    RETURN FALSE;
  END IF;
  UPDATE materialized_view_refreshes SET refreshed_at = now()
  WHERE view_name = 'challenge_leaderboards' AND refreshed_at <= now() - p_min_interval;
  IF NOT FOUND THEN
    RETURN FALSE;
  END IF;
  REFRESH MATERIALIZED VIEW CONCURRENTLY challenge_leaderboards;
  RETURN TRUE;
END;
$$;

-- After completions are written, refreshes the leaderboards if the last refresh is 5+ minutes old.
CREATE OR REPLACE FUNCTION auto_refresh_leaderboards() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM refresh_challenge_leaderboards_if_due();
  RETURN NULL;
END;
$$;

CREATE TRIGGER trigger_auto_refresh_leaderboards
  AFTER INSERT ON challenge_completions
  FOR EACH STATEMENT EXECUTE FUNCTION auto_refresh_leaderboards();
