-- A moderator hides a quest (POST /v1/admin/moderation/actions {action: 'hide_quest'}) by setting
-- its status to 'hidden' (db/README decision 79): the lifecycle check of 0010 must admit it.
-- Only moderation sets or leaves it; the quest API refuses every status change of a hidden quest.
ALTER TABLE quests DROP CONSTRAINT quests_status_check;
ALTER TABLE quests ADD CONSTRAINT quests_status_check
  CHECK (status IN ('draft', 'active', 'featured', 'archived', 'hidden'));
