-- The leaderboard reads of the API as PL/pgSQL functions (db/README decision 53). Measured by
-- `npm run bench:leaderboards`: parsing and planning were about 60% of a read, on PGlite and on
-- PostgreSQL 15 alike; a PL/pgSQL function keeps its statements' plans for the life of the server
-- connection (a pooled connection serves many requests), so each read is planned once per
-- connection instead of once per request. Each function is one statement's worth of work
-- (one snapshot) and returns the rows the service maps; behaviour is unchanged.
-- Valid on PostgreSQL 15 and later; needs no extension.

-- Whether p_viewer may see quest p_quest_id's boards: public and not a draft, or their own, or
-- staff (p_staff). NULL when the quest does not exist.
CREATE OR REPLACE FUNCTION quest_leaderboard_visible(p_quest_id uuid, p_viewer uuid, p_staff boolean)
RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT p_staff OR q.creator_id = p_viewer
    OR (q.is_public IS DISTINCT FROM FALSE AND q.status IS DISTINCT FROM 'draft')
  FROM quests q WHERE q.id = p_quest_id
$$;

-- The rows every quest board read returns.
CREATE TYPE quest_leaderboard_row AS (
  user_id uuid,
  score integer,
  time_taken_seconds integer,
  completed_at timestamptz,
  completion_id uuid,
  neg_time_taken integer,
  neg_completed_us bigint,
  username text,
  display_name varchar(100),
  avatar_url text,
  -- Entries ahead of this row (its rank − 1), where the read computes it.
  ahead integer,
  is_me boolean
);

-- A page of a board, best first: the top, or (with a cursor: the key of the previous page's last
-- row) the rows after it. The first row carries its entries ahead. Raises no_data_found (P0002)
-- when the quest is missing or not visible to the viewer.
CREATE OR REPLACE FUNCTION quest_leaderboard_page(
  p_quest_id uuid, p_viewer uuid, p_staff boolean, p_period varchar, p_period_start timestamptz,
  p_limit integer, p_after_score integer DEFAULT NULL, p_after_neg_time_taken integer DEFAULT NULL,
  p_after_neg_completed_us bigint DEFAULT NULL, p_after_user_id uuid DEFAULT NULL
) RETURNS SETOF quest_leaderboard_row
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF NOT COALESCE(quest_leaderboard_visible(p_quest_id, p_viewer, p_staff), FALSE) THEN
    RAISE EXCEPTION 'no quest % for this viewer', p_quest_id USING ERRCODE = 'no_data_found';
  END IF;
  -- Without a cursor the key starts above every entry (no score reaches int max with a time of
  -- -2^31), so one statement, with the key as an index condition, serves both.
  RETURN QUERY
  WITH page AS (
    SELECT e.user_id, e.score, e.time_taken_seconds, e.completed_at, e.completion_id,
           e.neg_time_taken, e.neg_completed_us, u.username, u.display_name, u.avatar_url
    FROM quest_leaderboard_entries e JOIN users u ON u.id = e.user_id
    WHERE e.quest_id = p_quest_id AND e.period = p_period AND e.period_start = p_period_start
      AND (e.score, e.neg_time_taken, e.neg_completed_us, e.user_id)
        < (COALESCE(p_after_score, 2147483647), COALESCE(p_after_neg_time_taken, 2147483647),
           COALESCE(p_after_neg_completed_us, 9223372036854775807),
           COALESCE(p_after_user_id, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
    ORDER BY e.score DESC, e.neg_time_taken DESC, e.neg_completed_us DESC, e.user_id DESC
    LIMIT p_limit
  )
  SELECT p.*,
    CASE WHEN p_after_user_id IS NULL THEN 0 ELSE
      (SELECT quest_leaderboard_rank(p_quest_id, p_period, p_period_start, f.score,
                                     f.neg_time_taken, f.neg_completed_us, f.user_id) - 1
       FROM page f
       ORDER BY f.score DESC, f.neg_time_taken DESC, f.neg_completed_us DESC, f.user_id DESC
       LIMIT 1)
    END,
    FALSE
  FROM page p
  ORDER BY p.score DESC, p.neg_time_taken DESC, p.neg_completed_us DESC, p.user_id DESC;
END;
$$;

-- The viewer's entry (is_me, with its entries ahead) and up to p_limit rows above and below it,
-- best first; no rows when the viewer has no entry. Raises no_data_found like the page.
CREATE OR REPLACE FUNCTION quest_leaderboard_around(
  p_quest_id uuid, p_viewer uuid, p_staff boolean, p_period varchar, p_period_start timestamptz,
  p_limit integer
) RETURNS SETOF quest_leaderboard_row
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF NOT COALESCE(quest_leaderboard_visible(p_quest_id, p_viewer, p_staff), FALSE) THEN
    RAISE EXCEPTION 'no quest % for this viewer', p_quest_id USING ERRCODE = 'no_data_found';
  END IF;
  -- The lateral subqueries take the viewer's key as parameters of their index scans.
  RETURN QUERY
  SELECT w.user_id, w.score, w.time_taken_seconds, w.completed_at, w.completion_id,
         w.neg_time_taken, w.neg_completed_us, u.username, u.display_name, u.avatar_url,
         w.ahead, w.is_me
  FROM quest_leaderboard_entries m
  CROSS JOIN LATERAL (
    (SELECT e.user_id, e.score, e.time_taken_seconds, e.completed_at, e.completion_id,
            e.neg_time_taken, e.neg_completed_us, NULL::integer AS ahead, FALSE AS is_me
     FROM quest_leaderboard_entries e
     WHERE e.quest_id = p_quest_id AND e.period = p_period AND e.period_start = p_period_start
       AND (e.score, e.neg_time_taken, e.neg_completed_us, e.user_id)
         > (m.score, m.neg_time_taken, m.neg_completed_us, m.user_id)
     ORDER BY e.score, e.neg_time_taken, e.neg_completed_us, e.user_id
     LIMIT p_limit)
    UNION ALL
    SELECT m.user_id, m.score, m.time_taken_seconds, m.completed_at, m.completion_id,
           m.neg_time_taken, m.neg_completed_us,
           quest_leaderboard_rank(p_quest_id, p_period, p_period_start, m.score,
                                  m.neg_time_taken, m.neg_completed_us, m.user_id) - 1,
           TRUE
    UNION ALL
    (SELECT e.user_id, e.score, e.time_taken_seconds, e.completed_at, e.completion_id,
            e.neg_time_taken, e.neg_completed_us, NULL, FALSE
     FROM quest_leaderboard_entries e
     WHERE e.quest_id = p_quest_id AND e.period = p_period AND e.period_start = p_period_start
       AND (e.score, e.neg_time_taken, e.neg_completed_us, e.user_id)
         < (m.score, m.neg_time_taken, m.neg_completed_us, m.user_id)
     ORDER BY e.score DESC, e.neg_time_taken DESC, e.neg_completed_us DESC, e.user_id DESC
     LIMIT p_limit)
  ) w
  JOIN users u ON u.id = w.user_id
  WHERE m.quest_id = p_quest_id AND m.period = p_period AND m.period_start = p_period_start
    AND m.user_id = p_viewer
  ORDER BY w.score DESC, w.neg_time_taken DESC, w.neg_completed_us DESC, w.user_id DESC;
END;
$$;

-- p_user_id's entry with its entries ahead; no row without an entry. Raises no_data_found like the
-- page, and with the hint 'user' when p_user_id does not exist.
CREATE OR REPLACE FUNCTION quest_leaderboard_user(
  p_quest_id uuid, p_viewer uuid, p_staff boolean, p_period varchar, p_period_start timestamptz,
  p_user_id uuid
) RETURNS SETOF quest_leaderboard_row
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM users WHERE id = p_user_id) THEN
    RAISE EXCEPTION 'no user %', p_user_id USING ERRCODE = 'no_data_found', HINT = 'user';
  END IF;
  IF NOT COALESCE(quest_leaderboard_visible(p_quest_id, p_viewer, p_staff), FALSE) THEN
    RAISE EXCEPTION 'no quest % for this viewer', p_quest_id USING ERRCODE = 'no_data_found';
  END IF;
  RETURN QUERY
  SELECT m.user_id, m.score, m.time_taken_seconds, m.completed_at, m.completion_id,
         m.neg_time_taken, m.neg_completed_us, u.username, u.display_name, u.avatar_url,
         quest_leaderboard_rank(p_quest_id, p_period, p_period_start, m.score, m.neg_time_taken,
                                m.neg_completed_us, m.user_id) - 1,
         m.user_id = p_viewer
  FROM quest_leaderboard_entries m JOIN users u ON u.id = m.user_id
  WHERE m.quest_id = p_quest_id AND m.period = p_period AND m.period_start = p_period_start
    AND m.user_id = p_user_id;
END;
$$;

-- The rows every global board read returns; value_rank is set on the rows of the first two
-- distinct values (the service derives the others, see rankGlobalRows).
CREATE TYPE global_leaderboard_row AS (
  user_id uuid,
  value bigint,
  username text,
  display_name varchar(100),
  avatar_url text,
  akashic_rank integer,
  akashic_rank_title varchar(50),
  value_rank integer,
  is_me boolean
);

-- A page of a global board, best first (after the cursor's value and user when given).
CREATE OR REPLACE FUNCTION global_leaderboard_page(
  p_board varchar, p_limit integer, p_after_value bigint DEFAULT NULL,
  p_after_user_id uuid DEFAULT NULL
) RETURNS SETOF global_leaderboard_row
LANGUAGE plpgsql STABLE AS $$
BEGIN
  -- Without a cursor the key starts above every entry: one statement serves both.
  RETURN QUERY
  WITH board_rows AS (
    SELECT e.user_id, e.value FROM global_leaderboard_entries e
    WHERE e.board = p_board
      AND (e.value, e.user_id) < (COALESCE(p_after_value, 9223372036854775807),
                                  COALESCE(p_after_user_id, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
    ORDER BY e.value DESC, e.user_id DESC LIMIT p_limit
  ),
  first_values AS MATERIALIZED (
    SELECT v.value, global_leaderboard_rank(p_board, v.value)::integer AS value_rank
    FROM (SELECT DISTINCT b.value FROM board_rows b ORDER BY b.value DESC LIMIT 2) v
  )
  SELECT r.user_id, r.value, u.username, u.display_name, u.avatar_url, u.akashic_rank,
         u.akashic_rank_title, f.value_rank, FALSE
  FROM board_rows r JOIN users u ON u.id = r.user_id
  LEFT JOIN first_values f ON f.value = r.value
  ORDER BY r.value DESC, r.user_id DESC;
END;
$$;

-- The viewer's entry (is_me) with up to p_limit rows above and below it, best first; no rows when
-- the viewer is not on the board.
CREATE OR REPLACE FUNCTION global_leaderboard_around(
  p_board varchar, p_viewer uuid, p_limit integer
) RETURNS SETOF global_leaderboard_row
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY
  WITH board_rows AS (
    SELECT w.* FROM global_leaderboard_entries m
    CROSS JOIN LATERAL (
      (SELECT e.user_id, e.value, FALSE AS is_me FROM global_leaderboard_entries e
       WHERE e.board = p_board AND (e.value, e.user_id) > (m.value, m.user_id)
       ORDER BY e.value, e.user_id LIMIT p_limit)
      UNION ALL SELECT m.user_id, m.value, TRUE
      UNION ALL
      (SELECT e.user_id, e.value, FALSE FROM global_leaderboard_entries e
       WHERE e.board = p_board AND (e.value, e.user_id) < (m.value, m.user_id)
       ORDER BY e.value DESC, e.user_id DESC LIMIT p_limit)
    ) w
    WHERE m.board = p_board AND m.user_id = p_viewer
  ),
  first_values AS MATERIALIZED (
    SELECT v.value, global_leaderboard_rank(p_board, v.value)::integer AS value_rank
    FROM (SELECT DISTINCT b.value FROM board_rows b ORDER BY b.value DESC LIMIT 2) v
  )
  SELECT r.user_id, r.value, u.username, u.display_name, u.avatar_url, u.akashic_rank,
         u.akashic_rank_title, f.value_rank, r.is_me
  FROM board_rows r JOIN users u ON u.id = r.user_id
  LEFT JOIN first_values f ON f.value = r.value
  ORDER BY r.value DESC, r.user_id DESC;
END;
$$;
