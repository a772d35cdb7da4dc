-- Quests and live quest sessions (issue 10; db/README decisions 40-46).
-- Valid on PostgreSQL 15 and later; needs no extension.

-- Lifecycles the API enforces (decision 40).
ALTER TABLE quests
  ADD CONSTRAINT quests_status_check
    CHECK (status IN ('draft', 'active', 'featured', 'archived')),
  ADD CONSTRAINT quests_requires_instance_type_check
    CHECK (requires_instance_type IN ('any', 'personal', 'holodeck'));

-- Text search on title and description (GET /v1/quests?q=).
CREATE INDEX idx_quests_text ON quests
  USING gin (to_tsvector('english', title || ' ' || coalesce(description, '')));

-- A session's status as a column (the QuestSession object writes it at once on every change), the
-- time it reached a terminal status, and the version of the object's state the row holds, so an
-- older snapshot never overwrites a newer one (decision 41).
ALTER TABLE quest_instances
  ADD COLUMN status varchar(20) NOT NULL DEFAULT 'waiting',
  ADD COLUMN ended_at timestamptz,
  ADD COLUMN state_version integer NOT NULL DEFAULT 0,
  ADD CONSTRAINT quest_instances_status_check
    CHECK (status IN ('waiting', 'in_progress', 'paused', 'completed', 'failed', 'abandoned'));

UPDATE quest_instances SET status = state ->> 'status'
WHERE state ->> 'status' IN ('waiting', 'in_progress', 'paused', 'completed', 'failed', 'abandoned');

-- Open sessions per host (the per-host limit counts them).
CREATE INDEX idx_quest_instances_host_open ON quest_instances (host_user_id)
  WHERE status IN ('waiting', 'in_progress', 'paused');

-- One completion per participant of a session: the last fence behind the session's own
-- (decision 42).
CREATE UNIQUE INDEX challenge_completions_session_user_key
  ON challenge_completions (quest_instance_id, user_id)
  WHERE quest_instance_id IS NOT NULL;

-- A play is counted when a session starts (by the session's sync, one per participant), a
-- completion when it completes. A completion written without a session (quest_instance_id NULL)
-- was never counted as a play, so it still counts as both (decision 43, replaces decision 12).
CREATE OR REPLACE FUNCTION increment_quest_play_counts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE quests SET
    play_count = play_count + CASE WHEN NEW.quest_instance_id IS NULL THEN 1 ELSE 0 END,
    completion_count = completion_count + 1,
    last_played = GREATEST(COALESCE(last_played, NEW.completed_at), NEW.completed_at)
  WHERE id = NEW.quest_id;
  RETURN NULL;
END;
$$;

-- High scores, personal bests and rank at completion count only verified, ranked completions
-- (decision 44, replaces decision 11's "ranked attempts").
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
    AND c.completion_verified = TRUE
    AND (c.score > p_score
         OR (c.score = p_score AND c.time_taken_seconds < p_time_taken_seconds)
         OR (c.score = p_score AND c.time_taken_seconds = p_time_taken_seconds
             AND c.completed_at < p_completed_at))
$$;

-- On insert: the rank of a verified, ranked completion. On an update that verifies (or ranks) a
-- completion written earlier: its rank among the verified completions at that moment, once; an
-- update that takes the verification away clears it.
CREATE OR REPLACE FUNCTION set_rank_at_completion() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.quest_id IS NULL THEN
    RETURN NEW;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('challenge_completions:' || NEW.quest_id::text, 0));
  IF NEW.is_ranked_attempt AND NEW.completion_verified THEN
    IF TG_OP = 'INSERT' OR NEW.rank_at_completion IS NULL THEN
      NEW.rank_at_completion :=
        rank_at_completion(NEW.quest_id, NEW.score, NEW.time_taken_seconds, NEW.completed_at);
    END IF;
  ELSE
    NEW.rank_at_completion := NULL;
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER trigger_rank_at_verification
  BEFORE UPDATE OF completion_verified, is_ranked_attempt ON challenge_completions
  FOR EACH ROW
  WHEN (OLD.completion_verified IS DISTINCT FROM NEW.completion_verified
        OR OLD.is_ranked_attempt IS DISTINCT FROM NEW.is_ranked_attempt)
  EXECUTE FUNCTION set_rank_at_completion();

CREATE OR REPLACE FUNCTION mark_high_scores() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.quest_id IS NULL THEN
    RETURN NULL;
  END IF;
  WITH ranked AS (
    SELECT
      c.id,
      row_number() OVER (
        ORDER BY c.score DESC, c.time_taken_seconds ASC, c.completed_at ASC, c.id
      ) AS position,
      count(*) OVER () AS total,
      row_number() OVER (
        PARTITION BY c.user_id
        ORDER BY c.score DESC, c.time_taken_seconds ASC, c.completed_at ASC, c.id
      ) AS user_position
    FROM challenge_completions c
    WHERE c.quest_id = NEW.quest_id
      AND c.is_ranked_attempt = TRUE
      AND c.completion_verified = TRUE
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

-- Marks follow later changes too (a completion verified after the fact, a corrected score). The
-- marking UPDATE itself touches only is_high_score/is_personal_best, so it does not re-fire this.
CREATE TRIGGER trigger_mark_high_scores_on_update
  AFTER UPDATE OF completion_verified, is_ranked_attempt, score, time_taken_seconds
  ON challenge_completions
  FOR EACH ROW
  WHEN (OLD.completion_verified IS DISTINCT FROM NEW.completion_verified
        OR OLD.is_ranked_attempt IS DISTINCT FROM NEW.is_ranked_attempt
        OR OLD.score IS DISTINCT FROM NEW.score
        OR OLD.time_taken_seconds IS DISTINCT FROM NEW.time_taken_seconds)
  EXECUTE FUNCTION mark_high_scores();
