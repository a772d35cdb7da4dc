CREATE TYPE "public"."compression_type_enum" AS ENUM('full', 'pca384', 'pq48', 'sparse_only');--> statement-breakpoint
CREATE TYPE "public"."memory_tier_enum" AS ENUM('core', 'important', 'background', 'sparse');--> statement-breakpoint
CREATE TYPE "public"."relationship_stage_enum" AS ENUM('stranger', 'acquaintance', 'friend', 'close_friend');--> statement-breakpoint
CREATE TABLE "companion_memories" (
	"memory_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"companion_id" varchar(50) NOT NULL,
	"user_id" uuid NOT NULL,
	"content" text NOT NULL,
	"tier" "memory_tier_enum" NOT NULL,
	"significance_score" double precision NOT NULL,
	"compression_type" "compression_type_enum" DEFAULT 'full' NOT NULL,
	"full_embedding" vector(768),
	"compressed_embedding" vector(384),
	"quantized_embedding" "bytea",
	"conversation_hash" varchar(64) NOT NULL,
	"key_phrases" text[] NOT NULL,
	"conversation_snippet" text,
	"emotional_intensity" double precision NOT NULL,
	"emotional_valence" double precision NOT NULL,
	"interaction_context" jsonb,
	"created_at" timestamp with time zone DEFAULT now(),
	"last_accessed" timestamp with time zone DEFAULT now(),
	"access_count" integer DEFAULT 0 NOT NULL,
	"original_size" integer,
	"compressed_size" integer,
	"compression_ratio" double precision,
	"quality_metric" double precision,
	CONSTRAINT "companion_memories_significance_score_check" CHECK ("companion_memories"."significance_score" >= 0 AND "companion_memories"."significance_score" <= 1),
	CONSTRAINT "companion_memories_emotional_intensity_check" CHECK ("companion_memories"."emotional_intensity" >= 0 AND "companion_memories"."emotional_intensity" <= 1),
	CONSTRAINT "companion_memories_emotional_valence_check" CHECK ("companion_memories"."emotional_valence" >= -1 AND "companion_memories"."emotional_valence" <= 1),
	CONSTRAINT "valid_embedding_storage" CHECK (("companion_memories"."full_embedding" IS NOT NULL)::int + ("companion_memories"."compressed_embedding" IS NOT NULL)::int + ("companion_memories"."quantized_embedding" IS NOT NULL)::int <= 1)
);
--> statement-breakpoint
CREATE TABLE "memory_access_patterns" (
	"access_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"memory_id" uuid NOT NULL,
	"accessed_at" timestamp with time zone DEFAULT now(),
	"access_type" varchar(50),
	"similarity_score" double precision,
	"retrieval_time_ms" integer,
	"decompression_time_ms" integer,
	"reconstruction_quality" double precision
);
--> statement-breakpoint
CREATE TABLE "memory_relationships" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"memory_id" uuid NOT NULL,
	"related_memory_id" uuid NOT NULL,
	"relationship_type" varchar(50),
	"strength" double precision DEFAULT 0.5
);
--> statement-breakpoint
CREATE TABLE "companion_relationships" (
	"relationship_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"companion_id" varchar(50) NOT NULL,
	"user_id" uuid NOT NULL,
	"stage" "relationship_stage_enum" DEFAULT 'stranger' NOT NULL,
	"trust_level" double precision DEFAULT 0.5 NOT NULL,
	"quality_score" double precision DEFAULT 0.5 NOT NULL,
	"interaction_count" integer DEFAULT 0,
	"total_memories" integer DEFAULT 0 NOT NULL,
	"core_memories_count" integer DEFAULT 0 NOT NULL,
	"important_memories_count" integer DEFAULT 0 NOT NULL,
	"background_memories_count" integer DEFAULT 0 NOT NULL,
	"sparse_memories_count" integer DEFAULT 0 NOT NULL,
	"total_storage_bytes" bigint DEFAULT 0 NOT NULL,
	"compression_ratio" double precision DEFAULT 1,
	"communication_patterns" jsonb,
	"shared_interests" text[],
	"conversation_themes" jsonb,
	"relationship_started" timestamp with time zone DEFAULT now(),
	"last_interaction" timestamp with time zone DEFAULT now(),
	"last_updated" timestamp with time zone DEFAULT now(),
	CONSTRAINT "companion_relationships_companion_id_user_id_unique" UNIQUE("companion_id","user_id"),
	CONSTRAINT "companion_relationships_trust_level_check" CHECK ("companion_relationships"."trust_level" >= 0 AND "companion_relationships"."trust_level" <= 1),
	CONSTRAINT "companion_relationships_quality_score_check" CHECK ("companion_relationships"."quality_score" >= 0 AND "companion_relationships"."quality_score" <= 1)
);
--> statement-breakpoint
CREATE TABLE "compression_analytics" (
	"analytics_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"companion_id" varchar(50),
	"user_id" uuid,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"memories_created" integer DEFAULT 0,
	"memories_compressed" integer DEFAULT 0,
	"memories_accessed" integer DEFAULT 0,
	"pca_compressions" integer DEFAULT 0,
	"pq_compressions" integer DEFAULT 0,
	"average_pca_quality" double precision,
	"average_pq_quality" double precision,
	"total_original_size" bigint DEFAULT 0,
	"total_compressed_size" bigint DEFAULT 0,
	"overall_compression_ratio" double precision,
	"storage_savings_percent" double precision,
	"created_at" timestamp with time zone DEFAULT now()
);
--> statement-breakpoint
CREATE TABLE "memory_analytics" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"companion_id" varchar(50),
	"timestamp" timestamp with time zone DEFAULT now(),
	"total_memories" integer,
	"core_memories" integer,
	"important_memories" integer,
	"background_memories" integer,
	"sparse_memories" integer,
	"avg_compression_ratio" double precision,
	"total_storage_bytes" bigint,
	"retrieval_performance_ms" double precision
);
--> statement-breakpoint
CREATE TABLE "memory_tier_config" (
	"tier" "memory_tier_enum" PRIMARY KEY NOT NULL,
	"max_memories" integer,
	"compression_after_days" integer,
	"target_compression_type" "compression_type_enum",
	"max_storage_bytes" bigint,
	"description" text
);
--> statement-breakpoint
CREATE TABLE "pca_models" (
	"model_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"companion_id" varchar(50),
	"model_name" varchar(100) NOT NULL,
	"n_components" integer NOT NULL,
	"explained_variance_ratio" double precision NOT NULL,
	"model_data" "bytea" NOT NULL,
	"training_samples" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now(),
	"is_active" boolean DEFAULT true,
	CONSTRAINT "pca_models_companion_id_model_name_unique" UNIQUE("companion_id","model_name")
);
--> statement-breakpoint
CREATE TABLE "pq_models" (
	"model_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"companion_id" varchar(50),
	"model_name" varchar(100) NOT NULL,
	"num_subspaces" integer DEFAULT 48 NOT NULL,
	"num_centroids" integer DEFAULT 256 NOT NULL,
	"subspace_dim" integer DEFAULT 16 NOT NULL,
	"centroids_data" "bytea" NOT NULL,
	"training_samples" integer NOT NULL,
	"average_reconstruction_quality" double precision,
	"created_at" timestamp with time zone DEFAULT now(),
	"is_active" boolean DEFAULT true,
	CONSTRAINT "pq_models_companion_id_model_name_unique" UNIQUE("companion_id","model_name")
);
--> statement-breakpoint
CREATE TABLE "avatar_agents" (
	"agent_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"agent_name" varchar(50) NOT NULL,
	"avatar_url" text,
	"voice_id" varchar(50),
	"personality_prompt" text,
	"created_at" timestamp with time zone DEFAULT now(),
	"is_active" boolean DEFAULT true,
	CONSTRAINT "avatar_agents_agent_name_unique" UNIQUE("agent_name")
);
--> statement-breakpoint
CREATE TABLE "schema_metadata" (
	"key" varchar(50) PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now()
);
--> statement-breakpoint
ALTER TABLE "memory_access_patterns" ADD CONSTRAINT "memory_access_patterns_memory_id_companion_memories_memory_id_fk" FOREIGN KEY ("memory_id") REFERENCES "public"."companion_memories"("memory_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memory_relationships" ADD CONSTRAINT "memory_relationships_memory_id_companion_memories_memory_id_fk" FOREIGN KEY ("memory_id") REFERENCES "public"."companion_memories"("memory_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memory_relationships" ADD CONSTRAINT "memory_relationships_related_memory_id_companion_memories_memory_id_fk" FOREIGN KEY ("related_memory_id") REFERENCES "public"."companion_memories"("memory_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_memories_full_embedding_cosine" ON "companion_memories" USING hnsw ("full_embedding" vector_cosine_ops) WHERE full_embedding IS NOT NULL;--> statement-breakpoint
CREATE INDEX "idx_memories_compressed_embedding_cosine" ON "companion_memories" USING hnsw ("compressed_embedding" vector_cosine_ops) WHERE compressed_embedding IS NOT NULL;--> statement-breakpoint
CREATE INDEX "idx_memories_full_embedding_l2" ON "companion_memories" USING hnsw ("full_embedding" vector_l2_ops) WHERE full_embedding IS NOT NULL;--> statement-breakpoint
CREATE INDEX "idx_memories_companion_tier" ON "companion_memories" USING btree ("companion_id","tier");--> statement-breakpoint
CREATE INDEX "idx_memories_significance" ON "companion_memories" USING btree ("significance_score" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "idx_memories_user_companion" ON "companion_memories" USING btree ("user_id","companion_id");--> statement-breakpoint
CREATE INDEX "idx_memories_conversation_hash" ON "companion_memories" USING hash ("conversation_hash");--> statement-breakpoint
CREATE INDEX "idx_memories_key_phrases_gin" ON "companion_memories" USING gin ("key_phrases");--> statement-breakpoint
CREATE INDEX "idx_memories_created_at" ON "companion_memories" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "idx_access_patterns_memory" ON "memory_access_patterns" USING btree ("memory_id");--> statement-breakpoint
CREATE INDEX "idx_access_patterns_time" ON "memory_access_patterns" USING btree ("accessed_at" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "idx_memory_relationships_memory" ON "memory_relationships" USING btree ("memory_id");--> statement-breakpoint
CREATE INDEX "idx_memory_relationships_related" ON "memory_relationships" USING btree ("related_memory_id");--> statement-breakpoint
CREATE INDEX "idx_relationships_companion" ON "companion_relationships" USING btree ("companion_id");--> statement-breakpoint
CREATE INDEX "idx_relationships_user" ON "companion_relationships" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_relationships_last_interaction" ON "companion_relationships" USING btree ("last_interaction" DESC NULLS FIRST);