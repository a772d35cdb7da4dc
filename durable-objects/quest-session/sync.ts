/**
 * Postgres sync of a QuestSession (the `writeSync` the core's SyncScheduler calls): one transaction
 * writes the session row (`quest_instances`), each participant's `quest_progress`, the play count
 * at the start and, once, the completion with its rewards.
 *
 * Written once, whatever happens around it. The transaction first locks the session row and reads
 * what it already holds:
 * - `state_version` at or past the snapshot's: everything in the snapshot is there (it was written
 *   by one transaction), so nothing is done. This is what a doubled alarm, or an object that
 *   restarted between COMMIT and marking the snapshot synced, runs into.
 * - `started_at` still NULL while the snapshot has a start: the plays are counted, once.
 * - `completed_at` still NULL while the snapshot has a completion: the completions are inserted
 *   and the rewards granted, once.
 * Two writers at once (two connections) serialize on the row lock, and the second sees the
 * first's commit; the unique index on (quest_instance_id, user_id) of `challenge_completions` is
 * the last fence. A session row that does not exist (deleted, or never created because the
 * request that opened the session failed) is reported as `gone`, so a sync is not retried forever.
 *
 * No import of the Workers runtime: the concurrency suite runs this on PostgreSQL 15 from Node.
 */
import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { attributesOf, essencesOf, grantQuestRewards } from '../../functions/quests/rewards'
import type { SessionStatus } from './protocol'
import type { QuestRewards } from './quest-data'
import type { CompletionRecord } from './rpc'

/** One participant's `quest_progress` row. */
export interface ProgressSnapshot {
  user_id: string
  tokens_collected: string[]
  puzzles_solved: string[]
  npcs_interacted: string[]
  score: number
  max_possible_score: number
  time_taken_seconds: number | null
  mistakes_made: number
  perfect_completion: boolean
  challenge_specific_data: Record<string, unknown>
  completion_percentage: number
  current_checkpoint: string | null
  started_at_ms: number
  last_update_ms: number
  completed_at_ms: number | null
}

/** Everything one sync writes: the session as of `version`. */
export interface QuestSyncSnapshot {
  version: number
  session_id: string
  quest_id: string
  quest_title: string
  host_user_id: string
  /** Participants who have not left. */
  participants: string[]
  status: SessionStatus
  /** The seed's `state` JSONB. */
  state: Record<string, unknown>
  started_at_ms: number | null
  paused_at_ms: number | null
  resumed_at_ms: number | null
  ended_at_ms: number | null
  total_pause_duration_seconds: number
  last_activity_ms: number
  is_abandoned: boolean
  /** Plays to count when the start is first written. */
  plays_at_start: number
  progress: ProgressSnapshot[]
  completion: {
    record: CompletionRecord
    is_ranked: boolean
    rewards: QuestRewards
    session_type: string
  } | null
}

/** What a sync found. */
export type SessionWriteOutcome = 'written' | 'already_written' | 'gone'

const ts = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** Writes `snapshot` in one transaction (see the file comment). */
export async function writeQuestSessionSync(
  db: Db,
  snapshot: QuestSyncSnapshot,
): Promise<SessionWriteOutcome> {
  return db.transaction(async (tx) => {
    const [row] = (
      await tx.execute<{ started: boolean; completed: boolean; state_version: number }>(sql`
        SELECT started_at IS NOT NULL AS started, completed_at IS NOT NULL AS completed, state_version
        FROM quest_instances WHERE id = ${snapshot.session_id}::uuid FOR UPDATE`)
    ).rows
    if (!row) return 'gone'
    if (row.state_version >= snapshot.version) return 'already_written'

    if (snapshot.started_at_ms !== null && !row.started) {
      await tx.execute(sql`
        UPDATE quests SET
          play_count = play_count + ${snapshot.plays_at_start},
          last_played = GREATEST(COALESCE(last_played, ${ts(snapshot.started_at_ms)}::timestamptz),
                                 ${ts(snapshot.started_at_ms)}::timestamptz)
        WHERE id = ${snapshot.quest_id}::uuid`)
    }
    const completion = snapshot.status === 'completed' ? snapshot.completion : null
    await tx.execute(sql`
      UPDATE quest_instances SET
        participants = ${`{${snapshot.participants.join(',')}}`}::uuid[],
        host_user_id = ${snapshot.host_user_id}::uuid,
        status = ${snapshot.status},
        state = ${JSON.stringify(snapshot.state)}::jsonb,
        started_at = ${ts(snapshot.started_at_ms)}::timestamptz,
        paused_at = ${ts(snapshot.paused_at_ms)}::timestamptz,
        resumed_at = ${ts(snapshot.resumed_at_ms)}::timestamptz,
        completed_at = ${ts(completion?.record.completed_at_ms ?? null)}::timestamptz,
        ended_at = ${ts(snapshot.ended_at_ms)}::timestamptz,
        total_pause_duration_seconds = ${snapshot.total_pause_duration_seconds},
        last_activity = ${ts(snapshot.last_activity_ms)}::timestamptz,
        last_sync_at = now(),
        is_abandoned = ${snapshot.is_abandoned},
        state_version = ${snapshot.version}
      WHERE id = ${snapshot.session_id}::uuid`)
    for (const progress of snapshot.progress)
      await upsertProgress(tx, snapshot.session_id, progress)
    if (completion && !row.completed) await writeCompletion(tx, snapshot, completion)
    return 'written'
  })
}

async function upsertProgress(tx: Db, sessionId: string, p: ProgressSnapshot): Promise<void> {
  const textArray = (values: string[]) => JSON.stringify(values)
  await tx.execute(sql`
    INSERT INTO quest_progress (
      user_id, quest_instance_id, tokens_collected, puzzles_solved, npcs_interacted, score,
      max_possible_score, time_taken_seconds, mistakes_made, perfect_completion,
      challenge_specific_data, completion_percentage, current_checkpoint, started_at, last_update,
      completed_at)
    SELECT ${p.user_id}::uuid, ${sessionId}::uuid,
      ARRAY(SELECT jsonb_array_elements_text(${textArray(p.tokens_collected)}::jsonb)),
      ARRAY(SELECT jsonb_array_elements_text(${textArray(p.puzzles_solved)}::jsonb)),
      ARRAY(SELECT jsonb_array_elements_text(${textArray(p.npcs_interacted)}::jsonb)),
      ${p.score}, ${p.max_possible_score}, ${p.time_taken_seconds}, ${p.mistakes_made},
      ${p.perfect_completion}, ${JSON.stringify(p.challenge_specific_data)}::jsonb,
      ${p.completion_percentage}, ${p.current_checkpoint}, ${ts(p.started_at_ms)}::timestamptz,
      ${ts(p.last_update_ms)}::timestamptz, ${ts(p.completed_at_ms)}::timestamptz
    WHERE EXISTS (SELECT 1 FROM users WHERE id = ${p.user_id}::uuid)
    ON CONFLICT (user_id, quest_instance_id) DO UPDATE SET
      tokens_collected = EXCLUDED.tokens_collected,
      puzzles_solved = EXCLUDED.puzzles_solved,
      npcs_interacted = EXCLUDED.npcs_interacted,
      score = EXCLUDED.score,
      max_possible_score = EXCLUDED.max_possible_score,
      time_taken_seconds = EXCLUDED.time_taken_seconds,
      mistakes_made = EXCLUDED.mistakes_made,
      perfect_completion = EXCLUDED.perfect_completion,
      challenge_specific_data = EXCLUDED.challenge_specific_data,
      completion_percentage = EXCLUDED.completion_percentage,
      current_checkpoint = EXCLUDED.current_checkpoint,
      started_at = EXCLUDED.started_at,
      last_update = EXCLUDED.last_update,
      completed_at = EXCLUDED.completed_at`)
}

/** The completions of every participant who finished, and their rewards (once: see the caller). */
async function writeCompletion(
  tx: Db,
  snapshot: QuestSyncSnapshot,
  completion: NonNullable<QuestSyncSnapshot['completion']>,
): Promise<void> {
  const { record, rewards } = completion
  // Best first, so each participant's rank at completion counts the teammates who beat them.
  const results = [...record.results].sort(
    (x, y) => y.score - x.score || (x.user_id < y.user_id ? -1 : 1),
  )
  for (const result of results) {
    const [inserted] = (
      await tx.execute<{ id: string }>(sql`
        INSERT INTO challenge_completions (
          quest_id, user_id, quest_instance_id, completed_at, score, time_taken_seconds,
          perfect_completion, mistakes_made, hints_used, game_specific_stats, is_ranked_attempt,
          attempt_number, completion_verified, verification_hash, attributes_at_completion,
          attribute_rewards_awarded, akashic_essence_awarded)
        SELECT ${snapshot.quest_id}::uuid, u.id, ${snapshot.session_id}::uuid,
          ${ts(record.completed_at_ms)}::timestamptz, ${result.score}, ${record.time_taken_seconds},
          ${result.perfect_completion}, ${result.mistakes_made}, 0,
          ${JSON.stringify({
            session_type: completion.session_type,
            max_possible_score: record.max_possible_score,
            participants: record.results.length,
            event_count: record.event_count,
            tokens_awarded: rewards.tokens ?? 0,
          })}::jsonb,
          ${completion.is_ranked},
          1 + (SELECT count(*)::int FROM challenge_completions c
               WHERE c.quest_id = ${snapshot.quest_id}::uuid AND c.user_id = u.id),
          TRUE, ${record.verification_hash},
          jsonb_build_object(
            'strength', u.attr_strength, 'agility', u.attr_agility, 'endurance', u.attr_endurance,
            'magic', u.attr_magic, 'wisdom', u.attr_wisdom, 'cunning', u.attr_cunning,
            'leadership', u.attr_leadership, 'faith', u.attr_faith, 'charisma', u.attr_charisma,
            'creativity', u.attr_creativity, 'artistry', u.attr_artistry,
            'innovation', u.attr_innovation),
          ${JSON.stringify(attributesOf(rewards))}::jsonb,
          ${JSON.stringify(essencesOf(rewards))}::jsonb
        FROM users u WHERE u.id = ${result.user_id}::uuid
        ON CONFLICT (quest_instance_id, user_id) WHERE quest_instance_id IS NOT NULL DO NOTHING
        RETURNING id`)
    ).rows
    // Already there (or the account is gone): no second reward.
    if (!inserted) continue
    await tx.execute(sql`
      UPDATE users SET total_quests_completed = coalesce(total_quests_completed, 0) + 1
      WHERE id = ${result.user_id}::uuid`)
    await grantQuestRewards(tx, {
      user_id: result.user_id,
      quest_id: snapshot.quest_id,
      quest_title: snapshot.quest_title,
      quest_instance_id: snapshot.session_id,
      completion_id: inserted.id,
      rewards,
    })
  }
}
