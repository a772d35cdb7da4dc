/**
 * Granting a quest's rewards to one participant: the one place every kind of reward goes through,
 * inside the transaction that writes the completion (and only when that transaction is the one
 * that writes it, so a reward is granted once).
 *
 * - essences through the seed's `award_akashic_essence` (audit rows in `akashic_transactions`),
 *   with the transaction type `quest_completion` and the quest as source;
 * - attributes through `award_attributes` (audit rows in `attribute_transactions`);
 * - tokens through the economy's ledger: a credit of `user_balances` (tokens, total_earned), a
 *   `transactions` row of type `quest_reward` and a `token_transactions` row pointing to it. A
 *   reward is not a transfer between players, so the outbound token policy does not apply;
 * - items through the inventory's `grantItems` (kind `quest_reward`, the session as reference, a
 *   `transactions` row with `items_transferred`), in a savepoint of its own: an item the player
 *   cannot take (a full stack, an item deleted from the catalogue since) is refused alone and
 *   recorded as `items_refused` on the completion, never failing the completion itself, which
 *   would otherwise be retried by every sync and block the other rewards.
 */
import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { grantItems } from '../inventory/service'
import { ApiError } from '../lib/errors'
import {
  ATTRIBUTE_NAMES,
  ESSENCE_REWARDS,
  type QuestRewards,
} from '../../durable-objects/quest-session/quest-data'

/** The transaction type of every audit row a quest reward writes (the seed's vocabulary). */
export const QUEST_REWARD_ESSENCE_TYPE = 'quest_completion'
/** `transactions.transaction_type` and `token_transactions.transaction_type` of a token reward. */
export const QUEST_REWARD_TOKEN_TYPE = 'quest_reward'

/** The essences of `rewards`, as `challenge_completions.akashic_essence_awarded` records them. */
export function essencesOf(rewards: QuestRewards): Record<string, number> {
  return Object.fromEntries(
    ESSENCE_REWARDS.filter((name) => (rewards[name] ?? 0) > 0).map((name) => [
      name,
      rewards[name]!,
    ]),
  )
}

/** The attributes of `rewards`, as `challenge_completions.attribute_rewards_awarded` records them. */
export function attributesOf(rewards: QuestRewards): Record<string, number> {
  const attributes = rewards.attributes ?? {}
  return Object.fromEntries(
    ATTRIBUTE_NAMES.filter((name) => (attributes[name] ?? 0) > 0).map((name) => [
      name,
      attributes[name]!,
    ]),
  )
}

/** Whom and what for: one participant's completion of one session. */
export interface RewardGrant {
  user_id: string
  quest_id: string
  quest_title: string
  quest_instance_id: string
  completion_id: string
  rewards: QuestRewards
}

/** Grants `grant.rewards` to `grant.user_id` with their audit rows; call inside a transaction. */
export async function grantQuestRewards(tx: Db, grant: RewardGrant): Promise<void> {
  const { rewards, user_id: userId } = grant
  const metadata = JSON.stringify({
    quest_id: grant.quest_id,
    quest_instance_id: grant.quest_instance_id,
    completion_id: grant.completion_id,
  })
  const essences = essencesOf(rewards)
  if (Object.keys(essences).length > 0) {
    await tx.execute(sql`
      SELECT award_akashic_essence(
        p_user_id => ${userId}::uuid,
        p_resonance => ${essences.akashic_resonance ?? 0}::int,
        p_wisdom => ${essences.akashic_wisdom ?? 0}::int,
        p_creativity => ${essences.akashic_creativity ?? 0}::int,
        p_connection => ${essences.akashic_connection ?? 0}::int,
        p_source_type => ${QUEST_REWARD_ESSENCE_TYPE},
        p_source_id => ${grant.quest_id}::uuid,
        p_metadata => ${metadata}::jsonb)`)
  }
  const attributes = attributesOf(rewards)
  if (Object.keys(attributes).length > 0) {
    const named = ATTRIBUTE_NAMES.map(
      (name) => sql`${sql.raw(`p_${name}`)} => ${attributes[name] ?? 0}::int`,
    )
    await tx.execute(sql`
      SELECT award_attributes(
        p_user_id => ${userId}::uuid,
        ${sql.join(named, sql`, `)},
        p_source_type => ${QUEST_REWARD_ESSENCE_TYPE},
        p_source_id => ${grant.quest_id}::uuid,
        p_metadata => ${metadata}::jsonb)`)
  }
  const tokens = rewards.tokens ?? 0
  if (tokens > 0) {
    await tx.execute(sql`
      INSERT INTO user_balances (user_id, tokens, total_earned, last_updated)
      VALUES (${userId}::uuid, ${tokens}, ${tokens}, now())
      ON CONFLICT (user_id) DO UPDATE SET
        tokens = user_balances.tokens + EXCLUDED.tokens,
        total_earned = user_balances.total_earned + EXCLUDED.total_earned,
        last_updated = now()`)
    await tx.execute(sql`
      WITH audit AS (
        INSERT INTO transactions (to_user, transaction_type, tokens_transferred, reference_id, metadata)
        VALUES (${userId}::uuid, ${QUEST_REWARD_TOKEN_TYPE}, ${tokens}, ${grant.completion_id}::uuid,
                ${metadata}::jsonb)
        RETURNING id)
      INSERT INTO token_transactions (user_id, amount, transaction_type, reference_id, description, metadata)
      SELECT ${userId}::uuid, ${tokens}, ${QUEST_REWARD_TOKEN_TYPE}, audit.id,
             ${`quest reward: ${grant.quest_title}`}, ${metadata}::jsonb
      FROM audit`)
  }
  const items = rewards.items ?? []
  if (items.length > 0) {
    try {
      await grantItems(tx, {
        user_id: userId,
        items,
        reason: `quest reward: ${grant.quest_title}`,
        kind: 'quest_reward',
        reference_id: grant.quest_instance_id,
      })
    } catch (error) {
      if (!(error instanceof ApiError) || error.status >= 500) throw error
      await tx.execute(sql`
        UPDATE challenge_completions
        SET game_specific_stats = coalesce(game_specific_stats, '{}'::jsonb)
          || jsonb_build_object('items_refused', ${JSON.stringify({ items, code: error.code, details: error.details ?? null })}::jsonb)
        WHERE id = ${grant.completion_id}::uuid`)
    }
  }
}
