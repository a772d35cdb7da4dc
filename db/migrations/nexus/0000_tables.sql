CREATE TABLE "user_balances" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"tokens" integer DEFAULT 100 NOT NULL,
	"premium_tokens" integer DEFAULT 0 NOT NULL,
	"daily_streak" integer DEFAULT 0,
	"last_daily_claim" date,
	"total_earned" integer DEFAULT 100 NOT NULL,
	"total_spent" integer DEFAULT 0 NOT NULL,
	"last_updated" timestamp with time zone DEFAULT now(),
	CONSTRAINT "user_balances_tokens_check" CHECK ("user_balances"."tokens" >= 0),
	CONSTRAINT "user_balances_premium_tokens_check" CHECK ("user_balances"."premium_tokens" >= 0)
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"username" text NOT NULL,
	"email" text,
	"display_name" varchar(100),
	"avatar_url" text,
	"created_at" timestamp with time zone DEFAULT now(),
	"last_seen" timestamp with time zone DEFAULT now(),
	"is_premium" boolean DEFAULT false,
	"subscription_type" varchar(20) DEFAULT 'free',
	"subscription_expires_at" timestamp with time zone,
	"akashic_resonance" integer DEFAULT 0 NOT NULL,
	"akashic_wisdom" integer DEFAULT 0 NOT NULL,
	"akashic_creativity" integer DEFAULT 0 NOT NULL,
	"akashic_connection" integer DEFAULT 0 NOT NULL,
	"akashic_rank" integer DEFAULT 1 NOT NULL,
	"akashic_rank_title" varchar(50) DEFAULT 'Newcomer' NOT NULL,
	"strength_discovery" integer DEFAULT 0,
	"strength_interpretation" integer DEFAULT 0,
	"strength_influence" integer DEFAULT 0,
	"total_quests_completed" integer DEFAULT 0,
	"total_objects_donated" integer DEFAULT 0,
	"total_tokens_collected" integer DEFAULT 0,
	"passive_resonance_earned" integer DEFAULT 0,
	"attr_strength" integer DEFAULT 10 NOT NULL,
	"attr_agility" integer DEFAULT 10 NOT NULL,
	"attr_endurance" integer DEFAULT 10 NOT NULL,
	"attr_magic" integer DEFAULT 10 NOT NULL,
	"attr_wisdom" integer DEFAULT 10 NOT NULL,
	"attr_cunning" integer DEFAULT 10 NOT NULL,
	"attr_leadership" integer DEFAULT 10 NOT NULL,
	"attr_faith" integer DEFAULT 10 NOT NULL,
	"attr_charisma" integer DEFAULT 10 NOT NULL,
	"attr_creativity" integer DEFAULT 10 NOT NULL,
	"attr_artistry" integer DEFAULT 10 NOT NULL,
	"attr_innovation" integer DEFAULT 10 NOT NULL,
	"bob_unlocked" boolean DEFAULT false,
	"thoth_unlocked" boolean DEFAULT false,
	"akashic_tablets_collected" integer[] DEFAULT '{}',
	"akashic_last_updated" timestamp with time zone DEFAULT now(),
	"last_rank_up" timestamp with time zone,
	"metadata" jsonb DEFAULT '{}'::jsonb,
	CONSTRAINT "users_username_unique" UNIQUE("username"),
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "active_sessions" (
	"session_id" text PRIMARY KEY NOT NULL,
	"user_id" uuid,
	"socket_id" text,
	"instance_id" uuid,
	"zone" varchar(20),
	"connected_at" timestamp with time zone DEFAULT now(),
	"last_heartbeat" timestamp with time zone DEFAULT now(),
	"client_info" jsonb DEFAULT '{}'::jsonb
);
--> statement-breakpoint
CREATE TABLE "chat_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"sender_id" uuid,
	"instance_id" uuid,
	"zone" varchar(20),
	"message_type" varchar(20) DEFAULT 'text',
	"content" text NOT NULL,
	"timestamp" timestamp with time zone DEFAULT now(),
	"metadata" jsonb DEFAULT '{}'::jsonb
);
--> statement-breakpoint
CREATE TABLE "instance_visitors" (
	"instance_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now(),
	"permissions" jsonb DEFAULT '{"can_build":false,"can_trade":true}'::jsonb,
	CONSTRAINT "instance_visitors_instance_id_user_id_pk" PRIMARY KEY("instance_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "instances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"type" varchar(20) NOT NULL,
	"instance_subtype" varchar(20),
	"owner_id" uuid,
	"name" text NOT NULL,
	"description" text,
	"max_visitors" integer DEFAULT 10,
	"is_public" boolean DEFAULT true,
	"quest_id" uuid,
	"created_at" timestamp with time zone DEFAULT now(),
	"metadata" jsonb DEFAULT '{}'::jsonb,
	CONSTRAINT "instances_type_check" CHECK ("instances"."type" IN ('personal', 'communal'))
);
--> statement-breakpoint
CREATE TABLE "user_states" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"position" jsonb DEFAULT '{"x":0,"y":0,"z":0}'::jsonb NOT NULL,
	"velocity" jsonb DEFAULT '{"x":0,"y":0,"z":0}'::jsonb,
	"rotation" jsonb DEFAULT '{"x":0,"y":0,"z":0,"w":1}'::jsonb,
	"zone" varchar(20) DEFAULT 'center',
	"instance_id" uuid,
	"activity_state" varchar(20) DEFAULT 'idle',
	"last_update" timestamp with time zone DEFAULT now()
);
--> statement-breakpoint
CREATE TABLE "quest_instances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"quest_id" uuid,
	"instance_id" uuid,
	"participants" uuid[] NOT NULL,
	"host_user_id" uuid,
	"state" jsonb DEFAULT '{"status":"waiting"}'::jsonb NOT NULL,
	"started_at" timestamp with time zone,
	"paused_at" timestamp with time zone,
	"resumed_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"total_pause_duration_seconds" integer DEFAULT 0,
	"session_type" varchar(20) DEFAULT 'standard',
	"last_activity" timestamp with time zone DEFAULT now(),
	"last_sync_at" timestamp with time zone DEFAULT now(),
	"is_abandoned" boolean DEFAULT false,
	"created_at" timestamp with time zone DEFAULT now()
);
--> statement-breakpoint
CREATE TABLE "quest_object_relationships" (
	"quest_id" uuid NOT NULL,
	"object_id" uuid NOT NULL,
	"object_type" varchar(20) NOT NULL,
	"relationship_type" varchar(50) NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb,
	"created_at" timestamp with time zone DEFAULT now(),
	CONSTRAINT "quest_object_relationships_quest_id_object_id_relationship_type_pk" PRIMARY KEY("quest_id","object_id","relationship_type")
);
--> statement-breakpoint
CREATE TABLE "quest_progress" (
	"user_id" uuid NOT NULL,
	"quest_instance_id" uuid NOT NULL,
	"tokens_collected" text[] DEFAULT '{}',
	"traps_triggered" text[] DEFAULT '{}',
	"puzzles_solved" text[] DEFAULT '{}',
	"npcs_interacted" text[] DEFAULT '{}',
	"score" integer DEFAULT 0,
	"max_possible_score" integer,
	"time_taken_seconds" integer,
	"mistakes_made" integer DEFAULT 0,
	"hints_used" integer DEFAULT 0,
	"perfect_completion" boolean DEFAULT false,
	"challenge_specific_data" jsonb DEFAULT '{}'::jsonb,
	"completion_percentage" integer DEFAULT 0,
	"current_checkpoint" varchar(50),
	"started_at" timestamp with time zone DEFAULT now(),
	"last_update" timestamp with time zone DEFAULT now(),
	"completed_at" timestamp with time zone,
	CONSTRAINT "quest_progress_user_id_quest_instance_id_pk" PRIMARY KEY("user_id","quest_instance_id"),
	CONSTRAINT "quest_progress_completion_percentage_check" CHECK ("quest_progress"."completion_percentage" BETWEEN 0 AND 100)
);
--> statement-breakpoint
CREATE TABLE "quests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"creator_id" uuid,
	"creator_type" varchar(20) DEFAULT 'user',
	"challenge_type" varchar(50) NOT NULL,
	"category" varchar(50),
	"tags" text[] DEFAULT '{}',
	"quest_data" jsonb NOT NULL,
	"difficulty_rating" integer,
	"complexity_level" varchar(20),
	"estimated_duration_minutes" integer,
	"time_limit_seconds" integer,
	"min_participants" integer DEFAULT 1,
	"max_participants" integer DEFAULT 1,
	"supports_coop" boolean DEFAULT false,
	"rewards" jsonb NOT NULL,
	"requires_instance_type" varchar(20),
	"instance_template" jsonb,
	"schema_version" varchar(10) DEFAULT '1.0',
	"quest_version" integer DEFAULT 1,
	"status" varchar(20) DEFAULT 'active',
	"is_ranked" boolean DEFAULT true,
	"is_public" boolean DEFAULT true,
	"media_assets" jsonb DEFAULT '{}'::jsonb,
	"learning_objectives" text[],
	"subject_area" varchar(50),
	"play_count" integer DEFAULT 0 NOT NULL,
	"completion_count" integer DEFAULT 0 NOT NULL,
	"average_rating" numeric(3, 2),
	"average_completion_time_minutes" integer,
	"created_at" timestamp with time zone DEFAULT now(),
	"updated_at" timestamp with time zone DEFAULT now(),
	"last_played" timestamp with time zone,
	"featured_at" timestamp with time zone,
	"metadata" jsonb DEFAULT '{}'::jsonb,
	CONSTRAINT "quests_difficulty_rating_check" CHECK ("quests"."difficulty_rating" BETWEEN 1 AND 5)
);
--> statement-breakpoint
CREATE TABLE "challenge_completions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"quest_id" uuid,
	"user_id" uuid,
	"quest_instance_id" uuid,
	"completed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"score" integer NOT NULL,
	"time_taken_seconds" integer NOT NULL,
	"perfect_completion" boolean DEFAULT false,
	"mistakes_made" integer DEFAULT 0,
	"hints_used" integer DEFAULT 0,
	"game_specific_stats" jsonb DEFAULT '{}'::jsonb,
	"rank_at_completion" integer,
	"is_high_score" boolean DEFAULT false NOT NULL,
	"is_personal_best" boolean DEFAULT false NOT NULL,
	"is_ranked_attempt" boolean DEFAULT true NOT NULL,
	"attempt_number" integer DEFAULT 1,
	"shared_publicly" boolean DEFAULT false,
	"screenshot_url" text,
	"completion_verified" boolean DEFAULT false NOT NULL,
	"verification_hash" text,
	"attributes_at_completion" jsonb DEFAULT '{}'::jsonb,
	"attribute_rewards_awarded" jsonb DEFAULT '{}'::jsonb,
	"akashic_essence_awarded" jsonb DEFAULT '{}'::jsonb,
	CONSTRAINT "challenge_completions_quest_id_user_id_completed_at_unique" UNIQUE("quest_id","user_id","completed_at")
);
--> statement-breakpoint
CREATE TABLE "challenge_templates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"challenge_type" varchar(50) NOT NULL,
	"category" varchar(50),
	"template_structure" jsonb NOT NULL,
	"requires_user_uploads" boolean DEFAULT false,
	"max_user_uploads" integer DEFAULT 0,
	"allowed_upload_types" text[],
	"complexity_level" varchar(20),
	"default_difficulty" integer,
	"supports_difficulty_scaling" boolean DEFAULT true,
	"ai_can_generate" boolean DEFAULT false,
	"ai_generation_prompt" text,
	"created_by" uuid,
	"is_official" boolean DEFAULT false,
	"is_public" boolean DEFAULT true,
	"times_instantiated" integer DEFAULT 0,
	"average_completion_rate" numeric(4, 2),
	"average_rating" numeric(3, 2),
	"template_version" varchar(10) DEFAULT '1.0',
	"created_at" timestamp with time zone DEFAULT now(),
	"updated_at" timestamp with time zone DEFAULT now(),
	"last_used" timestamp with time zone,
	"metadata" jsonb DEFAULT '{}'::jsonb,
	CONSTRAINT "challenge_templates_name_unique" UNIQUE("name"),
	CONSTRAINT "challenge_templates_default_difficulty_check" CHECK ("challenge_templates"."default_difficulty" BETWEEN 1 AND 5)
);
--> statement-breakpoint
CREATE TABLE "user_uploaded_media" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid,
	"media_type" varchar(20) NOT NULL,
	"file_path" text NOT NULL,
	"file_size_bytes" integer NOT NULL,
	"mime_type" varchar(50) NOT NULL,
	"original_filename" text,
	"width" integer,
	"height" integer,
	"thumbnail_path" text,
	"thumbnail_small_path" text,
	"duration_seconds" integer,
	"svg_regions_count" integer,
	"svg_region_mapping" jsonb,
	"used_in_quests" uuid[],
	"usage_context" varchar(50),
	"content_rating" varchar(2) DEFAULT 'PG',
	"moderation_status" varchar(20) DEFAULT 'pending',
	"ai_detected_tags" text[],
	"ai_confidence_scores" jsonb,
	"human_reviewed" boolean DEFAULT false,
	"reviewed_by" uuid,
	"reviewed_at" timestamp with time zone,
	"upload_metadata" jsonb DEFAULT '{}'::jsonb,
	"uploaded_at" timestamp with time zone DEFAULT now(),
	"last_used" timestamp with time zone,
	"view_count" integer DEFAULT 0,
	"is_archived" boolean DEFAULT false,
	CONSTRAINT "user_uploaded_media_media_type_check" CHECK ("user_uploaded_media"."media_type" IN ('image', 'audio', 'video', 'svg')),
	CONSTRAINT "user_uploaded_media_file_size_bytes_check" CHECK ("user_uploaded_media"."file_size_bytes" <= 5000000)
);
--> statement-breakpoint
CREATE TABLE "inventories" (
	"user_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"quantity" integer DEFAULT 1 NOT NULL,
	"custom_properties" jsonb DEFAULT '{}'::jsonb,
	"acquired_at" timestamp with time zone DEFAULT now(),
	"slot_position" integer,
	CONSTRAINT "inventories_user_id_item_id_pk" PRIMARY KEY("user_id","item_id"),
	CONSTRAINT "inventories_quantity_check" CHECK ("inventories"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "item_templates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"category" varchar(50) NOT NULL,
	"template_data" jsonb NOT NULL,
	"generation_rules" jsonb,
	"created_at" timestamp with time zone DEFAULT now()
);
--> statement-breakpoint
CREATE TABLE "items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"type" varchar(50) NOT NULL,
	"rarity" varchar(20) DEFAULT 'common',
	"glb_path" text,
	"icon_path" text,
	"base_value" integer DEFAULT 1,
	"is_tradeable" boolean DEFAULT true,
	"is_consumable" boolean DEFAULT false,
	"max_stack_size" integer DEFAULT 1,
	"properties" jsonb DEFAULT '{}'::jsonb,
	"creator_id" uuid,
	"created_at" timestamp with time zone DEFAULT now()
);
--> statement-breakpoint
CREATE TABLE "buildings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"instance_id" uuid,
	"owner_id" uuid,
	"item_id" uuid,
	"asset_id" uuid,
	"placed_by_companion" text,
	"license_snapshot" jsonb DEFAULT '{}'::jsonb,
	"name" text,
	"glb_path" text NOT NULL,
	"position" jsonb DEFAULT '{"x":0,"y":0,"z":0}'::jsonb NOT NULL,
	"rotation" jsonb DEFAULT '{"x":0,"y":0,"z":0,"w":1}'::jsonb,
	"scale" jsonb DEFAULT '{"x":1,"y":1,"z":1}'::jsonb,
	"is_public" boolean DEFAULT false,
	"interactions" jsonb DEFAULT '{}'::jsonb,
	"created_at" timestamp with time zone DEFAULT now(),
	"last_modified" timestamp with time zone DEFAULT now(),
	"modified_by" uuid
);
--> statement-breakpoint
CREATE TABLE "marketplace_listings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seller_id" uuid,
	"item_id" uuid,
	"price" integer NOT NULL,
	"quantity" integer DEFAULT 1,
	"status" varchar(20) DEFAULT 'active',
	"expires_at" timestamp with time zone DEFAULT (now() + interval '7 days'),
	"listed_at" timestamp with time zone DEFAULT now(),
	"sold_at" timestamp with time zone,
	"buyer_id" uuid,
	CONSTRAINT "marketplace_listings_price_check" CHECK ("marketplace_listings"."price" > 0),
	CONSTRAINT "marketplace_listings_quantity_check" CHECK ("marketplace_listings"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "trade_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"requester_id" uuid,
	"recipient_id" uuid,
	"status" varchar(20) DEFAULT 'pending',
	"requester_items" jsonb DEFAULT '[]'::jsonb,
	"recipient_items" jsonb DEFAULT '[]'::jsonb,
	"requester_tokens" integer DEFAULT 0,
	"recipient_tokens" integer DEFAULT 0,
	"created_at" timestamp with time zone DEFAULT now(),
	"expires_at" timestamp with time zone DEFAULT (now() + interval '1 hour'),
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "transactions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"from_user" uuid,
	"to_user" uuid,
	"transaction_type" varchar(20) NOT NULL,
	"items_transferred" jsonb DEFAULT '[]'::jsonb,
	"tokens_transferred" integer DEFAULT 0,
	"reference_id" uuid,
	"timestamp" timestamp with time zone DEFAULT now(),
	"metadata" jsonb DEFAULT '{}'::jsonb
);
--> statement-breakpoint
CREATE TABLE "token_transactions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid,
	"amount" integer NOT NULL,
	"transaction_type" varchar(50) NOT NULL,
	"reference_id" uuid,
	"description" text,
	"timestamp" timestamp with time zone DEFAULT now(),
	"metadata" jsonb DEFAULT '{}'::jsonb
);
--> statement-breakpoint
CREATE TABLE "ai_companions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" uuid,
	"name" text NOT NULL,
	"personality_prompt" text,
	"voice_id" varchar(50) DEFAULT 'sultry_witch',
	"appearance" jsonb DEFAULT '{}'::jsonb,
	"position" jsonb DEFAULT '{"x":0,"y":0,"z":0}'::jsonb,
	"behavior_state" varchar(30) DEFAULT 'following',
	"memory_capacity" integer DEFAULT 1000,
	"is_active" boolean DEFAULT true,
	"created_at" timestamp with time zone DEFAULT now(),
	"last_active" timestamp with time zone DEFAULT now()
);
--> statement-breakpoint
CREATE TABLE "companion_conversations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"companion_id" uuid,
	"user_id" uuid,
	"messages" jsonb[] DEFAULT '{}',
	"context_data" jsonb DEFAULT '{}'::jsonb,
	"started_at" timestamp with time zone DEFAULT now(),
	"last_message" timestamp with time zone DEFAULT now(),
	"is_archived" boolean DEFAULT false
);
--> statement-breakpoint
CREATE TABLE "asset_usage" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"asset_id" uuid,
	"used_by" uuid,
	"instance_id" uuid,
	"action" varchar(20),
	"timestamp" timestamp with time zone DEFAULT now()
);
--> statement-breakpoint
CREATE TABLE "assets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"asset_name" text NOT NULL,
	"category" varchar(50) NOT NULL,
	"glb_path" text NOT NULL,
	"file_size_bytes" bigint,
	"file_hash" text,
	"license" varchar(50) NOT NULL,
	"source" varchar(50) NOT NULL,
	"original_author" text,
	"original_url" text,
	"owner_id" uuid,
	"owner_name" text DEFAULT 'poqpoq',
	"display_name" text,
	"description" text,
	"tags" text[],
	"thumbnail_url" text,
	"polygon_count" integer,
	"has_animations" boolean DEFAULT false,
	"has_collisions" boolean DEFAULT true,
	"default_scale" jsonb DEFAULT '{"x":1,"y":1,"z":1}'::jsonb,
	"is_active" boolean DEFAULT true,
	"requires_quest" boolean DEFAULT false,
	"requires_premium" boolean DEFAULT false,
	"min_user_level" integer DEFAULT 0,
	"created_at" timestamp with time zone DEFAULT now(),
	"updated_at" timestamp with time zone DEFAULT now(),
	"last_used" timestamp with time zone,
	CONSTRAINT "assets_asset_name_unique" UNIQUE("asset_name")
);
--> statement-breakpoint
CREATE TABLE "akashic_transactions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"transaction_type" varchar(50) NOT NULL,
	"essence_type" varchar(20),
	"amount" integer NOT NULL,
	"source_id" uuid,
	"source_type" varchar(50),
	"metadata" jsonb DEFAULT '{}'::jsonb,
	"created_at" timestamp with time zone DEFAULT now()
);
--> statement-breakpoint
CREATE TABLE "akashic_tablet_discoveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"tablet_number" integer NOT NULL,
	"tablet_name" text,
	"lore_text" text,
	"location_found" jsonb,
	"discovered_at" timestamp with time zone DEFAULT now(),
	CONSTRAINT "akashic_tablet_discoveries_user_id_tablet_number_unique" UNIQUE("user_id","tablet_number"),
	CONSTRAINT "akashic_tablet_discoveries_tablet_number_check" CHECK ("akashic_tablet_discoveries"."tablet_number" BETWEEN 1 AND 13)
);
--> statement-breakpoint
CREATE TABLE "attribute_transactions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"attribute_name" varchar(20) NOT NULL,
	"amount_change" integer NOT NULL,
	"source_type" varchar(50) NOT NULL,
	"source_id" uuid,
	"metadata" jsonb DEFAULT '{}'::jsonb,
	"created_at" timestamp with time zone DEFAULT now()
);
--> statement-breakpoint
CREATE TABLE "deities" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"deity_name" varchar(50) NOT NULL,
	"display_name" text NOT NULL,
	"pantheon" varchar(50) NOT NULL,
	"gender" varchar(20),
	"primary_color" varchar(20),
	"color_hex" varchar(7),
	"position_x" double precision,
	"position_y" double precision,
	"position_z" double precision,
	"min_rank_required" integer DEFAULT 1,
	"is_hidden" boolean DEFAULT false,
	"unlock_method" varchar(50),
	"unlock_description" text,
	"primary_attribute" varchar(20),
	"secondary_attribute" varchar(20),
	"voice_personality" varchar(50),
	"personality_archetype" varchar(50),
	"in_ritual_ring" boolean DEFAULT true,
	"is_active" boolean DEFAULT true,
	"lore_description" text,
	"quote" text,
	"created_at" timestamp with time zone DEFAULT now(),
	CONSTRAINT "deities_deity_name_unique" UNIQUE("deity_name")
);
--> statement-breakpoint
CREATE TABLE "deity_blessings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"deity_id" uuid NOT NULL,
	"blessing_name" varchar(50) NOT NULL,
	"display_name" text NOT NULL,
	"description" text,
	"primary_attribute" varchar(20) NOT NULL,
	"primary_bonus" integer NOT NULL,
	"secondary_attribute" varchar(20) NOT NULL,
	"secondary_bonus" integer NOT NULL,
	"theme_archetype" varchar(50),
	"companion_variant" varchar(50),
	CONSTRAINT "deity_blessings_deity_id_blessing_name_unique" UNIQUE("deity_id","blessing_name")
);
--> statement-breakpoint
CREATE TABLE "hidden_deity_discoveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"deity_name" varchar(50) NOT NULL,
	"discovered_at" timestamp with time zone DEFAULT now(),
	"discovery_method" varchar(50),
	CONSTRAINT "hidden_deity_discoveries_user_id_deity_name_unique" UNIQUE("user_id","deity_name")
);
--> statement-breakpoint
CREATE TABLE "user_deity_bonds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"deity_id" uuid NOT NULL,
	"blessing_id" uuid NOT NULL,
	"bonded_at" timestamp with time zone DEFAULT now(),
	"unbonded_at" timestamp with time zone,
	"is_active" boolean DEFAULT true NOT NULL,
	"faith_at_bonding" integer,
	"current_amplification" double precision DEFAULT 1,
	"quests_completed_for_deity" integer DEFAULT 0,
	"offerings_made" integer DEFAULT 0,
	"days_bonded" integer DEFAULT 0
);
--> statement-breakpoint
CREATE TABLE "materialized_view_refreshes" (
	"view_name" text PRIMARY KEY NOT NULL,
	"refreshed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "schema_version" (
	"version" text PRIMARY KEY NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now(),
	"description" text,
	"migration_file" text
);
--> statement-breakpoint
ALTER TABLE "user_balances" ADD CONSTRAINT "user_balances_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "active_sessions" ADD CONSTRAINT "active_sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "active_sessions" ADD CONSTRAINT "active_sessions_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_messages" ADD CONSTRAINT "chat_messages_sender_id_users_id_fk" FOREIGN KEY ("sender_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_messages" ADD CONSTRAINT "chat_messages_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instance_visitors" ADD CONSTRAINT "instance_visitors_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instance_visitors" ADD CONSTRAINT "instance_visitors_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_states" ADD CONSTRAINT "user_states_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quest_instances" ADD CONSTRAINT "quest_instances_quest_id_quests_id_fk" FOREIGN KEY ("quest_id") REFERENCES "public"."quests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quest_instances" ADD CONSTRAINT "quest_instances_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quest_instances" ADD CONSTRAINT "quest_instances_host_user_id_users_id_fk" FOREIGN KEY ("host_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quest_object_relationships" ADD CONSTRAINT "quest_object_relationships_quest_id_quests_id_fk" FOREIGN KEY ("quest_id") REFERENCES "public"."quests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quest_progress" ADD CONSTRAINT "quest_progress_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quest_progress" ADD CONSTRAINT "quest_progress_quest_instance_id_quest_instances_id_fk" FOREIGN KEY ("quest_instance_id") REFERENCES "public"."quest_instances"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quests" ADD CONSTRAINT "quests_creator_id_users_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "challenge_completions" ADD CONSTRAINT "challenge_completions_quest_id_quests_id_fk" FOREIGN KEY ("quest_id") REFERENCES "public"."quests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "challenge_completions" ADD CONSTRAINT "challenge_completions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "challenge_completions" ADD CONSTRAINT "challenge_completions_quest_instance_id_quest_instances_id_fk" FOREIGN KEY ("quest_instance_id") REFERENCES "public"."quest_instances"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "challenge_templates" ADD CONSTRAINT "challenge_templates_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_uploaded_media" ADD CONSTRAINT "user_uploaded_media_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_uploaded_media" ADD CONSTRAINT "user_uploaded_media_reviewed_by_users_id_fk" FOREIGN KEY ("reviewed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inventories" ADD CONSTRAINT "inventories_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inventories" ADD CONSTRAINT "inventories_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "items" ADD CONSTRAINT "items_creator_id_users_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "buildings" ADD CONSTRAINT "buildings_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "buildings" ADD CONSTRAINT "buildings_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "buildings" ADD CONSTRAINT "buildings_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "buildings" ADD CONSTRAINT "buildings_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "buildings" ADD CONSTRAINT "buildings_modified_by_users_id_fk" FOREIGN KEY ("modified_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "marketplace_listings" ADD CONSTRAINT "marketplace_listings_seller_id_users_id_fk" FOREIGN KEY ("seller_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "marketplace_listings" ADD CONSTRAINT "marketplace_listings_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "marketplace_listings" ADD CONSTRAINT "marketplace_listings_buyer_id_users_id_fk" FOREIGN KEY ("buyer_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trade_requests" ADD CONSTRAINT "trade_requests_requester_id_users_id_fk" FOREIGN KEY ("requester_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trade_requests" ADD CONSTRAINT "trade_requests_recipient_id_users_id_fk" FOREIGN KEY ("recipient_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_from_user_users_id_fk" FOREIGN KEY ("from_user") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_to_user_users_id_fk" FOREIGN KEY ("to_user") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "token_transactions" ADD CONSTRAINT "token_transactions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ai_companions" ADD CONSTRAINT "ai_companions_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "companion_conversations" ADD CONSTRAINT "companion_conversations_companion_id_ai_companions_id_fk" FOREIGN KEY ("companion_id") REFERENCES "public"."ai_companions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "companion_conversations" ADD CONSTRAINT "companion_conversations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "asset_usage" ADD CONSTRAINT "asset_usage_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "asset_usage" ADD CONSTRAINT "asset_usage_used_by_users_id_fk" FOREIGN KEY ("used_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "asset_usage" ADD CONSTRAINT "asset_usage_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets" ADD CONSTRAINT "assets_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "akashic_transactions" ADD CONSTRAINT "akashic_transactions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "akashic_tablet_discoveries" ADD CONSTRAINT "akashic_tablet_discoveries_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attribute_transactions" ADD CONSTRAINT "attribute_transactions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deity_blessings" ADD CONSTRAINT "deity_blessings_deity_id_deities_id_fk" FOREIGN KEY ("deity_id") REFERENCES "public"."deities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hidden_deity_discoveries" ADD CONSTRAINT "hidden_deity_discoveries_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_deity_bonds" ADD CONSTRAINT "user_deity_bonds_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_deity_bonds" ADD CONSTRAINT "user_deity_bonds_deity_id_deities_id_fk" FOREIGN KEY ("deity_id") REFERENCES "public"."deities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_deity_bonds" ADD CONSTRAINT "user_deity_bonds_blessing_id_deity_blessings_id_fk" FOREIGN KEY ("blessing_id") REFERENCES "public"."deity_blessings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_users_email" ON "users" USING btree ("email");--> statement-breakpoint
CREATE INDEX "idx_users_username" ON "users" USING btree ("username");--> statement-breakpoint
CREATE INDEX "idx_users_akashic_resonance" ON "users" USING btree ("akashic_resonance" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "idx_users_akashic_rank" ON "users" USING btree ("akashic_rank" DESC NULLS FIRST,"akashic_resonance" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "idx_users_strength_discovery" ON "users" USING btree ("strength_discovery" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "idx_users_strength_interpretation" ON "users" USING btree ("strength_interpretation" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "idx_users_strength_influence" ON "users" USING btree ("strength_influence" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "idx_active_sessions_user" ON "active_sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_active_sessions_instance" ON "active_sessions" USING btree ("instance_id");--> statement-breakpoint
CREATE INDEX "idx_chat_messages_instance" ON "chat_messages" USING btree ("instance_id");--> statement-breakpoint
CREATE INDEX "idx_chat_messages_timestamp" ON "chat_messages" USING btree ("timestamp" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "idx_chat_messages_sender" ON "chat_messages" USING btree ("sender_id");--> statement-breakpoint
CREATE INDEX "idx_instance_visitors_user" ON "instance_visitors" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_instances_type" ON "instances" USING btree ("type");--> statement-breakpoint
CREATE INDEX "idx_instances_owner" ON "instances" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "idx_instances_public" ON "instances" USING btree ("is_public");--> statement-breakpoint
CREATE INDEX "idx_user_states_zone" ON "user_states" USING btree ("zone");--> statement-breakpoint
CREATE INDEX "idx_user_states_instance" ON "user_states" USING btree ("instance_id");--> statement-breakpoint
CREATE INDEX "idx_quest_instances_quest" ON "quest_instances" USING btree ("quest_id");--> statement-breakpoint
CREATE INDEX "idx_quest_instances_participants" ON "quest_instances" USING gin ("participants");--> statement-breakpoint
CREATE INDEX "idx_quest_instances_host" ON "quest_instances" USING btree ("host_user_id");--> statement-breakpoint
CREATE INDEX "idx_quest_instances_active" ON "quest_instances" USING btree ("started_at","completed_at") WHERE completed_at IS NULL;--> statement-breakpoint
CREATE INDEX "idx_quest_instances_state" ON "quest_instances" USING gin ("state");--> statement-breakpoint
CREATE INDEX "idx_quest_objects_quest" ON "quest_object_relationships" USING btree ("quest_id");--> statement-breakpoint
CREATE INDEX "idx_quest_objects_object" ON "quest_object_relationships" USING btree ("object_type","object_id");--> statement-breakpoint
CREATE INDEX "idx_quest_objects_relationship" ON "quest_object_relationships" USING btree ("relationship_type");--> statement-breakpoint
CREATE INDEX "idx_quest_progress_user" ON "quest_progress" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_quest_progress_instance" ON "quest_progress" USING btree ("quest_instance_id");--> statement-breakpoint
CREATE INDEX "idx_quest_progress_score" ON "quest_progress" USING btree ("score" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "idx_quest_progress_completion" ON "quest_progress" USING btree ("completion_percentage");--> statement-breakpoint
CREATE INDEX "idx_quest_progress_data" ON "quest_progress" USING gin ("challenge_specific_data");--> statement-breakpoint
CREATE INDEX "idx_quests_creator" ON "quests" USING btree ("creator_id");--> statement-breakpoint
CREATE INDEX "idx_quests_type" ON "quests" USING btree ("challenge_type","category");--> statement-breakpoint
CREATE INDEX "idx_quests_tags" ON "quests" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "idx_quests_status" ON "quests" USING btree ("status") WHERE status = 'active';--> statement-breakpoint
CREATE INDEX "idx_quests_difficulty" ON "quests" USING btree ("difficulty_rating");--> statement-breakpoint
CREATE INDEX "idx_quests_data" ON "quests" USING gin ("quest_data");--> statement-breakpoint
CREATE INDEX "idx_completions_quest_score" ON "challenge_completions" USING btree ("quest_id","score" DESC NULLS FIRST,"time_taken_seconds");--> statement-breakpoint
CREATE INDEX "idx_completions_user" ON "challenge_completions" USING btree ("user_id","completed_at" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "idx_completions_highscore" ON "challenge_completions" USING btree ("is_high_score") WHERE is_high_score = TRUE;--> statement-breakpoint
CREATE INDEX "idx_completions_personal_best" ON "challenge_completions" USING btree ("user_id","quest_id","is_personal_best") WHERE is_personal_best = TRUE;--> statement-breakpoint
CREATE INDEX "idx_templates_type" ON "challenge_templates" USING btree ("challenge_type");--> statement-breakpoint
CREATE INDEX "idx_templates_complexity" ON "challenge_templates" USING btree ("complexity_level");--> statement-breakpoint
CREATE INDEX "idx_templates_official" ON "challenge_templates" USING btree ("is_official","is_public");--> statement-breakpoint
CREATE INDEX "idx_media_user" ON "user_uploaded_media" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_media_type" ON "user_uploaded_media" USING btree ("media_type");--> statement-breakpoint
CREATE INDEX "idx_media_status" ON "user_uploaded_media" USING btree ("moderation_status");--> statement-breakpoint
CREATE INDEX "idx_media_quests" ON "user_uploaded_media" USING gin ("used_in_quests");--> statement-breakpoint
CREATE INDEX "idx_inventories_user" ON "inventories" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_items_type" ON "items" USING btree ("type");--> statement-breakpoint
CREATE INDEX "idx_items_rarity" ON "items" USING btree ("rarity");--> statement-breakpoint
CREATE INDEX "idx_items_tradeable" ON "items" USING btree ("is_tradeable");--> statement-breakpoint
CREATE INDEX "idx_items_creator" ON "items" USING btree ("creator_id");--> statement-breakpoint
CREATE INDEX "idx_buildings_instance" ON "buildings" USING btree ("instance_id");--> statement-breakpoint
CREATE INDEX "idx_buildings_owner" ON "buildings" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "idx_buildings_asset" ON "buildings" USING btree ("asset_id");--> statement-breakpoint
CREATE INDEX "idx_buildings_companion" ON "buildings" USING btree ("placed_by_companion");--> statement-breakpoint
CREATE INDEX "idx_marketplace_active" ON "marketplace_listings" USING btree ("status") WHERE status = 'active';--> statement-breakpoint
CREATE INDEX "idx_marketplace_seller" ON "marketplace_listings" USING btree ("seller_id");--> statement-breakpoint
CREATE INDEX "idx_marketplace_item" ON "marketplace_listings" USING btree ("item_id");--> statement-breakpoint
CREATE INDEX "idx_transactions_users" ON "transactions" USING btree ("from_user","to_user");--> statement-breakpoint
CREATE INDEX "idx_transactions_type" ON "transactions" USING btree ("transaction_type");--> statement-breakpoint
CREATE INDEX "idx_transactions_timestamp" ON "transactions" USING btree ("timestamp" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "idx_token_transactions_user" ON "token_transactions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_token_transactions_type" ON "token_transactions" USING btree ("transaction_type");--> statement-breakpoint
CREATE INDEX "idx_token_transactions_timestamp" ON "token_transactions" USING btree ("timestamp" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "idx_companions_owner" ON "ai_companions" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "idx_companions_active" ON "ai_companions" USING btree ("is_active");--> statement-breakpoint
CREATE INDEX "idx_companion_conversations_companion" ON "companion_conversations" USING btree ("companion_id");--> statement-breakpoint
CREATE INDEX "idx_companion_conversations_user" ON "companion_conversations" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_asset_usage_asset" ON "asset_usage" USING btree ("asset_id");--> statement-breakpoint
CREATE INDEX "idx_asset_usage_user" ON "asset_usage" USING btree ("used_by");--> statement-breakpoint
CREATE INDEX "idx_assets_category" ON "assets" USING btree ("category");--> statement-breakpoint
CREATE INDEX "idx_assets_name" ON "assets" USING btree ("asset_name");--> statement-breakpoint
CREATE INDEX "idx_assets_owner" ON "assets" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "idx_assets_license" ON "assets" USING btree ("license");--> statement-breakpoint
CREATE INDEX "idx_assets_source" ON "assets" USING btree ("source");--> statement-breakpoint
CREATE INDEX "idx_assets_tags" ON "assets" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "idx_assets_active" ON "assets" USING btree ("is_active") WHERE is_active = TRUE;--> statement-breakpoint
CREATE INDEX "idx_akashic_transactions_user" ON "akashic_transactions" USING btree ("user_id","created_at" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "idx_akashic_transactions_type" ON "akashic_transactions" USING btree ("transaction_type");--> statement-breakpoint
CREATE INDEX "idx_tablet_discoveries_user" ON "akashic_tablet_discoveries" USING btree ("user_id","tablet_number");--> statement-breakpoint
CREATE INDEX "idx_attribute_transactions_user" ON "attribute_transactions" USING btree ("user_id","created_at" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "idx_attribute_transactions_type" ON "attribute_transactions" USING btree ("attribute_name","source_type");--> statement-breakpoint
CREATE INDEX "idx_deities_pantheon" ON "deities" USING btree ("pantheon","min_rank_required");--> statement-breakpoint
CREATE INDEX "idx_deities_rank_unlock" ON "deities" USING btree ("min_rank_required","in_ritual_ring");--> statement-breakpoint
CREATE INDEX "idx_deities_hidden" ON "deities" USING btree ("is_hidden","is_active");--> statement-breakpoint
CREATE INDEX "idx_hidden_deity_discoveries_user" ON "hidden_deity_discoveries" USING btree ("user_id","discovered_at" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "idx_deity_bonds_user_active" ON "user_deity_bonds" USING btree ("user_id","is_active");--> statement-breakpoint
CREATE INDEX "idx_deity_bonds_deity" ON "user_deity_bonds" USING btree ("deity_id","is_active");--> statement-breakpoint
CREATE UNIQUE INDEX "idx_deity_bonds_user_active_unique" ON "user_deity_bonds" USING btree ("user_id") WHERE is_active = TRUE;