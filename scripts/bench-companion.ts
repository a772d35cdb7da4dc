/**
 * `npm run bench:companion [-- --memories 100000 --turns 200 --naive-turns 20 --out path]`: one
 * companion turn (recall + answer + remember, and the conversation's two message appends) with
 * the local responder, on in-process PGlite databases (nexus, and memory with pgvector) holding
 * `--memories` memories, against a naive loop in the same run. Prints a table and writes
 * `bench-results/companion.json`.
 *
 * Data: `--memories` memories over pairs of 500 (like bench:memory: 50 core, 200 important, 250
 * background per pair), texts made of topic words and embedded by the local hash embedder, loaded
 * by binary COPY (HNSW indexes dropped during the load and rebuilt after, so the turns write
 * into the real indexes). One of the pairs is the bench player and their companion.
 *
 * Loops, both the real `runCompanionTurn` with the local responder and no live room:
 * - **turn**: recall by the memory service's hybrid search (the pair's rows found through
 *   `idx_memories_user_companion`, exact within the pair);
 * - **naive**: recall by scanning: the same hybrid score computed for every memory of the table,
 *   filtered to the pair and ranked in the Worker, as a first version without the pair index
 *   would do.
 * Reported per loop: turns per second (sequential turns) and p50 / p95 / max of one turn, plus
 * the recall step alone.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/pglite'
import type { Db, MemoryDb } from '../db/client'
import { memorySchema, nexusSchema } from '../db/client'
import { migrateDatabase } from '../db/migrate'
import { localResponder } from '../functions/companions/responders'
import {
  beginCompanionTurn,
  hybridRecall,
  runCompanionTurn,
  type Recall,
  type TurnDeps,
} from '../functions/companions/turn'
import type { Identity } from '../functions/lib/auth'
import { toPgVectorLiteral } from '../functions/memory/compression/codec'
import { localHashEmbedder } from '../functions/memory/embedder'
import { HYBRID_TEXT_WEIGHT, HYBRID_VECTOR_WEIGHT } from '../functions/memory/search'
import { openPglite, pgliteSqlClient } from './lib/embedded-postgres'
import { binaryCopy } from './lib/vector-copy'

const { values } = parseArgs({
  options: {
    memories: { type: 'string', default: '100000' },
    turns: { type: 'string', default: '200' },
    'naive-turns': { type: 'string', default: '20' },
    out: { type: 'string', default: 'bench-results/companion.json' },
  },
})
const PAIR_MEMORIES = 500
const MEMORIES = Math.max(PAIR_MEMORIES, Number(values.memories))
const PAIRS = Math.floor(MEMORIES / PAIR_MEMORIES)
const TURNS = Number(values.turns)
const NAIVE_TURNS = Number(values['naive-turns'])
/** Rows per COPY chunk. */
const CHUNK = 5_000
const WARMUP_TURNS = 3

const TOPICS = [
  'dog biscuit beach walk',
  'sister lisbon travel summer',
  'maps collection antique paper',
  'guitar music evening song',
  'garden tomatoes rain soil',
  'chess tournament friend win',
  'mountain hike snow cabin',
  'baking bread kitchen morning',
  'ocean sailing boat wind',
  'painting colours canvas light',
]
const FILLER = 'remember told about the one day together again later'.split(' ')

/** A deterministic memory text: a topic, a few filler words, a number. */
function memoryText(i: number): string {
  const topic = TOPICS[i % TOPICS.length]
  const words = [0, 3, 7].map((k) => FILLER[(i + k) % FILLER.length])
  return `I ${words[0]} you ${topic} ${words[1]} ${words[2]} ${i}`
}

/** What the bench player says on turn `t`. */
const turnMessage = (t: number) =>
  `Do you ${t % 2 ? 'remember' : 'recall'} the ${TOPICS[t % TOPICS.length].split(' ').slice(0, 2).join(' ')} ${t}?`

const BENCH_USER = '00000000-0000-4000-8000-000000000000'

/** Naive recall: the hybrid score of every memory in the table, the pair picked in the Worker. */
const naiveRecall: Recall = async (memory, input) => {
  const [query] = await input.embedder.embed([input.query])
  const { rows } = await memory.execute<{
    memory_id: string
    companion_id: string
    user_id: string
    tier: string
    conversation_snippet: string | null
    created_at: string | null
    vector: number | null
    text: number
  }>(sql`
    SELECT memory_id, companion_id, user_id, tier, conversation_snippet, created_at::text,
           1 - (full_embedding <=> ${toPgVectorLiteral(query)}::vector) AS vector,
           ts_rank_cd(to_tsvector('english', content), plainto_tsquery('english', ${input.query}), 32) AS text
    FROM companion_memories`)
  return rows
    .filter((r) => r.companion_id === input.companionId && r.user_id === input.actor.userId)
    .map((r) => ({
      memory_id: r.memory_id,
      similarity:
        HYBRID_VECTOR_WEIGHT * Number(r.vector ?? 0) + HYBRID_TEXT_WEIGHT * Number(r.text),
      snippet: r.conversation_snippet,
      tier: r.tier,
      created_at: r.created_at,
    }))
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, input.k)
}

function summary(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]
  const total = ms.reduce((a, b) => a + b, 0)
  const round = (x: number) => Math.round(x * 10) / 10
  return {
    turns: ms.length,
    turns_per_s: round((ms.length / total) * 1000),
    p50_ms: round(at(0.5)),
    p95_ms: round(at(0.95)),
    max_ms: round(sorted.at(-1)!),
  }
}

async function main() {
  const log = (msg: string) => console.log(`[bench:companion] ${msg}`)
  log(`${PAIRS * PAIR_MEMORIES} memories in ${PAIRS} pairs; ${TURNS} turns, ${NAIVE_TURNS} naive`)
  const memoryPg = await openPglite()
  const nexusPg = await openPglite()
  const memoryClient = pgliteSqlClient(memoryPg)
  await migrateDatabase(memoryClient, 'memory')
  await migrateDatabase(pgliteSqlClient(nexusPg), 'nexus')
  const memoryDb = drizzle({ client: memoryPg, schema: memorySchema }) as unknown as MemoryDb
  const nexusDb = drizzle({ client: nexusPg, schema: nexusSchema }) as unknown as Db

  // The bench player, their companion, and the companions of the other pairs (memory keys only).
  const companionId = crypto.randomUUID()
  await nexusPg.query(`INSERT INTO users (id, username) VALUES ($1, 'bench_player')`, [BENCH_USER])
  await nexusPg.query(`INSERT INTO ai_companions (id, owner_id, name) VALUES ($1, $2, 'Freya')`, [
    companionId,
    BENCH_USER,
  ])

  // Load: binary COPY of the vectors, then INSERT … SELECT with the tier and pair of each row.
  const loadStarted = performance.now()
  await memoryClient.query(`
    DROP INDEX idx_memories_full_embedding_cosine;
    DROP INDEX idx_memories_full_embedding_l2;
    ALTER TABLE companion_memories DISABLE TRIGGER tr_update_relationship_stats;
    CREATE TABLE bench_stage (i int PRIMARY KEY, e vector(768))`)
  const embedder = localHashEmbedder()
  const total = PAIRS * PAIR_MEMORIES
  for (let first = 0; first < total; first += CHUNK) {
    const count = Math.min(CHUNK, total - first)
    const texts = Array.from({ length: count }, (_, k) => memoryText(first + k))
    const vectors = await embedder.embed(texts)
    await memoryPg.query(`COPY bench_stage (i, e) FROM '/dev/blob' WITH (FORMAT binary)`, [], {
      blob: new Blob([binaryCopy(first, vectors)]),
    })
    log(`loaded ${first + count}`)
  }
  await memoryClient.query(`
    INSERT INTO companion_memories (companion_id, user_id, content, tier, significance_score,
      full_embedding, conversation_hash, key_phrases, conversation_snippet, emotional_intensity,
      emotional_valence, original_size, compressed_size, created_at)
    SELECT CASE WHEN s.i / ${PAIR_MEMORIES} = 0 THEN '${companionId}'
                ELSE 'other-' || (s.i / ${PAIR_MEMORIES}) END,
           CASE WHEN s.i / ${PAIR_MEMORIES} = 0 THEN '${BENCH_USER}'::uuid
                ELSE ('00000000-0000-4000-9000-' || lpad((s.i / ${PAIR_MEMORIES})::text, 12, '0'))::uuid END,
           t.content, t.tier::memory_tier_enum,
           CASE t.tier WHEN 'core' THEN 0.9 WHEN 'important' THEN 0.6 ELSE 0.3 END,
           s.e, md5(t.content), ARRAY['bench'], left(t.content, 200), 0.2, 0, 3072, 3072,
           now() - make_interval(days => 1)
    FROM bench_stage s
    CROSS JOIN LATERAL (SELECT
      CASE WHEN s.i % ${PAIR_MEMORIES} < 50 THEN 'core'
           WHEN s.i % ${PAIR_MEMORIES} < 250 THEN 'important' ELSE 'background' END AS tier,
      ${sqlMemoryText()} AS content) t;
    DROP TABLE bench_stage;
    ALTER TABLE companion_memories ENABLE TRIGGER tr_update_relationship_stats;
    SELECT refresh_relationship_memory_stats(companion_id, user_id)
    FROM (SELECT DISTINCT companion_id, user_id FROM companion_memories) p;`)
  log('rebuilding the HNSW indexes (the turns write into them)')
  await memoryClient.query(`
    CREATE INDEX idx_memories_full_embedding_cosine ON companion_memories
      USING hnsw (full_embedding vector_cosine_ops) WHERE full_embedding IS NOT NULL;
    CREATE INDEX idx_memories_full_embedding_l2 ON companion_memories
      USING hnsw (full_embedding vector_l2_ops) WHERE full_embedding IS NOT NULL;
    ANALYZE companion_memories;`)
  const loadS = Math.round((performance.now() - loadStarted) / 100) / 10
  log(`load and index: ${loadS} s`)

  const actor: Identity = {
    userId: BENCH_USER,
    username: 'bench_player',
    roles: ['player'],
    issuer: 'local',
  }
  const deps: TurnDeps = {
    nexus: nexusDb,
    memory: memoryDb,
    embedder,
    responder: localResponder(),
    rooms: null,
  }

  /** Runs `turns` turns in one conversation with `recall`; times each turn and each recall. */
  async function loop(recall: Recall, turns: number) {
    const [conversation] = (
      await nexusPg.query<{ id: string }>(
        `INSERT INTO companion_conversations (companion_id, user_id) VALUES ($1, $2) RETURNING id`,
        [companionId, BENCH_USER],
      )
    ).rows
    const turnMs: number[] = []
    const recallMs: number[] = []
    let recalled = 0
    const timedRecall: Recall = async (memory, input) => {
      const started = performance.now()
      const hits = await recall(memory, input)
      recallMs.push(performance.now() - started)
      return hits
    }
    for (let t = 0; t < turns + WARMUP_TURNS; t++) {
      const started = performance.now()
      const turn = await beginCompanionTurn(deps, {
        actor,
        conversation_id: conversation.id,
        body: { content: turnMessage(t) },
      })
      const result = await runCompanionTurn({ ...deps, recall: timedRecall }, turn)
      if (t >= WARMUP_TURNS) {
        turnMs.push(performance.now() - started)
        recalled += result.recalled.length
      }
    }
    recallMs.splice(0, WARMUP_TURNS)
    return {
      ...summary(turnMs),
      recall: summary(recallMs),
      memories_recalled_per_turn: Math.round((recalled / turns) * 10) / 10,
    }
  }

  log(`turn loop: ${TURNS} turns`)
  const turn = await loop(hybridRecall, TURNS)
  log(`naive loop: ${NAIVE_TURNS} turns`)
  const naive = await loop(naiveRecall, NAIVE_TURNS)

  const rows = [
    ['loop', 'turns', 'turns/s', 'p50 ms', 'p95 ms', 'max ms', 'recall p50', 'recall p95'],
    ...(
      [
        ['turn (hybrid search)', turn],
        ['naive (scan)', naive],
      ] as const
    ).map(([name, r]) => [
      name,
      r.turns,
      r.turns_per_s,
      r.p50_ms,
      r.p95_ms,
      r.max_ms,
      r.recall.p50_ms,
      r.recall.p95_ms,
    ]),
  ].map((row) => row.map(String))
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)))
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '))
  const speedup = Math.round((turn.turns_per_s / naive.turns_per_s) * 10) / 10
  console.log(`turn loop: ${speedup}× the naive loop's turns per second`)

  const out = resolve(values.out!)
  await mkdir(dirname(out), { recursive: true })
  await writeFile(
    out,
    `${JSON.stringify(
      {
        bench: 'companion',
        at: new Date().toISOString(),
        node: process.version,
        memories: total,
        pairs: PAIRS,
        pair_memories: PAIR_MEMORIES,
        responder: 'local',
        load_and_index_s: loadS,
        turn,
        naive,
        speedup_turns_per_s: speedup,
      },
      null,
      2,
    )}\n`,
  )
  log(`wrote ${out}`)
  await memoryPg.close()
  await nexusPg.close()
}

/** `memoryText(s.i)` in SQL, so the loaded contents match the embedded texts. */
function sqlMemoryText(): string {
  const topics = `(ARRAY[${TOPICS.map((t) => `'${t}'`).join(',')}])[s.i % ${TOPICS.length} + 1]`
  const filler = (k: number) =>
    `(ARRAY[${FILLER.map((w) => `'${w}'`).join(',')}])[(s.i + ${k}) % ${FILLER.length} + 1]`
  return `'I ' || ${filler(0)} || ' you ' || ${topics} || ' ' || ${filler(3)} || ' ' || ${filler(7)} || ' ' || s.i`
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
