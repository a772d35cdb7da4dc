-- Index-only board reads (db/README decision 53). Measured on PGlite with a million completions:
-- once other queries have pushed the boards out of shared buffers (a busy server; the bench's naive
-- queries between samples), a read's time is mostly page reads: a top 50 read one heap page per
-- entry (52) and one per player (49), and a rank on the most played quest read ~80 heap pages of
-- bucket counters (a board's counters lie on as many pages as it has buckets). Each index below
-- carries the columns those reads need, so they are answered from a few index pages wherever the
-- visibility map says a heap page is all-visible (after VACUUM; autovacuum on PostgreSQL). On pages
-- written since, the heap is still read: the answers are the same, only slower.
-- Valid on PostgreSQL 15 and later; needs no extension.

-- The board order with the two columns a board row needs besides its key (time_taken_seconds is
-- -neg_time_taken): top N, around-me and the in-bucket count of a rank read only this index.
-- An entry's update changes its key columns anyway, so no HOT update is lost.
CREATE INDEX idx_quest_leaderboard_order_covering ON quest_leaderboard_entries
  (quest_id, period, period_start, score, neg_time_taken, neg_completed_us, user_id)
  INCLUDE (completion_id, completed_at);
DROP INDEX idx_quest_leaderboard_order;
ALTER INDEX idx_quest_leaderboard_order_covering RENAME TO idx_quest_leaderboard_order;

-- The counters' primary key carries the count, so summing a board's higher buckets reads only the
-- index. A counter update is then no longer HOT (one index entry per update, as for any indexed
-- column; the bench's write section measures it); same key, so ON CONFLICT is unchanged.
CREATE UNIQUE INDEX quest_leaderboard_buckets_pkey_covering ON quest_leaderboard_buckets
  (quest_id, period, period_start, bucket) INCLUDE (entries);
ALTER TABLE quest_leaderboard_buckets
  DROP CONSTRAINT quest_leaderboard_buckets_pkey,
  ADD CONSTRAINT quest_leaderboard_buckets_pkey PRIMARY KEY
    USING INDEX quest_leaderboard_buckets_pkey_covering;
