/**
 * Migration 0060 (db/README 90-92): histories kept in the seed's `messages jsonb[]` move into
 * `companion_messages` in their order, and the new constraints hold.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { migrateDatabase, migrationsDir } from '../../../db/migrate'
import { openPglite, pgliteSqlClient } from '../../../scripts/lib/embedded-postgres'

const USER = '00000000-0000-4000-8000-0000000000a1'

describe('migration 0060_companions', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('moves a jsonb[] history into companion_messages, in order, and drops the column', async () => {
    // The migrations before 0060, then a conversation written the seed's way, then 0060.
    const before = await mkdtemp(join(tmpdir(), 'companions-migration-'))
    dirs.push(before)
    const all = (await readdir(migrationsDir('nexus'))).filter((f) => f.endsWith('.sql'))
    for (const file of all.filter((f) => f < '0060')) {
      await cp(join(migrationsDir('nexus'), file), join(before, file))
    }
    const pg = await openPglite()
    const client = pgliteSqlClient(pg)
    await migrateDatabase(client, 'nexus', before)
    await client.query(`INSERT INTO users (id, username) VALUES ($1, 'seedling')`, [USER])
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO ai_companions (owner_id, name, behavior_state) VALUES ($1, 'Freya', 'flying') RETURNING id`,
      [USER],
    )
    await client.query(
      `INSERT INTO companion_conversations (companion_id, user_id, messages) VALUES ($1, $2,
        ARRAY['{"role":"user","content":"Freya, make it sunset","timestamp":1727840500000}'::jsonb,
              '{"role":"assistant","content":"Setting the mood... #setSky:''sunset''","timestamp":1727840501000,"tool_commands":[{"tool":"setSky","args":"sunset"}]}'::jsonb])`,
      [rows[0].id, USER],
    )
    await migrateDatabase(client, 'nexus')

    const messages = await client.query<any>(
      `SELECT seq, role, content, tool_commands, created_at FROM companion_messages ORDER BY seq`,
    )
    expect(messages.rows.map((m) => [m.seq, m.role, m.content])).toEqual([
      [1, 'user', 'Freya, make it sunset'],
      [2, 'assistant', "Setting the mood... #setSky:'sunset'"],
    ])
    expect(messages.rows[1].tool_commands).toEqual([{ tool: 'setSky', args: 'sunset' }])
    expect(new Date(messages.rows[0].created_at).getTime()).toBe(1727840500000)
    const [conversation] = (
      await client.query<any>('SELECT message_count FROM companion_conversations')
    ).rows
    expect(conversation.message_count).toBe(2)
    const column = await client.query(
      `SELECT 1 FROM information_schema.columns WHERE table_name = 'companion_conversations' AND column_name = 'messages'`,
    )
    expect(column.rows).toEqual([])
    const [companion] = (await client.query<any>('SELECT behavior_state FROM ai_companions')).rows
    expect(companion.behavior_state).toBe('following')

    // New rows: exactly one partner, a known role, seq from 1 and unique.
    await expect(
      client.query(`INSERT INTO companion_conversations (user_id) VALUES ($1)`, [USER]),
    ).rejects.toThrow(/companion_conversations_one_partner/)
    await expect(
      client.query(
        `INSERT INTO companion_messages (conversation_id, seq, role, content)
         SELECT id, 2, 'user', 'again' FROM companion_conversations`,
      ),
    ).rejects.toThrow(/companion_messages_conversation_seq/)
    await expect(
      client.query(
        `INSERT INTO companion_messages (conversation_id, seq, role, content)
         SELECT id, 3, 'narrator', 'x' FROM companion_conversations`,
      ),
    ).rejects.toThrow(/companion_messages_role_check/)
    await pg.close()
  })
})
