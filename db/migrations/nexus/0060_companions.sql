-- AI companions and their conversations (issue 14; db/README.md, decisions 90-97).

-- ai_companions: the seed's behaviour states become a CHECK, and the columns every rule reads are
-- NOT NULL (filled with the seed's defaults first). A listing index per owner, newest first.
UPDATE "ai_companions" SET "behavior_state" = 'following'
  WHERE "behavior_state" IS NULL
     OR "behavior_state" NOT IN ('following', 'idle', 'exploring', 'talking', 'performing');
UPDATE "ai_companions" SET "is_active" = true WHERE "is_active" IS NULL;
UPDATE "ai_companions" SET "memory_capacity" = 1000
  WHERE "memory_capacity" IS NULL OR "memory_capacity" < 1;
UPDATE "ai_companions" SET "appearance" = '{}'::jsonb
  WHERE "appearance" IS NULL OR jsonb_typeof("appearance") <> 'object';
UPDATE "ai_companions" SET "created_at" = now() WHERE "created_at" IS NULL;
ALTER TABLE "ai_companions"
  ALTER COLUMN "behavior_state" SET NOT NULL,
  ALTER COLUMN "is_active" SET NOT NULL,
  ALTER COLUMN "memory_capacity" SET NOT NULL,
  ALTER COLUMN "appearance" SET NOT NULL,
  ALTER COLUMN "created_at" SET NOT NULL,
  ADD CONSTRAINT "ai_companions_behavior_state_check"
    CHECK ("behavior_state" IN ('following', 'idle', 'exploring', 'talking', 'performing')),
  ADD CONSTRAINT "ai_companions_memory_capacity_check" CHECK ("memory_capacity" >= 1),
  ADD CONSTRAINT "ai_companions_appearance_object" CHECK (jsonb_typeof("appearance") = 'object');
CREATE INDEX "idx_companions_owner_created" ON "ai_companions" ("owner_id", "created_at" DESC, "id" DESC);

-- companion_conversations: a conversation is with one of the owner's companions or with a shared
-- avatar agent of the memory database (agent_id: no foreign key across databases). Deleting a
-- companion deletes its conversations. `message_count` numbers the messages (the append counter);
-- `turn_id`/`turn_started_at` are the lease of the turn in progress (one turn at a time).
ALTER TABLE "companion_conversations"
  DROP CONSTRAINT "companion_conversations_companion_id_ai_companions_id_fk",
  ADD CONSTRAINT "companion_conversations_companion_id_fk"
    FOREIGN KEY ("companion_id") REFERENCES "ai_companions"("id") ON DELETE CASCADE,
  ADD COLUMN "agent_id" uuid,
  ADD COLUMN "message_count" integer NOT NULL DEFAULT 0,
  ADD COLUMN "turn_id" uuid,
  ADD COLUMN "turn_started_at" timestamp with time zone,
  ADD CONSTRAINT "companion_conversations_message_count_check" CHECK ("message_count" >= 0),
  -- Rows written before this migration may have neither; new rows must have exactly one.
  ADD CONSTRAINT "companion_conversations_one_partner"
    CHECK (num_nonnulls("companion_id", "agent_id") = 1) NOT VALID;
UPDATE "companion_conversations" SET "is_archived" = false WHERE "is_archived" IS NULL;
UPDATE "companion_conversations" SET "started_at" = now() WHERE "started_at" IS NULL;
ALTER TABLE "companion_conversations"
  ALTER COLUMN "is_archived" SET NOT NULL,
  ALTER COLUMN "started_at" SET NOT NULL,
  ALTER COLUMN "context_data" SET DEFAULT '{}'::jsonb;
CREATE INDEX "idx_companion_conversations_companion_user"
  ON "companion_conversations" ("companion_id", "user_id", "started_at" DESC, "id" DESC)
  WHERE "companion_id" IS NOT NULL;
CREATE INDEX "idx_companion_conversations_agent_user"
  ON "companion_conversations" ("agent_id", "user_id", "started_at" DESC, "id" DESC)
  WHERE "agent_id" IS NOT NULL;

-- One row per message instead of the seed's `messages jsonb[]`: appending to an array column
-- rewrites the whole row (every earlier message) on each turn, so a long conversation made each
-- append O(history). A row per message is an O(1) insert plus the conversation's fixed-size
-- counter update, and pages by (conversation_id, seq).
CREATE TABLE "companion_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conversation_id" uuid NOT NULL REFERENCES "companion_conversations"("id") ON DELETE CASCADE,
	"seq" integer NOT NULL,
	"role" varchar(16) NOT NULL,
	"content" text NOT NULL,
	"tool_commands" jsonb NOT NULL DEFAULT '[]'::jsonb,
	"context" jsonb NOT NULL DEFAULT '{}'::jsonb,
	"created_at" timestamp with time zone NOT NULL DEFAULT now(),
	CONSTRAINT "companion_messages_conversation_seq" UNIQUE ("conversation_id", "seq"),
	CONSTRAINT "companion_messages_seq_check" CHECK ("seq" >= 1),
	CONSTRAINT "companion_messages_role_check" CHECK ("role" IN ('user', 'assistant', 'system')),
	CONSTRAINT "companion_messages_tool_commands_array" CHECK (jsonb_typeof("tool_commands") = 'array')
);

-- Existing histories move into the table in their order; the seed's `timestamp` (epoch ms) keeps
-- its instant.
INSERT INTO "companion_messages" ("conversation_id", "seq", "role", "content", "tool_commands", "created_at")
SELECT c."id", m.ord::int,
       CASE WHEN m.msg ->> 'role' IN ('user', 'assistant', 'system') THEN m.msg ->> 'role' ELSE 'system' END,
       coalesce(m.msg ->> 'content', ''),
       CASE WHEN jsonb_typeof(m.msg -> 'tool_commands') = 'array' THEN m.msg -> 'tool_commands' ELSE '[]'::jsonb END,
       CASE WHEN jsonb_typeof(m.msg -> 'timestamp') = 'number'
            THEN to_timestamp((m.msg ->> 'timestamp')::float8 / 1000) ELSE coalesce(c."started_at", now()) END
FROM "companion_conversations" c
CROSS JOIN LATERAL unnest(c."messages") WITH ORDINALITY AS m(msg, ord)
WHERE c."messages" IS NOT NULL;
UPDATE "companion_conversations" c
  SET "message_count" = (SELECT count(*) FROM "companion_messages" m WHERE m."conversation_id" = c."id");
ALTER TABLE "companion_conversations" DROP COLUMN "messages";
