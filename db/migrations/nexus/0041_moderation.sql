-- Moderation (issue 15): the seed's planned content_ratings and content_reports, plus our
-- moderation_actions (the audit of every moderator action) and user_sanctions (a user's current
-- mute and ban). Shapes: db/README.md, 74-77.

-- Maturity ratings: one per (content, rater). Players suggest; a moderator's is the official one.
CREATE TABLE "content_ratings" (
	"content_type" varchar(20) NOT NULL,
	"content_id" uuid NOT NULL,
	"rated_by" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
	"rating" varchar(2) NOT NULL,
	"is_official" boolean NOT NULL DEFAULT false,
	"rated_at" timestamp with time zone NOT NULL DEFAULT now(),
	CONSTRAINT "content_ratings_pkey" PRIMARY KEY ("content_type", "content_id", "rated_by"),
	CONSTRAINT "content_ratings_content_type_check" CHECK ("content_type" IN ('media', 'quest', 'companion')),
	CONSTRAINT "content_ratings_rating_check" CHECK ("rating" IN ('G', 'PG', 'T', 'M', 'AO'))
);
CREATE UNIQUE INDEX "idx_content_ratings_one_official" ON "content_ratings" ("content_type", "content_id") WHERE "is_official";

CREATE TABLE "content_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"reporter_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
	"target_type" varchar(20) NOT NULL,
	"target_id" uuid NOT NULL,
	-- Who the reported thing belongs to (the user, the sender, the uploader, the creator, the owner).
	"target_user_id" uuid REFERENCES "users"("id") ON DELETE SET NULL,
	-- Chat messages: the instance whose room carried them.
	"instance_id" uuid,
	"reason" varchar(30) NOT NULL,
	"details" text,
	-- What the reported thing was when it was reported (the moderator sees it even if it changes).
	"context" jsonb NOT NULL DEFAULT '{}'::jsonb,
	"status" varchar(20) NOT NULL DEFAULT 'open',
	"resolved_by" uuid REFERENCES "users"("id") ON DELETE SET NULL,
	"resolved_at" timestamp with time zone,
	"resolution_note" text,
	"created_at" timestamp with time zone NOT NULL DEFAULT now(),
	CONSTRAINT "content_reports_target_type_check" CHECK ("target_type" IN ('user', 'chat_message', 'media', 'quest', 'companion')),
	CONSTRAINT "content_reports_reason_check" CHECK ("reason" IN ('spam', 'harassment', 'hate', 'sexual', 'violence', 'self_harm', 'cheating', 'impersonation', 'other')),
	CONSTRAINT "content_reports_status_check" CHECK ("status" IN ('open', 'actioned', 'dismissed')),
	CONSTRAINT "content_reports_details_length" CHECK (char_length("details") <= 1000),
	CONSTRAINT "content_reports_resolved" CHECK (("status" = 'open') = ("resolved_at" IS NULL))
);
-- One open report per reporter and target: reporting again (or 30 times at once) is the same report.
CREATE UNIQUE INDEX "idx_content_reports_one_open" ON "content_reports" ("reporter_id", "target_type", "target_id") WHERE "status" = 'open';
CREATE INDEX "idx_content_reports_queue" ON "content_reports" ("status", "created_at", "id");
CREATE INDEX "idx_content_reports_target" ON "content_reports" ("target_type", "target_id");

-- Every moderator action, append-only.
CREATE TABLE "moderation_actions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"moderator_id" uuid REFERENCES "users"("id") ON DELETE SET NULL,
	"action" varchar(30) NOT NULL,
	"target_type" varchar(20) NOT NULL,
	"target_id" uuid NOT NULL,
	"report_id" uuid REFERENCES "content_reports"("id") ON DELETE SET NULL,
	"reason" text NOT NULL,
	"expires_at" timestamp with time zone,
	"details" jsonb NOT NULL DEFAULT '{}'::jsonb,
	"created_at" timestamp with time zone NOT NULL DEFAULT now(),
	CONSTRAINT "moderation_actions_action_check" CHECK ("action" IN ('approve_media', 'reject_media', 'hide_quest', 'unhide_quest', 'mute', 'unmute', 'ban', 'unban', 'set_rating', 'dismiss_report'))
);
CREATE INDEX "idx_moderation_actions_target" ON "moderation_actions" ("target_type", "target_id", "created_at" DESC);
CREATE INDEX "idx_moderation_actions_time" ON "moderation_actions" ("created_at" DESC, "id" DESC);

-- A user's current sanctions. A ban is active while banned_at is set and banned_until is NULL
-- (permanent) or in the future; a mute while muted_until is in the future.
CREATE TABLE "user_sanctions" (
	"user_id" uuid PRIMARY KEY REFERENCES "users"("id") ON DELETE CASCADE,
	"muted_until" timestamp with time zone,
	"banned_at" timestamp with time zone,
	"banned_until" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL DEFAULT now(),
	CONSTRAINT "user_sanctions_ban_bounds" CHECK ("banned_until" IS NULL OR "banned_at" IS NOT NULL)
);
CREATE INDEX "idx_user_sanctions_banned" ON "user_sanctions" ("banned_until") WHERE "banned_at" IS NOT NULL;

-- Media moderation: the seed lists the statuses in a comment only.
ALTER TABLE "user_uploaded_media" ADD CONSTRAINT "user_uploaded_media_moderation_status_check"
	CHECK ("moderation_status" IN ('pending', 'approved', 'rejected', 'flagged'));
ALTER TABLE "user_uploaded_media" ADD CONSTRAINT "user_uploaded_media_content_rating_check"
	CHECK ("content_rating" IN ('G', 'PG', 'T', 'M', 'AO'));
CREATE INDEX "idx_media_queue" ON "user_uploaded_media" ("moderation_status", "uploaded_at", "id");
CREATE INDEX "idx_media_user_time" ON "user_uploaded_media" ("user_id", "uploaded_at" DESC, "id" DESC);
