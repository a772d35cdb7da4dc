import pg from 'pg'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrateDatabase } from '../db/migrate'
import { nexusSchema, type Db } from '../db/client'
import { getQuestLeaderboard, getUserQuestRank } from '../functions/leaderboards/service'
import { withPgClient } from '../scripts/lib/local-stack'
const admin = 'postgres://nexus_progression:progression-pg-pass@127.0.0.1:24625/postgres'
await withPgClient(admin, (c) => c.query('DROP DATABASE IF EXISTS prof_lb WITH (FORCE)'))
await withPgClient(admin, (c) => c.query('CREATE DATABASE prof_lb'))
const client = new pg.Client({ connectionString: admin.replace('/postgres', '/prof_lb') })
await client.connect()
await migrateDatabase(client, 'nexus')
await client.query(`SET session_replication_role = replica;
INSERT INTO users (username, akashic_resonance) SELECT 'u'||g, floor(exp(random()*12))::int FROM generate_series(1,20000) g;
INSERT INTO quests (title, challenge_type, quest_data, rewards) SELECT 'q'||g, 'm','{}','{}' FROM generate_series(1,500) g;
INSERT INTO challenge_completions (quest_id,user_id,score,time_taken_seconds,completed_at,completion_verified)
SELECT qs.ids[1+floor(random()*500)::int], us.ids[1+floor(random()*20000)::int], floor(random()*10000)::int, 60, now() - make_interval(secs => g), true
FROM generate_series(1,200000) g, (SELECT array_agg(id) ids FROM quests) qs, (SELECT array_agg(id) ids FROM users) us;
SELECT rebuild_quest_leaderboards(); SELECT rebuild_global_leaderboards(); SET session_replication_role = DEFAULT;`)
await client.query("VACUUM ANALYZE")
const samples = (await client.query<any>(`SELECT quest_id, user_id FROM quest_leaderboard_entries WHERE period='all_time' ORDER BY random() LIMIT 200`)).rows
const captured: { q: string; p: unknown[] }[] = []
const ldb = drizzle({ client, schema: nexusSchema, logger: { logQuery: (q, p) => captured.push({ q, p }) } }) as unknown as Db
const stats = (xs: number[]) => { xs.sort((a, b) => a - b); return `${xs[Math.floor(xs.length/2)].toFixed(3)} p95 ${xs[Math.floor(xs.length*0.95)].toFixed(3)}` }
const actorOf = (s: any) => ({ userId: s.user_id, username: 'x', roles: ['player'] as any, issuer: 'local' as const })
for (const [label, fn] of [
  ['top50', (s: any) => getQuestLeaderboard(ldb, { actor: actorOf(s), quest_id: s.quest_id, period: 'all_time', limit: 50 })],
  ['around', (s: any) => getQuestLeaderboard(ldb, { actor: actorOf(s), quest_id: s.quest_id, period: 'all_time', limit: 10, around: 'me' })],
  ['rank', (s: any) => getUserQuestRank(ldb, { actor: actorOf(s), user_id: s.user_id, quest_id: s.quest_id, period: 'all_time' })],
] as const) {
  const svc: number[] = [], raw: number[] = [], plan: number[] = []
  for (const s of samples) {
    captured.length = 0
    let t = performance.now(); await fn(s); svc.push(performance.now() - t)
    const c = captured[0]
    t = performance.now(); await client.query(c.q, c.p as any[]); raw.push(performance.now() - t)
    t = performance.now(); await client.query('EXPLAIN ' + c.q, c.p as any[]); plan.push(performance.now() - t)
  }
  console.log(label.padEnd(8), 'service', stats(svc), '| raw sql', stats(raw), '| EXPLAIN only', stats(plan))
}
await client.end()
await withPgClient(admin, (c) => c.query('DROP DATABASE IF EXISTS prof_lb WITH (FORCE)'))
