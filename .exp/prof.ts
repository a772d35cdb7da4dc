import { drizzle } from 'drizzle-orm/pglite'
import { sql } from 'drizzle-orm'
import { migrateDatabase } from '../db/migrate'
import { nexusSchema, type Db } from '../db/client'
import { getQuestLeaderboard, getGlobalLeaderboard, getUserQuestRank } from '../functions/leaderboards/service'
import { openPglite, pgliteSqlClient } from '../scripts/lib/embedded-postgres'
const pglite = await openPglite()
const client = pgliteSqlClient(pglite)
await migrateDatabase(client, 'nexus')
const db = drizzle({ client: pglite, schema: nexusSchema }) as unknown as Db
await pglite.exec(`SET session_replication_role = replica;
INSERT INTO users (username, akashic_resonance) SELECT 'u'||g, floor(exp(random()*12))::int FROM generate_series(1,20000) g;
INSERT INTO quests (title, challenge_type, quest_data, rewards) SELECT 'q'||g, 'm','{}','{}' FROM generate_series(1,50) g;
INSERT INTO challenge_completions (quest_id,user_id,score,time_taken_seconds,completed_at,completion_verified)
SELECT qs.ids[1+floor(random()*50)::int], us.ids[1+floor(random()*20000)::int], floor(random()*10000)::int, 60, now() - make_interval(secs => g), true
FROM generate_series(1,50000) g, (SELECT array_agg(id) ids FROM quests) qs, (SELECT array_agg(id) ids FROM users) us;
SELECT rebuild_quest_leaderboards(); SELECT rebuild_global_leaderboards(); SET session_replication_role = DEFAULT;`)
await pglite.exec('VACUUM ANALYZE')
const [{ quest_id, user_id }] = (await pglite.query<any>(`SELECT quest_id, user_id FROM quest_leaderboard_entries WHERE period='all_time' ORDER BY random() LIMIT 1`)).rows
const actor = { userId: user_id, username: 'x', roles: ['player'] as any, issuer: 'local' as const }
const t = async (label: string, fn: () => Promise<unknown>) => {
  const xs: number[] = []
  for (let i = 0; i < 50; i++) { const s = performance.now(); await fn(); xs.push(performance.now() - s) }
  xs.sort((a, b) => a - b); console.log(label, xs[25].toFixed(3), xs[47].toFixed(3))
}
await t('service top50', () => getQuestLeaderboard(db, { actor, quest_id, period: 'all_time', limit: 50 }))
await t('service around', () => getQuestLeaderboard(db, { actor, quest_id, period: 'all_time', limit: 10, around: 'me' }))
await t('service akashic around', () => getGlobalLeaderboard(db, { actor, board: 'akashic_resonance', limit: 10, around: 'me' }))
await t('raw select 1', () => pglite.query('SELECT 1'))
await t('drizzle select 1', () => db.execute(sql`SELECT 1`))
await t('quest check', () => pglite.query('SELECT creator_id, is_public, status FROM quests WHERE id = $1', [quest_id]))
const topSql = `SELECT e.*, u.username FROM quest_leaderboard_entries e JOIN users u ON u.id = e.user_id WHERE e.quest_id = $1 AND e.period = 'all_time' AND e.period_start = '-infinity' ORDER BY score DESC, neg_time_taken DESC, neg_completed_us DESC, user_id DESC LIMIT 51`
await t('raw top', () => pglite.query(topSql, [quest_id]))
console.log((await pglite.query<any>('EXPLAIN ANALYZE ' + topSql, [quest_id])).rows.map(r => r['QUERY PLAN']).join('\n'))
const ak = `SELECT global_leaderboard_rank('akashic_resonance', 5000)`
await t('rank fn', () => pglite.query(ak))
console.log((await pglite.query<any>(`EXPLAIN ANALYZE SELECT 1 + COALESCE((SELECT sum(b.entries) FROM leaderboard_bucket_counts b WHERE b.board = 'akashic_resonance' AND b.bucket > leaderboard_bucket(5000)), 0) + (SELECT count(*) FROM global_leaderboard_entries e WHERE e.board = 'akashic_resonance' AND e.value > 5000 AND e.value < leaderboard_next_bucket(5000))`)).rows.map(r => r['QUERY PLAN']).join('\n'))
const captured: { q: string; p: unknown[] }[] = []
const ldb = drizzle({ client: pglite, schema: nexusSchema, logger: { logQuery: (q, p) => captured.push({ q, p }) } }) as unknown as Db
await getQuestLeaderboard(ldb, { actor, quest_id, period: 'all_time', limit: 50 })
await getGlobalLeaderboard(ldb, { actor, board: 'akashic_resonance', limit: 10, around: 'me' })
for (const c of captured) {
  console.log('----', c.q.replace(/\s+/g, ' ').slice(0, 300), JSON.stringify(c.p))
  await t('  raw', () => pglite.query(c.q, c.p as any[]))
  console.log((await pglite.query<any>('EXPLAIN ANALYZE ' + c.q, c.p as any[])).rows.map(r => r['QUERY PLAN']).filter((l: string) => /Time|actual/.test(l)).slice(0, 12).join('\n'))
}
captured.length = 0
await getQuestLeaderboard(ldb, { actor, quest_id, period: 'all_time', limit: 10, around: 'me' })
await getUserQuestRank(ldb, { actor, user_id, quest_id, period: 'all_time' })
for (const c of captured) {
  console.log('====', c.q.replace(/\s+/g, ' ').slice(0, 120))
  console.log((await pglite.query<any>('EXPLAIN ANALYZE ' + c.q, c.p as any[])).rows.map(r => r['QUERY PLAN']).filter((l: string) => /Time|actual|Cond/.test(l)).join('\n'))
}
