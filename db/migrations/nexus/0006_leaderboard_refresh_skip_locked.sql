-- The rate-limited leaderboard refresh no longer makes concurrent callers wait: the refresh clock
-- row is claimed with FOR UPDATE SKIP LOCKED, so while one transaction refreshes (and holds the row
-- until it commits) other completions return false at once instead of queueing behind it.
-- Valid on PostgreSQL 15 and later; needs no extension.

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
  -- Claim: a row locked by a concurrent refresher is skipped; a row it has just committed is
  -- re-checked against the condition (and no longer due).
  PERFORM 1 FROM materialized_view_refreshes
  WHERE view_name = 'challenge_leaderboards' AND refreshed_at <= now() - p_min_interval
  FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    RETURN FALSE;
  END IF;
  UPDATE materialized_view_refreshes SET refreshed_at = now()
  WHERE view_name = 'challenge_leaderboards';
  REFRESH MATERIALIZED VIEW CONCURRENTLY challenge_leaderboards;
  RETURN TRUE;
END;
$$;
