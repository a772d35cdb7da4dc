import { migrateDatabase } from '../db/migrate'
import { openPglite, pgliteSqlClient } from '../scripts/lib/embedded-postgres'
const pglite = await openPglite()
await migrateDatabase(pgliteSqlClient(pglite), 'nexus')
await pglite.exec(`SET session_replication_role = replica;
INSERT INTO users (username, akashic_resonance) SELECT 'u'||g, floor(exp(random()*12))::int FROM generate_series(1,20000) g;
INSERT INTO quests (title, challenge_type, quest_data, rewards) SELECT 'q'||g, 'm','{}','{}' FROM generate_series(1,50) g;
INSERT INTO challenge_completions (quest_id,user_id,score,time_taken_seconds,completed_at,completion_verified)
SELECT qs.ids[1+floor(random()*50)::int], us.ids[1+floor(random()*20000)::int], floor(random()*10000)::int, 60, now() - make_interval(secs => g), true
FROM generate_series(1,50000) g, (SELECT array_agg(id) ids FROM quests) qs, (SELECT array_agg(id) ids FROM users) us;
SELECT rebuild_quest_leaderboards(); SELECT rebuild_global_leaderboards(); SET session_replication_role = DEFAULT;`)
await pglite.exec('VACUUM ANALYZE')
const [{ quest_id, user_id }] = (await pglite.query<any>(`SELECT quest_id, user_id FROM quest_leaderboard_entries WHERE period='all_time' ORDER BY random() LIMIT 1`)).rows
const t = async (label: string, q: string, p: unknown[]) => {
  const xs: number[] = []
  for (let i = 0; i < 100; i++) { const s = performance.now(); await pglite.query(q, p); xs.push(performance.now() - s) }
  xs.sort((a, b) => a - b); console.log(label.padEnd(30), xs[50].toFixed(3), xs[95].toFixed(3))
}
const board = `e.quest_id = $1::uuid AND e.period = 'all_time' AND e.period_start = '-infinity'`
const cols = `e.user_id, e.score, e.time_taken_seconds, e.completed_at, e.completion_id, e.neg_time_taken, e.neg_completed_us`
await t('flat, e.*', `SELECT e.*, u.username, u.display_name, u.avatar_url FROM quest_leaderboard_entries e JOIN users u ON u.id = e.user_id WHERE ${board} ORDER BY e.score DESC, e.neg_time_taken DESC, e.neg_completed_us DESC, e.user_id DESC LIMIT 51`, [quest_id])
await t('flat, cols', `SELECT ${cols}, u.username, u.display_name, u.avatar_url FROM quest_leaderboard_entries e JOIN users u ON u.id = e.user_id WHERE ${board} ORDER BY e.score DESC, e.neg_time_taken DESC, e.neg_completed_us DESC, e.user_id DESC LIMIT 51`, [quest_id])
await t('flat, cols, no users', `SELECT ${cols} FROM quest_leaderboard_entries e WHERE ${board} ORDER BY e.score DESC, e.neg_time_taken DESC, e.neg_completed_us DESC, e.user_id DESC LIMIT 51`, [quest_id])
await t('cte + join', `WITH page AS (SELECT ${cols} FROM quest_leaderboard_entries e WHERE ${board} ORDER BY e.score DESC, e.neg_time_taken DESC, e.neg_completed_us DESC, e.user_id DESC LIMIT 51) SELECT p.*, u.username, u.display_name, u.avatar_url FROM page p JOIN users u ON u.id = p.user_id ORDER BY p.score DESC, p.neg_time_taken DESC, p.neg_completed_us DESC, p.user_id DESC`, [quest_id])
await pglite.exec('SET enable_memoize = off')
await t('cte + join, no memoize', `WITH page AS (SELECT ${cols} FROM quest_leaderboard_entries e WHERE ${board} ORDER BY e.score DESC, e.neg_time_taken DESC, e.neg_completed_us DESC, e.user_id DESC LIMIT 51) SELECT p.*, u.username, u.display_name, u.avatar_url FROM page p JOIN users u ON u.id = p.user_id ORDER BY p.score DESC, p.neg_time_taken DESC, p.neg_completed_us DESC, p.user_id DESC`, [quest_id])
await pglite.exec('RESET enable_memoize')
await t('flat cols text ts', `SELECT e.user_id, e.score, e.time_taken_seconds, e.completed_at::text, e.completion_id, e.neg_time_taken, e.neg_completed_us::text, u.username, u.display_name, u.avatar_url FROM quest_leaderboard_entries e JOIN users u ON u.id = e.user_id WHERE ${board} ORDER BY e.score DESC, e.neg_time_taken DESC, e.neg_completed_us DESC, e.user_id DESC LIMIT 51`, [quest_id])
await t('select 51 ints', `SELECT g FROM generate_series(1,51) g`, [])
await t('select 51x10 text', `SELECT g::text a,g::text b,g::text c,g::text d,g::text e,g::text f,g::text h,g::text i,g::text j,g::text k FROM generate_series(1,51) g`, [])
