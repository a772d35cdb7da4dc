-- Social tables of the seed's planned "v2 enhanced user system" (issue 15): friendships, blocks,
-- contact cards and characters. The seed names them only; the shapes are ours (db/README.md, 70-73).

-- One row per unordered pair of users: the pair's key is (user_low, user_high) with
-- user_low < user_high, so two people requesting each other at the same moment meet on one
-- primary key instead of leaving two crossed requests. Each side says whether it shares its live
-- presence with the other.
CREATE TABLE "user_friends" (
	"user_low" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
	"user_high" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
	"requested_by" uuid NOT NULL,
	"status" varchar(20) NOT NULL DEFAULT 'pending',
	"low_shares_presence" boolean NOT NULL DEFAULT true,
	"high_shares_presence" boolean NOT NULL DEFAULT true,
	"requested_at" timestamp with time zone NOT NULL DEFAULT now(),
	"accepted_at" timestamp with time zone,
	CONSTRAINT "user_friends_pkey" PRIMARY KEY ("user_low", "user_high"),
	CONSTRAINT "user_friends_ordered_pair" CHECK ("user_low" < "user_high"),
	CONSTRAINT "user_friends_requested_by_member" CHECK ("requested_by" IN ("user_low", "user_high")),
	CONSTRAINT "user_friends_status_check" CHECK ("status" IN ('pending', 'accepted')),
	CONSTRAINT "user_friends_accepted_at" CHECK (("status" = 'accepted') = ("accepted_at" IS NOT NULL))
);
CREATE INDEX "idx_user_friends_high" ON "user_friends" ("user_high", "user_low");

-- Directed: each user blocks (or not) independently; a block either way is enforced both ways.
CREATE TABLE "user_blocks" (
	"blocker_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
	"blocked_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
	"created_at" timestamp with time zone NOT NULL DEFAULT now(),
	CONSTRAINT "user_blocks_pkey" PRIMARY KEY ("blocker_id", "blocked_id"),
	CONSTRAINT "user_blocks_not_self" CHECK ("blocker_id" <> "blocked_id")
);
CREATE INDEX "idx_user_blocks_blocked" ON "user_blocks" ("blocked_id", "blocker_id");

-- One shareable card per user, fetched by its share code; the owner chooses what it shows.
CREATE TABLE "user_contact_cards" (
	"user_id" uuid PRIMARY KEY REFERENCES "users"("id") ON DELETE CASCADE,
	"share_code" varchar(16) NOT NULL,
	"headline" varchar(100),
	"bio" text,
	"links" jsonb NOT NULL DEFAULT '[]'::jsonb,
	"shown_fields" text[] NOT NULL DEFAULT '{display_name,avatar_url}',
	"created_at" timestamp with time zone NOT NULL DEFAULT now(),
	"updated_at" timestamp with time zone NOT NULL DEFAULT now(),
	CONSTRAINT "user_contact_cards_share_code_key" UNIQUE ("share_code"),
	CONSTRAINT "user_contact_cards_share_code_format" CHECK ("share_code" ~ '^[0-9A-Z]{10,16}$'),
	CONSTRAINT "user_contact_cards_bio_length" CHECK (char_length("bio") <= 1000),
	CONSTRAINT "user_contact_cards_links_array" CHECK (jsonb_typeof("links") = 'array')
);

-- A player's selectable avatars; at most one active (the partial unique index).
CREATE TABLE "user_characters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
	"name" varchar(50) NOT NULL,
	"base_model" varchar(64) NOT NULL,
	"appearance" jsonb NOT NULL DEFAULT '{}'::jsonb,
	"media_id" uuid REFERENCES "user_uploaded_media"("id") ON DELETE SET NULL,
	"is_active" boolean NOT NULL DEFAULT false,
	"created_at" timestamp with time zone NOT NULL DEFAULT now(),
	"updated_at" timestamp with time zone NOT NULL DEFAULT now(),
	CONSTRAINT "user_characters_appearance_object" CHECK (jsonb_typeof("appearance") = 'object')
);
CREATE UNIQUE INDEX "idx_user_characters_one_active" ON "user_characters" ("user_id") WHERE "is_active";
CREATE INDEX "idx_user_characters_user" ON "user_characters" ("user_id", "created_at", "id");
