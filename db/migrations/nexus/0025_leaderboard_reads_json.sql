-- The quest board reads return ONE json value instead of a set of rows (db/README decision 53).
-- Measured (`npm run bench:leaderboards` and in-process micro-benchmarks on PGlite): of a top-50
-- read, about half the time was spent sending and decoding 51 rows of 12 columns (one protocol
-- message per row, one text field and one parser call per value); the same rows as one json array
-- of arrays cost a single message and one JSON.parse. The page without a cursor also no longer
-- materializes a CTE to rank its first row (it is rank 1), and a row's time_taken_seconds is read
-- as -neg_time_taken (the same value) so that the entry scans use only the columns of 0026's
-- covering index. Same rows, same order, same snapshot
-- (each function is STABLE: its statements read the calling statement's snapshot), same errors.
-- The row-returning quest board functions of 0023 are dropped at the end: one read path to keep.
-- Valid on PostgreSQL 15 and later; needs no extension.

-- One board row as the API reads it: [user_id, score, time_taken_seconds, completed_at,
-- completion_id, neg_completed_us, username, display_name, avatar_url] (an array, not an object:
-- the keys would be most of the bytes). Inlined by the planner (one SQL expression).
CREATE OR REPLACE FUNCTION quest_leaderboard_json_row(
  p_user_id uuid, p_score integer, p_time_taken_seconds integer, p_completed_at timestamptz,
  p_completion_id uuid, p_neg_completed_us bigint, p_username text, p_display_name varchar,
  p_avatar_url text
) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_array(p_user_id, p_score, p_time_taken_seconds, p_completed_at, p_completion_id,
                          p_neg_completed_us, p_username, p_display_name, p_avatar_url)
$$;

-- Raises no_data_found (P0002) unless p_viewer may see quest p_quest_id's boards.
CREATE OR REPLACE FUNCTION assert_quest_leaderboard_visible(
  p_quest_id uuid, p_viewer uuid, p_staff boolean
) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF NOT COALESCE(quest_leaderboard_visible(p_quest_id, p_viewer, p_staff), FALSE) THEN
    RAISE EXCEPTION 'no quest % for this viewer', p_quest_id USING ERRCODE = 'no_data_found';
  END IF;
END;
$$;

-- A page of a board, best first: {"ahead": entries ahead of the first row, "rows": [row, …]}. The
-- top without a cursor; with one (the key of the previous page's last row), the rows after it.
CREATE OR REPLACE FUNCTION quest_leaderboard_page_json(
  p_quest_id uuid, p_viewer uuid, p_staff boolean, p_period varchar, p_period_start timestamptz,
  p_limit integer, p_after_score integer DEFAULT NULL, p_after_neg_time_taken integer DEFAULT NULL,
  p_after_neg_completed_us bigint DEFAULT NULL, p_after_user_id uuid DEFAULT NULL
) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_ahead integer := 0;
BEGIN
  PERFORM assert_quest_leaderboard_visible(p_quest_id, p_viewer, p_staff);
  IF p_after_user_id IS NOT NULL THEN
    SELECT quest_leaderboard_rank(p_quest_id, p_period, p_period_start, e.score, e.neg_time_taken,
                                  e.neg_completed_us, e.user_id) - 1
    INTO v_ahead
    FROM quest_leaderboard_entries e
    WHERE e.quest_id = p_quest_id AND e.period = p_period AND e.period_start = p_period_start
      AND (e.score, e.neg_time_taken, e.neg_completed_us, e.user_id)
        < (p_after_score, p_after_neg_time_taken, p_after_neg_completed_us, p_after_user_id)
    ORDER BY e.score DESC, e.neg_time_taken DESC, e.neg_completed_us DESC, e.user_id DESC
    LIMIT 1;
  END IF;
  -- Without a cursor the key starts above every entry (no score reaches int max with a time of
  -- -2^31), so one statement, with the key as an index condition, serves both.
  RETURN json_build_object('ahead', COALESCE(v_ahead, 0), 'rows', COALESCE((
    SELECT json_agg(quest_leaderboard_json_row(e.user_id, e.score, -e.neg_time_taken,
                      e.completed_at, e.completion_id, e.neg_completed_us, u.username,
                      u.display_name, u.avatar_url)
                    ORDER BY e.score DESC, e.neg_time_taken DESC, e.neg_completed_us DESC,
                             e.user_id DESC)
    FROM (
      SELECT e.user_id, e.score, e.neg_time_taken, e.neg_completed_us, e.completed_at,
             e.completion_id
      FROM quest_leaderboard_entries e
      WHERE e.quest_id = p_quest_id AND e.period = p_period AND e.period_start = p_period_start
        AND (e.score, e.neg_time_taken, e.neg_completed_us, e.user_id)
          < (COALESCE(p_after_score, 2147483647), COALESCE(p_after_neg_time_taken, 2147483647),
             COALESCE(p_after_neg_completed_us, 9223372036854775807),
             COALESCE(p_after_user_id, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
      ORDER BY e.score DESC, e.neg_time_taken DESC, e.neg_completed_us DESC, e.user_id DESC
      LIMIT p_limit
    ) e JOIN users u ON u.id = e.user_id), '[]'::json));
END;
$$;

-- The viewer's entry with up to p_limit rows above and below it, best first:
-- {"ahead": entries ahead of the viewer, "rows": [row, …]}; NULL when the viewer has no entry.
CREATE OR REPLACE FUNCTION quest_leaderboard_around_json(
  p_quest_id uuid, p_viewer uuid, p_staff boolean, p_period varchar, p_period_start timestamptz,
  p_limit integer
) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  -- The whole row (a column the order index lacks), so the plan kept for every board looks the
  -- entry up by primary key: an index-only scan of the order index would walk the whole board.
  v_me quest_leaderboard_entries;
BEGIN
  PERFORM assert_quest_leaderboard_visible(p_quest_id, p_viewer, p_staff);
  SELECT * INTO v_me FROM quest_leaderboard_entries m
  WHERE m.quest_id = p_quest_id AND m.period = p_period AND m.period_start = p_period_start
    AND m.user_id = p_viewer;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  RETURN json_build_object(
    'ahead', quest_leaderboard_rank(p_quest_id, p_period, p_period_start, v_me.score,
                                    v_me.neg_time_taken, v_me.neg_completed_us, v_me.user_id) - 1,
    'rows', (
      SELECT json_agg(quest_leaderboard_json_row(w.user_id, w.score, -w.neg_time_taken,
                        w.completed_at, w.completion_id, w.neg_completed_us, u.username,
                        u.display_name, u.avatar_url)
                      ORDER BY w.score DESC, w.neg_time_taken DESC, w.neg_completed_us DESC,
                               w.user_id DESC)
      FROM (
        (SELECT e.user_id, e.score, e.neg_time_taken, e.neg_completed_us, e.completed_at,
                e.completion_id
         FROM quest_leaderboard_entries e
         WHERE e.quest_id = p_quest_id AND e.period = p_period AND e.period_start = p_period_start
           AND (e.score, e.neg_time_taken, e.neg_completed_us, e.user_id)
             > (v_me.score, v_me.neg_time_taken, v_me.neg_completed_us, v_me.user_id)
         ORDER BY e.score, e.neg_time_taken, e.neg_completed_us, e.user_id
         LIMIT p_limit)
        UNION ALL
        SELECT v_me.user_id, v_me.score, v_me.neg_time_taken, v_me.neg_completed_us,
               v_me.completed_at, v_me.completion_id
        UNION ALL
        (SELECT e.user_id, e.score, e.neg_time_taken, e.neg_completed_us, e.completed_at,
                e.completion_id
         FROM quest_leaderboard_entries e
         WHERE e.quest_id = p_quest_id AND e.period = p_period AND e.period_start = p_period_start
           AND (e.score, e.neg_time_taken, e.neg_completed_us, e.user_id)
             < (v_me.score, v_me.neg_time_taken, v_me.neg_completed_us, v_me.user_id)
         ORDER BY e.score DESC, e.neg_time_taken DESC, e.neg_completed_us DESC, e.user_id DESC
         LIMIT p_limit)
      ) w JOIN users u ON u.id = w.user_id));
END;
$$;

-- p_user_id's entry: {"ahead": entries ahead of it, "row": row}; NULL without an entry. Raises
-- no_data_found like the page, and with the hint 'user' when p_user_id does not exist.
CREATE OR REPLACE FUNCTION quest_leaderboard_user_json(
  p_quest_id uuid, p_viewer uuid, p_staff boolean, p_period varchar, p_period_start timestamptz,
  p_user_id uuid
) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_entry json;
BEGIN
  SELECT json_build_object(
    'ahead', quest_leaderboard_rank(p_quest_id, p_period, p_period_start, m.score,
                                    m.neg_time_taken, m.neg_completed_us, m.user_id) - 1,
    'row', quest_leaderboard_json_row(m.user_id, m.score, m.time_taken_seconds, m.completed_at,
                                      m.completion_id, m.neg_completed_us, u.username,
                                      u.display_name, u.avatar_url))
  INTO v_entry
  FROM quest_leaderboard_entries m JOIN users u ON u.id = m.user_id
  WHERE m.quest_id = p_quest_id AND m.period = p_period AND m.period_start = p_period_start
    AND m.user_id = p_user_id;
  -- An entry comes with its user (the join), so only without one is the user looked up. The
  -- errors stay in the order of 0023: a missing user before a hidden quest.
  IF v_entry IS NULL AND NOT EXISTS (SELECT 1 FROM users WHERE id = p_user_id) THEN
    RAISE EXCEPTION 'no user %', p_user_id USING ERRCODE = 'no_data_found', HINT = 'user';
  END IF;
  PERFORM assert_quest_leaderboard_visible(p_quest_id, p_viewer, p_staff);
  RETURN v_entry;
END;
$$;

DROP FUNCTION quest_leaderboard_page(uuid, uuid, boolean, varchar, timestamptz, integer, integer,
                                     integer, bigint, uuid);
DROP FUNCTION quest_leaderboard_around(uuid, uuid, boolean, varchar, timestamptz, integer);
DROP FUNCTION quest_leaderboard_user(uuid, uuid, boolean, varchar, timestamptz, uuid);
DROP TYPE quest_leaderboard_row;
