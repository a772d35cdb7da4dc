/**
 * `npm run demo:quest` (with `npm start` running): two players play one quest to completion over
 * WebSockets, then the completions, progress and rewards are read back from Postgres.
 *
 * Alice creates the example quest (`lib/example-quest.ts`: reach a place, collect two of three
 * flowers, talk to a sage, answer a riddle), opens a session, Bob joins, Alice starts it, and both
 * walk (under the quest's 10 m/s speed limit) and claim. API_URL overrides http://localhost:8787;
 * NEXUS_DATABASE_URL (or NEXUS_DB_PORT) names the nexus database for the final read-back.
 */
import pg from 'pg'
import { EXAMPLE_QUEST } from './lib/example-quest'
import { apiCall, registerPlayer, RoomConnection } from './lib/room-client'

const baseUrl = process.env.API_URL ?? 'http://localhost:8787'
const databaseUrl =
  process.env.NEXUS_DATABASE_URL ??
  `postgres://postgres@127.0.0.1:${process.env.NEXUS_DB_PORT ?? 54320}/postgres`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const alice = await registerPlayer(baseUrl, 'alice')
const bob = await registerPlayer(baseUrl, 'bob')

const quest = await apiCall(baseUrl, '/v1/quests', {
  token: alice.token,
  expect: 201,
  body: { ...EXAMPLE_QUEST, min_participants: 2, time_limit_seconds: 600, tags: ['demo', 'coop'] },
})
console.log(`quest ${quest.id} "${quest.title}" created by ${alice.username}`)

const session = await apiCall(baseUrl, `/v1/quests/${quest.id}/sessions`, {
  token: alice.token,
  body: { session_type: 'standard' },
  expect: 201,
})
await apiCall(baseUrl, `/v1/quest-sessions/${session.id}/join`, {
  token: bob.token,
  method: 'POST',
  expect: 201,
})
console.log(`session ${session.id}: ${alice.username} hosts, ${bob.username} joined`)

const players = [
  { name: alice.username, token: alice.token },
  { name: bob.username, token: bob.token },
]
const [a, b] = await Promise.all(
  players.map(async ({ name, token }) => {
    const connection = await RoomConnection.openPath(
      baseUrl,
      `/v1/quest-sessions/${session.id}/ws`,
      token,
    )
    connection.onMessage = (m: any) => {
      const summary =
        m.type === 'batch'
          ? m.events
              .map((e: any) =>
                e.type === 'objective'
                  ? `objective ${e.objective.id} ${e.objective.status}`
                  : e.type,
              )
              .join(', ')
          : m.type === 'error'
            ? `error ${m.code}: ${m.message}`
            : m.type
      if (summary) console.log(`  ${name} <- ${summary}`)
    }
    connection.socket.send(JSON.stringify({ type: 'hello' }))
    await connection.waitFor((m) => m.type === 'welcome')
    return connection
  }),
)
const send = (connection: RoomConnection, frame: Record<string, unknown>) =>
  connection.socket.send(JSON.stringify(frame))

/** Walks in steps of 4 m, one every 450 ms: under the quest's speed limit of 10 m/s. */
async function walk(connection: RoomConnection, from: number[], to: number[]) {
  const [dx, dz] = [to[0] - from[0], to[1] - from[1]]
  const steps = Math.max(1, Math.ceil(Math.hypot(dx, dz) / 4))
  for (let i = 1; i <= steps; i++) {
    const position = { x: from[0] + (dx * i) / steps, y: 0, z: from[1] + (dz * i) / steps }
    send(connection, { type: 'move', position })
    await sleep(450)
  }
}

let exitCode = 0
try {
  await apiCall(baseUrl, `/v1/quest-sessions/${session.id}/start`, {
    token: alice.token,
    method: 'POST',
  })
  console.log('started')
  await Promise.all([
    (async () => {
      await walk(a, [0, 0], [9, 0])
      send(a, { type: 'reach', objective_id: 'garden' })
      await walk(a, [9, 0], [11, 1.5])
      send(a, { type: 'collect', objective_id: 'flowers', object_id: 'flower_a' })
    })(),
    (async () => {
      await walk(b, [0, 0], [8, 3])
      send(b, { type: 'interact', objective_id: 'sage', target_id: 'old_sage' })
      send(b, { type: 'answer', objective_id: 'riddle', answer: 'Rome' })
      send(b, { type: 'answer', objective_id: 'riddle', answer: 'Paris' })
      await walk(b, [8, 3], [11, -1.5])
      send(b, { type: 'collect', objective_id: 'flowers', object_id: 'flower_b' })
    })(),
  ])
  const completed: any = await a.waitFor(
    (m: any) => m.type === 'batch' && m.events.some((e: any) => e.type === 'completed'),
    10_000,
  )
  const event = completed.events.find((e: any) => e.type === 'completed')
  console.log(
    `\ncompleted in ${event.time_taken_seconds} s (verification ${event.verification_hash.slice(0, 16)}…)`,
  )

  // The completion is written to Postgres at once; give the write a moment, then read it back.
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    let completions: any[] = []
    for (let i = 0; i < 50 && completions.length < 2; i++) {
      completions = (
        await client.query(
          `SELECT u.username, c.score, c.time_taken_seconds, c.completion_verified, c.rank_at_completion,
                  c.akashic_essence_awarded, c.attribute_rewards_awarded
           FROM challenge_completions c JOIN users u ON u.id = c.user_id
           WHERE c.quest_instance_id = $1 ORDER BY c.score DESC`,
          [session.id],
        )
      ).rows
      if (completions.length < 2) await sleep(100)
    }
    const progress = await client.query(
      `SELECT u.username, p.score, p.mistakes_made, p.completion_percentage, p.tokens_collected,
              p.npcs_interacted, p.puzzles_solved
       FROM quest_progress p JOIN users u ON u.id = p.user_id
       WHERE p.quest_instance_id = $1 ORDER BY p.score DESC`,
      [session.id],
    )
    const rewards = await client.query(
      `SELECT u.username, b.tokens, u.akashic_resonance, u.akashic_wisdom, u.attr_wisdom,
              u.total_quests_completed
       FROM users u JOIN user_balances b ON b.user_id = u.id
       WHERE u.id = ANY($1::uuid[]) ORDER BY u.username`,
      [[alice.id, bob.id]],
    )
    const audit = await client.query(
      `SELECT 'token_transactions' AS ledger, count(*)::int AS rows FROM token_transactions
         WHERE transaction_type = 'quest_reward' AND metadata ->> 'quest_instance_id' = $1
       UNION ALL
       SELECT 'akashic_transactions', count(*)::int FROM akashic_transactions
         WHERE metadata ->> 'quest_instance_id' = $1
       UNION ALL
       SELECT 'attribute_transactions', count(*)::int FROM attribute_transactions
         WHERE metadata ->> 'quest_instance_id' = $1`,
      [session.id],
    )
    console.log('\nchallenge_completions:')
    console.table(completions)
    console.log('quest_progress:')
    console.table(progress.rows)
    console.log('rewards (balances and akashic progression now):')
    console.table(rewards.rows)
    console.log('audit rows of the rewards:')
    console.table(audit.rows)
    if (completions.length !== 2) throw new Error('the completions did not reach Postgres')
  } finally {
    await client.end()
  }
} catch (error) {
  console.error(`demo failed: ${(error as Error).message}`)
  exitCode = 1
} finally {
  a.close()
  b.close()
  process.exitCode = exitCode
}
