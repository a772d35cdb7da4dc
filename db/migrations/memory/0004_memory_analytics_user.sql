ALTER TABLE "memory_analytics" ADD COLUMN "user_id" uuid;--> statement-breakpoint
CREATE INDEX "idx_memory_analytics_user" ON "memory_analytics" USING btree ("user_id");--> statement-breakpoint
-- Backfill (db/README.md, decision 32). Existing snapshots are per companion and name no user.
-- A snapshot describes a single user's memories when every memory of its companion created at or
-- before it belongs to that user: it is attributed to them, so forgetting them deletes it. A
-- snapshot over several users' memories stays companion-wide (an aggregate, kept on a forget).
-- Memories deleted since cannot be seen, so a snapshot may be attributed to the one user left:
-- that errs towards deleting a snapshot on a forget.
UPDATE "memory_analytics" AS a
SET "user_id" = single."user_id"
FROM (
  SELECT s."id", (array_agg(DISTINCT m."user_id"))[1] AS "user_id"
  FROM "memory_analytics" s
  JOIN "companion_memories" m
    ON m."companion_id" = s."companion_id" AND m."created_at" <= s."timestamp"
  WHERE s."user_id" IS NULL
  GROUP BY s."id"
  HAVING count(DISTINCT m."user_id") = 1
) AS single
WHERE a."id" = single."id";
