-- A quest hidden by moderation (status 'hidden', 0042) has no public leaderboard either: the one
-- visibility rule of the boards follows the quest API's (functions/quests/service.ts accessOf).
CREATE OR REPLACE FUNCTION quest_leaderboard_visible(p_quest_id uuid, p_viewer uuid, p_staff boolean)
RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT p_staff OR q.creator_id = p_viewer
    OR (q.is_public IS DISTINCT FROM FALSE AND q.status IS DISTINCT FROM 'draft'
        AND q.status IS DISTINCT FROM 'hidden')
  FROM quests q WHERE q.id = p_quest_id
$$;
