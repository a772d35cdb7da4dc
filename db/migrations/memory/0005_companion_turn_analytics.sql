-- Issue 14: each companion turn refreshes the (companion, user) pair's `memory_analytics`
-- snapshot of the current hour (db/README.md, decision 95). This index finds that snapshot, and
-- serves forgetting a companion (every row of one companion_id).
CREATE INDEX "idx_memory_analytics_pair_time"
  ON "memory_analytics" ("companion_id", "user_id", "timestamp" DESC);
