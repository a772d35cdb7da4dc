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
import WebSocket from 'ws'
import { unwrap, type NexusClient } from '../client'
import { EXAMPLE_QUEST } from './lib/example-quest'
import { registerPlayer } from './lib/room-client'

const baseUrl = process.env.API_URL ?? 'http://localhost:8787'
const databaseUrl =
  process.env.NEXUS_DATABASE_URL ??
  `postgres://postgres@127.0.0.1:${process.env.NEXUS_DB_PORT ?? 54320}/postgres`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A quest session's WebSocket (its own protocol, not the instance room's): every frame received
 * is kept, and `waitFor` resolves with the first (past or future) that matches.
 */
class SessionSocket {
  readonly received: any[] = []
  private waiters: Array<{ test: (m: any) => boolean; resolve: (m: any) => void }> = []
  onMessage?: (message: any) => void

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString())
      this.received.push(message)
      this.onMessage?.(message)
      this.waiters = this.waiters.filter((w) => !(w.test(message) && (w.resolve(message), true)))
    })
  }

  /** Opens the session's socket as `player`. */
  static async open(player: NexusClient, sessionId: string): Promise<SessionSocket> {
    const token = await player.session.accessToken()
    const url = `${baseUrl.replace(/^http/, 'ws')}/v1/quest-sessions/${sessionId}/ws`
    const socket = new WebSocket(url, ['nexus.v1', `bearer.${token}`])
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused with ${res.statusCode}`)),
      )
      socket.once('error', reject)
    })
    return new SessionSocket(socket)
  }

  send(frame: Record<string, unknown>): void {
    this.socket.send(JSON.stringify(frame))
  }

  waitFor(test: (m: any) => boolean, timeoutMs = 5_000): Promise<any> {
    const seen = this.received.find(test)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs)
      this.waiters.push({ test, resolve: (m) => (clearTimeout(timer), resolve(m)) })
    })
  }

  close(): void {
    this.socket.close(1000, 'bye')
  }
}

const alice = await registerPlayer(baseUrl, 'alice')
const bob = await registerPlayer(baseUrl, 'bob')

const quest = unwrap(
  await alice.client.api.POST('/v1/quests', {
    body: {
      ...EXAMPLE_QUEST,
      min_participants: 2,
      time_limit_seconds: 600,
      tags: ['demo', 'coop'],
    } as any,
  }),
)
console.log(`quest ${quest.id} "${quest.title}" created by ${alice.username}`)

const session = unwrap(
  await alice.client.api.POST('/v1/quests/{id}/sessions', {
    params: { path: { id: quest.id } },
    body: { session_type: 'standard' },
  }),
)
unwrap(
  await bob.client.api.POST('/v1/quest-sessions/{id}/join', {
    params: { path: { id: session.id } },
  }),
)
console.log(`session ${session.id}: ${alice.username} hosts, ${bob.username} joined`)

const [a, b] = await Promise.all(
  [alice, bob].map(async ({ username: name, client }) => {
    const connection = await SessionSocket.open(client, session.id)
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
    connection.send({ type: 'hello' })
    await connection.waitFor((m) => m.type === 'welcome')
    return connection
  }),
)
const send = (connection: SessionSocket, frame: Record<string, unknown>) => connection.send(frame)

/** Walks in steps of 4 m, one every 450 ms: under the quest's speed limit of 10 m/s. */
async function walk(connection: SessionSocket, from: number[], to: number[]) {
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
  unwrap(
    await alice.client.api.POST('/v1/quest-sessions/{id}/start', {
      params: { path: { id: session.id } },
    }),
  )
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
