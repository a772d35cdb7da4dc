import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { getMaterializedViewConfig, getViewConfig } from 'drizzle-orm/pg-core'
import { migrateDatabase, migrationsDir } from '../../../db/migrate'
import {
  akashicLeaderboard,
  attributeLeaderboards,
  challengeLeaderboards,
  popularAssets,
} from '../../../db/schema/nexus'
import { suitePglite } from '../../support/pglite'

const NEXUS_TABLES = [
  'users',
  'user_states',
  'user_balances',
  'active_sessions',
  'instances',
  'instance_visitors',
  'quests',
  'quest_instances',
  'quest_progress',
  'challenge_completions',
  'user_uploaded_media',
  'challenge_templates',
  'quest_object_relationships',
  'items',
  'item_templates',
  'inventories',
  'buildings',
  'marketplace_listings',
  'trade_requests',
  'transactions',
  'ai_companions',
  'companion_conversations',
  'token_transactions',
  'chat_messages',
  'assets',
  'asset_usage',
  'akashic_transactions',
  'deities',
  'deity_blessings',
  'user_deity_bonds',
  'attribute_transactions',
  'akashic_tablet_discoveries',
  'hidden_deity_discoveries',
  'schema_version',
  'materialized_view_refreshes',
]

const pg = suitePglite('nexus')

describe('nexus migrations', () => {
  it('create every table, view and materialized view', async () => {
    const tables = await pg.client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'nexus_migrations'`,
    )
    // Other modules add their own tables to nexus; these are the seed's (and the refresh clock).
    expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(NEXUS_TABLES))
    const views = await pg.client.query<{ name: string }>(
      `SELECT viewname AS name FROM pg_views WHERE schemaname = 'public'
       UNION ALL SELECT matviewname FROM pg_matviews WHERE schemaname = 'public' ORDER BY 1`,
    )
    expect(views.rows.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'akashic_leaderboard',
        'attribute_leaderboards',
        'challenge_leaderboards',
        'popular_assets',
      ]),
    )
  })

  it('use timestamptz for every timestamp column', async () => {
    const { rows } = await pg.client.query(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = 'public' AND data_type = 'timestamp without time zone'`,
    )
    expect(rows, 'timestamp columns without time zone').toEqual([])
  })

  it("create the seed's GIN, partial and unique indexes", async () => {
    const { rows } = await pg.client.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY($1::text[]) ORDER BY 1`,
      [
        [
          'idx_quests_data',
          'idx_quests_tags',
          'idx_quests_status',
          'idx_deity_bonds_user_active_unique',
          'idx_leaderboard_global',
        ],
      ],
    )
    const defs = Object.fromEntries(rows.map((r) => [r.indexname, r.indexdef]))
    expect(defs.idx_quests_data).toContain('USING gin (quest_data)')
    expect(defs.idx_quests_tags).toContain('USING gin (tags)')
    expect(defs.idx_quests_status).toContain("WHERE ((status)::text = 'active'::text)")
    expect(defs.idx_deity_bonds_user_active_unique).toMatch(
      /^CREATE UNIQUE INDEX .* \(user_id\) WHERE \(is_active = true\)$/,
    )
    expect(defs.idx_leaderboard_global).toContain('CREATE UNIQUE INDEX')
  })

  it('match the typed view models column for column', async () => {
    const models = [
      getMaterializedViewConfig(challengeLeaderboards),
      getMaterializedViewConfig(attributeLeaderboards),
      getViewConfig(akashicLeaderboard),
      getViewConfig(popularAssets),
    ]
    for (const model of models) {
      const { rows } = await pg.client.query<{ attname: string }>(
        `SELECT attname FROM pg_attribute
         WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [model.name],
      )
      const typed = Object.values(model.selectedFields).map((c) => (c as { name: string }).name)
      expect(typed, model.name).toEqual(rows.map((r) => r.attname))
    }
  })

  it('is a no-op when run a second time', async () => {
    const result = await migrateDatabase(pg.client, 'nexus')
    expect(result.applied, 'files applied on the second run').toEqual([])
    const files = (await readdir(migrationsDir('nexus'))).filter((f) => f.endsWith('.sql'))
    expect(result.skipped.sort()).toEqual(files.sort())
  })

  it('never depends on pgvector (nexus must run on plain PostgreSQL)', async () => {
    for (const file of await readdir(migrationsDir('nexus'))) {
      if (!file.endsWith('.sql')) continue
      const sql = await readFile(join(migrationsDir('nexus'), file), 'utf8')
      expect(sql, file).not.toMatch(/\bvector\b|CREATE EXTENSION/i)
    }
  })
})
