/**
 * `npm run bench:leaderboards [-- --completions 1000000 --quests 1000 --users 100000 --rounds 3
 *   --samples 150 --hot-samples 30 --order blocks|interleaved --writes 120 --skip-refresh
 *   --database-url URL --out path]`:
 * leaderboard latency on the embedded database (in-process PGlite: Postgres 18 in WASM, one
 * session), the strategy the API serves against the naive queries, in the same run on the same
 * data. Prints a table and writes `bench-results/leaderboards.json`. `--database-url` runs the same
 * on a throwaway database of a PostgreSQL server instead (production's kind of database).
 *
 * Data (one `INSERT … SELECT generate_series` per table, triggers off, then the boards rebuilt
 * set-based and VACUUM ANALYZE): `--users` players (resonance log-uniform up to ~160,000 for 70%
 * of them, 0 for the rest), `--quests` quests, `--completions` completions over the last 8 weeks
 * (90% verified, 95% ranked, scores 0-9,999, times 30-599 s). Quest popularity follows Zipf's law
 * (s = 1: quest k is played in proportion to 1/k), as plays do in real catalogues: the most played
 * quest gets ~10% of the completions (its board has tens of thousands of players), the median quest
 * a few hundred.
 *
 * Measured, per round (the table shows the median over rounds of each round's p50 and p95), for
 * three kinds of board: a player's own board (a random entry of all boards: what players open, so
 * popular quests weigh as much as they are played), the most played quest, a median quest:
 * - top 50 of a quest's all-time board: `getQuestLeaderboard` (the service the route calls: the
 *   quest check and one statement on the kept board) vs the naive query (each player's best with
 *   DISTINCT ON over the completions, then ORDER BY … LIMIT 50);
 * - around me (10 above and below): the service vs the naive way (the player's best, `count(*)` of
 *   the bests ahead, then ORDER BY … OFFSET rank − 11 LIMIT 21);
 * - a user's rank: `getUserQuestRank` vs the naive `count(*)` of the bests ahead;
 * - around me on the akashic board (every player with resonance): `getGlobalLeaderboard` (bucket counts) vs
 *   `count(*) WHERE akashic_resonance > mine` and ORDER BY … OFFSET.
 * Every sample's answer is compared with the naive one (ranks and rows); a mismatch fails the run.
 * Then the cost of one completion INSERT (autocommit) with: no triggers, the leaderboard trigger
 * only, the seed's completion triggers only, both (blocks of 10, interleaved); and one refresh of
 * the seed's `challenge_leaderboards` materialized view, the cost the seed's completion trigger made
 * a player pay every 5 minutes.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres'
import { drizzle } from 'drizzle-orm/pglite'
import pg from 'pg'
import type { Db } from '../db/client'
import { migrateDatabase } from '../db/migrate'
import { nexusSchema } from '../db/client'
import type { Identity } from '../functions/lib/auth'
import {
  getGlobalLeaderboard,
  getQuestLeaderboard,
  getUserQuestRank,
} from '../functions/leaderboards/service'
import type { SqlClient } from '../db/sql-client'
import { openPglite, pgliteSqlClient } from './lib/embedded-postgres'
import { withPgClient } from './lib/local-stack'

const { values: args } = parseArgs({
  options: {
    completions: { type: 'string', default: '1000000' },
    quests: { type: 'string', default: '1000' },
    users: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    order: { type: 'string', default: 'blocks' },
    samples: { type: 'string', default: '150' },
    'hot-samples': { type: 'string', default: '30' },
    writes: { type: 'string', default: '120' },
    'skip-refresh': { type: 'boolean', default: false },
    'database-url': { type: 'string' },
    out: { type: 'string', default: 'bench-results/leaderboards.json' },
  },
})
if (args.order !== 'blocks' && args.order !== 'interleaved') {
  console.error('--order is blocks or interleaved')
  process.exit(2)
}
const N = {
  completions: Number(args.completions),
  quests: Number(args.quests),
  users: Number(args.users),
  rounds: Number(args.rounds),
  samples: Number(args.samples),
  hotSamples: Number(args['hot-samples']),
  writes: Number(args.writes),
}
/** Rows above and below the player in the around-me measurements. */
const AROUND = 10
const TOP = 50

const log = (message: string) => console.log(`[bench:leaderboards] ${message}`)
const round = (value: number, digits = 3) => Number(value.toFixed(digits))

/** Runs `fn` and returns its result with the milliseconds it took. */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now()
  const result = await fn()
  return [result, performance.now() - start]
}

/** The q-quantile (0-1) of `values`, nearest rank. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
}

const median = (values: number[]) => quantile(values, 0.5)

/** The database under test: the embedded one, or a fresh database on a PostgreSQL server. */
interface BenchDatabase {
  label: string
  client: SqlClient
  db: Db
  close(): Promise<void>
}

/**
 * In-process PGlite by default; with `--database-url` (an admin URL of a PostgreSQL server, e.g. the
 * concurrency suite's), a throwaway database `bench_lb_<random>` on that server, one connection
 * (session settings such as `session_replication_role` must stay on it), dropped at the end.
 */
async function openBenchDatabase(adminUrl: string | undefined): Promise<BenchDatabase> {
  if (!adminUrl) {
    const pglite = await openPglite()
    return {
      label: 'PGlite 0.5 (Postgres 18, WASM, in process)',
      client: pgliteSqlClient(pglite),
      db: drizzle({ client: pglite, schema: nexusSchema }) as unknown as Db,
      close: () => pglite.close(),
    }
  }
  const name = `bench_lb_${randomBytes(4).toString('hex')}`
  await withPgClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`))
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  const [{ version }] = (await client.query<{ version: string }>('SHOW server_version')).rows
  return {
    label: `PostgreSQL ${version} (${url.host}, one connection)`,
    client,
    db: drizzleNodePostgres({ client, schema: nexusSchema }) as unknown as Db,
    async close() {
      await client.end()
      await withPgClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    },
  }
}

async function main() {
  const database = await openBenchDatabase(args['database-url'])
  const { client, db } = database
  await migrateDatabase(client, 'nexus')
  const q = <Row = Record<string, unknown>>(text: string, params?: unknown[]) =>
    client.query<Row>(text, params).then((r) => r.rows)

  // ---- Load -------------------------------------------------------------------------------
  const [, loadUsersMs] = await timed(() =>
    q(
      `SET session_replication_role = replica;
       INSERT INTO users (username, akashic_resonance, akashic_rank, akashic_rank_title,
                          attr_faith, attr_strength)
       SELECT 'bench_' || g, r, t.rank, t.title, 10 + floor(random() * 60)::int,
              10 + floor(random() * random() * 300)::int
       FROM generate_series(1, ${N.users}) g
       CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.7
                                   THEN floor(exp(random() * 12))::int ELSE 0 END + 0 * g AS r) v
       CROSS JOIN LATERAL akashic_rank_for_resonance(v.r) t;
       INSERT INTO quests (title, challenge_type, quest_data, rewards)
       SELECT 'bench quest ' || lpad(g::text, 6, '0'), 'microgame', '{}', '{}'
       FROM generate_series(1, ${N.quests}) g;`,
    ),
  )
  log(`users and quests in ${round(loadUsersMs / 1000, 1)} s`)
  const [, loadCompletionsMs] = await timed(() =>
    q(
      `INSERT INTO challenge_completions
         (quest_id, user_id, score, time_taken_seconds, completed_at, completion_verified,
          is_ranked_attempt)
       SELECT
         -- Zipf (s = 1) by inverse transform: k = floor((n + 1) ^ u) has P(k) = log((k+1)/k) / log(n+1).
         qs.ids[floor(power(cardinality(qs.ids) + 1, random()))::int],
         us.ids[1 + floor(random() * cardinality(us.ids))::int],
         floor(random() * 10000)::int,
         30 + floor(random() * 570)::int,
         now() - make_interval(secs => g * (56.0 * 86400 / ${N.completions})),
         random() < 0.9,
         random() < 0.95
       FROM generate_series(1, ${N.completions}) g,
            (SELECT array_agg(id ORDER BY title) AS ids FROM quests) qs,
            (SELECT array_agg(id) AS ids FROM users) us`,
    ),
  )
  log(`${N.completions} completions in ${round(loadCompletionsMs / 1000, 1)} s`)
  const [[{ entries }], rebuildQuestMs] = await timed(() =>
    q<{ entries: number }>(`SELECT rebuild_quest_leaderboards()::int AS entries`),
  )
  const [[{ global }], rebuildGlobalMs] = await timed(() =>
    q<{ global: number }>(`SELECT rebuild_global_leaderboards()::int AS global`),
  )
  await q('SET session_replication_role = DEFAULT')
  const [, vacuumMs] = await timed(() => client.query('VACUUM ANALYZE'))
  log(
    `boards rebuilt: ${entries} quest entries in ${round(rebuildQuestMs / 1000, 1)} s, ` +
      `${global} global entries in ${round(rebuildGlobalMs / 1000, 1)} s; VACUUM ANALYZE ${round(vacuumMs / 1000, 1)} s`,
  )
  const [hot] = await q<{ id: string; completions: number; players: number }>(
    `SELECT q.id, (SELECT count(*)::int FROM challenge_completions c WHERE c.quest_id = q.id) AS completions,
       (SELECT count(*)::int FROM quest_leaderboard_entries e
        WHERE e.quest_id = q.id AND e.period = 'all_time') AS players
     FROM quests q ORDER BY q.title LIMIT 1`,
  )
  const [medianQuest] = await q<{ id: string; completions: number; players: number }>(
    `SELECT q.id, (SELECT count(*)::int FROM challenge_completions c WHERE c.quest_id = q.id) AS completions,
       (SELECT count(*)::int FROM quest_leaderboard_entries e
        WHERE e.quest_id = q.id AND e.period = 'all_time') AS players
     FROM quests q ORDER BY q.title OFFSET ${Math.floor(N.quests / 2)} LIMIT 1`,
  )
  log(
    `most played quest: ${hot.completions} completions, ${hot.players} players on its board; ` +
      `median quest: ${medianQuest.completions} completions, ${medianQuest.players} players`,
  )

  // ---- The naive queries (what a leaderboard without kept boards runs) ---------------------
  const BEST = `SELECT DISTINCT ON (user_id) user_id, id, score, time_taken_seconds, completed_at
     FROM challenge_completions
     WHERE quest_id = $1 AND completion_verified AND is_ranked_attempt
     ORDER BY user_id, score DESC, time_taken_seconds, completed_at, id`
  const BOARD_ORDER = 'score DESC, time_taken_seconds, completed_at, user_id DESC'
  const AHEAD = `(b.score > m.score OR (b.score = m.score AND (b.time_taken_seconds < m.time_taken_seconds
     OR (b.time_taken_seconds = m.time_taken_seconds AND (b.completed_at < m.completed_at
     OR (b.completed_at = m.completed_at AND b.user_id > m.user_id))))))`
  const naive = {
    top: (questId: string) =>
      q<{ user_id: string }>(
        `SELECT best.*, u.username FROM (${BEST}) best JOIN users u ON u.id = best.user_id
         ORDER BY ${BOARD_ORDER} LIMIT ${TOP}`,
        [questId],
      ),
    rank: async (questId: string, userId: string) => {
      const [{ rank }] = await q<{ rank: number }>(
        `WITH best AS (${BEST}), m AS (SELECT * FROM best WHERE user_id = $2)
         SELECT 1 + count(*)::int AS rank FROM best b, m WHERE ${AHEAD}`,
        [questId, userId],
      )
      return rank
    },
    around: async (questId: string, userId: string) => {
      const rank = await naive.rank(questId, userId)
      const offset = Math.max(rank - 1 - AROUND, 0)
      const rows = await q<{ user_id: string }>(
        `SELECT best.*, u.username FROM (${BEST}) best JOIN users u ON u.id = best.user_id
         ORDER BY ${BOARD_ORDER} OFFSET ${offset} LIMIT ${rank - offset + AROUND}`,
        [questId],
      )
      return { rank, rows }
    },
    akashicAround: async (userId: string) => {
      const [{ rank, value }] = await q<{ rank: number; value: number }>(
        `SELECT 1 + (SELECT count(*)::int FROM users o WHERE o.akashic_resonance > u.akashic_resonance)
           AS rank, u.akashic_resonance AS value
         FROM users u WHERE u.id = $1`,
        [userId],
      )
      await q(
        `SELECT id, username, akashic_resonance FROM users WHERE akashic_resonance > 0
         ORDER BY akashic_resonance DESC, id DESC OFFSET ${Math.max(rank - 1 - AROUND, 0)}
         LIMIT ${2 * AROUND + 1}`,
      )
      return { rank, value }
    },
  }

  const actorOf = (userId: string): Identity => ({
    userId,
    username: 'bench',
    roles: ['player'],
    issuer: 'local',
  })

  // ---- Samples ------------------------------------------------------------------------------
  const entriesOf = (questId: string, count: number) =>
    q<{ quest_id: string; user_id: string }>(
      `SELECT quest_id, user_id FROM quest_leaderboard_entries
       WHERE period = 'all_time' AND quest_id = $1 ORDER BY random() LIMIT ${count}`,
      [questId],
    )
  const ownBoardSamples = await q<{ quest_id: string; user_id: string }>(
    `SELECT quest_id, user_id FROM quest_leaderboard_entries TABLESAMPLE SYSTEM (2)
     WHERE period = 'all_time' ORDER BY random() LIMIT ${N.samples * N.rounds}`,
  )
  const hotSamples = await entriesOf(hot.id, N.hotSamples * N.rounds)
  const medianSamples = await entriesOf(medianQuest.id, N.samples * N.rounds)
  const akashicSamples = await q<{ user_id: string }>(
    `SELECT id AS user_id FROM users WHERE akashic_resonance > 0 ORDER BY random()
     LIMIT ${N.samples * N.rounds}`,
  )

  const results: Record<string, { kept: number[][]; naive: number[][] }> = {}
  const record = (name: string, r: number, kept: number, naiveMs: number) => {
    results[name] ??= { kept: [], naive: [] }
    ;(results[name].kept[r] ??= []).push(kept)
    ;(results[name].naive[r] ??= []).push(naiveMs)
  }
  const mismatches: string[] = []
  const check = (ok: boolean, what: string) => {
    if (!ok && mismatches.length < 20) mismatches.push(what)
  }

  /**
   * Times `kept` against `naive` on each sample of round `r` and checks they agree. `--order
   * blocks` (the default): every kept read of the batch, then every naive one (which block goes
   * first alternates by round), so each runs in its own steady state, as a server using only one
   * of them would. `--order interleaved`: one of each per sample, which goes first alternating,
   * so every read follows the other strategy's: a naive scan of a large board evicts the kept
   * board's pages from PGlite's buffers right before the next kept read.
   */
  async function measurePairs<S, K, V>(
    name: string,
    r: number,
    samples: S[],
    kept: (sample: S) => Promise<K>,
    naiveRead: (sample: S) => Promise<V>,
    agree: (keptResult: K, naiveResult: V, sample: S) => void,
  ) {
    const keptResults: [K, number][] = []
    const naiveResults: [V, number][] = []
    if (args.order === 'interleaved') {
      for (const [i, sample] of samples.entries()) {
        const keptFirst = i % 2 === 0
        if (keptFirst) keptResults.push(await timed(() => kept(sample)))
        naiveResults.push(await timed(() => naiveRead(sample)))
        if (!keptFirst) keptResults.push(await timed(() => kept(sample)))
      }
    } else {
      const keptBlock = async () => {
        for (const sample of samples) keptResults.push(await timed(() => kept(sample)))
      }
      const naiveBlock = async () => {
        for (const sample of samples) naiveResults.push(await timed(() => naiveRead(sample)))
      }
      if (r % 2 === 0) await keptBlock().then(naiveBlock)
      else await naiveBlock().then(keptBlock)
    }
    for (const [i, sample] of samples.entries()) {
      record(name, r, keptResults[i][1], naiveResults[i][1])
      agree(keptResults[i][0], naiveResults[i][0], sample)
    }
  }

  async function measureQuest(
    label: string,
    samples: { quest_id: string; user_id: string }[],
    perRound: number,
    r: number,
  ) {
    const batch = samples.slice(r * perRound, (r + 1) * perRound)
    const board = { period: 'all_time' as const }
    await measurePairs(
      `${label} top50`,
      r,
      batch,
      (s) =>
        getQuestLeaderboard(db, {
          actor: actorOf(s.user_id),
          quest_id: s.quest_id,
          ...board,
          limit: TOP,
        }),
      (s) => naive.top(s.quest_id),
      (kept: any, slow: any, s) =>
        check(
          JSON.stringify(kept.items.map((e: any) => e.user_id)) ===
            JSON.stringify(slow.map((e: any) => e.user_id)),
          `${label} top50 of ${s.quest_id}`,
        ),
    )
    await measurePairs(
      `${label} around_me`,
      r,
      batch,
      (s) =>
        getQuestLeaderboard(db, {
          actor: actorOf(s.user_id),
          quest_id: s.quest_id,
          ...board,
          limit: AROUND,
          around: 'me',
        }),
      (s) => naive.around(s.quest_id, s.user_id),
      (kept: any, slow: any, s) =>
        check(
          kept.me?.rank === slow.rank &&
            JSON.stringify(kept.items.map((e: any) => e.user_id)) ===
              JSON.stringify(slow.rows.map((e: any) => e.user_id)),
          `${label} around ${s.user_id} on ${s.quest_id}: ${kept.me?.rank} vs ${slow.rank}`,
        ),
    )
    await measurePairs(
      `${label} user_rank`,
      r,
      batch,
      (s) =>
        getUserQuestRank(db, {
          actor: actorOf(s.user_id),
          user_id: s.user_id,
          quest_id: s.quest_id,
          ...board,
        }),
      (s) => naive.rank(s.quest_id, s.user_id),
      (kept: any, slow: any) => check(kept.rank === slow, `${label} rank: ${kept.rank} vs ${slow}`),
    )
  }

  async function measureAkashic(r: number) {
    await measurePairs(
      `akashic board (${N.users} players) around_me`,
      r,
      akashicSamples.slice(r * N.samples, (r + 1) * N.samples),
      (s) =>
        getGlobalLeaderboard(db, {
          actor: actorOf(s.user_id),
          board: 'akashic_resonance',
          limit: AROUND,
          around: 'me',
        }),
      (s) => naive.akashicAround(s.user_id),
      (kept, slow, s) =>
        check(
          kept.me?.rank === slow.rank,
          `akashic rank of ${s.user_id}: ${kept.me?.rank} vs ${slow.rank}`,
        ),
    )
  }

  /** The floor: one trivial round trip (`SELECT 1`), the same for both columns. */
  async function measureFloor(r: number) {
    for (let i = 0; i < N.samples; i++) {
      const [, a] = await timed(() => q('SELECT 1'))
      const [, b] = await timed(() => q('SELECT 1'))
      record('floor: SELECT 1 (both columns)', r, a, b)
    }
  }

  for (let r = 0; r < N.rounds; r++) {
    const [, ms] = await timed(async () => {
      await measureQuest("player's own board", ownBoardSamples, N.samples, r)
      await measureQuest('most played quest', hotSamples, N.hotSamples, r)
      await measureQuest('median quest', medianSamples, N.samples, r)
      await measureAkashic(r)
      await measureFloor(r)
    })
    log(`round ${r + 1}/${N.rounds} in ${round(ms / 1000, 1)} s`)
  }

  // ---- Writes -------------------------------------------------------------------------------
  const SEED_TRIGGERS = [
    'trigger_rank_at_completion',
    'trigger_increment_quest_counts',
    'trigger_mark_high_scores',
  ]
  const MINE = ['trigger_quest_leaderboards_insert']
  const configs: Record<string, string[]> = {
    'no triggers': [],
    'leaderboard trigger only': MINE,
    "seed's triggers only": SEED_TRIGGERS,
    "seed's triggers + leaderboard trigger": [...SEED_TRIGGERS, ...MINE],
  }
  const setTriggers = async (enabled: string[]) => {
    for (const name of [...SEED_TRIGGERS, ...MINE]) {
      await q(
        `ALTER TABLE challenge_completions ${enabled.includes(name) ? 'ENABLE' : 'DISABLE'} TRIGGER ${name}`,
      )
    }
  }
  const writes: Record<string, number[]> = Object.fromEntries(
    Object.keys(configs).map((k) => [k, []]),
  )
  const writers = await q<{ id: string }>(
    `SELECT id FROM users ORDER BY random() LIMIT ${N.writes * Object.keys(configs).length}`,
  )
  // Quests drawn as the completions are (Zipf): the write lands where players play.
  const writeQuests = ownBoardSamples.map((s) => ({ id: s.quest_id }))
  let w = 0
  for (let block = 0; block < N.writes / 10; block++) {
    for (const [name, enabled] of Object.entries(configs)) {
      await setTriggers(enabled)
      for (let k = 0; k < 10; k++) {
        const user = writers[w++ % writers.length].id
        const quest = writeQuests[w % writeQuests.length].id
        const [, ms] = await timed(() =>
          q(
            `INSERT INTO challenge_completions
               (quest_id, user_id, score, time_taken_seconds, completion_verified)
             VALUES ($1, $2, $3, 60, TRUE)`,
            [quest, user, Math.floor(Math.random() * 10000)],
          ),
        )
        writes[name].push(ms)
      }
    }
  }
  await setTriggers([...SEED_TRIGGERS, ...MINE])
  log(`writes: ${N.writes} per configuration`)

  let refreshMs: number | null = null
  if (!args['skip-refresh']) {
    ;[, refreshMs] = await timed(() => q('SELECT refresh_challenge_leaderboards()'))
    log(`challenge_leaderboards refresh: ${round(refreshMs / 1000, 1)} s`)
  }

  // ---- Report -------------------------------------------------------------------------------
  const rows = Object.entries(results).map(([name, { kept, naive: slow }]) => {
    const p = (perRound: number[][], qq: number) => median(perRound.map((v) => quantile(v, qq)))
    const row = {
      measurement: name,
      samples: kept.reduce((s, v) => s + v.length, 0),
      kept_p50_ms: round(p(kept, 0.5)),
      kept_p95_ms: round(p(kept, 0.95)),
      naive_p50_ms: round(p(slow, 0.5)),
      naive_p95_ms: round(p(slow, 0.95)),
    }
    return { ...row, speedup_p50: round(row.naive_p50_ms / row.kept_p50_ms, 1) }
  })
  const writeRows = Object.entries(writes).map(([name, values]) => ({
    configuration: name,
    inserts: values.length,
    p50_ms: round(quantile(values, 0.5)),
    p95_ms: round(quantile(values, 0.95)),
  }))
  console.log(
    `\nReads (median over rounds of each round’s percentile; kept = the API’s service call; order: ${args.order})`,
  )
  console.table(rows)
  console.log('Cost of one completion INSERT (autocommit)')
  console.table(writeRows)
  if (refreshMs !== null) {
    console.log(
      `REFRESH of challenge_leaderboards (the seed's 5-minute refresh): ${round(refreshMs)} ms`,
    )
  }
  const report = {
    bench: 'leaderboards',
    at: new Date().toISOString(),
    database: database.label,
    args: N,
    data: {
      users: N.users,
      quests: N.quests,
      completions: N.completions,
      quest_board_entries: entries,
      global_board_entries: global,
      median_quest: { completions: medianQuest.completions, players: medianQuest.players },
      most_played_quest: { completions: hot.completions, players: hot.players },
    },
    load_ms: {
      users_and_quests: round(loadUsersMs),
      completions: round(loadCompletionsMs),
      rebuild_quest_boards: round(rebuildQuestMs),
      rebuild_global_boards: round(rebuildGlobalMs),
      vacuum_analyze: round(vacuumMs),
    },
    read_order: args.order,
    reads: rows,
    writes: writeRows,
    materialized_view_refresh_ms: refreshMs === null ? null : round(refreshMs),
    mismatches,
  }
  const out = resolve(args.out!)
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`)
  log(`wrote ${out}`)
  await database.close()
  if (mismatches.length > 0) {
    console.error(`answers differ from the naive queries:\n${mismatches.join('\n')}`)
    process.exit(1)
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
