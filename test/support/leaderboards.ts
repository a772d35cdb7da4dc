/**
 * Rows for leaderboard and progression tests, written straight into the nexus database (the quest
 * engine that writes completions in production is another domain): quests, completions; and
 * awards through the operator route.
 */
import { randomUUID } from 'node:crypto'
import { api, registerPlayer, sqlRows, tokenFor } from './api'

/** Inserts a quest (public and active unless told) and returns its id. */
export async function createQuest(
  options: { creatorId?: string; status?: string; isPublic?: boolean } = {},
): Promise<string> {
  const [row] = await sqlRows<{ id: string }>(
    `INSERT INTO quests (title, challenge_type, quest_data, rewards, creator_id, status, is_public)
     VALUES ($1, 'microgame', '{}', '{}', $2, $3, $4) RETURNING id`,
    [
      `quest_${randomUUID().slice(0, 8)}`,
      options.creatorId ?? null,
      options.status ?? 'active',
      options.isPublic ?? true,
    ],
  )
  return row.id
}

/** One completion to insert; verified and ranked unless told. */
export interface CompletionRow {
  user_id: string
  score: number
  time: number
  /** ISO instant; defaults to now minus a few milliseconds per row (all distinct). */
  at?: string
  verified?: boolean
  ranked?: boolean
}

/** Inserts completions of `questId` in one statement; returns their ids in order. */
export async function insertCompletions(questId: string, rows: CompletionRow[]): Promise<string[]> {
  const now = Date.now()
  const inserted = await sqlRows<{ id: string }>(
    `INSERT INTO challenge_completions
       (quest_id, user_id, score, time_taken_seconds, completed_at, completion_verified,
        is_ranked_attempt)
     SELECT $1, u, s, t, a, v, r
     FROM unnest($2::uuid[], $3::int[], $4::int[], $5::timestamptz[], $6::bool[], $7::bool[])
       WITH ORDINALITY AS x (u, s, t, a, v, r, n)
     ORDER BY n
     RETURNING id`,
    [
      questId,
      rows.map((r) => r.user_id),
      rows.map((r) => r.score),
      rows.map((r) => r.time),
      rows.map((r, i) => r.at ?? new Date(now - 60_000 + i).toISOString()),
      rows.map((r) => r.verified ?? true),
      rows.map((r) => r.ranked ?? true),
    ],
  )
  return inserted.map((r) => r.id)
}

/** Sets columns of a user directly (essences, attributes) through the seed's triggers. */
export async function setUserColumns(userId: string, columns: Record<string, number>) {
  const names = Object.keys(columns)
  await sqlRows(
    `UPDATE users SET ${names.map((n, i) => `${n} = $${i + 2}`).join(', ')} WHERE id = $1`,
    [userId, ...Object.values(columns)],
  )
}

/** Awards `body` to `userId` through `POST /v1/admin/progression/awards` as a fresh service account. */
export async function awardTo(userId: string, body: Record<string, unknown>) {
  const token = await tokenFor(await registerPlayer('svc'), ['service'])
  const res = await api('/v1/admin/progression/awards', {
    token,
    body: { user_id: userId, transaction_type: 'manual', ...body },
    headers: { 'Idempotency-Key': randomUUID() },
  })
  if (res.status !== 201) throw new Error(`award failed: ${res.status} ${res.text}`)
  return res.body
}
